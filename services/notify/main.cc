// firegrid-notify: hazard push, inboxes, acknowledgements, work reminders, webhooks. Thin:
// flags, wiring, serve.
#include <cstdio>

#include "libs/common/clock.h"
#include "libs/common/config.h"
#include "libs/common/ids.h"
#include "libs/common/logging.h"
#include "libs/events/topics.h"
#include "libs/server/runtime.h"
#include "services/notify/grpc_service.h"
#include "services/notify/inbox.h"
#include "services/notify/metrics.h"
#include "services/notify/plan.h"
#include "services/notify/recipients.h"
#include "services/notify/webhooks.h"

int main(int argc, char** argv) {
  using namespace firegrid;
  if (absl::Status s = server::ServiceHost::InstallSignalHandlers(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  server::RuntimeConfig rc;
  std::string plan_file, departments_file, key_prefix, group, buildings_prefix;
  absl::Duration ack_timeout, urgent_ack_timeout, timer_interval, plan_interval, inbox_retention;
  int inbox_max_per_recipient;
  int consumer_members, webhook_attempts, max_streams, max_streams_per_principal, stream_buffer;
  bool webhook_allow_http = false, webhook_allow_loopback = false;
  ConfigBinder binder("firegrid-notify");
  server::BindRuntimeConfig(binder, &rc, 50053, 9466);
  binder.String("plan-file", &plan_file, "config/plan_tasks.textproto",
                "the plan's tasks with deadlines and leads (text proto)");
  binder.String("departments-file", &departments_file, "",
                "the departments and utilities (text proto DepartmentBook); empty: the copy of "
                "config/departments.textproto built in. Give hazards the same file");
  binder.String("redis-key-prefix", &key_prefix, "fg:notify", "prefix of this service's keys");
  binder.String("consumer-group", &group, "notify", "Kafka consumer group");
  binder.Int("consumer-members", &consumer_members, 6,
             "members of the consumer group in this replica, each handling its share of the "
             "partitions on a thread of its own (order is kept per partition); the group spreads "
             "the 24 partitions of its four topics evenly over the members of all replicas",
             1, 32);
  binder.String("buildings-key-prefix", &buildings_prefix, "fg:buildings",
                "key prefix of the buildings service in the same Redis: its org unit registry "
                "decides which org units may have a webhook (read only)");
  binder.Duration("ack-timeout", &ack_timeout, absl::Hours(4),
                  "an unacknowledged hazard task is re-notified one tier up after this",
                  absl::Seconds(1), absl::Hours(24 * 30));
  binder.Duration("urgent-ack-timeout", &urgent_ack_timeout, absl::Minutes(3),
                  "an unacknowledged urgent notification (a fire alarm) is re-notified one tier "
                  "up after this",
                  absl::Seconds(1), absl::Hours(1));
  binder.Duration("timer-interval", &timer_interval, absl::Seconds(1),
                  "how often re-notifications and webhook deliveries are looked for",
                  absl::Milliseconds(10), absl::Minutes(10));
  binder.Duration("plan-reminder-interval", &plan_interval, absl::Minutes(1),
                  "how often plan-task deadlines are checked", absl::Milliseconds(10),
                  absl::Hours(24));
  binder.Duration("inbox-retention", &inbox_retention, absl::Hours(24 * 90),
                  "read notifications older than this are dropped from inboxes (unread ones and "
                  "unacknowledged tasks never are)",
                  absl::Hours(1), absl::Hours(24 * 3650));
  binder.Int("inbox-max-per-recipient", &inbox_max_per_recipient, 10000,
             "read notifications beyond this many newest of an inbox are dropped even if younger "
             "(unread ones and unacknowledged tasks never are)",
             100, 10000000);
  binder.Int("webhook-max-attempts", &webhook_attempts, 8, "delivery attempts per webhook call", 1,
             50);
  binder.Int("max-streams", &max_streams, 20000,
             "open Subscribe streams per replica (a stream costs memory, no thread or Redis "
             "connection of its own); RESOURCE_EXHAUSTED beyond",
             1, 1000000);
  binder.Int("stream-buffer", &stream_buffer, 256,
             "messages one Subscribe stream may have waiting to be sent; a stream whose client "
             "falls further behind is ended with ABORTED and resumes from its cursor",
             8, 100000);
  binder.Int("max-streams-per-principal", &max_streams_per_principal, 8,
             "open Subscribe streams per user (token subject) per replica; RESOURCE_EXHAUSTED "
             "beyond",
             1, 10000);
  binder.Bool("webhook-allow-http", &webhook_allow_http, false,
              "accept http:// webhook URLs (local runs and tests only; https:// otherwise)");
  binder.Bool("webhook-allow-loopback", &webhook_allow_loopback, false,
              "let webhooks POST to loopback addresses (local runs and tests only; private, "
              "link-local and other non-global addresses stay refused)");
  server::ParseConfigOrExit(binder, argc, argv);

  auto departments = hazards::Departments::LoadFileOrShipped(departments_file);
  if (!departments.ok()) {
    log::Init("notify");
    log::Error("invalid departments", {{"error", std::string(departments.status().message())}});
    return 2;
  }
  notify::UsePlanDepartments(&*departments);
  auto plan_book = notify::LoadPlanBook(plan_file);
  if (!plan_book.ok()) {
    log::Init("notify");
    log::Error("invalid plan", {{"error", std::string(plan_book.status().message())}});
    return 2;
  }
  auto runtime = server::Runtime::Create("notify", rc, key_prefix);
  if (!runtime.ok()) {
    log::Error("invalid configuration", {{"error", std::string(runtime.status().message())}});
    return 2;
  }
  server::Runtime& rt = **runtime;
  // The keyspace layout this release reads and writes (docs/upgrades.md).
  if (absl::Status s = rt.PrepareKeyspace(redis::Schema{}); !s.ok()) {
    log::Error("keyspace not ready", {{"error", std::string(s.message())}});
    return 1;
  }
  RandomIdGenerator ids;
  notify::NotifyMetrics metrics(&rt.host().metrics());
  notify::InboxOptions io;
  io.on_notified = [&metrics](const notify::v1::Notification& n, int recipients) {
    metrics.Pushed(n, recipients);
  };
  io.ack_timeout = ack_timeout;
  io.urgent_ack_timeout = urgent_ack_timeout;
  io.retention = inbox_retention;
  io.max_per_recipient = inbox_max_per_recipient;
  notify::Inbox inbox(&rt.redis(), key_prefix, RealClock::Get(), &ids, io);
  auto plan =
      notify::PlanTasks::Create(&rt.redis(), key_prefix, *plan_book, RealClock::Get(), &inbox);
  if (!plan.ok()) {
    log::Error("invalid plan", {{"error", std::string(plan.status().message())}});
    return 2;
  }
  notify::WebhookOptions wo;
  wo.max_attempts = webhook_attempts;
  wo.allow_http = webhook_allow_http;
  wo.destination.allow_loopback = webhook_allow_loopback;
  wo.org_units = notify::RedisOrgUnitRegistry(&rt.redis(), buildings_prefix);
  wo.on_attempt = [&metrics](const notify::v1::Delivery& d) { metrics.WebhookAttempt(d); };
  notify::Webhooks webhooks(&rt.redis(), key_prefix, wo, RealClock::Get());
  notify::SubscribeOptions so;
  so.limits.per_replica = max_streams;
  so.limits.per_principal = max_streams_per_principal;
  so.max_buffer = static_cast<size_t>(stream_buffer);
  notify::NotifyGrpcService service(&inbox, &rt.redis(), plan->get(), &webhooks,
                                    &rt.authenticator(), so);
  rt.host().AddService(&service);
  if (absl::Status s = metrics.WatchSubscribers([&service] { return service.open_streams(); });
      !s.ok()) {
    log::Error("metrics", {{"error", std::string(s.message())}});
    return 2;
  }

  auto handler = [&](const events::Envelope& env) { return notify::NotifyEvent(env, &inbox); };
  if (absl::Status s =
          rt.AddConsumer(group,
                         {std::string(events::kHazardsTopic), std::string(events::kBuildingsTopic),
                          std::string(events::kCreditTopic), std::string(events::kMonitoringTopic)},
                         handler, consumer_members);
      !s.ok()) {
    log::Error("invalid consumer configuration", {{"error", std::string(s.message())}});
    return 2;
  }
  rt.AddPeriodic("renotify", timer_interval, [&]() -> absl::Status {
    absl::StatusOr<int> fired = inbox.FireRenotifications();
    if (fired.ok()) metrics.TimersFired(notify::kTimerAckTimeout, *fired);
    return fired.status();
  });
  rt.AddPeriodic("inbox-retention", absl::Minutes(5), [&]() { return inbox.Trim().status(); });
  rt.AddPeriodic("webhooks", timer_interval, [&]() { return webhooks.RunOnce().status(); });
  rt.AddPeriodic("plan-reminders", plan_interval, [&]() -> absl::Status {
    absl::StatusOr<int> sent = (*plan)->RunReminders();
    if (sent.ok()) metrics.TimersFired(notify::kTimerPlanDeadline, *sent);
    return sent.status();
  });
  const int code = rt.Serve();
  service.Close();
  webhooks.Stop();
  metrics.Close();
  return code;
}
