#include "services/notify/plan.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/time_util.h"
#include "libs/auth/scope.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"

namespace firegrid::notify {
namespace {

using ::firegrid::auth::Principal;
using ::firegrid::auth::Role;

// The plan's collective leads: not org units of their own.
struct CollectiveLead {
  const char* slug;
  const char* name;  // as the plan writes it
};
constexpr CollectiveLead kCollectiveLeads[] = {
    {kStreetsSlug, "各街道办事处、镇人民政府"},
    {kAllDepartmentsSlug, "区级有关部门和单位"},
    {kEnterprisesSlug, "有关企业"},
};

// The departments the plan may name: config/departments.textproto (the one list of department
// ids), the built-in copy unless main gave another file.
const hazards::Departments*& ActiveDepartments() {
  static const hazards::Departments* departments = &hazards::Departments::Shipped();
  return departments;
}

constexpr int kMaxNoteBytes = 1000;
constexpr char kPercentField[] = "percent";
constexpr char kNoteField[] = "note";
constexpr char kAtField[] = "at_us";
constexpr char kByField[] = "by";

const absl::TimeZone& ChinaStandardTime() {
  static const absl::TimeZone* tz = new absl::TimeZone(absl::FixedTimeZone(8 * 60 * 60));
  return *tz;
}

bool AllDigits(absl::string_view s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), absl::ascii_isdigit);
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list,
              absl::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Structural UTF-8 check (no overlongs, no surrogates, at most U+10FFFF): proto3 strings must be
// valid UTF-8, or the response would not serialize.
bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

absl::Status ValidateSlugs(const google::protobuf::RepeatedPtrField<std::string>& slugs,
                           const std::string& field) {
  std::set<std::string> seen;
  for (int j = 0; j < slugs.size(); ++j) {
    const std::string f = absl::StrCat(field, "[", j, "]");
    if (!IsPlanDepartment(slugs[j])) {
      return InvalidField(f, absl::StrCat("unknown department '", slugs[j], "'"));
    }
    if (!seen.insert(slugs[j]).second) {
      return InvalidField(f, absl::StrCat("'", slugs[j], "' is listed twice"));
    }
  }
  return absl::OkStatus();
}

std::string JoinNames(const google::protobuf::RepeatedPtrField<std::string>& slugs) {
  std::vector<std::string> names;
  for (const auto& s : slugs) names.push_back(PlanDepartmentName(s));
  return absl::StrJoin(names, "、");
}

// A real department, not one of the collective slugs.
bool IsSingleDepartment(absl::string_view slug) {
  return IsPlanDepartment(slug) && slug != kStreetsSlug && slug != kAllDepartmentsSlug &&
         slug != kEnterprisesSlug;
}

bool IsAuthenticated(const Principal& p) { return p.role != Role::kUnspecified; }

}  // namespace

void UsePlanDepartments(const hazards::Departments* departments) {
  ActiveDepartments() = departments;
}

bool IsPlanDepartment(absl::string_view slug) {
  for (const auto& d : kCollectiveLeads) {
    if (slug == d.slug) return true;
  }
  return ActiveDepartments()->Contains(std::string(slug));
}

std::string PlanDepartmentName(absl::string_view slug) {
  for (const auto& d : kCollectiveLeads) {
    if (slug == d.slug) return d.name;
  }
  return ActiveDepartments()->Name(std::string(slug));
}

absl::StatusOr<absl::Time> DeadlineEnd(absl::string_view deadline) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("'", deadline, "' is not a date YYYY-MM-DD"));
  };
  if (deadline.size() != 10 || deadline[4] != '-' || deadline[7] != '-' ||
      !AllDigits(deadline.substr(0, 4), 4) || !AllDigits(deadline.substr(5, 2), 2) ||
      !AllDigits(deadline.substr(8, 2), 2)) {
    return bad();
  }
  int y = 0, m = 0, d = 0;
  if (!absl::SimpleAtoi(deadline.substr(0, 4), &y) ||
      !absl::SimpleAtoi(deadline.substr(5, 2), &m) ||
      !absl::SimpleAtoi(deadline.substr(8, 2), &d)) {
    return bad();
  }
  const absl::CivilDay day(y, m, d);
  // CivilDay normalizes (2020-02-30 → 2020-03-01); a real date survives unchanged.
  if (day.year() != y || day.month() != m || day.day() != d) return bad();
  return absl::FromCivil(absl::CivilSecond(day + 1), ChinaStandardTime());
}

absl::Status ValidatePlanBook(const PlanBook& book) {
  if (!AllDigits(book.district(), 6)) {
    return InvalidField("district", "must be a 6-digit district code");
  }
  std::set<std::string> streets;
  for (int i = 0; i < book.streets_size(); ++i) {
    const std::string& s = book.streets(i);
    const std::string f = absl::StrCat("streets[", i, "]");
    if (!AllDigits(s, 9) || s.compare(0, 6, book.district()) != 0) {
      return InvalidField(
          f, absl::StrCat("'", s, "' is not a 9-digit street/town code under ", book.district()));
    }
    if (!streets.insert(s).second) return InvalidField(f, absl::StrCat("duplicate ", s));
  }
  std::set<int> days;
  for (int i = 0; i < book.reminders_size(); ++i) {
    const int d = book.reminders(i).days_before();
    const std::string f = absl::StrCat("reminders[", i, "].days_before");
    if (d < 0) return InvalidField(f, "must be >= 0");
    if (!days.insert(d).second) return InvalidField(f, absl::StrCat("duplicate ", d));
  }
  if (book.tasks_size() == 0) return InvalidField("tasks", "at least one task is required");
  std::set<int> numbers;
  for (int i = 0; i < book.tasks_size(); ++i) {
    const v1::PlanTask& t = book.tasks(i);
    const std::string f = absl::StrCat("tasks[", i, "]");
    if (t.number() <= 0) return InvalidField(f + ".number", "must be > 0");
    if (!numbers.insert(t.number()).second) {
      return InvalidField(f + ".number", absl::StrCat("duplicate task number ", t.number()));
    }
    if (t.title().empty()) return InvalidField(f + ".title", "is required");
    if (absl::StatusOr<absl::Time> end = DeadlineEnd(t.deadline()); !end.ok()) {
      return InvalidField(f + ".deadline", end.status().message());
    }
    if (t.lead_departments().empty()) {
      return InvalidField(f + ".lead_departments", "at least one lead is required");
    }
    FG_RETURN_IF_ERROR(ValidateSlugs(t.lead_departments(), f + ".lead_departments"));
    FG_RETURN_IF_ERROR(ValidateSlugs(t.assisting_departments(), f + ".assisting_departments"));
    if (Contains(t.lead_departments(), kEnterprisesSlug)) {
      return InvalidField(f + ".lead_departments",
                          "'enterprises' cannot lead: there is no org unit to remind");
    }
    if (Contains(t.lead_departments(), kStreetsSlug) && streets.empty()) {
      return InvalidField("streets", absl::StrCat("task ", t.number(),
                                                  " is led by 'streets' but no street is listed"));
    }
    for (const auto& a : t.assisting_departments()) {
      if (Contains(t.lead_departments(), a)) {
        return InvalidField(f + ".assisting_departments",
                            absl::StrCat("'", a, "' already leads the task"));
      }
    }
    if (t.progress_percent() != 0 || !t.progress_note().empty() || t.has_progress_at() ||
        !t.progress_by().empty() || t.overdue()) {
      return InvalidField(f, "progress fields are reported, not configured; leave them unset");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PlanBook> LoadPlanBook(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  PlanBook book;
  if (!google::protobuf::TextFormat::ParseFromString(ss.str(), &book)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a valid PlanBook text proto"));
  }
  if (absl::Status s = ValidatePlanBook(book); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  return book;
}

std::vector<DueReminder> DueReminders(const PlanBook& book,
                                      const std::map<int, int>& progress_percent, absl::Time now) {
  std::vector<DueReminder> due;
  for (const v1::PlanTask& t : book.tasks()) {
    auto p = progress_percent.find(t.number());
    if (p != progress_percent.end() && p->second >= 100) continue;
    absl::StatusOr<absl::Time> end = DeadlineEnd(t.deadline());
    if (!end.ok()) continue;  // not in a valid book
    int best = -1;
    for (const auto& rule : book.reminders()) {
      const int d = rule.days_before();
      const bool in_window =
          d == 0 ? now >= *end : (now >= *end - absl::Hours(24) * d && now < *end);
      if (in_window && (best < 0 || d < best)) best = d;
    }
    if (best >= 0) due.push_back({t.number(), best});
  }
  std::sort(due.begin(), due.end(),
            [](const DueReminder& a, const DueReminder& b) { return a.number < b.number; });
  return due;
}

std::vector<std::string> ReminderRecipients(const PlanBook& book, const v1::PlanTask& task) {
  std::vector<std::string> out;
  for (const std::string& slug : task.lead_departments()) {
    if (slug == kStreetsSlug) {
      for (const auto& s : book.streets()) out.push_back(OrgRecipient(s));
    } else if (slug == kAllDepartmentsSlug) {
      out.push_back(OrgRecipient(book.district()));
    } else if (slug != kEnterprisesSlug) {
      out.push_back(OrgRecipient(absl::StrCat(book.district(), ".", slug)));
    }
  }
  std::vector<std::string> unique;
  for (auto& r : out) {
    if (std::find(unique.begin(), unique.end(), r) == unique.end()) unique.push_back(r);
  }
  return unique;
}

v1::Notification ReminderNotification(const PlanBook& book, const v1::PlanTask& task,
                                      int days_before, absl::Time now) {
  v1::Notification n;
  n.set_kind(v1::KIND_PLAN_REMINDER);
  n.set_plan_task(task.number());
  n.set_tier_path(book.district());
  n.set_requires_ack(false);
  *n.mutable_created_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  const std::string who =
      absl::StrCat("牵头部门：", JoinNames(task.lead_departments()),
                   task.assisting_departments().empty()
                       ? ""
                       : absl::StrCat("；配合部门：", JoinNames(task.assisting_departments())),
                   "。");
  const std::string progress = absl::StrCat("当前进度", task.progress_percent(), "%");
  if (days_before == 0) {
    n.set_title(absl::StrCat("工作提示：计划任务", task.number(), "已逾期（完成期限",
                             task.deadline(), "）"));
    n.set_body(absl::StrCat("计划任务", task.number(), "「", task.title(), "」的完成期限",
                            task.deadline(), "已过，", progress, "，尚未完成。", who,
                            "请尽快完成并报告进度。"));
  } else {
    absl::StatusOr<absl::Time> end = DeadlineEnd(task.deadline());
    // Whole days left, rounded up: at 30×24 h before the end, "30 天".
    const int64_t left =
        end.ok()
            ? std::max<int64_t>(1, absl::ToInt64Hours(absl::Ceil(*end - now, absl::Hours(24))) / 24)
            : days_before;
    n.set_title(absl::StrCat("工作提示：计划任务", task.number(), "将于", task.deadline(),
                             "到期（剩余", left, "天）"));
    n.set_body(absl::StrCat("计划任务", task.number(), "「", task.title(), "」的完成期限为",
                            task.deadline(), "，距期限还剩", left, "天，", progress, "。", who,
                            "请抓紧推进并及时报告进度。"));
  }
  return n;
}

std::string ReminderOnceKey(const std::string& prefix, int number, int days_before) {
  return absl::StrCat(prefix, ":plan-reminder:", number, ":", days_before);
}

std::string PlanProgressKey(const std::string& prefix, int number) {
  return absl::StrCat(prefix, ":plan:task:", number);
}

std::string PlanRemindedKey(const std::string& prefix) { return prefix + ":plan:reminded"; }

absl::StatusOr<std::unique_ptr<PlanTasks>> PlanTasks::Create(redis::Pool* pool, std::string prefix,
                                                             PlanBook book, Clock* clock,
                                                             Notifier* notifier) {
  FG_RETURN_IF_ERROR(ValidatePlanBook(book));
  return std::make_unique<PlanTasks>(pool, std::move(prefix), std::move(book), clock, notifier);
}

PlanTasks::PlanTasks(redis::Pool* pool, std::string prefix, PlanBook book, Clock* clock,
                     Notifier* notifier)
    : pool_(pool),
      prefix_(std::move(prefix)),
      book_(std::move(book)),
      clock_(clock),
      notifier_(notifier) {
  for (int i = 0; i < book_.tasks_size(); ++i) {
    index_[book_.tasks(i).number()] = i;
    absl::StatusOr<absl::Time> end = DeadlineEnd(book_.tasks(i).deadline());
    deadline_end_[book_.tasks(i).number()] = end.ok() ? *end : absl::InfiniteFuture();
  }
}

const v1::PlanTask* PlanTasks::Find(int number) const {
  auto it = index_.find(number);
  return it == index_.end() ? nullptr : &book_.tasks(it->second);
}

absl::StatusOr<std::vector<v1::PlanTask>> PlanTasks::ReadTasks() const {
  std::vector<std::vector<std::string>> commands;
  std::vector<v1::PlanTask> tasks;
  for (const auto& [number, pos] : index_) {
    commands.push_back({"HGETALL", PlanProgressKey(prefix_, number)});
    tasks.push_back(book_.tasks(pos));
  }
  FG_ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, pool_->Pipeline(commands));
  if (replies.size() != tasks.size()) {
    return absl::InternalError("plan progress: reply count does not match the commands");
  }
  const absl::Time now = clock_->Now();
  for (size_t i = 0; i < tasks.size(); ++i) {
    const redis::Reply& r = replies[i];
    v1::PlanTask& t = tasks[i];
    if (r.IsError()) return redis::ErrorReplyToStatus(r.str);
    if (r.type != redis::Reply::Type::kArray || r.elements.size() % 2 != 0) {
      return absl::InternalError(
          absl::StrCat("plan progress of task ", t.number(), ": not a hash"));
    }
    for (size_t k = 0; k + 1 < r.elements.size(); k += 2) {
      const std::string& field = r.elements[k].str;
      const std::string& value = r.elements[k + 1].str;
      if (field == kPercentField) {
        int percent = 0;
        if (!absl::SimpleAtoi(value, &percent) || percent < 0 || percent > 100) {
          return absl::InternalError(
              absl::StrCat("plan progress of task ", t.number(), ": bad percent '", value, "'"));
        }
        t.set_progress_percent(percent);
      } else if (field == kNoteField) {
        t.set_progress_note(value);
      } else if (field == kAtField) {
        int64_t us = 0;
        if (!absl::SimpleAtoi(value, &us)) {
          return absl::InternalError(
              absl::StrCat("plan progress of task ", t.number(), ": bad time '", value, "'"));
        }
        *t.mutable_progress_at() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(us);
      } else if (field == kByField) {
        t.set_progress_by(value);
      }
    }
    t.set_overdue(t.progress_percent() < 100 && now >= deadline_end_.at(t.number()));
  }
  return tasks;
}

absl::StatusOr<v1::ListPlanTasksResponse> PlanTasks::List(
    const Principal& p, const v1::ListPlanTasksRequest& req) const {
  if (!IsAuthenticated(p)) return absl::UnauthenticatedError("not authenticated");
  if (!req.department().empty() && !IsPlanDepartment(req.department())) {
    return InvalidField("department", absl::StrCat("unknown department '", req.department(), "'"));
  }
  FG_ASSIGN_OR_RETURN(std::vector<v1::PlanTask> tasks, ReadTasks());
  v1::ListPlanTasksResponse out;
  for (auto& t : tasks) {
    if (!req.department().empty() && !Contains(t.lead_departments(), req.department()) &&
        !Contains(t.assisting_departments(), req.department())) {
      continue;
    }
    *out.add_tasks() = std::move(t);
  }
  return out;
}

absl::StatusOr<v1::PlanTask> PlanTasks::ReportProgress(const Principal& p,
                                                       const v1::ReportPlanProgressRequest& req) {
  if (!IsAuthenticated(p)) return absl::UnauthenticatedError("not authenticated");
  FG_RETURN_IF_ERROR(
      auth::RequireRole(p, {Role::kDistrictAdmin, Role::kDepartmentOfficer, Role::kStreetOfficer},
                        "report plan progress"));
  if (req.progress_percent() < 0 || req.progress_percent() > 100) {
    return InvalidField("progress_percent", "must be between 0 and 100");
  }
  if (req.note().size() > kMaxNoteBytes) {
    return InvalidField("note", absl::StrCat("at most ", kMaxNoteBytes, " bytes"));
  }
  if (!IsValidUtf8(req.note())) return InvalidField("note", "must be valid UTF-8");
  const v1::PlanTask* task = Find(req.number());
  if (task == nullptr) {
    return absl::NotFoundError(absl::StrCat("plan task ", req.number(), " not found"));
  }
  const auto& leads = task->lead_departments();
  bool allowed = false;
  switch (p.role) {
    case Role::kDistrictAdmin:
      allowed = auth::CoversTierPath(p, book_.district());
      break;
    case Role::kDepartmentOfficer:
      // The officer's department must be a real one: a token claiming "all_departments" or
      // "streets" must not pass for the collective leads.
      allowed = auth::CoversTierPath(p, book_.district()) && IsSingleDepartment(p.department) &&
                (Contains(leads, p.department) || Contains(leads, kAllDepartmentsSlug));
      break;
    case Role::kStreetOfficer:
      allowed = Contains(leads, kStreetsSlug) && Contains(book_.streets(), p.tier_path);
      break;
    default:
      break;
  }
  if (!allowed) {
    return absl::PermissionDeniedError(
        absl::StrCat("only a lead of plan task ", req.number(), " may report its progress"));
  }
  const absl::Time now = clock_->Now();
  FG_ASSIGN_OR_RETURN(
      redis::Reply reply,
      pool_->Command({"HSET", PlanProgressKey(prefix_, req.number()), kPercentField,
                      absl::StrCat(req.progress_percent()), kNoteField, req.note(), kAtField,
                      absl::StrCat(absl::ToUnixMicros(now)), kByField, p.subject}));
  (void)reply;
  v1::PlanTask out = *task;
  out.set_progress_percent(req.progress_percent());
  out.set_progress_note(req.note());
  *out.mutable_progress_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  out.set_progress_by(p.subject);
  out.set_overdue(out.progress_percent() < 100 && now >= deadline_end_.at(out.number()));
  log::Info("plan progress reported", {{"plan_task", req.number()},
                                       {"progress_percent", req.progress_percent()},
                                       {"by", p.subject}});
  return out;
}

absl::StatusOr<v1::PlanOverview> PlanTasks::Overview(const Principal& p,
                                                     const v1::GetPlanOverviewRequest&) const {
  if (!IsAuthenticated(p)) return absl::UnauthenticatedError("not authenticated");
  FG_ASSIGN_OR_RETURN(std::vector<v1::PlanTask> tasks, ReadTasks());
  struct Sum {
    int tasks = 0, completed = 0, overdue = 0;
    int64_t progress = 0;
  };
  std::map<std::string, Sum> by_department;
  v1::PlanOverview out;
  for (const v1::PlanTask& t : tasks) {
    const bool completed = t.progress_percent() >= 100;
    out.set_tasks(out.tasks() + 1);
    out.set_completed(out.completed() + (completed ? 1 : 0));
    out.set_overdue(out.overdue() + (t.overdue() ? 1 : 0));
    for (const std::string& slug : t.lead_departments()) {
      Sum& s = by_department[slug];
      ++s.tasks;
      s.completed += completed ? 1 : 0;
      s.overdue += t.overdue() ? 1 : 0;
      s.progress += t.progress_percent();
    }
  }
  for (const auto& [slug, s] : by_department) {
    v1::DepartmentProgress* d = out.add_departments();
    d->set_department(slug);
    d->set_tasks(s.tasks);
    d->set_completed(s.completed);
    d->set_overdue(s.overdue);
    d->set_average_progress_percent(static_cast<double>(s.progress) / s.tasks);
  }
  return out;
}

absl::StatusOr<int> PlanTasks::RunReminders() {
  FG_ASSIGN_OR_RETURN(std::vector<v1::PlanTask> tasks, ReadTasks());
  std::map<int, int> percent;
  std::map<int, const v1::PlanTask*> by_number;
  for (const v1::PlanTask& t : tasks) {
    percent[t.number()] = t.progress_percent();
    by_number[t.number()] = &t;
  }
  const absl::Time now = clock_->Now();
  const std::vector<DueReminder> due_now = DueReminders(book_, percent, now);
  if (due_now.empty()) return 0;
  FG_ASSIGN_OR_RETURN(redis::Reply reminded, pool_->Command({"HGETALL", PlanRemindedKey(prefix_)}));
  std::set<std::string> sent_before;
  for (size_t k = 0; k + 1 < reminded.elements.size(); k += 2) {
    sent_before.insert(reminded.elements[k].str);
  }
  int sent = 0;
  absl::Status first_error;
  for (const DueReminder& due : due_now) {
    const std::string field = absl::StrCat(due.number, ":", due.days_before);
    if (sent_before.count(field) > 0) continue;
    const v1::PlanTask& task = *by_number.at(due.number);
    absl::Status s = notifier_->Notify(ReminderRecipients(book_, task),
                                       ReminderNotification(book_, task, due.days_before, now),
                                       ReminderOnceKey(prefix_, due.number, due.days_before));
    if (s.ok() || absl::IsAlreadyExists(s)) {
      // Sent now, or by another replica (or by us before a crash): mark it for good.
      absl::StatusOr<redis::Reply> mark = pool_->Command(
          {"HSETNX", PlanRemindedKey(prefix_), field, absl::StrCat(absl::ToUnixMicros(now))});
      if (!mark.ok() && first_error.ok()) first_error = mark.status();
    }
    if (s.ok()) {
      ++sent;
      log::Info("plan reminder sent",
                {{"plan_task", due.number}, {"days_before", due.days_before}});
    } else if (absl::IsAlreadyExists(s)) {
      continue;
    } else {
      log::Warn("plan reminder failed", {{"plan_task", due.number},
                                         {"days_before", due.days_before},
                                         {"error", std::string(s.message())}});
      if (first_error.ok()) first_error = s;
    }
  }
  if (!first_error.ok()) {
    return absl::Status(first_error.code(),
                        absl::StrCat("plan reminders: ", sent,
                                     " sent; a reminder failed: ", first_error.message()));
  }
  return sent;
}

}  // namespace firegrid::notify
