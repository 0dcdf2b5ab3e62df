#include "tools/devicesim/fleet.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::devicesim {
namespace {

using ::testing::HasSubstr;

TEST(DemoFleetTest, EveryDeviceTypeOccursAndIdsAreUniqueAndTopicSafe) {
  const std::vector<SimDevice> fleet = DemoFleet(3);
  std::set<mv1::DeviceType> types;
  std::set<std::string> ids;
  for (const SimDevice& d : fleet) {
    types.insert(d.type);
    EXPECT_TRUE(ids.insert(d.device_id).second) << d.device_id;
    EXPECT_THAT(d.device_id, ::testing::MatchesRegex("[A-Za-z0-9._-]{3,64}"));
    EXPECT_GE(d.heartbeat_period, absl::Seconds(30)) << d.device_id;  // the API's minimum
    EXPECT_THAT(d.building_request_id, ::testing::StartsWith("demo-beibei-"));
  }
  EXPECT_EQ(types.size(), 7u);  // every DeviceType but UNSPECIFIED
  EXPECT_TRUE(ids.count(kDemoLowPressureDevice));
  EXPECT_TRUE(ids.count(kDemoFireAlarmDevice));
}

TEST(DemoFleetTest, IsTheSameEveryTime) {
  const std::vector<SimDevice> a = DemoFleet(), b = DemoFleet();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].device_id, b[i].device_id);
}

TEST(ClientsOfTest, ListsEachGatewayOnceAndDevicesWithoutGateway) {
  std::vector<SimDevice> fleet(3);
  fleet[0].device_id = "d-1";
  fleet[0].gateway_id = "gw-1";
  fleet[1].device_id = "d-2";
  fleet[1].gateway_id = "gw-1";
  fleet[2].device_id = "d-3";
  EXPECT_EQ(ClientsOf(fleet), "gateway gw-1\ndevice d-3\n");
}

TEST(ParseFleetTest, ReadsLinesSkippingHeaderCommentsAndBlanks) {
  absl::StatusOr<std::vector<SimDevice>> fleet = ParseFleet(
      "device_id,type,gateway_id,heartbeat_seconds\n"
      "# a comment\n\n"
      "p-001,hydrant_pressure,gw-1,60\n"
      "s-001, SMOKE_DETECTOR ,,300\n");
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  ASSERT_EQ(fleet->size(), 2u);
  EXPECT_EQ((*fleet)[0].type, mv1::DEVICE_TYPE_HYDRANT_PRESSURE);
  EXPECT_EQ((*fleet)[0].gateway_id, "gw-1");
  EXPECT_EQ((*fleet)[1].type, mv1::DEVICE_TYPE_SMOKE_DETECTOR);
  EXPECT_EQ((*fleet)[1].gateway_id, "");
  EXPECT_EQ((*fleet)[1].heartbeat_period, absl::Seconds(300));
}

struct BadFleetCase {
  std::string name;
  std::string text;
  std::string message;
};

class ParseFleetRejectsTest : public ::testing::TestWithParam<BadFleetCase> {};

TEST_P(ParseFleetRejectsTest, NamesTheLineAndTheProblem) {
  absl::StatusOr<std::vector<SimDevice>> fleet = ParseFleet(GetParam().text);
  ASSERT_FALSE(fleet.ok());
  EXPECT_EQ(fleet.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(fleet.status().message(), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseFleetRejectsTest,
    ::testing::Values(
        BadFleetCase{"UnknownType", "x-01,toaster,,60\n", "line 1: unknown device type"},
        BadFleetCase{"SlashInId", "a/b,smoke_detector,,60\n", "bad device_id"},
        BadFleetCase{"WildcardGateway", "x-01,smoke_detector,gw+,60\n", "bad gateway_id"},
        BadFleetCase{"ZeroHeartbeat", "x-01,smoke_detector,,0\n", "bad heartbeat_seconds"},
        BadFleetCase{"MissingField", "\nx-01,smoke_detector,60\n", "line 2: want"},
        BadFleetCase{"Duplicate", "x-01,smoke_detector,,60\nx-01,gas_detector,,60\n",
                     "duplicate x-01"},
        BadFleetCase{"Empty", "# nothing\n", "no device"}),
    [](const ::testing::TestParamInfo<BadFleetCase>& info) { return info.param.name; });

}  // namespace
}  // namespace firegrid::devicesim
