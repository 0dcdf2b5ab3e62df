#include "services/gateway/json_api.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "firegrid/accounts/v1/accounts.pb.h"
#include "firegrid/audit/v1/audit.pb.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "firegrid/credit/v1/credit.pb.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"
#include "firegrid/notify/v1/notify.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "libs/server/retry_info.h"
#include "services/gateway/http_util.h"

namespace firegrid::gateway {
namespace pb = google::protobuf;

std::vector<const pb::ServiceDescriptor*> ApiServices() {
  // Through a message of each file, so that the generated descriptors are linked in.
  return {
      buildings::v1::GetBuildingRequest::descriptor()->file()->FindServiceByName("BuildingService"),
      hazards::v1::GetHazardRequest::descriptor()->file()->FindServiceByName("HazardService"),
      credit::v1::GetProfileRequest::descriptor()->file()->FindServiceByName("CreditService"),
      notify::v1::ListInboxRequest::descriptor()->file()->FindServiceByName("NotifyService"),
      monitoring::v1::GetAlarmRequest::descriptor()->file()->FindServiceByName("MonitoringService"),
      audit::v1::ListAuditRecordsRequest::descriptor()->file()->FindServiceByName("AuditService"),
      accounts::v1::GetUserRequest::descriptor()->file()->FindServiceByName("AccountsService"),
  };
}

bool Exposed(const pb::MethodDescriptor* method) {
  static const std::set<std::string> kInternal = {
      "firegrid.notify.v1.NotifyService.PushEvent",
      "firegrid.hazards.v1.HazardService.NoteDeviceAlarmCleared",
      "firegrid.monitoring.v1.MonitoringService.Ingest",
      // Operations (firegridctl rebuild --check), not the console's.
      "firegrid.buildings.v1.BuildingService.CheckReadModels",
      "firegrid.hazards.v1.HazardService.CheckReadModels",
      "firegrid.credit.v1.CreditService.CheckReadModels",
      // Under /api/v1/auth/ and /.well-known/jwks.json.
      "firegrid.accounts.v1.AccountsService.SignIn",
      "firegrid.accounts.v1.AccountsService.Refresh",
      "firegrid.accounts.v1.AccountsService.SignOut",
      "firegrid.accounts.v1.AccountsService.GetJwks",
  };
  return !method->client_streaming() && !method->server_streaming() &&
         kInternal.count(method->full_name()) == 0;
}

std::string ApiJson(const pb::Message& message) {
  pb::util::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true;
  std::string out;
  auto s = pb::util::MessageToJsonString(message, &out, opts);
  if (!s.ok()) return "{}";
  return out;
}

absl::Status CallUnary(const UnaryCallSpec& spec, const pb::Message& request,
                       pb::Message* response) {
  std::string bytes;
  if (!request.SerializeToString(&bytes)) return absl::InternalError("cannot serialise request");
  grpc::Slice slice(bytes);
  grpc::ByteBuffer in(&slice, 1);
  grpc::ByteBuffer out;
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + spec.deadline));
  for (const auto& [k, v] : spec.metadata) ctx.AddMetadata(k, v);
  grpc::GenericStub stub(spec.channel);
  absl::Notification done;
  grpc::Status status;
  const std::string path =
      absl::StrCat("/", spec.method->service()->full_name(), "/", spec.method->name());
  stub.UnaryCall(&ctx, path, grpc::StubOptions(), &in, &out, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  if (!status.ok()) {
    absl::Status s(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
    // A service's rate limit: its RetryInfo becomes the response's Retry-After.
    if (std::optional<absl::Duration> delay = server::RetryDelayOf(status); delay.has_value()) {
      s = WithRetryAfter(std::move(s), *delay);
    }
    return s;
  }
  std::vector<grpc::Slice> slices;
  if (!out.Dump(&slices).ok()) return absl::InternalError("unreadable response");
  std::string data;
  for (const grpc::Slice& s : slices)
    data.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (!response->ParseFromString(data)) return absl::InternalError("unparsable response");
  return absl::OkStatus();
}

JsonApiHandler::JsonApiHandler(const BearerGate* gate,
                               std::map<std::string, std::shared_ptr<grpc::Channel>> channels,
                               std::map<std::string, std::shared_ptr<grpc::Channel>> audit_channels,
                               JsonApiOptions options)
    : gate_(gate),
      channels_(std::move(channels)),
      audit_channels_(std::move(audit_channels)),
      options_(options) {}

HttpResponse JsonApiHandler::Handle(const HttpRequest& request) {
  absl::string_view rest = request.path;
  if (!absl::ConsumePrefix(&rest, kApiPrefix)) {
    return JsonError(404, absl::StatusCode::kNotFound, "no such method");
  }
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) {
    return JsonError(404, absl::StatusCode::kNotFound, "no such method");
  }
  const std::string service_name(rest.substr(0, slash));
  const std::string method_name(rest.substr(slash + 1));
  const pb::MethodDescriptor* method = nullptr;
  for (const pb::ServiceDescriptor* s : ApiServices()) {
    if (s->full_name() == service_name) method = s->FindMethodByName(method_name);
  }
  if (method == nullptr || !Exposed(method)) {
    return JsonError(404, absl::StatusCode::kNotFound,
                     absl::StrCat("no such method: ", service_name, "/", method_name));
  }
  if (request.method != "POST") {
    HttpResponse r = JsonError(405, absl::StatusCode::kInvalidArgument, "use POST");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  std::shared_ptr<grpc::Channel> channel;
  if (method->service()->full_name() == "firegrid.audit.v1.AuditService") {
    const std::string which = request.Query("service");
    auto it = audit_channels_.find(which);
    if (it == audit_channels_.end()) {
      return JsonError(400, absl::StatusCode::kInvalidArgument,
                       "service: the service whose audit log to read (buildings, hazards, "
                       "credit, notify, monitoring, accounts)");
    }
    channel = it->second;
  } else {
    auto it = channels_.find(service_name);
    if (it == channels_.end()) {
      return JsonError(503, absl::StatusCode::kUnavailable,
                       absl::StrCat(service_name, " is not configured"));
    }
    channel = it->second;
  }
  const std::string content_type = request.Header("content-type");
  if (!request.body.empty() && !absl::StartsWithIgnoreCase(content_type, "application/json")) {
    return JsonError(415, absl::StatusCode::kInvalidArgument,
                     "Content-Type must be application/json");
  }
  absl::StatusOr<std::string> token = gate_->Check(request);
  if (!token.ok()) return JsonError(token.status());

  const pb::Message* prototype =
      pb::MessageFactory::generated_factory()->GetPrototype(method->input_type());
  const pb::Message* out_prototype =
      pb::MessageFactory::generated_factory()->GetPrototype(method->output_type());
  if (prototype == nullptr || out_prototype == nullptr) {
    return JsonError(500, absl::StatusCode::kInternal, "message type not linked");
  }
  std::unique_ptr<pb::Message> in(prototype->New());
  std::unique_ptr<pb::Message> out(out_prototype->New());
  if (!request.body.empty()) {
    pb::util::JsonParseOptions opts;
    auto s = pb::util::JsonStringToMessage(request.body, in.get(), opts);
    if (!s.ok()) {
      return JsonError(400, absl::StatusCode::kInvalidArgument,
                       absl::StrCat("body: ", s.message().as_string()));
    }
  }
  UnaryCallSpec spec;
  spec.channel = channel;
  spec.method = method;
  spec.deadline = options_.deadline;
  spec.metadata = {{"authorization", absl::StrCat("Bearer ", *token)},
                   {"x-request-id", request.request_id}};
  absl::Status s = CallUnary(spec, *in, out.get());
  if (!s.ok()) return JsonError(s);
  return JsonResponse(200, ApiJson(*out));
}

}  // namespace firegrid::gateway
