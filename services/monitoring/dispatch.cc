// DispatchFor (links.h): who hears of a dispatching alarm at once.
#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/monitoring/links.h"

namespace firegrid::monitoring {

v1::Dispatch DispatchFor(const config::v1::DispatchRule& rule, const v1::BuildingView& building,
                         std::vector<v1::StationRef> stations) {
  v1::Dispatch out;
  out.set_building_address(building.address());
  std::set<std::string> seen;
  auto add = [&](std::string recipient) {
    if (seen.insert(recipient).second) out.add_recipients(std::move(recipient));
  };
  // Nearest first, each station once, at most the rule's number of stations.
  std::stable_sort(stations.begin(), stations.end(),
                   [](const v1::StationRef& a, const v1::StationRef& b) {
                     return a.distance_m() < b.distance_m();
                   });
  std::set<std::string> station_ids;
  for (v1::StationRef& s : stations) {
    if (out.stations_size() >= rule.nearest_stations()) break;
    if (s.station_id().empty() || !station_ids.insert(s.station_id()).second) continue;
    add(absl::StrCat("org:", s.station_id()));
    *out.add_stations() = std::move(s);
  }
  for (const std::string& subject : building.subjects()) {
    if (subject.empty()) continue;
    add(absl::StartsWith(subject, "person:") ? subject : absl::StrCat("person:", subject));
  }
  const std::string& tier = building.tier_path();
  if (!tier.empty()) add(absl::StrCat("org:", tier));
  if (tier.size() >= 6) {
    add(absl::StrCat("org:", tier.substr(0, 6), ".", rule.fire_rescue_department()));
  }
  return out;
}

}  // namespace firegrid::monitoring
