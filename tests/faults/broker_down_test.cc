// The broker down while writes continue: the dev broker takes all its brokers down (SIGUSR1) for
// 5 s (60 s in the full run) and up again (SIGUSR2), Cycles(1) times, under a CreateBuilding
// load of 20 writes a second. While it is down the writes are still accepted (their events wait in
// the outbox), the service's overall health stays SERVING while its "firegrid.kafka" health is
// NOT_SERVING, and the outbox's backlog and the age of its oldest event are exported; afterwards
// every event is delivered. Recovery: broker up → the outbox empty again.

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "libs/server/runtime.h"
#include "tests/faults/harness.h"
#include "tests/faults/report.h"
#include "tests/faults/workloads.h"
#include "tests/support/subprocess.h"

namespace firegrid::faults {
namespace {

constexpr int kServing = 1;
constexpr int kNotServing = 2;
constexpr double kWritesPerSecond = 20;

TEST(BrokerDownExperiment, WritesAreAcceptedWhileTheBrokerIsDownAndAllDeliveredAfterwards) {
  std::unique_ptr<Workload> workload = BuildingsWorkload();
  Stack stack("broker-down");
  absl::Status started = stack.Start(workload->services());
  ASSERT_TRUE(started.ok()) << started;
  workload->SetUp(stack);
  testing::ServiceProcess& service = stack.service(workload->target());
  const std::string kafka_health(server::kKafkaHealthName);

  // A steady 20 writes a second: the dev broker keeps about 5 MiB per partition, and an
  // unthrottled load over ten 60 s outages writes more events than that (the oldest would be
  // gone from the topic before the check reads it).
  Load load(
      4, [&](const std::string& key) { return workload->Write(stack, key); }, absl::Seconds(60),
      kWritesPerSecond);
  load.Start();
  ASSERT_TRUE(load.WaitAcknowledged(20)) << "the load did not get going";

  const int cycles = Cycles(1);
  const absl::Duration down_for = FullRun() ? absl::Seconds(60) : absl::Seconds(5);
  absl::Duration recovery_max;
  double oldest_age_max = 0;
  double backlog_max = 0;
  int64_t acknowledged_while_down = 0;
  for (int c = 0; c < cycles; ++c) {
    ASSERT_TRUE(stack.broker().Down().ok());
    const int64_t acked_before = load.acknowledged();
    EXPECT_TRUE(testing::WaitUntil(
        [&] {
          return testing::CheckHealth(service.grpc_address(), kafka_health).value_or(0) ==
                 kNotServing;
        },
        absl::Seconds(30)))
        << "the broker's health did not go NOT_SERVING";
    // The outage lasts `down_for` (the experiment's parameter, not a condition to wait for);
    // meanwhile the service must stay SERVING and its backlog grow visibly.
    const absl::Time up_at = absl::Now() + down_for;
    while (absl::Now() < up_at) {
      absl::StatusOr<int> overall = testing::CheckHealth(service.grpc_address(), "");
      EXPECT_TRUE(overall.ok() && *overall == kServing)
          << "overall health not SERVING while the broker is down: "
          << (overall.ok() ? absl::StrCat(*overall) : overall.status().ToString());
      oldest_age_max = std::max(
          oldest_age_max, MetricValue(service, "firegrid_outbox_oldest_age_seconds").value_or(0));
      backlog_max =
          std::max(backlog_max, MetricValue(service, "firegrid_outbox_backlog").value_or(0));
      absl::SleepFor(std::min(absl::Milliseconds(500), up_at - absl::Now()));
    }
    acknowledged_while_down += load.acknowledged() - acked_before;
    ASSERT_TRUE(stack.broker().Up().ok());
    const absl::Time up = absl::Now();
    EXPECT_TRUE(testing::WaitUntil(
        [&] {
          return MetricValue(service, "firegrid_outbox_backlog").value_or(-1) == 0 &&
                 testing::CheckHealth(service.grpc_address(), kafka_health).value_or(0) == kServing;
        },
        absl::Seconds(120)))
        << "the outbox did not drain after the broker came back";
    recovery_max = std::max(recovery_max, absl::Now() - up);
  }
  load.Stop();

  CheckAndReport(
      *workload, stack, load,
      absl::StrFormat("broker down %ds under CreateBuilding load", absl::ToInt64Seconds(down_for)),
      cycles, recovery_max,
      {{"load (writes/s)", absl::StrCat(kWritesPerSecond)},
       {"acknowledged while down", absl::StrCat(acknowledged_while_down)},
       {"outbox backlog max", absl::StrCat(backlog_max)},
       {"oldest event age max (s)", absl::StrFormat("%.1f", oldest_age_max)}});

  EXPECT_GT(acknowledged_while_down, 0) << "no write was accepted while the broker was down";
  EXPECT_GT(oldest_age_max, 0) << "the backlog's age was not reported while the broker was down";
}

}  // namespace
}  // namespace firegrid::faults
