#include "services/monitoring/device_fields.h"

#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::monitoring {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

v1::Device Valid() {
  v1::Device d;
  d.set_device_id("hp-b1.east_01");
  d.set_type(v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  d.set_building_id("bld_1");
  d.set_model("PT-100");
  d.set_floor("B1");
  d.set_point("东侧消火栓箱");
  ApplyDeviceDefaults(&d);
  return d;
}

TEST(DeviceFieldsTest, DefaultsAreInstalledAndFiveMinutes) {
  v1::Device d;
  ApplyDeviceDefaults(&d);
  EXPECT_EQ(d.status(), v1::DEVICE_STATUS_INSTALLED);
  EXPECT_EQ(HeartbeatOf(d), absl::Minutes(5));
}

TEST(DeviceFieldsTest, DefaultsKeepWhatIsSet) {
  v1::Device d;
  d.set_status(v1::DEVICE_STATUS_IN_SERVICE);
  d.mutable_heartbeat_period()->set_seconds(60);
  ApplyDeviceDefaults(&d);
  EXPECT_EQ(d.status(), v1::DEVICE_STATUS_IN_SERVICE);
  EXPECT_EQ(HeartbeatOf(d), absl::Minutes(1));
}

TEST(DeviceFieldsTest, AValidDeviceHasNoProblems) {
  EXPECT_THAT(CheckDeviceFields(Valid()), IsEmpty());
}

struct BadCase {
  std::string name;
  std::function<void(v1::Device*)> spoil;
  std::string field;
};

class DeviceFieldsBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(DeviceFieldsBadTest, NamesTheBadField) {
  v1::Device d = Valid();
  GetParam().spoil(&d);
  std::vector<FieldProblem> problems = CheckDeviceFields(d);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, GetParam().field);
  EXPECT_FALSE(problems[0].problem.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DeviceFieldsBadTest,
    ::testing::Values(
        BadCase{"MissingDeviceId", [](v1::Device* d) { d->clear_device_id(); }, "device_id"},
        BadCase{"DeviceIdTooShort", [](v1::Device* d) { d->set_device_id("ab"); }, "device_id"},
        BadCase{"DeviceIdTooLong", [](v1::Device* d) { d->set_device_id(std::string(65, 'a')); },
                "device_id"},
        BadCase{"DeviceIdWithSlash", [](v1::Device* d) { d->set_device_id("fg/v1/#"); },
                "device_id"},
        BadCase{"DeviceIdWithPlus", [](v1::Device* d) { d->set_device_id("dev+1"); }, "device_id"},
        BadCase{"MissingType", [](v1::Device* d) { d->clear_type(); }, "type"},
        BadCase{"UnknownType", [](v1::Device* d) { d->set_type(static_cast<v1::DeviceType>(99)); },
                "type"},
        BadCase{"MissingBuilding", [](v1::Device* d) { d->clear_building_id(); }, "building_id"},
        BadCase{"ModelTooLong", [](v1::Device* d) { d->set_model(std::string(101, 'm')); },
                "model"},
        BadCase{"ManufacturerTooLong",
                [](v1::Device* d) { d->set_manufacturer(std::string(101, 'm')); }, "manufacturer"},
        BadCase{"FloorTooLong", [](v1::Device* d) { d->set_floor(std::string(17, '1')); }, "floor"},
        BadCase{"PointTooLong", [](v1::Device* d) { d->set_point(std::string(201, 'p')); },
                "point"},
        BadCase{"PointWithControlCharacter", [](v1::Device* d) { d->set_point("a\nb"); }, "point"},
        BadCase{"UnknownFacility",
                [](v1::Device* d) {
                  d->set_facility(static_cast<::firegrid::buildings::v1::FacilityKind>(42));
                },
                "facility"},
        BadCase{"UnknownStatus",
                [](v1::Device* d) { d->set_status(static_cast<v1::DeviceStatus>(9)); }, "status"},
        BadCase{"HeartbeatBelowThirtySeconds",
                [](v1::Device* d) { d->mutable_heartbeat_period()->set_seconds(29); },
                "heartbeat_period"},
        BadCase{"HeartbeatAboveADay",
                [](v1::Device* d) { d->mutable_heartbeat_period()->set_seconds(86401); },
                "heartbeat_period"},
        BadCase{"GatewayIdWithHash", [](v1::Device* d) { d->set_gateway_id("gw#1"); },
                "gateway_id"},
        BadCase{"GatewayIdTooShort", [](v1::Device* d) { d->set_gateway_id("g"); }, "gateway_id"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

TEST(DeviceFieldsTest, HeartbeatLimitsAreInclusive) {
  v1::Device d = Valid();
  d.mutable_heartbeat_period()->set_seconds(30);
  EXPECT_THAT(CheckDeviceFields(d), IsEmpty());
  d.mutable_heartbeat_period()->set_seconds(86400);
  EXPECT_THAT(CheckDeviceFields(d), IsEmpty());
}

TEST(DeviceFieldsTest, ServerOwnedFieldsAreNamed) {
  v1::Device d = Valid();
  EXPECT_THAT(ServerOwnedFieldsSet(d), IsEmpty());
  d.set_tier_path("500109001002");
  d.set_version(3);
  d.mutable_live()->set_online(true);
  EXPECT_THAT(ServerOwnedFieldsSet(d), ElementsAre("tier_path", "version", "live"));
}

}  // namespace
}  // namespace firegrid::monitoring
