// The harness's own logic, hermetic: the load generator's retries and bookkeeping against a fake
// write, and the comparison that counts lost and duplicated writes.

#include "tests/faults/harness.h"

#include <atomic>
#include <map>
#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace firegrid::faults {
namespace {

TEST(FaultsCompare, CountsAWriteAppliedNeverAsLostAndTwiceAsOneDuplicate) {
  const std::set<std::string> must = {"a", "b", "c"};
  const std::map<std::string, int> applied = {{"a", 1}, {"b", 2}, {"x", 3}};
  Verdict v = Compare(must, applied, "thing");
  EXPECT_EQ(v.lost, 1);        // c
  EXPECT_EQ(v.duplicated, 3);  // b once more, x twice more
  EXPECT_FALSE(v.examples.empty());
}

TEST(FaultsCompare, FindsNothingWhenEachWriteIsAppliedOnce) {
  Verdict v = Compare({"a", "b"}, {{"a", 1}, {"b", 1}, {"c", 1}}, "thing");
  EXPECT_EQ(v.lost, 0);
  EXPECT_EQ(v.duplicated, 0);
}

TEST(FaultsLoad, RetriesUnavailableWithTheSameKeyAndCountsTheWriteAcknowledgedOnce) {
  absl::Mutex mu;
  std::map<std::string, int> calls;  // key → attempts
  Load load(2, [&](const std::string& key) {
    absl::MutexLock lock(&mu);
    Attempt a;
    // Every write fails twice (a service down), then succeeds.
    if (++calls[key] <= 2) {
      a.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
    } else {
      a.id = "id-" + key;
    }
    return a;
  });
  load.Start();
  ASSERT_TRUE(load.WaitAcknowledged(10, absl::Seconds(30)));
  load.Stop();
  EXPECT_EQ(load.writes(), load.acknowledged());
  EXPECT_TRUE(load.Failures().empty());
  std::map<std::string, std::string> acked = load.Acknowledged();
  EXPECT_EQ(static_cast<int64_t>(acked.size()), load.acknowledged());
  absl::MutexLock lock(&mu);
  for (const auto& [key, id] : acked) {
    EXPECT_EQ(id, "id-" + key);
    EXPECT_EQ(calls[key], 3) << key;
  }
}

TEST(FaultsLoad, GivesUpAWriteRefusedForGoodAndRecordsWhy) {
  std::atomic<int> n{0};
  Load load(1, [&](const std::string&) {
    Attempt a;
    if (n.fetch_add(1) % 2 == 0) {
      a.status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad field");
    } else {
      a.id = "ok";
    }
    return a;
  });
  load.Start();
  ASSERT_TRUE(load.WaitAcknowledged(5, absl::Seconds(30)));
  load.Stop();
  EXPECT_LT(load.acknowledged(), load.writes());
  std::map<std::string, int> failures = load.Failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures.begin()->first, "3: bad field");
  EXPECT_EQ(failures.begin()->second, load.writes() - load.acknowledged());
}

}  // namespace
}  // namespace firegrid::faults
