#include "libs/common/trace.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/logging.h"

namespace firegrid::trace {
namespace {

constexpr char kValid[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(ParseTraceparent, ReadsTheSpecExample) {
  std::optional<Context> c = ParseTraceparent(kValid);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(c->span_id, "00f067aa0ba902b7");
  EXPECT_EQ(c->flags, 0x01);
  EXPECT_EQ(FormatTraceparent(*c), kValid);
}

TEST(ParseTraceparent, KeepsFlagsOtherThanSampled) {
  std::optional<Context> c =
      ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->flags, 0x00);
  EXPECT_EQ(FormatTraceparent(*c), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
}

TEST(ParseTraceparent, ReadsALaterVersionByItsFirstFourFields) {
  EXPECT_TRUE(ParseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")
                  .has_value());
  EXPECT_FALSE(
      ParseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x").has_value());
}

struct InvalidCase {
  std::string name;
  std::string header;
};

class InvalidTraceparent : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidTraceparent, IsRejected) {
  EXPECT_FALSE(ParseTraceparent(GetParam().header).has_value()) << GetParam().header;
}

INSTANTIATE_TEST_SUITE_P(
    W3CVersion00, InvalidTraceparent,
    ::testing::Values(
        InvalidCase{"Empty", ""},
        InvalidCase{"UppercaseHex", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"},
        InvalidCase{"AllZeroTraceId", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
        InvalidCase{"AllZeroSpanId", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"},
        InvalidCase{"VersionFF", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
        InvalidCase{"Version00WithTrailingData",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"},
        InvalidCase{"ShortTraceId", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"},
        InvalidCase{"NonHexSpanId", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01"},
        InvalidCase{"WrongSeparator", "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
        InvalidCase{"UppercaseFlags", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"},
        InvalidCase{"NonHexVersion", "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) { return info.param.name; });

TEST(ContinueOrStart, ContinuesAValidParentAsAChildSpanWithItsTracestate) {
  Context c = ContinueOrStart(kValid, "congo=t61rcWkgMzE");
  EXPECT_EQ(c.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(c.span_id, "00f067aa0ba902b7");
  EXPECT_EQ(c.span_id.size(), 16u);
  EXPECT_EQ(c.tracestate, "congo=t61rcWkgMzE");
}

TEST(ContinueOrStart, StartsANewTraceForAnInvalidParentAndDropsItsTracestate) {
  Context c = ContinueOrStart("00-00000000000000000000000000000000-00f067aa0ba902b7-01", "a=b");
  EXPECT_TRUE(ParseTraceparent(FormatTraceparent(c)).has_value());
  EXPECT_NE(c.trace_id, "00000000000000000000000000000000");
  EXPECT_EQ(c.tracestate, "");
  EXPECT_NE(NewRoot().trace_id, NewRoot().trace_id);
}

TEST(BoundTracestate, DropsOversizedOrTooManyMembersOrControlCharacters) {
  EXPECT_EQ(BoundTracestate("a=1,b=2"), "a=1,b=2");
  EXPECT_EQ(BoundTracestate(std::string(kMaxTracestateBytes + 1, 'a')), "");
  std::string many;
  for (int i = 0; i < 33; ++i) many += (i ? ",k" : "k") + std::to_string(i) + "=v";
  EXPECT_EQ(BoundTracestate(many), "");
  EXPECT_EQ(BoundTracestate("a=1\nb=2"), "");
}

TEST(Scope, MakesTheContextCurrentOnThisThreadOnlyAndRestoresThePreviousOne) {
  EXPECT_EQ(Current(), nullptr);
  EXPECT_EQ(CurrentTraceparent(), "");
  Context outer = NewRoot();
  {
    Scope a(outer);
    ASSERT_NE(Current(), nullptr);
    EXPECT_EQ(Current()->trace_id, outer.trace_id);
    const Context* seen_elsewhere = &outer;
    std::thread([&] { seen_elsewhere = Current(); }).join();
    EXPECT_EQ(seen_elsewhere, nullptr);
    {
      Scope b(Child(outer));
      EXPECT_EQ(Current()->trace_id, outer.trace_id);
      EXPECT_NE(Current()->span_id, outer.span_id);
    }
    EXPECT_EQ(CurrentTraceparent(), FormatTraceparent(outer));
  }
  EXPECT_EQ(Current(), nullptr);
}

TEST(Logging, LinesCarryTheCurrentTraceAndSpanIds) {
  std::vector<std::string> lines;
  log::SetSink([&](std::string_view l) { lines.emplace_back(l); });
  log::Info("outside");
  Context c = ContinueOrStart(kValid, "");
  {
    Scope s(c);
    log::Info("inside");
  }
  log::SetSink(nullptr);
  ASSERT_EQ(lines.size(), 2u);
  nlohmann::json outside = nlohmann::json::parse(lines[0]);
  nlohmann::json inside = nlohmann::json::parse(lines[1]);
  EXPECT_FALSE(outside.contains("trace_id"));
  EXPECT_EQ(inside["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(inside["span_id"], c.span_id);
}

}  // namespace
}  // namespace firegrid::trace
