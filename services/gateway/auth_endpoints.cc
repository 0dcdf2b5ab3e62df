#include "services/gateway/auth_endpoints.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "firegrid/accounts/v1/accounts.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/principal.h"
#include "nlohmann/json.hpp"
#include "services/gateway/http_util.h"
#include "services/gateway/json_api.h"
#include "services/gateway/oidc_sign_in.h"

namespace firegrid::gateway {
namespace pb = google::protobuf;
namespace acc = accounts::v1;

namespace {

const pb::MethodDescriptor* AccountsMethod(const std::string& name) {
  return acc::SignInRequest::descriptor()
      ->file()
      ->FindServiceByName("AccountsService")
      ->FindMethodByName(name);
}

bool IsJson(const HttpRequest& r) {
  return absl::StartsWithIgnoreCase(r.Header("content-type"), "application/json");
}

}  // namespace

std::string RefreshCookie(const std::string& token, absl::Duration max_age) {
  return absl::StrCat(kRefreshCookie, "=", token, "; Path=", kAuthPath,
                      "; HttpOnly; Secure; SameSite=Strict; Max-Age=",
                      std::max<int64_t>(0, absl::ToInt64Seconds(max_age)));
}

bool CookieCallAllowed(const HttpRequest& r, const std::vector<std::string>& allowed) {
  return r.Header("x-firegrid-csrf") == "1" && OriginSameOrAllowed(r, allowed);
}

HttpResponse CookieCallRefused() {
  return JsonError(403, absl::StatusCode::kPermissionDenied,
                   "X-Firegrid-CSRF: 1 and an allowed Origin are required");
}

HttpResponse SessionResponse(const std::string& token, const auth::Principal& who) {
  nlohmann::json j = {
      {"accessToken", token},
      {"accessTokenExpiresAt", pb::util::TimeUtil::ToString(pb::util::TimeUtil::SecondsToTimestamp(
                                   absl::ToUnixSeconds(who.expiry)))},
      {"user",
       {{"subject", who.subject},
        {"role", std::string(auth::RoleName(who.role))},
        {"orgUnit", who.org_unit},
        {"tierPath", who.tier_path},
        {"department", who.department}}}};
  return JsonResponse(200, j.dump());
}

std::string CookieValue(const std::string& header, const std::string& name) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
      return std::string(part);
    }
  }
  return "";
}

AuthHandler::AuthHandler(const BearerGate* gate, std::shared_ptr<grpc::Channel> accounts,
                         std::function<absl::StatusOr<std::string>()> service_token, Clock* clock,
                         AuthOptions options)
    : gate_(gate),
      accounts_(std::move(accounts)),
      service_token_(std::move(service_token)),
      clock_(clock),
      options_(std::move(options)) {
  if (options_.sign_in.has_oidc()) {
    oidc_ = std::make_unique<OidcSignIn>(gate_, options_.oidc_token_endpoint,
                                         options_.sign_in.oidc(), options_.allowed_origins);
  }
}

AuthHandler::~AuthHandler() = default;

HttpResponse AuthHandler::Handle(const HttpRequest& r) {
  const std::string& p = r.path;
  const auto method_is = [&](const char* m) { return r.method == m; };
  auto wrong_method = [](const char* allow) {
    HttpResponse e =
        JsonError(405, absl::StatusCode::kInvalidArgument, absl::StrCat("use ", allow));
    e.headers.emplace_back("Allow", allow);
    return e;
  };
  if (p == "/.well-known/jwks.json") return method_is("GET") ? Jwks(r) : wrong_method("GET");
  if (p == "/api/v1/auth/config") return method_is("GET") ? Config() : wrong_method("GET");
  if (oidc_ != nullptr) {
    if (p == "/api/v1/auth/oidc/start") {
      return method_is("GET") ? oidc_->Start(r) : wrong_method("GET");
    }
    if (p == "/api/v1/auth/oidc/callback") {
      return method_is("GET") ? oidc_->Callback(r) : wrong_method("GET");
    }
    if (p == "/api/v1/auth/oidc/session") {
      return method_is("POST") ? oidc_->Session(r) : wrong_method("POST");
    }
    if (p == "/api/v1/auth/refresh") {
      return method_is("POST") ? oidc_->Refresh(r) : wrong_method("POST");
    }
    if (p == "/api/v1/auth/sign-out") {
      return method_is("POST") ? oidc_->SignOut(r) : wrong_method("POST");
    }
  }
  if (p == "/api/v1/auth/sign-in") return method_is("POST") ? SignIn(r) : wrong_method("POST");
  if (p == "/api/v1/auth/refresh") return method_is("POST") ? Refresh(r) : wrong_method("POST");
  if (p == "/api/v1/auth/sign-out") return method_is("POST") ? SignOut(r) : wrong_method("POST");
  if (p == "/api/v1/auth/token-session" && options_.token_sign_in) {
    return method_is("POST") ? TokenSession(r) : wrong_method("POST");
  }
  return JsonError(404, absl::StatusCode::kNotFound, "no such resource");
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> AuthHandler::TrustedMetadata(
    const HttpRequest& r) const {
  absl::StatusOr<std::string> token = service_token_();
  if (!token.ok()) {
    return absl::UnavailableError(
        absl::StrCat("the gateway's service token: ", token.status().message()));
  }
  return std::vector<std::pair<std::string, std::string>>{
      {"x-firegrid-client-address", r.client_address},
      {"x-firegrid-service-token", *token},
      {"x-request-id", r.request_id}};
}

HttpResponse AuthHandler::SignIn(const HttpRequest& r) {
  if (options_.sign_in.has_oidc()) {
    return JsonError(404, absl::StatusCode::kNotFound,
                     "sign-in is with the OpenID Connect provider (see /api/v1/auth/config)");
  }
  if (!r.Header("origin").empty() && !OriginSameOrAllowed(r, options_.allowed_origins)) {
    return JsonError(403, absl::StatusCode::kPermissionDenied, "origin not allowed");
  }
  if (!IsJson(r)) {
    return JsonError(415, absl::StatusCode::kInvalidArgument,
                     "Content-Type must be application/json");
  }
  acc::SignInRequest in;
  if (auto s = pb::util::JsonStringToMessage(r.body, &in); !s.ok()) {
    return JsonError(400, absl::StatusCode::kInvalidArgument,
                     absl::StrCat("body: ", s.message().as_string()));
  }
  auto md = TrustedMetadata(r);
  if (!md.ok()) return JsonError(md.status());
  acc::SignInResponse out;
  absl::Status s = CallUnary({.channel = accounts_,
                              .method = AccountsMethod("SignIn"),
                              .metadata = *md,
                              .deadline = options_.deadline},
                             in, &out);
  if (!s.ok()) return JsonError(s);
  const std::string refresh = out.refresh_token();
  const absl::Time refresh_expiry = absl::FromUnixSeconds(out.refresh_token_expires_at().seconds());
  out.clear_refresh_token();
  HttpResponse resp = JsonResponse(200, ApiJson(out));
  if (!refresh.empty()) {
    resp.headers.emplace_back("Set-Cookie", RefreshCookie(refresh, refresh_expiry - clock_->Now()));
  }
  return resp;
}

HttpResponse AuthHandler::Refresh(const HttpRequest& r) {
  if (!CookieCallAllowed(r, options_.allowed_origins)) return CookieCallRefused();
  const std::string cookie = CookieValue(r.Header("cookie"), kRefreshCookie);
  if (cookie.empty()) {
    return JsonError(401, absl::StatusCode::kUnauthenticated, "not signed in");
  }
  auto md = TrustedMetadata(r);
  if (!md.ok()) return JsonError(md.status());
  acc::RefreshRequest in;
  in.set_refresh_token(cookie);
  acc::SignInResponse out;
  absl::Status s = CallUnary({.channel = accounts_,
                              .method = AccountsMethod("Refresh"),
                              .metadata = *md,
                              .deadline = options_.deadline},
                             in, &out);
  if (!s.ok()) {
    HttpResponse e = JsonError(s);
    if (s.code() == absl::StatusCode::kUnauthenticated) {
      e.headers.emplace_back("Set-Cookie", RefreshCookie("", absl::ZeroDuration()));
    }
    return e;
  }
  const std::string refresh = out.refresh_token();
  const absl::Time refresh_expiry = absl::FromUnixSeconds(out.refresh_token_expires_at().seconds());
  out.clear_refresh_token();
  HttpResponse resp = JsonResponse(200, ApiJson(out));
  resp.headers.emplace_back("Set-Cookie", RefreshCookie(refresh, refresh_expiry - clock_->Now()));
  return resp;
}

HttpResponse AuthHandler::SignOut(const HttpRequest& r) {
  if (!CookieCallAllowed(r, options_.allowed_origins)) return CookieCallRefused();
  const std::string cookie = CookieValue(r.Header("cookie"), kRefreshCookie);
  if (!cookie.empty()) {
    acc::SignOutRequest in;
    in.set_refresh_token(cookie);
    acc::SignOutResponse out;
    absl::Status s = CallUnary({.channel = accounts_,
                                .method = AccountsMethod("SignOut"),
                                .metadata = {{"x-request-id", r.request_id}},
                                .deadline = options_.deadline},
                               in, &out);
    if (!s.ok() && s.code() != absl::StatusCode::kUnauthenticated &&
        s.code() != absl::StatusCode::kNotFound) {
      return JsonError(s);
    }
  }
  HttpResponse resp = JsonResponse(200, "{}");
  resp.headers.emplace_back("Set-Cookie", RefreshCookie("", absl::ZeroDuration()));
  return resp;
}

HttpResponse AuthHandler::Config() const {
  nlohmann::json j;
  if (options_.sign_in.has_oidc()) {
    const auto& o = options_.sign_in.oidc();
    std::vector<std::string> scopes(o.scopes().begin(), o.scopes().end());
    if (scopes.empty()) scopes = {"openid", "profile"};
    j = {{"mode", "oidc"},
         {"issuer", o.issuer()},
         {"clientId", o.client_id()},
         {"authorizationEndpoint", o.authorization_endpoint()},
         {"tokenEndpoint", o.token_endpoint()},
         {"endSessionEndpoint", o.end_session_endpoint()},
         {"scopes", scopes}};
  } else {
    j = {{"mode", "built_in"}};
  }
  j["tokenSignIn"] = options_.token_sign_in;
  return JsonResponse(200, j.dump());
}

HttpResponse AuthHandler::TokenSession(const HttpRequest& r) {
  if (!IsJson(r)) {
    return JsonError(415, absl::StatusCode::kInvalidArgument,
                     "Content-Type must be application/json");
  }
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  if (!body.is_object() || !body.contains("token") || !body["token"].is_string() ||
      body["token"].get<std::string>().empty()) {
    return JsonError(400, absl::StatusCode::kInvalidArgument, "token: required");
  }
  const std::string token = body["token"].get<std::string>();
  auto who = gate_->CheckToken(token, r.client_address);
  if (!who.ok()) return JsonError(who.status());
  return SessionResponse(token, *who);
}

HttpResponse AuthHandler::Jwks(const HttpRequest& r) {
  acc::GetJwksRequest in;
  acc::Jwks out;
  absl::Status s = CallUnary({.channel = accounts_,
                              .method = AccountsMethod("GetJwks"),
                              .metadata = {{"x-request-id", r.request_id}},
                              .deadline = options_.deadline},
                             in, &out);
  if (!s.ok()) return JsonError(s);
  HttpResponse resp = HttpResponse::Make(200, "application/json", out.json());
  resp.headers.emplace_back("Cache-Control", "public, max-age=300");
  return resp;
}

}  // namespace firegrid::gateway
