#include "services/buildings/csv.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace firegrid::buildings {

absl::StatusOr<std::vector<CsvRecord>> ParseCsv(absl::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<CsvRecord> out;
  CsvRecord rec;
  std::string field;
  int line = 1;
  rec.line = 1;
  bool in_quotes = false;
  bool field_started = false;  // the record has content (so a final line without newline counts)
  bool after_quote = false;    // just closed a quoted field
  auto end_field = [&] {
    rec.fields.push_back(std::move(field));
    field.clear();
    after_quote = false;
  };
  auto end_record = [&] {
    end_field();
    out.push_back(std::move(rec));
    rec = CsvRecord{};
    field_started = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
          after_quote = true;
        }
      } else {
        if (ch == '\n') ++line;
        field.push_back(ch);
      }
      continue;
    }
    if (ch == '"') {
      if (!field.empty() || after_quote) {
        return absl::InvalidArgumentError(absl::StrCat("csv line ", line, ": stray quote"));
      }
      in_quotes = true;
      field_started = true;
    } else if (ch == ',') {
      end_field();
      field_started = true;
    } else if (ch == '\r' || ch == '\n') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (field_started || !field.empty() || !rec.fields.empty()) end_record();
      ++line;
      rec.line = line;
    } else {
      if (after_quote) {
        return absl::InvalidArgumentError(
            absl::StrCat("csv line ", line, ": text after a closing quote"));
      }
      field.push_back(ch);
      field_started = true;
    }
  }
  if (in_quotes) {
    return absl::InvalidArgumentError(absl::StrCat("csv line ", rec.line, ": unterminated quote"));
  }
  if (field_started || !field.empty() || !rec.fields.empty()) end_record();
  return out;
}

bool CsvNeedsFormulaGuard(absl::string_view v) {
  if (v.empty() || (v[0] != '=' && v[0] != '+' && v[0] != '-' && v[0] != '@')) return false;
  // Negative numbers stay numbers.
  bool numeric = v[0] == '-' && v.size() > 1;
  for (size_t i = 1; numeric && i < v.size(); ++i) {
    numeric = (v[i] >= '0' && v[i] <= '9') || v[i] == '.';
  }
  return !numeric;
}

std::string CsvField(absl::string_view value) {
  std::string v(value);
  if (CsvNeedsFormulaGuard(v)) v.insert(v.begin(), '\'');
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string CsvLine(const std::vector<std::string>& fields) {
  // A record of one empty field would be a blank line, which readers skip: quote it.
  if (fields.size() == 1 && fields[0].empty()) return "\"\"\r\n";
  std::vector<std::string> quoted;
  quoted.reserve(fields.size());
  for (const auto& f : fields) quoted.push_back(CsvField(f));
  return absl::StrCat(absl::StrJoin(quoted, ","), "\r\n");
}

}  // namespace firegrid::buildings
