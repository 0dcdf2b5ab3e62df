#include "services/hazards/validation.h"

#include <cmath>
#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::hazards {
namespace {

using ::testing::HasSubstr;

auth::Principal Worker() {
  auth::Principal p;
  p.role = auth::Role::kCommunityWorker;
  p.tier_path = "500109001002";
  p.subject = "grid";
  return p;
}

v1::ReportHazardRequest Good() {
  v1::ReportHazardRequest r;
  r.set_building_id("bld_A");
  r.set_category(v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  r.set_severity(v1::SEVERITY_GENERAL);
  r.set_source(v1::SOURCE_GRID_INSPECTION);
  r.set_description("消防车道被私家车占用");
  r.add_evidence()->set_uri("https://evidence.example/photo1.jpg");
  return r;
}

TEST(ValidateReport, AWellFormedReportPasses) {
  EXPECT_TRUE(ValidateReport(Worker(), Good()).ok());
}

struct BadReport {
  std::string name;
  std::function<void(v1::ReportHazardRequest*)> edit;
  absl::StatusCode code;
  std::string names;  // what the message must name
};

void PrintTo(const BadReport& b, std::ostream* os) { *os << b.name; }

class BadReportTest : public ::testing::TestWithParam<BadReport> {};

TEST_P(BadReportTest, IsRefusedNamingTheField) {
  v1::ReportHazardRequest r = Good();
  GetParam().edit(&r);
  absl::Status s = ValidateReport(Worker(), r);
  EXPECT_EQ(s.code(), GetParam().code) << s;
  EXPECT_THAT(s.message(), HasSubstr(GetParam().names));
}

INSTANTIATE_TEST_SUITE_P(
    Report, BadReportTest,
    ::testing::Values(
        BadReport{"NotABuildingId", [](auto* r) { r->set_building_id("hzd_1"); },
                  absl::StatusCode::kInvalidArgument, "building_id"},
        BadReport{"NoCategory", [](auto* r) { r->clear_category(); },
                  absl::StatusCode::kInvalidArgument, "category"},
        BadReport{"NoSeverity", [](auto* r) { r->clear_severity(); },
                  absl::StatusCode::kInvalidArgument, "severity"},
        BadReport{"NoSource", [](auto* r) { r->clear_source(); },
                  absl::StatusCode::kInvalidArgument, "source"},
        BadReport{"BlankDescription", [](auto* r) { r->set_description("  "); },
                  absl::StatusCode::kInvalidArgument, "description"},
        BadReport{"ControlCharacterInDescription", [](auto* r) { r->set_description("a\x01"); },
                  absl::StatusCode::kInvalidArgument, "description"},
        BadReport{"EvidenceNotAUrlOrDigest",
                  [](auto* r) { r->mutable_evidence(0)->set_uri("ftp://x"); },
                  absl::StatusCode::kInvalidArgument, "evidence[0].uri"},
        BadReport{"ShortDigest", [](auto* r) { r->mutable_evidence(0)->set_uri("sha256:ab"); },
                  absl::StatusCode::kInvalidArgument, "evidence[0].uri"},
        BadReport{"ReporterSubjectSent",
                  [](auto* r) { r->mutable_reporter()->set_subject("someone"); },
                  absl::StatusCode::kInvalidArgument, "reporter.subject"},
        BadReport{"AnonymousButNotATipOff",
                  [](auto* r) { r->mutable_reporter()->set_anonymous(true); },
                  absl::StatusCode::kInvalidArgument, "reporter.anonymous"},
        BadReport{"AnonymousTipOffWithAName",
                  [](auto* r) {
                    r->set_source(v1::SOURCE_PUBLIC_TIP_OFF);
                    r->mutable_reporter()->set_anonymous(true);
                    r->mutable_reporter()->set_name("张三");
                  },
                  absl::StatusCode::kInvalidArgument, "reporter"},
        BadReport{"IotFromACommunityWorker", [](auto* r) { r->set_source(v1::SOURCE_IOT); },
                  absl::StatusCode::kPermissionDenied, "IoT"},
        BadReport{"IdempotencyKeyTooLong",
                  [](auto* r) { r->set_idempotency_key(std::string(129, 'k')); },
                  absl::StatusCode::kInvalidArgument, "idempotency_key"}),
    [](const ::testing::TestParamInfo<BadReport>& info) { return info.param.name; });

auth::Principal Channel() {
  auth::Principal p;
  p.role = auth::Role::kPublicChannel;
  p.tier_path = "500109";
  p.subject = "channel:wechat";
  return p;
}

v1::ReportHazardRequest PublicReport() {
  v1::ReportHazardRequest r = Good();
  r.set_source(v1::SOURCE_PUBLIC_TIP_OFF);
  r.clear_building_id();
  r.set_unmatched_tier_path("500109001");
  r.mutable_location()->set_latitude(29.53);
  r.mutable_location()->set_longitude(106.55);
  r.mutable_location()->set_address("某路 1 号");
  r.mutable_reporter()->set_contact("13800000000");
  return r;
}

TEST(ValidateReport, APublicReportWithAPlaceAndABuildingOrAStreetPasses) {
  EXPECT_TRUE(ValidateReport(Channel(), PublicReport()).ok());
  v1::ReportHazardRequest district = PublicReport();
  district.set_unmatched_tier_path("500109");
  EXPECT_TRUE(ValidateReport(Channel(), district).ok());
  v1::ReportHazardRequest matched = PublicReport();
  matched.clear_unmatched_tier_path();
  matched.set_building_id("bld_A");
  EXPECT_TRUE(ValidateReport(Channel(), matched).ok());
  v1::ReportHazardRequest address_only = PublicReport();
  address_only.mutable_location()->clear_latitude();
  address_only.mutable_location()->clear_longitude();
  EXPECT_TRUE(ValidateReport(Channel(), address_only).ok());
}

class BadPublicReportTest : public ::testing::TestWithParam<BadReport> {};

TEST_P(BadPublicReportTest, IsRefusedNamingTheField) {
  v1::ReportHazardRequest r = PublicReport();
  GetParam().edit(&r);
  absl::Status s = ValidateReport(Channel(), r);
  EXPECT_EQ(s.code(), GetParam().code) << s;
  EXPECT_THAT(s.message(), HasSubstr(GetParam().names));
}

INSTANTIATE_TEST_SUITE_P(
    PublicChannel, BadPublicReportTest,
    ::testing::Values(
        BadReport{"NotATipOff", [](auto* r) { r->set_source(v1::SOURCE_GRID_INSPECTION); },
                  absl::StatusCode::kPermissionDenied, "public tip-offs only"},
        BadReport{"NoLocation", [](auto* r) { r->clear_location(); },
                  absl::StatusCode::kInvalidArgument, "location"},
        BadReport{"LatitudeOutOfRange", [](auto* r) { r->mutable_location()->set_latitude(91); },
                  absl::StatusCode::kInvalidArgument, "location.latitude"},
        BadReport{"LatitudeNotANumber",
                  [](auto* r) { r->mutable_location()->set_latitude(std::nan("")); },
                  absl::StatusCode::kInvalidArgument, "location.latitude"},
        BadReport{"LongitudeOutOfRange",
                  [](auto* r) { r->mutable_location()->set_longitude(-180.5); },
                  absl::StatusCode::kInvalidArgument, "location.longitude"},
        BadReport{"AddressTooLong",
                  [](auto* r) { r->mutable_location()->set_address(std::string(501, 'a')); },
                  absl::StatusCode::kInvalidArgument, "location.address"},
        BadReport{"NeitherCoordinatesNorAddress", [](auto* r) { r->mutable_location()->Clear(); },
                  absl::StatusCode::kInvalidArgument, "coordinates or an address"},
        BadReport{"NoBuildingAndNoTier", [](auto* r) { r->clear_unmatched_tier_path(); },
                  absl::StatusCode::kInvalidArgument, "unmatched_tier_path"},
        BadReport{"UnmatchedAtACommunity",
                  [](auto* r) { r->set_unmatched_tier_path("500109001002"); },
                  absl::StatusCode::kInvalidArgument, "unmatched_tier_path"},
        BadReport{"BuildingAndUnmatchedTier", [](auto* r) { r->set_building_id("bld_A"); },
                  absl::StatusCode::kInvalidArgument, "unmatched_tier_path"},
        BadReport{"NotABuildingId",
                  [](auto* r) {
                    r->clear_unmatched_tier_path();
                    r->set_building_id("hzd_1");
                  },
                  absl::StatusCode::kInvalidArgument, "building_id"}),
    [](const ::testing::TestParamInfo<BadReport>& info) { return info.param.name; });

TEST(ValidateReport, OnlyPublicChannelsGiveAPlaceOrReportWithoutABuilding) {
  v1::ReportHazardRequest unmatched = PublicReport();
  absl::Status s = ValidateReport(Worker(), unmatched);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("building_id"));
  v1::ReportHazardRequest with_place = Good();
  *with_place.mutable_location() = PublicReport().location();
  EXPECT_EQ(ValidateReport(Worker(), with_place).code(), absl::StatusCode::kPermissionDenied);
  v1::ReportHazardRequest with_tier = Good();
  with_tier.set_unmatched_tier_path("500109001");
  EXPECT_EQ(ValidateReport(Worker(), with_tier).code(), absl::StatusCode::kPermissionDenied);
}

TEST(ValidateMatch, NamesTheHazardTheBuildingAndTheNote) {
  v1::MatchPublicReportRequest r;
  r.set_hazard_id("hzd_1");
  r.set_building_id("bld_A");
  EXPECT_TRUE(ValidateMatch(r).ok());
  r.set_note(std::string(2001, 'n'));
  EXPECT_THAT(ValidateMatch(r).message(), HasSubstr("note"));
  r.clear_note();
  r.set_building_id("500109001");
  EXPECT_THAT(ValidateMatch(r).message(), HasSubstr("building_id"));
  r.set_hazard_id("bld_A");
  EXPECT_THAT(ValidateMatch(r).message(), HasSubstr("hazard_id"));
}

auth::Principal Monitoring() {
  auth::Principal p;
  p.role = auth::Role::kInternalService;
  p.subject = "service:monitoring";
  return p;
}

v1::ReportHazardRequest FromDeviceAlarm() {
  v1::ReportHazardRequest r = Good();
  r.set_category(v1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER);
  r.set_source(v1::SOURCE_IOT);
  r.clear_evidence();
  v1::DeviceAlarmRef* a = r.mutable_device_alarm();
  a->set_alarm_id("alm_01JD8X3K5Q7R9T2V4W6Y8Z0A1B");
  a->set_device_id("bld_A.hydrant-p.3F");
  a->set_alarm_type("ALARM_TYPE_LOW_PRESSURE");
  a->set_rule_id("hydrant-pressure-low");
  a->set_details("0.08 MPa < 0.10 MPa for 10 min");
  return r;
}

TEST(ValidateReport, ADeviceAlarmReportFromAnInternalServicePasses) {
  EXPECT_TRUE(ValidateReport(Monitoring(), FromDeviceAlarm()).ok());
}

TEST(ValidateReport, ADeviceAlarmFromAnyRoleButInternalServiceIsPermissionDenied) {
  for (auth::Role role :
       {auth::Role::kDistrictAdmin, auth::Role::kDepartmentOfficer, auth::Role::kStreetOfficer,
        auth::Role::kCommunityWorker, auth::Role::kBuildingManager, auth::Role::kServiceAgency,
        auth::Role::kMicroStation, auth::Role::kIotGateway}) {
    auth::Principal p = Monitoring();
    p.role = role;
    EXPECT_EQ(ValidateReport(p, FromDeviceAlarm()).code(), absl::StatusCode::kPermissionDenied)
        << auth::RoleName(role);
  }
}

class BadDeviceAlarmTest : public ::testing::TestWithParam<BadReport> {};

TEST_P(BadDeviceAlarmTest, IsRefusedNamingTheField) {
  v1::ReportHazardRequest r = FromDeviceAlarm();
  GetParam().edit(&r);
  absl::Status s = ValidateReport(Monitoring(), r);
  EXPECT_EQ(s.code(), GetParam().code) << s;
  EXPECT_THAT(s.message(), HasSubstr(GetParam().names));
}

INSTANTIATE_TEST_SUITE_P(
    DeviceAlarm, BadDeviceAlarmTest,
    ::testing::Values(
        BadReport{"SourceNotIot", [](auto* r) { r->set_source(v1::SOURCE_GRID_INSPECTION); },
                  absl::StatusCode::kInvalidArgument, "device_alarm"},
        BadReport{"NoAlarmId", [](auto* r) { r->mutable_device_alarm()->clear_alarm_id(); },
                  absl::StatusCode::kInvalidArgument, "device_alarm.alarm_id"},
        BadReport{"AlarmIdWithoutPrefix",
                  [](auto* r) { r->mutable_device_alarm()->set_alarm_id("hzd_01"); },
                  absl::StatusCode::kInvalidArgument, "device_alarm.alarm_id"},
        BadReport{"AlarmIdWithABadCharacter",
                  [](auto* r) { r->mutable_device_alarm()->set_alarm_id("alm_01/../x"); },
                  absl::StatusCode::kInvalidArgument, "device_alarm.alarm_id"},
        BadReport{
            "AlarmIdTooLong",
            [](auto* r) { r->mutable_device_alarm()->set_alarm_id("alm_" + std::string(61, 'A')); },
            absl::StatusCode::kInvalidArgument, "device_alarm.alarm_id"},
        BadReport{"DeviceIdTooShort",
                  [](auto* r) { r->mutable_device_alarm()->set_device_id("ab"); },
                  absl::StatusCode::kInvalidArgument, "device_alarm.device_id"},
        BadReport{"DeviceIdTooLong",
                  [](auto* r) { r->mutable_device_alarm()->set_device_id(std::string(65, 'd')); },
                  absl::StatusCode::kInvalidArgument, "device_alarm.device_id"},
        BadReport{"DeviceIdWithASpace",
                  [](auto* r) { r->mutable_device_alarm()->set_device_id("dev 1"); },
                  absl::StatusCode::kInvalidArgument, "device_alarm.device_id"},
        BadReport{"AlarmTypeNotAnEnumName",
                  [](auto* r) { r->mutable_device_alarm()->set_alarm_type("low pressure"); },
                  absl::StatusCode::kInvalidArgument, "device_alarm.alarm_type"},
        BadReport{"RuleIdWithASlash",
                  [](auto* r) { r->mutable_device_alarm()->set_rule_id("a/b"); },
                  absl::StatusCode::kInvalidArgument, "device_alarm.rule_id"},
        BadReport{"DetailsTooLong",
                  [](auto* r) { r->mutable_device_alarm()->set_details(std::string(1001, 'x')); },
                  absl::StatusCode::kInvalidArgument, "device_alarm.details"},
        BadReport{"ClearedAtSent",
                  [](auto* r) { r->mutable_device_alarm()->mutable_cleared_at()->set_seconds(1); },
                  absl::StatusCode::kInvalidArgument, "device_alarm.cleared_at"}),
    [](const ::testing::TestParamInfo<BadReport>& info) { return info.param.name; });

TEST(ValidateNoteDeviceAlarmCleared, NamesTheFieldThatIsWrong) {
  v1::NoteDeviceAlarmClearedRequest r;
  r.set_hazard_id("hzd_01");
  r.set_alarm_id("alm_01");
  r.set_note("pressure back to 0.14 MPa");
  EXPECT_TRUE(ValidateNoteDeviceAlarmCleared(r).ok());
  v1::NoteDeviceAlarmClearedRequest bad = r;
  bad.set_hazard_id("alm_01");
  EXPECT_THAT(ValidateNoteDeviceAlarmCleared(bad).message(), HasSubstr("hazard_id"));
  bad = r;
  bad.set_alarm_id("alm_");
  EXPECT_THAT(ValidateNoteDeviceAlarmCleared(bad).message(), HasSubstr("alarm_id"));
  bad = r;
  bad.set_note(std::string(1001, 'n'));
  EXPECT_THAT(ValidateNoteDeviceAlarmCleared(bad).message(), HasSubstr("note"));
  bad = r;
  bad.set_note("a\x01");
  EXPECT_EQ(ValidateNoteDeviceAlarmCleared(bad).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidateEvidence, AcceptsAtMostTwentyItems) {
  google::protobuf::RepeatedPtrField<v1::Evidence> evidence;
  for (int i = 0; i < 20; ++i) evidence.Add()->set_uri("sha256:" + std::string(64, 'a'));
  EXPECT_TRUE(ValidateEvidence(evidence, "evidence").ok());
  evidence.Add()->set_uri("https://evidence.example/21.jpg");
  EXPECT_THAT(ValidateEvidence(evidence, "evidence").message(), HasSubstr("at most 20"));
}

TEST(ValidateStatisticsScope, OnlyDistrictStreetOrCommunityCodes) {
  for (const char* ok : {"500109", "500109001", "500109001002"}) {
    EXPECT_TRUE(ValidateStatisticsScope(ok).ok()) << ok;
  }
  for (const char* bad : {"", "5", "5001090", "50010900100a"}) {
    EXPECT_THAT(ValidateStatisticsScope(bad).message(), HasSubstr("tier_path")) << bad;
  }
}

TEST(NormalizedLiableParty, UpperCasesAndTrimsAValidParty) {
  subjects::v1::Party p;
  p.set_role(subjects::v1::PARTY_ROLE_MANAGEMENT_UNIT);
  p.set_name("  某物业服务有限公司 ");
  p.set_credit_code(" 91350100m000100y43");
  auto out = NormalizedLiableParty(p);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->credit_code(), "91350100M000100Y43");
  EXPECT_EQ(out->name(), "某物业服务有限公司");
}

TEST(NormalizedLiableParty, ErrorsNameTheLiablePartyField) {
  subjects::v1::Party p;
  p.set_role(subjects::v1::PARTY_ROLE_MANAGEMENT_UNIT);
  p.set_name("某物业服务有限公司");
  p.set_credit_code("91350100M000100Y44");  // wrong check character
  absl::Status s = NormalizedLiableParty(p).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("liable_party.credit_code"));

  p.set_credit_code("91350100M000100Y43");
  p.clear_role();
  s = NormalizedLiableParty(p).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("liable_party.role"));

  p.set_role(subjects::v1::PARTY_ROLE_OCCUPANT);
  p.clear_credit_code();
  p.set_person_id("110105194912310021");  // wrong check character
  s = NormalizedLiableParty(p).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("liable_party.person_id"));
}

}  // namespace
}  // namespace firegrid::hazards
