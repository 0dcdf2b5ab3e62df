#include "services/credit/export_record.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/subjects/personal_data.h"

namespace firegrid::credit {
namespace {

// The entitled fields of a blacklist entry (docs/credit-export.md).
v1::BlacklistEntry ExportedEntry(const v1::BlacklistEntry& e, bool person) {
  v1::BlacklistEntry out;
  out.set_entry_id(e.entry_id());
  out.set_subject_id(e.subject_id());
  out.set_subject_name(person ? subjects::MaskName(e.subject_name()) : e.subject_name());
  out.set_credit_code(e.credit_code());
  out.set_state(e.state());
  out.set_reason(e.reason());
  out.set_legal_basis(e.legal_basis());
  out.set_automatic(e.automatic());
  out.set_duration_days(e.duration_days());
  if (e.has_proposed_at()) *out.mutable_proposed_at() = e.proposed_at();
  if (e.has_objection_deadline()) *out.mutable_objection_deadline() = e.objection_deadline();
  if (e.has_effective_at()) *out.mutable_effective_at() = e.effective_at();
  if (e.has_expires_at()) *out.mutable_expires_at() = e.expires_at();
  if (e.has_ended_at()) *out.mutable_ended_at() = e.ended_at();
  return out;
}

}  // namespace

v1::ExportRecord ExportRecordOf(const v1::SubjectState& s, const v1::Fact& fact,
                                const std::string& rules_version) {
  const v1::Subject& subject = s.subject();
  const bool person = absl::StartsWith(subject.subject_id(), "person:");
  v1::ExportRecord r;
  r.set_record_id(absl::StrCat(fact.fact_id(), "/", subject.subject_id()));
  r.set_subject_id(subject.subject_id());
  if (!person) r.set_credit_code(subject.credit_code());
  r.set_name(person ? subjects::MaskName(subject.name()) : subject.name());
  r.set_type(subject.type());
  r.set_level(s.level());
  r.set_score(s.score());
  for (const v1::BlacklistEntry& e : s.blacklist()) {
    if (e.state() == v1::BLACKLIST_STATE_ACTIVE) r.set_blacklisted(true);
    *r.add_blacklist() = ExportedEntry(e, person);
  }
  *r.mutable_effective_at() = fact.time();
  r.set_rules_version(rules_version);
  return r;
}

}  // namespace firegrid::credit
