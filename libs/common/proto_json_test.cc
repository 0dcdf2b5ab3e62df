#include "libs/common/proto_json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testdata/proto_json_test.pb.h"

namespace firegrid {
namespace {

namespace tpb = ::firegrid::common::testing;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(EnumLabelTest, DropsThePrefixAndKeepsPrefixWordsWhileShorterThanThreeLetters) {
  const auto* type = tpb::Shade_descriptor();
  EXPECT_EQ(EnumPrefix(type), "SHADE_");
  EXPECT_EQ(EnumLabel(type, tpb::SHADE_DARK_RED), "dark_red");
  EXPECT_EQ(EnumLabel(type, tpb::SHADE_I), "shade_i");
  EXPECT_EQ(EnumLabel(type, 99), "99");
}

TEST(MessageToJsonTest, WritesEveryEnumValueAsItsLabel) {
  tpb::Sample s;
  s.set_shade(tpb::SHADE_DARK_RED);
  s.add_shades(tpb::SHADE_I);
  s.add_shades(tpb::SHADE_DARK_RED);
  (*s.mutable_shade_by_name())["a"] = tpb::SHADE_I;
  s.mutable_inner()->set_shade(tpb::SHADE_I);
  s.add_inners()->set_shade(tpb::SHADE_DARK_RED);
  s.set_name("SHADE_I");  // a string that looks like an enum name stays as it is
  absl::StatusOr<std::string> json = MessageToJson(s);
  ASSERT_TRUE(json.ok()) << json.status();
  const nlohmann::json j = nlohmann::json::parse(*json);
  EXPECT_EQ(j["shade"], "dark_red");
  EXPECT_EQ(j["shades"], nlohmann::json({"shade_i", "dark_red"}));
  EXPECT_EQ(j["shade_by_name"]["a"], "shade_i");
  EXPECT_EQ(j["inner"]["shade"], "shade_i");
  EXPECT_EQ(j["inners"][0]["shade"], "dark_red");
  EXPECT_EQ(j["name"], "SHADE_I");
  EXPECT_THAT(*json, Not(HasSubstr("SHADE_DARK_RED")));
}

TEST(MessageToJsonTest, KeepsProtoFieldNamesDefaultsAndRfc3339Timestamps) {
  tpb::Sample s;
  s.mutable_at()->set_seconds(1714924800);  // 2024-05-05T16:00:00Z
  s.set_count(7);
  absl::StatusOr<std::string> json = MessageToJson(s);
  ASSERT_TRUE(json.ok()) << json.status();
  const nlohmann::json j = nlohmann::json::parse(*json);
  EXPECT_EQ(j["at"], "2024-05-05T16:00:00Z");
  EXPECT_EQ(j["count"], "7");
  EXPECT_EQ(j["shade"], "unspecified");  // the default is printed, labelled too
  EXPECT_TRUE(j.contains("shade_by_name"));
  EXPECT_THAT(*json, HasSubstr("\n  \"shade\": "));
}

TEST(MessageToJsonTest, OneLineStyleHasNoNewlines) {
  tpb::Sample s;
  s.set_shade(tpb::SHADE_I);
  absl::StatusOr<std::string> json = MessageToJson(s, {.multiline = false});
  ASSERT_TRUE(json.ok());
  EXPECT_THAT(*json, Not(HasSubstr("\n")));
  EXPECT_THAT(*json, HasSubstr(R"("shade":"shade_i")"));
}

TEST(JsonToMessageTest, ReadsBackWhatMessageToJsonWrites) {
  tpb::Sample s;
  s.set_shade(tpb::SHADE_DARK_RED);
  s.add_shades(tpb::SHADE_I);
  (*s.mutable_shade_by_name())["a"] = tpb::SHADE_I;
  s.add_inners()->set_shade(tpb::SHADE_I);
  s.mutable_at()->set_seconds(1714924800);
  tpb::Sample back;
  ASSERT_TRUE(JsonToMessage(*MessageToJson(s), &back).ok());
  EXPECT_EQ(back.SerializeAsString(), s.SerializeAsString());
}

TEST(JsonToMessageTest, AcceptsFullNamesCamelCaseAndRejectsUnknownValuesNamingThem) {
  tpb::Sample s;
  ASSERT_TRUE(JsonToMessage(R"({"shade": "SHADE_I", "shadeByName": {"x": "dark_red"}})", &s).ok());
  EXPECT_EQ(s.shade(), tpb::SHADE_I);
  EXPECT_EQ(s.shade_by_name().at("x"), tpb::SHADE_DARK_RED);
  absl::Status bad = JsonToMessage(R"({"shade": "purple"})", &s);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("purple"));
  EXPECT_EQ(JsonToMessage("{", &s).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace firegrid
