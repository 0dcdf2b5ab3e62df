// Events from a newer schema through each consuming service's handler, the function its
// consumer calls for every Kafka message, on its real store (a shared redis-server), as the
// message bytes through the consumer's decision logic (events::MessageProcessor): the event is
// applied (done, nothing dead-lettered) and what it stored is what today's event stores. The
// per-field rules: newer_schema_test.cc and docs/api-compatibility.md.
#include <atomic>
#include <memory>

#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/events/consumer.h"
#include "libs/events/producer.h"
#include "libs/events/topics.h"
#include "libs/server/metrics.h"
#include "services/credit/consumer.h"
#include "services/hazards/metrics.h"
#include "services/hazards/registry.h"
#include "services/monitoring/device_store.h"
#include "services/monitoring/projection.h"
#include "services/notify/inbox.h"
#include "services/notify/recipients.h"
#include "tests/compat/newer_events.h"
#include "tests/support/shared_redis.h"

namespace firegrid {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;
namespace next = ::firegrid::compat::next;
using compat_testing::AddNewFields;
using compat_testing::Current;
using compat_testing::ManagementUnit;
using compat_testing::Newer;
using compat_testing::TodaysBuilding;
using compat_testing::TodaysHazard;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class NewerSchemaHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    prefix_ = "compat" + std::to_string(++n);
    pool_ = testing::NewSharedRedisPool();
  }
  // Whatever came through, nothing was dead-lettered.
  void TearDown() override { EXPECT_THAT(dlq_.messages(), IsEmpty()); }

  // `env` as the bytes of a Kafka message on `topic`, through the consumer's decision logic
  // with `handler`: what the consumer does with it (kDone: commit the offset).
  events::Outcome Deliver(events::Handler handler, absl::string_view topic,
                          const events::Envelope& env) {
    events::MessageProcessor processor(std::move(handler), &dlq_, "compat-test");
    events::Decision d = processor.Process(
        {std::string(topic), 0, ++offset_, env.building_id(), events::SerializeEnvelope(env)});
    EXPECT_TRUE(d.status.ok()) << d.status;
    return d.outcome;
  }

  std::string prefix_;
  std::unique_ptr<redis::Pool> pool_;
  events::FakeProducer dlq_;
  int64_t offset_ = 0;
};

// A building whose first party has a role today's release does not know, with new fields.
events::Envelope NewerBuildingRegistered() {
  bv1::BuildingRegistered registered;
  *registered.mutable_building() = TodaysBuilding();
  subjects::v1::Party tenants = ManagementUnit();
  tenants.set_name("业主委员会");
  tenants.set_credit_code("53500109MJP123456X");
  registered.mutable_building()->clear_parties();
  *registered.mutable_building()->add_parties() = tenants;
  *registered.mutable_building()->add_parties() = ManagementUnit();
  return Newer<next::BuildingRegistered>(
      registered,
      [](next::BuildingRegistered& e) {
        e.set_source_system("bim");
        e.mutable_building()->set_use(next::BUILDING_USE_DATA_CENTRE);
        e.mutable_building()->set_bim_model_url("https://bim.example/1");
        e.mutable_building()->mutable_parties(0)->set_role(next::PARTY_ROLE_TENANT_ASSOCIATION);
      },
      "evt_building");
}

TEST_F(NewerSchemaHandlersTest, CreditAppliesNewerHazardAndBuildingEventsAndSkipsNewTypes) {
  credit::CreditStore store(pool_.get(), prefix_);
  credit::BuildingDirectory directory(pool_.get(), prefix_);
  hv1::HazardStatusChanged verified;
  *verified.mutable_hazard() = TodaysHazard();
  verified.set_to(hv1::STATUS_VERIFIED);
  const events::Envelope hazard_event = Newer<next::HazardStatusChanged>(
      verified,
      [](next::HazardStatusChanged& e) {
        e.set_reason_code("R-7");
        e.mutable_hazard()->set_category(next::HAZARD_CATEGORY_BATTERY_STORAGE);
        AddNewFields(*e.mutable_hazard());
      },
      "evt_hazard");
  auto handler = [&](const events::Envelope& e) {
    return credit::HandleEvent(e, &store, &directory);
  };
  ASSERT_EQ(Deliver(handler, events::kHazardsTopic, hazard_event), events::Outcome::kDone);
  ASSERT_EQ(Deliver(handler, events::kBuildingsTopic, NewerBuildingRegistered()),
            events::Outcome::kDone);
  // A type today's credit does not know: acknowledged, nothing stored.
  events::Envelope unknown = Current(TodaysHazard(), "evt_unknown");
  unknown.set_type("firegrid.hazards.v1.HazardArchived");
  unknown.mutable_payload()->set_type_url("type.googleapis.com/firegrid.hazards.v1.HazardArchived");
  ASSERT_EQ(Deliver(handler, events::kHazardsTopic, unknown), events::Outcome::kDone);
  // Redelivered: idempotent as today.
  ASSERT_EQ(Deliver(handler, events::kHazardsTopic, hazard_event), events::Outcome::kDone);

  auto facts = store.ReadFacts("0", 10);
  ASSERT_TRUE(facts.ok()) << facts.status();
  ASSERT_THAT(*facts, SizeIs(2));
  EXPECT_EQ((*facts)[0].second.fact_id(), "evt_hazard");
  EXPECT_EQ(static_cast<int>((*facts)[0].second.hazard().category()), 901);
  EXPECT_EQ((*facts)[1].second.fact_id(), "evt_building");
  ASSERT_EQ((*facts)[1].second.building().parties_size(), 2);
  EXPECT_EQ(static_cast<int>((*facts)[1].second.building().parties(0).role()), 901);
  auto entry = directory.Get("bld_1");
  ASSERT_TRUE(entry.ok()) << entry.status();
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->name, "楼 1");
}

TEST_F(NewerSchemaHandlersTest, NotifyDeliversANewerHazardOfACategoryItDoesNotKnow) {
  FakeClock clock;
  SequentialIdGenerator ids;
  notify::Inbox inbox(pool_.get(), prefix_, &clock, &ids);
  hv1::HazardRouted routed;
  *routed.mutable_hazard() = TodaysHazard();
  const events::Envelope env = Newer<next::HazardRouted>(routed, [](next::HazardRouted& e) {
    e.set_routing_model("2027");
    e.mutable_hazard()->set_category(next::HAZARD_CATEGORY_BATTERY_STORAGE);
    AddNewFields(*e.mutable_hazard());
  });
  auto handler = [&](const events::Envelope& e) { return notify::NotifyEvent(e, &inbox); };
  ASSERT_EQ(Deliver(handler, events::kHazardsTopic, env), events::Outcome::kDone);
  // Redelivered: nothing twice.
  ASSERT_EQ(Deliver(handler, events::kHazardsTopic, env), events::Outcome::kDone);
  auto got = inbox.ReadAfter("org:500109.fire_rescue", "", 10);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  EXPECT_THAT((*got)[0].title(), HasSubstr("楼 1 · 901"));
  EXPECT_EQ((*got)[0].hazard_id(), "hzd_1");
}

TEST_F(NewerSchemaHandlersTest, HazardsProjectANewerBuilding) {
  auto rules = hazards::Rules::LoadFiles(FIREGRID_HAZARDS_RULES, FIREGRID_HAZARDS_GUIDANCE);
  ASSERT_TRUE(rules.ok()) << rules.status();
  FakeClock clock;
  SequentialIdGenerator ids;
  server::MetricsRegistry metrics_registry;
  hazards::HazardMetrics metrics(&metrics_registry);
  hazards::HazardStore store(pool_.get(), prefix_);
  hazards::HazardRegistry registry(&store, &*rules, &clock, &ids, &metrics);
  ASSERT_EQ(Deliver([&](const events::Envelope& e) { return registry.HandleBuildingEvent(e); },
                    events::kBuildingsTopic, NewerBuildingRegistered()),
            events::Outcome::kDone);
  auto view = store.GetBuilding("bld_1");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->name, "楼 1");
  EXPECT_EQ(view->use, 901);
  ASSERT_TRUE(view->liable_party.has_value());
  EXPECT_EQ(view->liable_party->credit_code(), ManagementUnit().credit_code());
}

TEST_F(NewerSchemaHandlersTest, MonitoringProjectsANewerBuilding) {
  monitoring::DeviceStore devices(pool_.get(), prefix_, prefix_ + ":outbox");
  ASSERT_EQ(
      Deliver(
          [&](const events::Envelope& e) { return monitoring::HandleBuildingsEvent(e, &devices); },
          events::kBuildingsTopic, NewerBuildingRegistered()),
      events::Outcome::kDone);
  auto view = devices.GetBuilding("bld_1");
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->name(), "楼 1");
  EXPECT_EQ(view->tier_path(), compat_testing::kTier);
}

}  // namespace
}  // namespace firegrid
