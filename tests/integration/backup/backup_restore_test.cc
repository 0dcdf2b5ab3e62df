// deploy/backup.sh and deploy/restore.sh with the services' stores on real redis-servers (AOF
// with timestamps, as deploy/run-local.sh and k8s run Redis): writes A, a time T, writes B, a
// backup; restored to T, the store holds A and not B, and its read model equals a rebuild
// (CheckReadModels, what `firegridctl rebuild --check` asks); restored to the backup's time, it
// holds both, again equal to a rebuild. Buildings (ledger counters) and credit (scores and
// rankings against a replay of the restored history).
#include <atomic>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/redis/pool.h"
#include "services/buildings/redis_store.h"
#include "services/buildings/registry.h"
#include "services/buildings/rules.h"
#include "services/credit/applier.h"
#include "services/credit/directory.h"
#include "services/credit/read_model_check.h"
#include "services/credit/service.h"
#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::buildings {
namespace {

using auth::Principal;
using auth::Role;

constexpr char kPrefix[] = "fg:buildings";

// The registry of the buildings service over one redis-server.
struct Service {
  explicit Service(const testing::RedisServer& server) {
    redis::PoolOptions o;
    EXPECT_TRUE(redis::ParseAddress(server.address(), &o).ok());
    pool = redis::Pool::Create(o);
    store = std::make_unique<RedisStore>(pool.get(), kPrefix, DefaultRules());
    registry = std::make_unique<Registry>(store.get(), DefaultRules(), &clock, &ids);
  }
  std::set<std::string> BuildingIds() {
    std::set<std::string> out;
    auto page = store->ScanBuildings("", "", 1000);
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const auto& b : page->buildings) out.insert(b.building_id());
    }
    return out;
  }
  FakeClock clock{absl::FromCivil(absl::CivilHour(2026, 12, 6, 10), absl::UTCTimeZone())};
  RandomIdGenerator ids;
  std::unique_ptr<redis::Pool> pool;
  std::unique_ptr<RedisStore> store;
  std::unique_ptr<Registry> registry;
};

Principal Admin() {
  Principal p;
  p.role = Role::kDistrictAdmin;
  p.tier_path = "500109";
  p.subject = "admin";
  return p;
}

std::string CreateBuilding(Service& s, const std::string& community, double height) {
  v1::CreateBuildingRequest req;
  v1::Building* b = req.mutable_building();
  b->set_name("楼");
  b->set_address("天生路 3 号");
  b->set_tier_path(community);
  b->set_use(v1::BUILDING_USE_RESIDENTIAL);
  b->set_height_m(height);
  b->set_floors_above_ground(static_cast<int>(height / 3));
  b->mutable_location()->set_latitude(29.82);
  b->mutable_location()->set_longitude(106.43);
  auto created = s.registry->CreateBuilding(Admin(), req);
  EXPECT_TRUE(created.ok()) << created.status();
  return created.ok() ? created->building_id() : "";
}

// Runs a deploy/ script to its end; its exit code, stdout in *out.
int RunScript(const std::string& script, std::vector<std::string> args, const std::string& logs,
              std::string* out) {
  testing::SubprocessOptions o;
  o.argv = {"bash", absl::StrCat(FIREGRID_SOURCE_DIR, "/deploy/", script)};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.log_dir = logs;
  o.name = script;
  testing::Subprocess p;
  EXPECT_TRUE(p.Start(o).ok());
  absl::StatusOr<int> code = p.Wait(absl::Seconds(120));
  EXPECT_TRUE(code.ok()) << code.status();
  std::ifstream f(p.stdout_path());
  out->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  if (!code.ok() || *code != 0) {
    std::ifstream e(p.stderr_path());
    std::string err((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
    ADD_FAILURE() << script << " failed: " << err;
  }
  return code.ok() ? *code : -1;
}

// A redis-server whose data directory holds `backup` restored (to `to_time` when not empty).
std::unique_ptr<testing::RedisServer> Restored(const std::string& backup,
                                               const std::string& to_time,
                                               const std::string& logs) {
  auto server = std::make_unique<testing::RedisServer>(
      testing::RedisServerOptions{.extra_args = {"--aof-timestamp-enabled", "yes"}});
  EXPECT_TRUE(server->Start().ok());
  EXPECT_TRUE(server->Stop().ok());  // restore.sh wants a stopped instance
  std::vector<std::string> args = {"--backup", backup, "--data-dir", server->dir(), "--force"};
  if (!to_time.empty()) {
    args.push_back("--to-time");
    args.push_back(to_time);
  }
  std::string out;
  EXPECT_EQ(RunScript("restore.sh", args, logs, &out), 0);
  EXPECT_TRUE(server->Restart().ok());
  return server;
}

void ExpectCountersEqualARecount(Service& s, int buildings) {
  auto check = s.registry->CheckReadModels(Admin(), readmodels::v1::CheckReadModelsRequest());
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->read_model(), "ledger counters");
  EXPECT_EQ(check->records(), buildings);
  EXPECT_EQ(check->difference_count(), 0) << check->ShortDebugString();
}

TEST(BuildingsBackupRestore,
     RestoredToAPointInTimeHoldsTheBuildingsOfThenWithCountersEqualARecount) {
  testing::TempDir logs("firegrid-backup-test");
  testing::RedisServer source(
      testing::RedisServerOptions{.extra_args = {"--aof-timestamp-enabled", "yes"}});
  ASSERT_TRUE(source.Start().ok());
  Service live(source);
  ASSERT_TRUE(live.store->ledger_counters().Build(*live.store).ok());
  for (auto [code, kind, parent] :
       {std::tuple{"500109", v1::ORG_UNIT_KIND_DISTRICT, ""},
        std::tuple{"500109001", v1::ORG_UNIT_KIND_STREET, "500109"},
        std::tuple{"500109001001", v1::ORG_UNIT_KIND_COMMUNITY, "500109001"},
        std::tuple{"500109001002", v1::ORG_UNIT_KIND_COMMUNITY, "500109001"}}) {
    v1::UpsertOrgUnitRequest u;
    u.mutable_org_unit()->set_code(code);
    u.mutable_org_unit()->set_kind(kind);
    u.mutable_org_unit()->set_parent_code(parent);
    u.mutable_org_unit()->set_name(std::string("单位 ") + code);
    ASSERT_TRUE(live.registry->UpsertOrgUnit(Admin(), u).ok());
  }
  const std::string a1 = CreateBuilding(live, "500109001001", 40);
  const std::string a2 = CreateBuilding(live, "500109001002", 60);
  const int64_t t = absl::ToUnixSeconds(absl::Now());
  // B in a later second than T: the AOF's timestamps have one-second resolution.
  ASSERT_TRUE(
      testing::WaitUntil([&] { return absl::ToUnixSeconds(absl::Now()) > t; }, absl::Seconds(5)));
  const std::string b = CreateBuilding(live, "500109001001", 80);
  ExpectCountersEqualARecount(live, 3);

  std::string out;
  ASSERT_EQ(RunScript("backup.sh", {"--port", std::to_string(source.port()), "--out", logs.path()},
                      logs.path(), &out),
            0);
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  const std::string backup = lines.back();

  auto at_t = Restored(backup, std::to_string(t), logs.path());
  Service then(*at_t);
  EXPECT_EQ(then.BuildingIds(), (std::set<std::string>{a1, a2}));
  ExpectCountersEqualARecount(then, 2);

  auto at_backup = Restored(backup, "", logs.path());
  Service now(*at_backup);
  EXPECT_EQ(now.BuildingIds(), (std::set<std::string>{a1, a2, b}));
  ExpectCountersEqualARecount(now, 3);
}

}  // namespace
}  // namespace firegrid::buildings

namespace firegrid::credit {
namespace {

using buildings::Admin;
using buildings::Restored;
using buildings::RunScript;

constexpr char kAgencyCode[] = "91110000600037341L";

// The credit service's store, applier (on a thread, as the service's periodic task runs it)
// and use cases over one redis-server.
struct Credit {
  explicit Credit(const testing::RedisServer& server, bool apply) {
    redis::PoolOptions o;
    EXPECT_TRUE(redis::ParseAddress(server.address(), &o).ok());
    pool = redis::Pool::Create(o);
    auto loaded = Rules::LoadFile(FIREGRID_CREDIT_RULES);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    rules = std::make_unique<Rules>(*loaded);
    store = std::make_unique<CreditStore>(pool.get(), "fg:credit");
    directory = std::make_unique<BuildingDirectory>(pool.get(), "fg:credit");
    applier = std::make_unique<Applier>(
        store.get(), rules.get(), &ids, &clock,
        ApplierOptions{.outbox_key = "fg:credit:outbox", .instance_id = "test"});
    api = std::make_unique<CreditApi>(store.get(), rules.get(), &ids, directory.get(), &clock,
                                      &id_gen, ServiceOptions{.apply_wait = absl::Seconds(20)});
    if (!apply) return;
    running = true;
    thread = std::thread([this] {
      while (running) {
        auto n = applier->RunOnce();
        if (!n.ok() || *n == 0) absl::SleepFor(absl::Milliseconds(2));
      }
    });
  }
  ~Credit() {
    running = false;
    if (thread.joinable()) thread.join();
  }
  int Score(const std::string& subject_id) {
    auto s = store->LoadSubject(rules->version(), subject_id);
    EXPECT_TRUE(s.ok() && s->has_value());
    return s.ok() && s->has_value() ? (*s)->score() : -1;
  }
  void ExpectEqualToAReplay(int64_t facts) {
    auto check = CheckServingGeneration(*store, *rules, ids);
    ASSERT_TRUE(check.ok()) << check.status();
    EXPECT_EQ(check->records, facts);
    EXPECT_TRUE(check->differences.empty())
        << check->differences.size() << " differences, first " << check->differences[0].key << " "
        << check->differences[0].field;
  }

  SubjectIds ids{"a-test-key-for-person-ids-0123456789"};
  FakeClock clock{absl::FromUnixSeconds(1'780'000'000)};
  SequentialIdGenerator id_gen;
  std::unique_ptr<redis::Pool> pool;
  std::unique_ptr<Rules> rules;
  std::unique_ptr<CreditStore> store;
  std::unique_ptr<BuildingDirectory> directory;
  std::unique_ptr<Applier> applier;
  std::unique_ptr<CreditApi> api;
  std::atomic<bool> running{false};
  std::thread thread;
};

TEST(CreditBackupRestore, RestoredToAPointInTimeHasTheScoresOfThenEqualToAReplayOfItsHistory) {
  testing::TempDir logs("firegrid-backup-test");
  testing::RedisServer source(
      testing::RedisServerOptions{.extra_args = {"--aof-timestamp-enabled", "yes"}});
  ASSERT_TRUE(source.Start().ok());
  std::string subject;
  int64_t t = 0;
  {
    Credit live(source, /*apply=*/true);
    ASSERT_TRUE(
        live.directory->Put("bld_1", BuildingDirectory::Entry{"朝阳大厦", "500109001002"}).ok());
    v1::RegisterSubjectRequest reg;
    reg.mutable_party()->set_role(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY);
    reg.mutable_party()->set_name("某单位");
    reg.mutable_party()->set_credit_code(kAgencyCode);
    reg.set_building_id("bld_1");
    auto registered = live.api->RegisterSubject(Admin(), reg);
    ASSERT_TRUE(registered.ok()) << registered.status();
    subject = registered->subject_id();
    auto Manual = [&](const std::string& request_id) {
      v1::RecordManualRequest m;
      m.set_subject_id(subject);
      m.set_rule_id("violation.false_inspection_report");
      m.set_reason("检查发现");
      m.set_legal_basis("《消防法》第六十九条");
      m.set_request_id(request_id);
      auth::Principal fire;
      fire.role = auth::Role::kDepartmentOfficer;
      fire.tier_path = "500109";
      fire.subject = "fr-1";
      fire.department = "fire_rescue";
      return live.api->RecordManual(fire, m);
    };
    ASSERT_TRUE(Manual("first").ok());
    ASSERT_EQ(live.Score(subject), 70);
    t = absl::ToUnixSeconds(absl::Now());
    ASSERT_TRUE(
        testing::WaitUntil([&] { return absl::ToUnixSeconds(absl::Now()) > t; }, absl::Seconds(5)));
    ASSERT_TRUE(Manual("second").ok());
    ASSERT_EQ(live.Score(subject), 40);
  }

  std::string out;
  ASSERT_EQ(RunScript("backup.sh", {"--port", std::to_string(source.port()), "--out", logs.path()},
                      logs.path(), &out),
            0);
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  const std::string backup = lines.back();

  // Restored, with no applier running: what the backup holds is checked, not what an applier
  // would add to it.
  auto at_t = Restored(backup, std::to_string(t), logs.path());
  Credit then(*at_t, /*apply=*/false);
  EXPECT_EQ(then.Score(subject), 70);
  then.ExpectEqualToAReplay(2);  // the registration and the first record

  auto at_backup = Restored(backup, "", logs.path());
  Credit now(*at_backup, /*apply=*/false);
  EXPECT_EQ(now.Score(subject), 40);
  now.ExpectEqualToAReplay(3);
}

}  // namespace
}  // namespace firegrid::credit
