// Commands of the notify service: watch the caller's pushes live, read and acknowledge the
// inbox, the plan's tasks (工作提示) and department webhooks. They talk to the notify address
// (--addr, else FIREGRID_NOTIFY_ADDR, else 127.0.0.1:50053).
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "libs/common/status.h"
#include "tools/firegridctl/commands.h"
#include "tools/firegridctl/enums.h"
#include "tools/firegridctl/proto_fields.h"
#include "tools/firegridctl/rpc.h"
#include "tools/firegridctl/table.h"
#include "tools/firegridctl/watch.h"

namespace firegrid::ctl {
namespace {

namespace nv1 = ::firegrid::notify::v1;
using Stub = nv1::NotifyService::Stub;

std::unique_ptr<Stub> NewStub(Context& ctx) { return nv1::NotifyService::NewStub(ctx.channel()); }

// ----- watch

absl::Status RunWatchCommand(Context& ctx, const ParsedArgs& args) {
  WatchOptions options;
  FG_ASSIGN_OR_RETURN(options.live_only, args.GetBool("live-only"));
  for (const std::string& c : args.GetAll("cursor")) {
    const size_t eq = c.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == c.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cursor: want RECIPIENT=CURSOR (e.g. org:500109.fire_rescue="
                       "1717000000000-0), got \"",
                       c, "\""));
    }
    const std::string cursor = c.substr(eq + 1);
    if (!ParseCursor(cursor).has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cursor: \"", cursor, "\" is not a cursor (<ms>-<seq>)"));
    }
    options.cursors[c.substr(0, eq)] = cursor;
  }
  if (options.live_only && !options.cursors.empty()) {
    return absl::InvalidArgumentError("--live-only skips the replay that --cursor starts from");
  }
  StopSignal stop;
  ScopedStopOnSignals on_signals(&stop);
  return Watch(ctx, options, &stop);
}

// ----- inbox

std::string StateCell(const nv1::Notification& n) {
  std::string s = n.acknowledged() ? "acknowledged" : n.read() ? "read" : "unread";
  if (n.requires_ack() && !n.acknowledged()) absl::StrAppend(&s, ", ack needed");
  return s;
}

void PrintNotification(Context& ctx, const nv1::Notification& n) {
  if (ctx.json()) {
    ctx.PrintJson(n);
    return;
  }
  std::vector<std::pair<std::string, std::string>> kv = {
      {"id", n.notification_id()},
      {"recipient", n.recipient()},
      {"kind", EnumLabel(n.kind())},
      {"title", n.title()},
  };
  if (!n.body().empty()) kv.push_back({"body", n.body()});
  if (!n.hazard_id().empty()) kv.push_back({"hazard", n.hazard_id()});
  if (!n.building_id().empty()) kv.push_back({"building", n.building_id()});
  if (!n.credit_subject_id().empty()) kv.push_back({"credit subject", n.credit_subject_id()});
  if (n.plan_task() != 0) kv.push_back({"plan task", absl::StrCat(n.plan_task())});
  if (!n.tier_path().empty()) kv.push_back({"tier", n.tier_path()});
  kv.push_back({"created", FormatTime(n.created_at())});
  kv.push_back({"state", StateCell(n)});
  if (n.acknowledged()) {
    kv.push_back({"acknowledged",
                  absl::StrCat(FormatTime(n.acknowledged_at()), " by ", n.acknowledged_by())});
  }
  if (!n.acknowledgement_note().empty()) kv.push_back({"note", n.acknowledgement_note()});
  if (!n.renotified_from().empty()) kv.push_back({"re-notifies", n.renotified_from()});
  kv.push_back({"event", absl::StrCat(n.event_type(), " ", n.event_id())});
  if (!n.trace_id().empty()) kv.push_back({"trace", n.trace_id()});
  ctx.out() << RenderKeyValues(kv);
}

absl::Status Inbox(Context& ctx, const ParsedArgs& args) {
  nv1::ListInboxRequest req;
  req.set_recipient(args.GetOr("recipient", ""));
  FG_ASSIGN_OR_RETURN(bool unread, args.GetBool("unread"));
  req.set_unread_only(unread);
  FG_ASSIGN_OR_RETURN(bool all, args.GetBool("all"));
  FG_ASSIGN_OR_RETURN(int64_t page_size, args.GetInt("page-size", all ? 200 : 50));
  if (page_size < 1 || page_size > 200) {
    return absl::InvalidArgumentError("--page-size: between 1 and 200");
  }
  req.set_page_size(static_cast<int32_t>(page_size));
  req.set_page_token(args.GetOr("page-token", ""));
  auto stub = NewStub(ctx);
  nv1::ListInboxResponse result;
  while (true) {
    FG_ASSIGN_OR_RETURN(nv1::ListInboxResponse page, Unary(ctx, *stub, &Stub::ListInbox, req));
    result.mutable_notifications()->MergeFrom(page.notifications());
    result.set_next_page_token(page.next_page_token());
    result.set_unread(page.unread());
    if (!all || page.next_page_token().empty()) break;
    req.set_page_token(page.next_page_token());
  }
  if (ctx.json()) {
    ctx.PrintJson(result);
    return absl::OkStatus();
  }
  Table t({"ID", "CREATED", "RECIPIENT", "KIND", "TITLE", "HAZARD", "STATE", "NOTE"});
  t.WideOnly(2);
  t.Elastic(4);
  t.Elastic(7);
  for (const nv1::Notification& n : result.notifications()) {
    t.AddRow({n.notification_id(), FormatTime(n.created_at()), n.recipient(), EnumLabel(n.kind()),
              n.title(), n.hazard_id(), StateCell(n), n.acknowledgement_note()});
  }
  ctx.out() << t.Render() << result.unread() << " unread\n";
  if (!result.next_page_token().empty()) {
    ctx.out().flush();
    ctx.err() << "more: --page-token " << result.next_page_token() << " (or --all)\n";
  }
  return absl::OkStatus();
}

absl::Status InboxRead(Context& ctx, const ParsedArgs& args) {
  nv1::MarkReadRequest req;
  req.set_notification_id(args.positionals()[0]);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(nv1::Notification n, Unary(ctx, *stub, &Stub::MarkRead, req));
  PrintNotification(ctx, n);
  return absl::OkStatus();
}

absl::Status InboxAck(Context& ctx, const ParsedArgs& args) {
  nv1::AcknowledgeRequest req;
  req.set_notification_id(args.positionals()[0]);
  req.set_note(args.GetOr("note", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(nv1::Notification n, Unary(ctx, *stub, &Stub::Acknowledge, req));
  PrintNotification(ctx, n);
  return absl::OkStatus();
}

// ----- plan

std::string ProgressCell(const nv1::PlanTask& t) {
  std::string s = absl::StrCat(t.progress_percent(), "%");
  if (t.overdue()) absl::StrAppend(&s, " (overdue)");
  return s;
}

void PrintPlanTask(Context& ctx, const nv1::PlanTask& t) {
  if (ctx.json()) {
    ctx.PrintJson(t);
    return;
  }
  std::vector<std::pair<std::string, std::string>> kv = {
      {"number", absl::StrCat(t.number())},
      {"title", t.title()},
      {"deadline", t.deadline()},
      {"lead", absl::StrJoin(t.lead_departments(), ",")},
      {"assisting", absl::StrJoin(t.assisting_departments(), ",")},
      {"progress", ProgressCell(t)},
  };
  if (!t.progress_note().empty()) kv.push_back({"note", t.progress_note()});
  if (t.has_progress_at()) {
    kv.push_back({"reported", absl::StrCat(FormatTime(t.progress_at()), " by ", t.progress_by())});
  }
  ctx.out() << RenderKeyValues(kv);
}

absl::Status PlanList(Context& ctx, const ParsedArgs& args) {
  nv1::ListPlanTasksRequest req;
  req.set_department(args.GetOr("department", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(nv1::ListPlanTasksResponse out, Unary(ctx, *stub, &Stub::ListPlanTasks, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  Table t({"NO", "TITLE", "DEADLINE", "LEAD", "ASSISTING", "PROGRESS"});
  t.Elastic(1);
  t.Elastic(3);
  t.Elastic(4);
  t.AlignRight(0);
  for (const nv1::PlanTask& task : out.tasks()) {
    t.AddRow({absl::StrCat(task.number()), task.title(), task.deadline(),
              absl::StrJoin(task.lead_departments(), ","),
              absl::StrJoin(task.assisting_departments(), ","), ProgressCell(task)});
  }
  ctx.out() << t.Render();
  return absl::OkStatus();
}

absl::Status PlanProgress(Context& ctx, const ParsedArgs& args) {
  nv1::ReportPlanProgressRequest req;
  FG_ASSIGN_OR_RETURN(int64_t number, ParseInt(args.positionals()[0]));
  if (number < 1 || number > 1000000) {
    return absl::InvalidArgumentError("NUMBER: the plan task's number, e.g. 12");
  }
  req.set_number(static_cast<int32_t>(number));
  FG_ASSIGN_OR_RETURN(int64_t percent, args.RequireInt("percent"));
  if (percent < 0 || percent > 100) return absl::InvalidArgumentError("--percent: 0..100");
  req.set_progress_percent(static_cast<int32_t>(percent));
  req.set_note(args.GetOr("note", ""));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(nv1::PlanTask task, Unary(ctx, *stub, &Stub::ReportPlanProgress, req));
  PrintPlanTask(ctx, task);
  return absl::OkStatus();
}

absl::Status PlanOverview(Context& ctx, const ParsedArgs&) {
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(nv1::PlanOverview out,
                      Unary(ctx, *stub, &Stub::GetPlanOverview, nv1::GetPlanOverviewRequest()));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  Table t({"DEPARTMENT", "TASKS", "COMPLETED", "OVERDUE", "AVG PROGRESS"});
  for (size_t c = 1; c <= 4; ++c) t.AlignRight(c);
  for (const nv1::DepartmentProgress& d : out.departments()) {
    t.AddRow({d.department(), absl::StrCat(d.tasks()), absl::StrCat(d.completed()),
              absl::StrCat(d.overdue()),
              absl::StrCat(FormatNumber(d.average_progress_percent(), 1), "%")});
  }
  t.AddRow({"total (distinct tasks)", absl::StrCat(out.tasks()), absl::StrCat(out.completed()),
            absl::StrCat(out.overdue()), ""});
  ctx.out() << t.Render();
  return absl::OkStatus();
}

// ----- webhooks

void PrintWebhook(Context& ctx, const nv1::Webhook& w) {
  if (ctx.json()) {
    ctx.PrintJson(w);
    return;
  }
  ctx.out() << RenderKeyValues({{"org unit", w.org_unit()},
                                {"url", w.url()},
                                {"enabled", YesNo(w.enabled())},
                                {"updated", FormatTime(w.updated_at())}});
}

absl::Status WebhookSet(Context& ctx, const ParsedArgs& args) {
  nv1::SetWebhookRequest req;
  nv1::Webhook* w = req.mutable_webhook();
  FG_ASSIGN_OR_RETURN(*w->mutable_org_unit(), args.Require("org-unit"));
  FG_ASSIGN_OR_RETURN(*w->mutable_url(), args.Require("url"));
  FG_ASSIGN_OR_RETURN(std::string secret_file, args.Require("secret-file"));
  FG_ASSIGN_OR_RETURN(std::string secret, ReadFile(secret_file));
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--secret-file: ", secret_file, " is empty"));
  }
  w->set_secret(secret);
  FG_ASSIGN_OR_RETURN(bool disabled, args.GetBool("disabled"));
  w->set_enabled(!disabled);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(nv1::Webhook out, Unary(ctx, *stub, &Stub::SetWebhook, req));
  PrintWebhook(ctx, out);
  return absl::OkStatus();
}

absl::Status WebhookGet(Context& ctx, const ParsedArgs& args) {
  nv1::GetWebhookRequest req;
  req.set_org_unit(args.positionals()[0]);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(nv1::Webhook out, Unary(ctx, *stub, &Stub::GetWebhook, req));
  PrintWebhook(ctx, out);
  return absl::OkStatus();
}

absl::Status WebhookDelete(Context& ctx, const ParsedArgs& args) {
  nv1::DeleteWebhookRequest req;
  req.set_org_unit(args.positionals()[0]);
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(nv1::DeleteWebhookResponse out, Unary(ctx, *stub, &Stub::DeleteWebhook, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
  } else {
    ctx.out() << "deleted the webhook of " << req.org_unit() << "\n";
  }
  return absl::OkStatus();
}

absl::Status WebhookDeliveries(Context& ctx, const ParsedArgs& args) {
  nv1::ListDeliveriesRequest req;
  req.set_org_unit(args.positionals()[0]);
  FG_ASSIGN_OR_RETURN(int64_t limit, args.GetInt("limit", 50));
  if (limit < 1 || limit > 200) return absl::InvalidArgumentError("--limit: between 1 and 200");
  req.set_limit(static_cast<int32_t>(limit));
  auto stub = NewStub(ctx);
  FG_ASSIGN_OR_RETURN(nv1::ListDeliveriesResponse out,
                      Unary(ctx, *stub, &Stub::ListDeliveries, req));
  if (ctx.json()) {
    ctx.PrintJson(out);
    return absl::OkStatus();
  }
  Table t({"DELIVERY", "NOTIFICATION", "STATE", "ATTEMPTS", "HTTP", "LAST ERROR", "NEXT ATTEMPT",
           "UPDATED"});
  t.Elastic(5);
  t.AlignRight(3);
  t.AlignRight(4);
  for (const nv1::Delivery& d : out.deliveries()) {
    t.AddRow({d.delivery_id(), d.notification_id(), d.state(), absl::StrCat(d.attempts()),
              d.last_http_status() == 0 ? "" : absl::StrCat(d.last_http_status()), d.last_error(),
              FormatTime(d.next_attempt_at()), FormatTime(d.updated_at())});
  }
  ctx.out() << t.Render();
  return absl::OkStatus();
}

// Every notify command goes to the notify service.
Command Notify(Command c) {
  c.endpoint = FixedEndpoint(kNotifyEndpoint);
  return c;
}

}  // namespace

void RegisterNotifyCommands(Registry* registry) {
  registry->Add(Notify(Command{
      .path = {"watch"},
      .synopsis = "[--live-only] [--cursor RECIPIENT=CURSOR]...",
      .summary = "stream your notifications live (隐患推送); reconnects without gaps; Ctrl-C ends",
      .flags = {BoolFlag("live-only", "skip what is already in your inboxes"),
                RepeatedFlag("cursor",
                             "RECIPIENT=CURSOR  replay that inbox after this cursor (the "
                             "\"cursor\" of --output json; repeatable)")},
      .run = RunWatchCommand}));
  registry->Add(Notify(Command{
      .path = {"inbox"},
      .synopsis = "[--unread] [--recipient R] [--page-size N] [--all]",
      .summary = "your notifications: unread first, newest first",
      .flags = {BoolFlag("unread", "only unread ones"),
                ValueFlag("recipient", "R  one of your inboxes, e.g. org:500109.fire_rescue"),
                ValueFlag("page-size", "N  1..200 (default 50)"),
                ValueFlag("page-token", "T  continue a listing"),
                BoolFlag("all", "follow every page")},
      .run = Inbox}));
  registry->Add(Notify(Command{.path = {"inbox", "read"},
                               .synopsis = "ID",
                               .summary = "mark a notification read",
                               .min_positionals = 1,
                               .max_positionals = 1,
                               .run = InboxRead}));
  registry->Add(Notify(Command{.path = {"inbox", "ack"},
                               .synopsis = "ID [--note N]",
                               .summary = "acknowledge a pushed task (stops its re-notification "
                                          "up the tiers)",
                               .flags = {ValueFlag("note", "N  e.g. 已安排人员核查")},
                               .min_positionals = 1,
                               .max_positionals = 1,
                               .run = InboxAck}));
  registry->Add(Notify(Command{
      .path = {"plan", "list"},
      .synopsis = "[--department D]",
      .summary = "the plan's tasks (工作提示) with deadlines, leads and progress",
      .flags = {ValueFlag("department", "D  led or assisted by this slug, e.g. fire_rescue")},
      .run = PlanList}));
  registry->Add(Notify(Command{.path = {"plan", "progress"},
                               .synopsis = "NUMBER --percent P [--note N]",
                               .summary = "report a plan task's progress (a lead of the task)",
                               .flags = {ValueFlag("percent", "P  0..100"), ValueFlag("note", "N")},
                               .min_positionals = 1,
                               .max_positionals = 1,
                               .run = PlanProgress}));
  registry->Add(Notify(Command{.path = {"plan", "overview"},
                               .summary = "plan progress per lead department",
                               .run = PlanOverview}));
  registry->Add(Notify(Command{
      .path = {"webhook", "set"},
      .synopsis = "--org-unit U --url URL --secret-file F [--disabled]",
      .summary = "POST an org unit's notifications to a department system (HMAC-SHA256 signed)",
      .flags = {ValueFlag("org-unit", "U  e.g. 500109.fire_rescue"),
                ValueFlag("url", "URL  https://... (http:// only where the server allows it)"),
                ValueFlag("secret-file", "F  file holding the HMAC key (16..1024 bytes)"),
                BoolFlag("disabled", "store it disabled (nothing is sent)")},
      .run = WebhookSet}));
  registry->Add(Notify(Command{.path = {"webhook", "get"},
                               .synopsis = "U",
                               .summary = "an org unit's webhook (the secret is never shown)",
                               .min_positionals = 1,
                               .max_positionals = 1,
                               .run = WebhookGet}));
  registry->Add(Notify(Command{.path = {"webhook", "delete"},
                               .synopsis = "U",
                               .summary = "remove an org unit's webhook",
                               .min_positionals = 1,
                               .max_positionals = 1,
                               .run = WebhookDelete}));
  registry->Add(Notify(Command{.path = {"webhook", "deliveries"},
                               .synopsis = "U [--limit N]",
                               .summary = "an org unit's webhook deliveries, newest first",
                               .flags = {ValueFlag("limit", "N  1..200 (default 50)")},
                               .min_positionals = 1,
                               .max_positionals = 1,
                               .run = WebhookDeliveries}));
}

}  // namespace firegrid::ctl
