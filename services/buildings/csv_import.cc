#include "services/buildings/csv_import.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/buildings/ledger.h"
#include "services/buildings/party_text.h"
#include "services/buildings/validate.h"

namespace firegrid::buildings {
namespace {

// Every column, in the order an export writes them (required first).
const std::vector<std::string>& RequiredColumns() {
  static const auto* const kRequired =
      new std::vector<std::string>{"name",      "address", "tier_path", "latitude",
                                   "longitude", "use",     "height_m",  "floors_above_ground"};
  return *kRequired;
}

const std::vector<std::string>& OptionalColumns() {
  static const auto* const kOptional =
      new std::vector<std::string>{"floors_below_ground", "year_built",      "three_nos",
                                   "old_residential",     "large_mixed_use", "parties"};
  return *kOptional;
}

bool IsOptionalColumn(const std::string& name) {
  const auto& o = OptionalColumns();
  return std::find(o.begin(), o.end(), name) != o.end();
}

// The shortest text that reads back as the same double.
std::string ExactNumber(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, ec == std::errc() ? end : buf);
}

// A spreadsheet-neutralised cell ("'=..." as CsvField writes it) reads back as its value.
std::string Unneutralise(std::string v) {
  if (v.size() > 1 && v[0] == '\'' && (v[1] == '=' || v[1] == '+' || v[1] == '-' || v[1] == '@')) {
    v.erase(0, 1);
  }
  return v;
}

// "parties[2].person_id: ..." → "entry 3 (张伟): person_id: ...", and what to do about a
// masked identity number.
std::string PartiesProblem(
    const google::protobuf::RepeatedPtrField<firegrid::subjects::v1::Party>& parties,
    absl::string_view message) {
  int index = -1;
  size_t rest = 0;
  if (absl::ConsumePrefix(&message, "parties[")) {
    const size_t close = message.find(']');
    if (close != absl::string_view::npos && absl::SimpleAtoi(message.substr(0, close), &index) &&
        index >= 0 && index < parties.size()) {
      rest = close + 1;
    } else {
      index = -1;
    }
  }
  if (index < 0) return std::string(absl::StripPrefix(message, "parties: "));
  message.remove_prefix(rest);
  absl::ConsumePrefix(&message, ".");
  absl::ConsumePrefix(&message, ": ");
  // "... as parties[0]" → "... as entry 1".
  std::string text(message);
  for (size_t at; (at = text.find("parties[")) != std::string::npos;) {
    const size_t close = text.find(']', at);
    int other = 0;
    if (close == std::string::npos ||
        !absl::SimpleAtoi(text.substr(at + 8, close - at - 8), &other)) {
      break;
    }
    text.replace(at, close + 1 - at, absl::StrCat("entry ", other + 1));
  }
  std::string out = absl::StrCat("entry ", index + 1, " (", parties[index].name(), "): ", text);
  if (parties[index].person_id().find('*') != std::string::npos) {
    absl::StrAppend(&out,
                    " — the identity number is masked (an export by a caller who does not see "
                    "identity numbers); write the whole number");
  }
  return out;
}

void AddHeaderError(v1::ImportBuildingsCsvResponse* resp, const std::string& column,
                    absl::string_view message) {
  auto* e = resp->add_errors();
  e->set_line(1);
  e->set_column(column);
  e->set_message(std::string(message));
}

}  // namespace

void AddImportError(v1::ImportBuildingsCsvResponse* resp, int line, const std::string& column,
                    absl::string_view message) {
  if (resp->errors_size() >= kMaxReportedImportErrors) return;
  auto* e = resp->add_errors();
  e->set_line(line);
  e->set_column(column);
  e->set_message(std::string(message));
}

ImportColumns ReadImportHeader(const CsvRecord& header, v1::ImportBuildingsCsvResponse* resp) {
  const auto& required = RequiredColumns();
  ImportColumns col;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(header.fields[i]));
    if (std::find(required.begin(), required.end(), name) == required.end() &&
        !IsOptionalColumn(name)) {
      AddHeaderError(resp, name, "unknown column");
      continue;
    }
    if (!col.emplace(name, static_cast<int>(i)).second) {
      AddHeaderError(resp, name, "duplicate column");
    }
  }
  for (const auto& r : required) {
    if (col.count(r) == 0) AddHeaderError(resp, r, "required column missing");
  }
  return col;
}

std::optional<v1::Building> BuildingFromImportRow(const CsvRecord& rec, const ImportColumns& col,
                                                  size_t width, absl::Time now,
                                                  v1::ImportBuildingsCsvResponse* resp) {
  auto fail = [&](const std::string& column, absl::string_view message) {
    AddImportError(resp, rec.line, column, message);
  };
  auto get = [&](const std::string& name) -> std::string {
    auto it = col.find(name);
    if (it == col.end() || it->second >= static_cast<int>(rec.fields.size())) return "";
    return Unneutralise(std::string(absl::StripAsciiWhitespace(rec.fields[it->second])));
  };
  if (rec.fields.size() != width) {
    fail("", absl::StrCat("has ", rec.fields.size(), " fields, the header ", width));
    return std::nullopt;
  }
  v1::Building b;
  b.set_name(get("name"));
  b.set_address(get("address"));
  b.set_tier_path(get("tier_path"));
  bool ok = true;
  auto number = [&](const std::string& name, double* out, bool required) {
    const std::string v = get(name);
    if (v.empty() && !required) return;
    if (!absl::SimpleAtod(v, out)) {
      fail(name, "is not a number");
      ok = false;
    }
  };
  auto integer = [&](const std::string& name, int* out) {
    const std::string v = get(name);
    if (v.empty()) return;
    if (!absl::SimpleAtoi(v, out)) {
      fail(name, "is not a whole number");
      ok = false;
    }
  };
  auto flag = [&](const std::string& name, void (v1::Building::*set)(bool)) {
    const std::string v = absl::AsciiStrToLower(get(name));
    if (v.empty() || v == "no" || v == "false" || v == "0" || v == "n") return;
    if (v == "yes" || v == "true" || v == "1" || v == "y") {
      (b.*set)(true);
    } else {
      fail(name, "must be yes or no");
      ok = false;
    }
  };
  double lat = 0, lon = 0, height = 0;
  number("latitude", &lat, true);
  number("longitude", &lon, true);
  number("height_m", &height, true);
  b.mutable_location()->set_latitude(lat);
  b.mutable_location()->set_longitude(lon);
  b.set_height_m(height);
  int floors = 0, below = 0, year = 0;
  integer("floors_above_ground", &floors);
  integer("floors_below_ground", &below);
  integer("year_built", &year);
  b.set_floors_above_ground(floors);
  b.set_floors_below_ground(below);
  b.set_year_built(year);
  flag("three_nos", &v1::Building::set_three_nos);
  flag("old_residential", &v1::Building::set_old_residential);
  flag("large_mixed_use", &v1::Building::set_large_mixed_use);
  const std::string use = absl::AsciiStrToUpper(get("use"));
  v1::BuildingUse u;
  if (v1::BuildingUse_Parse(use, &u) || v1::BuildingUse_Parse("BUILDING_USE_" + use, &u)) {
    b.set_use(u);
  } else {
    fail("use", absl::StrCat("unknown use '", get("use"), "'"));
    ok = false;
  }
  if (col.count("parties") > 0) {
    auto parties = ParsePartiesText(get("parties"));
    if (parties.ok()) {
      for (auto& party : *parties) *b.add_parties() = std::move(party);
    } else {
      fail("parties", parties.status().message());
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  absl::Status parties = NormalizeAndValidateParties(b.mutable_parties(), "");
  if (!parties.ok()) {
    fail("parties", PartiesProblem(b.parties(), parties.message()));
    return std::nullopt;
  }
  absl::Status s = ValidateBuildingFields(b, "", now);
  if (!s.ok()) {
    const std::string msg(s.message());
    const auto colon = msg.find(':');
    std::string column = msg.substr(0, colon);
    column = column.substr(0, column.find('.'));  // "location.latitude" → "location"
    if (column == "location") column = "latitude/longitude";
    fail(column, colon == std::string::npos ? msg : msg.substr(colon + 2));
    return std::nullopt;
  }
  return b;
}

std::string ImportKey(const v1::Building& b) {
  return absl::StrCat(b.tier_path(), "\x1f", absl::StripAsciiWhitespace(b.name()), "\x1f",
                      absl::StripAsciiWhitespace(b.address()));
}

std::vector<std::string> ApplyImportedFields(const v1::Building& row, const ImportColumns& cols,
                                             v1::Building* target) {
  std::vector<std::string> changed;
  auto has = [&](const char* column) { return cols.count(column) > 0; };
  auto apply = [&](const char* column, const char* path, auto get, auto set) {
    if (!has(column)) return;
    if ((row.*get)() == (target->*get)()) return;
    (target->*set)((row.*get)());
    changed.push_back(path);
  };
  using B = v1::Building;
  apply("name", "name", &B::name, static_cast<void (B::*)(const std::string&)>(&B::set_name));
  apply("address", "address", &B::address,
        static_cast<void (B::*)(const std::string&)>(&B::set_address));
  apply("tier_path", "tier_path", &B::tier_path,
        static_cast<void (B::*)(const std::string&)>(&B::set_tier_path));
  if ((has("latitude") || has("longitude")) &&
      !google::protobuf::util::MessageDifferencer::Equals(row.location(), target->location())) {
    *target->mutable_location() = row.location();
    changed.push_back("location");
  }
  apply("use", "use", &B::use, &B::set_use);
  apply("height_m", "height_m", &B::height_m, &B::set_height_m);
  apply("floors_above_ground", "floors_above_ground", &B::floors_above_ground,
        &B::set_floors_above_ground);
  apply("floors_below_ground", "floors_below_ground", &B::floors_below_ground,
        &B::set_floors_below_ground);
  apply("year_built", "year_built", &B::year_built, &B::set_year_built);
  apply("three_nos", "three_nos", &B::three_nos, &B::set_three_nos);
  apply("old_residential", "old_residential", &B::old_residential, &B::set_old_residential);
  apply("large_mixed_use", "large_mixed_use", &B::large_mixed_use, &B::set_large_mixed_use);
  if (has("parties")) {
    bool same = row.parties_size() == target->parties_size();
    for (int i = 0; same && i < row.parties_size(); ++i) {
      same = google::protobuf::util::MessageDifferencer::Equals(row.parties(i), target->parties(i));
    }
    if (!same) {
      *target->mutable_parties() = row.parties();
      changed.push_back("parties");
    }
  }
  return changed;
}

std::string BuildingsImportCsv(const std::vector<v1::Building>& buildings) {
  std::vector<std::string> header = RequiredColumns();
  header.insert(header.end(), OptionalColumns().begin(), OptionalColumns().end());
  std::string out = CsvLine(header);
  auto yes_no = [](bool v) { return std::string(v ? "yes" : "no"); };
  for (const auto& b : buildings) {
    absl::StrAppend(
        &out,
        CsvLine({b.name(), b.address(), b.tier_path(), ExactNumber(b.location().latitude()),
                 ExactNumber(b.location().longitude()),
                 ShortEnumName(v1::BuildingUse_descriptor(), b.use()), ExactNumber(b.height_m()),
                 absl::StrCat(b.floors_above_ground()), absl::StrCat(b.floors_below_ground()),
                 b.year_built() > 0 ? absl::StrCat(b.year_built()) : "", yes_no(b.three_nos()),
                 yes_no(b.old_residential()), yes_no(b.large_mixed_use()),
                 PartiesText(b.parties())}));
  }
  return out;
}

}  // namespace firegrid::buildings
