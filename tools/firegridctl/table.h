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

// A plain-text table for terminals: a header row, then the rows, columns separated by two
// spaces and padded to the widest cell by display width; no trailing spaces.
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

  size_t rows() const { return rows_.size(); }
  // Every line ends with '\n'. A table without rows renders its header only.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> right_;
};

// "key:   value" lines with the values aligned, for showing one object.
std::string RenderKeyValues(const std::vector<std::pair<std::string, std::string>>& pairs);

}  // namespace firegrid::ctl
