#include "tools/loaders/hazard_loader.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "libs/auth/grpc_auth.h"
#include "services/hazards/departments.h"
#include "tools/loaders/beibei.h"

namespace firegrid::loaders {
namespace {

using auth::Principal;
using auth::Role;

absl::Status Failed(const grpc::Status& s, const std::string& what) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

// The lifecycle calls a goal needs, in order. kConfirm is a VerifyHazard call that records a
// confirmation of a major hazard without verifying it yet.
enum class Step { kConfirm, kVerify, kReject, kAssign, kStart, kSubmit, kPass, kFail };

std::vector<Step> StepsFor(const PlannedHazard& p) {
  std::vector<Step> verify;
  if (p.report.severity() == hv1::SEVERITY_MAJOR) verify = {Step::kConfirm, Step::kConfirm};
  verify.push_back(Step::kVerify);
  auto then = [](std::vector<Step> a, std::initializer_list<Step> b) {
    a.insert(a.end(), b);
    return a;
  };
  const std::vector<Step> assigned = then(verify, {Step::kAssign});
  const std::vector<Step> submitted = then(assigned, {Step::kStart, Step::kSubmit});
  switch (p.goal) {
    case HazardGoal::kReported:
      return {};
    case HazardGoal::kRejected:
      return {Step::kReject};
    case HazardGoal::kVerified:
      return verify;
    case HazardGoal::kAssigned:
      return assigned;
    case HazardGoal::kRectifying:
      return then(assigned, {Step::kStart});
    case HazardGoal::kSubmitted:
      return submitted;
    case HazardGoal::kClosed:
      return then(submitted, {Step::kPass});
    case HazardGoal::kReworking:
      return then(submitted, {Step::kFail});
    case HazardGoal::kClosedAfterRework:
      return then(submitted, {Step::kFail, Step::kSubmit, Step::kPass});
  }
  return {};
}

// How many of the lifecycle calls have been made already, from the audit trail (reminders,
// escalations, merges and re-categorisations are not lifecycle calls).
size_t StepsDone(const hv1::Hazard& h) {
  static const auto* kActions = new std::set<std::string>{
      "confirm", "verify", "reject", "assign", "start", "submit", "review_pass", "review_fail"};
  size_t n = 0;
  for (const hv1::AuditEntry& e : h.audit()) n += kActions->count(e.action());
  return n;
}

const char* StepName(Step s) {
  switch (s) {
    case Step::kConfirm:
      return "confirm";
    case Step::kVerify:
      return "verify";
    case Step::kReject:
      return "reject";
    case Step::kAssign:
      return "assign";
    case Step::kStart:
      return "start";
    case Step::kSubmit:
      return "submit";
    case Step::kPass:
      return "review (pass)";
    case Step::kFail:
      return "review (fail)";
  }
  return "step";
}

std::string Street(const std::string& community) { return community.substr(0, 9); }

std::string LeadDepartment(const hv1::Hazard& h) {
  return h.routing().lead_departments().empty() ? "" : h.routing().lead_departments(0);
}

std::string EvidenceUri(const PlannedHazard& p, const std::string& what) {
  return absl::StrCat("https://files.firegrid.example/demo/", p.idempotency_key, "/", what);
}

}  // namespace

Principal GridWorker(const std::string& community) {
  Principal p;
  p.subject = absl::StrCat("grid-", community);
  p.role = Role::kCommunityWorker;
  p.org_unit = community;
  p.tier_path = community;
  return p;
}

Principal StreetOfficer(const std::string& street) {
  Principal p;
  p.subject = absl::StrCat("street-", street);
  p.role = Role::kStreetOfficer;
  p.org_unit = street;
  p.tier_path = street;
  return p;
}

Principal DepartmentOfficer(const std::string& department) {
  Principal p;
  p.subject = absl::StrCat("dept-", department);
  p.role = Role::kDepartmentOfficer;
  p.org_unit = hazards::DepartmentOrgUnit(kBeibeiCode, department);
  p.tier_path = kBeibeiCode;
  p.department = department;
  return p;
}

Principal DistrictAdmin() {
  Principal p;
  p.subject = "demo-loader";
  p.role = Role::kDistrictAdmin;
  p.org_unit = kBeibeiCode;
  p.tier_path = kBeibeiCode;
  return p;
}

std::string HazardSummary::ToString() const {
  std::vector<std::string> states;
  for (hv1::Status s :
       {hv1::STATUS_REPORTED, hv1::STATUS_VERIFIED, hv1::STATUS_REJECTED, hv1::STATUS_ASSIGNED,
        hv1::STATUS_RECTIFYING, hv1::STATUS_SUBMITTED, hv1::STATUS_CLOSED}) {
    auto it = by_status.find(s);
    const std::string name = absl::AsciiStrToLower(hv1::Status_Name(s).substr(7));  // no STATUS_
    states.push_back(absl::StrCat(it == by_status.end() ? 0 : it->second, " ", name));
  }
  return absl::StrCat(planned, " hazards (", reported_new, " new, ", duplicates,
                      " linked as duplicate), ", steps, " lifecycle steps; ",
                      absl::StrJoin(states, ", "));
}

HazardLoader::HazardLoader(hv1::HazardService::StubInterface* stub, TokenFor token_for,
                           Options options, std::function<absl::Time()> now,
                           std::function<void(absl::Duration)> sleep)
    : stub_(stub),
      token_for_(std::move(token_for)),
      options_(options),
      now_(std::move(now)),
      sleep_(std::move(sleep)) {}

absl::StatusOr<HazardSummary> HazardLoader::Load(
    const std::vector<PlannedHazard>& plan,
    const std::map<std::string, std::string>& building_ids) {
  HazardSummary summary;
  const absl::Time wait_until = now_() + options_.wait_for_buildings;
  for (size_t i = 0; i < plan.size(); ++i) {
    const PlannedHazard& p = plan[i];
    auto id = building_ids.find(p.building_request_id);
    if (id == building_ids.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat(p.idempotency_key, ": building ", p.building_request_id, " was not loaded"));
    }
    absl::StatusOr<hv1::ReportHazardResponse> r = Report(p, id->second, wait_until);
    if (!r.ok()) return r.status();
    ++summary.planned;
    // A report is new when its audit shows nothing but the report and no key replay message.
    if (r->message() != "already reported with this idempotency key") ++summary.reported_new;
    if (!r->hazard().duplicate_of().empty()) {
      ++summary.duplicates;
      continue;
    }
    absl::Status s = Advance(p, i, r->hazard(), &summary);
    if (!s.ok()) return s;
  }
  return summary;
}

absl::StatusOr<hv1::ReportHazardResponse> HazardLoader::Report(const PlannedHazard& p,
                                                               const std::string& building_id,
                                                               absl::Time wait_until) {
  Principal who;
  switch (p.reporter) {
    case HazardReporter::kGridWorker:
      who = GridWorker(p.community);
      break;
    case HazardReporter::kStreetOfficer:
      who = StreetOfficer(Street(p.community));
      break;
    case HazardReporter::kFireInspector:
      who = DepartmentOfficer("fire_rescue");
      break;
    case HazardReporter::kDistrictAdmin:
      who = DistrictAdmin();
      break;
  }
  hv1::ReportHazardRequest req = p.report;
  req.set_building_id(building_id);
  req.set_idempotency_key(p.idempotency_key);
  const std::string token = token_for_(who);
  while (true) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
    auth::AttachToken(&ctx, token);
    hv1::ReportHazardResponse out;
    grpc::Status s = stub_->ReportHazard(&ctx, req, &out);
    if (s.ok()) return out;
    if (s.error_code() == grpc::StatusCode::NOT_FOUND && now_() < wait_until) {
      sleep_(options_.poll_interval);  // the buildings events have not arrived yet
      continue;
    }
    std::string what = absl::StrCat("ReportHazard ", p.idempotency_key, " on ", building_id);
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
      absl::StrAppend(&what, " (waited ", absl::FormatDuration(options_.wait_for_buildings),
                      " for the hazards service to learn the building from the buildings events)");
    }
    return Failed(s, what);
  }
}

absl::Status HazardLoader::Advance(const PlannedHazard& p, size_t index, hv1::Hazard h,
                                   HazardSummary* summary) {
  const std::vector<Step> steps = StepsFor(p);
  for (size_t k = StepsDone(h); k < steps.size(); ++k) {
    const Step step = steps[k];
    const std::string street = Street(p.community);
    Principal who;
    switch (step) {
      case Step::kConfirm:
        // A major hazard: the street officer, then the lead department confirm; the district
        // admin's confirmation is the third and verifies it.
        who = k == 0 ? StreetOfficer(street) : DepartmentOfficer(LeadDepartment(h));
        break;
      case Step::kVerify:
        if (p.report.severity() == hv1::SEVERITY_MAJOR) {
          who = DistrictAdmin();
        } else {
          who = index % 2 == 0 ? StreetOfficer(street) : DepartmentOfficer(LeadDepartment(h));
        }
        break;
      case Step::kReject:
      case Step::kAssign:
      case Step::kFail:
        who = StreetOfficer(street);
        break;
      case Step::kStart:
      case Step::kSubmit:
        who = GridWorker(p.community);
        break;
      case Step::kPass: {
        // The supervising department reviews; it never submitted anything.
        const std::string dept = h.assignment().supervising_department().empty()
                                     ? LeadDepartment(h)
                                     : h.assignment().supervising_department();
        who = DepartmentOfficer(dept);
        break;
      }
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
    auth::AttachToken(&ctx, token_for_(who));
    hv1::Hazard out;
    grpc::Status s;
    switch (step) {
      case Step::kConfirm:
      case Step::kVerify: {
        hv1::VerifyHazardRequest req;
        req.set_hazard_id(h.hazard_id());
        req.set_expected_version(h.version());
        req.set_note("现场核实属实");
        s = stub_->VerifyHazard(&ctx, req, &out);
        break;
      }
      case Step::kReject: {
        hv1::RejectHazardRequest req;
        req.set_hazard_id(h.hazard_id());
        req.set_expected_version(h.version());
        req.set_reason("现场核查不属实：相关设施运行正常");
        s = stub_->RejectHazard(&ctx, req, &out);
        break;
      }
      case Step::kAssign: {
        hv1::AssignHazardRequest req;
        req.set_hazard_id(h.hazard_id());
        req.set_expected_version(h.version());
        req.set_responsible_party(p.responsible_party);
        req.set_responsible_subject(p.responsible_subject);
        req.set_note("请责任单位按期整改");
        s = stub_->AssignHazard(&ctx, req, &out);
        break;
      }
      case Step::kStart: {
        hv1::StartRectificationRequest req;
        req.set_hazard_id(h.hazard_id());
        req.set_expected_version(h.version());
        req.set_note("责任单位已开始整改");
        s = stub_->StartRectification(&ctx, req, &out);
        break;
      }
      case Step::kSubmit: {
        hv1::SubmitRectificationRequest req;
        req.set_hazard_id(h.hazard_id());
        req.set_expected_version(h.version());
        const int round =
            static_cast<int>(std::count(steps.begin(), steps.begin() + k + 1, Step::kSubmit));
        hv1::Evidence* e = req.add_evidence();
        e->set_uri(EvidenceUri(p, absl::StrCat("rectified-", round, ".jpg")));
        e->set_description("整改后现场照片");
        req.set_note(round == 1 ? "整改完成，申请复查" : "已按复查意见补充整改");
        s = stub_->SubmitRectification(&ctx, req, &out);
        break;
      }
      case Step::kPass:
      case Step::kFail: {
        hv1::ReviewRectificationRequest req;
        req.set_hazard_id(h.hazard_id());
        req.set_expected_version(h.version());
        req.set_passed(step == Step::kPass);
        req.set_note(step == Step::kPass ? "复查合格，销号" : "复查不合格：整改不彻底，请继续整改");
        s = stub_->ReviewRectification(&ctx, req, &out);
        break;
      }
    }
    if (!s.ok()) {
      return Failed(s, absl::StrCat(StepName(step), " ", p.idempotency_key, " (", h.hazard_id(),
                                    ") as ", who.subject));
    }
    h = std::move(out);
    ++summary->steps;
  }
  ++summary->by_status[h.status()];
  return absl::OkStatus();
}

}  // namespace firegrid::loaders
