// deploy/backup.sh and deploy/restore.sh with the buildings store on real redis-servers (AOF
// with timestamps, as deploy/run-local.sh and k8s run Redis): buildings A, a time T, building B,
// a backup; restored to T, the registry holds A and not B, and its ledger counters equal a
// recount (CheckReadModels, what `firegridctl rebuild --check` asks); restored to the backup's
// time, it holds both, again with counters equal to a recount.
#include <fstream>
#include <memory>
#include <set>
#include <string>
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
