#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace firegrid::buildings {

// RFC 4180 CSV: fields separated by commas, optionally quoted with '"' ("" inside quotes is a
// quote), records ended by CRLF or LF. A UTF-8 byte-order mark at the start is skipped.
struct CsvRecord {
  int line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

// Fails with INVALID_ARGUMENT naming the line for an unterminated quote or a stray quote.
absl::StatusOr<std::vector<CsvRecord>> ParseCsv(absl::string_view text);

// Quotes a field when it holds a comma, quote, CR or LF, or begins with a character a
// spreadsheet would read as a formula (=, +, -, @): those are prefixed with a single quote.
std::string CsvField(absl::string_view value);
// Whether CsvField prefixes `value` with a single quote (it begins with =, +, - or @ and is not
// a negative number).
bool CsvNeedsFormulaGuard(absl::string_view value);
std::string CsvLine(const std::vector<std::string>& fields);  // ends with "\r\n"

}  // namespace firegrid::buildings
