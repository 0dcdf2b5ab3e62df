#include "services/gateway/open311/open311_handler.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <map>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/rate_limit.h"
#include "libs/auth/service_token.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "libs/common/trace.h"
#include "services/gateway/http_util.h"
#include "services/gateway/open311/params.h"
#include "services/gateway/open311/render.h"
#include "services/gateway/open311/services_table.h"

namespace firegrid::gateway {
namespace {

namespace hv1 = ::firegrid::hazards::v1;
namespace bv1 = ::firegrid::buildings::v1;
using Json = nlohmann::ordered_json;
using open311::ErrorResponse;
using open311::Format;
using open311::Params;
using open311::Render;

constexpr absl::string_view kPrefix = "/open311/v2/";
// How far the nearest registered building may be to place an unmatched report in its street
// (and the farthest match_radius_m may reach).
constexpr double kStreetRadiusM = 3000;
// GeoReport v2: at most 1000 requests per answer, a date range of at most 90 days.
constexpr int kMaxResults = 1000;
constexpr absl::Duration kMaxRange = absl::Hours(24 * 90);
constexpr int kMaxIds = 100;

using Sha256 = std::array<uint8_t, SHA256_DIGEST_LENGTH>;

Sha256 Sha256Of(absl::string_view data) {
  Sha256 out;
  SHA256(reinterpret_cast<const uint8_t*>(data.data()), data.size(), out.data());
  return out;
}

std::string Hex(const Sha256& d) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

struct ChannelEntry {
  std::string name;
  Sha256 key_hash;
  int per_minute;
  std::unique_ptr<auth::Limiter> limiter;
};

// A limit of `per_minute` requests a minute (bursts of as many).
std::unique_ptr<auth::Limiter> NewLimiter(const Open311Backends& backends, const std::string& name,
                                          int per_minute) {
  if (backends.new_limiter) return backends.new_limiter(name, per_minute / 60.0, per_minute);
  return std::make_unique<auth::RateLimiter>(per_minute / 60.0, per_minute, backends.clock);
}

// An error on the way to a response; the status code picks the HTTP status.
absl::Status Refused(absl::string_view field, absl::string_view problem) {
  return InvalidField(field, problem);
}

int HttpStatusOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    default:
      return 500;
  }
}

// A gRPC error of the hazards or buildings service, as this endpoint reports it. The services'
// field errors and refusals pass through; a refused channel token or an unreachable service is
// the gateway's problem (500), not the caller's key.
absl::Status Upstream(const grpc::Status& s, absl::string_view what) {
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return FromGrpcStatus(s);
    default:
      log::Warn("open311: upstream call failed", {{"call", std::string(what)},
                                                  {"code", static_cast<int>(s.error_code())},
                                                  {"message", s.error_message()}});
      return absl::InternalError(absl::StrCat(what, " failed; try again later"));
  }
}

// Text a person typed: valid UTF-8, CR LF as LF, no other control characters but tab.
absl::StatusOr<std::string> CleanText(absl::string_view field, absl::string_view value,
                                      size_t max_bytes) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == '\r') {
      if (i + 1 < value.size() && value[i + 1] == '\n') continue;
      out += '\n';
      continue;
    }
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      return Refused(field, "must not hold control characters");
    }
    out += static_cast<char>(c);
  }
  if (!open311::IsValidUtf8(out)) return Refused(field, "must be UTF-8 text");
  if (out.size() > max_bytes) return Refused(field, absl::StrCat("at most ", max_bytes, " bytes"));
  return out;
}

absl::StatusOr<double> ParseCoordinate(absl::string_view field, absl::string_view text,
                                       double limit) {
  double v;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(text), &v) || !std::isfinite(v) ||
      std::fabs(v) > limit) {
    return Refused(field, absl::StrCat("must be a number in [-", limit, ", ", limit, "]"));
  }
  return v;
}

// An http(s) URL: kept as the hazard's evidence, never fetched by the gateway.
absl::Status ValidateMediaUrl(absl::string_view url) {
  if (url.size() > 2048) return Refused("media_url", "at most 2048 bytes");
  absl::string_view rest = url;
  const std::string lower = absl::AsciiStrToLower(url.substr(0, 8));
  if (absl::StartsWith(lower, "https://")) {
    rest.remove_prefix(8);
  } else if (absl::StartsWith(lower, "http://")) {
    rest.remove_prefix(7);
  } else {
    return Refused("media_url", "must be an http or https URL");
  }
  if (rest.empty() || rest[0] == '/' || rest[0] == '?' || rest[0] == '#') {
    return Refused("media_url", "must name a host");
  }
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return Refused("media_url", "must not hold spaces, control or non-ASCII characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEmail(absl::string_view email) {
  if (email.size() > 64) return Refused("email", "at most 64 bytes");
  const size_t at = email.find('@');
  if (at == absl::string_view::npos || at == 0 || at + 1 >= email.size() ||
      email.find('@', at + 1) != absl::string_view::npos) {
    return Refused("email", "must be an e-mail address");
  }
  for (char c : email) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return Refused("email", "must be an e-mail address");
  }
  return absl::OkStatus();
}

absl::Status ValidatePhone(absl::string_view phone) {
  int digits = 0;
  for (char c : phone) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      ++digits;
    } else if (!absl::StrContains("+-() ", c)) {
      return Refused("phone", "must be digits, with + - ( ) or spaces");
    }
  }
  if (digits < 3 || phone.size() > 30) return Refused("phone", "must be 3 to 30 characters");
  return absl::OkStatus();
}

std::string First(const Params& params, const std::string& name) {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

std::vector<std::string> CommaList(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) out.emplace_back(part);
  }
  return out;
}

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

google::protobuf::Timestamp ProtoTime(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t ns = absl::ToUnixNanos(t);
  out.set_seconds(ns / 1'000'000'000);
  out.set_nanos(static_cast<int32_t>(ns % 1'000'000'000));
  if (out.nanos() < 0) {
    out.set_seconds(out.seconds() - 1);
    out.set_nanos(out.nanos() + 1'000'000'000);
  }
  return out;
}

Json DateTimeOrNull(const google::protobuf::Timestamp& t, bool present) {
  if (!present) return nullptr;
  return open311::FormatW3cDateTime(TimeOf(t));
}

// The lifecycle position of a status (rejected stands apart).
int Stage(hv1::Status s) {
  switch (s) {
    case hv1::STATUS_REPORTED:
      return 1;
    case hv1::STATUS_VERIFIED:
      return 2;
    case hv1::STATUS_ASSIGNED:
      return 3;
    case hv1::STATUS_RECTIFYING:
      return 4;
    case hv1::STATUS_SUBMITTED:
      return 5;
    case hv1::STATUS_CLOSED:
      return 6;
    default:
      return 0;
  }
}

bool IsClosed(hv1::Status s) { return s == hv1::STATUS_CLOSED || s == hv1::STATUS_REJECTED; }

std::string StatusNotes(const hv1::Hazard& h) {
  std::vector<std::string> notes;
  if (h.status() == hv1::STATUS_REJECTED) {
    notes.push_back(h.rejection_reason().empty()
                        ? "不予立案 rejected"
                        : absl::StrCat("不予立案 rejected: ", h.rejection_reason()));
  } else if (h.status() == hv1::STATUS_REPORTED) {
    notes.push_back(h.unmatched() ? "已受理，待街道核实并确定建筑 received, awaiting verification "
                                    "and the building by the street office"
                                  : "已受理，待核实 received, awaiting verification");
  } else {
    const int stage = Stage(h.status());
    notes.push_back("已核实 verified");
    if (stage >= 3) {
      std::string assigned = "已交办 assigned";
      if (!h.assignment().supervising_department().empty()) {
        absl::StrAppend(&assigned, " to ", h.assignment().supervising_department());
      }
      if (h.assignment().has_deadline()) {
        absl::StrAppend(&assigned, ", 整改期限 deadline ",
                        absl::FormatTime("%Y-%m-%d", TimeOf(h.assignment().deadline()),
                                         absl::FixedTimeZone(8 * 60 * 60)));
      }
      notes.push_back(std::move(assigned));
    }
    if (stage >= 4) notes.push_back("整改中 rectifying");
    if (stage >= 5) notes.push_back("整改已完成，待复查 rectified, awaiting review");
    if (stage >= 6) {
      notes.push_back(h.closed_on_time() ? "已办结 closed on time"
                                         : "已办结 closed after the deadline");
    }
  }
  if (h.overdue() && !IsClosed(h.status())) notes.push_back("已超期 overdue");
  if (!h.duplicate_of().empty()) {
    notes.push_back(
        absl::StrCat("与 ", h.duplicate_of(), " 合并处理 handled with ", h.duplicate_of()));
  }
  return absl::StrJoin(notes, "; ");
}

Json RequestJson(const hv1::Hazard& h) {
  const open311::ServiceEntry& service = open311::ServiceOfCategory(h.category());
  Json r = Json::object();
  r["service_request_id"] = h.hazard_id();
  r["status"] = IsClosed(h.status()) ? "closed" : "open";
  r["status_notes"] = StatusNotes(h);
  r["service_name"] = service.name;
  r["service_code"] = service.code;
  r["description"] = h.description();
  r["agency_responsible"] = h.routing().lead_departments().empty()
                                ? Json(nullptr)
                                : Json(h.routing().lead_departments(0));
  r["service_notice"] = nullptr;
  r["requested_datetime"] = DateTimeOrNull(h.reported_at(), h.has_reported_at());
  r["updated_datetime"] = DateTimeOrNull(h.updated_at(), h.has_updated_at());
  r["expected_datetime"] = DateTimeOrNull(h.assignment().deadline(), h.assignment().has_deadline());
  const std::string& address =
      h.location().address().empty() ? h.building_name() : h.location().address();
  r["address"] = address.empty() ? Json(nullptr) : Json(address);
  r["address_id"] = h.building_id().empty() ? Json(nullptr) : Json(h.building_id());
  r["zipcode"] = nullptr;
  const bool located =
      h.has_location() && (h.location().latitude() != 0 || h.location().longitude() != 0);
  r["lat"] = located ? Json(h.location().latitude()) : Json(nullptr);
  r["long"] = located ? Json(h.location().longitude()) : Json(nullptr);
  Json media = nullptr;
  for (const hv1::Evidence& e : h.evidence()) {
    if (absl::StartsWith(e.uri(), "http://") || absl::StartsWith(e.uri(), "https://")) {
      media = e.uri();
      break;
    }
  }
  r["media_url"] = std::move(media);
  return r;
}

bool IsDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

class Open311Handler final : public Handler {
 public:
  Open311Handler(const config::v1::Open311& config, Open311Backends backends, std::string district,
                 std::vector<ChannelEntry> channels)
      : config_(config),
        backends_(std::move(backends)),
        district_(std::move(district)),
        channels_(std::move(channels)),
        per_address_(config.per_address_per_minute() == 0 ? 120 : config.per_address_per_minute()),
        address_limiter_(NewLimiter(backends_, "open311-address", per_address_)),
        hazards_(hv1::HazardService::NewStub(backends_.hazards)),
        buildings_(bv1::BuildingService::NewStub(backends_.buildings)) {}

  HttpResponse Handle(const HttpRequest& request) override {
    Format format = Format::kJson;
    try {
      absl::StatusOr<HttpResponse> r = Route(request, &format);
      if (r.ok()) return *std::move(r);
      HttpResponse e = ErrorResponse(format, HttpStatusOf(r.status()), r.status().message());
      if (r.status().code() == absl::StatusCode::kResourceExhausted) {
        const absl::Duration delay = RetryAfterOf(r.status()).value_or(absl::Minutes(1));
        e.headers.emplace_back("Retry-After", RetryAfterValue(delay));
      }
      return e;
    } catch (const std::exception& ex) {
      log::Error("open311: handler failed", {{"what", ex.what()}});
      return ErrorResponse(format, 500, "internal error");
    }
  }

 private:
  absl::StatusOr<HttpResponse> Route(const HttpRequest& request, Format* format) {
    absl::string_view rest = request.path;
    if (!absl::ConsumePrefix(&rest, kPrefix)) {
      return absl::NotFoundError("not an Open311 GeoReport v2 resource");
    }
    const size_t dot = rest.rfind('.');
    if (dot == absl::string_view::npos) {
      return absl::NotFoundError("format: add .json or .xml to the resource");
    }
    const absl::string_view ext = rest.substr(dot + 1);
    if (ext == "xml") {
      *format = Format::kXml;
    } else if (ext != "json") {
      return absl::NotFoundError("format: must be .json or .xml");
    }
    const absl::string_view base = rest.substr(0, dot);
    if (auth::LimitDecision d = address_limiter_->Take(request.client_address); !d.allowed) {
      return WithRetryAfter(
          absl::ResourceExhaustedError(absl::StrCat("client address: more than ", per_address_,
                                                    " requests a minute; try again later")),
          d.retry_after);
    }
    std::vector<absl::string_view> parts = absl::StrSplit(base, '/');
    const bool get = request.method == "GET" || request.method == "HEAD";
    const bool known = (parts.size() == 1 && (parts[0] == "services" || parts[0] == "requests")) ||
                       (parts.size() == 2 && (parts[0] == "services" || parts[0] == "requests" ||
                                              parts[0] == "tokens"));
    // Only requests.{fmt} takes a POST (a new report); every resource is read with GET.
    const bool collection_of_requests = parts.size() == 1 && parts[0] == "requests";
    if (known && !get && !(collection_of_requests && request.method == "POST")) {
      HttpResponse e = ErrorResponse(
          *format, 405, collection_of_requests ? "method: only GET or POST" : "method: only GET");
      e.headers.emplace_back("Allow", collection_of_requests ? "GET, POST" : "GET");
      return e;
    }
    if (parts.size() == 1 && parts[0] == "services") {
      FG_RETURN_IF_ERROR(CheckJurisdiction(request.query));
      return ListServices(*format);
    }
    if (parts.size() == 2 && parts[0] == "services") {
      FG_RETURN_IF_ERROR(CheckJurisdiction(request.query));
      return ServiceDefinition(*format, parts[1]);
    }
    if (collection_of_requests) {
      if (request.method == "POST") return PostRequest(request, *format);
      return GetRequests(request.query, *format);
    }
    if (parts.size() == 2 && parts[0] == "requests") {
      return GetRequest(request.query, *format, std::string(parts[1]));
    }
    if (parts.size() == 2 && parts[0] == "tokens") {
      return GetToken(request.query, *format, std::string(parts[1]));
    }
    return absl::NotFoundError("not an Open311 GeoReport v2 resource");
  }

  absl::Status CheckJurisdiction(const Params& params) const {
    auto it = params.find("jurisdiction_id");
    if (it != params.end() && it->second != config_.jurisdiction_id()) {
      // GeoReport v2: an unknown jurisdiction is 404.
      return absl::NotFoundError(
          absl::StrCat("jurisdiction_id: this endpoint serves ", config_.jurisdiction_id()));
    }
    return absl::OkStatus();
  }

  // The channel of the request's api_key, within its rate limit.
  absl::StatusOr<const ChannelEntry*> Authenticate(const Params& params) {
    const std::string key = First(params, "api_key");
    if (key.empty()) return Refused("api_key", "is required");
    const Sha256 hash = Sha256Of(key);
    const ChannelEntry* found = nullptr;
    for (const ChannelEntry& c : channels_) {
      // Every channel is compared, each in constant time.
      if (CRYPTO_memcmp(hash.data(), c.key_hash.data(), hash.size()) == 0) found = &c;
    }
    if (found == nullptr) return absl::PermissionDeniedError("api_key: not a valid key");
    if (auth::LimitDecision d = found->limiter->Take("key"); !d.allowed) {
      return WithRetryAfter(
          absl::ResourceExhaustedError(absl::StrCat("api_key: more than ", found->per_minute,
                                                    " requests a minute; try again later")),
          d.retry_after);
    }
    return found;
  }

  absl::StatusOr<std::unique_ptr<grpc::ClientContext>> Context(const ChannelEntry& channel) {
    absl::StatusOr<std::string> token = backends_.channel_token(channel.name);
    if (!token.ok()) {
      log::Error("open311: no token for channel",
                 {{"channel", channel.name}, {"error", token.status().ToString()}});
      return absl::InternalError("the channel's credentials are unavailable; try again later");
    }
    auto ctx = std::make_unique<grpc::ClientContext>();
    auth::AttachToken(ctx.get(), *token);
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + backends_.rpc_deadline));
    trace::InjectInto(*ctx);
    return ctx;
  }

  // ---- services ----

  HttpResponse ListServices(Format format) const {
    Json list = Json::array();
    for (const open311::ServiceEntry& s : open311::AllServices()) {
      if (!s.is_public) continue;
      Json j = Json::object();
      j["service_code"] = s.code;
      j["service_name"] = s.name;
      j["description"] = s.description;
      j["metadata"] = !s.attributes.empty();
      j["type"] = "realtime";
      j["keywords"] = s.keywords;
      j["group"] = "消防安全 fire safety";
      list.push_back(std::move(j));
    }
    return Render(format, 200, "services", list);
  }

  absl::StatusOr<HttpResponse> ServiceDefinition(Format format, absl::string_view code) const {
    const open311::ServiceEntry* s = open311::FindPublicService(code);
    if (s == nullptr) return absl::NotFoundError("service_code: no such service");
    Json attributes = Json::array();
    int order = 0;
    for (const open311::ServiceAttribute& a : s->attributes) {
      Json j = Json::object();
      j["variable"] = true;
      j["code"] = a.code;
      j["datatype"] = a.datatype;
      j["required"] = a.required;
      j["datatype_description"] = a.datatype == "string"
                                      ? Json(absl::StrCat("至多 at most ", a.max_bytes, " bytes"))
                                      : Json(nullptr);
      j["order"] = ++order;
      j["description"] = a.description;
      if (!a.values.empty()) {
        Json values = Json::array();
        for (const open311::AttributeValue& v : a.values) {
          values.push_back(Json{{"key", v.key}, {"name", v.name}});
        }
        j["values"] = std::move(values);
      }
      attributes.push_back(std::move(j));
    }
    Json def = Json::object();
    def["service_code"] = s->code;
    def["attributes"] = std::move(attributes);
    return Render(format, 200, "service_definition", def);
  }

  // ---- POST requests ----

  absl::StatusOr<Params> BodyParams(const HttpRequest& request) const {
    std::string type = absl::AsciiStrToLower(request.Header("content-type"));
    type = std::string(absl::StripAsciiWhitespace(type.substr(0, type.find(';'))));
    if (type == "application/json") return open311::ParseJsonBody(request.body);
    if (type == "application/x-www-form-urlencoded" || (type.empty() && request.body.empty())) {
      return open311::ParseForm(request.body);
    }
    return Refused("Content-Type", "must be application/x-www-form-urlencoded or application/json");
  }

  // The attributes given, checked against the service, as a line for the description.
  absl::StatusOr<std::string> AttributeLine(const open311::ServiceEntry& service,
                                            const Params& params) const {
    for (const auto& [name, value] : params) {
      absl::string_view code = name;
      if (!absl::ConsumePrefix(&code, "attribute[") || !absl::ConsumeSuffix(&code, "]")) continue;
      const bool known = std::any_of(service.attributes.begin(), service.attributes.end(),
                                     [&](const auto& a) { return a.code == code; });
      if (!known) {
        return Refused(name, absl::StrCat("not an attribute of service ", service.code));
      }
    }
    std::vector<std::string> parts;
    for (const open311::ServiceAttribute& a : service.attributes) {
      const std::string field = absl::StrCat("attribute[", a.code, "]");
      const std::string raw(absl::StripAsciiWhitespace(First(params, field)));
      if (raw.empty()) {
        if (a.required) return Refused(field, "is required");
        continue;
      }
      const std::string label(absl::string_view(a.description).substr(0, a.description.find(' ')));
      if (a.datatype == "singlevaluelist") {
        auto v = std::find_if(a.values.begin(), a.values.end(),
                              [&](const auto& v) { return v.key == raw; });
        if (v == a.values.end()) {
          std::vector<std::string> keys;
          for (const auto& x : a.values) keys.push_back(x.key);
          return Refused(field, absl::StrCat("must be one of ", absl::StrJoin(keys, ", ")));
        }
        parts.push_back(absl::StrCat(label, ": ", v->name));
      } else {
        FG_ASSIGN_OR_RETURN(std::string text, CleanText(field, raw, a.max_bytes));
        if (absl::StrContains(text, '\n')) return Refused(field, "must be one line");
        parts.push_back(absl::StrCat(label, ": ", text));
      }
    }
    return absl::StrJoin(parts, "; ");
  }

  // Where a report goes: the nearest registered building within match_radius_m of its point
  // (building_id); else, unmatched, the street (first 9 digits of the tier path) of the nearest
  // building within 3 km, else the district. A search that fails falls back to the district
  // rather than losing the report. The buildings service finds only the channel's district's
  // buildings for it.
  struct Placement {
    std::string building_id;  // matched, or empty
    std::string tier_path;    // where an unmatched report waits (also the matched one's street)
  };
  Placement Place(const ChannelEntry& channel, double lat, double lon) {
    Placement place{"", district_};
    bv1::FindNearbyRequest req;
    req.mutable_location()->set_latitude(lat);
    req.mutable_location()->set_longitude(lon);
    req.set_kind(bv1::NEARBY_KIND_BUILDING);
    req.set_radius_m(kStreetRadiusM);
    req.set_limit(1);
    auto ctx = Context(channel);
    if (!ctx.ok()) return place;
    bv1::FindNearbyResponse resp;
    absl::Status s = Upstream(buildings_->FindNearby(ctx->get(), req, &resp), "FindNearby");
    if (!s.ok()) {
      log::Warn("open311: nearby search failed", {{"error", s.ToString()}});
      return place;
    }
    if (resp.results().empty() || !resp.results(0).has_building()) return place;
    const bv1::NearbyResult& nearest = resp.results(0);
    const std::string& tier = nearest.building().tier_path();
    if (tier.size() >= 9 && IsDigits(tier) && absl::StartsWith(tier, district_)) {
      place.tier_path = tier.substr(0, 9);
    }
    if (config_.match_radius_m() > 0 && nearest.distance_m() <= config_.match_radius_m() &&
        !nearest.building().building_id().empty()) {
      place.building_id = nearest.building().building_id();
    }
    return place;
  }

  absl::StatusOr<HttpResponse> PostRequest(const HttpRequest& request, Format format) {
    FG_ASSIGN_OR_RETURN(Params params, BodyParams(request));
    // Some clients send api_key (or more) in the query: the body's values come first.
    for (const auto& [name, value] : request.query) params.emplace(name, value);
    FG_RETURN_IF_ERROR(CheckJurisdiction(params));
    FG_ASSIGN_OR_RETURN(const ChannelEntry* channel, Authenticate(params));

    const std::string code = First(params, "service_code");
    if (code.empty()) return Refused("service_code", "is required");
    const open311::ServiceEntry* service = open311::FindPublicService(code);
    if (service == nullptr) {
      return Refused("service_code", "not a service of this endpoint (see services.json)");
    }

    const std::string lat_text = First(params, "lat");
    const std::string long_text = First(params, "long");
    if (lat_text.empty() != long_text.empty()) {
      return Refused(lat_text.empty() ? "lat" : "long", "lat and long go together");
    }
    hv1::Location location;
    const bool located = !lat_text.empty();
    if (located) {
      FG_ASSIGN_OR_RETURN(double lat, ParseCoordinate("lat", lat_text, 90));
      FG_ASSIGN_OR_RETURN(double lon, ParseCoordinate("long", long_text, 180));
      location.set_latitude(lat);
      location.set_longitude(lon);
    }
    FG_ASSIGN_OR_RETURN(
        std::string address,
        CleanText("address_string", absl::StripAsciiWhitespace(First(params, "address_string")),
                  500));
    if (absl::StrContains(address, '\n')) return Refused("address_string", "must be one line");
    if (!located && address.empty()) {
      return Refused("lat", "lat and long, or address_string, are required");
    }
    location.set_address(address);

    FG_ASSIGN_OR_RETURN(
        std::string description,
        CleanText("description", absl::StripAsciiWhitespace(First(params, "description")), 4000));
    if (description.empty()) return Refused("description", "is required");
    FG_ASSIGN_OR_RETURN(std::string attributes, AttributeLine(*service, params));
    if (!attributes.empty()) absl::StrAppend(&description, "\n（", attributes, "）");
    if (description.size() > 4000) {
      return Refused("description", "at most 4000 bytes with the attributes");
    }

    std::string media_url(absl::StripAsciiWhitespace(First(params, "media_url")));
    if (!media_url.empty()) {
      FG_RETURN_IF_ERROR(ValidateMediaUrl(media_url));
      // The scheme in lower case ("HTTPS://..." → "https://..."), as evidence URIs are kept.
      const size_t colon = media_url.find(':');
      for (size_t i = 0; i < colon; ++i) media_url[i] = absl::ascii_tolower(media_url[i]);
    }

    FG_ASSIGN_OR_RETURN(
        std::string first,
        CleanText("first_name", absl::StripAsciiWhitespace(First(params, "first_name")), 45));
    FG_ASSIGN_OR_RETURN(
        std::string last,
        CleanText("last_name", absl::StripAsciiWhitespace(First(params, "last_name")), 45));
    if (absl::StrContains(first, '\n')) return Refused("first_name", "must be one line");
    if (absl::StrContains(last, '\n')) return Refused("last_name", "must be one line");
    const std::string phone(absl::StripAsciiWhitespace(First(params, "phone")));
    const std::string email(absl::StripAsciiWhitespace(First(params, "email")));
    if (!phone.empty()) FG_RETURN_IF_ERROR(ValidatePhone(phone));
    if (!email.empty()) FG_RETURN_IF_ERROR(ValidateEmail(email));

    hv1::ReportHazardRequest req;
    req.set_category(service->category);
    req.set_severity(hv1::SEVERITY_GENERAL);
    req.set_source(hv1::SOURCE_PUBLIC_TIP_OFF);
    req.set_description(description);
    if (!media_url.empty()) req.add_evidence()->set_uri(media_url);
    // Chinese names are written family name first, without a space.
    std::string name;
    if (!first.empty() && !last.empty()) {
      const bool ascii = std::all_of(first.begin(), first.end(),
                                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
      name = ascii ? absl::StrCat(first, " ", last) : absl::StrCat(last, first);
    } else {
      name = first.empty() ? last : first;
    }
    std::vector<std::string> contact;
    if (!phone.empty()) contact.push_back(phone);
    if (!email.empty()) contact.push_back(email);
    hv1::Reporter* reporter = req.mutable_reporter();
    reporter->set_name(name);
    reporter->set_contact(absl::StrJoin(contact, " / "));
    reporter->set_anonymous(name.empty() && contact.empty());
    *req.mutable_location() = location;
    const Placement place = located ? Place(*channel, location.latitude(), location.longitude())
                                    : Placement{"", district_};
    if (place.building_id.empty()) {
      req.set_unmatched_tier_path(place.tier_path);
    } else {
      req.set_building_id(place.building_id);
    }

    // A retry of the same report (the same Idempotency-Key, or without one the same
    // parameters) from the same channel gets the first report's hazard.
    const std::string client_key = request.Header("idempotency-key");
    if (client_key.size() > 200) return Refused("Idempotency-Key", "at most 200 bytes");
    std::string basis = absl::StrCat(channel->name, "\n");
    if (!client_key.empty()) {
      absl::StrAppend(&basis, "key\n", client_key);
    } else {
      for (const auto& [k, v] : params) absl::StrAppend(&basis, k.size(), ":", k, v.size(), ":", v);
    }
    req.set_idempotency_key(absl::StrCat("open311:", Hex(Sha256Of(basis))));

    FG_ASSIGN_OR_RETURN(auto ctx, Context(*channel));
    hv1::ReportHazardResponse resp;
    absl::Status reported = Upstream(hazards_->ReportHazard(ctx.get(), req, &resp), "ReportHazard");
    if (reported.code() == absl::StatusCode::kNotFound && !req.building_id().empty()) {
      // The hazards service does not know the building yet (it learns of new buildings from
      // the buildings service's events): keep the report unmatched in the building's street.
      log::Warn("open311: matched building unknown to hazards; filed unmatched",
                {{"building_id", req.building_id()}, {"error", reported.ToString()}});
      req.clear_building_id();
      req.set_unmatched_tier_path(place.tier_path);
      resp.Clear();
      FG_ASSIGN_OR_RETURN(ctx, Context(*channel));
      reported = Upstream(hazards_->ReportHazard(ctx.get(), req, &resp), "ReportHazard");
    }
    if (reported.code() == absl::StatusCode::kFailedPrecondition && !client_key.empty()) {
      // The hazards service refuses a key reused for another report.
      return absl::FailedPreconditionError(
          "Idempotency-Key: already used by this channel for another report");
    }
    FG_RETURN_IF_ERROR(reported);
    const std::string& id = resp.hazard().hazard_id();
    Json r = Json::object();
    r["service_request_id"] = id;
    r["token"] = RequestToken(channel->name, id);
    r["service_notice"] = resp.message().empty()
                              ? "已受理，将由属地街道核实处理。Received; the local street office "
                                "will verify it."
                              : resp.message();
    r["account_id"] = nullptr;
    Json list = Json::array();
    list.push_back(std::move(r));
    // 200, as GeoReport v2 has it (clients check for it), not 201.
    return Render(format, 200, "service_requests", list);
  }

  // ---- GET requests ----

  absl::StatusOr<hv1::Hazard> Fetch(const ChannelEntry& channel, const std::string& id) {
    FG_ASSIGN_OR_RETURN(auto ctx, Context(channel));
    hv1::GetHazardRequest req;
    req.set_hazard_id(id);
    hv1::Hazard h;
    absl::Status s = Upstream(hazards_->GetHazard(ctx.get(), req, &h), "GetHazard");
    // Another channel's report is as unknown to this one as a missing one.
    if (s.code() == absl::StatusCode::kNotFound ||
        s.code() == absl::StatusCode::kPermissionDenied) {
      return absl::NotFoundError(
          absl::StrCat("service_request_id: no request ", id, " for this api_key"));
    }
    if (!s.ok()) return s;
    return h;
  }

  absl::StatusOr<HttpResponse> GetRequests(const Params& params, Format format) {
    FG_RETURN_IF_ERROR(CheckJurisdiction(params));
    FG_ASSIGN_OR_RETURN(const ChannelEntry* channel, Authenticate(params));
    Json list = Json::array();

    // Ids given: those requests, the other filters ignored (GeoReport v2).
    const std::vector<std::string> ids = CommaList(First(params, "service_request_id"));
    if (!ids.empty()) {
      if (ids.size() > kMaxIds) {
        return Refused("service_request_id", absl::StrCat("at most ", kMaxIds, " ids"));
      }
      for (const std::string& id : ids) {
        if (!IsWellFormedId(id, "hzd")) {
          return Refused("service_request_id", absl::StrCat("not a request id: ", id));
        }
      }
      for (const std::string& id : ids) {
        absl::StatusOr<hv1::Hazard> h = Fetch(*channel, id);
        if (h.status().code() == absl::StatusCode::kNotFound) continue;
        if (!h.ok()) return h.status();
        list.push_back(RequestJson(*h));
      }
      return Render(format, 200, "service_requests", list);
    }

    hv1::ListHazardsRequest req;
    req.add_sources(hv1::SOURCE_PUBLIC_TIP_OFF);
    req.set_channel(channel->name);
    req.set_include_duplicates(true);
    for (const std::string& code : CommaList(First(params, "service_code"))) {
      auto s = std::find_if(open311::AllServices().begin(), open311::AllServices().end(),
                            [&](const auto& e) { return e.code == code; });
      if (s == open311::AllServices().end()) {
        return Refused("service_code", absl::StrCat("not a service of this endpoint: ", code));
      }
      req.add_categories(s->category);
    }
    for (const std::string& status : CommaList(First(params, "status"))) {
      if (status == "open") {
        for (auto s : {hv1::STATUS_REPORTED, hv1::STATUS_VERIFIED, hv1::STATUS_ASSIGNED,
                       hv1::STATUS_RECTIFYING, hv1::STATUS_SUBMITTED}) {
          req.add_statuses(s);
        }
      } else if (status == "closed") {
        req.add_statuses(hv1::STATUS_CLOSED);
        req.add_statuses(hv1::STATUS_REJECTED);
      } else {
        return Refused("status", "must be open, closed or both (comma-separated)");
      }
    }
    std::optional<absl::Time> start, end;
    if (const std::string s = First(params, "start_date"); !s.empty()) {
      FG_ASSIGN_OR_RETURN(start, open311::ParseW3cDateTime(s, "start_date"));
    }
    if (const std::string s = First(params, "end_date"); !s.empty()) {
      FG_ASSIGN_OR_RETURN(end, open311::ParseW3cDateTime(s, "end_date"));
    }
    if (start && end) {
      if (*end <= *start) return Refused("end_date", "must be after start_date");
      if (*end - *start > kMaxRange) return Refused("end_date", "at most 90 days after start_date");
    } else if (start) {
      end = *start + kMaxRange;
    } else if (end) {
      start = *end - kMaxRange;
    } else {
      // The last 90 days, up to whatever was reported just now.
      start = backends_.clock->Now() - kMaxRange;
    }
    *req.mutable_reported_after() = ProtoTime(*start);
    if (end) *req.mutable_reported_before() = ProtoTime(*end);
    req.set_page_size(500);

    while (list.size() < kMaxResults) {
      FG_ASSIGN_OR_RETURN(auto ctx, Context(*channel));
      hv1::ListHazardsResponse resp;
      FG_RETURN_IF_ERROR(Upstream(hazards_->ListHazards(ctx.get(), req, &resp), "ListHazards"));
      for (const hv1::Hazard& h : resp.hazards()) {
        if (list.size() == kMaxResults) break;
        list.push_back(RequestJson(h));
      }
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return Render(format, 200, "service_requests", list);
  }

  absl::StatusOr<HttpResponse> GetRequest(const Params& params, Format format,
                                          const std::string& id) {
    FG_RETURN_IF_ERROR(CheckJurisdiction(params));
    FG_ASSIGN_OR_RETURN(const ChannelEntry* channel, Authenticate(params));
    if (!IsWellFormedId(id, "hzd")) return Refused("service_request_id", "not a request id");
    FG_ASSIGN_OR_RETURN(hv1::Hazard h, Fetch(*channel, id));
    Json list = Json::array();
    list.push_back(RequestJson(h));
    return Render(format, 200, "service_requests", list);
  }

  // ---- tokens ----

  std::string Signature(const std::string& channel, const std::string& id) const {
    const std::string data = absl::StrCat("open311-token\n", channel, "\n", id);
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), backends_.request_token_key.data(),
         static_cast<int>(backends_.request_token_key.size()),
         reinterpret_cast<const uint8_t*>(data.data()), data.size(), mac, &len);
    return absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(mac), len));
  }

  std::string RequestToken(const std::string& channel, const std::string& id) const {
    return absl::StrCat(id, ".", Signature(channel, id));
  }

  absl::StatusOr<HttpResponse> GetToken(const Params& params, Format format,
                                        const std::string& token) {
    FG_RETURN_IF_ERROR(CheckJurisdiction(params));
    FG_ASSIGN_OR_RETURN(const ChannelEntry* channel, Authenticate(params));
    const size_t dot = token.rfind('.');
    const std::string id = dot == std::string::npos ? "" : token.substr(0, dot);
    const std::string given = dot == std::string::npos ? "" : token.substr(dot + 1);
    const std::string expected = id.empty() ? "" : Signature(channel->name, id);
    if (!IsWellFormedId(id, "hzd") || given.size() != expected.size() ||
        CRYPTO_memcmp(given.data(), expected.data(), given.size()) != 0) {
      return absl::NotFoundError("token: no request with this token for this api_key");
    }
    Json r = Json::object();
    r["service_request_id"] = id;
    r["token"] = token;
    Json list = Json::array();
    list.push_back(std::move(r));
    return Render(format, 200, "service_requests", list);
  }

  const config::v1::Open311 config_;
  const Open311Backends backends_;
  const std::string district_;
  std::vector<ChannelEntry> channels_;
  const int per_address_;
  std::unique_ptr<auth::Limiter> address_limiter_;
  std::unique_ptr<hv1::HazardService::Stub> hazards_;
  std::unique_ptr<bv1::BuildingService::Stub> buildings_;
};

// The district code at the end of the jurisdiction id ("firegrid.500109" → "500109").
absl::StatusOr<std::string> DistrictOf(const config::v1::Open311& config) {
  const std::string& jid = config.jurisdiction_id();
  const size_t dot = jid.rfind('.');
  const std::string district = dot == std::string::npos ? "" : jid.substr(dot + 1);
  if (dot == 0 || district.size() != 6 || !IsDigits(district)) {
    return InvalidField("open311.jurisdiction_id",
                        "must be <prefix>.<6-digit district code>, e.g. firegrid.500109");
  }
  return district;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Handler>> NewOpen311Handler(const config::v1::Open311& config,
                                                           Open311Backends backends) {
  FG_ASSIGN_OR_RETURN(std::string district, DistrictOf(config));
  if (config.per_address_per_minute() < 0) {
    return InvalidField("open311.per_address_per_minute", "must not be negative");
  }
  if (config.match_radius_m() < 0 || config.match_radius_m() > kStreetRadiusM) {
    return InvalidField("open311.match_radius_m", "must be in [0, 3000]");
  }
  if (!backends.hazards || !backends.buildings || !backends.channel_token ||
      backends.clock == nullptr) {
    return absl::InvalidArgumentError(
        "open311: the hazards and buildings channels, the channel tokens and the clock are "
        "required");
  }
  if (backends.request_token_key.size() < 32) {
    return absl::InvalidArgumentError("open311: the request token key needs at least 32 bytes");
  }
  std::vector<ChannelEntry> channels;
  for (int i = 0; i < config.channels_size(); ++i) {
    const config::v1::Open311Channel& c = config.channels(i);
    const std::string field = absl::StrCat("open311.channels[", i, "]");
    if (c.name().empty() || c.name().size() > 40 ||
        !std::all_of(c.name().begin(), c.name().end(), [](char ch) {
          return absl::ascii_islower(static_cast<unsigned char>(ch)) ||
                 absl::ascii_isdigit(static_cast<unsigned char>(ch)) || ch == '_';
        })) {
      return InvalidField(field + ".name", "1 to 40 lower-case letters, digits or '_'");
    }
    const std::string& hex = c.api_key_sha256();
    if (hex.size() != 64 || !std::all_of(hex.begin(), hex.end(), [](char ch) {
          return absl::ascii_isdigit(static_cast<unsigned char>(ch)) || (ch >= 'a' && ch <= 'f');
        })) {
      return InvalidField(field + ".api_key_sha256", "must be 64 lower-case hex digits");
    }
    const std::string bytes = absl::HexStringToBytes(hex);
    if (c.per_minute() < 0) return InvalidField(field + ".per_minute", "must not be negative");
    ChannelEntry e;
    e.name = c.name();
    std::copy(bytes.begin(), bytes.end(), e.key_hash.begin());
    for (const ChannelEntry& other : channels) {
      if (other.name == e.name) return InvalidField(field + ".name", "is another channel's");
      if (other.key_hash == e.key_hash) {
        return InvalidField(field + ".api_key_sha256", "is another channel's");
      }
    }
    e.per_minute = c.per_minute() == 0 ? 60 : c.per_minute();
    e.limiter = NewLimiter(backends, absl::StrCat("open311-key:", e.name), e.per_minute);
    channels.push_back(std::move(e));
  }
  return std::unique_ptr<Handler>(
      new Open311Handler(config, std::move(backends), district, std::move(channels)));
}

absl::StatusOr<std::function<absl::StatusOr<std::string>(const std::string& channel)>>
NewOpen311ChannelTokens(const config::v1::Open311& config, const std::string& hs256_key,
                        const std::string& issuer, const std::string& audience, Clock* clock) {
  FG_ASSIGN_OR_RETURN(std::string district, DistrictOf(config));
  auto tokens = std::make_shared<std::map<std::string, std::shared_ptr<auth::ServiceToken>>>();
  for (int i = 0; i < config.channels_size(); ++i) {
    const config::v1::Open311Channel& c = config.channels(i);
    auth::ServiceTokenOptions options{.token_file = c.token_file(),
                                      .hs256_key = c.token_file().empty() ? hs256_key : "",
                                      .issuer = issuer,
                                      .audience = audience,
                                      .role = auth::Role::kPublicChannel,
                                      .subject = absl::StrCat("channel:", c.name()),
                                      .tier_path = district};
    auto token = auth::ServiceToken::Create(std::move(options), clock);
    if (!token.ok()) {
      return InvalidField(absl::StrCat("open311.channels[", i, "].token_file"),
                          token.status().message());
    }
    (*tokens)[c.name()] = std::move(*token);
  }
  return [tokens](const std::string& channel) -> absl::StatusOr<std::string> {
    auto it = tokens->find(channel);
    if (it == tokens->end()) {
      return absl::NotFoundError(absl::StrCat("no Open311 channel ", channel));
    }
    return it->second->Current();
  };
}

}  // namespace firegrid::gateway
