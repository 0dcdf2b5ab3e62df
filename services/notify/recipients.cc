#include "services/notify/recipients.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/credit/v1/events.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "firegrid/monitoring/v1/events.pb.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/proto_json.h"
#include "libs/common/status.h"

namespace firegrid::notify {
namespace {

namespace hv1 = ::firegrid::hazards::v1;
namespace bv1 = ::firegrid::buildings::v1;
namespace cv1 = ::firegrid::credit::v1;
namespace mv1 = ::firegrid::monitoring::v1;

constexpr char kSystemSubjectPrefix[] = "firegrid-";
// A public reporting channel (Open311: "channel:wechat"): no person with an inbox; the public
// follows its reports through Open311.
constexpr char kChannelSubjectPrefix[] = "channel:";

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
    if (subject.empty() || absl::StartsWith(subject, kSystemSubjectPrefix) ||
        absl::StartsWith(subject, kChannelSubjectPrefix)) {
      return;
    }
    Add(p, PersonRecipient(subject));
  }

 private:
  std::vector<Planned>* out_;
};

std::string Dept(const hv1::Hazard& h, const std::string& slug) {
  return slug.empty() ? "" : OrgRecipient(h.routing().district() + "." + slug);
}

// A category a newer release added is named by its number (EnumLabel).
std::string CategoryText(hv1::HazardCategory c) {
  return EnumLabel(hv1::HazardCategory_descriptor(), c);
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

// Where a public report without a building is: its address, else its coordinates.
std::string PlaceText(const hv1::Hazard& h) {
  const hv1::Location& l = h.location();
  if (!l.address().empty()) return l.address();
  return absl::StrFormat("%.6f,%.6f", l.latitude(), l.longitude());
}

std::string Subject(const hv1::Hazard& h) {
  std::string what = h.building_name().empty() ? h.building_id() : h.building_name();
  if (what.empty() && h.unmatched()) what = PlaceText(h);
  return absl::StrCat(what, " · ", CategoryText(h.category()));
}

// An unmatched public report (no building; kept in its street, or at the district when the
// place lay in no street): a task for the street (else the district) to match it to a building
// or reject it. Its routing names no department or community, so no one else is told.
void PlanUnmatched(const events::Envelope& env, const hv1::Hazard& h, Builder& b) {
  const std::string unit =
      !h.routing().street().empty() ? h.routing().street() : h.routing().district();
  if (unit.empty()) return;
  std::string body = h.description();
  absl::StrAppend(&body, "\n地点 place: ", PlaceText(h));
  if (!h.channel().empty()) absl::StrAppend(&body, "\n渠道 channel: ", h.channel());
  absl::StrAppend(&body, "\n隐患 hazard: ", h.hazard_id());
  absl::StrAppend(
      &body,
      "\n公众报告未匹配到登记建筑：请核实地点，关联到建筑（MatchPublicReport）或不予受理"
      "（RejectHazard，说明理由）。\nNo registered building matched this public "
      "report's place: check the place, then match it to a building "
      "(MatchPublicReport) or reject it with a reason (RejectHazard).");
  v1::Notification task = Base(env, h, v1::KIND_HAZARD_TASK,
                               "公众报告待匹配 public report to match: " + Subject(h), body);
  task.set_requires_ack(true);
  Builder::Add(b.New(task), OrgRecipient(unit));
}

void PlanHazard(const events::Envelope& env, std::vector<Planned>* out) {
  Builder b(out);
  if (auto e = events::Unpack<hv1::HazardRouted>(env); e.ok()) {
    const hv1::Hazard& h = e->hazard();
    if (h.unmatched()) {
      PlanUnmatched(env, h, b);
      return;
    }
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
  if (auto e = events::Unpack<hv1::HazardDeviceAlarmCleared>(env); e.ok()) {
    const hv1::Hazard& h = e->hazard();
    const hv1::DeviceAlarmRef& a = h.device_alarm();
    std::string body = absl::StrCat("设备告警已消除 the device alarm ", a.alarm_id(), " (device ",
                                    a.device_id(), ", ", a.alarm_type(), ") has cleared");
    if (!e->note().empty()) absl::StrAppend(&body, ": ", e->note());
    absl::StrAppend(&body,
                    ". 隐患仍需复查整改 The hazard stays open: its rectification still needs to "
                    "be reviewed.");
    Planned& p = b.New(Base(env, h, v1::KIND_HAZARD_UPDATE,
                            "设备告警已消除 device alarm cleared: " + Subject(h), body));
    for (const auto& d : h.routing().lead_departments()) Builder::Add(p, Dept(h, d));
    Builder::Add(p, OrgRecipient(h.routing().community()));
    Builder::AddPerson(p, h.assignment().responsible_subject());
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

// ---- monitoring

// What an alarm of `type` is called in a dispatch's title.
std::string AlarmTypeText(mv1::AlarmType type) {
  switch (type) {
    case mv1::ALARM_TYPE_FIRE:
      return "火警";
    case mv1::ALARM_TYPE_COMBUSTIBLE_GAS:
      return "可燃气体";
    case mv1::ALARM_TYPE_FAULT:
      return "故障";
    case mv1::ALARM_TYPE_SUPERVISORY:
      return "监管";
    case mv1::ALARM_TYPE_SHIELDED:
      return "屏蔽";
    case mv1::ALARM_TYPE_MAIN_POWER_FAULT:
      return "主电故障";
    case mv1::ALARM_TYPE_BACKUP_POWER_FAULT:
      return "备电故障";
    case mv1::ALARM_TYPE_LOW_PRESSURE:
      return "管网压力低";
    case mv1::ALARM_TYPE_LOW_WATER_LEVEL:
      return "液位低";
    case mv1::ALARM_TYPE_HIGH_RESIDUAL_CURRENT:
      return "剩余电流超限";
    case mv1::ALARM_TYPE_HIGH_TEMPERATURE:
      return "线缆温度超限";
    case mv1::ALARM_TYPE_OFFLINE:
      return "设备离线";
    default:
      return "告警";
  }
}

std::string ChinaTimeText(const google::protobuf::Timestamp& ts);

// AlarmRaised with a dispatch: one urgent notification, acknowledgement required, for the
// dispatch's recipients. Other monitoring events yield nothing (hazards carry the lasting ones).
void PlanMonitoring(const events::Envelope& env, std::vector<Planned>* out) {
  auto e = events::Unpack<mv1::AlarmRaised>(env);
  if (!e.ok() || !e->has_dispatch()) return;
  const mv1::Alarm& a = e->alarm();
  const mv1::Dispatch& d = e->dispatch();
  const std::string building = a.building_name().empty() ? a.building_id() : a.building_name();
  std::string title = absl::StrCat(AlarmTypeText(a.type()), "：", building);
  if (!a.floor().empty()) absl::StrAppend(&title, " ", a.floor(), "层");
  if (!a.point().empty()) absl::StrAppend(&title, " ", a.point());
  std::vector<std::string> lines;
  lines.push_back(
      absl::StrCat("地址：", d.building_address().empty() ? building : d.building_address()));
  for (const mv1::StationRef& s : d.stations()) {
    lines.push_back(absl::StrCat("微型消防站：", s.name().empty() ? s.station_id() : s.name(), "（",
                                 static_cast<int64_t>(s.distance_m() + 0.5), " 米",
                                 s.phone().empty() ? "" : "，电话 " + s.phone(), "）"));
  }
  lines.push_back(absl::StrCat("设备：", a.device_id()));
  const google::protobuf::Timestamp& at = a.has_started_at() ? a.started_at() : a.raised_at();
  lines.push_back(absl::StrCat("时间：", ChinaTimeText(at.seconds() ? at : env.time())));
  v1::Notification n;
  n.set_kind(v1::KIND_FIRE_ALARM);
  n.set_priority(v1::PRIORITY_URGENT);
  n.set_requires_ack(true);
  n.set_title(std::move(title));
  n.set_body(absl::StrJoin(lines, "\n"));
  n.set_alarm_id(a.alarm_id());
  n.set_device_id(a.device_id());
  n.set_building_id(a.building_id());
  n.set_tier_path(a.tier_path().empty() ? env.tier_path() : a.tier_path());
  n.set_event_id(env.event_id());
  n.set_event_type(env.type());
  *n.mutable_created_at() = env.time();
  Builder b(out);
  Planned& p = b.New(n);
  for (const std::string& r : d.recipients()) {
    if (absl::StartsWith(r, "person:")) {
      Builder::AddPerson(p, r.substr(std::string("person:").size()));
    } else {
      Builder::Add(p, r);
    }
  }
}

// ---- credit

const absl::TimeZone& ChinaTime() {
  static const absl::TimeZone* tz = new absl::TimeZone(absl::FixedTimeZone(8 * 3600));
  return *tz;
}

// "2026-12-20 18:00 +08:00" (China Standard Time, as firegridctl shows times); "" when unset.
std::string ChinaTimeText(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  return absl::StrCat(
      absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(ts.seconds()), ChinaTime()),
      " +08:00");
}

std::string LevelText(cv1::Level level) {
  switch (level) {
    case cv1::LEVEL_A:
      return "A（守信）";
    case cv1::LEVEL_B:
      return "B（基本守信）";
    case cv1::LEVEL_C:
      return "C（失信）";
    case cv1::LEVEL_D:
      return "D（严重失信）";
    default:
      return "未定级";
  }
}

// "重庆安信消防技术服务有限公司（91500109MA5UAX004F）": the subject's name, and an
// organisation's credit code. A person is named only (SubjectRef never carries an identity
// number).
std::string SubjectText(const cv1::SubjectRef& s) {
  const std::string& name = s.name().empty() ? s.subject_id() : s.name();
  return s.credit_code().empty() ? name : absl::StrCat(name, "（", s.credit_code(), "）");
}

std::string SignedDelta(int32_t delta) {
  return delta > 0 ? absl::StrCat("+", delta) : absl::StrCat(delta);
}

// The rule and the cause of a ledger record: "规则 hazard.overdue（2026.1）；原因：<what>；隐患
// hzd_1；依据：<legal basis>。"
std::string CauseText(const cv1::LedgerRecord& r) {
  std::vector<std::string> parts;
  if (!r.rule_id().empty()) {
    parts.push_back(absl::StrCat("规则 ", r.rule_id(), "（", r.rules_version(), "）"));
  }
  const cv1::Cause& c = r.cause();
  parts.push_back(absl::StrCat("原因：", c.description().empty() ? c.kind() : c.description()));
  if (!c.hazard_id().empty()) parts.push_back(absl::StrCat("隐患 ", c.hazard_id()));
  if (!c.legal_basis().empty()) parts.push_back(absl::StrCat("依据：", c.legal_basis()));
  return absl::StrCat(absl::StrJoin(parts, "；"), "。");
}

std::string ScoreText(const cv1::LedgerRecord& r) {
  return absl::StrCat("信用分 ", r.score_after() - r.delta(), " → ", r.score_after(), "（",
                      SignedDelta(r.delta()), "）");
}

std::string EntryText(const cv1::BlacklistEntry& e) {
  std::vector<std::string> parts;
  if (!e.reason().empty()) parts.push_back(absl::StrCat("理由：", e.reason()));
  if (!e.legal_basis().empty()) parts.push_back(absl::StrCat("依据：", e.legal_basis()));
  if (e.automatic()) parts.push_back("因信用等级降至 D 自动提出");
  parts.push_back(absl::StrCat("编号 ", e.entry_id()));
  return absl::StrCat(absl::StrJoin(parts, "；"), "。");
}

// One notification about `subject` for its notify subjects and the supervising department.
Planned& NewCredit(Builder& b, const events::Envelope& env, const cv1::SubjectRef& subject,
                   std::string title, std::string body) {
  v1::Notification n;
  n.set_kind(v1::KIND_CREDIT);
  n.set_title(std::move(title));
  n.set_body(std::move(body));
  n.set_credit_subject_id(subject.subject_id());
  if (!subject.tier_paths().empty()) n.set_tier_path(subject.tier_paths(0));
  n.set_event_id(env.event_id());
  n.set_event_type(env.type());
  *n.mutable_created_at() = env.time();
  Planned& p = b.New(n);
  for (const auto& s : subject.notify_subjects()) Builder::AddPerson(p, s);
  if (!subject.supervising_org_unit().empty()) {
    Builder::Add(p, OrgRecipient(subject.supervising_org_unit()));
  }
  return p;
}

void SetRecord(Planned& p, const cv1::LedgerRecord& r) {
  p.notification.set_hazard_id(r.cause().hazard_id());
  p.notification.set_building_id(r.cause().building_id());
  // The score and the level change of one record are one change: whichever of its two events
  // comes first notifies, the other adds nothing (the record id repeats in a replayed
  // generation, hence the rules version).
  p.once_key = absl::StrCat("credit-record:", r.rules_version(), ":", r.record_id());
}

void PlanCredit(const events::Envelope& env, std::vector<Planned>* out) {
  Builder b(out);
  if (auto e = events::Unpack<cv1::LevelChanged>(env); e.ok()) {
    const cv1::LedgerRecord& r = e->record();
    const std::string who = SubjectText(e->subject());
    Planned& p =
        NewCredit(b, env, e->subject(),
                  absl::StrCat("信用等级变动 credit level changed: ", who, " ",
                               LevelText(e->from()), " → ", LevelText(e->to())),
                  absl::StrCat(who, " 信用等级 ", LevelText(e->from()), " → ", LevelText(e->to()),
                               "，", ScoreText(r), "。", CauseText(r)));
    SetRecord(p, r);
    return;
  }
  if (auto e = events::Unpack<cv1::ScoreChanged>(env); e.ok()) {
    const cv1::LedgerRecord& r = e->record();
    if (r.score_after() == e->score_before()) return;  // no change to tell of
    const std::string who = SubjectText(e->subject());
    Planned& p =
        NewCredit(b, env, e->subject(),
                  absl::StrCat("信用分变动 credit score changed: ", who, " ", e->score_before(),
                               " → ", r.score_after()),
                  absl::StrCat(who, " 信用分 ", e->score_before(), " → ", r.score_after(), "（",
                               SignedDelta(r.score_after() - e->score_before()), "），信用等级 ",
                               LevelText(r.level_after()), "。", CauseText(r)));
    SetRecord(p, r);
    return;
  }
  if (auto e = events::Unpack<cv1::BlacklistProposed>(env); e.ok()) {
    const cv1::BlacklistEntry& entry = e->entry();
    const std::string who = SubjectText(e->subject());
    NewCredit(b, env, e->subject(), absl::StrCat("拟列入黑名单 blacklist notice: ", who),
              absl::StrCat(who, " 拟列入消防安全信用黑名单。", EntryText(entry), "异议期至 ",
                           ChinaTimeText(entry.objection_deadline()),
                           "：如有异议，请在此之前提出（firegridctl credit blacklist object ",
                           entry.entry_id(),
                           " --text …），由区级主管部门复核；逾期未提出异议的，期满即生效。"));
    return;
  }
  if (auto e = events::Unpack<cv1::Blacklisted>(env); e.ok()) {
    const cv1::BlacklistEntry& entry = e->entry();
    const std::string who = SubjectText(e->subject());
    NewCredit(b, env, e->subject(), absl::StrCat("列入黑名单 blacklisted: ", who),
              absl::StrCat(who, " 自 ", ChinaTimeText(entry.effective_at()),
                           " 起列入消防安全信用黑名单，至 ", ChinaTimeText(entry.expires_at()),
                           "。", EntryText(entry),
                           "整改完成后可申请信用修复（firegridctl credit blacklist repair ",
                           entry.entry_id(), " …）。"));
    return;
  }
  if (auto e = events::Unpack<cv1::BlacklistRemoved>(env); e.ok()) {
    const cv1::BlacklistEntry& entry = e->entry();
    const std::string who = SubjectText(e->subject());
    std::string how;
    switch (entry.state()) {
      case cv1::BLACKLIST_STATE_WITHDRAWN:
        how = "异议成立，撤销列入";
        break;
      case cv1::BLACKLIST_STATE_EXPIRED:
        how = "期满移出";
        break;
      case cv1::BLACKLIST_STATE_REPAIRED:
        how = "信用修复通过，移出";
        break;
      default:
        how = "移出";
        break;
    }
    std::string note;
    if (entry.state() == cv1::BLACKLIST_STATE_WITHDRAWN &&
        !entry.objection().decision_note().empty()) {
      note = absl::StrCat("复核意见：", entry.objection().decision_note(), "。");
    } else if (entry.state() == cv1::BLACKLIST_STATE_REPAIRED &&
               !entry.repair().decision_note().empty()) {
      note = absl::StrCat("审核意见：", entry.repair().decision_note(), "。");
    }
    NewCredit(b, env, e->subject(), absl::StrCat("移出黑名单 removed from blacklist: ", who),
              absl::StrCat(who, " ", ChinaTimeText(entry.ended_at()), " ", how,
                           "消防安全信用黑名单。", EntryText(entry), note));
    return;
  }
}

}  // namespace

std::vector<Planned> PlanNotifications(const events::Envelope& envelope) {
  std::vector<Planned> out;
  if (absl::StartsWith(envelope.type(), "firegrid.hazards.v1.")) {
    PlanHazard(envelope, &out);
  } else if (absl::StartsWith(envelope.type(), "firegrid.buildings.v1.")) {
    PlanBuilding(envelope, &out);
  } else if (absl::StartsWith(envelope.type(), "firegrid.credit.v1.")) {
    PlanCredit(envelope, &out);
  } else if (absl::StartsWith(envelope.type(), "firegrid.monitoring.v1.")) {
    PlanMonitoring(envelope, &out);
  }
  out.erase(
      std::remove_if(out.begin(), out.end(), [](const Planned& p) { return p.recipients.empty(); }),
      out.end());
  const std::string trace_id = TraceIdOf(envelope.trace().traceparent());
  for (Planned& p : out) p.notification.set_trace_id(trace_id);
  return out;
}

absl::StatusOr<std::vector<bool>> Notifier::NotifyEach(const std::vector<Delivery>& deliveries) {
  std::vector<bool> now(deliveries.size(), false);
  for (size_t i = 0; i < deliveries.size(); ++i) {
    const Delivery& d = deliveries[i];
    absl::Status s = Notify(*d.recipients, *d.notification, d.once_key);
    if (s.ok()) {
      now[i] = true;
    } else if (s.code() != absl::StatusCode::kAlreadyExists) {
      return s;
    }
  }
  return now;
}

absl::StatusOr<int> DeliverEvent(const events::Envelope& envelope, Notifier* notifier) {
  const std::vector<Planned> plans = PlanNotifications(envelope);
  if (plans.empty()) return 0;
  std::vector<Notifier::Delivery> deliveries;
  deliveries.reserve(plans.size());
  for (size_t i = 0; i < plans.size(); ++i) {
    deliveries.push_back(
        {&plans[i].recipients, &plans[i].notification, OnceKeyOf(envelope, plans[i], i)});
  }
  FG_ASSIGN_OR_RETURN(std::vector<bool> now, notifier->NotifyEach(deliveries));
  int delivered = 0;
  for (size_t i = 0; i < plans.size(); ++i) {
    if (now[i]) delivered += static_cast<int>(plans[i].recipients.size());
  }
  return delivered;
}

absl::Status NotifyEvent(const events::Envelope& envelope, Notifier* notifier) {
  return DeliverEvent(envelope, notifier).status();
}

std::string OnceKeyOf(const events::Envelope& envelope, const Planned& planned, size_t index) {
  return planned.once_key.empty() ? absl::StrCat(envelope.event_id(), ":", index)
                                  : planned.once_key;
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
  if (absl::StartsWith(code, kMicroStationPrefix)) {
    // A micro fire station answers to the community (else the street, the district) of the
    // notification.
    for (size_t len : {12, 9, 6}) {
      if (tier_path.size() >= len) return OrgRecipient(tier_path.substr(0, len));
    }
    return "";
  }
  if (const auto dot = code.find('.'); dot != std::string::npos) {
    return OrgRecipient(code.substr(0, dot));
  }
  if (code.size() == 12) return OrgRecipient(code.substr(0, 9));
  if (code.size() == 9) return OrgRecipient(code.substr(0, 6));
  return "";
}

}  // namespace firegrid::notify
