// The evidence handler against a fake hazards service (127.0.0.1, port 0) that plays the
// hazards service's part: it authenticates the forwarded bearer token and decides by role, and
// a directory store in a temporary directory.
#include "services/gateway/evidence/evidence_handler.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/gateway/evidence/directory_store.h"
#include "services/gateway/evidence/hashing.h"
#include "services/gateway/http_util.h"
#include "tests/support/temp_dir.h"

namespace firegrid::gateway {
namespace {

namespace hv1 = ::firegrid::hazards::v1;

const std::string kJpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "a photo of a blocked fire lane";
const std::string kPng = std::string("\x89PNG\r\n\x1A\n", 8) + "a photo of a rectified exit";
const std::string kPdf = "%PDF-1.7\nthe rectification report";
const std::string kWebp = std::string("RIFF\x20\0\0\0WEBPVP8 ", 16) + "webp";

// A token as long as a real JWT (far beyond any small-string buffer).
const std::string kLongToken =
    "eyJhbGciOiJIUzI1NiJ9." + std::string(300, 'A') + "." + std::string(43, 'b') + "_-";

// Bearer tokens of the fake: "worker" (a community worker who sees hzd_1), "officer" (a
// department officer the hazard is not routed to), "channel" (a public channel: refused by
// every RPC but reports), anything else does not verify.
class FakeHazards final : public hv1::HazardService::Service {
 public:
  grpc::Status ListGuidance(grpc::ServerContext* ctx, const hv1::ListGuidanceRequest*,
                            hv1::ListGuidanceResponse* resp) override {
    ++list_guidance_calls;
    grpc::Status s = Authenticate(ctx);
    if (!s.ok()) return s;
    if (Token(ctx) == "channel") {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "role public_channel may not read guidance");
    }
    resp->add_guidance()->set_category(hv1::HazardCategory(1));
    return grpc::Status::OK;
  }

  grpc::Status GetHazard(grpc::ServerContext* ctx, const hv1::GetHazardRequest* req,
                         hv1::Hazard* resp) override {
    ++get_hazard_calls;
    grpc::Status s = Authenticate(ctx);
    if (!s.ok()) return s;
    std::lock_guard<std::mutex> l(mu);
    auto it = hazards.find(req->hazard_id());
    if (it == hazards.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such hazard");
    if (Token(ctx) != "worker") {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "hazard not routed to you");
    }
    *resp = it->second;
    return grpc::Status::OK;
  }

  static std::string Token(grpc::ServerContext* ctx) {
    auto it = ctx->client_metadata().find("authorization");
    if (it == ctx->client_metadata().end()) return "";
    std::string v(it->second.data(), it->second.size());
    return absl::StartsWith(v, "Bearer ") ? v.substr(7) : "";
  }

  grpc::Status Authenticate(grpc::ServerContext* ctx) {
    const std::string t = Token(ctx);
    {
      std::lock_guard<std::mutex> l(mu);
      tokens_seen.push_back(t);
      auto id = ctx->client_metadata().find("x-request-id");
      request_ids.push_back(id == ctx->client_metadata().end()
                                ? ""
                                : std::string(id->second.data(), id->second.size()));
    }
    if (t == "worker" || t == "officer" || t == "channel" || t == kLongToken) {
      return grpc::Status::OK;
    }
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "token does not verify");
  }

  std::mutex mu;
  std::map<std::string, hv1::Hazard> hazards;
  std::vector<std::string> tokens_seen;
  std::vector<std::string> request_ids;
  std::atomic<int> list_guidance_calls{0};
  std::atomic<int> get_hazard_calls{0};
};

class EvidenceHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&hazards_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    config_.set_directory(dir_.Join("evidence"));
    Rebuild();
  }
  void TearDown() override { server_->Shutdown(); }

  void Rebuild() {
    auto store = NewBlobStore(config_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    handler_ = NewEvidenceHandler(
        config_, store_.get(),
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }

  HttpResponse Upload(const std::string& body, const std::string& type,
                      const std::string& token = "worker") {
    HttpRequest r;
    r.method = "POST";
    r.path = "/api/v1/evidence";
    r.raw_target = r.path;
    r.request_id = "req-upload-1";
    if (!type.empty()) r.headers["content-type"] = type;
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    r.body = body;
    return handler_->Handle(r);
  }

  HttpResponse Download(const std::string& hazard_id, const std::string& hex,
                        const std::string& token = "worker") {
    HttpRequest r;
    r.method = "GET";
    r.path = absl::StrCat("/api/v1/hazards/", hazard_id, "/evidence/", hex);
    r.raw_target = r.path;
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    return handler_->Handle(r);
  }

  // A hazard hzd_1 naming `evidence` as its report's evidence and `rectification` as its
  // rectification's.
  void AddHazard(const std::string& id, const std::vector<std::string>& evidence,
                 const std::vector<std::string>& rectification = {}) {
    hv1::Hazard h;
    h.set_hazard_id(id);
    for (const auto& uri : evidence) h.add_evidence()->set_uri(uri);
    for (const auto& uri : rectification) h.add_rectification_evidence()->set_uri(uri);
    std::lock_guard<std::mutex> l(hazards_.mu);
    hazards_.hazards[id] = h;
  }

  static std::string HeaderOf(const HttpResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (absl::EqualsIgnoreCase(n, name)) return v;
    }
    return "";
  }
  static std::string CodeOf(const HttpResponse& r) {
    return nlohmann::json::parse(r.body, nullptr, false).value("code", "");
  }

  size_t StoredFiles() {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.Join("evidence"))) {
      if (e.is_regular_file()) ++n;
    }
    return n;
  }

  FakeHazards hazards_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  testing::TempDir dir_{"evidence-handler"};
  config::v1::EvidenceStore config_;
  std::unique_ptr<BlobStore> store_;
  std::unique_ptr<Handler> handler_;
};

TEST_F(EvidenceHandlerTest, UploadStoresTheBytesUnderTheirSha256AndAnswersTheUri) {
  HttpResponse r = Upload(kJpeg, "image/jpeg");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/json");
  nlohmann::json body = nlohmann::json::parse(r.body);
  const std::string hex = evidence::Sha256Hex(kJpeg);
  EXPECT_EQ(body["uri"], "sha256:" + hex);
  EXPECT_EQ(body["size"], kJpeg.size());
  EXPECT_EQ(body["mediaType"], "image/jpeg");
  std::ifstream in(dir_.Join("evidence/sha256/" + hex.substr(0, 2) + "/" + hex), std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), kJpeg);
  // The caller's own token was what the hazards service judged, with the request's id.
  std::lock_guard<std::mutex> l(hazards_.mu);
  ASSERT_EQ(hazards_.tokens_seen.size(), 1u);
  EXPECT_EQ(hazards_.tokens_seen[0], "worker");
  EXPECT_EQ(hazards_.request_ids[0], "req-upload-1");
}

TEST_F(EvidenceHandlerTest, EveryAcceptedTypeUploadsWithParametersInItsContentType) {
  EXPECT_EQ(Upload(kPng, "image/png").status, 201);
  EXPECT_EQ(Upload(kWebp, "image/webp").status, 201);
  EXPECT_EQ(Upload(kPdf, "Application/PDF; charset=binary").status, 201);
}

TEST_F(EvidenceHandlerTest, TheSameBytesTwiceGiveTheSameUriAndAreStoredOnce) {
  HttpResponse first = Upload(kJpeg, "image/jpeg");
  ASSERT_EQ(first.status, 201) << first.body;
  const size_t files = StoredFiles();
  HttpResponse second = Upload(kJpeg, "image/jpeg");
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(nlohmann::json::parse(second.body)["uri"], nlohmann::json::parse(first.body)["uri"]);
  EXPECT_EQ(StoredFiles(), files);
  EXPECT_EQ(files, 2u);  // the bytes and their type
}

TEST_F(EvidenceHandlerTest, AJwtSizedTokenReachesTheHazardsServiceIntact) {
  HttpResponse r = Upload(kJpeg, "image/jpeg", kLongToken);
  EXPECT_EQ(r.status, 201) << r.body;
  std::lock_guard<std::mutex> l(hazards_.mu);
  ASSERT_EQ(hazards_.tokens_seen.size(), 1u);
  EXPECT_EQ(hazards_.tokens_seen[0], kLongToken);
}

TEST_F(EvidenceHandlerTest, UploadWithoutABearerTokenIs401AndAsksNobody) {
  for (const std::string& auth : {std::string(""), std::string("Basic dXNlcjpwdw=="),
                                  std::string("Bearer "), std::string("Bearer a\r\nb")}) {
    HttpRequest r;
    r.method = "POST";
    r.path = "/api/v1/evidence";
    r.headers["content-type"] = "image/jpeg";
    if (!auth.empty()) r.headers["authorization"] = auth;
    r.body = kJpeg;
    HttpResponse resp = handler_->Handle(r);
    EXPECT_EQ(resp.status, 401) << auth;
    EXPECT_EQ(CodeOf(resp), "UNAUTHENTICATED");
    EXPECT_EQ(HeaderOf(resp, "WWW-Authenticate"), "Bearer");
  }
  EXPECT_EQ(hazards_.list_guidance_calls.load(), 0);
  EXPECT_EQ(StoredFiles(), 0u);
}

TEST_F(EvidenceHandlerTest, UploadWithATokenTheHazardsServiceRejectsIs401) {
  HttpResponse r = Upload(kJpeg, "image/jpeg", "forged");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(CodeOf(r), "UNAUTHENTICATED");
  EXPECT_EQ(StoredFiles(), 0u);
}

TEST_F(EvidenceHandlerTest, UploadByARoleTheHazardsServiceRefusesIs403AndStoresNothing) {
  HttpResponse r = Upload(kJpeg, "image/jpeg", "channel");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(CodeOf(r), "PERMISSION_DENIED");
  EXPECT_EQ(StoredFiles(), 0u);
}

TEST_F(EvidenceHandlerTest, UploadLargerThanMaxBytesIs413) {
  config_.set_max_bytes(static_cast<int64_t>(kJpeg.size()));
  Rebuild();
  EXPECT_EQ(Upload(kJpeg, "image/jpeg").status, 201);  // exactly the limit
  HttpResponse r = Upload(kJpeg + "x", "image/jpeg");
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(CodeOf(r), "INVALID_ARGUMENT");
  EXPECT_EQ(StoredFiles(), 2u);  // only the first
}

TEST_F(EvidenceHandlerTest, UploadOfATypeNotAcceptedIs415) {
  HttpResponse gif = Upload("GIF89a....", "image/gif");
  EXPECT_EQ(gif.status, 415) << gif.body;
  EXPECT_EQ(CodeOf(gif), "INVALID_ARGUMENT");
  HttpResponse none = Upload(kJpeg, "");
  EXPECT_EQ(none.status, 415) << none.body;
  HttpResponse html = Upload("<html><script>alert(1)</script>", "text/html");
  EXPECT_EQ(html.status, 415) << html.body;
  // A config that accepts only JPEG refuses PNG.
  config_.add_media_types("image/jpeg");
  Rebuild();
  EXPECT_EQ(Upload(kPng, "image/png").status, 415);
  EXPECT_EQ(Upload(kJpeg, "image/jpeg").status, 201);
}

TEST_F(EvidenceHandlerTest, UploadWhoseContentIsNotItsDeclaredTypeIs400) {
  HttpResponse png_as_jpeg = Upload(kPng, "image/jpeg");
  EXPECT_EQ(png_as_jpeg.status, 400) << png_as_jpeg.body;
  EXPECT_EQ(CodeOf(png_as_jpeg), "INVALID_ARGUMENT");
  EXPECT_EQ(Upload("<svg onload=alert(1)>", "image/png").status, 400);
  EXPECT_EQ(Upload("not a pdf %PDF-", "application/pdf").status, 400);
  EXPECT_EQ(Upload("RIFF\x20\0\0\0WAVE", "image/webp").status, 400);
  EXPECT_EQ(StoredFiles(), 0u);
}

TEST_F(EvidenceHandlerTest, EmptyUploadIs400) {
  HttpResponse r = Upload("", "image/jpeg");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["message"], "body: is empty");
}

TEST_F(EvidenceHandlerTest, UploadWhileTheHazardsServiceIsDownIs503) {
  const int port = port_;
  server_->Shutdown();
  server_.reset();
  handler_ = NewEvidenceHandler(
      config_, store_.get(),
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  HttpResponse r = Upload(kJpeg, "image/jpeg");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(CodeOf(r), "UNAVAILABLE");
  EXPECT_EQ(StoredFiles(), 0u);
  // Restarted for TearDown.
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&hazards_);
  server_ = builder.BuildAndStart();
}

TEST_F(EvidenceHandlerTest, DownloadServesTheBlobWhenTheCallersHazardNamesIt) {
  ASSERT_EQ(Upload(kJpeg, "image/jpeg").status, 201);
  const std::string hex = evidence::Sha256Hex(kJpeg);
  AddHazard("hzd_1", {"https://example.invalid/other.jpg", "sha256:" + hex});
  HttpResponse r = Download("hzd_1", hex);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, kJpeg);
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "image/jpeg");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "private, max-age=3600");
  EXPECT_EQ(HeaderOf(r, "Content-Disposition"), "inline");
  EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(HeaderOf(r, "ETag"), "\"sha256:" + hex + "\"");
}

TEST_F(EvidenceHandlerTest, DownloadServesRectificationEvidenceToo) {
  ASSERT_EQ(Upload(kPdf, "application/pdf").status, 201);
  const std::string hex = evidence::Sha256Hex(kPdf);
  AddHazard("hzd_1", {}, {"sha256:" + hex});
  HttpResponse r = Download("hzd_1", hex);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/pdf");
  EXPECT_EQ(r.body, kPdf);
}

TEST_F(EvidenceHandlerTest, DownloadWithTheCurrentETagIs304WithoutTheBytes) {
  ASSERT_EQ(Upload(kJpeg, "image/jpeg").status, 201);
  const std::string hex = evidence::Sha256Hex(kJpeg);
  AddHazard("hzd_1", {"sha256:" + hex});
  HttpRequest r;
  r.method = "GET";
  r.path = "/api/v1/hazards/hzd_1/evidence/" + hex;
  r.headers["authorization"] = "Bearer worker";
  r.headers["if-none-match"] = "\"sha256:" + hex + "\"";
  HttpResponse resp = handler_->Handle(r);
  EXPECT_EQ(resp.status, 304);
  EXPECT_TRUE(resp.body.empty());
  // Still authorised first: another caller gets 404, not 304.
  r.headers["authorization"] = "Bearer officer";
  EXPECT_EQ(handler_->Handle(r).status, 404);
}

TEST_F(EvidenceHandlerTest, DownloadOfStoredBytesTheHazardDoesNotNameIs404LikeAnUnknownHash) {
  ASSERT_EQ(Upload(kJpeg, "image/jpeg").status, 201);
  ASSERT_EQ(Upload(kPng, "image/png").status, 201);
  AddHazard("hzd_1", {"sha256:" + evidence::Sha256Hex(kPng)});
  HttpResponse stored_elsewhere = Download("hzd_1", evidence::Sha256Hex(kJpeg));
  HttpResponse never_stored = Download("hzd_1", evidence::Sha256Hex("never stored"));
  EXPECT_EQ(stored_elsewhere.status, 404);
  EXPECT_EQ(never_stored.status, 404);
  EXPECT_EQ(stored_elsewhere.body, never_stored.body);  // no oracle of which hashes exist
  EXPECT_EQ(CodeOf(never_stored), "NOT_FOUND");
}

TEST_F(EvidenceHandlerTest, DownloadByACallerWhoMayNotSeeTheHazardIs404) {
  ASSERT_EQ(Upload(kJpeg, "image/jpeg").status, 201);
  const std::string hex = evidence::Sha256Hex(kJpeg);
  AddHazard("hzd_1", {"sha256:" + hex});
  HttpResponse officer = Download("hzd_1", hex, "officer");
  HttpResponse unknown_hazard = Download("hzd_2", hex);
  EXPECT_EQ(officer.status, 404);
  EXPECT_EQ(unknown_hazard.status, 404);
  EXPECT_EQ(officer.body, unknown_hazard.body);
  std::lock_guard<std::mutex> l(hazards_.mu);
  EXPECT_EQ(hazards_.tokens_seen.back(), "worker");
  EXPECT_EQ(hazards_.tokens_seen[hazards_.tokens_seen.size() - 2], "officer");
}

TEST_F(EvidenceHandlerTest, DownloadWithoutAValidTokenIs401) {
  ASSERT_EQ(Upload(kJpeg, "image/jpeg").status, 201);
  const std::string hex = evidence::Sha256Hex(kJpeg);
  AddHazard("hzd_1", {"sha256:" + hex});
  HttpResponse none = Download("hzd_1", hex, "");
  EXPECT_EQ(none.status, 401);
  HttpResponse forged = Download("hzd_1", hex, "forged");
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(CodeOf(forged), "UNAUTHENTICATED");
}

TEST_F(EvidenceHandlerTest, TraversalOrAnythingButSixtyFourLowerCaseHexIs404BeforeAnyLookup) {
  // A file a traversal would reach, and a hazard (as a broken hazards service might answer)
  // that "names" it.
  std::ofstream(dir_.Join("secret.pdf")) << "%PDF-secret";
  AddHazard("hzd_1", {"sha256:../../secret.pdf", "sha256:../../../secret.pdf"});
  const std::string hex = evidence::Sha256Hex(kJpeg);
  for (const std::string& tail :
       {std::string("../../secret.pdf"), std::string("../../../secret.pdf"),
        std::string("..%2F..%2Fsecret.pdf"), absl::AsciiStrToUpper(hex), hex.substr(0, 63),
        hex + "0", hex + "/", hex + "/x", std::string(64, 'g'), std::string(62, 'a') + "..",
        std::string("")}) {
    HttpResponse r = Download("hzd_1", tail);
    EXPECT_EQ(r.status, 404) << tail;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << tail;
  }
  for (const std::string& id :
       {std::string(".."), std::string("hzd_1/.."), std::string(""), std::string("hzd 1")}) {
    EXPECT_EQ(Download(id, hex).status, 404) << id;
  }
  EXPECT_EQ(hazards_.get_hazard_calls.load(), 0);
}

TEST_F(EvidenceHandlerTest, OtherPathsAre404AndOtherMethods405) {
  HttpRequest r;
  r.method = "GET";
  r.headers["authorization"] = "Bearer worker";
  for (const std::string& path :
       {std::string("/api/v1/evidence/x"), std::string("/api/v1/hazards/hzd_1"),
        std::string("/api/v1/hazards/hzd_1/evidence"),
        std::string("/api/v1/hazards/hzd_1/photos/") + std::string(64, 'a'),
        std::string("/api/v1/evidencex")}) {
    r.path = path;
    EXPECT_EQ(handler_->Handle(r).status, 404) << path;
  }
  r.path = "/api/v1/evidence";
  HttpResponse get_upload = handler_->Handle(r);
  EXPECT_EQ(get_upload.status, 405);
  EXPECT_EQ(HeaderOf(get_upload, "Allow"), "POST");
  r.method = "DELETE";
  r.path = "/api/v1/hazards/hzd_1/evidence/" + std::string(64, 'a');
  EXPECT_EQ(handler_->Handle(r).status, 405);
}

TEST_F(EvidenceHandlerTest, TheGatewaysTokenCheckAnswersFirstAndBadTokensNeverReachHazards) {
  ASSERT_EQ(Upload(kJpeg, "image/jpeg").status, 201);
  const std::string hex = evidence::Sha256Hex(kJpeg);
  AddHazard("hzd_1", {"sha256:" + hex});
  const int guidance_before = hazards_.list_guidance_calls.load();
  std::atomic<int> checks{0};
  // The gateway's check: "worker" verifies; "throttled" comes from an address out of attempts;
  // anything else does not verify.
  handler_ = NewEvidenceHandler(
      config_, store_.get(),
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()),
      [&checks](const HttpRequest& r) -> absl::StatusOr<std::string> {
        ++checks;
        const std::string auth = r.Header("authorization");
        if (auth == "Bearer worker") return std::string("worker");
        if (auth == "Bearer throttled") {
          return absl::ResourceExhaustedError("too many failed authentications");
        }
        if (auth == "Bearer flooding") {  // over the principal's rate limit
          return WithRetryAfter(absl::ResourceExhaustedError("rate limit of this principal"),
                                absl::Milliseconds(1200));
        }
        return absl::UnauthenticatedError("token does not verify");
      });
  HttpResponse forged_upload = Upload(kPng, "image/png", "forged");
  EXPECT_EQ(forged_upload.status, 401);
  EXPECT_EQ(HeaderOf(forged_upload, "WWW-Authenticate"), "Bearer");
  HttpResponse throttled = Upload(kPng, "image/png", "throttled");
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(CodeOf(throttled), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(HeaderOf(throttled, "Retry-After"), "");
  HttpResponse flooding = Upload(kPng, "image/png", "flooding");
  EXPECT_EQ(flooding.status, 429);
  EXPECT_EQ(HeaderOf(flooding, "Retry-After"), "2");  // 1.2 s, rounded up
  EXPECT_EQ(Download("hzd_1", hex, "forged").status, 401);
  EXPECT_EQ(hazards_.list_guidance_calls.load(), guidance_before);
  EXPECT_EQ(hazards_.get_hazard_calls.load(), 0);
  // A token the check accepts goes on to the hazards service, which still decides.
  EXPECT_EQ(Upload(kPng, "image/png", "worker").status, 201);
  EXPECT_EQ(Download("hzd_1", hex, "worker").status, 200);
  EXPECT_EQ(checks.load(), 6);
}

TEST(NewBlobStore, RefusesAConfigWithoutAStoreOrWithAnUncheckableType) {
  config::v1::EvidenceStore none;
  absl::StatusOr<std::unique_ptr<BlobStore>> s = NewBlobStore(none);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.status().message(), "evidence:")) << s.status();
  testing::TempDir dir("evidence-config");
  config::v1::EvidenceStore gif;
  gif.set_directory(dir.Join("evidence"));
  gif.add_media_types("image/gif");
  EXPECT_EQ(NewBlobStore(gif).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EvidenceMaxBytes(gif), 10 * 1024 * 1024);
  gif.set_max_bytes(5);
  EXPECT_EQ(EvidenceMaxBytes(gif), 5);
}

}  // namespace
}  // namespace firegrid::gateway
