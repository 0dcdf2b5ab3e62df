#pragma once

// Events as a later release writes them, for the tests of consumers reading a newer schema
// (docs/api-compatibility.md): today's message re-encoded through its newer version in
// tests/compat/next/newer_events.proto.
#include <functional>
#include <string>

#include "firegrid/buildings/v1/buildings.pb.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "firegrid/subjects/v1/subjects.pb.h"
#include "gtest/gtest.h"
#include "libs/events/envelope.h"
#include "next/newer_events.pb.h"

namespace firegrid::compat_testing {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;
namespace sv1 = ::firegrid::subjects::v1;
namespace next = ::firegrid::compat::next;

inline constexpr char kTier[] = "500109001002";

// An envelope as today's producer writes it: payload `today` under its own type.
template <class Today>
inline events::Envelope Current(const Today& today, const std::string& event_id = "evt_1") {
  events::Envelope env;
  env.set_event_id(event_id);
  env.set_type(std::string(Today::descriptor()->full_name()));
  env.mutable_time()->set_seconds(1'796'000'000);
  env.set_producer("today");
  env.set_building_id("bld_1");
  env.set_tier_path(kTier);
  env.mutable_payload()->PackFrom(today);
  return env;
}

// The same event as a later release writes it: `today` re-encoded through its newer version
// `Next` (unknown fields travel along), changed by `change`, inside an envelope with new fields
// of its own, as bytes on the topic, parsed the way every consumer parses a Kafka message.
template <class Next, class Today>
inline events::Envelope Newer(const Today& today, const std::function<void(Next&)>& change,
                              const std::string& event_id = "evt_1") {
  Next next;
  EXPECT_TRUE(next.ParseFromString(today.SerializeAsString()));
  change(next);
  events::Envelope env = Current(today, event_id);
  env.mutable_payload()->set_value(next.SerializeAsString());
  next::Envelope newer_envelope;
  EXPECT_TRUE(newer_envelope.ParseFromString(events::SerializeEnvelope(env)));
  newer_envelope.set_schema_release("2027.1");
  newer_envelope.add_annotations()->set_sensor_id("s-1");
  absl::StatusOr<events::Envelope> parsed =
      events::ParseEnvelope(newer_envelope.SerializeAsString());
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : events::Envelope();
}

inline sv1::Party ManagementUnit() {
  sv1::Party p;
  p.set_role(sv1::PARTY_ROLE_MANAGEMENT_UNIT);
  p.set_name("重庆安信物业管理有限公司");
  p.set_credit_code("91500109MA5UAX004F");
  return p;
}

inline hv1::Hazard TodaysHazard() {
  hv1::Hazard h;
  h.set_hazard_id("hzd_1");
  h.set_building_id("bld_1");
  h.set_building_name("楼 1");
  h.set_tier_path(kTier);
  h.set_category(hv1::HAZARD_CATEGORY_GAS_ELECTRICAL);
  h.set_severity(hv1::SEVERITY_GENERAL);
  h.set_description("electric bikes charging in the stairwell");
  h.mutable_routing()->set_district("500109");
  h.mutable_routing()->add_lead_departments("fire_rescue");
  h.mutable_routing()->set_street("500109001");
  h.mutable_routing()->set_community(kTier);
  h.mutable_assignment()->set_supervising_department("fire_rescue");
  h.mutable_assignment()->set_responsible_subject("mgr-1");
  *h.mutable_liable_party() = ManagementUnit();
  h.add_building_subjects("mgr-1");
  return h;
}

inline void AddNewFields(next::Hazard& h) {
  h.set_risk_model("rm-2027");
  next::Sensor* s = h.add_sensors();
  s->set_sensor_id("s-9");
  s->set_reading(71.5);
}

inline bv1::Building TodaysBuilding() {
  bv1::Building b;
  b.set_building_id("bld_1");
  b.set_name("楼 1");
  b.set_tier_path(kTier);
  b.set_use(bv1::BUILDING_USE_RESIDENTIAL);
  b.set_version(3);
  *b.add_parties() = ManagementUnit();
  b.mutable_responsibility()->mutable_chain()->mutable_manager()->set_subject("mgr-1");
  return b;
}

}  // namespace firegrid::compat_testing
