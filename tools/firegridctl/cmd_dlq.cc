// `firegridctl dlq`: the dead letters of a consuming service (firegrid.events.v1.
// DeadLetterService, libs/events/dead_letters.h), for district admins: list them per topic,
// show one whole, replay it to its original topic, or drop it with a reason.
#include <iostream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "firegrid/events/v1/dead_letters.grpc.pb.h"
#include "libs/common/status.h"
#include "tools/firegridctl/commands.h"
#include "tools/firegridctl/enums.h"
#include "tools/firegridctl/proto_fields.h"
#include "tools/firegridctl/rpc.h"
#include "tools/firegridctl/table.h"

namespace firegrid::ctl {
namespace {

namespace dv1 = ::firegrid::events::v1;
using Stub = dv1::DeadLetterService::Stub;

constexpr char kServices[] = "hazards, credit, monitoring or notify";

// The consuming service that keeps the dead letters (--service, required: each service keeps
// its own consumer groups' dead letters).
absl::StatusOr<Endpoint> EndpointFor(const ParsedArgs& args) {
  std::optional<std::string> service = args.Get("service");
  if (!service.has_value()) {
    return UsageError(absl::StrCat("missing --service: whose dead letters (", kServices, ")"));
  }
  if (*service == "hazards") return kHazardsEndpoint;
  if (*service == "credit") return kCreditEndpoint;
  if (*service == "monitoring") return kMonitoringEndpoint;
  if (*service == "notify") return kNotifyEndpoint;
  return UsageError(absl::StrCat("--service: '", *service, "' is not one of ", kServices));
}

std::function<Endpoint(const ParsedArgs&)> DlqEndpoint() {
  return [](const ParsedArgs& args) {
    absl::StatusOr<Endpoint> e = EndpointFor(args);
    return e.ok() ? *e : kHazardsEndpoint;
  };
}

// "buildings" is short for "firegrid.buildings.events.v1"; full names pass unchanged.
std::string TopicName(const std::string& topic) {
  if (absl::StrContains(topic, '.')) return topic;
  return absl::StrCat("firegrid.", topic, ".events.v1");
}

std::string StateLabel(dv1::DeadLetterState s) { return EnumLabel(s); }

absl::Status RunList(Context& ctx, const ParsedArgs& args) {
  FG_RETURN_IF_ERROR(EndpointFor(args).status());
  FG_ASSIGN_OR_RETURN(std::string topic, args.Require("topic"));
  dv1::ListDeadLettersRequest req;
  req.set_topic(TopicName(topic));
  if (std::optional<std::string> state = args.Get("state"); state.has_value()) {
    absl::StatusOr<dv1::DeadLetterState> s = ParseEnum<dv1::DeadLetterState>(*state);
    if (!s.ok()) return UsageError(absl::StrCat("--state: ", s.status().message()));
    req.set_state(*s);
  }
  FG_ASSIGN_OR_RETURN(int64_t page_size, args.GetInt("page-size", 50));
  req.set_page_size(static_cast<int32_t>(page_size));
  req.set_page_token(args.GetOr("page-token", ""));
  FG_ASSIGN_OR_RETURN(bool all, args.GetBool("all"));
  auto stub = dv1::DeadLetterService::NewStub(ctx.channel());
  FG_ASSIGN_OR_RETURN(dv1::ListDeadLettersResponse resp,
                      ListPages(ctx, *stub, all, req, &Stub::ListDeadLetters,
                                &dv1::ListDeadLettersResponse::mutable_dead_letters));
  if (ctx.json()) {
    ctx.PrintJson(resp);
    return absl::OkStatus();
  }
  Table t({"ID", "FAILED", "KEY", "EVENT", "TYPE", "STATE", "GROUP", "REASON"});
  t.WideOnly(3);
  t.WideOnly(6);
  t.Elastic(4);
  t.Elastic(7);
  for (const dv1::DeadLetterEntry& e : resp.dead_letters()) {
    std::string type = e.event_type().substr(e.event_type().rfind('.') + 1);
    t.AddRow({e.dead_letter_id(), FormatTime(e.failed_at()), e.key(), e.event_id(),
              e.event_type().empty() ? "(not an event)" : type, StateLabel(e.state()),
              e.consumer_group(), e.reason()});
  }
  ctx.out() << t.Render();
  if (!resp.next_page_token().empty()) {
    ctx.err() << "more: --page-token " << resp.next_page_token() << " (or --all)\n";
  }
  return absl::OkStatus();
}

std::vector<std::pair<std::string, std::string>> EntryPairs(const dv1::DeadLetterEntry& e) {
  std::vector<std::pair<std::string, std::string>> kv = {
      {"id", e.dead_letter_id()},
      {"state", StateLabel(e.state())},
      {"topic", absl::StrCat(e.topic(), " [", e.partition(), "] @", e.offset())},
      {"key", e.key()},
      {"event", e.event_id()},
      {"type", e.event_type()},
      {"group", e.consumer_group()},
      {"failed", FormatTime(e.failed_at())},
      {"reason", e.reason()},
  };
  if (e.state() == dv1::DEAD_LETTER_STATE_REPLAYED || e.state() == dv1::DEAD_LETTER_STATE_DROPPED) {
    kv.push_back({"by", e.acted_by()});
    kv.push_back({"at", FormatTime(e.acted_at())});
  }
  if (!e.drop_reason().empty()) kv.push_back({"dropped because", e.drop_reason()});
  return kv;
}

absl::Status RunShow(Context& ctx, const ParsedArgs& args) {
  FG_RETURN_IF_ERROR(EndpointFor(args).status());
  auto stub = dv1::DeadLetterService::NewStub(ctx.channel());
  dv1::GetDeadLetterRequest req;
  req.set_dead_letter_id(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(dv1::DeadLetterDetail d, Unary(ctx, *stub, &Stub::GetDeadLetter, req));
  if (ctx.json()) {
    ctx.PrintJson(d);
    return absl::OkStatus();
  }
  std::vector<std::pair<std::string, std::string>> kv = EntryPairs(d.entry());
  for (const auto& [k, v] : d.headers()) kv.push_back({absl::StrCat("header ", k), v});
  kv.push_back({"value", absl::StrCat(d.value().size(), " bytes")});
  ctx.out() << RenderKeyValues(kv);
  if (d.has_envelope()) {
    ctx.out() << "envelope:\n";
    ctx.PrintJson(d.envelope());
  } else {
    // Not an envelope: why, and the first bytes as hex so that the producer can be found.
    const size_t n = std::min<size_t>(d.value().size(), 64);
    ctx.out() << "not an envelope: " << d.decode_error() << "\n"
              << "first " << n << " bytes: " << absl::BytesToHexString(d.value().substr(0, n))
              << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunReplay(Context& ctx, const ParsedArgs& args) {
  FG_RETURN_IF_ERROR(EndpointFor(args).status());
  auto stub = dv1::DeadLetterService::NewStub(ctx.channel());
  dv1::ReplayDeadLetterRequest req;
  req.set_dead_letter_id(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(dv1::ReplayDeadLetterResponse r,
                      Unary(ctx, *stub, &Stub::ReplayDeadLetter, req));
  if (ctx.json()) {
    ctx.PrintJson(r);
  } else {
    ctx.out() << "replayed " << r.dead_letter_id() << ": event " << r.entry().event_id()
              << " published again to " << r.entry().topic() << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunDrop(Context& ctx, const ParsedArgs& args) {
  FG_RETURN_IF_ERROR(EndpointFor(args).status());
  FG_ASSIGN_OR_RETURN(std::string reason, args.Require("reason"));
  auto stub = dv1::DeadLetterService::NewStub(ctx.channel());
  dv1::DropDeadLetterRequest req;
  req.set_dead_letter_id(args.positionals()[0]);
  req.set_reason(reason);
  FG_ASSIGN_OR_RETURN(dv1::DropDeadLetterResponse r, Unary(ctx, *stub, &Stub::DropDeadLetter, req));
  if (ctx.json()) {
    ctx.PrintJson(r);
  } else {
    ctx.out() << "dropped " << r.dead_letter_id() << " (kept on Kafka, no longer pending)\n";
  }
  return absl::OkStatus();
}

FlagSpec ServiceFlag() {
  return ValueFlag("service", "S  hazards, credit, monitoring or notify (whose dead letters)");
}

}  // namespace

void RegisterDlqCommands(Registry* registry) {
  registry->Add(Command{
      .path = {"dlq", "list"},
      .synopsis = "--service S --topic T [--state pending|replayed|dropped] [--all]",
      .summary = "dead letters of a service on one topic, oldest first (district admins)",
      .flags = {ServiceFlag(),
                ValueFlag("topic",
                          "T  the original topic, e.g. buildings or "
                          "firegrid.buildings.events.v1"),
                ValueFlag("state", "S  only pending, replayed or dropped ones"),
                ValueFlag("page-size", "N  1..500 per page (default 50)"),
                ValueFlag("page-token", "T  continue a listing"), BoolFlag("all", "every page")},
      .run = RunList,
      .endpoint = DlqEndpoint()});
  registry->Add(Command{.path = {"dlq", "show"},
                        .synopsis = "ID --service S",
                        .summary = "one dead letter whole: why, headers, the event or its bytes",
                        .flags = {ServiceFlag()},
                        .min_positionals = 1,
                        .max_positionals = 1,
                        .run = RunShow,
                        .endpoint = DlqEndpoint()});
  registry->Add(Command{
      .path = {"dlq", "replay"},
      .synopsis = "ID --service S",
      .summary = "publish a dead letter's event again to its topic (once; consumers dedupe)",
      .flags = {ServiceFlag()},
      .min_positionals = 1,
      .max_positionals = 1,
      .run = RunReplay,
      .endpoint = DlqEndpoint()});
  registry->Add(Command{.path = {"dlq", "drop"},
                        .synopsis = "ID --service S --reason TEXT",
                        .summary = "give a dead letter up for good, saying why (kept on Kafka)",
                        .flags = {ServiceFlag(), ValueFlag("reason", "TEXT  why (required)")},
                        .min_positionals = 1,
                        .max_positionals = 1,
                        .run = RunDrop,
                        .endpoint = DlqEndpoint()});
}

}  // namespace firegrid::ctl
