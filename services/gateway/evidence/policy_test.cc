#include "services/gateway/evidence/policy.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace firegrid::gateway::evidence {
namespace {

struct SniffCase {
  std::string name;
  std::string bytes;
  std::string want;  // "" = no known type
};

void PrintTo(const SniffCase& c, std::ostream* os) { *os << c.name; }

class SniffTest : public ::testing::TestWithParam<SniffCase> {};

TEST_P(SniffTest, RecognisesTheTypeBySignatureOnly) {
  EXPECT_EQ(SniffMediaType(GetParam().bytes), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Signatures, SniffTest,
    ::testing::Values(SniffCase{"Jpeg", std::string("\xFF\xD8\xFF\xE0rest", 8), "image/jpeg"},
                      SniffCase{"Png", std::string("\x89PNG\r\n\x1A\n\0\0", 10), "image/png"},
                      SniffCase{"Webp", std::string("RIFF\x10\0\0\0WEBPVP8 ", 16), "image/webp"},
                      SniffCase{"Pdf", "%PDF-1.7\n", "application/pdf"},
                      SniffCase{"JpegCutShort", std::string("\xFF\xD8", 2), ""},
                      SniffCase{"PngWithoutItsLineEndings", "\x89PNG", ""},
                      SniffCase{"RiffThatIsNotWebp", std::string("RIFF\x10\0\0\0WAVEfmt ", 16), ""},
                      SniffCase{"RiffTooShort", "RIFF", ""},
                      SniffCase{"PdfWithoutDash", "%PDF1.7", ""}, SniffCase{"Gif", "GIF89a", ""},
                      SniffCase{"Html", "<html><script>", ""}, SniffCase{"Empty", "", ""}),
    [](const ::testing::TestParamInfo<SniffCase>& info) { return info.param.name; });

TEST(MediaTypeOf, LowerCasesAndDropsParameters) {
  EXPECT_EQ(MediaTypeOf("Image/JPEG; charset=binary"), "image/jpeg");
  EXPECT_EQ(MediaTypeOf("  application/pdf  "), "application/pdf");
  EXPECT_EQ(MediaTypeOf(""), "");
}

TEST(ResolvePolicy, DefaultsToTenMebibytesAndTheFourKnownTypes) {
  absl::StatusOr<EvidencePolicy> p = ResolvePolicy(config::v1::EvidenceStore());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->max_bytes, 10 * 1024 * 1024);
  EXPECT_EQ(p->media_types, KnownMediaTypes());
  EXPECT_TRUE(p->Accepts("image/webp"));
  EXPECT_FALSE(p->Accepts("image/gif"));
}

TEST(ResolvePolicy, KeepsTheConfiguredLimitAndTypes) {
  config::v1::EvidenceStore c;
  c.set_max_bytes(1000);
  c.add_media_types("image/png");
  absl::StatusOr<EvidencePolicy> p = ResolvePolicy(c);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->max_bytes, 1000);
  EXPECT_TRUE(p->Accepts("image/png"));
  EXPECT_FALSE(p->Accepts("image/jpeg"));
}

TEST(ResolvePolicy, RefusesATypeWhoseSignatureIsUnknown) {
  config::v1::EvidenceStore c;
  c.add_media_types("image/gif");
  absl::StatusOr<EvidencePolicy> p = ResolvePolicy(c);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(p.status().message(), "evidence.media_types:")) << p.status();
}

TEST(ResolvePolicy, RefusesATypeListedTwiceAndANegativeLimit) {
  config::v1::EvidenceStore twice;
  twice.add_media_types("image/png");
  twice.add_media_types("image/png");
  EXPECT_EQ(ResolvePolicy(twice).status().code(), absl::StatusCode::kInvalidArgument);
  config::v1::EvidenceStore negative;
  negative.set_max_bytes(-1);
  absl::StatusOr<EvidencePolicy> p = ResolvePolicy(negative);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(p.status().message(), "evidence.max_bytes:")) << p.status();
}

}  // namespace
}  // namespace firegrid::gateway::evidence
