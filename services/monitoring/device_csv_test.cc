#include "services/monitoring/device_csv.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::monitoring {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
using ::testing::IsEmpty;

constexpr char kHeader[] =
    "device_id,type,model,manufacturer,building_id,floor,point,facility,status,"
    "heartbeat_period_s,gateway_id";

buildings::CsvRecord Record(int line, const std::string& text) {
  auto parsed = buildings::ParseCsv(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  buildings::CsvRecord r = (*parsed)[0];
  r.line = line;
  return r;
}

struct Parsed {
  std::optional<v1::Device> device;
  v1::ImportDevicesCsvResponse resp;
};

Parsed Row(const std::string& row, const std::string& header = kHeader) {
  Parsed out;
  buildings::CsvRecord h = Record(1, header);
  DeviceColumns cols = ReadDeviceHeader(h, &out.resp);
  EXPECT_THAT(out.resp.errors(), IsEmpty());
  out.device = DeviceFromRow(Record(2, row), cols, h.fields.size(), &out.resp);
  return out;
}

TEST(DeviceCsvTest, AFullRowBecomesTheDevice) {
  Parsed p =
      Row("hp-1,hydrant_pressure,PT-100,四川仪表,bld_1,B1,\"东侧消火栓箱, 2 号\",indoor_hydrant,"
          "in_service,60,gw-1");
  ASSERT_TRUE(p.device.has_value()) << p.resp.DebugString();
  EXPECT_EQ(p.device->device_id(), "hp-1");
  EXPECT_EQ(p.device->type(), v1::DEVICE_TYPE_HYDRANT_PRESSURE);
  EXPECT_EQ(p.device->manufacturer(), "四川仪表");
  EXPECT_EQ(p.device->point(), "东侧消火栓箱, 2 号");
  EXPECT_EQ(p.device->facility(), bv1::FACILITY_KIND_INDOOR_HYDRANT);
  EXPECT_EQ(p.device->status(), v1::DEVICE_STATUS_IN_SERVICE);
  EXPECT_EQ(p.device->heartbeat_period().seconds(), 60);
  EXPECT_EQ(p.device->gateway_id(), "gw-1");
}

TEST(DeviceCsvTest, EmptyOptionalCellsStayUnset) {
  Parsed p = Row("hp-1,hydrant_pressure,,,bld_1,,,,,,");
  ASSERT_TRUE(p.device.has_value()) << p.resp.DebugString();
  EXPECT_EQ(p.device->status(), v1::DEVICE_STATUS_UNSPECIFIED);
  EXPECT_FALSE(p.device->has_heartbeat_period());
}

TEST(DeviceCsvTest, EnumCellsReadShortNamesInAnyCaseAndFullNames) {
  v1::DeviceType t;
  EXPECT_TRUE(ParseDeviceType("Fire-Alarm-Panel", &t));
  EXPECT_EQ(t, v1::DEVICE_TYPE_FIRE_ALARM_PANEL);
  EXPECT_TRUE(ParseDeviceType("DEVICE_TYPE_GAS_DETECTOR", &t));
  EXPECT_EQ(t, v1::DEVICE_TYPE_GAS_DETECTOR);
  EXPECT_FALSE(ParseDeviceType("unspecified", &t));
  EXPECT_FALSE(ParseDeviceType("toaster", &t));
  v1::DeviceStatus s;
  EXPECT_TRUE(ParseDeviceStatus("in-service", &s));
  EXPECT_EQ(s, v1::DEVICE_STATUS_IN_SERVICE);
  bv1::FacilityKind f;
  EXPECT_TRUE(ParseFacility("electrical_monitoring", &f));
  EXPECT_EQ(f, bv1::FACILITY_KIND_ELECTRICAL_MONITORING);
}

TEST(DeviceCsvTest, HeaderReportsUnknownDuplicateAndMissingColumns) {
  v1::ImportDevicesCsvResponse resp;
  ReadDeviceHeader(Record(1, "device_id,colour,Device_ID,model"), &resp);
  std::vector<std::string> got;
  for (const auto& e : resp.errors()) {
    EXPECT_EQ(e.line(), 1);
    got.push_back(e.field() + ": " + e.message());
  }
  EXPECT_THAT(got, ::testing::UnorderedElementsAre(
                       "colour: unknown column", "device_id: duplicate column",
                       "type: required column missing", "building_id: required column missing"));
}

struct BadRow {
  std::string name;
  std::string row;
  std::string field;
};

class DeviceCsvBadRowTest : public ::testing::TestWithParam<BadRow> {};

TEST_P(DeviceCsvBadRowTest, IsReportedOnItsLineAndColumn) {
  Parsed p = Row(GetParam().row);
  EXPECT_FALSE(p.device.has_value());
  ASSERT_EQ(p.resp.errors_size(), 1) << p.resp.DebugString();
  EXPECT_EQ(p.resp.errors(0).line(), 2);
  EXPECT_EQ(p.resp.errors(0).field(), GetParam().field);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DeviceCsvBadRowTest,
    ::testing::Values(
        BadRow{"WrongFieldCount", "hp-1,hydrant_pressure,bld_1", ""},
        BadRow{"BadDeviceId", "h/1,hydrant_pressure,,,bld_1,,,,,,", "device_id"},
        BadRow{"MissingType", "hp-1,,,,bld_1,,,,,,", "type"},
        BadRow{"UnknownType", "hp-1,toaster,,,bld_1,,,,,,", "type"},
        BadRow{"MissingBuilding", "hp-1,hydrant_pressure,,,,,,,,,", "building_id"},
        BadRow{"UnknownFacility", "hp-1,hydrant_pressure,,,bld_1,,,garden,,,", "facility"},
        BadRow{"UnknownStatus", "hp-1,hydrant_pressure,,,bld_1,,,,broken,,", "status"},
        BadRow{"HeartbeatNotANumber", "hp-1,hydrant_pressure,,,bld_1,,,,,5m,",
               "heartbeat_period_s"},
        BadRow{"HeartbeatTooShort", "hp-1,hydrant_pressure,,,bld_1,,,,,10,", "heartbeat_period_s"},
        BadRow{"FloorTooLong", "hp-1,hydrant_pressure,,,bld_1,12345678901234567,,,,,", "floor"},
        BadRow{"BadGateway", "hp-1,hydrant_pressure,,,bld_1,,,,,,g#", "gateway_id"}),
    [](const ::testing::TestParamInfo<BadRow>& info) { return info.param.name; });

TEST(DeviceCsvTest, MergeAppliesThePresentColumnsAndKeepsStatusAndPeriodForEmptyCells) {
  v1::Device existing;
  existing.set_device_id("hp-1");
  existing.set_model("old");
  existing.set_floor("B2");
  existing.set_status(v1::DEVICE_STATUS_IN_SERVICE);
  existing.mutable_heartbeat_period()->set_seconds(120);
  existing.set_version(4);
  Parsed p = Row("hp-1,hydrant_pressure,new,bld_1,,",
                 "device_id,type,model,building_id,status,"
                 "heartbeat_period_s");
  ASSERT_TRUE(p.device.has_value()) << p.resp.DebugString();
  v1::ImportDevicesCsvResponse ignored;
  DeviceColumns cols = ReadDeviceHeader(
      Record(1, "device_id,type,model,building_id,status,heartbeat_period_s"), &ignored);
  v1::Device merged = MergeRow(*p.device, cols, existing);
  EXPECT_EQ(merged.model(), "new");
  EXPECT_EQ(merged.floor(), "B2");  // no floor column
  EXPECT_EQ(merged.status(), v1::DEVICE_STATUS_IN_SERVICE);
  EXPECT_EQ(merged.heartbeat_period().seconds(), 120);
  EXPECT_EQ(merged.version(), 4);
}

}  // namespace
}  // namespace firegrid::monitoring
