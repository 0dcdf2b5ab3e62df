#include "services/hazards/projection.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace firegrid::hazards {

namespace bv1 = ::firegrid::buildings::v1;
namespace sv1 = ::firegrid::subjects::v1;

namespace {

void SetSubjects(const bv1::ResponsibilityChain& c, BuildingView* v) {
  v->subjects.clear();
  for (const auto* s :
       {&c.responsible_person().subject(), &c.manager().subject(), &c.building_head().subject()}) {
    if (!s->empty()) v->subjects.push_back(*s);
  }
}

}  // namespace

BuildingView ViewOf(const bv1::Building& b) {
  BuildingView v;
  v.building_id = b.building_id();
  v.name = b.name();
  v.tier_path = b.tier_path();
  v.use = b.use();
  v.version = b.version();
  SetSubjects(b.responsibility().chain(), &v);
  v.liable_party = DefaultLiableParty(b);
  return v;
}

std::optional<sv1::Party> DefaultLiableParty(const bv1::Building& b) {
  for (sv1::PartyRole role :
       {sv1::PARTY_ROLE_MANAGEMENT_UNIT, sv1::PARTY_ROLE_PROPERTY_COMPANY, sv1::PARTY_ROLE_OWNER}) {
    for (const sv1::Party& party : b.parties()) {
      if (party.role() == role) return party;
    }
  }
  return std::nullopt;
}

BuildingView WithResponsibility(BuildingView v, const bv1::ResponsibilityFiled& e) {
  v.version = e.building_version();
  SetSubjects(e.chain(), &v);
  return v;
}

std::vector<v1::ReportHazardRequest> CampaignReports(const bv1::FireAccessNonCompliant& e,
                                                     const std::string& event_id) {
  std::map<v1::HazardCategory, std::vector<std::string>> found;
  for (const auto& v : e.assessment().violations()) {
    switch (v.kind()) {
      case bv1::VIOLATION_KIND_OCCUPIED:
        found[v1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED].push_back(v.message());
        break;
      case bv1::VIOLATION_KIND_MARKING:
        found[v1::HAZARD_CATEGORY_FIRE_ACCESS_UNMARKED].push_back(v.message());
        break;
      default:
        found[v1::HAZARD_CATEGORY_FIRE_LANE_GEOMETRY].push_back(v.message());
    }
  }
  std::vector<v1::ReportHazardRequest> out;
  for (const auto& [category, messages] : found) {
    v1::ReportHazardRequest req;
    req.set_building_id(e.building_id());
    req.set_category(category);
    req.set_severity(v1::SEVERITY_GENERAL);
    req.set_source(v1::SOURCE_CAMPAIGN);
    req.set_description(absl::StrCat("fire-access assessment: ", absl::StrJoin(messages, "; ")));
    if (req.description().size() > 4000) req.mutable_description()->resize(4000);
    req.set_idempotency_key(absl::StrCat("campaign:", event_id, ":", category));
    out.push_back(std::move(req));
  }
  return out;
}

}  // namespace firegrid::hazards
