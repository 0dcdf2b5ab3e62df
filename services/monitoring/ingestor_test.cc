#include "services/monitoring/ingestor.h"

#include <barrier>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "services/monitoring/fake_stores.h"

namespace firegrid::monitoring {
namespace {

using ::testing::ElementsAre;
using testing::FakeDirectory;
using testing::FakeStates;
using ::testing::IsEmpty;

v1::Device Dev(const std::string& id, v1::DeviceType type, const std::string& gateway = "gw-1") {
  v1::Device d;
  d.set_device_id(id);
  d.set_type(type);
  d.set_status(v1::DEVICE_STATUS_IN_SERVICE);
  d.set_building_id("bld_1");
  d.set_tier_path("500109001002");
  d.set_gateway_id(gateway);
  d.mutable_heartbeat_period()->set_seconds(300);
  return d;
}

class IngestorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Rules> rules = Rules::LoadFile(FIREGRID_MONITORING_RULES);
    ASSERT_TRUE(rules.ok()) << rules.status();
    rules_ = std::make_unique<Rules>(*std::move(rules));
    engine_ = std::make_unique<Engine>(rules_.get(), &ids_);
    dir_.Put(Dev("smoke-1", v1::DEVICE_TYPE_SMOKE_DETECTOR));
    dir_.Put(Dev("smoke-2", v1::DEVICE_TYPE_SMOKE_DETECTOR));
    dir_.Put(Dev("pres-1", v1::DEVICE_TYPE_HYDRANT_PRESSURE));
    dir_.Put(Dev("other-gw", v1::DEVICE_TYPE_SMOKE_DETECTOR, "gw-2"));
    v1::Device gone = Dev("gone-1", v1::DEVICE_TYPE_SMOKE_DETECTOR);
    gone.set_status(v1::DEVICE_STATUS_DECOMMISSIONED);
    dir_.Put(gone);
    v1::BuildingView b;
    b.set_building_id("bld_1");
    b.set_address("渝北区某路 1 号");
    b.set_tier_path("500109001002");
    b.add_subjects("mgr-1");
    b.mutable_location()->set_latitude(29.6);
    b.mutable_location()->set_longitude(106.5);
    dir_.PutBuilding(b);
    for (auto [id, m] : std::vector<std::pair<std::string, double>>{
             {"mfs_far", 2500}, {"mfs_near", 400}, {"mfs_mid", 900}}) {
      v1::StationRef s;
      s.set_station_id(id);
      s.set_distance_m(m);
      dir_.PutStation(s);
    }
    ingestor_ = MakeIngestor();
  }

  std::unique_ptr<Ingestor> MakeIngestor() {
    IngestorOptions o;
    o.on_dispatch = [this](const ::firegrid::events::v1::Envelope& e) { dispatched_.push_back(e); };
    o.on_action = [this](const AlarmAction& a) { actions_.push_back(a); };
    return std::make_unique<Ingestor>(&dir_, &states_, rules_.get(), engine_.get(), &clock_, o);
  }

  v1::Signal Sig(const std::string& device, uint64_t seq) {
    v1::Signal s;
    s.set_device_id(device);
    s.set_boot_epoch(1);
    s.set_sequence(seq);
    s.mutable_device_time()->set_seconds(absl::ToUnixSeconds(clock_.Now()));
    return s;
  }
  v1::Signal Fire(const std::string& device, uint64_t seq, bool on) {
    v1::Signal s = Sig(device, seq);
    s.mutable_state()->set_fire_alarm(on);
    return s;
  }
  v1::Signal Pressure(const std::string& device, uint64_t seq, double mpa) {
    v1::Signal s = Sig(device, seq);
    v1::AnalogValue* a = s.add_analog();
    a->set_quantity(v1::QUANTITY_PRESSURE_MPA);
    a->set_value(mpa);
    return s;
  }

  IngestResult Handle(std::vector<v1::Signal> signals, SignalSource source = Gateway("gw-1")) {
    absl::StatusOr<IngestResult> r = ingestor_->Handle(source, std::move(signals));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : IngestResult{};
  }
  static SignalSource Gateway(const std::string& id) {
    return {SignalSource::Kind::kGatewayTopic, id, ""};
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  SequentialIdGenerator ids_;
  std::unique_ptr<Rules> rules_;
  std::unique_ptr<Engine> engine_;
  FakeDirectory dir_;
  FakeStates states_;
  std::unique_ptr<Ingestor> ingestor_;
  std::vector<::firegrid::events::v1::Envelope> dispatched_;
  std::vector<AlarmAction> actions_;
};

TEST_F(IngestorTest, TheSameBatchTwiceHasNoSecondEffect) {
  std::vector<v1::Signal> batch = {Fire("smoke-1", 1, true), Pressure("pres-1", 1, 0.30),
                                   Sig("smoke-2", 1), Pressure("pres-1", 2, 0.05)};
  IngestResult first = Handle(batch);
  EXPECT_EQ(first.accepted, 4);
  const size_t commits = states_.commits.size();
  ASSERT_GT(commits, 0u);
  const size_t actions = actions_.size();
  ASSERT_EQ(dispatched_.size(), 1u);

  IngestResult again = Handle(batch);  // an MQTT redelivery, or a gateway's retry
  EXPECT_EQ(again.accepted + again.duplicates, 4);
  EXPECT_EQ(again.rejected, 0);
  EXPECT_EQ(states_.commits.size(), commits);
  EXPECT_EQ(actions_.size(), actions);
  EXPECT_EQ(dispatched_.size(), 1u);
  EXPECT_EQ(states_.ActiveCount(), 1);
}

TEST_F(IngestorTest, ADuplicateInsideOneBatchIsCountedOnce) {
  IngestResult r = Handle({Fire("smoke-1", 1, true), Fire("smoke-1", 1, true)});
  EXPECT_EQ(r.accepted, 1);
  EXPECT_EQ(r.duplicates, 1);
  EXPECT_EQ(states_.commits.size(), 1u);
}

TEST_F(IngestorTest, EachDevicesSignalsAreTakenInSequenceOrder) {
  // Arrives as 3, 2: a fault (2) that is gone again (3): raised and cleared, in that order.
  v1::Signal on = Sig("smoke-1", 2);
  on.mutable_state()->set_fault(true);
  IngestResult r = Handle({Sig("smoke-1", 3), on});
  EXPECT_EQ(r.accepted, 2);
  ASSERT_EQ(actions_.size(), 2u);
  EXPECT_EQ(actions_[0].kind, AlarmAction::Kind::kRaise);
  EXPECT_EQ(actions_[1].kind, AlarmAction::Kind::kClear);
  EXPECT_EQ(states_.ActiveCount(), 0);
}

TEST_F(IngestorTest, AFireAlarmIsCommittedAndPushedBeforeTheBatchsOtherChanges) {
  std::vector<std::string> order;
  ingestor_ = std::make_unique<Ingestor>(
      &dir_, &states_, rules_.get(), engine_.get(), &clock_,
      IngestorOptions{.on_dispatch =
                          [&](const auto& e) {
                            order.push_back("push");
                            dispatched_.push_back(e);
                          },
                      .on_action =
                          [&](const AlarmAction& a) {
                            order.push_back(absl::StrCat("action ", v1::AlarmType_Name(a.type)));
                          }});
  v1::Signal fault = Sig("pres-1", 1);  // sorts before smoke-2
  fault.mutable_state()->set_fault(true);
  Handle({fault, Fire("smoke-2", 1, true)});
  EXPECT_THAT(order, ElementsAre("action ALARM_TYPE_FIRE", "push", "action ALARM_TYPE_FAULT"));
}

TEST_F(IngestorTest, OneActiveAlarmPerDeviceAndTypeAcrossRepeats) {
  uint64_t seq = 0;
  for (int i = 0; i < 3; ++i) {
    Handle({Fire("smoke-1", ++seq, true)});
    Handle({Fire("smoke-1", ++seq, false)});  // latching: stays active
  }
  const std::string id = states_.Active("smoke-1", v1::ALARM_TYPE_FIRE);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(states_.ActiveCount(), 1);
  EXPECT_EQ(states_.alarms.size(), 1u);
  EXPECT_EQ(states_.alarms[id].count(), 3);
  EXPECT_EQ(dispatched_.size(), 1u);  // repeats are not dispatched again
}

TEST_F(IngestorTest, ALostRaceIsEvaluatedAgainAndNotRaisedTwice) {
  // Another replica handles the same redelivered signal between our LoadStates and Commit.
  std::vector<::firegrid::events::v1::Envelope> other_dispatched;
  IngestorOptions o;
  o.on_dispatch = [&](const auto& e) { other_dispatched.push_back(e); };
  Ingestor other(&dir_, &states_, rules_.get(), engine_.get(), &clock_, o);
  const v1::Signal fire = Fire("smoke-1", 1, true);
  states_.before_commit = [&] {
    absl::StatusOr<IngestResult> r =
        other.Handle({SignalSource::Kind::kGatewayTopic, "gw-1", ""}, {fire});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->accepted, 1);
  };
  IngestResult r = Handle({fire});
  EXPECT_EQ(states_.aborted, 1);
  EXPECT_EQ(r.duplicates, 1);  // re-evaluated on the winner's state
  EXPECT_EQ(r.accepted, 0);
  EXPECT_EQ(states_.alarms.size(), 1u);
  EXPECT_EQ(states_.commits.size(), 1u);
  EXPECT_EQ(other_dispatched.size() + dispatched_.size(), 1u);
}

TEST_F(IngestorTest, ALostRaceWithADifferentChangeIsReEvaluatedOnTheNewState) {
  // The other replica commits a later signal (fault on, seq 2); ours (fire, seq 1) is then
  // out of date.
  Ingestor other(&dir_, &states_, rules_.get(), engine_.get(), &clock_);
  v1::Signal fault = Sig("smoke-1", 2);
  fault.mutable_state()->set_fault(true);
  states_.before_commit = [&] {
    ASSERT_TRUE(other.Handle({SignalSource::Kind::kGatewayTopic, "gw-1", ""}, {fault}).ok());
  };
  v1::Signal later = Fire("smoke-1", 3, true);
  later.mutable_state()->set_fault(true);  // the fault persists
  IngestResult r = Handle({Fire("smoke-1", 1, true), later});
  EXPECT_EQ(r.duplicates, 1);
  EXPECT_EQ(r.accepted, 1);
  EXPECT_FALSE(states_.Active("smoke-1", v1::ALARM_TYPE_FAULT).empty());
  EXPECT_FALSE(states_.Active("smoke-1", v1::ALARM_TYPE_FIRE).empty());
  EXPECT_EQ(states_.alarms.size(), 2u);
}

TEST_F(IngestorTest, ADeviceWhoseChangeTheStoreRefusesIsDroppedWithoutHoldingUpTheOthers) {
  states_.fail_commit["smoke-1"] = absl::InternalError("corrupt entry");
  IngestResult r = Handle({Fire("smoke-1", 1, true), Fire("smoke-2", 1, true)});
  EXPECT_EQ(r.accepted, 1);
  EXPECT_EQ(r.rejected, 1);
  ASSERT_EQ(r.rejections.size(), 1u);
  EXPECT_EQ(r.rejections[0].device_id(), "smoke-1");
  EXPECT_EQ(r.rejections[0].reason(), "internal_error");
  EXPECT_TRUE(states_.Active("smoke-1", v1::ALARM_TYPE_FIRE).empty());
  EXPECT_FALSE(states_.Active("smoke-2", v1::ALARM_TYPE_FIRE).empty());
  EXPECT_EQ(dispatched_.size(), 1u);
}

TEST_F(IngestorTest, AnUnreadableBuildingViewStillLetsTheFireAlarmThrough) {
  dir_.fail_building = absl::DataLossError("building view does not decode");
  Handle({Fire("smoke-1", 1, true)});
  EXPECT_FALSE(states_.Active("smoke-1", v1::ALARM_TYPE_FIRE).empty());
  ASSERT_EQ(dispatched_.size(), 1u);
  v1::AlarmRaised raised;
  ASSERT_TRUE(dispatched_[0].payload().UnpackTo(&raised));
  // No location, no subjects known: the community and fire rescue are still told.
  EXPECT_THAT(raised.dispatch().recipients(),
              ElementsAre("org:500109001002", "org:500109.fire_rescue"));
}

TEST_F(IngestorTest, ARetryAfterTheStoreWasUnavailableFindsWhatWasCommittedAsDuplicates) {
  states_.fail_commit["smoke-2"] = absl::UnavailableError("redis down");
  const std::vector<v1::Signal> batch = {Fire("smoke-1", 1, true), Fire("smoke-2", 1, true)};
  EXPECT_EQ(ingestor_->Handle(Gateway("gw-1"), batch).status().code(),
            absl::StatusCode::kUnavailable);
  states_.fail_commit.clear();
  IngestResult again = Handle(batch);
  EXPECT_EQ(again.duplicates, 1);
  EXPECT_EQ(again.accepted, 1);
  EXPECT_EQ(states_.alarms.size(), 2u);
  EXPECT_EQ(dispatched_.size(), 2u);
}

TEST_F(IngestorTest, ConcurrentRedeliveriesOfOneDevicesSignalsRaiseOneAlarmAndDispatchOnce) {
  // Replicas (threads with their own ingestors) handle the same stream of batches at once.
  RandomIdGenerator ids;
  Engine engine(rules_.get(), &ids);
  std::mutex mu;
  int dispatched = 0;
  IngestorOptions o;
  o.on_dispatch = [&](const auto&) {
    std::lock_guard<std::mutex> lock(mu);
    ++dispatched;
  };
  o.max_commit_attempts = 1000;
  std::vector<std::vector<v1::Signal>> stream;
  for (uint64_t seq = 1; seq <= 40; ++seq) stream.push_back({Fire("smoke-1", seq, seq % 2 == 1)});
  // Every replica reads the device's state for a batch before any of them commits it, so
  // that all but one lose the race and evaluate again.
  std::barrier all_read(4);
  static thread_local bool first_read = false;
  states_.after_load = [&] {
    if (!first_read) return;  // a reload after a lost race
    first_read = false;
    all_read.arrive_and_wait();
  };
  std::vector<std::thread> threads;
  for (int r = 0; r < 4; ++r) {
    threads.emplace_back([&] {
      Ingestor replica(&dir_, &states_, rules_.get(), &engine, &clock_, o);
      for (const auto& batch : stream) {
        first_read = true;
        absl::StatusOr<IngestResult> res =
            replica.Handle({SignalSource::Kind::kGatewayTopic, "gw-1", ""}, batch);
        EXPECT_TRUE(res.ok()) << res.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(states_.aborted, 3 * 40);  // the race happened on every batch
  EXPECT_EQ(dispatched, 1);
  EXPECT_EQ(states_.alarms.size(), 1u);
  const std::string id = states_.Active("smoke-1", v1::ALARM_TYPE_FIRE);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(states_.alarms[id].count(), 20);  // 20 rising edges, each counted once
}

TEST_F(IngestorTest, EverySignalsOutcomeAndEveryCommittedActionReachTheMetricsHooks) {
  std::vector<std::string> outcomes;
  IngestorOptions o;
  o.on_signal = [&](absl::string_view outcome) { outcomes.emplace_back(outcome); };
  o.on_action = [this](const AlarmAction& a) { actions_.push_back(a); };
  Ingestor ingestor(&dir_, &states_, rules_.get(), engine_.get(), &clock_, o);
  ASSERT_TRUE(ingestor
                  .Handle(Gateway("gw-1"), {Fire("smoke-1", 1, true), Fire("smoke-1", 1, true),
                                            Fire("nobody", 1, true), Fire("other-gw", 1, true)})
                  .ok());
  EXPECT_THAT(outcomes, ::testing::UnorderedElementsAre("accepted", "duplicate", "unknown_device",
                                                        "not_your_device"));
  ASSERT_EQ(actions_.size(), 1u);
  EXPECT_EQ(actions_[0].type, v1::ALARM_TYPE_FIRE);
}

TEST_F(IngestorTest, AGatewayCannotSpeakForADeviceOfAnotherGateway) {
  IngestResult r = Handle({Fire("other-gw", 1, true)}, Gateway("gw-1"));
  EXPECT_EQ(r.rejected, 1);
  ASSERT_EQ(r.rejections.size(), 1u);
  EXPECT_EQ(r.rejections[0].reason(), "not_your_device");
  EXPECT_EQ(r.rejections[0].device_id(), "other-gw");
  EXPECT_TRUE(states_.commits.empty());
  EXPECT_TRUE(dispatched_.empty());
  // Nor over the Ingest RPC as an iot_gateway principal.
  IngestResult rpc =
      Handle({Fire("other-gw", 1, true)}, {SignalSource::Kind::kGateway, "gw-1", ""});
  EXPECT_EQ(rpc.rejections.at(0).reason(), "not_your_device");
  // Its own gateway may.
  EXPECT_EQ(Handle({Fire("other-gw", 1, true)}, Gateway("gw-2")).accepted, 1);
}

TEST_F(IngestorTest, ADeviceTopicSpeaksOnlyForItsOwnDevice) {
  SignalSource topic{SignalSource::Kind::kDeviceTopic, "smoke-2", ""};
  IngestResult r = Handle({Fire("smoke-1", 1, true), Sig("smoke-2", 1)}, topic);
  EXPECT_EQ(r.accepted, 1);
  EXPECT_EQ(r.rejected, 1);
  EXPECT_EQ(r.rejections.at(0).device_id(), "smoke-1");
  EXPECT_EQ(r.rejections.at(0).reason(), "not_your_device");
  EXPECT_TRUE(states_.Active("smoke-1", v1::ALARM_TYPE_FIRE).empty());
}

TEST_F(IngestorTest, AnInternalSourceMaySpeakForAnyDevice) {
  IngestResult r = Handle({Fire("other-gw", 1, true), Fire("smoke-1", 1, true)},
                          {SignalSource::Kind::kInternal, "", ""});
  EXPECT_EQ(r.accepted, 2);
}

TEST_F(IngestorTest, UnknownDecommissionedAndMalformedSignalsAreRejectedWithTheirReasons) {
  v1::Signal no_time = Fire("smoke-1", 1, true);
  no_time.clear_device_time();
  v1::Signal future = Fire("smoke-2", 1, true);
  future.mutable_device_time()->set_seconds(absl::ToUnixSeconds(clock_.Now() + absl::Hours(1)));
  IngestResult r =
      Handle({Fire("nobody", 1, true), Fire("gone-1", 1, true), no_time, future, Sig("", 1)},
             {SignalSource::Kind::kInternal, "", ""});
  EXPECT_EQ(r.rejected, 5);
  std::map<std::string, std::string> reasons;
  for (const auto& x : r.rejections) reasons[x.device_id()] = x.reason();
  EXPECT_EQ(reasons["nobody"], "unknown_device");
  EXPECT_EQ(reasons["gone-1"], "decommissioned");
  EXPECT_EQ(reasons["smoke-1"], "malformed");
  EXPECT_EQ(reasons["smoke-2"], "from_the_future");
  EXPECT_EQ(reasons[""], "malformed");
  EXPECT_TRUE(states_.commits.empty());
}

TEST_F(IngestorTest, AFireAlarmIsDispatchedOnceToStationsManagerCommunityAndFireRescue) {
  Handle({Fire("smoke-1", 1, true)});
  ASSERT_EQ(dispatched_.size(), 1u);
  v1::AlarmRaised raised;
  ASSERT_TRUE(dispatched_[0].payload().UnpackTo(&raised));
  EXPECT_EQ(raised.alarm().type(), v1::ALARM_TYPE_FIRE);
  EXPECT_THAT(raised.dispatch().recipients(),
              ElementsAre("org:mfs_near", "org:mfs_mid", "person:mgr-1", "org:500109001002",
                          "org:500109.fire_rescue"));
  EXPECT_EQ(raised.dispatch().building_address(), "渝北区某路 1 号");
  ASSERT_EQ(states_.commits.size(), 1u);
  EXPECT_EQ(states_.commits[0].actor, "device:smoke-1");
  EXPECT_EQ(states_.commits[0].building.address(), "渝北区某路 1 号");
}

TEST_F(IngestorTest, ABuildingWithoutALocationGetsNoStationsButTheOthersAreTold) {
  v1::BuildingView b;
  b.set_building_id("bld_2");
  b.set_tier_path("500109001003");
  b.add_subjects("mgr-2");
  dir_.PutBuilding(b);
  v1::Device d = Dev("smoke-9", v1::DEVICE_TYPE_SMOKE_DETECTOR);
  d.set_building_id("bld_2");
  dir_.Put(d);
  Handle({Fire("smoke-9", 1, true)});
  ASSERT_EQ(dispatched_.size(), 1u);
  v1::AlarmRaised raised;
  ASSERT_TRUE(dispatched_[0].payload().UnpackTo(&raised));
  EXPECT_THAT(raised.dispatch().recipients(),
              ElementsAre("person:mgr-2", "org:500109001003", "org:500109.fire_rescue"));
  EXPECT_EQ(dir_.nearest_calls, 0);
}

TEST_F(IngestorTest, NonDispatchingAlarmsAreNotPushed) {
  v1::Signal fault = Sig("smoke-1", 1);
  fault.mutable_state()->set_fault(true);
  Handle({fault});
  EXPECT_FALSE(states_.Active("smoke-1", v1::ALARM_TYPE_FAULT).empty());
  EXPECT_TRUE(dispatched_.empty());
  EXPECT_TRUE(states_.commits.at(0).dispatch.empty());
}

TEST_F(IngestorTest, HeartbeatsDoNotCommitAndABatchReadsTheStoresOnce) {
  Handle({Pressure("pres-1", 1, 0.30), Sig("smoke-1", 1), Sig("smoke-2", 1)});  // first sight
  const size_t commits = states_.commits.size();
  const int loads = states_.load_calls;
  const int gets = dir_.get_many_calls;
  std::vector<v1::Signal> beats;
  for (uint64_t seq = 2; seq < 50; ++seq) {
    beats.push_back(Pressure("pres-1", seq, 0.30 + 0.001 * (seq % 3)));  // drifting
    beats.push_back(Sig("smoke-1", seq));
    beats.push_back(Sig("smoke-2", seq));
  }
  IngestResult r = Handle(beats);
  EXPECT_EQ(r.accepted, static_cast<int64_t>(beats.size()));
  EXPECT_EQ(states_.commits.size(), commits);
  EXPECT_EQ(states_.load_calls, loads + 1);
  EXPECT_EQ(dir_.get_many_calls, gets);  // the registry entries are cached
  clock_.Advance(absl::Seconds(6));      // past the cache's lifetime
  Handle({Sig("smoke-1", 100)});
  EXPECT_EQ(dir_.get_many_calls, gets + 1);
}

TEST_F(IngestorTest, AnOfflineSweepRaisesOnceAndTheNextSignalClears) {
  Handle({Sig("smoke-1", 1)});
  ASSERT_TRUE(ingestor_->FlushSeen().ok());
  ASSERT_EQ(states_.seen.count("smoke-1"), 1u);
  clock_.Advance(absl::Minutes(15) - absl::Seconds(1));
  EXPECT_EQ(*ingestor_->SweepOffline(), 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(*ingestor_->SweepOffline(), 1);
  const std::string id = states_.Active("smoke-1", v1::ALARM_TYPE_OFFLINE);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(states_.commits.back().actor, "monitoring");
  EXPECT_EQ(states_.seen.count("smoke-1"), 0u);  // off the watch
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(*ingestor_->SweepOffline(), 0);

  Handle({Sig("smoke-1", 2)});
  EXPECT_TRUE(states_.Active("smoke-1", v1::ALARM_TYPE_OFFLINE).empty());
  EXPECT_EQ(states_.alarms[id].state(), v1::ALARM_STATE_CLEARED_UNACK);
  ASSERT_TRUE(ingestor_->FlushSeen().ok());
  EXPECT_EQ(states_.seen.count("smoke-1"), 1u);  // watched again
}

TEST_F(IngestorTest, ADeviceHeardFromBeforeItsDeadlineIsNotOffline) {
  Handle({Sig("smoke-1", 1)});
  ASSERT_TRUE(ingestor_->FlushSeen().ok());
  clock_.Advance(absl::Minutes(10));
  Handle({Sig("smoke-1", 2)});  // not yet flushed: the sweep flushes first
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(*ingestor_->SweepOffline(), 0);
  EXPECT_TRUE(states_.Active("smoke-1", v1::ALARM_TYPE_OFFLINE).empty());
}

}  // namespace
}  // namespace firegrid::monitoring
