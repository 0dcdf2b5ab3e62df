#include "services/gateway/evidence/evidence_handler.h"

#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/clock.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "nlohmann/json.hpp"
#include "services/gateway/evidence/directory_store.h"
#include "services/gateway/evidence/hashing.h"
#include "services/gateway/evidence/policy.h"
#include "services/gateway/evidence/s3_store.h"
#include "services/gateway/http_util.h"

namespace firegrid::gateway {
namespace {

namespace hv1 = ::firegrid::hazards::v1;
using evidence::EvidencePolicy;

constexpr absl::string_view kUploadPath = "/api/v1/evidence";
constexpr absl::string_view kHazardsPrefix = "/api/v1/hazards/";
constexpr auto kHazardsDeadline = std::chrono::seconds(10);

HttpResponse Error(int status, absl::StatusCode code, absl::string_view message) {
  nlohmann::json body = {{"code", absl::StatusCodeToString(code)},
                         {"message", std::string(message)}};
  return HttpResponse::Make(status, "application/json", body.dump());
}

HttpResponse NotFound() {
  // One answer for every reason a download is refused (no hazard, not visible, not named, not
  // stored, malformed): nobody learns which hashes exist.
  return Error(404, absl::StatusCode::kNotFound, "evidence not found");
}

HttpResponse Unauthenticated(absl::string_view message) {
  HttpResponse r = Error(401, absl::StatusCode::kUnauthenticated, message);
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

// The HTTP answer to a failed call of the hazards service (as the JSON API maps gRPC codes).
// Messages of INTERNAL and UNKNOWN stay in the log.
HttpResponse FromHazards(const grpc::Status& s) {
  const auto code = static_cast<absl::StatusCode>(s.error_code());
  switch (s.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      return Unauthenticated(s.error_message());
    case grpc::StatusCode::PERMISSION_DENIED:
      return Error(403, code, s.error_message());
    case grpc::StatusCode::INVALID_ARGUMENT:
      return Error(400, code, s.error_message());
    case grpc::StatusCode::NOT_FOUND:
      return Error(404, code, s.error_message());
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return Error(429, code, s.error_message());
    case grpc::StatusCode::UNAVAILABLE:
      return Error(503, code, "the hazards service is unavailable");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Error(504, code, "the hazards service did not answer in time");
    default:
      log::Warn("evidence: hazards call failed",
                {{"code", absl::StatusCodeToString(code)}, {"detail", s.error_message()}});
      return Error(500, absl::StatusCode::kInternal, "internal error");
  }
}

HttpResponse FromStore(const absl::Status& s, absl::string_view op) {
  if (absl::IsUnavailable(s)) {
    return Error(503, absl::StatusCode::kUnavailable, "the evidence store is unavailable");
  }
  log::Error("evidence store failed", {{"op", std::string(op)}, {"detail", s.ToString()}});
  return Error(500, absl::StatusCode::kInternal, "internal error");
}

// A token's characters: those of a JWT or an opaque base64 token, never anything a gRPC header
// cannot carry.
bool IsPlausibleToken(absl::string_view token) {
  if (token.empty() || token.size() > 8192) return false;
  for (char c : token) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != '~' && c != '+' && c != '/' && c != '=') {
      return false;
    }
  }
  return true;
}

// The bearer token of the request; "" when there is none or it is not plausible.
std::string BearerToken(const HttpRequest& request) {
  const std::string header = request.Header("authorization");  // a copy: keep it alive
  absl::string_view value = absl::StripAsciiWhitespace(header);
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) return "";
  absl::string_view token = absl::StripLeadingAsciiWhitespace(value.substr(7));
  return IsPlausibleToken(token) ? std::string(token) : "";
}

bool IsPathSegmentId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

bool NamesEvidence(const hv1::Hazard& hazard, const std::string& uri) {
  for (const auto& e : hazard.evidence()) {
    if (e.uri() == uri) return true;
  }
  for (const auto& e : hazard.rectification_evidence()) {
    if (e.uri() == uri) return true;
  }
  return false;
}

class EvidenceHandler final : public Handler {
 public:
  EvidenceHandler(EvidencePolicy policy, BlobStore* store, std::shared_ptr<grpc::Channel> hazards,
                  BearerCheck check)
      : policy_(std::move(policy)),
        store_(store),
        hazards_(hv1::HazardService::NewStub(hazards)),
        check_(std::move(check)) {}

  HttpResponse Handle(const HttpRequest& request) override {
    if (request.path == kUploadPath) {
      if (request.method != "POST") return MethodNotAllowed("POST");
      return Upload(request);
    }
    absl::string_view rest = request.path;
    if (!absl::ConsumePrefix(&rest, kHazardsPrefix)) return NotFound();
    std::vector<absl::string_view> parts = absl::StrSplit(rest, '/');
    if (parts.size() != 3 || parts[1] != "evidence") return NotFound();
    if (request.method != "GET") return MethodNotAllowed("GET");
    // The hex must be exactly a content address: no dots, slashes or other characters ever
    // reach the store.
    if (!IsPathSegmentId(parts[0]) || !evidence::IsSha256Hex(parts[2])) return NotFound();
    return Download(request, std::string(parts[0]), std::string(parts[2]));
  }

 private:
  static HttpResponse MethodNotAllowed(absl::string_view allow) {
    HttpResponse r = Error(405, absl::StatusCode::kUnimplemented,
                           absl::StrCat("method not allowed (allowed: ", allow, ")"));
    r.headers.emplace_back("Allow", std::string(allow));
    return r;
  }

  // The caller's token, after the gateway's check when there is one; else the error answer.
  absl::StatusOr<std::string> Token(const HttpRequest& request) const {
    if (check_) {
      absl::StatusOr<std::string> token = check_(request);
      if (!token.ok()) return token.status();
      // What the check accepted must still be something a gRPC header can carry.
      if (!IsPlausibleToken(*token)) return absl::UnauthenticatedError("malformed bearer token");
      return token;
    }
    std::string token = BearerToken(request);
    if (token.empty()) return absl::UnauthenticatedError("a bearer token is required");
    return token;
  }

  static HttpResponse TokenRefused(const absl::Status& s) {
    if (absl::IsResourceExhausted(s)) {
      HttpResponse r = Error(429, absl::StatusCode::kResourceExhausted, s.message());
      // The principal's rate limit (BearerGate) says when to retry.
      if (std::optional<absl::Duration> delay = RetryAfterOf(s); delay.has_value()) {
        r.headers.emplace_back("Retry-After", RetryAfterValue(*delay));
      }
      return r;
    }
    return Unauthenticated(s.message());
  }

  // The call as the caller: its token, and the request id for the logs on both sides.
  void Prepare(grpc::ClientContext* ctx, const std::string& token,
               const HttpRequest& request) const {
    ctx->set_deadline(std::chrono::system_clock::now() + kHazardsDeadline);
    auth::AttachToken(ctx, token);
    if (!request.request_id.empty() && IsPlausibleToken(request.request_id)) {
      ctx->AddMetadata("x-request-id", request.request_id);
    }
  }

  HttpResponse Upload(const HttpRequest& request) {
    absl::StatusOr<std::string> checked = Token(request);
    if (!checked.ok()) return TokenRefused(checked.status());
    const std::string& token = *checked;
    // Who may upload is the hazards service's to say: ListGuidance is its cheapest call that
    // needs an authorised caller of the console's roles (public channels and unknown tokens are
    // refused there), so an upload needs what reading the guidance needs.
    {
      grpc::ClientContext ctx;
      Prepare(&ctx, token, request);
      hv1::ListGuidanceResponse ignored;
      grpc::Status s = hazards_->ListGuidance(&ctx, hv1::ListGuidanceRequest(), &ignored);
      if (!s.ok()) return FromHazards(s);
    }
    const int64_t size = static_cast<int64_t>(request.body.size());
    if (size > policy_.max_bytes) {
      return Error(413, absl::StatusCode::kInvalidArgument,
                   absl::StrCat("body: ", size, " bytes is more than the limit of ",
                                policy_.max_bytes, " bytes"));
    }
    if (size == 0) return Error(400, absl::StatusCode::kInvalidArgument, "body: is empty");
    const std::string declared = evidence::MediaTypeOf(request.Header("content-type"));
    if (!policy_.Accepts(declared)) {
      return Error(
          415, absl::StatusCode::kInvalidArgument,
          absl::StrCat("Content-Type: ",
                       declared.empty() ? "is required" : "'" + declared + "' is not accepted",
                       " (accepted: ", absl::StrJoin(policy_.media_types, ", "), ")"));
    }
    if (evidence::SniffMediaType(request.body) != declared) {
      return Error(400, absl::StatusCode::kInvalidArgument,
                   absl::StrCat("body: the content is not ", declared,
                                " (it does not start with that type's signature)"));
    }
    absl::StatusOr<std::string> hex = store_->Put(request.body, declared);
    if (!hex.ok()) return FromStore(hex.status(), "put");
    log::Info("evidence stored", {{"uri", absl::StrCat("sha256:", *hex)},
                                  {"size", size},
                                  {"media_type", declared},
                                  {"request_id", request.request_id},
                                  {"client_address", request.client_address}});
    nlohmann::json body = {
        {"uri", absl::StrCat("sha256:", *hex)}, {"size", size}, {"mediaType", declared}};
    return HttpResponse::Make(201, "application/json", body.dump());
  }

  HttpResponse Download(const HttpRequest& request, const std::string& hazard_id,
                        const std::string& hex) {
    absl::StatusOr<std::string> checked = Token(request);
    if (!checked.ok()) return TokenRefused(checked.status());
    const std::string& token = *checked;
    hv1::Hazard hazard;
    {
      grpc::ClientContext ctx;
      Prepare(&ctx, token, request);
      hv1::GetHazardRequest req;
      req.set_hazard_id(hazard_id);
      grpc::Status s = hazards_->GetHazard(&ctx, req, &hazard);
      if (!s.ok()) {
        switch (s.error_code()) {
          case grpc::StatusCode::UNAUTHENTICATED:
          case grpc::StatusCode::RESOURCE_EXHAUSTED:
          case grpc::StatusCode::UNAVAILABLE:
          case grpc::StatusCode::DEADLINE_EXCEEDED:
            return FromHazards(s);  // about the caller or the service, never about the hash
          default:
            return NotFound();
        }
      }
    }
    const std::string uri = absl::StrCat("sha256:", hex);
    if (!NamesEvidence(hazard, uri)) return NotFound();
    const std::string etag = absl::StrCat("\"", uri, "\"");
    if (request.Header("if-none-match") == etag) {
      HttpResponse r;
      r.status = 304;
      AddBlobHeaders(&r, etag);
      return r;
    }
    absl::StatusOr<BlobStore::Blob> blob = store_->Get(hex);
    if (absl::IsNotFound(blob.status())) {
      log::Warn("evidence: a hazard names evidence that is not stored",
                {{"hazard_id", hazard_id}, {"uri", uri}});
      return NotFound();
    }
    if (!blob.ok()) return FromStore(blob.status(), "get");
    HttpResponse r = HttpResponse::Make(200, blob->media_type, std::move(blob->bytes));
    AddBlobHeaders(&r, etag);
    return r;
  }

  static void AddBlobHeaders(HttpResponse* r, const std::string& etag) {
    r->headers.emplace_back("Cache-Control", "private, max-age=3600");
    r->headers.emplace_back("Content-Disposition", "inline");
    r->headers.emplace_back("X-Content-Type-Options", "nosniff");
    r->headers.emplace_back("ETag", etag);
  }

  const EvidencePolicy policy_;
  BlobStore* const store_;
  const std::unique_ptr<hv1::HazardService::Stub> hazards_;
  const BearerCheck check_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<BlobStore>> NewBlobStore(const config::v1::EvidenceStore& config) {
  FG_RETURN_IF_ERROR(evidence::ResolvePolicy(config).status());
  switch (config.backend_case()) {
    case config::v1::EvidenceStore::kDirectory: {
      FG_ASSIGN_OR_RETURN(auto store, evidence::DirectoryBlobStore::Open(config.directory()));
      return std::unique_ptr<BlobStore>(std::move(store));
    }
    case config::v1::EvidenceStore::kS3: {
      FG_ASSIGN_OR_RETURN(auto store, evidence::S3BlobStore::Create(config.s3(), RealClock::Get()));
      return std::unique_ptr<BlobStore>(std::move(store));
    }
    case config::v1::EvidenceStore::BACKEND_NOT_SET:
      break;
  }
  return InvalidField("evidence", "set a store: directory or s3");
}

int64_t EvidenceMaxBytes(const config::v1::EvidenceStore& config) {
  return config.max_bytes() > 0 ? config.max_bytes() : evidence::kDefaultMaxBytes;
}

std::unique_ptr<Handler> NewEvidenceHandler(const config::v1::EvidenceStore& config,
                                            BlobStore* store,
                                            std::shared_ptr<grpc::Channel> hazards,
                                            BearerCheck check) {
  absl::StatusOr<EvidencePolicy> policy = evidence::ResolvePolicy(config);
  if (!policy.ok()) {
    // NewBlobStore refuses such a config at start-up; should one get here, accept nothing.
    log::Error("evidence: invalid config; uploads refused",
               {{"detail", policy.status().ToString()}});
    policy = EvidencePolicy{};
    policy->media_types.clear();
  }
  return std::make_unique<EvidenceHandler>(*std::move(policy), store, std::move(hazards),
                                           std::move(check));
}

}  // namespace firegrid::gateway
