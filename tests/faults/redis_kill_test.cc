// redis-server SIGKILL right after an acknowledged write, restarted on the same AOF, with
// `appendfsync always` and `everysec`, Cycles(2) times under a CreateBuilding load: no
// acknowledged write is lost with either policy (a process kill keeps what reached the page
// cache; docs/reliability.md says what everysec risks when the machine itself crashes), none is
// applied twice, and every event still reaches the topic. Recovery: Redis restarted → the next
// acknowledged write.

#include <algorithm>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/faults/harness.h"
#include "tests/faults/report.h"
#include "tests/faults/workloads.h"

namespace firegrid::faults {
namespace {

class RedisKillExperiment : public ::testing::TestWithParam<std::string> {};

TEST_P(RedisKillExperiment, SigkillRightAfterAnAcknowledgedWriteLosesNothingOnTheSameAof) {
  const std::string appendfsync = GetParam();
  std::unique_ptr<Workload> workload = BuildingsWorkload();
  Stack stack("redis-kill-" + appendfsync, StackOptions{.appendfsync = appendfsync});
  absl::Status started = stack.Start(workload->services());
  ASSERT_TRUE(started.ok()) << started;
  workload->SetUp(stack);

  Load load(4, [&](const std::string& key) { return workload->Write(stack, key); });
  load.Start();
  ASSERT_TRUE(load.WaitAcknowledged(20)) << "the load did not get going";
  const int cycles = Cycles(2);
  absl::Duration recovery_max;
  for (int c = 0; c < cycles; ++c) {
    ASSERT_TRUE(load.WaitAcknowledged(1));
    ASSERT_TRUE(stack.redis().Kill().ok());  // right after that acknowledgement
    ASSERT_TRUE(stack.redis().Restart().ok());
    const absl::Time back = absl::Now();
    ASSERT_TRUE(load.WaitAcknowledged(1)) << "no write acknowledged after Redis came back";
    recovery_max = std::max(recovery_max, absl::Now() - back);
    ASSERT_TRUE(load.WaitAcknowledged(20)) << "the load did not resume after cycle " << c;
  }
  load.Stop();

  CheckAndReport(*workload, stack, load,
                 absl::StrCat("redis-server kill -9 (appendfsync ", appendfsync,
                              ") under CreateBuilding load"),
                 cycles, recovery_max);
}

INSTANTIATE_TEST_SUITE_P(Appendfsync, RedisKillExperiment, ::testing::Values("always", "everysec"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param == "always" ? "Always" : "Everysec";
                         });

}  // namespace
}  // namespace firegrid::faults
