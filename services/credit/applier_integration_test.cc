// The applier against a real redis-server (tests/support) with the real engine and the shipped
// rule set: exactly-once effect, atomic batches, replay determinism, the switch of rule sets,
// publications only from the generation in force, the export, the clock.
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "libs/subjects/party.h"
#include "services/credit/applier.h"
#include "tests/support/shared_redis.h"

namespace firegrid::credit {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;
using TimeUtil = google::protobuf::util::TimeUtil;
namespace hv1 = ::firegrid::hazards::v1;
namespace sv1 = ::firegrid::subjects::v1;

constexpr char kCommunity[] = "500109001002";
const absl::Time kStart = absl::FromUnixSeconds(1'780'000'000);

// A valid unified social credit code (GB 32100) for n.
std::string Code(int n) {
  std::string first17 = absl::StrCat("91500109", absl::StrFormat("%09d", n));
  return first17 + subjects::CreditCodeCheckCharacter(first17);
}

const Rules& ShippedRules() {
  static const Rules* rules = [] {
    absl::StatusOr<Rules> r = Rules::LoadFile(FIREGRID_CREDIT_RULES);
    EXPECT_TRUE(r.ok()) << r.status();
    return new Rules(*std::move(r));
  }();
  return *rules;
}

// The shipped rules under another version, with a harsher overdue deduction.
const Rules& NextRules() {
  static const Rules* rules = [] {
    config::v1::CreditRules proto = ShippedRules().proto();
    proto.set_version("2027.1");
    for (auto& r : *proto.mutable_hazard_rules()) {
      if (r.id() == "hazard.overdue.major") r.set_delta(r.delta() - 10);
    }
    absl::StatusOr<Rules> r = Rules::FromProto(proto);
    EXPECT_TRUE(r.ok()) << r.status();
    return new Rules(*std::move(r));
  }();
  return *rules;
}

class ApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    pool_ = testing::NewSharedRedisPool();
    prefix_ = absl::StrCat("t:applier:", n++);
    store_ = std::make_unique<CreditStore>(pool_.get(), prefix_);
  }

  std::unique_ptr<Applier> NewApplier(const Rules& rules, const std::string& instance,
                                      int batch_size = 256,
                                      absl::Duration lease = absl::Seconds(30)) {
    ApplierOptions o;
    o.outbox_key = prefix_ + ":outbox";
    o.batch_size = batch_size;
    o.lease = lease;
    o.instance_id = instance;
    return std::make_unique<Applier>(store_.get(), &rules, &ids_, &clock_, o);
  }

  // Runs rounds until one applies nothing and `version` is in force.
  void RunUntilIdle(Applier& a, const std::string& version) {
    for (int i = 0; i < 1000; ++i) {
      absl::StatusOr<int> n = a.RunOnce();
      ASSERT_TRUE(n.ok()) << n.status();
      if (*n == 0 && *store_->ServingVersion() == version) return;
    }
    FAIL() << "the applier did not settle";
  }

  v1::Fact NewFact(const std::string& id) {
    v1::Fact f;
    f.set_fact_id(id);
    clock_.Advance(absl::Minutes(1));
    *f.mutable_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(clock_.Now()));
    f.set_actor("hazards");
    return f;
  }

  // Building b (in kCommunity) whose management unit is organisation `org`.
  v1::Fact Building(const std::string& id, int b, int org) {
    v1::Fact f = NewFact(id);
    v1::BuildingFact* bf = f.mutable_building();
    bf->set_building_id(absl::StrCat("bld_", b));
    bf->set_building_name(absl::StrCat("Tower ", b));
    bf->set_tier_path(kCommunity);
    sv1::Party* p = bf->add_parties();
    p->set_role(sv1::PARTY_ROLE_MANAGEMENT_UNIT);
    p->set_name(absl::StrCat("Property Co ", org));
    p->set_credit_code(Code(org));
    bf->add_manager_subjects(absl::StrCat("mgr_", b));
    return f;
  }

  v1::Fact Hazard(const std::string& id, v1::HazardFact::Kind kind, const std::string& hazard,
                  int b, int org, hv1::Severity severity = hv1::SEVERITY_MAJOR) {
    v1::Fact f = NewFact(id);
    v1::HazardFact* h = f.mutable_hazard();
    h->set_kind(kind);
    h->set_hazard_id(hazard);
    h->set_building_id(absl::StrCat("bld_", b));
    h->set_building_name(absl::StrCat("Tower ", b));
    h->set_tier_path(kCommunity);
    h->set_district("500109");
    h->set_category(hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
    h->set_severity(severity);
    h->set_supervising_department("fire_rescue");
    h->mutable_liable_party()->set_role(sv1::PARTY_ROLE_MANAGEMENT_UNIT);
    h->mutable_liable_party()->set_name(absl::StrCat("Property Co ", org));
    h->mutable_liable_party()->set_credit_code(Code(org));
    h->add_building_subjects(absl::StrCat("mgr_", b));
    return f;
  }

  std::string Append(const v1::Fact& f) {
    absl::StatusOr<std::string> id = store_->AppendFact(f);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }

  int Score(const std::string& version, int org) {
    auto s = store_->LoadSubject(version, SubjectIds::OrgId(Code(org)));
    EXPECT_TRUE(s.ok() && s->has_value()) << "no subject " << org << " in " << version;
    return s.ok() && s->has_value() ? (*s)->score() : -1;
  }

  int64_t Len(const std::string& cmd, const std::string& key) {
    auto r = pool_->Command({cmd, key});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->integer : -1;
  }
  int64_t OutboxLen() { return Len("XLEN", prefix_ + ":outbox"); }
  int64_t ExportLen() { return Len("XLEN", store_->ExportKey()); }

  // Every key of generation `version` and its whole value, in a canonical form.
  std::map<std::string, std::vector<std::string>> Snapshot(redis::Pool& pool,
                                                           const std::string& version) {
    std::map<std::string, std::vector<std::string>> out;
    std::string cursor = "0";
    do {
      auto r = pool.Command(
          {"SCAN", cursor, "MATCH", store_->GenKey(version, "") + "*", "COUNT", "1000"});
      if (!r.ok()) {
        ADD_FAILURE() << r.status();
        return out;
      }
      cursor = r->elements[0].str;
      for (const redis::Reply& k : r->elements[1].elements) {
        const std::string type = pool.Command({"TYPE", k.str})->str;
        std::vector<std::string> v = {type};
        redis::Reply val;
        if (type == "string") val = *pool.Command({"GET", k.str});
        if (type == "list") val = *pool.Command({"LRANGE", k.str, "0", "-1"});
        if (type == "set") val = *pool.Command({"SMEMBERS", k.str});
        if (type == "zset") val = *pool.Command({"ZRANGE", k.str, "0", "-1", "WITHSCORES"});
        if (type == "hash") val = *pool.Command({"HGETALL", k.str});
        if (val.type == redis::Reply::Type::kString) v.push_back(val.str);
        std::vector<std::string> items;
        for (const redis::Reply& e : val.elements) items.push_back(e.str);
        if (type == "set") std::sort(items.begin(), items.end());
        if (type == "hash") {
          std::vector<std::string> pairs;
          for (size_t i = 0; i + 1 < items.size(); i += 2) {
            pairs.push_back(items[i] + "=" + items[i + 1]);
          }
          std::sort(pairs.begin(), pairs.end());
          items = pairs;
        }
        v.insert(v.end(), items.begin(), items.end());
        out[k.str] = std::move(v);
      }
    } while (cursor != "0");
    return out;
  }

  std::unique_ptr<redis::Pool> pool_;
  std::string prefix_;
  std::unique_ptr<CreditStore> store_;
  SubjectIds ids_{"test-person-key-0123456789abcdef"};
  FakeClock clock_{kStart};
};

TEST_F(ApplierTest, FirstStartReplaysTheHistoryAndPutsTheRulesInForceWithoutPublishing) {
  Append(Building("e1", 1, 1));
  Append(Hazard("e2", v1::HazardFact::KIND_VERIFIED, "haz_1", 1, 1));
  EXPECT_EQ(*store_->ServingVersion(), "");

  auto applier = NewApplier(ShippedRules(), "r1");
  RunUntilIdle(*applier, "2026.1");

  EXPECT_EQ(*store_->Cursor("2026.1"), *store_->LastFactId());
  EXPECT_EQ(Score("2026.1", 1), 85);  // base 100, a major hazard verified -15
  auto ledger = store_->LoadLedger("2026.1", SubjectIds::OrgId(Code(1)), 0, 10);
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  ASSERT_THAT(*ledger, SizeIs(1));
  EXPECT_EQ((*ledger)[0].rule_id(), "hazard.verified.major");
  EXPECT_EQ((*ledger)[0].cause().fact_id(), "e2");
  // Ranked in its district, street and community.
  for (const std::string tier : {"500109", "500109001", "500109001002"}) {
    auto page = store_->Ranking("2026.1", tier, "manager", 0, 10, false);
    ASSERT_TRUE(page.ok());
    EXPECT_THAT(page->subjects, ElementsAre(std::make_pair(SubjectIds::OrgId(Code(1)), 85)))
        << tier;
  }
  auto outcome = store_->Outcome("2026.1", "e2");
  ASSERT_TRUE(outcome.ok() && outcome->has_value());
  EXPECT_TRUE((*outcome)->status.ok());
  EXPECT_EQ((*outcome)->record_id, (*ledger)[0].record_id());
  // A replay publishes nothing: not in force while it ran.
  EXPECT_EQ(OutboxLen(), 0);
  EXPECT_EQ(ExportLen(), 0);
}

TEST_F(ApplierTest, TheGenerationInForcePublishesEventsAndExportRecordsWithItsBatch) {
  auto applier = NewApplier(ShippedRules(), "r1");
  RunUntilIdle(*applier, "2026.1");
  Append(Building("e1", 1, 1));
  Append(Hazard("e2", v1::HazardFact::KIND_VERIFIED, "haz_1", 1, 1));
  auto n = applier->RunOnce();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(Score("2026.1", 1), 85);

  // Score and level changed (A → B): events on the outbox, keyed by the subject.
  auto outbox = pool_->Command({"XRANGE", prefix_ + ":outbox", "-", "+"});
  ASSERT_TRUE(outbox.ok());
  ASSERT_FALSE(outbox->elements.empty());
  std::vector<std::string> types;
  for (const redis::Reply& e : outbox->elements) {
    std::map<std::string, std::string> fields;
    const auto& kv = e.elements[1].elements;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) fields[kv[i].str] = kv[i + 1].str;
    EXPECT_EQ(fields["topic"], events::kCreditTopic);
    EXPECT_EQ(fields["key"], SubjectIds::OrgId(Code(1)));
    auto env = events::ParseEnvelope(fields["value"]);
    ASSERT_TRUE(env.ok()) << env.status();
    EXPECT_EQ(env->producer(), "credit");
    types.push_back(env->type());
  }
  EXPECT_THAT(types, ::testing::Contains("firegrid.credit.v1.LevelChanged"));

  auto page = store_->ExportAfter("", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_THAT(page->records, SizeIs(1));
  const v1::ExportRecord& rec = page->records[0].second;
  EXPECT_EQ(rec.record_id(), "e2/" + SubjectIds::OrgId(Code(1)));
  EXPECT_EQ(rec.credit_code(), Code(1));
  EXPECT_EQ(rec.level(), v1::LEVEL_B);
  EXPECT_EQ(rec.score(), 85);
  EXPECT_EQ(rec.rules_version(), "2026.1");
  EXPECT_EQ(TimeUtil::TimestampToNanoseconds(rec.effective_at()),
            absl::ToUnixNanos(kStart + absl::Minutes(2)));
}

TEST_F(ApplierTest, ARedeliveredEventHasItsEffectOnce) {
  auto applier = NewApplier(ShippedRules(), "r1");
  RunUntilIdle(*applier, "2026.1");
  const v1::Fact verified = Hazard("e1", v1::HazardFact::KIND_VERIFIED, "haz_1", 1, 1);
  Append(verified);
  ASSERT_EQ(*applier->RunOnce(), 1);
  const int64_t outbox = OutboxLen();
  Append(verified);  // the same event again (Kafka redelivers)
  EXPECT_EQ(*applier->RunOnce(), 0);
  EXPECT_EQ(*store_->FactCount(), 1);
  EXPECT_EQ(Score("2026.1", 1), 85);
  EXPECT_THAT(*store_->LoadLedger("2026.1", SubjectIds::OrgId(Code(1)), 0, 10), SizeIs(1));
  EXPECT_EQ(OutboxLen(), outbox);
}

TEST_F(ApplierTest, AFailedWriteLeavesNothingAndTheBatchAppliesOnceAfterARestart) {
  auto first = NewApplier(ShippedRules(), "r1", 256, absl::Milliseconds(300));
  RunUntilIdle(*first, "2026.1");
  Append(Building("e1", 1, 1));
  ASSERT_EQ(*first->RunOnce(), 1);
  const auto before = Snapshot(*pool_, "2026.1");
  const int64_t outbox = OutboxLen(), exports = ExportLen();
  const std::string cursor = *store_->Cursor("2026.1");

  Append(Hazard("e2", v1::HazardFact::KIND_VERIFIED, "haz_1", 1, 1));
  Append(Hazard("e3", v1::HazardFact::KIND_OVERDUE, "haz_1", 1, 1));
  // The write of this batch fails in Redis (a key of the wrong type where the ledger goes).
  const std::string ledger = store_->LedgerKey("2026.1", SubjectIds::OrgId(Code(1)));
  ASSERT_TRUE(pool_->Command({"SET", ledger, "in the way"}).ok());
  auto failed = first->RunOnce();
  EXPECT_FALSE(failed.ok());

  // Nothing of the batch was written: state, cursor, outcomes, outbox, export as before.
  ASSERT_TRUE(pool_->Command({"DEL", ledger}).ok());
  EXPECT_EQ(Snapshot(*pool_, "2026.1"), before);
  EXPECT_EQ(*store_->Cursor("2026.1"), cursor);
  EXPECT_EQ(OutboxLen(), outbox);
  EXPECT_EQ(ExportLen(), exports);

  // The process "crashed"; another replica takes over once the lease has run out.
  auto second = NewApplier(ShippedRules(), "r2", 256, absl::Milliseconds(300));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  int applied = 0;
  while (applied == 0 && absl::Now() < deadline) {
    auto n = second->RunOnce();
    ASSERT_TRUE(n.ok()) << n.status();
    applied = *n;
    if (applied == 0) absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(applied, 2);
  EXPECT_EQ(Score("2026.1", 1), 65);  // -15 verified, -20 overdue: each once
  EXPECT_THAT(*store_->LoadLedger("2026.1", SubjectIds::OrgId(Code(1)), 0, 10), SizeIs(2));
  EXPECT_EQ(*second->RunOnce(), 0);
  EXPECT_EQ(*store_->Cursor("2026.1"), *store_->LastFactId());
  // Two level changes (A → B → C), each exported once.
  EXPECT_EQ(ExportLen(), exports + 2);
}

TEST_F(ApplierTest, ALargeBatchIsAppliedWholeInOneRound) {
  auto applier = NewApplier(ShippedRules(), "r1", 5000);
  RunUntilIdle(*applier, "2026.1");
  // Three general hazards for each of 500 subjects: 100 - 2 - 4 - 4, one record each.
  std::vector<v1::Fact> facts;
  for (int i = 0; i < 1500; ++i) {
    facts.push_back(Hazard(absl::StrCat("v", i), v1::HazardFact::KIND_VERIFIED,
                           absl::StrCat("haz_", i), i % 500, i % 500, hv1::SEVERITY_GENERAL));
  }
  ASSERT_TRUE(store_->AppendFacts(facts).ok());
  auto n = applier->RunOnce();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1500);
  EXPECT_EQ(*store_->Cursor("2026.1"), *store_->LastFactId());
  int64_t records = 0;
  for (int org = 0; org < 500; ++org) {
    records += Len("LLEN", store_->LedgerKey("2026.1", SubjectIds::OrgId(Code(org))));
  }
  EXPECT_EQ(records, 1500);
  EXPECT_EQ(Score("2026.1", 499), 90);
}

TEST_F(ApplierTest, ReplayingTheSameHistoryTwiceGivesTheSameGenerationByteForByte) {
  std::vector<v1::Fact> facts;
  for (int b = 0; b < 20; ++b) facts.push_back(Building(absl::StrCat("b", b), b, b % 7));
  for (int i = 0; i < 300; ++i) {
    const int b = i % 20;
    const std::string hazard = absl::StrCat("haz_", i);
    facts.push_back(Hazard(absl::StrCat("v", i), v1::HazardFact::KIND_VERIFIED, hazard, b, b % 7,
                           i % 3 ? hv1::SEVERITY_GENERAL : hv1::SEVERITY_MAJOR));
    if (i % 4 == 0) {
      facts.push_back(Hazard(absl::StrCat("o", i), v1::HazardFact::KIND_OVERDUE, hazard, b, b % 7));
    }
  }
  ASSERT_TRUE(store_->AppendFacts(facts).ok());

  // Into a second database: the same history, copied entry for entry (ids included).
  redis::PoolOptions o;
  o.port = testing::SharedRedisServer().port();
  o.db = 3;
  std::unique_ptr<redis::Pool> other_pool = redis::Pool::Create(o);
  ASSERT_TRUE(other_pool->Command({"FLUSHDB"}).ok());
  for (const std::string& key : {store_->FactsKey(), store_->FactIdsKey()}) {
    auto dump = pool_->Command({"DUMP", key});
    ASSERT_TRUE(dump.ok());
    ASSERT_TRUE(other_pool->Command({"RESTORE", key, "0", dump->str}).ok());
  }
  CreditStore other_store(other_pool.get(), prefix_);

  auto a = NewApplier(ShippedRules(), "r1");
  ApplierOptions oo;
  oo.instance_id = "r2";
  Applier b(&other_store, &ShippedRules(), &ids_, &clock_, oo);
  auto na = a->ReplayAll();
  auto nb = b.ReplayAll();
  ASSERT_TRUE(na.ok()) << na.status();
  ASSERT_TRUE(nb.ok()) << nb.status();
  EXPECT_EQ(*na, static_cast<int64_t>(facts.size()));
  EXPECT_EQ(*nb, *na);

  const auto first = Snapshot(*pool_, "2026.1");
  const auto second = Snapshot(*other_pool, "2026.1");
  EXPECT_GT(first.size(), 20u);
  EXPECT_EQ(first, second);

  // And again in the same database: the same keys and values.
  ASSERT_TRUE(a->ReplayAll().ok());
  EXPECT_EQ(Snapshot(*pool_, "2026.1"), first);
}

TEST_F(ApplierTest, LiveBatchesAndAReplayOfTheSameHistoryAgree) {
  auto live = NewApplier(ShippedRules(), "r1", 7);
  RunUntilIdle(*live, "2026.1");
  for (int b = 0; b < 10; ++b) Append(Building(absl::StrCat("b", b), b, b % 4));
  for (int i = 0; i < 120; ++i) {
    const int b = i % 10;
    const std::string hazard = absl::StrCat("haz_", i);
    Append(Hazard(absl::StrCat("v", i), v1::HazardFact::KIND_VERIFIED, hazard, b, b % 4,
                  i % 3 ? hv1::SEVERITY_GENERAL : hv1::SEVERITY_MAJOR));
    if (i % 5 == 0)
      Append(Hazard(absl::StrCat("o", i), v1::HazardFact::KIND_OVERDUE, hazard, b, b % 4));
    if (i % 7 == 0) {
      Append(Hazard(absl::StrCat("c", i), v1::HazardFact::KIND_CLOSED, hazard, b, b % 4));
    }
  }
  RunUntilIdle(*live, "2026.1");
  const auto live_keys = Snapshot(*pool_, "2026.1");

  // The same rules under the name of a new version, replayed: equal but for the version.
  config::v1::CreditRules proto = ShippedRules().proto();
  proto.set_version("2026.1-replay");
  Rules renamed = *Rules::FromProto(proto);
  auto replay = NewApplier(renamed, "r2");
  ASSERT_TRUE(replay->ReplayAll().ok());
  std::map<std::string, std::vector<std::string>> replayed;
  for (auto& [key, value] : Snapshot(*pool_, "2026.1-replay")) {
    std::string k = key;
    k.replace(k.find("2026.1-replay"), 13, "2026.1");
    replayed[k] = value;
  }
  // Ledger records name their rules version: compare them by everything else.
  ASSERT_EQ(replayed.size(), live_keys.size());
  for (const auto& [key, value] : live_keys) {
    auto it = replayed.find(key);
    ASSERT_NE(it, replayed.end()) << key;
    if (key.find(":ledger:") == std::string::npos) {
      EXPECT_EQ(it->second, value) << key;
      continue;
    }
    ASSERT_EQ(it->second.size(), value.size()) << key;
    for (size_t i = 1; i < value.size(); ++i) {
      v1::LedgerRecord a, b;
      ASSERT_TRUE(a.ParseFromString(value[i]));
      ASSERT_TRUE(b.ParseFromString(it->second[i]));
      EXPECT_EQ(b.rules_version(), "2026.1-replay");
      b.set_rules_version(a.rules_version());
      EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString()) << key << " #" << i;
    }
  }
}

TEST_F(ApplierTest, ReadsStayOnTheOldRulesDuringAReplayAndFactsArrivingMeanwhileAreInTheNew) {
  auto old_rules = NewApplier(ShippedRules(), "old");
  RunUntilIdle(*old_rules, "2026.1");
  Append(Building("e1", 1, 1));
  Append(Hazard("e2", v1::HazardFact::KIND_VERIFIED, "haz_1", 1, 1));
  Append(Hazard("e3", v1::HazardFact::KIND_OVERDUE, "haz_1", 1, 1));
  RunUntilIdle(*old_rules, "2026.1");
  ASSERT_EQ(Score("2026.1", 1), 65);

  // A replica with the new rules rebuilds its generation beside the one in force.
  auto new_rules = NewApplier(NextRules(), "new");
  auto replayed = new_rules->RunOnce();
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(*replayed, 3);
  EXPECT_EQ(*store_->ServingVersion(), "2026.1");
  EXPECT_EQ(Score("2026.1", 1), 65);
  EXPECT_EQ(Score("2027.1", 1), 55);  // overdue major: -30 under the new rules
  EXPECT_EQ(store_->Info()->replay(), v1::REPLAY_STATE_RUNNING);

  // An event arrives before the switch: the old rules apply (and publish) it; the new
  // generation follows it without publishing, and only then switches.
  Append(Hazard("e4", v1::HazardFact::KIND_VERIFIED, "haz_2", 1, 1, hv1::SEVERITY_GENERAL));
  ASSERT_EQ(*old_rules->RunOnce(), 1);
  const int64_t outbox = OutboxLen(), exports = ExportLen();
  ASSERT_EQ(*new_rules->RunOnce(), 1);
  EXPECT_EQ(*store_->ServingVersion(), "2026.1");
  EXPECT_EQ(OutboxLen(), outbox);
  EXPECT_EQ(ExportLen(), exports);
  ASSERT_EQ(*new_rules->RunOnce(), 0);
  EXPECT_EQ(*store_->ServingVersion(), "2027.1");
  EXPECT_EQ(Score("2027.1", 1), 51);  // and a repeat of the category within the window: -4
  auto info = store_->Info();
  EXPECT_EQ(info->version(), "2027.1");
  EXPECT_EQ(info->replay(), v1::REPLAY_STATE_SWITCHED);

  // From now on only the new rules apply and publish; the old replica does not take it back.
  const std::string old_cursor = *store_->Cursor("2026.1");
  Append(Hazard("e5", v1::HazardFact::KIND_VERIFIED, "haz_3", 1, 1, hv1::SEVERITY_GENERAL));
  EXPECT_EQ(*old_rules->RunOnce(), 0);
  EXPECT_EQ(*store_->Cursor("2026.1"), old_cursor);
  ASSERT_EQ(*new_rules->RunOnce(), 1);
  EXPECT_EQ(*store_->ServingVersion(), "2027.1");
  EXPECT_GT(OutboxLen(), outbox);
}

TEST_F(ApplierTest, AGenerationInForceThatWasLostIsRebuiltFromTheHistory) {
  auto applier = NewApplier(ShippedRules(), "r1");
  RunUntilIdle(*applier, "2026.1");
  Append(Building("e1", 1, 1));
  Append(Hazard("e2", v1::HazardFact::KIND_VERIFIED, "haz_1", 1, 1));
  RunUntilIdle(*applier, "2026.1");
  const auto before = Snapshot(*pool_, "2026.1");
  // The generation's keys are gone (its cursor first, as after a partial loss).
  for (const auto& [key, value] : before) ASSERT_TRUE(pool_->Command({"DEL", key}).ok());
  ASSERT_TRUE(pool_->Command({"SET", store_->SubjectKey("2026.1", "org:stale"), "x"}).ok());
  EXPECT_FALSE(*store_->HasGeneration("2026.1"));

  RunUntilIdle(*applier, "2026.1");
  EXPECT_EQ(Snapshot(*pool_, "2026.1"), before);
  EXPECT_EQ(Score("2026.1", 1), 85);
}

TEST_F(ApplierTest, RerunningTheExportFromACursorGivesTheSameRecords) {
  auto applier = NewApplier(ShippedRules(), "r1", 2);
  RunUntilIdle(*applier, "2026.1");
  for (int org = 0; org < 3; ++org) {
    Append(Hazard(absl::StrCat("v", org), v1::HazardFact::KIND_VERIFIED, absl::StrCat("h", org),
                  org, org));
    Append(Hazard(absl::StrCat("o", org), v1::HazardFact::KIND_OVERDUE, absl::StrCat("h", org), org,
                  org));
  }
  RunUntilIdle(*applier, "2026.1");
  auto all = store_->ExportAfter("", 100);
  ASSERT_TRUE(all.ok());
  ASSERT_THAT(all->records, SizeIs(6));  // A → B → C for each of three subjects
  std::set<std::string> ids;
  for (const auto& [id, rec] : all->records) ids.insert(rec.record_id());
  EXPECT_THAT(ids, SizeIs(6));

  const std::string cursor = all->records[2].first;
  auto once = store_->ExportAfter(cursor, 100);
  auto again = store_->ExportAfter(cursor, 100);
  ASSERT_TRUE(once.ok() && again.ok());
  ASSERT_THAT(once->records, SizeIs(3));
  ASSERT_THAT(again->records, SizeIs(3));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(once->records[i].first, all->records[3 + i].first);
    EXPECT_EQ(once->records[i].second.SerializeAsString(),
              again->records[i].second.SerializeAsString());
  }
}

TEST_F(ApplierTest, AClockFactIsAppendedWhenABlacklistEntryIsDueAndTakesEffect) {
  auto applier = NewApplier(ShippedRules(), "r1");
  RunUntilIdle(*applier, "2026.1");
  // 100 - 15 - 20 - 25 (a repeat within the window) = 40: level D proposes an entry.
  Append(Hazard("v1", v1::HazardFact::KIND_VERIFIED, "h1", 1, 1));
  Append(Hazard("o1", v1::HazardFact::KIND_OVERDUE, "h1", 1, 1));
  Append(Hazard("v2", v1::HazardFact::KIND_VERIFIED, "h2", 1, 1));
  RunUntilIdle(*applier, "2026.1");
  auto open = store_->OpenBlacklist("2026.1", 0, 10);
  ASSERT_TRUE(open.ok());
  ASSERT_THAT(*open, SizeIs(1));
  EXPECT_FALSE(*applier->AppendClockIfDue());  // the objection period runs

  clock_.Advance(absl::Hours(24 * 11));
  const int64_t facts = *store_->FactCount();
  EXPECT_TRUE(*applier->AppendClockIfDue());
  EXPECT_FALSE(*applier->AppendClockIfDue());  // one is waiting to be applied
  EXPECT_EQ(*store_->FactCount(), facts + 1);
  RunUntilIdle(*applier, "2026.1");
  auto s = store_->LoadSubject("2026.1", SubjectIds::OrgId(Code(1)));
  ASSERT_TRUE(s.ok() && s->has_value());
  ASSERT_EQ((*s)->blacklist_size(), 1);
  EXPECT_EQ((*s)->blacklist(0).state(), v1::BLACKLIST_STATE_ACTIVE);
  EXPECT_FALSE(*applier->AppendClockIfDue());  // next due: the end of its term
}

}  // namespace
}  // namespace firegrid::credit
