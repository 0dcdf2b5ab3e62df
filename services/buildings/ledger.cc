#include "services/buildings/ledger.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "services/buildings/csv.h"

namespace firegrid::buildings {

using v1::Building;

Completeness CompletenessOf(const Building& b) {
  Completeness c;
  c.filed = b.responsibility().filing_state() == v1::FILING_STATE_FILED;
  c.has_lanes = b.fire_lanes_size() + b.rescue_sites_size() > 0;
  bool all_marked = c.has_lanes;
  auto full = [](const v1::Marking& m) {
    return m.lines_painted() && m.name_marked() && m.sign_installed();
  };
  for (const auto& l : b.fire_lanes()) all_marked = all_marked && full(l.marking());
  for (const auto& s : b.rescue_sites()) all_marked = all_marked && full(s.marking());
  c.lanes_marked = all_marked;
  for (const auto& f : b.facilities()) {
    if (f.kind() == v1::FACILITY_KIND_INDOOR_HYDRANT) {
      c.has_indoor_hydrant = true;
      c.hydrant_with_water = f.status() == v1::FACILITY_STATUS_NORMAL;
    }
  }
  return c;
}

namespace {

double Pct(int num, int den) {
  if (den == 0) return 100.0;
  return std::round(1000.0 * num / den) / 10.0;
}

void Count(const Building& b, v1::LedgerCounts* c) {
  c->set_buildings(c->buildings() + 1);
  switch (b.building_class()) {
    case v1::BUILDING_CLASS_SUPER_HIGH_RISE:
      c->set_super_high_rise(c->super_high_rise() + 1);
      break;
    case v1::BUILDING_CLASS_I:
      c->set_class_i(c->class_i() + 1);
      break;
    case v1::BUILDING_CLASS_II:
      c->set_class_ii(c->class_ii() + 1);
      break;
    default:
      c->set_not_high_rise(c->not_high_rise() + 1);
      break;
  }
  switch (b.responsibility().filing_state()) {
    case v1::FILING_STATE_FILED:
      c->set_responsibility_filed(c->responsibility_filed() + 1);
      break;
    case v1::FILING_STATE_PENDING:
      c->set_filing_pending(c->filing_pending() + 1);
      break;
    case v1::FILING_STATE_LATE:
      c->set_filing_late(c->filing_late() + 1);
      break;
    default:
      c->set_filing_missing(c->filing_missing() + 1);
      break;
  }
  const Completeness k = CompletenessOf(b);
  if (k.has_lanes) c->set_with_lanes(c->with_lanes() + 1);
  if (k.lanes_marked) c->set_lanes_marked(c->lanes_marked() + 1);
  if (k.has_indoor_hydrant) c->set_with_indoor_hydrants(c->with_indoor_hydrants() + 1);
  if (k.hydrant_with_water) c->set_indoor_hydrants_with_water(c->indoor_hydrants_with_water() + 1);
  if (k.has_lanes && !b.fire_access_compliant()) {
    c->set_fire_access_non_compliant(c->fire_access_non_compliant() + 1);
  }
  if (b.three_nos()) c->set_three_nos(c->three_nos() + 1);
  if (b.old_residential()) c->set_old_residential(c->old_residential() + 1);
}

void Finish(v1::LedgerCounts* c) {
  c->set_responsibility_filed_pct(Pct(c->responsibility_filed(), c->buildings()));
  c->set_lanes_marked_pct(Pct(c->lanes_marked(), c->with_lanes()));
  c->set_indoor_hydrants_with_water_pct(
      Pct(c->indoor_hydrants_with_water(), c->with_indoor_hydrants()));
}

std::string NameOf(const std::map<std::string, std::string>& names, const std::string& code) {
  auto it = names.find(code);
  return it == names.end() ? "" : it->second;
}

}  // namespace

std::string ShortEnumName(const google::protobuf::EnumDescriptor* d, int value) {
  const auto* v = d->FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat(value);
  // Strip the enum's type prefix: BUILDING_CLASS_I → "i" is too short; keep the meaningful part.
  std::string name = v->name();
  std::string prefix;
  for (char ch : d->name()) {
    if (absl::ascii_isupper(static_cast<unsigned char>(ch)) && !prefix.empty()) prefix += '_';
    prefix += absl::ascii_toupper(static_cast<unsigned char>(ch));
  }
  prefix += '_';
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(name);
}

v1::Ledger ComputeLedger(const std::string& tier_path, const std::vector<Building>& buildings,
                         const std::map<std::string, std::string>& names, absl::Time now) {
  v1::Ledger ledger;
  ledger.set_tier_path(tier_path);
  ledger.set_name(NameOf(names, tier_path));
  *ledger.mutable_generated_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
  std::map<std::string, v1::LedgerCounts> rows;
  for (const auto& b : buildings) {
    Count(b, ledger.mutable_totals());
    Count(b, &rows[b.tier_path()]);
  }
  Finish(ledger.mutable_totals());
  for (auto& [code, counts] : rows) {
    Finish(&counts);
    auto* row = ledger.add_rows();
    row->set_tier_path(code);
    row->set_name(NameOf(names, code));
    *row->mutable_counts() = counts;
  }
  return ledger;
}

std::string LedgerCsv(const std::vector<Building>& buildings,
                      const std::map<std::string, std::string>& names) {
  std::string out = CsvLine({"building_id",
                             "name",
                             "address",
                             "community_code",
                             "community",
                             "use",
                             "height_m",
                             "floors_above_ground",
                             "class",
                             "filing_state",
                             "document_number",
                             "management_unit",
                             "responsible_person",
                             "manager",
                             "building_head",
                             "property_company",
                             "lanes_and_sites",
                             "lanes_marked",
                             "indoor_hydrant",
                             "fire_access_compliant",
                             "violations",
                             "three_nos",
                             "old_residential"});
  for (const auto& b : buildings) {
    const Completeness k = CompletenessOf(b);
    std::string hydrant = "not_recorded";
    for (const auto& f : b.facilities()) {
      if (f.kind() == v1::FACILITY_KIND_INDOOR_HYDRANT) {
        hydrant = ShortEnumName(v1::FacilityStatus_descriptor(), f.status());
      }
    }
    const auto& chain = b.responsibility().chain();
    absl::StrAppend(
        &out,
        CsvLine({b.building_id(),
                 b.name(),
                 b.address(),
                 b.tier_path(),
                 NameOf(names, b.tier_path()),
                 ShortEnumName(v1::BuildingUse_descriptor(), b.use()),
                 absl::StrFormat("%.1f", b.height_m()),
                 absl::StrCat(b.floors_above_ground()),
                 ShortEnumName(v1::BuildingClass_descriptor(), b.building_class()),
                 ShortEnumName(v1::FilingState_descriptor(), b.responsibility().filing_state()),
                 b.responsibility().filing().document_number(),
                 chain.management_unit(),
                 chain.responsible_person().name(),
                 chain.manager().name(),
                 chain.building_head().name(),
                 chain.property_company(),
                 absl::StrCat(b.fire_lanes_size() + b.rescue_sites_size()),
                 k.lanes_marked ? "yes" : "no",
                 hydrant,
                 !k.has_lanes ? "not_assessed" : (b.fire_access_compliant() ? "yes" : "no"),
                 absl::StrCat(b.fire_access_violations()),
                 b.three_nos() ? "yes" : "no",
                 b.old_residential() ? "yes" : "no"}));
  }
  return out;
}

}  // namespace firegrid::buildings
