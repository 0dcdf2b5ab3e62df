// Events from a newer schema (docs/api-compatibility.md): during a rolling upgrade a consumer
// reads what a later release publishes. Each event here is today's message re-encoded through
// its newer version (tests/compat/next/newer_events.proto: new fields, enum values today's
// release does not know), sent under today's type name inside an envelope that has new fields
// too, parsed as the consumers parse Kafka messages (events::ParseEnvelope), and given to what
// each consuming service does with it: credit's facts, notify's plans, hazards' and monitoring's
// building projections and hazards' campaign hazards.
#include <functional>
#include <string>

#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/credit/v1/events.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "firegrid/monitoring/v1/events.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "libs/auth/principal.h"
#include "libs/events/envelope.h"
#include "next/newer_events.pb.h"
#include "services/credit/ingest.h"
#include "services/hazards/lifecycle.h"
#include "services/hazards/projection.h"
#include "services/monitoring/projection.h"
#include "services/notify/recipients.h"
#include "tests/compat/newer_events.h"

namespace firegrid {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace cv1 = ::firegrid::credit::v1;
namespace hv1 = ::firegrid::hazards::v1;
namespace mv1 = ::firegrid::monitoring::v1;
namespace sv1 = ::firegrid::subjects::v1;
namespace next = ::firegrid::compat::next;
using compat_testing::AddNewFields;
using compat_testing::Current;
using compat_testing::kTier;
using compat_testing::ManagementUnit;
using compat_testing::Newer;
using compat_testing::TodaysBuilding;
using compat_testing::TodaysHazard;
using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// ---- the premise: what the newer schema adds is unknown to today's

// Every field of `next` numbered 1001 or more is unknown to `today`; every other one is the
// same field (number and name); every enum value numbered 901 or more is one `today` lacks.
void ExpectNewerVersionOf(const google::protobuf::Descriptor* next,
                          const google::protobuf::Descriptor* today) {
  SCOPED_TRACE(next->full_name());
  for (int i = 0; i < next->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = next->field(i);
    const google::protobuf::FieldDescriptor* known = today->FindFieldByNumber(f->number());
    if (f->number() >= 1001) {
      EXPECT_EQ(known, nullptr) << f->name();
      continue;
    }
    ASSERT_NE(known, nullptr) << f->name();
    EXPECT_EQ(known->name(), f->name());
    EXPECT_EQ(known->type(), f->type()) << f->name();
    if (f->type() == google::protobuf::FieldDescriptor::TYPE_ENUM) {
      for (int v = 0; v < f->enum_type()->value_count(); ++v) {
        const int number = f->enum_type()->value(v)->number();
        if (number >= 901) {
          EXPECT_EQ(known->enum_type()->FindValueByNumber(number), nullptr) << number;
        }
      }
    }
    if (f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE &&
        f->message_type()->file() == next->file()) {
      ExpectNewerVersionOf(f->message_type(), known->message_type());
    }
  }
}

TEST(NewerSchemaTest, TheNewerMessagesOnlyAddToTodays) {
  ExpectNewerVersionOf(next::Envelope::descriptor(), events::Envelope::descriptor());
  ExpectNewerVersionOf(next::HazardReported::descriptor(), hv1::HazardReported::descriptor());
  ExpectNewerVersionOf(next::HazardRouted::descriptor(), hv1::HazardRouted::descriptor());
  ExpectNewerVersionOf(next::HazardStatusChanged::descriptor(),
                       hv1::HazardStatusChanged::descriptor());
  ExpectNewerVersionOf(next::HazardClosed::descriptor(), hv1::HazardClosed::descriptor());
  ExpectNewerVersionOf(next::BuildingRegistered::descriptor(),
                       bv1::BuildingRegistered::descriptor());
  ExpectNewerVersionOf(next::BuildingUpdated::descriptor(), bv1::BuildingUpdated::descriptor());
  ExpectNewerVersionOf(next::FacilityStatusChanged::descriptor(),
                       bv1::FacilityStatusChanged::descriptor());
  ExpectNewerVersionOf(next::FireAccessNonCompliant::descriptor(),
                       bv1::FireAccessNonCompliant::descriptor());
  ExpectNewerVersionOf(next::AlarmRaised::descriptor(), mv1::AlarmRaised::descriptor());
  ExpectNewerVersionOf(next::LevelChanged::descriptor(), cv1::LevelChanged::descriptor());
}

TEST(NewerSchemaTest, AnEnvelopeWithNewFieldsParsesWithItsEventIntact) {
  hv1::HazardReported today;
  today.mutable_hazard()->set_hazard_id("hzd_1");
  events::Envelope env =
      Newer<next::HazardReported>(today, [](next::HazardReported& e) { e.set_channel("wechat"); });
  EXPECT_EQ(env.event_id(), "evt_1");
  EXPECT_EQ(env.type(), "firegrid.hazards.v1.HazardReported");
  absl::StatusOr<hv1::HazardReported> payload = events::Unpack<hv1::HazardReported>(env);
  ASSERT_TRUE(payload.ok()) << payload.status();
  EXPECT_EQ(payload->hazard().hazard_id(), "hzd_1");
}

// ---- events of today's hazards, as the consumers of firegrid.hazards.events.v1 see them

void ExpectSameFact(const std::optional<cv1::Fact>& newer, const std::optional<cv1::Fact>& today) {
  ASSERT_TRUE(today.has_value());
  ASSERT_TRUE(newer.has_value());
  EXPECT_TRUE(MessageDifferencer::Equals(*newer, *today))
      << "newer: " << newer->ShortDebugString() << "\ntoday: " << today->ShortDebugString();
}

TEST(CreditReadsNewerEvents, TakesTheSameFactsFromHazardEventsWithNewFields) {
  hv1::HazardStatusChanged verified;
  *verified.mutable_hazard() = TodaysHazard();
  verified.set_from(hv1::STATUS_REPORTED);
  verified.set_to(hv1::STATUS_VERIFIED);
  verified.set_actor("officer-1");
  ExpectSameFact(
      credit::FactFromEnvelope(Newer<next::HazardStatusChanged>(verified,
                                                                [](next::HazardStatusChanged& e) {
                                                                  e.set_reason_code("R-7");
                                                                  AddNewFields(*e.mutable_hazard());
                                                                })),
      credit::FactFromEnvelope(Current(verified)));

  hv1::HazardClosed closed;
  *closed.mutable_hazard() = TodaysHazard();
  closed.set_on_time(true);
  ExpectSameFact(
      credit::FactFromEnvelope(Newer<next::HazardClosed>(closed,
                                                         [](next::HazardClosed& e) {
                                                           e.set_days_open(12);
                                                           AddNewFields(*e.mutable_hazard());
                                                         })),
      credit::FactFromEnvelope(Current(closed)));
}

TEST(CreditReadsNewerEvents, IgnoresAStatusItDoesNotKnow) {
  hv1::HazardStatusChanged changed;
  *changed.mutable_hazard() = TodaysHazard();
  changed.set_to(hv1::STATUS_CLOSED);
  EXPECT_FALSE(
      credit::FactFromEnvelope(
          Newer<next::HazardStatusChanged>(
              changed, [](next::HazardStatusChanged& e) { e.set_to(next::STATUS_ARCHIVED); }))
          .has_value());
}

TEST(CreditReadsNewerEvents, KeepsACategoryAndSeverityItDoesNotKnowInTheFact) {
  hv1::HazardClosed closed;
  *closed.mutable_hazard() = TodaysHazard();
  std::optional<cv1::Fact> fact =
      credit::FactFromEnvelope(Newer<next::HazardClosed>(closed, [](next::HazardClosed& e) {
        e.mutable_hazard()->set_category(next::HAZARD_CATEGORY_BATTERY_STORAGE);
        e.mutable_hazard()->set_severity(next::SEVERITY_CRITICAL);
      }));
  ASSERT_TRUE(fact.has_value());
  EXPECT_EQ(static_cast<int>(fact->hazard().category()), 901);
  EXPECT_EQ(static_cast<int>(fact->hazard().severity()), 901);
  EXPECT_EQ(fact->hazard().hazard_id(), "hzd_1");
}

TEST(NotifyReadsNewerEvents, PlansTheSameNotificationsForHazardEventsWithNewFields) {
  hv1::HazardRouted routed;
  *routed.mutable_hazard() = TodaysHazard();
  const std::vector<notify::Planned> today = notify::PlanNotifications(Current(routed));
  const std::vector<notify::Planned> newer =
      notify::PlanNotifications(Newer<next::HazardRouted>(routed, [](next::HazardRouted& e) {
        e.set_routing_model("2027");
        AddNewFields(*e.mutable_hazard());
      }));
  ASSERT_THAT(today, SizeIs(::testing::Gt(0)));
  ASSERT_EQ(newer.size(), today.size());
  for (size_t i = 0; i < today.size(); ++i) {
    EXPECT_EQ(newer[i].recipients, today[i].recipients);
    EXPECT_EQ(newer[i].once_key, today[i].once_key);
    EXPECT_TRUE(MessageDifferencer::Equals(newer[i].notification, today[i].notification))
        << newer[i].notification.ShortDebugString();
  }
}

TEST(NotifyReadsNewerEvents, NamesACategoryItDoesNotKnowByItsNumber) {
  hv1::HazardRouted routed;
  *routed.mutable_hazard() = TodaysHazard();
  const std::vector<notify::Planned> plans =
      notify::PlanNotifications(Newer<next::HazardRouted>(routed, [](next::HazardRouted& e) {
        e.mutable_hazard()->set_category(next::HAZARD_CATEGORY_BATTERY_STORAGE);
        e.mutable_hazard()->set_severity(next::SEVERITY_CRITICAL);
      }));
  ASSERT_THAT(plans, SizeIs(::testing::Gt(0)));
  for (const notify::Planned& p : plans) {
    EXPECT_THAT(p.notification.title(), HasSubstr("901")) << p.notification.title();
    EXPECT_THAT(p.recipients, SizeIs(::testing::Gt(0)));
  }
}

TEST(NotifyReadsNewerEvents, IgnoresAFacilityStatusItDoesNotKnow) {
  bv1::FacilityStatusChanged changed;
  changed.set_building_id("bld_1");
  changed.mutable_facility()->set_kind(bv1::FACILITY_KIND_INDOOR_HYDRANT);
  changed.mutable_facility()->set_status(bv1::FACILITY_STATUS_FAULT);
  ASSERT_THAT(notify::PlanNotifications(Current(changed)), SizeIs(1));  // today's fault: told
  EXPECT_THAT(notify::PlanNotifications(Newer<next::FacilityStatusChanged>(
                  changed,
                  [](next::FacilityStatusChanged& e) {
                    e.mutable_facility()->set_status(next::FACILITY_STATUS_UNDER_TEST);
                    e.mutable_facility()->set_inspection_id("insp-1");
                  })),
              IsEmpty());
}

TEST(NotifyReadsNewerEvents, DispatchesAnAlarmOfATypeItDoesNotKnowAsAnAlarm) {
  mv1::AlarmRaised raised;
  raised.mutable_alarm()->set_alarm_id("alm_1");
  raised.mutable_alarm()->set_building_id("bld_1");
  raised.mutable_alarm()->set_building_name("楼 1");
  raised.mutable_alarm()->set_tier_path(kTier);
  raised.mutable_alarm()->set_type(mv1::ALARM_TYPE_FIRE);
  raised.mutable_dispatch()->add_recipients("org:" + std::string(kTier));
  raised.mutable_dispatch()->add_recipients("person:mgr-1");
  const std::vector<notify::Planned> plans =
      notify::PlanNotifications(Newer<next::AlarmRaised>(raised, [](next::AlarmRaised& e) {
        e.mutable_alarm()->set_type(next::ALARM_TYPE_BATTERY_THERMAL_RUNAWAY);
        e.mutable_alarm()->set_peak_reading(412.0);
        e.set_gateway_firmware("4.2");
      }));
  ASSERT_THAT(plans, SizeIs(1));
  EXPECT_THAT(plans[0].notification.title(), HasSubstr("告警：楼 1"));
  EXPECT_EQ(plans[0].notification.priority(), notify::v1::PRIORITY_URGENT);
  EXPECT_THAT(plans[0].recipients, SizeIs(2));
}

TEST(NotifyReadsNewerEvents, TellsOfACreditLevelItDoesNotKnowAsUnrated) {
  cv1::LevelChanged changed;
  changed.mutable_subject()->set_subject_id("sub_1");
  changed.mutable_subject()->set_name("重庆安信物业管理有限公司");
  changed.mutable_subject()->add_notify_subjects("mgr-1");
  changed.mutable_subject()->add_tier_paths(kTier);
  changed.mutable_record()->set_record_id("rec_1");
  changed.set_from(cv1::LEVEL_B);
  changed.set_to(cv1::LEVEL_A);
  const std::vector<notify::Planned> plans =
      notify::PlanNotifications(Newer<next::LevelChanged>(changed, [](next::LevelChanged& e) {
        e.set_to(next::LEVEL_A_PLUS);
        e.set_appeal_url("https://credit.example/appeal");
      }));
  ASSERT_THAT(plans, SizeIs(1));
  EXPECT_THAT(plans[0].notification.title(), HasSubstr("→ 未定级"));
}

// ---- events of today's buildings, as hazards, monitoring, credit and notify see them

TEST(HazardsReadNewerEvents, ProjectTheSameBuildingFromAnEventWithNewFields) {
  bv1::BuildingRegistered registered;
  *registered.mutable_building() = TodaysBuilding();
  absl::StatusOr<bv1::BuildingRegistered> newer = events::Unpack<bv1::BuildingRegistered>(
      Newer<next::BuildingRegistered>(registered, [](next::BuildingRegistered& e) {
        e.set_source_system("bim");
        e.mutable_building()->set_bim_model_url("https://bim.example/1");
        e.mutable_building()->add_sensors()->set_sensor_id("s-1");
      }));
  ASSERT_TRUE(newer.ok()) << newer.status();
  const hazards::BuildingView a = hazards::ViewOf(newer->building());
  const hazards::BuildingView b = hazards::ViewOf(registered.building());
  EXPECT_EQ(a.building_id, b.building_id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.tier_path, b.tier_path);
  EXPECT_EQ(a.use, b.use);
  EXPECT_EQ(a.subjects, b.subjects);
  EXPECT_EQ(a.version, b.version);
  ASSERT_TRUE(a.liable_party.has_value());
  EXPECT_EQ(a.liable_party->credit_code(), "91500109MA5UAX004F");
}

TEST(HazardsReadNewerEvents, KeepAUseItDoesNotKnowAndPassOverAPartyRoleItDoesNotKnow) {
  bv1::BuildingUpdated updated;
  *updated.mutable_building() = TodaysBuilding();
  updated.mutable_building()->clear_parties();
  sv1::Party tenants = ManagementUnit();  // a tenants' association in the newer release
  tenants.set_name("业主委员会");
  tenants.set_credit_code("53500109MJP123456X");
  *updated.mutable_building()->add_parties() = tenants;
  *updated.mutable_building()->add_parties() = ManagementUnit();
  absl::StatusOr<bv1::BuildingUpdated> newer = events::Unpack<bv1::BuildingUpdated>(
      Newer<next::BuildingUpdated>(updated, [](next::BuildingUpdated& e) {
        e.mutable_building()->set_use(next::BUILDING_USE_DATA_CENTRE);
        e.mutable_building()->mutable_parties(0)->set_role(next::PARTY_ROLE_TENANT_ASSOCIATION);
        e.mutable_building()->mutable_parties(0)->set_registry_url("https://registry.example/t");
      }));
  ASSERT_TRUE(newer.ok()) << newer.status();
  const hazards::BuildingView view = hazards::ViewOf(newer->building());
  EXPECT_EQ(view.use, 901);  // routed by category alone: no sector department has it
  ASSERT_TRUE(view.liable_party.has_value());
  EXPECT_EQ(view.liable_party->credit_code(), "91500109MA5UAX004F");
}

TEST(HazardsReadNewerEvents, RecordALiablePartyOfARoleItDoesNotKnowByTheRolesNumber) {
  // A party of a newer role reaches a hazard through the projection (or a lead department
  // naming it); the audit trail names its role by number.
  sv1::Party today = ManagementUnit();
  next::Party newer;
  ASSERT_TRUE(newer.ParseFromString(today.SerializeAsString()));
  newer.set_role(next::PARTY_ROLE_TENANT_ASSOCIATION);
  sv1::Party party;
  ASSERT_TRUE(party.ParseFromString(newer.SerializeAsString()));
  hv1::Hazard h = TodaysHazard();
  h.clear_liable_party();
  auth::Principal officer;
  officer.role = auth::Role::kDepartmentOfficer;
  officer.subject = "officer-1";
  hazards::NameLiableParty(&h, officer, party, absl::FromUnixSeconds(1'796'000'000));
  ASSERT_GT(h.audit_size(), 0);
  EXPECT_THAT(h.audit(h.audit_size() - 1).note(), HasSubstr("(901, "));
  EXPECT_EQ(static_cast<int>(h.liable_party().role()), 901);
}

TEST(HazardsReadNewerEvents, RaiseAFireLaneHazardForAViolationKindTheyDoNotKnow) {
  bv1::FireAccessNonCompliant e;
  e.set_building_id("bld_1");
  e.set_building_name("楼 1");
  bv1::Violation* v = e.mutable_assessment()->add_violations();
  v->set_kind(bv1::VIOLATION_KIND_OCCUPIED);
  v->set_message("lane 1 occupied");
  absl::StatusOr<bv1::FireAccessNonCompliant> newer = events::Unpack<bv1::FireAccessNonCompliant>(
      Newer<next::FireAccessNonCompliant>(e, [](next::FireAccessNonCompliant& n) {
        n.set_use(next::BUILDING_USE_DATA_CENTRE);
        n.mutable_assessment()->set_assessor("drone");
        next::Violation* added = n.mutable_assessment()->add_violations();
        added->set_kind(next::VIOLATION_KIND_CHARGING_POINT);
        added->set_evidence_url("https://evidence.example/1");
      }));
  ASSERT_TRUE(newer.ok()) << newer.status();
  const std::vector<hv1::ReportHazardRequest> reports = hazards::CampaignReports(*newer, "evt_1");
  ASSERT_THAT(reports, SizeIs(2));
  EXPECT_EQ(reports[0].category(), hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  EXPECT_EQ(reports[1].category(), hv1::HAZARD_CATEGORY_FIRE_LANE_GEOMETRY);
}

TEST(MonitoringReadsNewerEvents, ProjectsTheSameBuildingFromAnEventWithNewFields) {
  bv1::BuildingRegistered registered;
  *registered.mutable_building() = TodaysBuilding();
  absl::StatusOr<bv1::BuildingRegistered> newer = events::Unpack<bv1::BuildingRegistered>(
      Newer<next::BuildingRegistered>(registered, [](next::BuildingRegistered& e) {
        e.mutable_building()->set_use(next::BUILDING_USE_DATA_CENTRE);
        e.mutable_building()->set_bim_model_url("https://bim.example/1");
      }));
  ASSERT_TRUE(newer.ok()) << newer.status();
  mv1::BuildingView today = monitoring::ViewOf(registered.building());
  mv1::BuildingView view = monitoring::ViewOf(newer->building());
  EXPECT_EQ(view.building_id(), today.building_id());
  EXPECT_EQ(view.tier_path(), today.tier_path());
  EXPECT_EQ(view.name(), today.name());
}

TEST(CreditReadsNewerEvents, TakesABuildingWithAPartyOfARoleItDoesNotKnow) {
  bv1::BuildingRegistered registered;
  *registered.mutable_building() = TodaysBuilding();
  std::optional<cv1::Fact> fact = credit::FactFromEnvelope(
      Newer<next::BuildingRegistered>(registered, [](next::BuildingRegistered& e) {
        e.mutable_building()->mutable_parties(0)->set_role(next::PARTY_ROLE_TENANT_ASSOCIATION);
      }));
  ASSERT_TRUE(fact.has_value());
  ASSERT_EQ(fact->building().parties_size(), 1);
  EXPECT_EQ(static_cast<int>(fact->building().parties(0).role()), 901);
}

// ---- event types today's consumers do not know: ignored (acknowledged), not dead-lettered

TEST(ConsumersIgnoreNewEventTypes, CreditAndNotifyPassOverAnEventTypeTheyDoNotKnow) {
  next::Sensor payload;  // any message: what matters is the type name today's release lacks
  payload.set_sensor_id("s-1");
  for (const char* type :
       {"firegrid.hazards.v1.HazardArchived", "firegrid.buildings.v1.BuildingDemolished",
        "firegrid.credit.v1.ScoreFrozen", "firegrid.monitoring.v1.SensorCalibrated"}) {
    SCOPED_TRACE(type);
    events::Envelope env = Current(payload);
    env.set_type(type);
    env.mutable_payload()->set_type_url(std::string("type.googleapis.com/") + type);
    absl::StatusOr<events::Envelope> parsed = events::ParseEnvelope(events::SerializeEnvelope(env));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_FALSE(credit::FactFromEnvelope(*parsed).has_value());
    EXPECT_THAT(notify::PlanNotifications(*parsed), IsEmpty());
  }
}

}  // namespace
}  // namespace firegrid
