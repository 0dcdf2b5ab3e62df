// Fuzzes the CSV reader of the ledger import (ParseCsv) and checks the writer against it: any
// records ParseCsv accepts, written back with CsvLine, read again as the same fields (with the
// single quote CsvField puts before a would-be formula). cmake/FiregridFuzz.cmake builds it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "services/buildings/csv.h"

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "csv_fuzzer: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using firegrid::buildings::CsvLine;
  using firegrid::buildings::CsvNeedsFormulaGuard;
  using firegrid::buildings::ParseCsv;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto records = ParseCsv(text);
  if (!records.ok()) return 0;
  std::string written;
  for (const auto& r : *records) {
    if (r.fields.empty()) Fail("a record without fields");
    written += CsvLine(r.fields);
  }
  // A byte-order mark at the start of the written text would be skipped when read again.
  if (absl::string_view(written).substr(0, 3) == "\xEF\xBB\xBF") return 0;
  auto again = ParseCsv(written);
  if (!again.ok()) Fail("what CsvLine wrote does not parse");
  if (again->size() != records->size()) Fail("a different number of records after a round trip");
  for (size_t i = 0; i < records->size(); ++i) {
    const auto& before = (*records)[i].fields;
    const auto& after = (*again)[i].fields;
    if (before.size() != after.size()) Fail("a different number of fields after a round trip");
    for (size_t j = 0; j < before.size(); ++j) {
      const std::string expected = CsvNeedsFormulaGuard(before[j]) ? "'" + before[j] : before[j];
      if (after[j] != expected) Fail("a field changed in a round trip");
    }
  }
  return 0;
}
