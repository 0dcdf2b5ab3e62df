#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/config/v1/notify_plan.pb.h"
#include "firegrid/notify/v1/notify.pb.h"
#include "libs/auth/principal.h"
#include "libs/common/clock.h"
#include "libs/redis/pool.h"
#include "services/hazards/departments.h"
#include "services/notify/inbox_keys.h"

namespace firegrid::notify {

// The district plan's tasks (工作提示): deadlines, leads, progress, and reminders to the leads as
// deadlines approach and pass. The tasks come from config (config/plan_tasks.textproto); progress
// is reported by the leads and kept in Redis, one hash per task.

using PlanBook = ::firegrid::config::v1::PlanBook;

// Lead/assisting slugs with a meaning beyond one department.
inline constexpr char kStreetsSlug[] = "streets";  // 各街道办事处、镇人民政府
inline constexpr char kAllDepartmentsSlug[] = "all_departments";  // 区级有关部门和单位
inline constexpr char kEnterprisesSlug[] = "enterprises";         // 有关企业

// The slugs a plan may name: the departments of config/departments.textproto (the one list of
// department ids) and the three above.
bool IsPlanDepartment(absl::string_view slug);
// Which departments file the plan uses: the built-in copy of config/departments.textproto unless
// main sets another (--departments-file) at start-up, before any plan is loaded. Not owned.
void UsePlanDepartments(const hazards::Departments* departments);
// The name the plan uses, e.g. "区消防救援支队"; the slug itself when unknown.
std::string PlanDepartmentName(absl::string_view slug);

// INVALID_ARGUMENT naming the field ("tasks[5].deadline: ...") unless: the district is a 6-digit
// code; streets are distinct 9-digit codes under it (at least one when a task is led by
// "streets"); reminder days are distinct and >= 0; there is at least one task; task numbers are
// positive and distinct; every task has a title, a deadline YYYY-MM-DD that is a real date, at
// least one lead; every slug is known, none repeated within a task, "enterprises" never leads (it
// has no org unit to remind); progress fields are unset (they are server-owned).
absl::Status ValidatePlanBook(const PlanBook& book);
// Reads a PlanBook text proto and validates it.
absl::StatusOr<PlanBook> LoadPlanBook(const std::string& path);

// The moment a deadline "YYYY-MM-DD" passes: the end of that day in China Standard Time (UTC+8),
// i.e. 00:00 CST of the next day. INVALID_ARGUMENT for anything but a real date in that format.
absl::StatusOr<absl::Time> DeadlineEnd(absl::string_view deadline);

// One reminder rule due for one task.
struct DueReminder {
  int number = 0;
  int days_before = 0;
  friend bool operator==(const DueReminder&, const DueReminder&) = default;
};

// The (task, rule) pairs due at `now` (pure; the book must be valid). A task is considered when
// its progress (`progress_percent` by task number; missing means 0) is below 100. A rule with
// days_before d > 0 is in its window from d days before the deadline's end until the end; the
// rule 0 from the end on. Of the rules in their window, only the one with the fewest days is due,
// so each window yields one reminder and a late first run does not send stale "30 days left"
// reminders. Whether a due reminder was already sent is not decided here (see RunReminders).
// Sorted by task number.
std::vector<DueReminder> DueReminders(const PlanBook& book,
                                      const std::map<int, int>& progress_percent, absl::Time now);

// Who is reminded of a task: each lead department "org:<district>.<slug>"; for "streets" every
// street "org:<street code>"; for "all_departments" the district "org:<district>".
std::vector<std::string> ReminderRecipients(const PlanBook& book, const v1::PlanTask& task);

// The KIND_PLAN_REMINDER notification (template; the Notifier fills in recipient and id) for
// `task` (with its current progress) and rule `days_before`, sent at `now`.
v1::Notification ReminderNotification(const PlanBook& book, const v1::PlanTask& task,
                                      int days_before, absl::Time now);

// "<prefix>:plan-reminder:<number>:<days_before>": each (task, rule) is sent once.
std::string ReminderOnceKey(const std::string& prefix, int number, int days_before);
// "<prefix>:plan:task:<number>": the hash holding a task's progress (fields percent, note,
// at_us, by).
std::string PlanProgressKey(const std::string& prefix, int number);
// "<prefix>:plan:reminded": hash of the reminders sent, field "<number>:<days_before>" → the
// time sent (unix µs). Kept without expiry, so that a rule stays sent even when the Notifier's
// once keys expire (redis::AtomicWrite keeps them 30 days; the overdue rule stays due forever).
std::string PlanRemindedKey(const std::string& prefix);

class PlanTasks {
 public:
  // `book` must be valid (ValidatePlanBook / LoadPlanBook). Nothing is owned.
  PlanTasks(redis::Pool* pool, std::string prefix, PlanBook book, Clock* clock, Notifier* notifier);
  // Validates `book` first (ValidatePlanBook's errors).
  static absl::StatusOr<std::unique_ptr<PlanTasks>> Create(redis::Pool* pool, std::string prefix,
                                                           PlanBook book, Clock* clock,
                                                           Notifier* notifier);

  // The tasks with their progress, by number. Any authenticated role. `department` (optional)
  // keeps the tasks that slug leads or assists (literally: "housing" does not match a task led
  // by "all_departments"); an unknown slug is INVALID_ARGUMENT.
  absl::StatusOr<v1::ListPlanTasksResponse> List(const auth::Principal& p,
                                                 const v1::ListPlanTasksRequest& req) const;

  // Records a task's progress (0..100, note at most 1000 bytes of UTF-8) with who and when;
  // returns the task. Allowed for a district admin of the district, a department officer whose
  // department leads the task (any department when "all_departments" leads it), and a street
  // officer of one of the streets when "streets" leads it. Unknown number → NOT_FOUND.
  absl::StatusOr<v1::PlanTask> ReportProgress(const auth::Principal& p,
                                              const v1::ReportPlanProgressRequest& req);

  // Per lead department (sorted by slug): tasks, completed (100 %), overdue (deadline passed,
  // below 100 %), average progress; and the totals over distinct tasks. Any authenticated role.
  absl::StatusOr<v1::PlanOverview> Overview(const auth::Principal& p,
                                            const v1::GetPlanOverviewRequest& req) const;

  // Sends the due reminders (DueReminders at the clock's now) to each task's leads, each (task,
  // rule) exactly once: concurrent replicas are deduplicated by the Notifier's once_key
  // (ReminderOnceKey), and a sent reminder is then marked in PlanRemindedKey for good, so it is
  // not sent again after restarts nor after the once key expired. Returns how many were sent by
  // this call (already-sent ones are not counted). A failing Notify does not stop the round; the
  // first failure is returned after it (and the reminder is retried next round).
  absl::StatusOr<int> RunReminders();

  const PlanBook& book() const { return book_; }

 private:
  // Every task with its stored progress and overdue flag, by number.
  absl::StatusOr<std::vector<v1::PlanTask>> ReadTasks() const;
  const v1::PlanTask* Find(int number) const;

  redis::Pool* pool_;
  std::string prefix_;
  PlanBook book_;
  Clock* clock_;
  Notifier* notifier_;
  std::map<int, int> index_;  // task number → position in book_.tasks()
  std::map<int, absl::Time> deadline_end_;
};

}  // namespace firegrid::notify
