#include "services/buildings/rules.h"

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/text_format.h"
#include "libs/common/status.h"

namespace firegrid::buildings {
namespace {

absl::Status Positive(double v, const char* field) {
  if (!(v > 0)) return absl::InvalidArgumentError(absl::StrCat("rules.", field, ": must be > 0"));
  return absl::OkStatus();
}

absl::StatusOr<absl::CivilDay> ParseDay(const std::string& s, const char* field) {
  std::vector<std::string> parts = absl::StrSplit(s, '-');
  int y, m, d;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &y) || !absl::SimpleAtoi(parts[1], &m) ||
      !absl::SimpleAtoi(parts[2], &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rules.", field, ": '", s, "' is not YYYY-MM-DD"));
  }
  absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) {
    return absl::InvalidArgumentError(absl::StrCat("rules.", field, ": '", s, "' is not a date"));
  }
  return day;
}

}  // namespace

absl::Status ValidateRules(const Rules& r) {
  const auto& c = r.building_class();
  FG_RETURN_IF_ERROR(
      Positive(c.residential_high_rise_m(), "building_class.residential_high_rise_m"));
  FG_RETURN_IF_ERROR(Positive(c.residential_class_i_m(), "building_class.residential_class_i_m"));
  FG_RETURN_IF_ERROR(Positive(c.public_high_rise_m(), "building_class.public_high_rise_m"));
  FG_RETURN_IF_ERROR(Positive(c.public_class_i_m(), "building_class.public_class_i_m"));
  FG_RETURN_IF_ERROR(Positive(c.super_high_rise_m(), "building_class.super_high_rise_m"));
  if (c.residential_class_i_m() <= c.residential_high_rise_m() ||
      c.public_class_i_m() <= c.public_high_rise_m() ||
      c.super_high_rise_m() <= c.residential_class_i_m() ||
      c.super_high_rise_m() <= c.public_class_i_m()) {
    return absl::InvalidArgumentError(
        "rules.building_class: thresholds must rise: high-rise < class I < super high-rise");
  }
  const auto& f = r.fire_access();
  FG_RETURN_IF_ERROR(Positive(f.lane_min_clear_width_m(), "fire_access.lane_min_clear_width_m"));
  FG_RETURN_IF_ERROR(Positive(f.lane_min_clear_height_m(), "fire_access.lane_min_clear_height_m"));
  FG_RETURN_IF_ERROR(Positive(f.lane_max_slope_percent(), "fire_access.lane_max_slope_percent"));
  FG_RETURN_IF_ERROR(
      Positive(f.lane_min_turning_radius_m(), "fire_access.lane_min_turning_radius_m"));
  FG_RETURN_IF_ERROR(Positive(f.lane_min_turning_radius_aerial_m(),
                              "fire_access.lane_min_turning_radius_aerial_m"));
  FG_RETURN_IF_ERROR(
      Positive(f.aerial_ladder_building_height_m(), "fire_access.aerial_ladder_building_height_m"));
  FG_RETURN_IF_ERROR(Positive(f.lane_min_load_t(), "fire_access.lane_min_load_t"));
  FG_RETURN_IF_ERROR(Positive(f.site_min_length_m(), "fire_access.site_min_length_m"));
  FG_RETURN_IF_ERROR(Positive(f.site_min_width_m(), "fire_access.site_min_width_m"));
  FG_RETURN_IF_ERROR(
      Positive(f.site_tall_building_height_m(), "fire_access.site_tall_building_height_m"));
  FG_RETURN_IF_ERROR(Positive(f.site_min_length_tall_m(), "fire_access.site_min_length_tall_m"));
  FG_RETURN_IF_ERROR(Positive(f.site_min_width_tall_m(), "fire_access.site_min_width_tall_m"));
  FG_RETURN_IF_ERROR(Positive(f.site_max_slope_percent(), "fire_access.site_max_slope_percent"));
  FG_RETURN_IF_ERROR(Positive(f.site_min_load_t(), "fire_access.site_min_load_t"));
  const auto& fl = r.filing();
  if (fl.filing_period_working_days() < 1 || fl.filing_period_working_days() > 60) {
    return absl::InvalidArgumentError(
        "rules.filing.filing_period_working_days: must be in [1, 60]");
  }
  if (fl.utc_offset_seconds() < -14 * 3600 || fl.utc_offset_seconds() > 14 * 3600) {
    return absl::InvalidArgumentError("rules.filing.utc_offset_seconds: must be within ±14h");
  }
  return CalendarFromRules(r).status();
}

absl::StatusOr<WorkCalendar> CalendarFromRules(const Rules& r) {
  WorkCalendar cal;
  cal.zone = absl::FixedTimeZone(r.filing().utc_offset_seconds());
  for (const auto& h : r.filing().holidays()) {
    FG_ASSIGN_OR_RETURN(absl::CivilDay d, ParseDay(h, "filing.holidays"));
    cal.holidays.insert(d);
  }
  for (const auto& h : r.filing().extra_working_days()) {
    FG_ASSIGN_OR_RETURN(absl::CivilDay d, ParseDay(h, "filing.extra_working_days"));
    cal.extra_working_days.insert(d);
  }
  return cal;
}

absl::StatusOr<Rules> ParseRules(const std::string& textproto) {
  Rules rules;
  if (!google::protobuf::TextFormat::ParseFromString(textproto, &rules)) {
    return absl::InvalidArgumentError("rules: not a valid BuildingsRules text proto");
  }
  FG_RETURN_IF_ERROR(ValidateRules(rules));
  return rules;
}

absl::StatusOr<Rules> LoadRulesFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("rules file ", path, " cannot be read"));
  std::stringstream ss;
  ss << in.rdbuf();
  auto rules = ParseRules(ss.str());
  if (!rules.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", rules.status().message()));
  }
  return rules;
}

Rules DefaultRules() {
  Rules r;
  auto* c = r.mutable_building_class();
  c->set_residential_high_rise_m(27);
  c->set_residential_class_i_m(54);
  c->set_public_high_rise_m(24);
  c->set_public_class_i_m(50);
  c->set_super_high_rise_m(100);
  c->add_class_i_uses(firegrid::buildings::v1::BUILDING_USE_HOSPITAL);
  c->add_class_i_uses(firegrid::buildings::v1::BUILDING_USE_ELDERLY_CARE);
  auto* f = r.mutable_fire_access();
  f->set_lane_min_clear_width_m(4);
  f->set_lane_min_clear_height_m(4);
  f->set_lane_max_slope_percent(8);
  f->set_lane_min_turning_radius_m(12);
  f->set_aerial_ladder_building_height_m(50);
  f->set_lane_min_turning_radius_aerial_m(18);
  f->set_lane_min_load_t(30);
  f->set_site_min_length_m(15);
  f->set_site_min_width_m(10);
  f->set_site_tall_building_height_m(50);
  f->set_site_min_length_tall_m(20);
  f->set_site_min_width_tall_m(10);
  f->set_site_max_slope_percent(3);
  f->set_site_min_load_t(30);
  f->set_require_marking(true);
  f->set_high_rise_requires_lane(true);
  f->set_high_rise_requires_site(true);
  r.mutable_filing()->set_filing_period_working_days(5);
  r.mutable_filing()->set_utc_offset_seconds(8 * 3600);
  return r;
}

}  // namespace firegrid::buildings
