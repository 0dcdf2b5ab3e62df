#include "services/hazards/idempotency.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::hazards {
namespace {

using ::testing::HasSubstr;

v1::ReportHazardRequest Req() {
  v1::ReportHazardRequest r;
  r.set_building_id("bld_A");
  r.set_category(v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  r.set_severity(v1::SEVERITY_GENERAL);
  r.set_source(v1::SOURCE_GRID_INSPECTION);
  r.set_description("消防车道被私家车占用");
  r.add_evidence()->set_uri("https://evidence.example/photo1.jpg");
  r.set_idempotency_key("k1");
  return r;
}

TEST(ReportDigest, TheSameRequestHasTheSameDigestWhateverItsKey) {
  v1::ReportHazardRequest other_key = Req();
  other_key.set_idempotency_key("k2");
  EXPECT_EQ(ReportDigest(Req()), ReportDigest(other_key));
  EXPECT_EQ(ReportDigest(Req()).size(), 64u);
}

TEST(ReportDigest, AnyChangeOfTheBodyChangesTheDigest) {
  v1::ReportHazardRequest r = Req();
  r.set_description("消防车道被货车占用");
  EXPECT_NE(ReportDigest(Req()), ReportDigest(r));
  r = Req();
  r.set_building_id("bld_B");
  EXPECT_NE(ReportDigest(Req()), ReportDigest(r));
  r = Req();
  r.mutable_reporter()->set_name("张三");
  EXPECT_NE(ReportDigest(Req()), ReportDigest(r));
}

TEST(CheckSameReport, ADifferentRequestUnderTheKeyFailsNamingTheKey) {
  const std::string first = ReportDigest(Req());
  EXPECT_TRUE(CheckSameReport("k1", first, first).ok());
  v1::ReportHazardRequest r = Req();
  r.set_severity(v1::SEVERITY_MAJOR);
  absl::Status s = CheckSameReport("k1", first, ReportDigest(r));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("idempotency_key 'k1'"));
}

TEST(CheckSameReport, AKeyStoredWithoutADigestMatchesAnyRequest) {
  EXPECT_TRUE(CheckSameReport("k1", "", ReportDigest(Req())).ok());
}

TEST(IdempotencyOwner, IsTheSubjectAndForAPublicChannelItsSubjectInItsDistrict) {
  auth::Principal worker;
  worker.role = auth::Role::kCommunityWorker;
  worker.subject = "grid";
  worker.tier_path = "500109001002";
  EXPECT_EQ(IdempotencyOwner(worker), "grid");
  auth::Principal channel;
  channel.role = auth::Role::kPublicChannel;
  channel.subject = "channel:wechat";
  channel.tier_path = "500109";
  EXPECT_EQ(IdempotencyOwner(channel), "channel:wechat@500109");
}

}  // namespace
}  // namespace firegrid::hazards
