#include "tests/faults/report.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/temp_dir.h"

namespace firegrid::faults {
namespace {

TEST(FaultReportTest, CyclesIsTheShortDefaultUnlessTheFullRunSetsThem) {
  unsetenv("FIREGRID_FAULTS_CYCLES");
  EXPECT_EQ(Cycles(3), 3);
  EXPECT_FALSE(FullRun());
  setenv("FIREGRID_FAULTS_CYCLES", "30", 1);
  EXPECT_EQ(Cycles(3), 30);
  EXPECT_TRUE(FullRun());
  setenv("FIREGRID_FAULTS_CYCLES", "zero", 1);
  EXPECT_EQ(Cycles(3), 3);
  unsetenv("FIREGRID_FAULTS_CYCLES");
}

TEST(FaultReportTest, ReportAppendsOneJsonLinePerExperimentToTheReportFile) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/figures.jsonl";
  setenv("FIREGRID_FAULTS_REPORT", path.c_str(), 1);
  Figures a{.experiment = "kill -9 hazards", .cycles = 3, .writes = 120, .acknowledged = 118};
  a.recovery_max = absl::Milliseconds(850);
  a.extra = {{"refused", "2"}};
  Report(a);
  Report(Figures{.experiment = "broker down 60 s",
                 .cycles = 1,
                 .writes = 10,
                 .acknowledged = 10,
                 .duplicated = 1});
  unsetenv("FIREGRID_FAULTS_REPORT");

  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  auto first = nlohmann::json::parse(line);
  EXPECT_EQ(first["experiment"], "kill -9 hazards");
  EXPECT_EQ(first["acknowledged"], 118);
  EXPECT_EQ(first["lost"], 0);
  EXPECT_EQ(first["recovery_max_ms"], 850);
  EXPECT_EQ(first["extra"]["refused"], "2");
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(nlohmann::json::parse(line)["duplicated"], 1);
  EXPECT_FALSE(std::getline(in, line));
}

}  // namespace
}  // namespace firegrid::faults
