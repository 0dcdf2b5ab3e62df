// kill -9 of a service under its own write load: four client threads write (each write with its
// idempotency/request id, retried on UNAVAILABLE as a client does) while the service gets
// SIGKILL and is started again on the same port, Cycles(2) times. Afterwards every acknowledged
// write must be stored exactly once (read from Redis directly) and its event be on the topic
// with one event id (read from the beginning). Recovery: SIGKILL → the restarted service SERVING.

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/faults/harness.h"
#include "tests/faults/report.h"
#include "tests/faults/workloads.h"

namespace firegrid::faults {
namespace {

struct KillCase {
  std::string name;
  std::function<std::unique_ptr<Workload>()> make;
};

// Names the case in test listings (not its bytes).
void PrintTo(const KillCase& c, std::ostream* os) { *os << c.name; }

class KillExperiment : public ::testing::TestWithParam<KillCase> {};

TEST_P(KillExperiment, SigkillUnderWriteLoadLosesNoAcknowledgedWriteAndAppliesNoneTwice) {
  std::unique_ptr<Workload> workload = GetParam().make();
  Stack stack("kill-" + workload->target());
  absl::Status started = stack.Start(
      workload->services(), [&](const std::string& name) { return workload->Flags(name, stack); });
  ASSERT_TRUE(started.ok()) << started;
  workload->SetUp(stack);
  if (HasFatalFailure()) return;

  Load load(4, [&](const std::string& key) { return workload->Write(stack, key); });
  load.Start();
  ASSERT_TRUE(load.WaitAcknowledged(20)) << "the load did not get going";
  const int cycles = Cycles(2);
  absl::Duration recovery_max;
  for (int c = 0; c < cycles; ++c) {
    absl::StatusOr<absl::Duration> recovery = stack.KillAndRestart(workload->target());
    ASSERT_TRUE(recovery.ok()) << "cycle " << c << ": " << recovery.status();
    recovery_max = std::max(recovery_max, *recovery);
    ASSERT_TRUE(load.WaitAcknowledged(20)) << "no writes acknowledged after restart " << c;
  }
  load.Stop();

  CheckAndReport(
      *workload, stack, load,
      absl::StrCat("kill -9 ", workload->target(), " under ", workload->write_name(), " load"),
      cycles, recovery_max);
}

INSTANTIATE_TEST_SUITE_P(Services, KillExperiment,
                         ::testing::Values(KillCase{"Buildings", BuildingsWorkload},
                                           KillCase{"Hazards", HazardsWorkload},
                                           KillCase{"Credit", CreditWorkload},
                                           KillCase{"Notify", NotifyWorkload},
                                           KillCase{"Monitoring", MonitoringWorkload},
                                           KillCase{"Gateway", GatewayWorkload}),
                         [](const ::testing::TestParamInfo<KillCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace firegrid::faults
