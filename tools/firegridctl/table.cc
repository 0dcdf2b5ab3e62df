#include "tools/firegridctl/table.h"

#include <algorithm>
#include <cstdint>

namespace firegrid::ctl {
namespace {

bool IsWide(uint32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) ||    // Hangul Jamo
         (cp >= 0x2E80 && cp <= 0x303E) ||    // CJK radicals, punctuation
         (cp >= 0x3041 && cp <= 0x33FF) ||    // Kana, CJK compatibility
         (cp >= 0x3400 && cp <= 0x4DBF) ||    // CJK extension A
         (cp >= 0x4E00 && cp <= 0x9FFF) ||    // CJK unified ideographs
         (cp >= 0xA000 && cp <= 0xA4CF) ||    // Yi
         (cp >= 0xAC00 && cp <= 0xD7A3) ||    // Hangul syllables
         (cp >= 0xF900 && cp <= 0xFAFF) ||    // CJK compatibility ideographs
         (cp >= 0xFE30 && cp <= 0xFE4F) ||    // CJK compatibility forms
         (cp >= 0xFF00 && cp <= 0xFF60) ||    // full-width forms
         (cp >= 0xFFE0 && cp <= 0xFFE6) ||    // full-width signs
         (cp >= 0x1F300 && cp <= 0x1F64F) ||  // pictographs, emoticons
         (cp >= 0x20000 && cp <= 0x3FFFD);    // CJK extensions B..
}

std::string Pad(const std::string& cell, size_t width, bool right) {
  size_t w = DisplayWidth(cell);
  std::string fill(width > w ? width - w : 0, ' ');
  return right ? fill + cell : cell + fill;
}

void RightTrim(std::string* s) {
  while (!s->empty() && s->back() == ' ') s->pop_back();
}

size_t g_table_width = kTableWidth;
constexpr size_t kMinElasticWidth = 8;

// The length in bytes of the UTF-8 sequence starting with `lead` (1 for an invalid lead byte).
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

}  // namespace

void SetTableWidth(size_t width) { g_table_width = width; }
size_t TableWidth() { return g_table_width; }

std::string Ellipsize(absl::string_view s, size_t width) {
  if (DisplayWidth(s) <= width) return std::string(s);
  if (width == 0) return "";
  std::string out;
  size_t used = 0;
  for (size_t i = 0; i < s.size();) {
    const size_t n = std::min(SequenceLength(static_cast<unsigned char>(s[i])), s.size() - i);
    const absl::string_view ch = s.substr(i, n);
    const size_t w = DisplayWidth(ch);
    if (used + w > width - 1) break;  // keep one cell for the ellipsis
    out.append(ch.data(), ch.size());
    used += w;
    i += n;
  }
  return out + "…";
}

size_t DisplayWidth(absl::string_view s) {
  size_t width = 0;
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = 1;
    uint32_t cp = c;
    if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else if (c >= 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0x80) {
      ++width;  // stray continuation or invalid lead byte
      ++i;
      continue;
    }
    if (i + len > s.size()) {
      width += s.size() - i;
      break;
    }
    bool valid = true;
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        valid = false;
        break;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!valid) {
      ++width;
      ++i;
      continue;
    }
    width += IsWide(cp) ? 2 : 1;
    i += len;
  }
  return width;
}

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), right_(headers_.size(), false) {}

void Table::AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

void Table::AlignRight(size_t column) {
  if (column >= right_.size()) right_.resize(column + 1, false);
  right_[column] = true;
}

void Table::WideOnly(size_t column) {
  if (column >= wide_only_.size()) wide_only_.resize(column + 1, false);
  wide_only_[column] = true;
}

void Table::Elastic(size_t column) {
  if (column >= elastic_.size()) elastic_.resize(column + 1, false);
  elastic_[column] = true;
}

std::string Table::Render() const {
  size_t columns = headers_.size();
  for (const auto& row : rows_) columns = std::max(columns, row.size());
  std::vector<size_t> widths(columns, 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  };
  measure(headers_);
  for (const auto& row : rows_) measure(row);
  std::vector<bool> hidden(columns, false);
  if (g_table_width > 0) {
    for (size_t c = 0; c < columns && c < wide_only_.size(); ++c) hidden[c] = wide_only_[c];
  }
  size_t shown = 0;
  for (size_t c = 0; c < columns; ++c) shown += hidden[c] ? 0 : 1;
  // Narrow the elastic columns, widest first, until the table fits (or they cannot give more).
  std::vector<bool> cut(columns, false);
  if (g_table_width > 0) {
    auto total = [&] {
      size_t sum = shown > 0 ? 2 * (shown - 1) : 0;
      for (size_t c = 0; c < columns; ++c) sum += hidden[c] ? 0 : widths[c];
      return sum;
    };
    while (total() > g_table_width) {
      size_t widest = columns;
      for (size_t c = 0; c < columns; ++c) {
        if (c >= elastic_.size() || !elastic_[c]) continue;
        const size_t floor = std::max(kMinElasticWidth, DisplayWidth(headers_[c]));
        if (widths[c] <= floor) continue;
        if (widest == columns || widths[c] > widths[widest]) widest = c;
      }
      if (widest == columns) break;
      --widths[widest];
      cut[widest] = true;
    }
  }

  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    bool first = true;
    for (size_t c = 0; c < columns; ++c) {
      if (hidden[c]) continue;
      const std::string empty;
      const std::string& cell = c < row.size() ? row[c] : empty;
      if (!first) line += "  ";
      first = false;
      line += Pad(cut[c] ? Ellipsize(cell, widths[c]) : cell, widths[c],
                  c < right_.size() && right_[c]);
    }
    RightTrim(&line);
    out += line;
    out += '\n';
  };
  emit(headers_);
  for (const auto& row : rows_) emit(row);
  return out;
}

std::string RenderKeyValues(const std::vector<std::pair<std::string, std::string>>& pairs) {
  size_t width = 0;
  for (const auto& [k, v] : pairs) width = std::max(width, DisplayWidth(k) + 1);
  std::string out;
  for (const auto& [k, v] : pairs) {
    std::string line = Pad(k + ":", width, false) + "  " + v;
    RightTrim(&line);
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace firegrid::ctl
