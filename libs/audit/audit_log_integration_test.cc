// The audit log against a real redis-server: appends form one chain across replicas, tampering
// and gaps are found, retention keeps a verifiable suffix, records are listed per object.
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "libs/audit/audit_log.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "tests/support/shared_redis.h"

namespace firegrid::audit {
namespace {

class AuditLogIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = testing::NewSharedRedisPool();
    prefix_ = "audit-test:" + ids_.NewId("t");
  }
  AuditLog NewLog(Clock* clock = RealClock::Get(),
                  absl::Duration retention = absl::Hours(24 * 365)) {
    return AuditLog(pool_.get(), clock,
                    {.key_prefix = prefix_, .service = "hazards", .retention = retention});
  }
  static AuditRecord Call(const std::string& object, const std::string& code = "OK") {
    AuditRecord r;
    r.set_method("/firegrid.hazards.v1.HazardService/VerifyHazard");
    r.set_object_id(object);
    r.set_principal("dept-fire_rescue");
    r.set_role("department_officer");
    r.set_result_code(code);
    return r;
  }

  std::unique_ptr<redis::Pool> pool_;
  std::string prefix_;
  RandomIdGenerator ids_;
};

TEST_F(AuditLogIntegrationTest, AppendsFormAChainThatVerifies) {
  AuditLog log = NewLog();
  std::string prev;
  for (int i = 1; i <= 3; ++i) {
    auto r = log.Append(Call("hzd_1"));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->sequence(), i);
    EXPECT_EQ(r->prev_hash(), prev);
    EXPECT_EQ(r->service(), "hazards");
    prev = r->hash();
  }
  auto v = log.Verify(0, 100);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->intact()) << v->problem();
  EXPECT_EQ(v->first_sequence(), 1);
  EXPECT_EQ(v->head_sequence(), 3);
  EXPECT_EQ(v->checked(), 3);
  EXPECT_EQ(v->next_sequence(), 0);
}

TEST_F(AuditLogIntegrationTest, TwoReplicasAppendingAtOnceNeverForkTheChain) {
  AuditLog a = NewLog();
  AuditLog b = NewLog();
  auto writer = [](AuditLog* log) {
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(log->Append(Call("hzd_x")).ok());
  };
  std::thread ta(writer, &a), tb(writer, &b);
  ta.join();
  tb.join();
  auto v = a.Verify(0, 1000);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->intact()) << v->problem();
  EXPECT_EQ(v->head_sequence(), 200);
  EXPECT_EQ(v->checked(), 200);
}

// Many calls of one replica at once (each a gRPC handler thread) and another replica: every
// record is appended, none refused as contended, and the chain is one.
TEST_F(AuditLogIntegrationTest, ManyConcurrentAppendsOfOneReplicaAndAnotherFormOneChain) {
  AuditLog a = NewLog();
  AuditLog b = NewLog();
  auto writer = [](AuditLog* log) {
    for (int i = 0; i < 25; ++i) {
      auto r = log->Append(Call("hzd_y"));
      ASSERT_TRUE(r.ok()) << r.status();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) threads.emplace_back(writer, &a);
  threads.emplace_back(writer, &b);
  for (auto& t : threads) t.join();
  auto v = a.Verify(0, 1000);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->intact()) << v->problem();
  EXPECT_EQ(v->head_sequence(), 17 * 25);
  EXPECT_EQ(v->checked(), 17 * 25);
}

// A clock whose first reading waits until it is released: holds the first append in flight.
class HeldClock final : public Clock {
 public:
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    if (readings_++ == 0) mu_.Await(absl::Condition(&released_));
    return absl::Now();
  }
  bool holding() const {
    absl::MutexLock lock(&mu_);
    return readings_ > 0 && !released_;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }

 private:
  mutable absl::Mutex mu_;
  mutable int readings_ = 0;
  bool released_ = false;
};

int64_t ScriptCalls(redis::Pool& pool) {
  auto info = pool.Command({"INFO", "commandstats"});
  if (!info.ok()) return -1;
  int64_t total = 0;  // EVALSHA and EVAL
  for (absl::string_view line : absl::StrSplit(info->str, "\r\n")) {
    for (absl::string_view cmd : {"cmdstat_evalsha:calls=", "cmdstat_eval:calls="}) {
      int64_t calls = 0;
      if (absl::ConsumePrefix(&line, cmd) &&
          absl::SimpleAtoi(line.substr(0, line.find(',')), &calls)) {
        total += calls;
      }
    }
  }
  return total;
}

// Calls that arrive while an append is in flight are appended together by the next one: ten
// waiting records take one round trip, in order, and the chain still verifies.
TEST_F(AuditLogIntegrationTest, AppendsWaitingForAnotherAreAppendedTogetherInOneRoundTrip) {
  HeldClock clock;
  AuditLog log = NewLog(&clock);
  ASSERT_TRUE(NewLog().Append(Call("hzd_0")).ok());  // loads the script: one EVAL now
  const int64_t calls_before = ScriptCalls(*pool_);
  std::thread first([&] { ASSERT_TRUE(log.Append(Call("hzd_1")).ok()); });
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!clock.holding() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_TRUE(clock.holding());
  std::vector<std::thread> waiting;
  std::vector<absl::StatusOr<AuditRecord>> results(10, absl::UnknownError("not run"));
  for (int i = 0; i < 10; ++i) {
    waiting.emplace_back([&, i] { results[i] = log.Append(Call(absl::StrCat("hzd_w", i))); });
  }
  while (log.waiting() < 10 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(log.waiting(), 10);
  clock.Release();
  first.join();
  for (auto& t : waiting) t.join();
  std::set<int64_t> sequences;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    sequences.insert(r->sequence());
    EXPECT_EQ(r->time().seconds(), results[0]->time().seconds()) << "one batch, one time";
    EXPECT_EQ(r->time().nanos(), results[0]->time().nanos()) << "one batch, one time";
  }
  EXPECT_EQ(sequences, (std::set<int64_t>{3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  EXPECT_EQ(ScriptCalls(*pool_) - calls_before, 2) << "the held append, then one for the ten";
  auto v = log.Verify(0, 100);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->intact()) << v->problem();
  EXPECT_EQ(v->head_sequence(), 12);
}

// A replica starts from the head it wrote last; when another replica appended since, its
// compare-and-set fails and it reads the head again: the record goes after the other one.
TEST_F(AuditLogIntegrationTest, AnAppendAfterAnotherReplicasGoesAfterIt) {
  AuditLog a = NewLog();
  AuditLog b = NewLog();
  auto first = a.Append(Call("hzd_1"));
  ASSERT_TRUE(first.ok()) << first.status();
  auto other = b.Append(Call("hzd_2"));
  ASSERT_TRUE(other.ok()) << other.status();
  auto next = a.Append(Call("hzd_1"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->sequence(), 3);
  EXPECT_EQ(next->prev_hash(), other->hash());
  auto v = a.Verify(0, 10);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->intact()) << v->problem();
}

TEST_F(AuditLogIntegrationTest, VerifyInPagesReportsWhereToGoOn) {
  AuditLog log = NewLog();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log.Append(Call("hzd_1")).ok());
  auto first = log.Verify(0, 2);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->intact());
  EXPECT_EQ(first->checked(), 2);
  EXPECT_EQ(first->next_sequence(), 3);
  auto rest = log.Verify(first->next_sequence(), 10);
  ASSERT_TRUE(rest.ok());
  EXPECT_TRUE(rest->intact()) << rest->problem();
  EXPECT_EQ(rest->checked(), 3);
  EXPECT_EQ(rest->next_sequence(), 0);
}

TEST_F(AuditLogIntegrationTest, AnEditedRecordIsFoundByVerify) {
  AuditLog log = NewLog();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log.Append(Call("hzd_1")).ok());
  // Someone with Redis access rewrites record 2's outcome.
  auto raw = pool_->Command({"GET", prefix_ + ":r:2"});
  ASSERT_TRUE(raw.ok());
  AuditRecord r;
  ASSERT_TRUE(r.ParseFromString(raw->str));
  r.set_result_code("PERMISSION_DENIED");
  ASSERT_TRUE(pool_->Command({"SET", prefix_ + ":r:2", r.SerializeAsString(), "KEEPTTL"}).ok());
  auto v = log.Verify(0, 100);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->intact());
  EXPECT_EQ(v->broken_at(), 2);
  EXPECT_NE(v->problem().find("altered"), std::string::npos) << v->problem();
}

TEST_F(AuditLogIntegrationTest, ADeletedRecordInTheMiddleIsFoundByVerify) {
  AuditLog log = NewLog();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(log.Append(Call("hzd_1")).ok());
  ASSERT_TRUE(pool_->Command({"DEL", prefix_ + ":r:3"}).ok());
  auto v = log.Verify(0, 100);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->intact());
  EXPECT_EQ(v->broken_at(), 3);
}

TEST_F(AuditLogIntegrationTest, RetentionDropsTheOldestAndTheRestStillVerifies) {
  FakeClock clock(absl::Now() - absl::Hours(24 * 10));
  AuditLog log = NewLog(&clock, absl::Hours(24 * 5));
  ASSERT_TRUE(log.Append(Call("hzd_1")).ok());  // ten days old: past the retention
  ASSERT_TRUE(log.Append(Call("hzd_1")).ok());
  clock.Set(absl::Now());
  ASSERT_TRUE(log.Append(Call("hzd_1")).ok());
  ASSERT_TRUE(log.Append(Call("hzd_2")).ok());
  auto v = log.Verify(0, 100);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->intact()) << v->problem();
  EXPECT_EQ(v->first_sequence(), 3);
  EXPECT_EQ(v->checked(), 2);
  auto page = log.ListByObject("hzd_1", 0, 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].sequence(), 3);
}

TEST_F(AuditLogIntegrationTest, ListsAnObjectsRecordsOldestFirstInPages) {
  AuditLog log = NewLog();
  ASSERT_TRUE(log.Append(Call("hzd_1")).ok());
  ASSERT_TRUE(log.Append(Call("hzd_2")).ok());
  ASSERT_TRUE(log.Append(Call("hzd_1", "PERMISSION_DENIED")).ok());
  ASSERT_TRUE(log.Append(Call("hzd_1")).ok());
  auto first = log.ListByObject("hzd_1", 0, 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->records.size(), 2u);
  EXPECT_EQ(first->records[0].sequence(), 1);
  EXPECT_EQ(first->records[1].result_code(), "PERMISSION_DENIED");
  ASSERT_EQ(first->next_after, 3);
  auto second = log.ListByObject("hzd_1", first->next_after, 2);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->records.size(), 1u);
  EXPECT_EQ(second->records[0].sequence(), 4);
  EXPECT_EQ(second->next_after, 0);
}

}  // namespace
}  // namespace firegrid::audit
