// The buildings service end to end: the firegrid-buildings binary with a real redis-server and
// the dev broker. Register a building over gRPC, see its event on Kafka, see it in the ledger,
// restart (and crash) the service and find the data still there; the permission cases; the
// outbox holding events while the broker is down.
#include <fstream>

#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace v1 = ::firegrid::buildings::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTopic[] = "firegrid.buildings.events.v1";

class BuildingsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    service_ = std::make_unique<testing::ServiceProcess>(
        testing::ServiceProcessOptions{.binary = FIREGRID_BUILDINGS_BIN,
                                       .name = "buildings",
                                       .flags = Flags(key_file),
                                       .log_dir = dir_.path()});
    absl::Status s = service_->Start();
    ASSERT_TRUE(s.ok()) << s;
    Connect();
    admin_ = Token(auth::Role::kDistrictAdmin, "500109", "admin");
    SeedOrgUnits();
  }

  std::vector<std::string> Flags(const std::string& key_file) {
    auto flags = testing::CommonServiceFlags(redis_.address(), broker_.bootstrap(), key_file);
    flags.push_back(std::string("--rules-file=") + FIREGRID_RULES_FILE);
    return flags;
  }

  void TearDown() override {
    if (service_ && service_->running()) {
      auto code = service_->Stop();
      EXPECT_TRUE(code.ok() && *code == 0)
          << "service did not drain cleanly: " << testing::WhyNotClean(code, *service_);
    }
  }

  void Connect() {
    stub_ = v1::BuildingService::NewStub(
        grpc::CreateChannel(service_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  std::string Token(auth::Role role, const std::string& tier, const std::string& subject,
                    const std::string& department = "") {
    return tokens_.Make(role, tier, subject, department);
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return testing::CallContext(token);
  }

  void Unit(const std::string& code, v1::OrgUnitKind kind, const std::string& parent) {
    v1::UpsertOrgUnitRequest req;
    req.mutable_org_unit()->set_code(code);
    req.mutable_org_unit()->set_kind(kind);
    req.mutable_org_unit()->set_parent_code(parent);
    req.mutable_org_unit()->set_name("unit " + code);
    v1::OrgUnit resp;
    grpc::Status s = stub_->UpsertOrgUnit(Ctx(admin_).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  void SeedOrgUnits() {
    Unit("500109", v1::ORG_UNIT_KIND_DISTRICT, "");
    Unit("500109001", v1::ORG_UNIT_KIND_STREET, "500109");
    Unit("500109001001", v1::ORG_UNIT_KIND_COMMUNITY, "500109001");
    Unit("500109001002", v1::ORG_UNIT_KIND_COMMUNITY, "500109001");
  }

  v1::CreateBuildingRequest NewBuilding(const std::string& tier, double height) {
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
    return req;
  }

  v1::Building MustCreate(const std::string& token, const v1::CreateBuildingRequest& req) {
    v1::Building b;
    grpc::Status s = stub_->CreateBuilding(Ctx(token).get(), req, &b);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return b;
  }

  // The envelopes on the buildings topic about `building_id`, waiting for at least `want`.
  std::vector<events::Envelope> EventsFor(const std::string& building_id, size_t want) {
    std::vector<events::Envelope> out;
    absl::Status read;
    testing::WaitUntil(
        [&] {
          out.clear();
          auto messages = testing::ReadTopicToEnd(broker_.bootstrap(), kTopic, absl::Seconds(10));
          read = messages.status();
          if (!messages.ok()) return false;
          for (const auto& m : *messages) {
            auto env = events::ParseEnvelope(m.value);
            if (env.ok() && env->building_id() == building_id) out.push_back(*env);
          }
          return out.size() >= want;
        },
        absl::Seconds(30));
    EXPECT_GE(out.size(), want) << "events of " << building_id << " on the topic; last read: "
                                << read;
    return out;
  }

  testing::TempDir dir_{"buildings-e2e"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> service_;
  std::unique_ptr<v1::BuildingService::Stub> stub_;
  testing::DevTokens tokens_;
  std::string admin_;
};

TEST_F(BuildingsE2E, RegisteredBuildingIsOnKafkaInTheLedgerAndSurvivesRestartAndCrash) {
  const std::string worker = Token(auth::Role::kCommunityWorker, "500109001001", "grid-1");
  v1::Building b = MustCreate(worker, NewBuilding("500109001001", 80));
  ASSERT_FALSE(b.building_id().empty());
  EXPECT_EQ(b.building_class(), v1::BUILDING_CLASS_I);

  auto evs = EventsFor(b.building_id(), 1);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type(), "firegrid.buildings.v1.BuildingRegistered");
  EXPECT_EQ(evs[0].tier_path(), "500109001001");
  auto payload = events::Unpack<v1::BuildingRegistered>(evs[0]);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(payload->building().name(), "缙云大厦");

  const std::string street = Token(auth::Role::kStreetOfficer, "500109001", "street-1");
  v1::GetLedgerRequest lreq;
  v1::Ledger ledger;
  ASSERT_TRUE(stub_->GetLedger(Ctx(street).get(), lreq, &ledger).ok());
  EXPECT_EQ(ledger.tier_path(), "500109001");
  EXPECT_EQ(ledger.totals().buildings(), 1);
  EXPECT_EQ(ledger.totals().class_i(), 1);
  EXPECT_EQ(ledger.totals().filing_missing(), 1);

  // A graceful restart keeps everything.
  ASSERT_TRUE(service_->Restart().ok());
  Connect();
  v1::GetBuildingRequest get;
  get.set_building_id(b.building_id());
  v1::Building again;
  grpc::Status s = stub_->GetBuilding(Ctx(admin_).get(), get, &again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(again.name(), b.name());
  EXPECT_EQ(again.version(), b.version());

  // So does a crash of the service and of Redis: Redis keeps its AOF.
  ASSERT_TRUE(service_->Kill().ok());
  ASSERT_TRUE(redis_.Kill().ok());
  ASSERT_TRUE(redis_.Restart().ok());
  ASSERT_TRUE(service_->Start().ok());
  Connect();
  s = stub_->GetBuilding(Ctx(admin_).get(), get, &again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(again.building_id(), b.building_id());
  ASSERT_TRUE(stub_->GetLedger(Ctx(street).get(), lreq, &ledger).ok());
  EXPECT_EQ(ledger.totals().buildings(), 1);
  // The event was published once, not again after the restarts.
  EXPECT_EQ(EventsFor(b.building_id(), 1).size(), 1u);
}

// Parties on the real binary: validated with the field and the reason, stored whole (through a
// restart), shown masked to a street officer and whole to a district admin, and whole on the
// internal topic the credit service reads.
TEST_F(BuildingsE2E, PartiesAreValidatedMaskedOnTheApiAndWholeOnTheTopic) {
  constexpr char kPersonId[] = "500109198503121232";
  const std::string worker = Token(auth::Role::kCommunityWorker, "500109001001", "grid-1");
  v1::CreateBuildingRequest req = NewBuilding("500109001001", 60);
  auto* owner = req.mutable_building()->add_parties();
  owner->set_role(subjects::v1::PARTY_ROLE_OWNER);
  owner->set_name("重庆嘉陵置业有限公司");
  owner->set_credit_code("91500109MA5U0001A5");  // wrong check character
  auto* occupant = req.mutable_building()->add_parties();
  occupant->set_role(subjects::v1::PARTY_ROLE_OCCUPANT);
  occupant->set_name("张伟");
  occupant->set_person_id(kPersonId);
  v1::Building b;
  grpc::Status s = stub_->CreateBuilding(Ctx(worker).get(), req, &b);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("building.parties[0].credit_code: check character is "
                                           "5, but the first 17 characters give 4"));
  owner->set_credit_code("91500109MA5U0001A4");
  b = MustCreate(worker, req);
  ASSERT_EQ(b.parties_size(), 2);
  EXPECT_EQ(b.parties(1).person_id(), "500109********1232");  // the worker sees it masked

  ASSERT_TRUE(service_->Restart().ok());
  Connect();
  v1::GetBuildingRequest get;
  get.set_building_id(b.building_id());
  v1::Building seen;
  const std::string street = Token(auth::Role::kStreetOfficer, "500109001", "street-1");
  s = stub_->GetBuilding(Ctx(street).get(), get, &seen);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(seen.parties(1).person_id(), "500109********1232");
  EXPECT_EQ(seen.parties(0).credit_code(), "91500109MA5U0001A4");
  s = stub_->GetBuilding(Ctx(admin_).get(), get, &seen);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(seen.parties(1).person_id(), "500109********1232");  // masked for admins too
  get.set_reveal_personal_data(true);  // the explicit, audited reveal (docs/privacy.md)
  s = stub_->GetBuilding(Ctx(admin_).get(), get, &seen);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(seen.parties(1).person_id(), kPersonId);

  auto evs = EventsFor(b.building_id(), 1);
  ASSERT_EQ(evs.size(), 1u);
  auto payload = events::Unpack<v1::BuildingRegistered>(evs[0]);
  ASSERT_TRUE(payload.ok());
  ASSERT_EQ(payload->building().parties_size(), 2);
  EXPECT_EQ(payload->building().parties(1).person_id(), kPersonId);
}

TEST_F(BuildingsE2E, PermissionAndValidationCases) {
  const std::string worker_a = Token(auth::Role::kCommunityWorker, "500109001001", "grid-a");
  const std::string worker_b = Token(auth::Role::kCommunityWorker, "500109001002", "grid-b");
  v1::Building b = MustCreate(worker_a, NewBuilding("500109001001", 40));
  v1::GetBuildingRequest get;
  get.set_building_id(b.building_id());
  v1::Building out;

  EXPECT_EQ(stub_->GetBuilding(Ctx("").get(), get, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->GetBuilding(Ctx("Bearer.garbage").get(), get, &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->GetBuilding(Ctx(worker_b).get(), get, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::UpdateBuildingRequest upd;
  upd.mutable_building()->set_building_id(b.building_id());
  upd.mutable_building()->set_name("改名");
  upd.mutable_update_mask()->add_paths("name");
  upd.set_expected_version(b.version());
  EXPECT_EQ(stub_->UpdateBuilding(Ctx(worker_b).get(), upd, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->UpdateBuilding(Ctx(worker_a).get(), upd, &out).ok());
  grpc::Status stale = stub_->UpdateBuilding(Ctx(worker_a).get(), upd, &out);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);

  upd.mutable_update_mask()->set_paths(0, "building_class");
  upd.set_expected_version(out.version());
  grpc::Status owned = stub_->UpdateBuilding(Ctx(admin_).get(), upd, &out);
  EXPECT_EQ(owned.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(owned.error_message(), HasSubstr("building_class"));

  v1::CreateBuildingRequest bad = NewBuilding("500109001001", -3);
  grpc::Status invalid = stub_->CreateBuilding(Ctx(admin_).get(), bad, &out);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(invalid.error_message(), HasSubstr("building.height_m"));

  get.set_building_id("bld_01UNKNOWN");
  EXPECT_EQ(stub_->GetBuilding(Ctx(admin_).get(), get, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(BuildingsE2E, BrokerDownKeepsTheServiceServingWhileTheOutboxHoldsItsEvents) {
  ASSERT_TRUE(broker_.Down().ok());
  // Writes still succeed: the event waits in the Redis outbox.
  v1::Building b = MustCreate(admin_, NewBuilding("500109001002", 30));
  ASSERT_FALSE(b.building_id().empty());
  // The broker's own health name follows it; readiness ("") does not: calls are answered.
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        auto h = testing::CheckHealth(service_->grpc_address(), "firegrid.kafka");
        return h.ok() && *h == 2;
      },
      absl::Seconds(30)));
  auto overall = testing::CheckHealth(service_->grpc_address(), "");
  ASSERT_TRUE(overall.ok()) << overall.status();
  EXPECT_EQ(*overall, 1) << "a Kafka outage must not make the service NOT_SERVING";
  auto body = testing::HttpGet(service_->metrics_port(), "/metrics");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_THAT(*body, HasSubstr("firegrid_dependency_up{dependency=\"kafka\"} 0"));
  EXPECT_THAT(*body, Not(HasSubstr("firegrid_outbox_oldest_age_seconds 0\n")));
  ASSERT_TRUE(broker_.Up().ok());
  auto evs = EventsFor(b.building_id(), 1);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type(), "firegrid.buildings.v1.BuildingRegistered");
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        auto h = testing::CheckHealth(service_->grpc_address(), "firegrid.kafka");
        return h.ok() && *h == 1;
      },
      absl::Seconds(30)));
}

TEST_F(BuildingsE2E, MetricsCountRequestsAndShowTheOutboxBacklog) {
  v1::GetOrgUnitRequest req;
  req.set_code("500109");
  v1::OrgUnit out;
  ASSERT_TRUE(stub_->GetOrgUnit(Ctx(admin_).get(), req, &out).ok());
  auto body = testing::HttpGet(service_->metrics_port(), "/metrics");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_THAT(*body, HasSubstr("firegrid_grpc_requests_total"));
  EXPECT_THAT(*body, HasSubstr("GetOrgUnit"));
  EXPECT_THAT(*body, HasSubstr("firegrid_outbox_backlog"));
}

}  // namespace
}  // namespace firegrid
