#include "tools/firegridctl/table.h"

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

TEST(KeyValuesTest, AlignsValues) {
  EXPECT_EQ(RenderKeyValues({{"id", "bld_1"}, {"address", "天生路1号"}, {"flags", ""}}),
            "id:       bld_1\n"
            "address:  天生路1号\n"
            "flags:\n");
}

}  // namespace
}  // namespace firegrid::ctl
