// `firegridctl call | methods | health`: any RPC of any linked firegrid API, by name.
#include <iostream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "tools/firegridctl/commands.h"
#include "tools/firegridctl/rpc.h"
#include "tools/firegridctl/services.h"
#include "tools/firegridctl/table.h"

namespace firegrid::ctl {
namespace {

absl::Status RunCall(Context& ctx, const ParsedArgs& args) {
  absl::StatusOr<const google::protobuf::MethodDescriptor*> method =
      FindMethod(args.positionals()[0]);
  if (!method.ok()) return method.status();
  std::string json = args.positionals().size() > 1 ? args.positionals()[1] : "{}";
  if (json == "-") {
    json.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else if (!json.empty() && json[0] == '@') {
    absl::StatusOr<std::string> content = ReadFile(json.substr(1));
    if (!content.ok()) return content.status();
    json = *content;
  }
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> request =
      RequestFromJson(*method, json);
  if (!request.ok()) return request.status();
  return CallGeneric(ctx, *method, **request,
                     [&](const google::protobuf::Message& response) { ctx.PrintJson(response); });
}

absl::Status RunMethods(Context& ctx, const ParsedArgs& args) {
  const std::string filter = args.positionals().empty() ? "" : args.positionals()[0];
  Table t({"METHOD", "REQUEST", "RESPONSE"});
  for (const google::protobuf::ServiceDescriptor* s : LinkFiregridServices()) {
    if (!filter.empty() && s->full_name() != filter && s->name() != filter) continue;
    for (int i = 0; i < s->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* m = s->method(i);
      t.AddRow(
          {absl::StrCat(s->full_name(), "/", m->name()),
           absl::StrCat(m->client_streaming() ? "stream " : "", m->input_type()->full_name()),
           absl::StrCat(m->server_streaming() ? "stream " : "", m->output_type()->full_name())});
    }
  }
  ctx.out() << t.Render();
  return absl::OkStatus();
}

absl::Status RunHealth(Context& ctx, const ParsedArgs& args) {
  const std::string service = args.GetOr("service", "");
  absl::StatusOr<int> status = CheckHealth(ctx, service);
  if (!status.ok()) return status.status();
  static constexpr const char* kNames[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};
  const std::string name = *status >= 0 && *status <= 3 ? kNames[*status] : "UNKNOWN";
  if (ctx.json()) {
    ctx.out() << "{\n  \"status\": \"" << name << "\"\n}\n";
  } else {
    ctx.out() << name << "\n";
  }
  if (*status != 1) {
    return absl::UnavailableError(absl::StrCat(ctx.options().addr, " is ", name));
  }
  return absl::OkStatus();
}

// `call` goes to the service that owns the method, unless --addr says otherwise.
Endpoint CallEndpoint(const ParsedArgs& args) {
  if (args.positionals().empty()) return kBuildingsEndpoint;
  absl::StatusOr<const google::protobuf::MethodDescriptor*> method =
      FindMethod(args.positionals()[0]);
  return method.ok() ? EndpointOf((*method)->service()) : kBuildingsEndpoint;
}

}  // namespace

void RegisterGenericCommands(Registry* registry) {
  registry->Add(Command{
      .path = {"call"},
      .synopsis = "<package.Service/Method> ['<json request>' | @file.json | -]",
      .summary = "call any firegrid RPC by name with a JSON request; prints the response as JSON "
                 "(default --addr: the method's service)",
      .min_positionals = 1,
      .max_positionals = 2,
      .run = RunCall,
      .endpoint = CallEndpoint});
  registry->Add(Command{.path = {"methods"},
                        .synopsis = "[SERVICE]",
                        .summary = "list the RPCs `call` knows",
                        .max_positionals = 1,
                        .run = RunMethods});
  registry->Add(
      Command{.path = {"health"},
              .synopsis = "[--service NAME]",
              .summary = "grpc.health.v1 check of --addr; exits 0 only when SERVING",
              .flags = {ValueFlag("service", "NAME  service to check (default: the whole server)")},
              .run = RunHealth});
}

}  // namespace firegrid::ctl
