#include "services/buildings/ledger.h"

#include <cmath>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "services/buildings/csv.h"
#include "services/buildings/list_filter.h"

namespace firegrid::buildings {

using v1::Building;

Completeness CompletenessOf(const Building& b) {
  Completeness c;
  c.filed = b.responsibility().filing_state() == v1::FILING_STATE_FILED ||
            b.responsibility().filing_state() == v1::FILING_STATE_FILED_LATE;
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

// The percentage num / den, one decimal; unset (undefined) when den is 0.
void SetPct(int num, int den, void (v1::LedgerCounts::*set)(double),
            void (v1::LedgerCounts::*clear)(), v1::LedgerCounts* c) {
  if (den == 0) {
    (c->*clear)();
    return;
  }
  (c->*set)(std::round(1000.0 * num / den) / 10.0);
}

// One ledger figure: the buildings that pass the ListBuildings filter of the same name.
struct Kpi {
  const char* name;  // the LedgerCounts field
  int32_t (v1::LedgerCounts::*get)() const;
  void (v1::LedgerCounts::*set)(int32_t);
  v1::ListBuildingsRequest filter;
};

const std::vector<Kpi>& Kpis() {
  static const auto* const kKpis = [] {
    using C = v1::LedgerCounts;
    auto* kpis = new std::vector<Kpi>;
    auto add = [&](const char* name, int32_t (C::*get)() const, void (C::*set)(int32_t),
                   const std::function<void(v1::ListBuildingsRequest*)>& filter) {
      Kpi k{name, get, set, {}};
      filter(&k.filter);
      kpis->push_back(std::move(k));
    };
    add("buildings", &C::buildings, &C::set_buildings, [](auto*) {});
    add("super_high_rise", &C::super_high_rise, &C::set_super_high_rise,
        [](auto* r) { r->add_classes(v1::BUILDING_CLASS_SUPER_HIGH_RISE); });
    add("class_i", &C::class_i, &C::set_class_i,
        [](auto* r) { r->add_classes(v1::BUILDING_CLASS_I); });
    add("class_ii", &C::class_ii, &C::set_class_ii,
        [](auto* r) { r->add_classes(v1::BUILDING_CLASS_II); });
    add("not_high_rise", &C::not_high_rise, &C::set_not_high_rise,
        [](auto* r) { r->add_classes(v1::BUILDING_CLASS_NOT_HIGH_RISE); });
    add("responsibility_filed", &C::responsibility_filed, &C::set_responsibility_filed,
        [](auto* r) {
          r->add_filing_states(v1::FILING_STATE_FILED);
          r->add_filing_states(v1::FILING_STATE_FILED_LATE);
        });
    add("filed_late", &C::filed_late, &C::set_filed_late,
        [](auto* r) { r->add_filing_states(v1::FILING_STATE_FILED_LATE); });
    add("filing_pending", &C::filing_pending, &C::set_filing_pending,
        [](auto* r) { r->add_filing_states(v1::FILING_STATE_PENDING); });
    add("filing_late", &C::filing_late, &C::set_filing_late,
        [](auto* r) { r->add_filing_states(v1::FILING_STATE_LATE); });
    add("filing_missing", &C::filing_missing, &C::set_filing_missing,
        [](auto* r) { r->add_filing_states(v1::FILING_STATE_MISSING); });
    add("with_lanes", &C::with_lanes, &C::set_with_lanes, [](auto* r) { r->set_with_lanes(true); });
    add("lanes_marked", &C::lanes_marked, &C::set_lanes_marked,
        [](auto* r) { r->set_lanes_marked(true); });
    add("with_indoor_hydrants", &C::with_indoor_hydrants, &C::set_with_indoor_hydrants,
        [](auto* r) { r->set_with_indoor_hydrants(true); });
    add("indoor_hydrants_with_water", &C::indoor_hydrants_with_water,
        &C::set_indoor_hydrants_with_water,
        [](auto* r) { r->set_indoor_hydrants_with_water(true); });
    add("fire_access_non_compliant", &C::fire_access_non_compliant,
        &C::set_fire_access_non_compliant, [](auto* r) { r->set_fire_access_compliant(false); });
    add("three_nos", &C::three_nos, &C::set_three_nos, [](auto* r) { r->set_three_nos(true); });
    add("old_residential", &C::old_residential, &C::set_old_residential,
        [](auto* r) { r->set_old_residential(true); });
    return kpis;
  }();
  return *kKpis;
}

void Count(const Building& b, v1::LedgerCounts* c) {
  for (const Kpi& k : Kpis()) {
    if (MatchesBuildingFilter(k.filter, b)) (c->*k.set)((c->*k.get)() + 1);
  }
}

void Finish(v1::LedgerCounts* c) {
  using C = v1::LedgerCounts;
  SetPct(c->responsibility_filed(), c->buildings(), &C::set_responsibility_filed_pct,
         &C::clear_responsibility_filed_pct, c);
  SetPct(c->lanes_marked(), c->with_lanes(), &C::set_lanes_marked_pct, &C::clear_lanes_marked_pct,
         c);
  SetPct(c->indoor_hydrants_with_water(), c->with_indoor_hydrants(),
         &C::set_indoor_hydrants_with_water_pct, &C::clear_indoor_hydrants_with_water_pct, c);
}

// The counts of a tally row (figure name → count).
v1::LedgerCounts FromFigures(const std::map<std::string, int64_t>& figures) {
  v1::LedgerCounts c;
  for (const Kpi& k : Kpis()) {
    auto it = figures.find(k.name);
    if (it != figures.end()) (c.*k.set)(static_cast<int32_t>(it->second));
  }
  Finish(&c);
  return c;
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

std::vector<std::string> LedgerFiguresOf(const Building& b) {
  std::vector<std::string> out;
  for (const Kpi& k : Kpis()) {
    if (MatchesBuildingFilter(k.filter, b)) out.push_back(k.name);
  }
  return out;
}

v1::Ledger LedgerFromTally(const std::string& tier_path, const LedgerTally& tally,
                           const std::map<std::string, std::string>& names, absl::Time now) {
  v1::Ledger ledger;
  ledger.set_tier_path(tier_path);
  ledger.set_name(NameOf(names, tier_path));
  *ledger.mutable_generated_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
  *ledger.mutable_totals() = FromFigures(tally.totals);
  for (const auto& [code, figures] : tally.rows) {
    v1::LedgerCounts counts = FromFigures(figures);
    if (counts.buildings() == 0) continue;  // every building has left that community
    auto* row = ledger.add_rows();
    row->set_tier_path(code);
    row->set_name(NameOf(names, code));
    *row->mutable_counts() = std::move(counts);
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
                 b.fire_access_compliant() ? "yes" : "no",
                 absl::StrCat(b.fire_access_violations()),
                 b.three_nos() ? "yes" : "no",
                 b.old_residential() ? "yes" : "no"}));
  }
  return out;
}

}  // namespace firegrid::buildings
