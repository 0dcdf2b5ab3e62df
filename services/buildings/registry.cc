#include "services/buildings/registry.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/auth/scope.h"
#include "libs/common/status.h"
#include "libs/events/envelope.h"
#include "libs/events/topics.h"
#include "services/buildings/access.h"
#include "services/buildings/classify.h"
#include "services/buildings/filing.h"
#include "services/buildings/fire_access.h"
#include "services/buildings/registry_internal.h"
#include "services/buildings/validate.h"

namespace firegrid::buildings {

using auth::Role;
using internal::kProducer;
using internal::kScanChunk;
using internal::Ts;

Registry::Registry(Store* store, Rules rules, Clock* clock, IdGenerator* ids)
    : store_(store), rules_(std::move(rules)), clock_(clock), ids_(ids) {
  auto cal = CalendarFromRules(rules_);
  if (cal.ok()) calendar_ = *cal;  // rules are validated before the registry is built
}

events::Message Registry::Event(const google::protobuf::Message& payload, const v1::Building& b,
                                absl::Time now) {
  events::Envelope env =
      events::NewEnvelope(payload, kProducer, b.building_id(), b.tier_path(), now, *ids_);
  return events::Message{std::string(events::kBuildingsTopic), b.building_id(),
                         env.SerializeAsString()};
}

void Registry::Decorate(v1::Building* b) const {
  ComputeFilingState(b->mutable_responsibility(), clock_->Now(), calendar_,
                     rules_.filing().filing_period_working_days());
}

void Registry::Derive(v1::Building* b, absl::Time now) const {
  b->set_building_class(DeriveClass(*b, rules_));
  const v1::FireAccessAssessment a = firegrid::buildings::AssessFireAccess(*b, rules_, now);
  b->set_fire_access_compliant(a.compliant());
  b->set_fire_access_violations(a.violations_size());
  b->set_version(b->version() + 1);
  *b->mutable_updated_at() = Ts(now);
  // Read-time fields are not stored.
  b->mutable_responsibility()->clear_filing_state();
  b->mutable_responsibility()->clear_filing_due();
  b->mutable_responsibility()->clear_working_days_late();
}

absl::StatusOr<v1::Building> Registry::ForCaller(const P& p, absl::StatusOr<v1::Building> b) {
  if (b.ok()) RedactForCaller(p, &*b);
  return b;
}

absl::StatusOr<v1::Building> Registry::Load(const std::string& id) {
  if (!IsWellFormedId(id, "bld")) return InvalidField("building_id", "is not a building id");
  FG_ASSIGN_OR_RETURN(v1::Building b, store_->GetBuilding(id));
  Decorate(&b);
  return b;
}

absl::Status Registry::CheckTierExists(const std::string& code, const std::string& field) {
  auto unit = store_->GetOrgUnit(code);
  if (unit.status().code() == absl::StatusCode::kNotFound) {
    return InvalidField(field, absl::StrCat("no org unit ", code));
  }
  FG_RETURN_IF_ERROR(unit.status());
  if (DivisionLevel(code) == 3 && unit->kind() != v1::ORG_UNIT_KIND_COMMUNITY &&
      unit->kind() != v1::ORG_UNIT_KIND_VILLAGE) {
    return InvalidField(field, absl::StrCat(code, " is not a community or village"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Registry::ScopeOf(const P& p, const std::string& requested,
                                              const std::string& field) {
  std::string scope = requested.empty() ? p.tier_path : requested;
  if (!scope.empty()) {
    for (char c : scope) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return InvalidField(field, "must be a division-code prefix (digits)");
      }
    }
  }
  if (p.role != Role::kBuildingManager) FG_RETURN_IF_ERROR(auth::RequireTier(p, scope));
  return scope;
}

absl::StatusOr<v1::Building> Registry::ReadModifyWrite(
    const std::string& id, int64_t expected_version,
    const std::function<absl::Status(const v1::Building&, v1::Building*, Outbox*)>& mutate) {
  for (int attempt = 0;; ++attempt) {
    FG_ASSIGN_OR_RETURN(v1::Building before, Load(id));
    if (expected_version > 0 && before.version() != expected_version) {
      return absl::AbortedError(absl::StrCat("building ", id, " is at version ", before.version(),
                                             ", not ", expected_version, "; read it again"));
    }
    v1::Building after = before;
    Outbox outbox;
    FG_RETURN_IF_ERROR(mutate(before, &after, &outbox));
    absl::Status s = store_->UpdateBuilding(before, after, nullptr, outbox);
    if (s.ok()) {
      Decorate(&after);
      return after;
    }
    // Without a client version, a concurrent writer is not the client's conflict: try again.
    if (s.code() != absl::StatusCode::kAborted || expected_version > 0 || attempt >= 4) return s;
  }
}

absl::StatusOr<std::vector<v1::Building>> Registry::ScanAll(const std::string& prefix) {
  std::vector<v1::Building> out;
  std::string cursor;
  while (true) {
    FG_ASSIGN_OR_RETURN(BuildingPage page, store_->ScanBuildings(prefix, cursor, kScanChunk));
    for (auto& b : page.buildings) {
      Decorate(&b);
      out.push_back(std::move(b));
    }
    if (page.next_cursor.empty()) break;
    cursor = page.next_cursor;
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> Registry::UnitNames(const std::string& prefix) {
  std::map<std::string, std::string> names;
  // The units above the prefix (its street and district) and all below it.
  for (size_t len : {6, 9, 12}) {
    if (prefix.size() >= len) {
      auto u = store_->GetOrgUnit(prefix.substr(0, len));
      if (u.ok()) names[u->code()] = u->name();
    }
  }
  std::string cursor;
  while (true) {
    std::string next;
    FG_ASSIGN_OR_RETURN(auto units, store_->ListOrgUnits(prefix, cursor, kScanChunk, &next));
    for (const auto& u : units) names[u.code()] = u.name();
    if (next.empty()) break;
    cursor = next;
  }
  return names;
}

}  // namespace firegrid::buildings
