#include "services/buildings/csv_encoding.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::buildings {
namespace {

using ::testing::HasSubstr;

// "嘉陵苑 1 栋,北碚区天生路 1 号" as Excel on a Chinese Windows PC saves it (GBK ⊂ GB18030).
constexpr char kGbk[] =
    "\xBC\xCE\xC1\xEA\xD4\xB7 1 \xB6\xB0,"
    "\xB1\xB1\xED\xD5\xC7\xF8\xCC\xEC\xC9\xFA\xC2\xB7 1 \xBA\xC5\r\n";
constexpr char kUtf8[] = "嘉陵苑 1 栋,北碚区天生路 1 号\r\n";

TEST(DecodeImportText, Utf8WithoutBomIsKept) {
  EXPECT_EQ(*DecodeImportText(kUtf8), kUtf8);
  EXPECT_EQ(DetectImportEncoding(kUtf8), "UTF-8");
}

TEST(DecodeImportText, Utf8BomIsDropped) {
  const std::string with_bom = std::string("\xEF\xBB\xBF") + kUtf8;
  EXPECT_EQ(*DecodeImportText(with_bom), kUtf8);
  EXPECT_EQ(DetectImportEncoding(with_bom), "UTF-8 with BOM");
}

TEST(DecodeImportText, GbkIsConvertedToUtf8) {
  auto text = DecodeImportText(kGbk);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, kUtf8);
  EXPECT_EQ(DetectImportEncoding(kGbk), "GB18030");
}

TEST(DecodeImportText, Utf16IsRefusedNamingTheEncoding) {
  const std::string utf16("\xFF\xFEn\0a\0", 6);
  auto s = DecodeImportText(utf16).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("content"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("UTF-16LE"));
}

TEST(DecodeImportText, NeitherUtf8NorGb18030IsRefusedNamingByteAndLine) {
  // Latin-1 "Café" followed by a comma: 0xE9 0x2C is no GB18030 sequence.
  auto s = DecodeImportText("name\nCaf\xE9,x\n").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("neither UTF-8"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("0xE9 on line 2"));
}

TEST(DecodeImportText, BrokenUtf8AfterABomIsRefused) {
  auto s = DecodeImportText("\xEF\xBB\xBFname\n\xB6\xB0\n").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("byte-order mark"));
}

}  // namespace
}  // namespace firegrid::buildings
