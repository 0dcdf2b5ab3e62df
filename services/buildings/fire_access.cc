#include "services/buildings/fire_access.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "services/buildings/classify.h"

namespace firegrid::buildings {
namespace {

using v1::FireAccessAssessment;
using v1::Marking;
using v1::ViolationKind;

class Collector {
 public:
  explicit Collector(FireAccessAssessment* out) : out_(out) {}

  void Add(ViolationKind kind, const std::string& subject, const std::string& rule, double actual,
           double required, std::string message) {
    auto* v = out_->add_violations();
    v->set_kind(kind);
    v->set_subject(subject);
    v->set_rule(rule);
    v->set_actual(actual);
    v->set_required(required);
    v->set_message(std::move(message));
  }

  void AtLeast(const std::string& subject, const std::string& rule, const char* what, double actual,
               double required, const char* unit) {
    if (actual < required) {
      Add(v1::VIOLATION_KIND_GEOMETRY, subject, rule, actual, required,
          absl::StrFormat("%s %s is %.2f %s, at least %.2f %s required", subject, what, actual,
                          unit, required, unit));
    }
  }

  void AtMost(const std::string& subject, const std::string& rule, const char* what, double actual,
              double limit, const char* unit) {
    if (actual > limit) {
      Add(v1::VIOLATION_KIND_GEOMETRY, subject, rule, actual, limit,
          absl::StrFormat("%s %s is %.2f %s, at most %.2f %s allowed", subject, what, actual, unit,
                          limit, unit));
    }
  }

  void Marked(const std::string& subject, const std::string& prefix, const Marking& m) {
    if (!m.lines_painted()) {
      Add(v1::VIOLATION_KIND_MARKING, subject, prefix + ".marking.lines_painted", 0, 1,
          subject + " has no painted lines (划线)");
    }
    if (!m.name_marked()) {
      Add(v1::VIOLATION_KIND_MARKING, subject, prefix + ".marking.name_marked", 0, 1,
          subject + " is not named (注名)");
    }
    if (!m.sign_installed()) {
      Add(v1::VIOLATION_KIND_MARKING, subject, prefix + ".marking.sign_installed", 0, 1,
          subject + " has no sign (立牌)");
    }
  }

 private:
  FireAccessAssessment* out_;
};

}  // namespace

FireAccessAssessment AssessFireAccess(const v1::Building& b, const Rules& rules, absl::Time now) {
  const auto& r = rules.fire_access();
  FireAccessAssessment out;
  out.set_building_id(b.building_id());
  *out.mutable_assessed_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
  Collector c(&out);
  const bool high_rise = IsHighRise(b.building_class());

  if (high_rise && r.high_rise_requires_lane() && b.fire_lanes().empty()) {
    c.Add(v1::VIOLATION_KIND_MISSING, "building", "fire_lane.required", 0, 1,
          "a high-rise building needs a fire lane; none is recorded");
  }
  if (high_rise && r.high_rise_requires_site() && b.rescue_sites().empty()) {
    c.Add(v1::VIOLATION_KIND_MISSING, "building", "rescue_site.required", 0, 1,
          "a high-rise building needs a rescue site; none is recorded");
  }

  const double min_turning = b.height_m() > r.aerial_ladder_building_height_m()
                                 ? r.lane_min_turning_radius_aerial_m()
                                 : r.lane_min_turning_radius_m();
  for (const auto& lane : b.fire_lanes()) {
    const std::string s = absl::StrCat("lane:", lane.lane_id());
    c.AtLeast(s, "fire_lane.min_clear_width_m", "clear width", lane.clear_width_m(),
              r.lane_min_clear_width_m(), "m");
    c.AtLeast(s, "fire_lane.min_clear_height_m", "clear height", lane.clear_height_m(),
              r.lane_min_clear_height_m(), "m");
    c.AtMost(s, "fire_lane.max_slope_percent", "slope", lane.slope_percent(),
             r.lane_max_slope_percent(), "%");
    c.AtLeast(s, "fire_lane.min_turning_radius_m", "turning radius", lane.turning_radius_m(),
              min_turning, "m");
    c.AtLeast(s, "fire_lane.min_load_t", "load capacity", lane.load_capacity_t(),
              r.lane_min_load_t(), "t");
    if (r.require_marking()) c.Marked(s, "fire_lane", lane.marking());
    if (lane.occupied()) {
      c.Add(v1::VIOLATION_KIND_OCCUPIED, s, "fire_lane.occupied", 1, 0,
            s + " is occupied or blocked");
    }
  }

  const bool tall = b.height_m() > r.site_tall_building_height_m();
  const double min_len = tall ? r.site_min_length_tall_m() : r.site_min_length_m();
  const double min_wid = tall ? r.site_min_width_tall_m() : r.site_min_width_m();
  for (const auto& site : b.rescue_sites()) {
    const std::string s = absl::StrCat("site:", site.site_id());
    c.AtLeast(s, "rescue_site.min_length_m", "length", site.length_m(), min_len, "m");
    c.AtLeast(s, "rescue_site.min_width_m", "width", site.width_m(), min_wid, "m");
    c.AtMost(s, "rescue_site.max_slope_percent", "slope", site.slope_percent(),
             r.site_max_slope_percent(), "%");
    c.AtLeast(s, "rescue_site.min_load_t", "load capacity", site.load_capacity_t(),
              r.site_min_load_t(), "t");
    if (r.require_marking()) c.Marked(s, "rescue_site", site.marking());
    if (site.occupied()) {
      c.Add(v1::VIOLATION_KIND_OCCUPIED, s, "rescue_site.occupied", 1, 0,
            s + " is occupied or taken over");
    }
  }
  out.set_compliant(out.violations().empty());
  return out;
}

}  // namespace firegrid::buildings
