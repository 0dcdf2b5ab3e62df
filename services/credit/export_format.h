#pragma once

#include <string>
#include <vector>

#include "firegrid/credit/v1/credit.pb.h"

namespace firegrid::credit {

// The documented export formats for the district public credit platform
// (docs/credit-export.md). One record per line:
// - JSON Lines: the ExportRecord as one-line JSON (.proto field names, enum labels such as
//   "level": "d", times RFC 3339, every field present).
// - CSV (UTF-8, RFC 4180 with CRLF line ends, header on every page): record_id, subject_id, credit_code, name, type,
//   level, score, blacklisted, blacklist (entries as "entry_id|state|effective_at|expires_at|
//   reason|legal_basis" joined by ";"), effective_at, rules_version.
std::string RenderJsonLines(const std::vector<v1::ExportRecord>& records);
std::string RenderCsv(const std::vector<v1::ExportRecord>& records);
// The CSV header line (with its CRLF).
std::string CsvHeader();

}  // namespace firegrid::credit
