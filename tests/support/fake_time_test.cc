#include "tests/support/fake_time.h"

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::testing {
namespace {

// `date +%s` run under the shifted clock: the seconds since the epoch the child sees.
int64_t ChildSeconds(const FakeTime& clock, const TempDir& dir, const std::string& name) {
  Subprocess p;
  SubprocessOptions o;
  o.argv = {"date", "+%s"};
  o.env = clock.Env();
  o.log_dir = dir.path();
  o.name = name;
  EXPECT_TRUE(p.Start(o).ok());
  auto code = p.Wait(absl::Seconds(10));
  EXPECT_TRUE(code.ok() && *code == 0);
  std::ifstream in(p.stdout_path());
  std::stringstream ss;
  ss << in.rdbuf();
  int64_t secs = 0;
  EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(ss.str()), &secs)) << ss.str();
  return secs;
}

TEST(FakeTimeTest, ChildProcessSeesTheRealTimePlusTheAdvancedOffset) {
  TempDir dir("fake-time");
  FakeTime clock(dir.path());
  const int64_t before = absl::ToUnixSeconds(absl::Now());
  EXPECT_LE(std::abs(ChildSeconds(clock, dir, "date-0") - before), 5);

  ASSERT_TRUE(clock.Advance(absl::Hours(24 * 8)).ok());
  const int64_t expected = absl::ToUnixSeconds(absl::Now()) + 8 * 24 * 3600;
  EXPECT_LE(std::abs(ChildSeconds(clock, dir, "date-8d") - expected), 5);
  EXPECT_LE(std::abs(absl::ToUnixSeconds(clock.Now()) - expected), 5);
}

}  // namespace
}  // namespace firegrid::testing
