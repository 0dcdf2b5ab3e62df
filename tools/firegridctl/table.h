#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace firegrid::ctl {

// Columns on a terminal: the number of cells `utf8` occupies, counting East Asian wide and
// full-width characters (汉字, full-width punctuation) as two cells and every other code point as
// one. Invalid UTF-8 bytes count one cell each.
size_t DisplayWidth(absl::string_view utf8);

// The widest a table renders (display cells): kTableWidth unless `firegridctl --wide` set it to
// 0 (no limit). Process-wide: the CLI sets it once from its flags.
inline constexpr size_t kTableWidth = 120;
void SetTableWidth(size_t width);
size_t TableWidth();

// `utf8` cut to at most `width` display cells, ending in "…" when something was cut.
std::string Ellipsize(absl::string_view utf8, size_t width);

// A plain-text table for terminals: a header row, then the rows, columns separated by two
// spaces and padded to the widest cell by display width; no trailing spaces. A table wider than
// TableWidth() narrows its elastic columns (free text: names, titles, notes), widest first and
// never below their header or 8 cells, cutting their cells with "…"; ids, codes, times and
// numbers are never cut, and secondary columns (WideOnly) are left out (`--wide` shows
// everything).
//
//   Table t({"CODE", "NAME"});
//   t.AddRow({"500109001", "天生街道"});
//   std::cout << t.Render();
class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // Missing cells render empty; extra cells are kept (the header row is padded).
  void AddRow(std::vector<std::string> cells);
  // Right-aligns a column (numbers).
  void AlignRight(size_t column);
  // Lets a column of free text be narrowed (and its cells cut) to fit TableWidth().
  void Elastic(size_t column);
  // Shows a secondary column only with --wide (TableWidth() 0), leaving its room to the others.
  void WideOnly(size_t column);

  size_t rows() const { return rows_.size(); }
  // Every line ends with '\n'. A table without rows renders its header only.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> right_;
  std::vector<bool> elastic_;
  std::vector<bool> wide_only_;
};

// "key:   value" lines with the values aligned, for showing one object.
std::string RenderKeyValues(const std::vector<std::pair<std::string, std::string>>& pairs);

}  // namespace firegrid::ctl
