// Dead letters you can act on, end to end: the hazards binary with redis-server and the dev
// broker. A fire-access assessment of a building hazards does not know yet is dead-lettered;
// `firegridctl dlq list` shows it pending; once the building is registered, `firegridctl dlq
// replay` publishes the event again and hazards raises its campaign hazard, exactly once even
// when the same event arrives a second time (a replay repeated by hand); a second replay is
// refused. A record that is no event at all is dead-lettered too and dropped with a reason. Every
// replay and drop is in the service's audit log under the dead letter's id.
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "firegrid/audit/v1/audit.grpc.pb.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/events/v1/dead_letters.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/events/envelope.h"
#include "libs/events/producer.h"
#include "libs/events/topics.h"
#include "libs/redis/pool.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tools/firegridctl/cli.h"

namespace firegrid {
namespace {

namespace av1 = ::firegrid::audit::v1;
namespace bv1 = ::firegrid::buildings::v1;
namespace dv1 = ::firegrid::events::v1;
namespace hv1 = ::firegrid::hazards::v1;

using ::testing::HasSubstr;

constexpr char kCommunity[] = "500109001002";
constexpr char kBuilding[] = "bld_dlqe2e01";

constexpr absl::Duration kWait = absl::Seconds(30);

class DeadLettersE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    key_file_ = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    hazards_ =
        testing::PollingService(FIREGRID_HAZARDS_BIN, "hazards",
                                {"--rules-file=" + cfg + "/hazards_rules.textproto",
                                 "--guidance-file=" + cfg + "/hazards_guidance.textproto"},
                                redis_.address(), broker_.bootstrap(), key_file_, dir_.path());
    absl::Status st = hazards_->Start();
    ASSERT_TRUE(st.ok()) << st;
    auto channel =
        grpc::CreateChannel(hazards_->grpc_address(), grpc::InsecureChannelCredentials());
    dlq_ = dv1::DeadLetterService::NewStub(channel);
    hazards_stub_ = hv1::HazardService::NewStub(channel);
    audit_ = av1::AuditService::NewStub(channel);
    admin_ = tokens_.Make(auth::Role::kDistrictAdmin, "500109", "u-dlq-admin");
    auto producer = events::KafkaProducer::Create({.bootstrap_servers = broker_.bootstrap()});
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = *std::move(producer);
    redis::PoolOptions po;
    ASSERT_TRUE(redis::ParseAddress(redis_.address(), &po).ok());
    pool_ = redis::Pool::Create(po);
    ctl::RegisterAllCommands(&registry_);
  }

  void TearDown() override {
    if (hazards_ != nullptr && hazards_->running()) {
      auto code = hazards_->Stop();
      EXPECT_TRUE(code.ok() && *code == 0) << "hazards did not drain cleanly";
    }
  }

  void Publish(const std::string& key, const std::string& value) {
    auto sent = producer_->SendBatch({{std::string(events::kBuildingsTopic), key, value}},
                                     absl::Seconds(30));
    ASSERT_TRUE(sent[0].ok()) << sent[0];
  }

  events::Envelope Event(const google::protobuf::Message& payload) {
    return events::NewEnvelope(payload, "buildings", kBuilding, kCommunity, absl::Now(), ids_);
  }

  events::Envelope Registered(int64_t version) {
    bv1::BuildingRegistered e;
    bv1::Building* b = e.mutable_building();
    b->set_building_id(kBuilding);
    b->set_name("嘉陵大厦");
    b->set_tier_path(kCommunity);
    b->set_use(bv1::BUILDING_USE_RESIDENTIAL);
    b->set_version(version);
    return Event(e);
  }

  events::Envelope NonCompliant() {
    bv1::FireAccessNonCompliant e;
    e.set_building_id(kBuilding);
    e.set_building_name("嘉陵大厦");
    e.set_use(bv1::BUILDING_USE_RESIDENTIAL);
    bv1::Violation* v = e.mutable_assessment()->add_violations();
    v->set_kind(bv1::VIOLATION_KIND_OCCUPIED);
    v->set_message("fire lane blocked by parked cars");
    return Event(e);
  }

  // `firegridctl <args> --service hazards` against the hazards binary, as the district admin.
  int Ctl(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    args.push_back("--service");
    args.push_back("hazards");
    return ctl::RunCli(
        registry_, args,
        {{"FIREGRID_HAZARDS_ADDR", hazards_->grpc_address()}, {"FIREGRID_TOKEN", admin_}}, out_,
        err_);
  }

  std::vector<dv1::DeadLetterEntry> List() {
    dv1::ListDeadLettersRequest req;
    req.set_topic(std::string(events::kBuildingsTopic));
    req.set_page_size(500);
    dv1::ListDeadLettersResponse resp;
    grpc::Status s = dlq_->ListDeadLetters(testing::CallContext(admin_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.dead_letters().begin(), resp.dead_letters().end()};
  }

  // The dead letter of `event_id` ("" for the one that is no event), once listed.
  std::optional<dv1::DeadLetterEntry> WaitForDeadLetter(const std::string& event_id) {
    std::optional<dv1::DeadLetterEntry> found;
    testing::WaitUntil(
        [&] {
          for (const auto& e : List()) {
            if (e.event_id() == event_id) found = e;
          }
          return found.has_value();
        },
        kWait);
    return found;
  }

  std::vector<hv1::Hazard> HazardsOfBuilding() {
    hv1::ListHazardsRequest req;
    req.set_building_id(kBuilding);
    req.set_include_duplicates(true);
    req.set_page_size(500);
    hv1::ListHazardsResponse resp;
    grpc::Status s = hazards_stub_->ListHazards(testing::CallContext(admin_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.hazards().begin(), resp.hazards().end()};
  }

  // The building's projection version in hazards' Redis (-1 while hazards does not know it).
  int64_t ProjectionVersion() {
    auto r = pool_->Command({"HGET", absl::StrCat("fg:hazards:bld:", kBuilding), "version"});
    if (!r.ok() || r->IsNil()) return -1;
    return std::stoll(r->str);
  }

  std::vector<av1::AuditRecord> Audit(const std::string& object_id) {
    av1::ListAuditRecordsRequest req;
    req.set_object_id(object_id);
    av1::ListAuditRecordsResponse resp;
    grpc::Status s = audit_->ListAuditRecords(testing::CallContext(admin_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.records().begin(), resp.records().end()};
  }

  testing::TempDir dir_{"dead-letters-e2e"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::string key_file_;
  std::unique_ptr<testing::ServiceProcess> hazards_;
  std::unique_ptr<dv1::DeadLetterService::Stub> dlq_;
  std::unique_ptr<hv1::HazardService::Stub> hazards_stub_;
  std::unique_ptr<av1::AuditService::Stub> audit_;
  std::unique_ptr<events::KafkaProducer> producer_;
  std::unique_ptr<redis::Pool> pool_;
  testing::DevTokens tokens_;
  std::string admin_;
  RandomIdGenerator ids_;
  ctl::Registry registry_;
  std::ostringstream out_, err_;
};

TEST_F(DeadLettersE2E, AnEventForAnUnknownBuildingIsReplayedOnceKnownAndAppliedExactlyOnce) {
  // The assessment arrives before the building: hazards cannot raise the campaign hazard.
  const events::Envelope assessment = NonCompliant();
  const std::string record = events::SerializeEnvelope(assessment);
  Publish(kBuilding, record);
  std::optional<dv1::DeadLetterEntry> letter = WaitForDeadLetter(assessment.event_id());
  ASSERT_TRUE(letter.has_value()) << "the assessment was not dead-lettered";
  EXPECT_EQ(letter->state(), dv1::DEAD_LETTER_STATE_PENDING);
  EXPECT_EQ(letter->consumer_group(), "hazards");
  EXPECT_EQ(letter->key(), kBuilding);
  EXPECT_THAT(letter->reason(), HasSubstr("FAILED_PRECONDITION"));
  const std::string id = letter->dead_letter_id();

  // The CLI lists it pending and shows the event.
  ASSERT_EQ(Ctl({"dlq", "list", "--topic", "buildings", "--state", "pending", "--wide"}), 0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr(id));
  EXPECT_THAT(out_.str(), HasSubstr("FireAccessNonCompliant"));
  ASSERT_EQ(Ctl({"dlq", "show", id}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr(assessment.event_id()));
  EXPECT_THAT(out_.str(), HasSubstr("fire lane blocked by parked cars"));

  // The cause goes away: the building is registered.
  Publish(kBuilding, events::SerializeEnvelope(Registered(1)));
  ASSERT_TRUE(testing::WaitUntil([&] { return ProjectionVersion() == 1; }, kWait));
  EXPECT_TRUE(HazardsOfBuilding().empty());

  ASSERT_EQ(Ctl({"dlq", "replay", id}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("replayed " + id));
  ASSERT_TRUE(testing::WaitUntil([&] { return !HazardsOfBuilding().empty(); }, kWait))
      << "the replayed assessment raised no hazard";

  // The same event once more (a replay repeated by hand, or published twice), then a later event
  // of the same building (same key, same partition, so it is handled after it): hazards has
  // handled the repeat once the later one shows, and the repeat changed nothing.
  Publish(kBuilding, record);
  Publish(kBuilding, events::SerializeEnvelope(Registered(2)));
  ASSERT_TRUE(testing::WaitUntil([&] { return ProjectionVersion() == 2; }, kWait));
  std::vector<hv1::Hazard> hazards = HazardsOfBuilding();
  ASSERT_EQ(hazards.size(), 1u) << "the assessment was applied more than once";
  EXPECT_EQ(hazards[0].category(), hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  EXPECT_EQ(List().size(), 1u) << "the repeat was dead-lettered";

  // A second replay through the service is refused, and the dead letter shows who replayed it.
  EXPECT_EQ(Ctl({"dlq", "replay", id}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(err_.str(), HasSubstr("replayed by u-dlq-admin"));
  ASSERT_EQ(Ctl({"dlq", "list", "--topic", "buildings", "--state", "replayed"}), 0);
  EXPECT_THAT(out_.str(), HasSubstr(id));

  // Both replays are audited under the dead letter's id, with their outcomes.
  std::vector<av1::AuditRecord> audit = Audit(id);
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_THAT(audit[0].method(), HasSubstr("ReplayDeadLetter"));
  EXPECT_EQ(audit[0].result_code(), "OK");
  EXPECT_EQ(audit[0].principal(), "u-dlq-admin");
  EXPECT_EQ(audit[1].result_code(), "FAILED_PRECONDITION");
}

TEST_F(DeadLettersE2E, ARecordThatIsNoEventIsDeadLetteredAndDroppedWithAReason) {
  Publish(kBuilding, "this is not a protobuf envelope \xff\xff");
  std::optional<dv1::DeadLetterEntry> letter = WaitForDeadLetter("");
  ASSERT_TRUE(letter.has_value()) << "the garbage record was not dead-lettered";
  const std::string id = letter->dead_letter_id();
  EXPECT_THAT(letter->reason(), HasSubstr("INVALID_ARGUMENT"));

  // Not replayable: it would only be dead-lettered again.
  EXPECT_EQ(Ctl({"dlq", "replay", id}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("drop it"));
  ASSERT_EQ(Ctl({"dlq", "show", id}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("not an envelope"));

  ASSERT_EQ(Ctl({"dlq", "drop", id, "--reason", "garbage from a misconfigured test client"}), 0)
      << err_.str();
  std::vector<dv1::DeadLetterEntry> listed = List();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state(), dv1::DEAD_LETTER_STATE_DROPPED);
  EXPECT_EQ(listed[0].drop_reason(), "garbage from a misconfigured test client");
  EXPECT_EQ(listed[0].acted_by(), "u-dlq-admin");

  // The consumer kept going: a good event after the garbage is applied.
  Publish(kBuilding, events::SerializeEnvelope(Registered(1)));
  EXPECT_TRUE(testing::WaitUntil([&] { return ProjectionVersion() == 1; }, kWait));

  std::vector<av1::AuditRecord> audit = Audit(id);
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_THAT(audit[0].method(), HasSubstr("ReplayDeadLetter"));
  EXPECT_EQ(audit[0].result_code(), "FAILED_PRECONDITION");
  EXPECT_THAT(audit[1].method(), HasSubstr("DropDeadLetter"));
  EXPECT_EQ(audit[1].result_code(), "OK");
}

TEST_F(DeadLettersE2E, OnlyDistrictAdminsMayReadDeadLetters) {
  dv1::ListDeadLettersRequest req;
  req.set_topic(std::string(events::kBuildingsTopic));
  dv1::ListDeadLettersResponse resp;
  const std::string officer = tokens_.Make(auth::Role::kStreetOfficer, "500109001", "u-street");
  grpc::Status s = dlq_->ListDeadLetters(testing::CallContext(officer).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  req.set_topic(std::string(events::kNotifyTopic));  // hazards does not consume it
  s = dlq_->ListDeadLetters(testing::CallContext(admin_).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("topic"));
}

}  // namespace
}  // namespace firegrid
