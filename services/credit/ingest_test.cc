#include "services/credit/ingest.h"

#include <vector>

#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "services/credit/engine.h"

namespace firegrid::credit {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;
using ::testing::ElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1'780'000'000);

class IngestTest : public ::testing::Test {
 protected:
  events::Envelope Wrap(const google::protobuf::Message& payload, absl::string_view producer) {
    return events::NewEnvelope(payload, producer, "bld_1", "500109001001", kNow, ids_);
  }

  static hv1::Hazard SampleHazard() {
    hv1::Hazard h;
    h.set_hazard_id("hzd_1");
    h.set_building_id("bld_1");
    h.set_building_name("一号楼");
    h.set_tier_path("500109001001");
    h.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
    h.set_severity(hv1::SEVERITY_MAJOR);
    h.mutable_routing()->set_district("500109");
    h.mutable_routing()->add_lead_departments("urban_management");
    h.mutable_routing()->add_lead_departments("fire_rescue");
    h.mutable_assignment()->set_supervising_department("fire_rescue");
    h.add_building_subjects("mgr-1");
    h.mutable_liable_party()->set_role(subjects::v1::PARTY_ROLE_MANAGEMENT_UNIT);
    h.mutable_liable_party()->set_name("物业公司");
    h.mutable_liable_party()->set_credit_code("91350100M000100Y43");
    return h;
  }

  SequentialIdGenerator ids_;
};

TEST_F(IngestTest, VerifiedStatusChangeBecomesAVerifiedHazardFact) {
  hv1::HazardStatusChanged p;
  *p.mutable_hazard() = SampleHazard();
  p.set_from(hv1::STATUS_REPORTED);
  p.set_to(hv1::STATUS_VERIFIED);
  p.set_actor("officer-1");
  const events::Envelope e = Wrap(p, "hazards");
  std::optional<v1::Fact> f = FactFromEnvelope(e);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->fact_id(), e.event_id());
  EXPECT_EQ(f->time().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(f->actor(), "officer-1");
  const v1::HazardFact& h = f->hazard();
  EXPECT_EQ(h.kind(), v1::HazardFact::KIND_VERIFIED);
  EXPECT_EQ(h.hazard_id(), "hzd_1");
  EXPECT_EQ(h.building_id(), "bld_1");
  EXPECT_EQ(h.building_name(), "一号楼");
  EXPECT_EQ(h.tier_path(), "500109001001");
  EXPECT_EQ(h.category(), hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  EXPECT_EQ(h.severity(), hv1::SEVERITY_MAJOR);
  EXPECT_EQ(h.liable_party().credit_code(), "91350100M000100Y43");
  EXPECT_EQ(h.supervising_department(), "fire_rescue");
  EXPECT_EQ(h.district(), "500109");
  EXPECT_THAT(h.building_subjects(), ElementsAre("mgr-1"));
}

TEST_F(IngestTest, AssignedAndRejectedBecomeFactsOtherStatusChangesDoNot) {
  hv1::HazardStatusChanged p;
  *p.mutable_hazard() = SampleHazard();
  p.set_to(hv1::STATUS_ASSIGNED);
  EXPECT_EQ(FactFromEnvelope(Wrap(p, "hazards"))->hazard().kind(), v1::HazardFact::KIND_ASSIGNED);
  p.set_to(hv1::STATUS_REJECTED);
  EXPECT_EQ(FactFromEnvelope(Wrap(p, "hazards"))->hazard().kind(), v1::HazardFact::KIND_REJECTED);
  p.set_to(hv1::STATUS_RECTIFYING);
  EXPECT_FALSE(FactFromEnvelope(Wrap(p, "hazards")).has_value());
}

TEST_F(IngestTest, ActorDefaultsToTheProducer) {
  hv1::HazardOverdue p;
  *p.mutable_hazard() = SampleHazard();
  std::optional<v1::Fact> f = FactFromEnvelope(Wrap(p, "hazards"));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->hazard().kind(), v1::HazardFact::KIND_OVERDUE);
  EXPECT_EQ(f->actor(), "hazards");
}

TEST_F(IngestTest, ClosedCarriesOnTime) {
  hv1::HazardClosed p;
  *p.mutable_hazard() = SampleHazard();
  p.set_on_time(true);
  std::optional<v1::Fact> f = FactFromEnvelope(Wrap(p, "hazards"));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->hazard().kind(), v1::HazardFact::KIND_CLOSED);
  EXPECT_TRUE(f->hazard().on_time());
}

TEST_F(IngestTest, SupervisingDepartmentFallsBackToTheFirstLeadDepartment) {
  hv1::HazardStatusChanged p;
  *p.mutable_hazard() = SampleHazard();
  p.mutable_hazard()->clear_assignment();
  p.set_to(hv1::STATUS_VERIFIED);
  EXPECT_EQ(FactFromEnvelope(Wrap(p, "hazards"))->hazard().supervising_department(),
            "urban_management");
}

TEST_F(IngestTest, DuplicateHazardsAreSkipped) {
  hv1::HazardStatusChanged p;
  *p.mutable_hazard() = SampleHazard();
  p.mutable_hazard()->set_duplicate_of("hzd_0");
  p.set_to(hv1::STATUS_VERIFIED);
  EXPECT_FALSE(FactFromEnvelope(Wrap(p, "hazards")).has_value());
}

TEST_F(IngestTest, HazardEventsCreditDoesNotReadAreSkipped) {
  hv1::HazardReported p;
  *p.mutable_hazard() = SampleHazard();
  EXPECT_FALSE(FactFromEnvelope(Wrap(p, "hazards")).has_value());
}

bv1::Building SampleBuilding() {
  bv1::Building b;
  b.set_building_id("bld_1");
  b.set_name("一号楼");
  b.set_tier_path("500109001001");
  subjects::v1::Party* p = b.add_parties();
  p->set_role(subjects::v1::PARTY_ROLE_OWNER);
  p->set_name("业主单位");
  p->set_credit_code("91350100M000100Y43");
  auto* chain = b.mutable_responsibility()->mutable_chain();
  chain->mutable_responsible_person()->set_subject("boss");
  chain->mutable_manager()->set_subject("mgr");
  chain->mutable_building_head()->set_subject("head");
  return b;
}

TEST_F(IngestTest, BuildingRegisteredBecomesPartiesAndManagers) {
  bv1::BuildingRegistered p;
  *p.mutable_building() = SampleBuilding();
  std::optional<v1::Fact> f = FactFromEnvelope(Wrap(p, "buildings"));
  ASSERT_TRUE(f.has_value());
  const v1::BuildingFact& b = f->building();
  EXPECT_EQ(b.building_id(), "bld_1");
  EXPECT_EQ(b.building_name(), "一号楼");
  EXPECT_EQ(b.tier_path(), "500109001001");
  ASSERT_EQ(b.parties_size(), 1);
  EXPECT_EQ(b.parties(0).credit_code(), "91350100M000100Y43");
  EXPECT_THAT(b.manager_subjects(), ElementsAre("boss", "mgr", "head"));
  EXPECT_FALSE(b.managers_only());
}

TEST_F(IngestTest, BuildingUpdateOfFieldsCreditDoesNotReadIsSkipped) {
  bv1::BuildingUpdated p;
  *p.mutable_building() = SampleBuilding();
  p.add_changed_fields("height_m");
  EXPECT_FALSE(FactFromEnvelope(Wrap(p, "buildings")).has_value());
  p.add_changed_fields("parties");
  EXPECT_TRUE(FactFromEnvelope(Wrap(p, "buildings")).has_value());
}

TEST_F(IngestTest, ResponsibilityFilingChangesOnlyTheManagers) {
  bv1::ResponsibilityFiled p;
  p.set_building_id("bld_1");
  p.mutable_chain()->mutable_manager()->set_subject("mgr-2");
  std::optional<v1::Fact> f = FactFromEnvelope(Wrap(p, "buildings"));
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(f->building().managers_only());
  EXPECT_THAT(f->building().manager_subjects(), ElementsAre("mgr-2"));
  EXPECT_EQ(f->building().parties_size(), 0);
}

// The path of an event through credit: hazards' events → facts → the engine.
TEST_F(IngestTest, OverdueHazardEventsLowerTheLiableSubjectAndReachItsBuildingManager) {
  absl::StatusOr<Rules> rules = Rules::LoadFile(FIREGRID_CREDIT_RULES);
  ASSERT_TRUE(rules.ok()) << rules.status();
  SubjectIds ids("k");
  MemoryState state;
  hv1::HazardStatusChanged verified;
  *verified.mutable_hazard() = SampleHazard();
  verified.set_to(hv1::STATUS_VERIFIED);
  hv1::HazardOverdue overdue;
  *overdue.mutable_hazard() = SampleHazard();
  std::vector<Outcome> outcomes;
  // The overdue event comes twice (the second time as another event).
  const std::vector<events::Envelope> envelopes = {
      Wrap(verified, "hazards"), Wrap(overdue, "hazards"), Wrap(overdue, "hazards")};
  for (const events::Envelope& e : envelopes) {
    std::optional<v1::Fact> f = FactFromEnvelope(e);
    ASSERT_TRUE(f.has_value());
    outcomes.push_back(Apply(*rules, ids, *f, &state));
    ASSERT_TRUE(outcomes.back().status.ok()) << outcomes.back().status;
  }
  const std::string id = "org:91350100M000100Y43";
  const v1::SubjectState* s = state.FindSubject(id);
  ASSERT_NE(s, nullptr);
  const int expected = rules->proto().base_score() +
                       rules->Hazard("hazard.verified.major")->delta() +
                       rules->Hazard("hazard.overdue.major")->delta();
  EXPECT_EQ(s->score(), expected);
  EXPECT_EQ(s->level(), rules->LevelFor(expected));
  EXPECT_NE(s->level(), v1::LEVEL_A);
  EXPECT_THAT(s->notify_subjects(), ElementsAre("mgr-1"));
  const Outcome& o = outcomes[1];
  ASSERT_EQ(o.records.size(), 1u);
  EXPECT_EQ(o.records[0].cause().kind(), "hazard.overdue");
  EXPECT_EQ(o.records[0].cause().fact_id(), envelopes[1].event_id());
  bool level_changed = false;
  for (const Publication& p : o.publications) {
    if (p.payload->GetDescriptor() == v1::LevelChanged::descriptor()) {
      level_changed = true;
      const auto& lc = static_cast<const v1::LevelChanged&>(*p.payload);
      EXPECT_THAT(lc.subject().notify_subjects(), ElementsAre("mgr-1"));
      EXPECT_EQ(lc.subject().supervising_org_unit(), "500109.fire_rescue");
    }
  }
  EXPECT_TRUE(level_changed);
  EXPECT_THAT(o.exported_subjects, ElementsAre(id));
  EXPECT_TRUE(outcomes[2].records.empty());  // the overdue effect happened once
}

TEST_F(IngestTest, PayloadThatDoesNotDecodeIsNoFact) {
  hv1::HazardClosed p;
  *p.mutable_hazard() = SampleHazard();
  events::Envelope e = Wrap(p, "hazards");
  e.mutable_payload()->set_value("\xff\xff\xff");
  EXPECT_FALSE(FactFromEnvelope(e).has_value());
}

}  // namespace
}  // namespace firegrid::credit
