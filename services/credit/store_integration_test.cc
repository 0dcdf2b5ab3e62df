// The credit store against a real redis-server (tests/support): each test keeps to its own key
// prefix on the binary's shared server.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/redis/atomic_write.h"
#include "services/credit/store.h"
#include "tests/support/shared_redis.h"

namespace firegrid::credit {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using TimeUtil = google::protobuf::util::TimeUtil;

constexpr char kV[] = "2026.1";

class CreditStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    pool_ = testing::NewSharedRedisPool();
    store_ = std::make_unique<CreditStore>(
        pool_.get(),
        absl::StrCat("t:store:", ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                     ":", n++));
  }

  static v1::Fact ManualFact(const std::string& id, const std::string& subject) {
    v1::Fact f;
    f.set_fact_id(id);
    *f.mutable_time() = TimeUtil::MillisecondsToTimestamp(1'780'000'000'000);
    f.mutable_manual()->set_subject_id(subject);
    f.mutable_manual()->set_rule_id("credit.drill");
    return f;
  }

  absl::Status Write(redis::AtomicWrite w) { return redis::Execute(*pool_, w); }

  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<CreditStore> store_;
};

TEST_F(CreditStoreTest, AppendingAFactTwiceKeepsOneAndReturnsTheFirstStreamId) {
  absl::StatusOr<std::string> first = store_->AppendFact(ManualFact("evt_1", "org:A"));
  ASSERT_TRUE(first.ok()) << first.status();
  v1::Fact changed = ManualFact("evt_1", "org:B");
  absl::StatusOr<std::string> again = store_->AppendFact(changed);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(*store_->FactCount(), 1);
  auto facts = store_->ReadFacts("0", 10);
  ASSERT_TRUE(facts.ok()) << facts.status();
  ASSERT_EQ(facts->size(), 1u);
  EXPECT_EQ((*facts)[0].second.manual().subject_id(), "org:A");
}

TEST_F(CreditStoreTest, AppendingAFactWithoutIdIsInvalidArgument) {
  EXPECT_EQ(store_->AppendFact(ManualFact("", "org:A")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->FactCount(), 0);
}

TEST_F(CreditStoreTest, AppendFactsDeduplicatesWithinTheBatchAndAgainstEarlierFacts) {
  ASSERT_TRUE(store_->AppendFact(ManualFact("a", "org:A")).ok());
  auto ids = store_->AppendFacts({ManualFact("b", "org:B"), ManualFact("a", "org:X"),
                                  ManualFact("b", "org:Y"), ManualFact("c", "org:C")});
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->size(), 4u);
  EXPECT_EQ((*ids)[0], (*ids)[2]);
  EXPECT_EQ(*store_->FactCount(), 3);
  auto facts = store_->ReadFacts("0", 10);
  ASSERT_TRUE(facts.ok());
  std::vector<std::string> subjects;
  for (const auto& [id, f] : *facts) subjects.push_back(f.manual().subject_id());
  EXPECT_THAT(subjects, ElementsAre("org:A", "org:B", "org:C"));
  EXPECT_EQ(*store_->LastFactId(), (*ids)[3]);
}

TEST_F(CreditStoreTest, ReadFactsReturnsOnlyFactsAfterTheGivenIdInOrder) {
  EXPECT_EQ(*store_->LastFactId(), "0");
  EXPECT_TRUE(store_->ReadFacts("0", 10)->empty());
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(*store_->AppendFact(ManualFact(absl::StrCat("f", i), "org:A")));
  }
  auto after = store_->ReadFacts(ids[1], 2);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].first, ids[2]);
  EXPECT_EQ((*after)[0].second.fact_id(), "f2");
  EXPECT_EQ((*after)[1].first, ids[3]);
  EXPECT_TRUE(store_->ReadFacts(ids[4], 10)->empty());
  EXPECT_EQ(*store_->LastFactId(), ids[4]);
}

TEST_F(CreditStoreTest, NextFactIdIsTheFirstIdAfterTheGivenOneEvenForAFactThatDoesNotDecode) {
  EXPECT_EQ(*store_->NextFactId("0"), "");
  const std::string a = *store_->AppendFact(ManualFact("a", "org:A"));
  auto bad = pool_->Command({"XADD", store_->FactsKey(), "*", "fact", "not a fact"});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(*store_->NextFactId("0"), a);
  EXPECT_EQ(*store_->NextFactId(a), bad->str);
  EXPECT_EQ(*store_->NextFactId(bad->str), "");
}

TEST_F(CreditStoreTest, ReadingFactsOntoAnArenaGivesTheSameFactsAndIds) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(store_->AppendFact(ManualFact(absl::StrCat("f", i), "org:A")).ok());
  }
  auto plain = store_->ReadFacts("0", 3);
  google::protobuf::Arena arena;
  auto on_arena = store_->ReadFacts("0", 3, &arena);
  ASSERT_TRUE(plain.ok() && on_arena.ok()) << on_arena.status();
  ASSERT_EQ(on_arena->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*on_arena)[i].first, (*plain)[i].first);
    EXPECT_EQ((*on_arena)[i].second->GetArena(), &arena);
    EXPECT_EQ((*on_arena)[i].second->SerializeAsString(), (*plain)[i].second.SerializeAsString());
  }
  EXPECT_EQ(store_->ReadFacts((*plain)[2].first, 10, &arena)->size(), 1u);
}

TEST_F(CreditStoreTest, LedgerPagesGoNewestFirstBeforeTheGivenSeq) {
  std::vector<std::string> push = {"RPUSH", store_->LedgerKey(kV, "org:A")};
  for (int seq = 1; seq <= 5; ++seq) {
    v1::LedgerRecord r;
    r.set_seq(seq);
    r.set_record_id(absl::StrCat("org:A#", seq));
    push.push_back(r.SerializeAsString());
  }
  ASSERT_TRUE(pool_->Command(push).ok());
  auto seqs = [&](int64_t before, int limit) {
    std::vector<int64_t> out;
    auto page = store_->LoadLedger(kV, "org:A", before, limit);
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const auto& r : *page) out.push_back(r.seq());
    }
    return out;
  };
  EXPECT_THAT(seqs(0, 2), ElementsAre(5, 4));
  EXPECT_THAT(seqs(4, 2), ElementsAre(3, 2));
  EXPECT_THAT(seqs(2, 2), ElementsAre(1));
  EXPECT_THAT(seqs(1, 2), ElementsAre());
  EXPECT_THAT(seqs(0, 10), ElementsAre(5, 4, 3, 2, 1));
  EXPECT_THAT(seqs(0, 0), ElementsAre());
  EXPECT_TRUE(store_->LoadLedger(kV, "org:nobody", 0, 10)->empty());
}

TEST_F(CreditStoreTest, RankingIsBestFirstOrWorstFirstFromTheOffsetWithTheTotal) {
  const std::string key = store_->RankKey(kV, "500109", "manager");
  ASSERT_TRUE(
      pool_->Command({"ZADD", key, "90", "org:A", "70", "org:B", "100", "org:C", "55", "org:D"})
          .ok());
  auto best = store_->Ranking(kV, "500109", "manager", 0, 3, false);
  ASSERT_TRUE(best.ok()) << best.status();
  EXPECT_EQ(best->total, 4);
  EXPECT_THAT(best->subjects,
              ElementsAre(Pair("org:C", 100), Pair("org:A", 90), Pair("org:B", 70)));
  auto worst = store_->Ranking(kV, "500109", "manager", 1, 2, true);
  ASSERT_TRUE(worst.ok());
  EXPECT_THAT(worst->subjects, ElementsAre(Pair("org:B", 70), Pair("org:A", 90)));
  auto other_type = store_->Ranking(kV, "500109", "owner", 0, 3, false);
  ASSERT_TRUE(other_type.ok());
  EXPECT_EQ(other_type->total, 0);
  EXPECT_TRUE(other_type->subjects.empty());
}

TEST_F(CreditStoreTest, OpenBlacklistListsOldestProposalFirstFromTheOffset) {
  ASSERT_TRUE(pool_
                  ->Command({"ZADD", store_->BlacklistKey(kV), "300", "org:C#bl1", "100",
                             "org:A#bl1", "200", "org:B#bl2"})
                  .ok());
  EXPECT_THAT(*store_->OpenBlacklist(kV, 0, 10),
              ElementsAre("org:A#bl1", "org:B#bl2", "org:C#bl1"));
  EXPECT_THAT(*store_->OpenBlacklist(kV, 1, 1), ElementsAre("org:B#bl2"));
}

TEST_F(CreditStoreTest, OutcomeIsAbsentUntilWrittenThenCarriesStatusEntryAndRecordForADay) {
  auto none = store_->Outcome(kV, "evt_1");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());

  redis::AtomicWrite w;
  CreditStore::FactOutcome ok;
  ok.entry_id = "org:A#bl1";
  ok.record_id = "org:A#3";
  w.commands = store_->OutcomeCommands(kV, "evt_1", ok);
  CreditStore::FactOutcome refused;
  refused.status = absl::FailedPreconditionError("the objection period ended");
  for (auto& c : store_->OutcomeCommands(kV, "evt_2", refused)) w.commands.push_back(c);
  ASSERT_TRUE(Write(w).ok());

  auto got = store_->Outcome(kV, "evt_1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_TRUE((*got)->status.ok());
  EXPECT_EQ((*got)->entry_id, "org:A#bl1");
  EXPECT_EQ((*got)->record_id, "org:A#3");
  auto bad = store_->Outcome(kV, "evt_2");
  ASSERT_TRUE(bad.ok() && bad->has_value());
  EXPECT_EQ((*bad)->status, absl::FailedPreconditionError("the objection period ended"));
  auto ttl = pool_->Command({"TTL", store_->OutcomeKey(kV, "evt_1")});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer, 86000);
  EXPECT_LE(ttl->integer, 86400);
}

TEST_F(CreditStoreTest, ExportPagesByCursorAndReReadingFromACursorGivesTheSameRecords) {
  redis::AtomicWrite w;
  for (int i = 0; i < 5; ++i) {
    v1::ExportRecord r;
    r.set_record_id(absl::StrCat("evt_", i, "/org:A"));
    r.set_score(100 - i);
    w.appends.push_back(store_->ExportAppend(r));
  }
  ASSERT_TRUE(Write(w).ok());
  auto p1 = store_->ExportAfter("", 2);
  ASSERT_TRUE(p1.ok()) << p1.status();
  ASSERT_EQ(p1->records.size(), 2u);
  EXPECT_TRUE(p1->more);
  EXPECT_EQ(p1->records[0].second.record_id(), "evt_0/org:A");
  auto p2 = store_->ExportAfter(p1->records[1].first, 2);
  auto p2_again = store_->ExportAfter(p1->records[1].first, 2);
  ASSERT_TRUE(p2.ok() && p2_again.ok());
  ASSERT_EQ(p2->records.size(), 2u);
  EXPECT_EQ(p2->records[0].second.record_id(), "evt_2/org:A");
  ASSERT_EQ(p2_again->records.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(p2->records[i].first, p2_again->records[i].first);
    EXPECT_EQ(p2->records[i].second.SerializeAsString(),
              p2_again->records[i].second.SerializeAsString());
  }
  auto p3 = store_->ExportAfter(p2->records[1].first, 2);
  ASSERT_TRUE(p3.ok());
  ASSERT_EQ(p3->records.size(), 1u);
  EXPECT_FALSE(p3->more);
  EXPECT_TRUE(store_->ExportAfter(p3->records[0].first, 2)->records.empty());
}

TEST_F(CreditStoreTest, DueEntriesAreThoseDueAtOrBeforeTheTimeEvenWithinAMillisecond) {
  const absl::Time t = absl::FromUnixMillis(1'780'000'000'000);
  ASSERT_TRUE(
      pool_
          ->Command({"ZADD", store_->DueKey(kV), absl::StrCat(CreditStore::DueScore(t)),
                     "org:A#bl1", absl::StrCat(CreditStore::DueScore(t + absl::Microseconds(300))),
                     "org:B#bl1", absl::StrCat(CreditStore::DueScore(t - absl::Seconds(5))),
                     "org:C#bl1"})
          .ok());
  auto at = store_->LoadDue(kV, t);
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_THAT(*at, ElementsAre(Pair("org:C#bl1", t - absl::Seconds(5)), Pair("org:A#bl1", t)));
  EXPECT_EQ(store_->LoadDue(kV, t + absl::Milliseconds(1))->size(), 3u);
  EXPECT_EQ(store_->LoadDue(kV, absl::InfiniteFuture())->size(), 3u);
  EXPECT_TRUE(store_->LoadDue(kV, t - absl::Seconds(6))->empty());
}

TEST_F(CreditStoreTest, TheLeaseHasOneOwnerUntilReleasedOrExpired) {
  EXPECT_TRUE(*store_->TakeLease(kV, "r1", absl::Seconds(30)));
  EXPECT_FALSE(*store_->TakeLease(kV, "r2", absl::Seconds(30)));
  EXPECT_TRUE(*store_->TakeLease(kV, "r1", absl::Seconds(30)));  // renewal
  ASSERT_TRUE(store_->ReleaseLease(kV, "r2").ok());              // not r2's: no effect
  EXPECT_FALSE(*store_->TakeLease(kV, "r2", absl::Seconds(30)));
  ASSERT_TRUE(store_->ReleaseLease(kV, "r1").ok());
  EXPECT_TRUE(*store_->TakeLease(kV, "r2", absl::Milliseconds(50)));
  // r1 gets it once r2's short lease has run out.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool taken = false;
  while (!taken && absl::Now() < deadline) {
    taken = *store_->TakeLease(kV, "r1", absl::Seconds(30));
    if (!taken) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(taken);
}

TEST_F(CreditStoreTest, SwitchingServingNeedsTheCursorAtTheEndOfTheHistory) {
  EXPECT_EQ(*store_->ServingVersion(), "");
  EXPECT_EQ(store_->SwitchServing(kV, absl::Now()).code(), absl::StatusCode::kFailedPrecondition);

  // Nothing in the history and a written generation at "0": it can go in force.
  ASSERT_TRUE(pool_->Command({"SET", store_->CursorKey(kV), "0"}).ok());
  EXPECT_TRUE(*store_->HasGeneration(kV));
  EXPECT_FALSE(*store_->WasServed(kV));
  ASSERT_TRUE(store_->SwitchServing(kV, absl::Now()).ok());
  EXPECT_EQ(*store_->ServingVersion(), kV);
  EXPECT_TRUE(*store_->WasServed(kV));

  // A second generation behind the history cannot.
  const std::string id = *store_->AppendFact(ManualFact("f1", "org:A"));
  ASSERT_TRUE(pool_->Command({"SET", store_->CursorKey("2027.1"), "0"}).ok());
  EXPECT_EQ(store_->SwitchServing("2027.1", absl::Now()).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(*store_->ServingVersion(), kV);
  ASSERT_TRUE(pool_->Command({"SET", store_->CursorKey("2027.1"), id}).ok());
  ASSERT_TRUE(store_->SwitchServing("2027.1", absl::Now()).ok());
  EXPECT_EQ(*store_->ServingVersion(), "2027.1");
  EXPECT_EQ(*store_->Cursor("2027.1"), id);
}

TEST_F(CreditStoreTest, LoadServedSubjectReadsTheSubjectOnlyFromTheGenerationInForce) {
  // Before the first start: no version, no state.
  auto none = store_->LoadServedSubject("", "org:A");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->version, "");
  EXPECT_FALSE(none->state.has_value());

  for (const auto& [v, score] : {std::pair<std::string, int>{kV, 80}, {"2027.1", 70}}) {
    v1::SubjectState s;
    s.mutable_subject()->set_subject_id("org:A");
    s.set_score(score);
    ASSERT_TRUE(
        pool_->Command({"SET", store_->SubjectKey(v, "org:A"), s.SerializeAsString()}).ok());
  }
  ASSERT_TRUE(pool_->Command({"SET", store_->CursorKey(kV), "0"}).ok());
  ASSERT_TRUE(store_->SwitchServing(kV, absl::Now()).ok());

  // The right guess: the state of the generation in force, in the same round trip.
  auto right = store_->LoadServedSubject(kV, "org:A");
  ASSERT_TRUE(right.ok()) << right.status();
  EXPECT_EQ(right->version, kV);
  ASSERT_TRUE(right->state.has_value());
  EXPECT_EQ(right->state->score(), 80);
  // A wrong guess: the version in force, and nothing read from the other generation.
  auto wrong = store_->LoadServedSubject("2027.1", "org:A");
  ASSERT_TRUE(wrong.ok()) << wrong.status();
  EXPECT_EQ(wrong->version, kV);
  EXPECT_FALSE(wrong->state.has_value());
  // An unknown subject in the generation in force.
  auto unknown = store_->LoadServedSubject(kV, "org:B");
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->version, kV);
  EXPECT_FALSE(unknown->state.has_value());
}

TEST_F(CreditStoreTest, InfoShowsTheVersionInForceAndTheReplayProgress) {
  auto idle = store_->Info();
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_EQ(idle->version(), "");
  EXPECT_EQ(idle->replay(), v1::REPLAY_STATE_IDLE);

  ASSERT_TRUE(store_->AppendFact(ManualFact("f1", "org:A")).ok());
  const absl::Time started = absl::FromUnixMillis(1'780'000'000'000);
  ASSERT_TRUE(store_->ReplayStarted(kV, 1, started).ok());
  ASSERT_TRUE(store_->ReplayProgress(kV, 1, 1).ok());
  auto running = store_->Info();
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->replay(), v1::REPLAY_STATE_RUNNING);
  EXPECT_EQ(running->replay_version(), kV);
  EXPECT_EQ(running->replay_applied(), 1);
  EXPECT_EQ(running->history_facts(), 1);
  EXPECT_EQ(TimeUtil::TimestampToMilliseconds(running->replay_started_at()), 1'780'000'000'000);

  ASSERT_TRUE(pool_->Command({"SET", store_->CursorKey(kV), *store_->LastFactId()}).ok());
  ASSERT_TRUE(store_->SwitchServing(kV, started + absl::Seconds(3)).ok());
  auto switched = store_->Info();
  ASSERT_TRUE(switched.ok());
  EXPECT_EQ(switched->version(), kV);
  EXPECT_EQ(switched->replay(), v1::REPLAY_STATE_SWITCHED);
  EXPECT_EQ(TimeUtil::TimestampToMilliseconds(switched->replay_finished_at()), 1'780'000'003'000);
}

TEST_F(CreditStoreTest, DroppingAGenerationDeletesOnlyItsKeysAndNeverTheOneInForce) {
  for (const std::string v : {"2026.1", "2027.1"}) {
    ASSERT_TRUE(pool_->Command({"SET", store_->SubjectKey(v, "org:A"), "x"}).ok());
    ASSERT_TRUE(pool_->Command({"RPUSH", store_->LedgerKey(v, "org:A"), "r"}).ok());
    ASSERT_TRUE(pool_->Command({"SET", store_->CursorKey(v), "0"}).ok());
  }
  ASSERT_TRUE(store_->AppendFact(ManualFact("f1", "org:A")).ok());
  ASSERT_TRUE(pool_->Command({"SET", store_->CursorKey("2026.1"), *store_->LastFactId()}).ok());
  ASSERT_TRUE(store_->SwitchServing("2026.1", absl::Now()).ok());

  EXPECT_EQ(store_->DropGeneration("2026.1").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->DropGeneration("2027.1").ok());
  EXPECT_FALSE(*store_->HasGeneration("2027.1"));
  EXPECT_FALSE(store_->LoadLedger("2027.1", "org:A", 0, 1).value().size());
  EXPECT_TRUE(*store_->HasGeneration("2026.1"));
  EXPECT_EQ(pool_->Command({"EXISTS", store_->SubjectKey("2026.1", "org:A")})->integer, 1);
  EXPECT_EQ(*store_->FactCount(), 1);
}

TEST_F(CreditStoreTest, TheVersionInForceCanBeDroppedOnlyWhenItsGenerationIsLost) {
  ASSERT_TRUE(pool_->Command({"SET", store_->CursorKey(kV), "0"}).ok());
  ASSERT_TRUE(store_->SwitchServing(kV, absl::Now()).ok());
  EXPECT_EQ(store_->DropGeneration(kV).code(), absl::StatusCode::kFailedPrecondition);
  // The cursor is gone (what a lost generation looks like); its leftovers may be dropped.
  ASSERT_TRUE(pool_->Command({"DEL", store_->CursorKey(kV)}).ok());
  ASSERT_TRUE(pool_->Command({"SET", store_->SubjectKey(kV, "org:A"), "x"}).ok());
  ASSERT_TRUE(store_->DropGeneration(kV).ok());
  EXPECT_EQ(pool_->Command({"EXISTS", store_->SubjectKey(kV, "org:A")})->integer, 0);
}

}  // namespace
}  // namespace firegrid::credit
