// The audit log end to end, on the real buildings and hazards binaries: every state-changing
// call is recorded by the service that owns the object — the caller, the outcome (refusals
// too) and the call's trace id — reads are not, and the chain verifies.
#include "firegrid/audit/v1/audit.grpc.pb.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace av1 = ::firegrid::audit::v1;
namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kTraceparent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

class AuditE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    auto service = [&](const char* bin, const char* name, std::vector<std::string> flags) {
      std::vector<std::string> common =
          testing::CommonServiceFlags(redis_.address(), broker_.bootstrap(), key_file);
      flags.insert(flags.end(), common.begin(), common.end());
      return std::make_unique<testing::ServiceProcess>(testing::ServiceProcessOptions{
          .binary = bin, .name = name, .flags = flags, .log_dir = dir_.path()});
    };
    buildings_ = service(FIREGRID_BUILDINGS_BIN, "buildings",
                         {"--rules-file=" + cfg + "/buildings_rules.textproto"});
    hazards_ = service(FIREGRID_HAZARDS_BIN, "hazards",
                       {"--rules-file=" + cfg + "/hazards_rules.textproto",
                        "--guidance-file=" + cfg + "/hazards_guidance.textproto"});
    for (auto* s : {buildings_.get(), hazards_.get()}) {
      absl::Status st = s->Start();
      ASSERT_TRUE(st.ok()) << st;
    }
    auto channel = [](const testing::ServiceProcess& s) {
      return grpc::CreateChannel(s.grpc_address(), grpc::InsecureChannelCredentials());
    };
    bstub_ = bv1::BuildingService::NewStub(channel(*buildings_));
    hstub_ = hv1::HazardService::NewStub(channel(*hazards_));
    baudit_ = av1::AuditService::NewStub(channel(*buildings_));
    haudit_ = av1::AuditService::NewStub(channel(*hazards_));
  }

  void TearDown() override {
    for (auto* s : {hazards_.get(), buildings_.get()}) {
      if (s != nullptr && s->running()) {
        auto code = s->Stop();
        EXPECT_TRUE(code.ok() && *code == 0)
            << "service did not drain cleanly: " << testing::WhyNotClean(code, *s);
      }
    }
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return testing::CallContext(token);
  }

  std::vector<av1::AuditRecord> Records(av1::AuditService::Stub& stub, const std::string& id) {
    av1::ListAuditRecordsRequest req;
    req.set_object_id(id);
    av1::ListAuditRecordsResponse resp;
    grpc::Status s = stub.ListAuditRecords(Ctx(admin_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.records().begin(), resp.records().end()};
  }

  testing::TempDir dir_{"audit-e2e"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> buildings_, hazards_;
  std::unique_ptr<bv1::BuildingService::Stub> bstub_;
  std::unique_ptr<hv1::HazardService::Stub> hstub_;
  std::unique_ptr<av1::AuditService::Stub> baudit_, haudit_;
  testing::DevTokens tokens_;
  std::string admin_ = tokens_.Make(auth::Role::kDistrictAdmin, "500109", "admin");
};

TEST_F(AuditE2E, ARevealOfATipOffIdentityIsRecordedAndAMaskedReadIsNot) {
  const bv1::Building building = testing::RegisterCommunityBuilding(*bstub_, admin_);
  ASSERT_FALSE(building.building_id().empty());
  const std::string worker = tokens_.Make(auth::Role::kCommunityWorker, "500109001002", "grid-1");
  hv1::ReportHazardRequest report;
  report.set_building_id(building.building_id());
  report.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  report.set_severity(hv1::SEVERITY_GENERAL);
  report.set_source(hv1::SOURCE_PUBLIC_TIP_OFF);
  report.set_description("消防车道被占用");
  report.mutable_reporter()->set_name("陈先生");
  report.mutable_reporter()->set_contact("13900000000");
  hv1::ReportHazardResponse reported;
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return hstub_->ReportHazard(Ctx(worker).get(), report, &reported).ok(); },
      absl::Seconds(60)));
  const std::string hazard = reported.hazard().hazard_id();
  hv1::GetHazardRequest get;
  get.set_hazard_id(hazard);
  hv1::Hazard read;
  ASSERT_TRUE(hstub_->GetHazard(Ctx(admin_).get(), get, &read).ok());
  EXPECT_EQ(read.reporter().contact(), "139****0000");
  ASSERT_EQ(Records(*haudit_, hazard).size(), 1u) << "a masked read is not recorded";

  get.set_reveal_personal_data(true);
  ASSERT_TRUE(hstub_->GetHazard(Ctx(admin_).get(), get, &read).ok());
  EXPECT_EQ(read.reporter().contact(), "13900000000");
  EXPECT_EQ(read.reporter().name(), "陈先生");
  std::vector<av1::AuditRecord> h = Records(*haudit_, hazard);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1].method(), "/firegrid.hazards.v1.HazardService/GetHazard");
  EXPECT_EQ(h[1].principal(), "admin");
  EXPECT_EQ(h[1].detail(), "revealed=reporter.name,reporter.contact");
  EXPECT_EQ(h[1].service(), "hazards");
  EXPECT_TRUE(h[1].has_time());
}

TEST_F(AuditE2E, EveryChangeAndRefusalIsRecordedByTheOwningServiceWithCallerOutcomeAndTrace) {
  const bv1::Building building = testing::RegisterCommunityBuilding(*bstub_, admin_);
  ASSERT_FALSE(building.building_id().empty());
  // A read: not recorded.
  bv1::GetBuildingRequest get;
  get.set_building_id(building.building_id());
  bv1::Building read;
  ASSERT_TRUE(bstub_->GetBuilding(Ctx(admin_).get(), get, &read).ok());

  const std::string worker = tokens_.Make(auth::Role::kCommunityWorker, "500109001002", "grid-1");
  hv1::ReportHazardRequest report;
  report.set_building_id(building.building_id());
  report.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  report.set_severity(hv1::SEVERITY_GENERAL);
  report.set_source(hv1::SOURCE_GRID_INSPECTION);
  report.set_description("消防车道被占用");
  hv1::ReportHazardResponse reported;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        auto ctx = Ctx(worker);
        ctx->AddMetadata("traceparent", kTraceparent);
        return hstub_->ReportHazard(ctx.get(), report, &reported).ok();
      },
      absl::Seconds(60)));
  const std::string hazard = reported.hazard().hazard_id();
  // The grid worker may not verify: refused, and the refusal is recorded too.
  hv1::VerifyHazardRequest verify;
  verify.set_hazard_id(hazard);
  verify.set_expected_version(reported.hazard().version());
  hv1::Hazard verified;
  ASSERT_EQ(hstub_->VerifyHazard(Ctx(worker).get(), verify, &verified).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  std::vector<av1::AuditRecord> b = Records(*baudit_, building.building_id());
  ASSERT_EQ(b.size(), 1u) << "only the creation changed the building";
  EXPECT_EQ(b[0].method(), "/firegrid.buildings.v1.BuildingService/CreateBuilding");
  EXPECT_EQ(b[0].principal(), "admin");
  EXPECT_EQ(b[0].role(), "district_admin");
  EXPECT_EQ(b[0].result_code(), "OK");
  EXPECT_EQ(b[0].service(), "buildings");

  std::vector<av1::AuditRecord> h = Records(*haudit_, hazard);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].method(), "/firegrid.hazards.v1.HazardService/ReportHazard");
  EXPECT_EQ(h[0].principal(), "grid-1");
  EXPECT_EQ(h[0].tier_path(), "500109001002");
  EXPECT_EQ(h[0].result_code(), "OK");
  EXPECT_EQ(h[0].trace_id(), kTraceId);
  EXPECT_EQ(h[1].method(), "/firegrid.hazards.v1.HazardService/VerifyHazard");
  EXPECT_EQ(h[1].result_code(), "PERMISSION_DENIED");

  for (auto* stub : {baudit_.get(), haudit_.get()}) {
    av1::VerifyAuditChainResponse v;
    ASSERT_TRUE(stub->VerifyAuditChain(Ctx(admin_).get(), av1::VerifyAuditChainRequest(), &v).ok());
    EXPECT_TRUE(v.intact()) << v.problem();
    EXPECT_GE(v.checked(), 2);
  }
  // Only district admins read it.
  av1::ListAuditRecordsRequest req;
  req.set_object_id(hazard);
  av1::ListAuditRecordsResponse resp;
  EXPECT_EQ(haudit_->ListAuditRecords(Ctx(worker).get(), req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace firegrid
