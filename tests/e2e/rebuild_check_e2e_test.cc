// `firegridctl rebuild --check` end to end: the firegridctl binary against the firegrid-buildings
// binary with a real redis-server and the dev broker. After normal writes the ledger counters
// equal a rebuild (exit 0); a counter changed directly in Redis is reported with its live and
// rebuilt values (exit 1), and stays as it was.
#include <fstream>

#include "absl/strings/str_cat.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/redis/pool.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace v1 = ::firegrid::buildings::v1;
using ::testing::HasSubstr;

class RebuildCheckE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    auto flags = testing::CommonServiceFlags(redis_.address(), broker_.bootstrap(), key_file);
    flags.push_back(std::string("--rules-file=") + FIREGRID_RULES_FILE);
    service_ = std::make_unique<testing::ServiceProcess>(
        testing::ServiceProcessOptions{.binary = FIREGRID_BUILDINGS_BIN,
                                       .name = "buildings",
                                       .flags = flags,
                                       .log_dir = dir_.path()});
    absl::Status s = service_->Start();
    ASSERT_TRUE(s.ok()) << s;
    stub_ = v1::BuildingService::NewStub(
        grpc::CreateChannel(service_->grpc_address(), grpc::InsecureChannelCredentials()));
    admin_ = tokens_.Make(auth::Role::kDistrictAdmin, "500109", "admin");
    redis::PoolOptions o;
    ASSERT_TRUE(redis::ParseAddress(redis_.address(), &o).ok());
    pool_ = redis::Pool::Create(o);
  }
  void TearDown() override {
    if (service_ && service_->running()) (void)service_->Stop();
  }

  void Unit(const std::string& code, v1::OrgUnitKind kind, const std::string& parent) {
    v1::UpsertOrgUnitRequest req;
    req.mutable_org_unit()->set_code(code);
    req.mutable_org_unit()->set_kind(kind);
    req.mutable_org_unit()->set_parent_code(parent);
    req.mutable_org_unit()->set_name("unit " + code);
    v1::OrgUnit resp;
    grpc::Status s = stub_->UpsertOrgUnit(testing::CallContext(admin_).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  void Create(const std::string& tier, double height) {
    v1::CreateBuildingRequest req;
    auto* b = req.mutable_building();
    b->set_name("缙云大厦");
    b->set_address("北碚区天生路 8 号");
    b->set_tier_path(tier);
    b->mutable_location()->set_latitude(29.8257);
    b->mutable_location()->set_longitude(106.4375);
    b->set_use(v1::BUILDING_USE_RESIDENTIAL);
    b->set_height_m(height);
    b->set_floors_above_ground(static_cast<int>(height / 3));
    v1::Building out;
    grpc::Status s = stub_->CreateBuilding(testing::CallContext(admin_).get(), req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Runs `firegridctl rebuild --check --service buildings`; its exit code, stdout in *out.
  int Rebuild(std::string* out) {
    static int n = 0;
    testing::SubprocessOptions o;
    o.argv = {FIREGRID_CTL_BIN, "rebuild", "--check", "--service", "buildings"};
    o.env = {{"FIREGRID_ADDR", service_->grpc_address()}, {"FIREGRID_TOKEN", admin_}};
    o.log_dir = dir_.path();
    o.name = absl::StrCat("firegridctl-", ++n);
    testing::Subprocess p;
    EXPECT_TRUE(p.Start(o).ok());
    absl::StatusOr<int> code = p.Wait(absl::Seconds(60));
    EXPECT_TRUE(code.ok()) << code.status();
    std::ifstream f(p.stdout_path());
    out->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    return code.ok() ? *code : -1;
  }

  testing::TempDir dir_{"firegrid-rebuild-e2e"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  testing::DevTokens tokens_;
  std::unique_ptr<testing::ServiceProcess> service_;
  std::unique_ptr<v1::BuildingService::Stub> stub_;
  std::unique_ptr<redis::Pool> pool_;
  std::string admin_;
};

TEST_F(RebuildCheckE2E, EqualCountersExitZeroAndACounterChangedInRedisIsReportedWithExitOne) {
  Unit("500109", v1::ORG_UNIT_KIND_DISTRICT, "");
  Unit("500109001", v1::ORG_UNIT_KIND_STREET, "500109");
  Unit("500109001001", v1::ORG_UNIT_KIND_COMMUNITY, "500109001");
  Create("500109001001", 40);
  Create("500109001001", 70);
  // The service builds its counters once, on a task of its own, after it starts.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        auto r = pool_->Command({"EXISTS", "fg:buildings:agg:built"});
        return r.ok() && r->integer == 1;
      },
      absl::Seconds(30)));
  std::string out;
  EXPECT_EQ(Rebuild(&out), 0) << out;
  EXPECT_THAT(out, HasSubstr("buildings ledger counters: 2 records rebuilt, 0 differences"));

  ASSERT_TRUE(pool_->Command({"HSET", "fg:buildings:agg:500109", "buildings", "9"}).ok());
  EXPECT_EQ(Rebuild(&out), 1) << out;
  EXPECT_THAT(out, HasSubstr("1 differences"));
  EXPECT_THAT(out, HasSubstr("fg:buildings:agg:500109"));
  EXPECT_THAT(out, HasSubstr("buildings  9     2"));
  EXPECT_EQ(pool_->Command({"HGET", "fg:buildings:agg:500109", "buildings"})->str, "9");
}

}  // namespace
}  // namespace firegrid
