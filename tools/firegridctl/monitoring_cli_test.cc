// `firegridctl monitoring ...` against an in-process fake MonitoringService on port 0.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tools/firegridctl/cli.h"
#include "tools/firegridctl/fake_building_service.h"
#include "tools/firegridctl/fake_monitoring_service.h"

namespace firegrid::ctl {
namespace {

namespace mv1 = ::firegrid::monitoring::v1;
using ::testing::ElementsAre;
using testing::FakeMonitoringService;
using testing::FakeServer;
using ::testing::HasSubstr;
using ::testing::Not;

class MonitoringCliTest : public ::testing::Test {
 protected:
  MonitoringCliTest() : server_(&service_) {
    RegisterAllCommands(&registry_);
    absl::MutexLock lock(&service_.mu_);
    mv1::Device& d = service_.device_;
    d.set_device_id("bb0002-hyd");
    d.set_type(mv1::DEVICE_TYPE_HYDRANT_PRESSURE);
    d.set_status(mv1::DEVICE_STATUS_IN_SERVICE);
    d.set_building_id("bld_2");
    d.set_building_name("缙云大厦");
    d.set_floor("B1");
    d.set_point("消防泵房");
    d.set_gateway_id("gw-bb-0002");
    d.mutable_heartbeat_period()->set_seconds(60);
    d.mutable_live()->set_online(true);
    d.mutable_live()->mutable_last_seen()->set_seconds(1796547600);
    d.mutable_live()->set_boot_epoch(1796540000000);
    d.mutable_live()->set_sequence(42);
    d.mutable_live()->mutable_state()->set_fault(true);
    mv1::AnalogValue* a = d.mutable_live()->add_analog();
    a->set_quantity(mv1::QUANTITY_PRESSURE_MPA);
    a->set_value(0.052);
    mv1::Alarm& al = service_.alarm_;
    al.set_alarm_id("alm_01JF");
    al.set_device_id("bb0002-hyd");
    al.set_device_type(mv1::DEVICE_TYPE_HYDRANT_PRESSURE);
    al.set_type(mv1::ALARM_TYPE_LOW_PRESSURE);
    al.set_severity(mv1::ALARM_SEVERITY_MAJOR);
    al.set_state(mv1::ALARM_STATE_ACTIVE_UNACK);
    al.set_building_id("bld_2");
    al.set_building_name("缙云大厦");
    al.set_rule_id("hydrant-pressure-low");
    al.set_count(2);
    al.set_value(0.052);
    al.set_limit(0.1);
    al.set_hazard_id("hz_77");
    al.mutable_raised_at()->set_seconds(1796547600);
    mv1::AlarmTransition* h = al.add_history();
    h->set_action("raise");
    h->set_to(mv1::ALARM_STATE_ACTIVE_UNACK);
    h->set_actor("device:bb0002-hyd");
  }

  int Run(std::vector<std::string> args, Context::Env env = {}) {
    out_.str("");
    err_.str("");
    if (!env.count("FIREGRID_MONITORING_ADDR")) env["FIREGRID_MONITORING_ADDR"] = server_.address();
    return RunCli(registry_, args, std::move(env), out_, err_);
  }

  Registry registry_;
  FakeMonitoringService service_;
  FakeServer server_;
  std::ostringstream out_, err_;
  firegrid::testing::TempDir dir_{"monitoring-cli"};
};

TEST_F(MonitoringCliTest, GroupWithoutSubcommandListsEveryMonitoringCommand) {
  EXPECT_EQ(Run({"monitoring"}), 2);
  for (const char* c :
       {"monitoring devices register", "monitoring devices get", "monitoring devices list",
        "monitoring devices import", "monitoring alarms list", "monitoring alarms get",
        "monitoring alarms count", "monitoring alarms ack", "monitoring alarms clear",
        "monitoring ingest"}) {
    EXPECT_THAT(err_.str() + out_.str(), HasSubstr(c));
  }
}

TEST_F(MonitoringCliTest, DevicesRegisterSendsEveryFieldAndTheToken) {
  ASSERT_EQ(Run({"monitoring",
                 "devices",
                 "register",
                 "--id",
                 "bb0009-hyd",
                 "--type",
                 "hydrant_pressure",
                 "--building",
                 "bld_9",
                 "--floor",
                 "B1",
                 "--point",
                 "泵房",
                 "--facility",
                 "indoor_hydrant",
                 "--gateway",
                 "gw-9",
                 "--heartbeat",
                 "2m",
                 "--status",
                 "in_service",
                 "--token",
                 "tok"}),
            0)
      << err_.str();
  const mv1::Device d = service_.last<mv1::RegisterDeviceRequest>().device();
  EXPECT_EQ(d.device_id(), "bb0009-hyd");
  EXPECT_EQ(d.type(), mv1::DEVICE_TYPE_HYDRANT_PRESSURE);
  EXPECT_EQ(d.building_id(), "bld_9");
  EXPECT_EQ(d.facility(), firegrid::buildings::v1::FACILITY_KIND_INDOOR_HYDRANT);
  EXPECT_EQ(d.gateway_id(), "gw-9");
  EXPECT_EQ(d.heartbeat_period().seconds(), 120);
  EXPECT_EQ(d.status(), mv1::DEVICE_STATUS_IN_SERVICE);
  EXPECT_EQ(service_.last_authorization(), "Bearer tok");
  EXPECT_THAT(out_.str(), HasSubstr("bb0009-hyd"));
}

TEST_F(MonitoringCliTest, DevicesRegisterWithAnUnknownTypeIsAUsageErrorWithoutACall) {
  EXPECT_EQ(Run({"monitoring", "devices", "register", "--id", "x-1", "--type", "toaster",
                 "--building", "bld_1"}),
            2);
  EXPECT_THAT(err_.str(), HasSubstr("--type"));
  EXPECT_EQ(service_.calls(), 0);
}

TEST_F(MonitoringCliTest, DevicesGetShowsTheLiveStateAndValues) {
  ASSERT_EQ(Run({"monitoring", "devices", "get", "bb0002-hyd"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("hydrant_pressure"));
  EXPECT_THAT(out_.str(), HasSubstr("online"));
  EXPECT_THAT(out_.str(), HasSubstr("1796540000000 / 42"));
  EXPECT_THAT(out_.str(), HasSubstr("fault"));
  EXPECT_THAT(out_.str(), HasSubstr("pressure_mpa 0.052"));
  EXPECT_EQ(Run({"monitoring", "devices", "get", "nope"}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("NOT_FOUND"));
}

TEST_F(MonitoringCliTest, DevicesListPassesTheFilters) {
  ASSERT_EQ(Run({"monitoring", "devices", "list", "--tier", "500109001", "--type", "smoke_detector",
                 "--status", "in_service", "--offline", "--page-size", "20"}),
            0)
      << err_.str();
  const mv1::ListDevicesRequest req = service_.last<mv1::ListDevicesRequest>();
  EXPECT_EQ(req.tier_path_prefix(), "500109001");
  EXPECT_EQ(req.type(), mv1::DEVICE_TYPE_SMOKE_DETECTOR);
  EXPECT_EQ(req.status(), mv1::DEVICE_STATUS_IN_SERVICE);
  EXPECT_TRUE(req.offline_only());
  EXPECT_EQ(req.page_size(), 20);
  EXPECT_THAT(out_.str(), HasSubstr("bb0002-hyd"));
  EXPECT_EQ(Run({"monitoring", "devices", "list", "--page-size", "501"}), 2);
}

TEST_F(MonitoringCliTest, DevicesImportReportsRowErrorsAndFails) {
  const std::string good = dir_.Join("good.csv"), bad = dir_.Join("bad.csv");
  std::ofstream(good) << "device_id,type\nd-1,smoke_detector\n";
  std::ofstream(bad) << "device_id,type\nd-1,bad\n";
  ASSERT_EQ(Run({"monitoring", "devices", "import", good, "--dry-run"}), 0) << err_.str();
  EXPECT_TRUE(service_.last<mv1::ImportDevicesCsvRequest>().dry_run());
  EXPECT_THAT(out_.str(), HasSubstr("2 new"));
  EXPECT_EQ(Run({"monitoring", "devices", "import", bad}), 1);
  EXPECT_THAT(out_.str(), HasSubstr("unknown device type"));
}

TEST_F(MonitoringCliTest, AlarmsListTakesCommaListsOfStatesAndTypes) {
  ASSERT_EQ(Run({"monitoring", "alarms", "list", "--building", "bld_2", "--state",
                 "active_unack,active_ack", "--type", "low_pressure", "--type", "fire"}),
            0)
      << err_.str();
  const mv1::ListAlarmsRequest req = service_.last<mv1::ListAlarmsRequest>();
  EXPECT_EQ(req.building_id(), "bld_2");
  EXPECT_THAT(req.states(),
              ElementsAre(mv1::ALARM_STATE_ACTIVE_UNACK, mv1::ALARM_STATE_ACTIVE_ACK));
  EXPECT_THAT(req.types(), ElementsAre(mv1::ALARM_TYPE_LOW_PRESSURE, mv1::ALARM_TYPE_FIRE));
  EXPECT_THAT(out_.str(), HasSubstr("alm_01JF"));
  EXPECT_THAT(out_.str(), HasSubstr("low_pressure"));
  EXPECT_EQ(Run({"monitoring", "alarms", "list", "--state", "burning"}), 2);
}

TEST_F(MonitoringCliTest, AlarmsListAllFollowsThePages) {
  {
    absl::MutexLock lock(&service_.mu_);
    service_.paged_ = true;
  }
  ASSERT_EQ(Run({"monitoring", "alarms", "list", "--output", "json", "--all"}), 0) << err_.str();
  EXPECT_EQ(service_.last<mv1::ListAlarmsRequest>().page_token(), "p2");
  ASSERT_EQ(Run({"monitoring", "alarms", "list"}), 0);
  EXPECT_THAT(err_.str(), HasSubstr("--page-token p2"));
}

TEST_F(MonitoringCliTest, AlarmsGetShowsValueLimitHazardAndHistory) {
  ASSERT_EQ(Run({"monitoring", "alarms", "get", "alm_01JF"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("0.052 (limit 0.1"));
  EXPECT_THAT(out_.str(), HasSubstr("hz_77"));
  EXPECT_THAT(out_.str(), HasSubstr("device:bb0002-hyd"));
}

TEST_F(MonitoringCliTest, AlarmsCountShowsTotalsAndTheTable) {
  ASSERT_EQ(Run({"monitoring", "alarms", "count", "--tier", "500109"}), 0) << err_.str();
  EXPECT_EQ(service_.last<mv1::CountAlarmsRequest>().tier_path_prefix(), "500109");
  EXPECT_THAT(out_.str(), HasSubstr("500109"));
  EXPECT_THAT(out_.str(), HasSubstr("active_unack"));
}

TEST_F(MonitoringCliTest, AckSendsTheNoteAndClearNeedsOne) {
  ASSERT_EQ(Run({"monitoring", "alarms", "ack", "alm_01JF", "--note", "已派人核查"}), 0)
      << err_.str();
  EXPECT_EQ(service_.last<mv1::AcknowledgeAlarmRequest>().note(), "已派人核查");
  EXPECT_THAT(out_.str(), HasSubstr("active_ack"));
  EXPECT_EQ(Run({"monitoring", "alarms", "clear", "alm_01JF"}), 2);
  EXPECT_EQ(Run({"monitoring", "alarms", "clear", "alm_01JF", "--note", " "}), 2);
  ASSERT_EQ(Run({"monitoring", "alarms", "clear", "alm_01JF", "--note", "误报，探测器已清洗"}), 0);
  EXPECT_EQ(service_.last<mv1::ClearAlarmRequest>().note(), "误报，探测器已清洗");
  EXPECT_THAT(out_.str(), HasSubstr("cleared_ack"));
}

TEST_F(MonitoringCliTest, IngestStreamsTheFileInRequestsOfAtMostAThousandSignals) {
  std::string signals;
  for (int i = 1; i <= 2500; ++i) {
    absl::StrAppend(&signals, i > 1 ? "," : "",
                    R"({"device_id":"bb0002-hyd","boot_epoch":"7","sequence":")", i, R"("})");
  }
  const std::string file = dir_.Join("signals.json");
  std::ofstream(file) << R"({"gateway_id":"gw-bb-0002","signals":[)" << signals << "]}";
  ASSERT_EQ(Run({"monitoring", "ingest", file}), 0) << err_.str();
  {
    absl::MutexLock lock(&service_.mu_);
    EXPECT_THAT(service_.ingest_requests_, ElementsAre(1000, 1000, 500));
  }
  EXPECT_EQ(service_.last<mv1::IngestRequest>().gateway_id(), "gw-bb-0002");
  EXPECT_THAT(out_.str(), HasSubstr("2499 accepted, 0 duplicate, 1 rejected"));
  EXPECT_THAT(out_.str(), HasSubstr("unknown-dev"));
}

TEST_F(MonitoringCliTest, IngestTakesOneSignalAndRefusesWhatIsNoSignal) {
  const std::string one = dir_.Join("one.json"), junk = dir_.Join("junk.json");
  std::ofstream(one) << R"({"deviceId":"bb0001-smoke","bootEpoch":"1","sequence":"3",
                           "state":{"fireAlarm":true}})";
  std::ofstream(junk) << R"({"temperature": 3})";
  ASSERT_EQ(Run({"monitoring", "ingest", one, "--gateway", "gw-x"}), 0) << err_.str();
  const mv1::IngestRequest req = service_.last<mv1::IngestRequest>();
  ASSERT_EQ(req.signals_size(), 1);
  EXPECT_TRUE(req.signals(0).state().fire_alarm());
  EXPECT_EQ(req.gateway_id(), "gw-x");
  const int calls = service_.calls();
  EXPECT_EQ(Run({"monitoring", "ingest", junk}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("not an IngestRequest"));
  EXPECT_EQ(service_.calls(), calls);
}

TEST_F(MonitoringCliTest, CommandsGoToTheMonitoringAddressByDefault) {
  // No FIREGRID_MONITORING_ADDR: the default 127.0.0.1:50055; with --addr the fake again.
  ASSERT_EQ(Run({"monitoring", "alarms", "count", "--addr", server_.address()},
                {{"FIREGRID_MONITORING_ADDR", "127.0.0.1:1"}}),
            0)
      << err_.str();
  EXPECT_NE(Run({"monitoring", "alarms", "count", "--timeout", "2s"},
                {{"FIREGRID_MONITORING_ADDR", "127.0.0.1:1"}}),
            0);
  EXPECT_THAT(err_.str(), Not(HasSubstr("50051")));
}

}  // namespace
}  // namespace firegrid::ctl
