// Evidence against the real buildings and hazards binaries (redis-server and the dev broker,
// all on loopback, started here): the hazards service's own token checks and role rules decide
// uploads and downloads, a content address from an upload is accepted as a hazard's evidence,
// and the file is served to exactly those who may see that hazard.
#include <memory>
#include <string>

#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/token.h"
#include "nlohmann/json.hpp"
#include "services/gateway/evidence/evidence_handler.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::gateway {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;

const std::string kJpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "a blocked evacuation stairway";

class EvidenceE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    buildings_ = testing::PollingService(
        FIREGRID_BUILDINGS_BIN, "buildings", {"--rules-file=" + cfg + "/buildings_rules.textproto"},
        redis_.address(), broker_.bootstrap(), key_file, dir_.path());
    hazards_ =
        testing::PollingService(FIREGRID_HAZARDS_BIN, "hazards",
                                {"--rules-file=" + cfg + "/hazards_rules.textproto",
                                 "--guidance-file=" + cfg + "/hazards_guidance.textproto"},
                                redis_.address(), broker_.bootstrap(), key_file, dir_.path());
    ASSERT_TRUE(buildings_->Start().ok());
    ASSERT_TRUE(hazards_->Start().ok());
    auto hazards_channel =
        grpc::CreateChannel(hazards_->grpc_address(), grpc::InsecureChannelCredentials());
    bstub_ = bv1::BuildingService::NewStub(
        grpc::CreateChannel(buildings_->grpc_address(), grpc::InsecureChannelCredentials()));
    hstub_ = hv1::HazardService::NewStub(hazards_channel);
    config_.set_directory(dir_.Join("evidence"));
    auto store = NewBlobStore(config_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    handler_ = NewEvidenceHandler(config_, store_.get(), hazards_channel);
  }

  void TearDown() override {
    for (auto* s : {hazards_.get(), buildings_.get()}) {
      if (s != nullptr && s->running()) {
        EXPECT_TRUE(s->Stop().ok());
      }
    }
  }

  HttpResponse Upload(const std::string& token, const std::string& body, const std::string& type) {
    HttpRequest r;
    r.method = "POST";
    r.path = "/api/v1/evidence";
    r.headers["authorization"] = "Bearer " + token;
    r.headers["content-type"] = type;
    r.body = body;
    return handler_->Handle(r);
  }

  HttpResponse Download(const std::string& token, const std::string& hazard_id,
                        const std::string& uri) {
    HttpRequest r;
    r.method = "GET";
    r.path = "/api/v1/hazards/" + hazard_id + "/evidence/" + uri.substr(7);  // "sha256:"
    r.headers["authorization"] = "Bearer " + token;
    return handler_->Handle(r);
  }

  testing::TempDir dir_{"evidence-e2e"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> buildings_, hazards_;
  std::unique_ptr<bv1::BuildingService::Stub> bstub_;
  std::unique_ptr<hv1::HazardService::Stub> hstub_;
  testing::DevTokens tokens_;
  config::v1::EvidenceStore config_;
  std::unique_ptr<BlobStore> store_;
  std::unique_ptr<Handler> handler_;
};

TEST_F(EvidenceE2E, AnUploadedPhotoIsAHazardsEvidenceAndServedToThoseWhoMaySeeTheHazard) {
  const std::string admin = tokens_.Make(auth::Role::kDistrictAdmin, "500109", "admin");
  const std::string worker = tokens_.Make(auth::Role::kCommunityWorker, "500109001002", "grid-1");
  const std::string street = tokens_.Make(auth::Role::kStreetOfficer, "500109001", "street-1");
  const std::string other_community =
      tokens_.Make(auth::Role::kCommunityWorker, "500109001003", "grid-9");
  const std::string fire =
      tokens_.Make(auth::Role::kDepartmentOfficer, "500109", "fire-1", "fire_rescue");
  const std::string education =
      tokens_.Make(auth::Role::kDepartmentOfficer, "500109", "edu-1", "education");
  bv1::Building building = testing::RegisterCommunityBuilding(*bstub_, admin);
  ASSERT_FALSE(building.building_id().empty());

  // A token the services do not accept (signed with another key) uploads nothing.
  auto other_signer = auth::TokenSigner::Hs256("another-development-key-0123456789abcdef");
  ASSERT_TRUE(other_signer.ok());
  auth::Principal forged_worker{
      .subject = "grid-1", .role = auth::Role::kCommunityWorker, .tier_path = "500109001002"};
  auto forged = (*other_signer)->Sign(forged_worker, absl::Now(), absl::Hours(1));
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(Upload(*forged, kJpeg, "image/jpeg").status, 401);

  HttpResponse up = Upload(worker, kJpeg, "image/jpeg");
  ASSERT_EQ(up.status, 201) << up.body;
  const std::string uri = nlohmann::json::parse(up.body)["uri"];

  // The worker reports with the uploaded photo (once the hazards service knows the building).
  hv1::ReportHazardRequest req;
  req.set_building_id(building.building_id());
  req.set_category(hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT);
  req.set_severity(hv1::SEVERITY_GENERAL);
  req.set_source(hv1::SOURCE_GRID_INSPECTION);
  req.set_description("楼梯间堆放杂物");
  req.add_evidence()->set_uri(uri);
  hv1::ReportHazardResponse reported;
  grpc::Status last;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        last = hstub_->ReportHazard(testing::CallContext(worker).get(), req, &reported);
        return last.error_code() != grpc::StatusCode::NOT_FOUND;
      },
      absl::Seconds(60)));
  ASSERT_TRUE(last.ok()) << last.error_message();
  const std::string id = reported.hazard().hazard_id();

  // Served to those who see the hazard: the reporter, its street, the lead department.
  for (const std::string* token : {&worker, &street, &fire}) {
    HttpResponse r = Download(*token, id, uri);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, kJpeg);
  }
  // Not to a worker of another community, nor to a department it is not routed to.
  EXPECT_EQ(Download(other_community, id, uri).status, 404);
  EXPECT_EQ(Download(education, id, uri).status, 404);
  // Not under a hazard that does not name it, nor without a valid token.
  HttpResponse other_bytes = Upload(worker, kJpeg + "2", "image/jpeg");
  ASSERT_EQ(other_bytes.status, 201);
  EXPECT_EQ(Download(worker, id, nlohmann::json::parse(other_bytes.body)["uri"]).status, 404);
  EXPECT_EQ(Download(*forged, id, uri).status, 401);
}

}  // namespace
}  // namespace firegrid::gateway
