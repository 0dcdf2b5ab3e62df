#include "services/notify/recipients.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "google/protobuf/util/time_util.h"

namespace firegrid::notify {
namespace {

namespace hv1 = ::firegrid::hazards::v1;
namespace bv1 = ::firegrid::buildings::v1;

constexpr char kSystemSubjectPrefix[] = "firegrid-";

class Builder {
 public:
  explicit Builder(std::vector<Planned>* out) : out_(out) {}

  Planned& New(const v1::Notification& base) {
    out_->push_back(Planned{{}, base});
    return out_->back();
  }
  static void Add(Planned& p, const std::string& recipient) {
    if (recipient.empty() || recipient == "org:" || recipient == "person:") return;
    if (std::find(p.recipients.begin(), p.recipients.end(), recipient) == p.recipients.end()) {
      p.recipients.push_back(recipient);
    }
  }
  static void AddPerson(Planned& p, const std::string& subject) {
    if (subject.empty() || absl::StartsWith(subject, kSystemSubjectPrefix)) return;
    Add(p, PersonRecipient(subject));
  }

 private:
  std::vector<Planned>* out_;
};

std::string Dept(const hv1::Hazard& h, const std::string& slug) {
  return slug.empty() ? "" : OrgRecipient(h.routing().district() + "." + slug);
}

std::string CategoryText(hv1::HazardCategory c) {
  std::string n = hv1::HazardCategory_Name(c);
  return absl::AsciiStrToLower(n.substr(std::string("HAZARD_CATEGORY_").size()));
}

std::string DeadlineText(const hv1::Hazard& h) {
  if (!h.assignment().has_deadline()) return "";
  const absl::Time t = absl::FromUnixSeconds(
      google::protobuf::util::TimeUtil::TimestampToSeconds(h.assignment().deadline()));
  return absl::FormatTime("%Y-%m-%d %H:%M", t, absl::FixedTimeZone(8 * 3600));
}

v1::Notification Base(const events::Envelope& env, const hv1::Hazard& h, v1::Kind kind,
                      std::string title, std::string body) {
  v1::Notification n;
  n.set_kind(kind);
  n.set_title(std::move(title));
  n.set_body(std::move(body));
  n.set_hazard_id(h.hazard_id());
  n.set_building_id(h.building_id());
  n.set_tier_path(h.tier_path());
  n.set_event_id(env.event_id());
  n.set_event_type(env.type());
  *n.mutable_created_at() = env.time();
  return n;
}

std::string Subject(const hv1::Hazard& h) {
  return absl::StrCat(h.building_name().empty() ? h.building_id() : h.building_name(), " · ",
                      CategoryText(h.category()));
}

void PlanHazard(const events::Envelope& env, std::vector<Planned>* out) {
  Builder b(out);
  if (auto e = events::Unpack<hv1::HazardRouted>(env); e.ok()) {
    const hv1::Hazard& h = e->hazard();
    const std::string body = absl::StrCat(h.description(), " (", hv1::Severity_Name(h.severity()),
                                          ", hazard ", h.hazard_id(), ")");
    v1::Notification task =
        Base(env, h, v1::KIND_HAZARD_TASK, "隐患推送 hazard task: " + Subject(h), body);
    task.set_requires_ack(true);
    Planned& t = b.New(task);
    for (const auto& d : h.routing().lead_departments()) Builder::Add(t, Dept(h, d));
    Builder::Add(t, OrgRecipient(h.routing().community()));
    v1::Notification info =
        Base(env, h, v1::KIND_INFORMATION, "隐患抄送 hazard for information: " + Subject(h), body);
    Planned& i = b.New(info);
    for (const auto& d : h.routing().assisting_departments()) Builder::Add(i, Dept(h, d));
    Builder::Add(i, OrgRecipient(h.routing().street()));
    for (const auto& s : h.building_subjects()) Builder::AddPerson(i, s);
    return;
  }
  if (auto e = events::Unpack<hv1::HazardReported>(env); e.ok()) {
    const hv1::Hazard& h = e->hazard();
    if (h.duplicate_of().empty()) return;
    Planned& p =
        b.New(Base(env, h, v1::KIND_HAZARD_UPDATE, "您的报告已并入 report linked: " + Subject(h),
                   absl::StrCat("An open hazard of this building and category is already "
                                "being handled: ",
                                h.duplicate_of())));
    Builder::AddPerson(p, h.reporter().subject());
    return;
  }
  if (auto e = events::Unpack<hv1::HazardStatusChanged>(env); e.ok()) {
    const hv1::Hazard& h = e->hazard();
    const std::string community = OrgRecipient(h.routing().community());
    const std::string supervising = Dept(h, h.assignment().supervising_department());
    switch (e->to()) {
      case hv1::STATUS_ASSIGNED: {
        v1::Notification info =
            Base(env, h, v1::KIND_HAZARD_TASK, "整改任务 rectification assigned: " + Subject(h),
                 absl::StrCat("Responsible: ", h.assignment().responsible_party(), "; deadline ",
                              DeadlineText(h)));
        v1::Notification task = info;
        task.set_requires_ack(true);
        Builder::AddPerson(b.New(task), h.assignment().responsible_subject());
        Planned& t = b.New(info);
        Builder::Add(t, supervising);
        Builder::Add(t, community);
        return;
      }
      case hv1::STATUS_SUBMITTED: {
        Planned& p = b.New(Base(env, h, v1::KIND_HAZARD_UPDATE,
                                "待复查 rectification submitted: " + Subject(h),
                                "Review the rectification evidence."));
        Builder::Add(p, supervising);
        return;
      }
      case hv1::STATUS_RECTIFYING:
        if (e->from() != hv1::STATUS_SUBMITTED) return;
        {
          Planned& p =
              b.New(Base(env, h, v1::KIND_HAZARD_UPDATE, "复查未通过 review failed: " + Subject(h),
                         "The rectification did not pass review; continue rectifying."));
          Builder::AddPerson(p, h.assignment().responsible_subject());
          Builder::Add(p, community);
        }
        return;
      case hv1::STATUS_REJECTED: {
        Planned& p = b.New(Base(env, h, v1::KIND_HAZARD_UPDATE,
                                "不予受理 report rejected: " + Subject(h), h.rejection_reason()));
        Builder::AddPerson(p, h.reporter().subject());
        Builder::Add(p, community);
        return;
      }
      case hv1::STATUS_VERIFIED: {
        Planned& p = b.New(
            Base(env, h, v1::KIND_HAZARD_UPDATE, "隐患已核实 hazard verified: " + Subject(h), ""));
        Builder::Add(p, community);
        return;
      }
      default:
        return;
    }
  }
  if (auto e = events::Unpack<hv1::HazardDueSoon>(env); e.ok()) {
    const hv1::Hazard& h = e->hazard();
    Planned& p = b.New(Base(env, h, v1::KIND_REMINDER, "即将到期 due soon: " + Subject(h),
                            absl::StrCat("Deadline ", DeadlineText(h))));
    Builder::AddPerson(p, h.assignment().responsible_subject());
    Builder::Add(p, OrgRecipient(h.routing().community()));
    Builder::Add(p, Dept(h, h.assignment().supervising_department()));
    return;
  }
  if (auto e = events::Unpack<hv1::HazardOverdue>(env); e.ok()) {
    const hv1::Hazard& h = e->hazard();
    Planned& p = b.New(Base(env, h, v1::KIND_REMINDER, "已逾期 overdue: " + Subject(h),
                            absl::StrCat("Deadline ", DeadlineText(h), " has passed")));
    Builder::AddPerson(p, h.assignment().responsible_subject());
    Builder::Add(p, OrgRecipient(h.routing().community()));
    Builder::Add(p, Dept(h, h.assignment().supervising_department()));
    Builder::Add(p, OrgRecipient(h.routing().street()));
    return;
  }
  if (auto e = events::Unpack<hv1::HazardEscalated>(env); e.ok()) {
    const hv1::Hazard& h = e->hazard();
    Planned& p = b.New(Base(
        env, h, v1::KIND_ESCALATION, "逾期升级 escalated: " + Subject(h),
        absl::StrCat("Overdue since ", DeadlineText(h), "; escalated to ", e->escalated_to())));
    Builder::Add(p, OrgRecipient(e->escalated_to()));
    return;
  }
  if (auto e = events::Unpack<hv1::HazardClosed>(env); e.ok()) {
    const hv1::Hazard& h = e->hazard();
    Planned& p = b.New(Base(env, h, v1::KIND_HAZARD_UPDATE, "整改销号 closed: " + Subject(h),
                            e->on_time() ? "Closed on time." : "Closed after the deadline."));
    for (const auto& d : h.routing().lead_departments()) Builder::Add(p, Dept(h, d));
    Builder::Add(p, OrgRecipient(h.routing().community()));
    Builder::AddPerson(p, h.reporter().subject());
    return;
  }
}

void PlanBuilding(const events::Envelope& env, std::vector<Planned>* out) {
  Builder b(out);
  const std::string tier = env.tier_path();
  auto base = [&](std::string title, std::string body) {
    v1::Notification n;
    n.set_kind(v1::KIND_INFORMATION);
    n.set_title(std::move(title));
    n.set_body(std::move(body));
    n.set_building_id(env.building_id());
    n.set_tier_path(tier);
    n.set_event_id(env.event_id());
    n.set_event_type(env.type());
    *n.mutable_created_at() = env.time();
    return n;
  };
  if (auto e = events::Unpack<bv1::FacilityStatusChanged>(env); e.ok()) {
    const auto s = e->facility().status();
    if (s != bv1::FACILITY_STATUS_FAULT && s != bv1::FACILITY_STATUS_NO_WATER &&
        s != bv1::FACILITY_STATUS_DISABLED) {
      return;
    }
    Planned& p = b.New(base("消防设施异常 facility fault",
                            absl::StrCat(bv1::FacilityKind_Name(e->facility().kind()), " is ",
                                         bv1::FacilityStatus_Name(s), ": ", e->facility().note())));
    if (tier.size() >= 12) Builder::Add(p, OrgRecipient(tier.substr(0, 12)));
    if (tier.size() >= 6) Builder::Add(p, OrgRecipient(tier.substr(0, 6) + ".fire_rescue"));
    return;
  }
  if (auto e = events::Unpack<bv1::FireAccessNonCompliant>(env); e.ok()) {
    Planned& p = b.New(base("消防车道不达标 fire access non-compliant: " + e->building_name(),
                            absl::StrCat(e->assessment().violations_size(), " violations found")));
    if (tier.size() >= 12) Builder::Add(p, OrgRecipient(tier.substr(0, 12)));
    if (tier.size() >= 9) Builder::Add(p, OrgRecipient(tier.substr(0, 9)));
  }
}

}  // namespace

std::vector<Planned> PlanNotifications(const events::Envelope& envelope) {
  std::vector<Planned> out;
  if (absl::StartsWith(envelope.type(), "firegrid.hazards.v1.")) {
    PlanHazard(envelope, &out);
  } else if (absl::StartsWith(envelope.type(), "firegrid.buildings.v1.")) {
    PlanBuilding(envelope, &out);
  }
  out.erase(
      std::remove_if(out.begin(), out.end(), [](const Planned& p) { return p.recipients.empty(); }),
      out.end());
  const std::string trace_id = TraceIdOf(envelope.trace().traceparent());
  for (Planned& p : out) p.notification.set_trace_id(trace_id);
  return out;
}

std::string TraceIdOf(absl::string_view traceparent) {
  auto lower_hex = [](absl::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
  };
  auto all_zero = [](absl::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
  };
  // version "-" trace id "-" parent id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters.
  if (traceparent.size() < 55) return "";
  const absl::string_view version = traceparent.substr(0, 2);
  const absl::string_view trace_id = traceparent.substr(3, 32);
  const absl::string_view span_id = traceparent.substr(36, 16);
  const absl::string_view flags = traceparent.substr(53, 2);
  if (traceparent[2] != '-' || traceparent[35] != '-' || traceparent[52] != '-') return "";
  if (!lower_hex(version) || version == "ff" || !lower_hex(trace_id) || !lower_hex(span_id) ||
      !lower_hex(flags)) {
    return "";
  }
  // Version 00 is exactly 55 characters; later versions may append "-..." fields.
  if (version == "00" ? traceparent.size() != 55
                      : (traceparent.size() > 55 && traceparent[55] != '-')) {
    return "";
  }
  if (all_zero(trace_id) || all_zero(span_id)) return "";
  return std::string(trace_id);
}

std::string NextTierUp(const std::string& recipient, const std::string& tier_path) {
  if (absl::StartsWith(recipient, "person:")) {
    return tier_path.size() >= 12 ? OrgRecipient(tier_path.substr(0, 12)) : "";
  }
  if (!absl::StartsWith(recipient, "org:")) return "";
  const std::string code = recipient.substr(4);
  if (const auto dot = code.find('.'); dot != std::string::npos) {
    return OrgRecipient(code.substr(0, dot));
  }
  if (code.size() == 12) return OrgRecipient(code.substr(0, 9));
  if (code.size() == 9) return OrgRecipient(code.substr(0, 6));
  return "";
}

}  // namespace firegrid::notify
