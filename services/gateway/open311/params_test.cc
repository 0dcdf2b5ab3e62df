#include "services/gateway/open311/params.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace firegrid::gateway::open311 {
namespace {

TEST(ParseFormTest, DecodesPlusAndPercentEscapesInOrder) {
  auto p = ParseForm("description=%E8%BD%A6%E9%81%93+blocked&lat=29.5&attribute%5Bfloor%5D=3F&x");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->find("description")->second, "车道 blocked");
  EXPECT_EQ(p->find("lat")->second, "29.5");
  EXPECT_EQ(p->find("attribute[floor]")->second, "3F");
  EXPECT_EQ(p->find("x")->second, "");
}

TEST(ParseFormTest, AMalformedEscapeNamesTheBody) {
  for (const char* body : {"a=%zz", "a=%4", "a=%"}) {
    auto p = ParseForm(body);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << body;
    EXPECT_EQ(p.status().message(), "body: malformed percent-escape") << body;
  }
}

TEST(ParseJsonBodyTest, TakesScalarsAndTheAttributeObject) {
  auto p = ParseJsonBody(R"({"lat": 29.5, "service_code": "x", "attribute": {"floor": "3F"}})");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->find("lat")->second, "29.5");
  EXPECT_EQ(p->find("service_code")->second, "x");
  EXPECT_EQ(p->find("attribute[floor]")->second, "3F");
}

TEST(ParseJsonBodyTest, RefusesNestedValuesNamingTheMember) {
  EXPECT_EQ(ParseJsonBody(R"({"lat": [1]})").status().message(),
            "lat: must be a string or a number");
  EXPECT_EQ(ParseJsonBody("[1]").status().message(), "body: must be a JSON object");
}

TEST(W3cDateTimeTest, ParsesOffsetsZuluFractionsAndDates) {
  const absl::Time t = absl::FromUnixSeconds(1'796'000'000);
  EXPECT_EQ(*ParseW3cDateTime(FormatW3cDateTime(t), "start_date"), t);
  EXPECT_EQ(*ParseW3cDateTime("2026-12-01T00:30:00Z", "start_date"),
            *ParseW3cDateTime("2026-12-01T08:30:00+08:00", "start_date"));
  EXPECT_EQ(*ParseW3cDateTime("2026-12-01T00:30:00.5Z", "start_date"),
            *ParseW3cDateTime("2026-12-01T00:30:00Z", "start_date") + absl::Milliseconds(500));
  EXPECT_EQ(*ParseW3cDateTime("2026-12-01", "start_date"),
            *ParseW3cDateTime("2026-12-01T00:00:00+08:00", "start_date"));
  EXPECT_EQ(FormatW3cDateTime(*ParseW3cDateTime("2026-12-01T00:30:00Z", "x")),
            "2026-12-01T08:30:00+08:00");
}

TEST(W3cDateTimeTest, RefusesOtherTextNamingTheField) {
  for (const char* s : {"yesterday", "2026-12-01 08:30", "2026-13-01", "1701234567"}) {
    auto t = ParseW3cDateTime(s, "end_date");
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(absl::StartsWith(t.status().message(), "end_date: ")) << s;
  }
}

}  // namespace
}  // namespace firegrid::gateway::open311
