#include "tools/firegridctl/rpc.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/firegridctl/fake_building_service.h"

namespace firegrid::ctl {
namespace {

namespace bv1 = ::firegrid::buildings::v1;

using testing::FakeBuildingService;
using testing::FakeServer;
using ::testing::HasSubstr;

TEST(FindMethodTest, FindsLinkedMethodsInEveryNotation) {
  for (const char* name : {"firegrid.buildings.v1.BuildingService/GetBuilding",
                           "/firegrid.buildings.v1.BuildingService/GetBuilding",
                           "firegrid.buildings.v1.BuildingService.GetBuilding"}) {
    auto m = FindMethod(name);
    ASSERT_TRUE(m.ok()) << name;
    EXPECT_EQ((*m)->input_type()->full_name(), "firegrid.buildings.v1.GetBuildingRequest");
  }
}

TEST(FindMethodTest, UnknownMethodIsNotFound) {
  auto m = FindMethod("firegrid.buildings.v1.BuildingService/Demolish");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
}

TEST(RequestFromJsonTest, AcceptsProtoAndCamelCaseNamesAndEnumNames) {
  auto m = FindMethod("firegrid.buildings.v1.BuildingService/ListBuildings");
  ASSERT_TRUE(m.ok());
  auto r = RequestFromJson(*m, R"({"tier_path_prefix": "500109", "incompleteOnly": true,
                                   "classes": ["BUILDING_CLASS_I"]})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT((*r)->ShortDebugString(), HasSubstr("tier_path_prefix: \"500109\""));
  EXPECT_THAT((*r)->ShortDebugString(), HasSubstr("incomplete_only: true"));
  EXPECT_THAT((*r)->ShortDebugString(), HasSubstr("BUILDING_CLASS_I"));
}

TEST(RequestFromJsonTest, AcceptsEnumValuesInTheCliSpelling) {
  auto m = FindMethod("firegrid.buildings.v1.BuildingService/ListBuildings");
  ASSERT_TRUE(m.ok());
  auto r = RequestFromJson(*m, R"({"classes": ["class_i", "super_high_rise"]})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT((*r)->ShortDebugString(), HasSubstr("classes: BUILDING_CLASS_I"));
}

TEST(RequestFromJsonTest, RejectsBadJsonAndUnknownFields) {
  auto m = FindMethod("firegrid.buildings.v1.BuildingService/GetBuilding");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(RequestFromJson(*m, "{").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RequestFromJson(*m, R"({"colour": 1})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(RequestFromJson(*m, "").ok());  // empty = {}
}

TEST(HealthWireTest, EncodesServiceAndDecodesStatus) {
  EXPECT_EQ(EncodeHealthCheckRequest(""), "");
  EXPECT_EQ(EncodeHealthCheckRequest("ab"), std::string("\x0a\x02"
                                                        "ab",
                                                        4));
  EXPECT_EQ(*DecodeHealthCheckResponse(std::string("\x08\x01", 2)), 1);
  EXPECT_EQ(*DecodeHealthCheckResponse(""), 0);
  EXPECT_FALSE(DecodeHealthCheckResponse(std::string("\x08", 1)).ok());
}

class GenericCallTest : public ::testing::Test {
 protected:
  GenericCallTest() : server_(&service_) {
    bv1::Building b;
    b.set_building_id("bld_1");
    b.set_name("缙云大厦");
    service_.AddBuilding(b);
  }
  Context NewContext() {
    GlobalOptions o;
    o.addr = server_.address();
    o.token = "t0k";
    return Context(o, {}, out_, err_);
  }
  FakeBuildingService service_;
  FakeServer server_;
  std::ostringstream out_, err_;
};

TEST_F(GenericCallTest, UnaryCallByNameReturnsTheDecodedResponse) {
  Context ctx = NewContext();
  auto m = FindMethod("firegrid.buildings.v1.BuildingService/GetBuilding");
  ASSERT_TRUE(m.ok());
  auto req = RequestFromJson(*m, R"({"building_id":"bld_1"})");
  ASSERT_TRUE(req.ok());
  std::string name;
  absl::Status s = CallGeneric(ctx, *m, **req, [&](const google::protobuf::Message& r) {
    name = static_cast<const bv1::Building&>(r).name();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(name, "缙云大厦");
  EXPECT_EQ(service_.last_authorization(), "Bearer t0k");
}

TEST_F(GenericCallTest, ServerErrorKeepsCodeAndMessage) {
  Context ctx = NewContext();
  auto m = FindMethod("firegrid.buildings.v1.BuildingService/GetBuilding");
  auto req = RequestFromJson(*m, R"({"building_id":"bld_404"})");
  absl::Status s = CallGeneric(ctx, *m, **req, [](const google::protobuf::Message&) {});
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("bld_404"));
}

TEST_F(GenericCallTest, HealthCheckReportsServing) {
  Context ctx = NewContext();
  auto status = CheckHealth(ctx, "");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, 1);
}

}  // namespace
}  // namespace firegrid::ctl
