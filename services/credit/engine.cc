#include "services/credit/engine.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/principal.h"
#include "libs/subjects/party.h"
#include "services/hazards/departments.h"

namespace firegrid::credit {

namespace {

namespace cfg = ::firegrid::config::v1;
using google::protobuf::Timestamp;
using subjects::v1::Party;
using subjects::v1::PartyRole;

// Who proposes an automatic blacklist entry.
constexpr char kAutoActor[] = "credit";
// The rule id of the repair credit (blacklist.repair_delta) on the ledger.
constexpr char kRepairRuleId[] = "blacklist.repair";

Timestamp Ts(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
absl::Time FromTs(const Timestamp& ts) {
  return absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(ts));
}
absl::Duration Days(int n) { return absl::Hours(24) * n; }

// Sorted, unique insert; true when added.
bool InsertSorted(google::protobuf::RepeatedPtrField<std::string>* v, const std::string& x) {
  auto it = std::lower_bound(v->begin(), v->end(), x);
  if (it != v->end() && *it == x) return false;
  const auto at = it - v->begin();  // Add() may move the elements
  v->Add(std::string(x));
  std::rotate(v->begin() + at, v->end() - 1, v->end());
  return true;
}
bool EraseSorted(google::protobuf::RepeatedPtrField<std::string>* v, const std::string& x) {
  auto it = std::lower_bound(v->begin(), v->end(), x);
  if (it == v->end() || *it != x) return false;
  v->erase(it);
  return true;
}
bool ContainsSorted(const google::protobuf::RepeatedPtrField<std::string>& v,
                    const std::string& x) {
  return std::binary_search(v.begin(), v.end(), x);
}

bool IsOpen(v1::BlacklistState s) {
  return s == v1::BLACKLIST_STATE_PROPOSED || s == v1::BLACKLIST_STATE_OBJECTED ||
         s == v1::BLACKLIST_STATE_ACTIVE;
}

bool SameLink(const v1::BuildingLink& a, const v1::BuildingLink& b) {
  return a.building_id() == b.building_id() && a.building_name() == b.building_name() &&
         a.tier_path() == b.tier_path() && a.role() == b.role();
}
bool LinkLess(const v1::BuildingLink& a, const v1::BuildingLink& b) {
  if (a.building_id() != b.building_id()) return a.building_id() < b.building_id();
  return a.role() < b.role();
}

// Codes in upper case without blanks, names trimmed (what subjects::NormalizeParty makes).
bool IsNormal(const Party& p) {
  for (const std::string* f : {&p.credit_code(), &p.person_id(), &p.account_subject()}) {
    for (char c : *f) {
      if (absl::ascii_islower(c) || absl::ascii_isspace(c)) return false;
    }
  }
  return p.name().empty() ||
         (!absl::ascii_isspace(p.name().front()) && !absl::ascii_isspace(p.name().back()));
}

// The subject id an entry id ("<subject>#bl<n>") belongs to; "" when it is not one.
std::string SubjectOfEntry(const std::string& entry_id) {
  const size_t at = entry_id.rfind("#bl");
  return at == std::string::npos || at == 0 ? "" : entry_id.substr(0, at);
}

// One fact being applied.
class Step {
 public:
  Step(const Rules& rules, const SubjectIds& ids, const v1::Fact& fact, StateView* state,
       Outcome* out, bool publish)
      : publish_(publish),
        rules_(rules),
        ids_(ids),
        fact_(fact),
        state_(state),
        out_(out),
        t_(FromTs(fact.time())) {}

  absl::Status Run() {
    switch (fact_.kind_case()) {
      case v1::Fact::kHazard:
        return OnHazard(fact_.hazard());
      case v1::Fact::kBuilding:
        return OnBuilding(fact_.building());
      case v1::Fact::kRegistration:
        return OnRegistration(fact_.registration());
      case v1::Fact::kManual:
        return OnManual(fact_.manual());
      case v1::Fact::kProposal:
        return OnProposal(fact_.proposal());
      case v1::Fact::kObjection:
        return OnObjection(fact_.objection());
      case v1::Fact::kObjectionReview:
        return OnObjectionReview(fact_.objection_review());
      case v1::Fact::kRepairRequest:
        return OnRepairRequest(fact_.repair_request());
      case v1::Fact::kRepairReview:
        return OnRepairReview(fact_.repair_review());
      case v1::Fact::kClock:
        return OnClock();
      case v1::Fact::KIND_NOT_SET:
        break;
    }
    return absl::InvalidArgumentError(absl::StrCat("fact ", fact_.fact_id(), " has no kind"));
  }

 private:
  // ---- what a record is caused by ----
  struct Why {
    std::string kind;  // Cause.kind
    std::string description;
    std::string legal_basis;
  };

  // ---- subjects ----

  v1::SubjectRef Ref(const v1::SubjectState& s) const {
    v1::SubjectRef ref;
    ref.set_subject_id(s.subject().subject_id());
    ref.set_name(s.subject().name());
    ref.set_type(s.subject().type());
    ref.set_credit_code(s.subject().credit_code());
    *ref.mutable_notify_subjects() = s.notify_subjects();
    ref.set_supervising_org_unit(org_unit_);
    for (const v1::BuildingLink& l : s.subject().buildings()) {
      if (!l.tier_path().empty()) InsertSorted(ref.mutable_tier_paths(), l.tier_path());
    }
    return ref;
  }

  // The principals to tell of the subject: its accounts and its buildings' managers (with
  // `override_building`'s managers taken from `override_managers`).
  std::vector<std::string> NotifyOf(const v1::SubjectState& s) {
    std::vector<std::string> n(s.subject().account_subjects().begin(),
                               s.subject().account_subjects().end());
    const std::string* last = nullptr;
    for (const v1::BuildingLink& l : s.subject().buildings()) {
      if (last != nullptr && *last == l.building_id()) continue;
      last = &l.building_id();
      if (const v1::BuildingState* b = state_->FindBuilding(l.building_id())) {
        n.insert(n.end(), b->manager_subjects().begin(), b->manager_subjects().end());
      }
    }
    std::sort(n.begin(), n.end());
    n.erase(std::unique(n.begin(), n.end()), n.end());
    return n;
  }

  // Sets notify_subjects from accounts and buildings; true when they changed.
  bool RefreshNotify(v1::SubjectState* s) {
    std::vector<std::string> n = NotifyOf(*s);
    if (std::equal(n.begin(), n.end(), s->notify_subjects().begin(), s->notify_subjects().end())) {
      return false;
    }
    s->mutable_notify_subjects()->Assign(n.begin(), n.end());
    return true;
  }

  void InitSubject(v1::SubjectState* s, const Party& party) {
    v1::Subject* sub = s->mutable_subject();
    sub->set_type(subjects::SubjectTypeOf(party.role()));
    sub->set_name(party.name());
    if (!party.credit_code().empty()) {
      sub->set_credit_code(party.credit_code());
    } else {
      sub->set_person_id(party.person_id());
    }
    *sub->mutable_registered_at() = fact_.time();
    s->set_score(rules_.proto().base_score());
    s->set_level(rules_.LevelFor(s->score()));
    *s->mutable_updated_at() = fact_.time();
  }

  // The party's subject, created (at base score) when new; its name and account updated; linked
  // to `building_id` (as `role`) unless it is linked to that building already. nullptr when the
  // party names no one. Marks the subject changed only when something changed.
  v1::SubjectState* EnsureSubject(const Party& given, const std::string& building_id,
                                  const std::string& building_name, const std::string& tier_path,
                                  const google::protobuf::RepeatedPtrField<std::string>* managers) {
    const std::string id = ids_.IdOf(given);
    if (id.empty()) return nullptr;
    Party normal;
    if (!IsNormal(given)) {  // stored as its normal form (the id is that of the normal form)
      normal = given;
      subjects::NormalizeParty(&normal);
    }
    const Party& party = IsNormal(given) ? given : normal;
    v1::SubjectState* s = state_->FindSubject(id);
    const bool created = s == nullptr;
    const bool rename = !created && !party.name().empty() && party.name() != s->subject().name();
    const bool add_account =
        !party.account_subject().empty() &&
        (created || !ContainsSorted(s->subject().account_subjects(), party.account_subject()));
    bool add_link = !building_id.empty();
    if (add_link && !created) {
      for (const v1::BuildingLink& l : s->subject().buildings()) {
        if (l.building_id() == building_id) {
          add_link = false;
          break;
        }
      }
    }
    if (!created && !rename && !add_account && !add_link) return s;

    s = state_->MutableSubject(id);
    if (created) InitSubject(s, party);
    if (rename) {
      s->mutable_subject()->set_name(party.name());
      *s->mutable_updated_at() = fact_.time();
    }
    if (s->subject().type() == subjects::v1::SUBJECT_TYPE_UNSPECIFIED) {
      s->mutable_subject()->set_type(subjects::SubjectTypeOf(party.role()));
    }
    if (add_account) {
      InsertSorted(s->mutable_subject()->mutable_account_subjects(), party.account_subject());
    }
    if (add_link) {
      v1::BuildingState* b = state_->FindBuilding(building_id);
      if (b == nullptr || !ContainsSorted(b->subject_ids(), id)) {
        b = state_->MutableBuilding(building_id);
        if (b->building_name().empty()) b->set_building_name(building_name);
        if (b->tier_path().empty()) b->set_tier_path(tier_path);
        if (b->manager_subjects().empty() && managers != nullptr) {
          std::vector<std::string> m(managers->begin(), managers->end());
          std::sort(m.begin(), m.end());
          m.erase(std::unique(m.begin(), m.end()), m.end());
          b->mutable_manager_subjects()->Assign(m.begin(), m.end());
        }
        InsertSorted(b->mutable_subject_ids(), id);
      }
      v1::BuildingLink link;
      link.set_building_id(building_id);
      link.set_building_name(b->building_name());
      link.set_tier_path(b->tier_path());
      link.set_role(party.role());
      auto* links = s->mutable_subject()->mutable_buildings();
      *links->Add() = std::move(link);
      std::sort(links->begin(), links->end(), LinkLess);
    }
    if (add_account || add_link || created) RefreshNotify(s);
    return s;
  }

  // ---- ledger, score, publications ----

  v1::LedgerRecord& Record(v1::SubjectState* s, v1::RecordKind kind, const std::string& rule_id,
                           const Why& why, int delta, const std::string& entry_id) {
    v1::LedgerRecord& r = out_->records.emplace_back();
    const int64_t seq = s->ledger_records() + 1;
    s->set_ledger_records(seq);
    r.set_record_id(absl::StrCat(s->subject().subject_id(), "#", seq));
    r.set_subject_id(s->subject().subject_id());
    r.set_seq(seq);
    r.set_kind(kind);
    r.set_rule_id(rule_id);
    r.set_rules_version(rules_.version());
    v1::Cause* c = r.mutable_cause();
    c->set_fact_id(fact_.fact_id());
    c->set_kind(why.kind);
    c->set_hazard_id(hazard_id_);
    c->set_building_id(building_id_);
    c->set_actor(fact_.actor());
    c->set_description(why.description);
    c->set_legal_basis(why.legal_basis);
    r.set_delta(delta);
    r.set_score_after(s->score());
    r.set_level_after(s->level());
    *r.mutable_at() = fact_.time();
    r.set_entry_id(entry_id);
    *s->mutable_updated_at() = fact_.time();
    return r;
  }

  void Exported(const std::string& subject_id) {
    auto& v = out_->exported_subjects;
    if (std::find(v.begin(), v.end(), subject_id) == v.end()) v.push_back(subject_id);
  }

  template <class T>
  T* Publish(const std::string& subject_id) {
    auto msg = std::make_unique<T>();
    T* raw = msg.get();
    out_->publications.push_back(Publication{subject_id, std::move(msg)});
    return raw;
  }

  // Applies `nominal` (clamped to the score range) under a rule: the ledger record, LevelChanged
  // (when the level moved), ScoreChanged (when the score moved) and the automatic blacklist
  // proposal (a deduction that
  // leaves the level in the proposal band, no entry open). Returns the actual change.
  int ChangeScore(v1::SubjectState* s, v1::RecordKind kind, const std::string& rule_id, int nominal,
                  const Why& why, const std::string& entry_id = "") {
    const int before = s->score();
    const v1::Level level_before = s->level();
    s->set_score(rules_.Clamp(before + nominal));
    s->set_level(rules_.LevelFor(s->score()));
    const int delta = s->score() - before;
    const v1::LedgerRecord& rec = Record(s, kind, rule_id, why, delta, entry_id);
    // LevelChanged first: notify tells a record's change once (whichever event of the record
    // comes first), and the level is the news.
    if (s->level() != level_before) {
      if (publish_) {
        auto* p = Publish<v1::LevelChanged>(s->subject().subject_id());
        *p->mutable_subject() = Ref(*s);
        *p->mutable_record() = rec;
        p->set_from(level_before);
        p->set_to(s->level());
      }
      Exported(s->subject().subject_id());
    }
    if (delta != 0 && publish_) {
      auto* p = Publish<v1::ScoreChanged>(s->subject().subject_id());
      *p->mutable_subject() = Ref(*s);
      *p->mutable_record() = rec;
      p->set_score_before(before);
    }
    // A deduction that leaves the subject in the proposal band, with no entry open (also after
    // an earlier one ended while the subject stayed there).
    const v1::Level band = rules_.proto().blacklist().auto_propose_level();
    if (nominal < 0 && band != v1::LEVEL_UNSPECIFIED && s->level() >= band && !HasOpenEntry(*s)) {
      const cfg::Blacklist& bl = rules_.proto().blacklist();
      Propose(s, /*automatic=*/true, bl.auto_reason(), bl.auto_legal_basis(),
              bl.default_duration_days(), kAutoActor, why.kind);
    }
    return delta;
  }

  // ---- blacklist ----

  static bool HasOpenEntry(const v1::SubjectState& s) {
    for (const v1::BlacklistEntry& e : s.blacklist()) {
      if (IsOpen(e.state())) return true;
    }
    return false;
  }

  void PublishEntry(v1::SubjectState* s, const v1::BlacklistEntry& e) {
    const std::string& id = s->subject().subject_id();
    Exported(id);
    if (!publish_) return;
    switch (e.state()) {
      case v1::BLACKLIST_STATE_PROPOSED: {
        auto* p = Publish<v1::BlacklistProposed>(id);
        *p->mutable_subject() = Ref(*s);
        *p->mutable_entry() = e;
        break;
      }
      case v1::BLACKLIST_STATE_ACTIVE: {
        auto* p = Publish<v1::Blacklisted>(id);
        *p->mutable_subject() = Ref(*s);
        *p->mutable_entry() = e;
        break;
      }
      case v1::BLACKLIST_STATE_WITHDRAWN:
      case v1::BLACKLIST_STATE_EXPIRED:
      case v1::BLACKLIST_STATE_REPAIRED: {
        auto* p = Publish<v1::BlacklistRemoved>(id);
        *p->mutable_subject() = Ref(*s);
        *p->mutable_entry() = e;
        break;
      }
      default:  // an objection: recorded and exported, no event of its own
        break;
    }
  }

  void SetEntryId(const std::string& entry_id) {
    if (out_->entry_id.empty()) out_->entry_id = entry_id;
  }

  void Propose(v1::SubjectState* s, bool automatic, const std::string& reason,
               const std::string& legal_basis, int duration_days, const std::string& by,
               const std::string& cause_kind) {
    v1::BlacklistEntry* e = s->add_blacklist();
    e->set_entry_id(absl::StrCat(s->subject().subject_id(), "#bl", s->blacklist_size()));
    e->set_subject_id(s->subject().subject_id());
    e->set_subject_name(s->subject().name());
    e->set_credit_code(s->subject().credit_code());
    e->set_state(v1::BLACKLIST_STATE_PROPOSED);
    e->set_reason(reason);
    e->set_legal_basis(legal_basis);
    e->set_automatic(automatic);
    e->set_proposed_by(by);
    *e->mutable_proposed_at() = fact_.time();
    const absl::Time deadline = t_ + Days(rules_.proto().blacklist().objection_days());
    *e->mutable_objection_deadline() = Ts(deadline);
    e->set_duration_days(duration_days);
    state_->SetDue(e->entry_id(), deadline);
    Record(s, v1::RECORD_KIND_BLACKLIST_PROPOSED, "", Why{cause_kind, reason, legal_basis}, 0,
           e->entry_id());
    SetEntryId(e->entry_id());
    PublishEntry(s, *e);
  }

  void Activate(v1::SubjectState* s, v1::BlacklistEntry* e, absl::Time effective, const Why& why) {
    e->set_state(v1::BLACKLIST_STATE_ACTIVE);
    *e->mutable_effective_at() = Ts(effective);
    const absl::Time expires = effective + Days(e->duration_days());
    *e->mutable_expires_at() = Ts(expires);
    state_->SetDue(e->entry_id(), expires);
    Record(s, v1::RECORD_KIND_BLACKLIST_ACTIVE, "", why, 0, e->entry_id());
    SetEntryId(e->entry_id());
    PublishEntry(s, *e);
  }

  void End(v1::SubjectState* s, v1::BlacklistEntry* e, v1::BlacklistState state, absl::Time ended,
           v1::RecordKind kind, const Why& why) {
    e->set_state(state);
    *e->mutable_ended_at() = Ts(ended);
    state_->SetDue(e->entry_id(), absl::InfinitePast());
    if (state == v1::BLACKLIST_STATE_REPAIRED) {
      ChangeScore(s, kind, kRepairRuleId, rules_.proto().blacklist().repair_delta(), why,
                  e->entry_id());
    } else {
      Record(s, kind, "", why, 0, e->entry_id());
    }
    SetEntryId(e->entry_id());
    PublishEntry(s, *e);
  }

  struct EntryRef {
    v1::SubjectState* subject = nullptr;
    v1::BlacklistEntry* entry = nullptr;
  };
  // The entry (found by FindEntry before) and its subject, marked changed.
  EntryRef MutableEntry(const std::string& entry_id) {
    const std::string subject_id = SubjectOfEntry(entry_id);
    v1::SubjectState* s = state_->MutableSubject(subject_id);
    for (int i = 0; i < s->blacklist_size(); ++i) {
      if (s->blacklist(i).entry_id() == entry_id) return EntryRef{s, s->mutable_blacklist(i)};
    }
    return EntryRef{s, nullptr};
  }
  // Read-only lookup for the checks that precede a change.
  const v1::BlacklistEntry* FindEntry(const std::string& entry_id) {
    const std::string subject_id = SubjectOfEntry(entry_id);
    const v1::SubjectState* s = subject_id.empty() ? nullptr : state_->FindSubject(subject_id);
    if (s == nullptr) return nullptr;
    for (const v1::BlacklistEntry& e : s->blacklist()) {
      if (e.entry_id() == entry_id) return &e;
    }
    return nullptr;
  }

  static absl::Status WrongState(const v1::BlacklistEntry& e, absl::string_view what) {
    return absl::FailedPreconditionError(absl::StrCat(
        "entry ", e.entry_id(), " is ", v1::BlacklistState_Name(e.state()), ": ", what));
  }

  // ---- hazards ----

  absl::Status OnHazard(const v1::HazardFact& f) {
    if (f.hazard_id().empty() || f.kind() == v1::HazardFact::KIND_REJECTED ||
        f.kind() == v1::HazardFact::KIND_UNSPECIFIED) {
      return absl::OkStatus();
    }
    hazard_id_ = f.hazard_id();
    building_id_ = f.building_id();
    if (!f.district().empty() && !f.supervising_department().empty()) {
      org_unit_ = hazards::DepartmentOrgUnit(f.district(), f.supervising_department());
    }
    const v1::HazardState* cur = state_->FindHazard(f.hazard_id());
    if (cur != nullptr && cur->closed()) return absl::OkStatus();  // every effect is done
    const std::string liable = ids_.IdOf(f.liable_party());
    const bool move = !liable.empty() && (cur == nullptr || cur->liable_subject_id() != liable);
    const bool effect =
        (f.kind() == v1::HazardFact::KIND_VERIFIED && (cur == nullptr || !cur->verified())) ||
        (f.kind() == v1::HazardFact::KIND_OVERDUE && (cur == nullptr || !cur->overdue())) ||
        f.kind() == v1::HazardFact::KIND_CLOSED;
    if (!move && !effect) return absl::OkStatus();  // a redelivery, or nothing new

    v1::HazardState* h = state_->MutableHazard(f.hazard_id());
    h->set_category(f.category());
    h->set_severity(f.severity());
    h->set_building_id(f.building_id());
    h->set_supervising_department(f.supervising_department());
    h->set_district(f.district());
    if (move) Reassign(h, f, liable);
    v1::SubjectState* s =
        h->liable_subject_id().empty() ? nullptr : state_->MutableSubject(h->liable_subject_id());
    switch (f.kind()) {
      case v1::HazardFact::KIND_VERIFIED:
        if (!h->verified()) ChargeVerified(h, s, "hazard.verified");
        break;
      case v1::HazardFact::KIND_OVERDUE:
        if (!h->overdue()) ChargeOverdue(h, s, "hazard.overdue");
        break;
      case v1::HazardFact::KIND_CLOSED:
        Close(h, s, f.on_time());
        break;
      default:
        break;
    }
    return absl::OkStatus();
  }

  // The liable party changed: the charges made so far move from the old subject (a reversing
  // record) to the new one (the rules applied to it).
  void Reassign(v1::HazardState* h, const v1::HazardFact& f, const std::string& liable) {
    const std::string old = h->liable_subject_id();
    if (!old.empty() && state_->FindSubject(old) != nullptr) {
      v1::SubjectState* o = state_->MutableSubject(old);
      if (h->verified() && !h->verified_rule().empty()) {
        ChangeScore(o, v1::RECORD_KIND_SCORE, h->verified_rule(), -h->verified_delta(),
                    HazardWhy("hazard.reassigned", h->verified_rule()));
        auto* marks = o->mutable_repeat_marks();
        marks->erase(std::remove_if(
                         marks->begin(), marks->end(),
                         [&](const v1::RepeatMark& m) { return m.hazard_id() == h->hazard_id(); }),
                     marks->end());
      }
      if (h->overdue() && !h->overdue_rule().empty()) {
        ChangeScore(o, v1::RECORD_KIND_SCORE, h->overdue_rule(), -h->overdue_delta(),
                    HazardWhy("hazard.reassigned", h->overdue_rule()));
      }
      EraseSorted(o->mutable_open_overdue_hazards(), h->hazard_id());
    }
    h->set_liable_subject_id(liable);
    EnsureSubject(f.liable_party(), f.building_id(), f.building_name(), f.tier_path(),
                  &f.building_subjects());
    v1::SubjectState* s = state_->MutableSubject(liable);
    if (h->verified()) ChargeVerified(h, s, "hazard.reassigned");
    if (h->overdue()) ChargeOverdue(h, s, "hazard.reassigned");
  }

  Why HazardWhy(const std::string& kind, const std::string& rule_id) const {
    const cfg::HazardRule* r = rules_.Hazard(rule_id);
    return Why{kind, r != nullptr ? r->description() : "", r != nullptr ? r->legal_basis() : ""};
  }

  void ChargeVerified(v1::HazardState* h, v1::SubjectState* s, const std::string& kind) {
    h->set_verified(true);
    const cfg::HazardRule* rule =
        rules_.MatchHazard(cfg::HazardRule::TRIGGER_VERIFIED, h->severity(), h->category());
    h->set_verified_rule(rule != nullptr ? rule->id() : "");
    h->set_verified_delta(0);
    if (rule == nullptr || s == nullptr) return;
    // Repeat marks: drop those out of the window, then look for another of the category.
    const absl::Time cutoff = t_ - Days(rules_.proto().repeat_window_days());
    auto* marks = s->mutable_repeat_marks();
    marks->erase(
        std::remove_if(marks->begin(), marks->end(),
                       [&](const v1::RepeatMark& m) { return FromTs(m.verified_at()) < cutoff; }),
        marks->end());
    bool repeat = false;
    for (const v1::RepeatMark& m : *marks) {
      if (m.category() == h->category() && m.hazard_id() != h->hazard_id()) repeat = true;
    }
    v1::RepeatMark* mark = marks->Add();
    mark->set_category(h->category());
    *mark->mutable_verified_at() = fact_.time();
    mark->set_hazard_id(h->hazard_id());
    const int nominal = repeat && rule->repeat_delta() != 0 ? rule->repeat_delta() : rule->delta();
    h->set_verified_delta(ChangeScore(s, v1::RECORD_KIND_SCORE, rule->id(), nominal,
                                      Why{kind, rule->description(), rule->legal_basis()}));
  }

  void ChargeOverdue(v1::HazardState* h, v1::SubjectState* s, const std::string& kind) {
    h->set_overdue(true);
    const cfg::HazardRule* rule =
        rules_.MatchHazard(cfg::HazardRule::TRIGGER_OVERDUE, h->severity(), h->category());
    h->set_overdue_rule(rule != nullptr ? rule->id() : "");
    h->set_overdue_delta(0);
    if (s == nullptr) return;
    InsertSorted(s->mutable_open_overdue_hazards(), h->hazard_id());
    if (rule == nullptr) return;
    h->set_overdue_delta(ChangeScore(s, v1::RECORD_KIND_SCORE, rule->id(), rule->delta(),
                                     Why{kind, rule->description(), rule->legal_basis()}));
  }

  void Close(v1::HazardState* h, v1::SubjectState* s, bool on_time) {
    h->set_closed(true);
    if (s == nullptr) return;
    EraseSorted(s->mutable_open_overdue_hazards(), h->hazard_id());
    if (!on_time) return;
    const cfg::HazardRule* rule =
        rules_.MatchHazard(cfg::HazardRule::TRIGGER_CLOSED_ON_TIME, h->severity(), h->category());
    if (rule == nullptr) return;
    ChangeScore(s, v1::RECORD_KIND_SCORE, rule->id(), rule->delta(),
                Why{"hazard.closed", rule->description(), rule->legal_basis()});
  }

  // ---- buildings and registrations ----

  absl::Status OnBuilding(const v1::BuildingFact& f) {
    if (f.building_id().empty()) return absl::OkStatus();
    building_id_ = f.building_id();
    v1::BuildingState* b = state_->MutableBuilding(f.building_id());
    std::set<std::string> affected(b->subject_ids().begin(), b->subject_ids().end());
    if (!f.building_name().empty()) b->set_building_name(f.building_name());
    if (!f.tier_path().empty()) b->set_tier_path(f.tier_path());
    std::vector<std::string> managers(f.manager_subjects().begin(), f.manager_subjects().end());
    std::sort(managers.begin(), managers.end());
    managers.erase(std::unique(managers.begin(), managers.end()), managers.end());
    b->mutable_manager_subjects()->Assign(managers.begin(), managers.end());

    // The registry's parties: subject → its roles in this building.
    std::map<std::string, std::set<int>> parties;
    std::set<std::string> unlinked;
    if (!f.managers_only()) {
      for (const Party& p : f.parties()) {
        v1::SubjectState* s = EnsureSubject(p, "", "", "", nullptr);
        if (s == nullptr) continue;
        parties[s->subject().subject_id()].insert(p.role());
      }
      for (const std::string& old : b->party_subject_ids()) {
        if (!parties.count(old)) unlinked.insert(old);
      }
      b->clear_party_subject_ids();
      for (const auto& [id, roles] : parties) {
        b->add_party_subject_ids(id);
        affected.insert(id);
      }
      b->clear_subject_ids();
      for (const std::string& id : affected) {
        if (!unlinked.count(id)) b->add_subject_ids(id);
      }
    }
    // Every subject of the building: its links to it and whom to tell.
    for (const std::string& id : affected) {
      const v1::SubjectState* cur = state_->FindSubject(id);
      if (cur == nullptr) continue;
      google::protobuf::RepeatedPtrField<v1::BuildingLink> links;
      std::vector<int> kept_roles;
      for (const v1::BuildingLink& l : cur->subject().buildings()) {
        if (l.building_id() != b->building_id()) {
          *links.Add() = l;
        } else {
          kept_roles.push_back(l.role());
        }
      }
      std::vector<int> roles;
      if (auto it = parties.find(id); it != parties.end()) {
        roles.assign(it->second.begin(), it->second.end());
      } else if (!unlinked.count(id)) {
        roles = kept_roles;  // linked by a hazard or a registration
      }
      for (int role : roles) {
        v1::BuildingLink* l = links.Add();
        l->set_building_id(b->building_id());
        l->set_building_name(b->building_name());
        l->set_tier_path(b->tier_path());
        l->set_role(static_cast<PartyRole>(role));
      }
      std::sort(links.begin(), links.end(), LinkLess);
      const bool links_changed =
          !std::equal(links.begin(), links.end(), cur->subject().buildings().begin(),
                      cur->subject().buildings().end(), SameLink);
      if (links_changed) {
        v1::SubjectState* s = state_->MutableSubject(id);
        *s->mutable_subject()->mutable_buildings() = std::move(links);
        RefreshNotify(s);
      } else {
        std::vector<std::string> n = NotifyOf(*cur);
        if (!std::equal(n.begin(), n.end(), cur->notify_subjects().begin(),
                        cur->notify_subjects().end())) {
          state_->MutableSubject(id)->mutable_notify_subjects()->Assign(n.begin(), n.end());
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status OnRegistration(const v1::RegistrationFact& f) {
    building_id_ = f.building_id();
    std::string name, tier;
    if (!f.building_id().empty()) {
      if (const v1::BuildingState* b = state_->FindBuilding(f.building_id())) {
        name = b->building_name();
        tier = b->tier_path();
      }
      // A building no fact has described yet: as the service's directory knew it at the call.
      if (name.empty()) name = f.building_name();
      if (tier.empty()) tier = f.tier_path();
    }
    if (EnsureSubject(f.party(), f.building_id(), name, tier, nullptr) == nullptr) {
      return absl::InvalidArgumentError("registration.party: names no subject");
    }
    return absl::OkStatus();
  }

  // ---- manual records ----

  absl::Status OnManual(const v1::ManualFact& f) {
    building_id_ = f.building_id();
    org_unit_ = f.org_unit();
    const cfg::ManualRule* rule = rules_.Manual(f.rule_id());
    if (rule == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("no manual rule ", f.rule_id(), " in rule set ", rules_.version()));
    }
    if (std::find(rule->roles().begin(), rule->roles().end(), fact_.actor_role()) ==
        rule->roles().end()) {
      return absl::PermissionDeniedError(
          absl::StrCat("role ", fact_.actor_role(), " may not record ", rule->id()));
    }
    if (fact_.actor_role() == auth::RoleName(auth::Role::kDepartmentOfficer) &&
        !rule->departments().empty()) {
      const size_t dot = f.org_unit().rfind('.');
      const std::string slug =
          dot == std::string::npos ? f.org_unit() : f.org_unit().substr(dot + 1);
      if (std::find(rule->departments().begin(), rule->departments().end(), slug) ==
          rule->departments().end()) {
        return absl::PermissionDeniedError(
            absl::StrCat("department ", slug, " may not record ", rule->id()));
      }
    }
    const v1::SubjectState* cur = state_->FindSubject(f.subject_id());
    if (cur == nullptr) return absl::NotFoundError(absl::StrCat("no subject ", f.subject_id()));
    if (!rule->subject_types().empty()) {
      const std::string type(subjects::SubjectTypeName(cur->subject().type()));
      if (std::find(rule->subject_types().begin(), rule->subject_types().end(), type) ==
          rule->subject_types().end()) {
        return absl::FailedPreconditionError(
            absl::StrCat(rule->id(), " does not apply to a subject of type '", type, "'"));
      }
    }
    v1::SubjectState* s = state_->MutableSubject(f.subject_id());
    std::string description = rule->description();
    if (!f.reason().empty()) absl::StrAppend(&description, ": ", f.reason());
    ChangeScore(s, v1::RECORD_KIND_SCORE, rule->id(), rule->delta(),
                Why{"manual", description,
                    f.legal_basis().empty() ? rule->legal_basis() : f.legal_basis()});
    return absl::OkStatus();
  }

  // ---- blacklist decisions ----

  absl::Status OnProposal(const v1::ProposalFact& f) {
    const v1::SubjectState* cur = state_->FindSubject(f.subject_id());
    if (cur == nullptr) return absl::NotFoundError(absl::StrCat("no subject ", f.subject_id()));
    if (HasOpenEntry(*cur)) {
      return absl::FailedPreconditionError(
          absl::StrCat("subject ", f.subject_id(), " has a blacklist entry open"));
    }
    const cfg::Blacklist& bl = rules_.proto().blacklist();
    const int days = f.duration_days() == 0 ? bl.default_duration_days() : f.duration_days();
    if (days < 0 || days > bl.max_duration_days()) {
      return absl::FailedPreconditionError(
          absl::StrCat("duration_days ", days, " outside 1..", bl.max_duration_days(), " days"));
    }
    Propose(state_->MutableSubject(f.subject_id()), /*automatic=*/false, f.reason(),
            f.legal_basis(), days, fact_.actor(), "blacklist.propose");
    return absl::OkStatus();
  }

  absl::Status OnObjection(const v1::ObjectionFact& f) {
    const v1::BlacklistEntry* cur = FindEntry(f.entry_id());
    if (cur == nullptr)
      return absl::NotFoundError(absl::StrCat("no blacklist entry ", f.entry_id()));
    if (cur->state() != v1::BLACKLIST_STATE_PROPOSED) return WrongState(*cur, "no objection now");
    if (t_ >= FromTs(cur->objection_deadline())) {
      return absl::FailedPreconditionError(
          absl::StrCat("the objection period of ", f.entry_id(), " is over"));
    }
    auto [s, e] = MutableEntry(f.entry_id());
    e->set_state(v1::BLACKLIST_STATE_OBJECTED);
    v1::Objection* o = e->mutable_objection();
    o->set_text(f.text());
    o->set_filed_by(fact_.actor());
    *o->mutable_filed_at() = fact_.time();
    state_->SetDue(e->entry_id(), absl::InfinitePast());  // waits for the district's review
    Record(s, v1::RECORD_KIND_BLACKLIST_OBJECTED, "",
           Why{"blacklist.objection", f.text(), e->legal_basis()}, 0, e->entry_id());
    SetEntryId(e->entry_id());
    PublishEntry(s, *e);
    return absl::OkStatus();
  }

  absl::Status OnObjectionReview(const v1::ObjectionReviewFact& f) {
    const v1::BlacklistEntry* cur = FindEntry(f.entry_id());
    if (cur == nullptr)
      return absl::NotFoundError(absl::StrCat("no blacklist entry ", f.entry_id()));
    if (cur->state() != v1::BLACKLIST_STATE_OBJECTED) {
      return WrongState(*cur, "no objection to review");
    }
    auto [s, e] = MutableEntry(f.entry_id());
    v1::Objection* o = e->mutable_objection();
    o->set_reviewed(true);
    o->set_upheld(f.upheld());
    o->set_decision_note(f.note());
    o->set_reviewed_by(fact_.actor());
    *o->mutable_reviewed_at() = fact_.time();
    const Why why{"blacklist.review", f.note(), e->legal_basis()};
    if (f.upheld()) {
      End(s, e, v1::BLACKLIST_STATE_WITHDRAWN, t_, v1::RECORD_KIND_BLACKLIST_WITHDRAWN, why);
    } else {
      Activate(s, e, t_, why);
    }
    return absl::OkStatus();
  }

  absl::Status OnRepairRequest(const v1::RepairRequestFact& f) {
    const v1::BlacklistEntry* cur = FindEntry(f.entry_id());
    if (cur == nullptr)
      return absl::NotFoundError(absl::StrCat("no blacklist entry ", f.entry_id()));
    if (cur->state() != v1::BLACKLIST_STATE_ACTIVE) return WrongState(*cur, "nothing to repair");
    if (cur->has_repair() && !cur->repair().reviewed()) {
      return absl::FailedPreconditionError(
          absl::StrCat("a repair application for ", f.entry_id(), " awaits review"));
    }
    auto [s, e] = MutableEntry(f.entry_id());
    v1::RepairApplication* r = e->mutable_repair();
    r->Clear();
    r->set_statement(f.statement());
    *r->mutable_evidence() = f.evidence();
    r->set_requested_by(fact_.actor());
    *r->mutable_requested_at() = fact_.time();
    Record(s, v1::RECORD_KIND_REPAIR_REQUESTED, "",
           Why{"repair.request", f.statement(), e->legal_basis()}, 0, e->entry_id());
    SetEntryId(e->entry_id());
    return absl::OkStatus();
  }

  absl::Status OnRepairReview(const v1::RepairReviewFact& f) {
    const v1::BlacklistEntry* cur = FindEntry(f.entry_id());
    if (cur == nullptr)
      return absl::NotFoundError(absl::StrCat("no blacklist entry ", f.entry_id()));
    if (cur->state() != v1::BLACKLIST_STATE_ACTIVE) return WrongState(*cur, "nothing to repair");
    if (!cur->has_repair() || cur->repair().reviewed()) {
      return absl::FailedPreconditionError(
          absl::StrCat("no repair application for ", f.entry_id(), " awaits review"));
    }
    if (f.approved()) {
      const absl::Time from =
          FromTs(cur->effective_at()) + Days(rules_.proto().blacklist().repair_min_days());
      if (t_ < from) {
        return absl::FailedPreconditionError(
            absl::StrCat("repair is possible from ", absl::FormatTime(from), " (",
                         rules_.proto().blacklist().repair_min_days(), " days in effect)"));
      }
      const v1::SubjectState* subject = state_->FindSubject(cur->subject_id());
      if (subject != nullptr && !subject->open_overdue_hazards().empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat("overdue hazard ", subject->open_overdue_hazards(0), " is not rectified"));
      }
    }
    auto [s, e] = MutableEntry(f.entry_id());
    v1::RepairApplication* r = e->mutable_repair();
    r->set_reviewed(true);
    r->set_approved(f.approved());
    r->set_decision_note(f.note());
    r->set_reviewed_by(fact_.actor());
    *r->mutable_reviewed_at() = fact_.time();
    const Why why{"repair.review", f.note(), e->legal_basis()};
    if (f.approved()) {
      End(s, e, v1::BLACKLIST_STATE_REPAIRED, t_, v1::RECORD_KIND_BLACKLIST_REPAIRED, why);
    } else {
      Record(s, v1::RECORD_KIND_REPAIR_REFUSED, "", why, 0, e->entry_id());
      SetEntryId(e->entry_id());
    }
    return absl::OkStatus();
  }

  absl::Status OnClock() {
    for (const std::string& entry_id : state_->DueEntries(t_)) {
      const v1::BlacklistEntry* cur = FindEntry(entry_id);
      if (cur == nullptr) {
        state_->SetDue(entry_id, absl::InfinitePast());
        continue;
      }
      const bool to_activate =
          cur->state() == v1::BLACKLIST_STATE_PROPOSED && FromTs(cur->objection_deadline()) <= t_;
      const bool to_expire =
          cur->state() == v1::BLACKLIST_STATE_ACTIVE && FromTs(cur->expires_at()) <= t_;
      if (!to_activate && !to_expire) {  // e.g. objected meanwhile: nothing is due
        state_->SetDue(entry_id, absl::InfinitePast());
        continue;
      }
      auto [s, e] = MutableEntry(entry_id);
      if (to_activate) {
        Activate(s, e, FromTs(e->objection_deadline()),
                 Why{"clock", e->reason(), e->legal_basis()});
      }
      if (FromTs(e->expires_at()) <= t_) {
        End(s, e, v1::BLACKLIST_STATE_EXPIRED, FromTs(e->expires_at()),
            v1::RECORD_KIND_BLACKLIST_EXPIRED, Why{"clock", e->reason(), e->legal_basis()});
      }
    }
    return absl::OkStatus();
  }

  const bool publish_;
  const Rules& rules_;
  const SubjectIds& ids_;
  const v1::Fact& fact_;
  StateView* state_;
  Outcome* out_;
  const absl::Time t_;
  // Of the cause, for records and SubjectRefs.
  std::string hazard_id_;
  std::string building_id_;
  std::string org_unit_;
};

}  // namespace

Outcome Apply(const Rules& rules, const SubjectIds& ids, const v1::Fact& fact, StateView* state,
              bool publish) {
  Outcome out;
  out.status = Step(rules, ids, fact, state, &out, publish).Run();
  return out;
}

}  // namespace firegrid::credit
