#include "libs/redis/counters.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::redis {
namespace {

using ::testing::ElementsAre;

CounterSnapshot Of(const std::string& field, int64_t n, const std::string& member = "",
                   double score = 0) {
  CounterSnapshot s;
  s.hashes["c:a"][field] = n;
  if (!member.empty()) s.sets["c:due"][member] = score;
  return s;
}

TEST(CounterDelta, ChangesOfManyRecordsAreSummedIntoOneIncrementPerField) {
  CounterDelta d;
  d.Add({}, Of("open", 1, "h1", 10));
  d.Add({}, Of("open", 1, "h2", 20));
  d.Add(Of("open", 1), Of("closed", 1));  // a third record moves from open to closed
  AtomicWrite w;
  d.AppendTo("c", &w);
  EXPECT_THAT(w.commands, ElementsAre(ElementsAre("HINCRBY", "c:a", "closed", "1"),
                                      ElementsAre("HINCRBY", "c:a", "open", "1"),
                                      ElementsAre("ZADD", "c:due", "10", "h1", "20", "h2"),
                                      ElementsAre("INCR", "c:gen")));
}

TEST(CounterDelta, ARecordThatCountsTheSameWritesNothingAndLeavesTheGenerationAlone) {
  CounterDelta d;
  d.Add(Of("open", 1, "h1", 10), Of("open", 1, "h1", 10));
  EXPECT_TRUE(d.empty());
  AtomicWrite w;
  d.AppendTo("c", &w);
  EXPECT_TRUE(w.commands.empty());
}

TEST(CounterDelta, AMemberLeavingItsSetIsRemovedAndAMovedScoreIsWrittenAgain) {
  CounterDelta d;
  d.Add(Of("open", 1, "h1", 10), Of("closed", 1));
  d.Add(Of("open", 1, "h2", 10), Of("open", 1, "h2", 30));
  AtomicWrite w;
  d.AppendTo("c", &w);
  EXPECT_THAT(
      w.commands,
      ElementsAre(ElementsAre("HINCRBY", "c:a", "closed", "1"),
                  ElementsAre("HINCRBY", "c:a", "open", "-1"), ElementsAre("ZREM", "c:due", "h1"),
                  ElementsAre("ZADD", "c:due", "30", "h2"), ElementsAre("INCR", "c:gen")));
}

TEST(CounterSnapshot, MergeAddsCountsAndDropZerosLeavesOnlyWhatCounts) {
  CounterSnapshot s = Of("open", 1, "h1", 10);
  s.Merge(Of("open", -1));
  s.Merge(Of("closed", 2, "h2", 5));
  s.DropZeros();
  EXPECT_EQ(s.hashes.at("c:a").size(), 1u);
  EXPECT_EQ(s.hashes.at("c:a").at("closed"), 2);
  EXPECT_EQ(s.sets.at("c:due").size(), 2u);
}

TEST(DiffCounters, NamesEveryCountAndMemberThatDiffersWithBothValuesAndNothingThatAgrees) {
  CounterSnapshot live = Of("open", 3, "h1", 10);
  live.hashes["c:a"]["closed"] = 1;  // agrees
  live.hashes["c:b"]["stale"] = 2;   // only live
  live.sets["c:due"]["h9"] = 40;     // only live
  CounterSnapshot rebuilt = Of("open", 2, "h1", 15);
  rebuilt.hashes["c:a"]["closed"] = 1;
  rebuilt.hashes["c:c"]["missing"] = 4;  // only rebuilt
  EXPECT_THAT(DiffCounters(live, rebuilt), ElementsAre(CounterDifference{"c:a", "open", "3", "2"},
                                                       CounterDifference{"c:b", "stale", "2", ""},
                                                       CounterDifference{"c:c", "missing", "", "4"},
                                                       CounterDifference{"c:due", "h1", "10", "15"},
                                                       CounterDifference{"c:due", "h9", "40", ""}));
}

TEST(DiffCounters, AZeroCountIsTheSameAsNoCount) {
  CounterSnapshot live = Of("open", 0);
  EXPECT_TRUE(DiffCounters(live, CounterSnapshot()).empty());
  EXPECT_TRUE(DiffCounters(Of("open", 1, "h1", 10), Of("open", 1, "h1", 10)).empty());
}

}  // namespace
}  // namespace firegrid::redis
