#include "tools/firegridctl/table.h"

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace firegrid::ctl {
namespace {

TEST(DisplayWidthTest, CountsChineseCharactersAsTwoCells) {
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("天生街道"), 8u);
  EXPECT_EQ(DisplayWidth("A栋（北）"), 9u);  // full-width parentheses are wide too
  EXPECT_EQ(DisplayWidth("é"), 1u);
}

TEST(DisplayWidthTest, CountsInvalidBytesOneCellEach) {
  EXPECT_EQ(DisplayWidth(std::string("\xff\xfe", 2)), 2u);
  EXPECT_EQ(DisplayWidth(std::string("\xe5\xa4", 2)), 2u);  // truncated sequence
}

TEST(TableTest, PadsColumnsToTheWidestCellWithTwoSpaces) {
  Table t({"CODE", "NAME"});
  t.AddRow({"500109001", "x"});
  t.AddRow({"1", "long name"});
  EXPECT_EQ(t.Render(),
            "CODE       NAME\n"
            "500109001  x\n"
            "1          long name\n");
}

TEST(TableTest, AlignsChineseTextByDisplayWidth) {
  Table t({"NAME", "N"});
  t.AddRow({"天生街道", "1"});
  t.AddRow({"abc", "2"});
  EXPECT_EQ(t.Render(),
            "NAME      N\n"
            "天生街道  1\n"
            "abc       2\n");
}

TEST(TableTest, RightAlignedColumnPadsOnTheLeft) {
  Table t({"NAME", "HEIGHT"});
  t.AlignRight(1);
  t.AddRow({"a", "9.5"});
  t.AddRow({"b", "120"});
  EXPECT_EQ(t.Render(),
            "NAME  HEIGHT\n"
            "a        9.5\n"
            "b        120\n");
}

TEST(TableTest, EmptyTableRendersHeaderAndShortRowsRenderEmptyCells) {
  Table t({"A", "B"});
  EXPECT_EQ(t.Render(), "A  B\n");
  t.AddRow({"x"});
  EXPECT_EQ(t.Render(), "A  B\nx\n");
}

// Restores the process-wide width after a test changes it.
class TableWidthTest : public ::testing::Test {
 protected:
  ~TableWidthTest() override { SetTableWidth(kTableWidth); }
};

TEST_F(TableWidthTest, WideTableFitsTheWidthByCuttingOnlyItsElasticColumns) {
  SetTableWidth(46);
  Table t({"ID", "TITLE", "WHEN"});
  t.Elastic(1);
  t.AddRow({"hzd_01HXAAAA", "消防车道被占用，车辆长期停放在消防通道上", "2026-12-06 08:00"});
  const std::string out = t.Render();
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    EXPECT_LE(DisplayWidth(line), 46u) << line;
  }
  EXPECT_NE(out.find("hzd_01HXAAAA"), std::string::npos) << "an id was cut";
  EXPECT_NE(out.find("2026-12-06 08:00"), std::string::npos) << "a time was cut";
  EXPECT_NE(out.find("消防车道被占…"), std::string::npos) << out;
}

TEST_F(TableWidthTest, WideFlagWidthZeroShowsEveryCellWhole) {
  SetTableWidth(0);
  Table t({"ID", "TITLE"});
  t.Elastic(1);
  const std::string title(200, 'x');
  t.AddRow({"hzd_1", title});
  EXPECT_NE(t.Render().find(title), std::string::npos);
}

TEST_F(TableWidthTest, ColumnsThatAreNotElasticAreNeverCut) {
  SetTableWidth(20);
  Table t({"ID", "NAME"});
  t.AddRow({"bld_0123456789abcdef", "天生街道办事处"});
  const std::string out = t.Render();
  EXPECT_NE(out.find("bld_0123456789abcdef"), std::string::npos);
  EXPECT_NE(out.find("天生街道办事处"), std::string::npos);
}

TEST_F(TableWidthTest, WideOnlyColumnsAreLeftOutUnlessWide) {
  Table t({"ID", "RECIPIENT", "TITLE"});
  t.WideOnly(1);
  t.AddRow({"ntf_1", "org:500109.urban_management", "隐患推送"});
  EXPECT_EQ(t.Render(), "ID     TITLE\nntf_1  隐患推送\n");
  SetTableWidth(0);
  EXPECT_EQ(t.Render(),
            "ID     RECIPIENT                    TITLE\n"
            "ntf_1  org:500109.urban_management  隐患推送\n");
}

TEST(EllipsizeTest, CutsByDisplayCellsAndNeverSplitsACharacter) {
  EXPECT_EQ(Ellipsize("abcdef", 6), "abcdef");
  EXPECT_EQ(Ellipsize("abcdef", 4), "abc…");
  EXPECT_EQ(Ellipsize("天生街道", 5), "天生…");           // 2 + 2 cells, then the ellipsis
  EXPECT_EQ(DisplayWidth(Ellipsize("天生街道", 4)), 3u);  // "天…": a wide char does not fit twice
}

TEST(KeyValuesTest, AlignsValues) {
  EXPECT_EQ(RenderKeyValues({{"id", "bld_1"}, {"address", "天生路1号"}, {"flags", ""}}),
            "id:       bld_1\n"
            "address:  天生路1号\n"
            "flags:\n");
}

}  // namespace
}  // namespace firegrid::ctl
