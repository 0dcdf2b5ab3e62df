#include "tools/loaders/credit_loader.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/status.h"
#include "libs/subjects/party.h"
#include "tools/loaders/hazard_loader.h"

namespace firegrid::loaders {
namespace {

namespace cv1 = ::firegrid::credit::v1;
namespace sv1 = ::firegrid::subjects::v1;

// A valid unified social credit code of a Beibei (500109) enterprise: "91" (an enterprise
// registered by market supervision), the division code, a 9-character organisation code, and
// the GB 32100 check character.
std::string DemoCreditCode(const std::string& org9) {
  const std::string first17 = absl::StrCat("91500109", org9);
  return first17 + subjects::CreditCodeCheckCharacter(first17);
}

auth::Principal Account(const std::string& subject) {
  auth::Principal p;
  p.subject = subject;
  p.role = auth::Role::kServiceAgency;
  return p;
}

}  // namespace

CreditPlan PlanBeibeiCredit(const std::vector<std::string>& building_request_ids) {
  CreditPlan plan;
  auto building = [&](size_t i) {
    return building_request_ids.empty() ? std::string()
                                        : building_request_ids[i % building_request_ids.size()];
  };
  auto org = [&](const std::string& key, sv1::PartyRole role, const std::string& name,
                 const std::string& org9, size_t b, const std::string& account = "") {
    PlannedSubject s;
    s.key = key;
    s.party.set_role(role);
    s.party.set_name(name);
    s.party.set_credit_code(DemoCreditCode(org9));
    s.party.set_account_subject(account);
    s.building_request_id = building(b);
    plan.subjects.push_back(s);
  };
  // A: a well-run agency with a drill and a commendation; B, C: agencies and a builder with
  // violations; D and blacklisted: an agency whose inspection reports were false.
  org("jiaan", sv1::PARTY_ROLE_MAINTENANCE_AGENCY, "重庆嘉安消防技术服务有限公司", "MA5UJA001", 0,
      "agency-jiaan");
  org("ruitong", sv1::PARTY_ROLE_MAINTENANCE_AGENCY, "重庆瑞通消防设施检测有限公司", "MA5URT002", 1,
      "agency-ruitong");
  org("beijian", sv1::PARTY_ROLE_BUILDER, "重庆北建建筑工程有限公司", "MA5UBJ003", 2);
  org("anxin", sv1::PARTY_ROLE_MAINTENANCE_AGENCY, "重庆安信消防技术服务有限公司", "MA5UAX004", 3,
      "agency-anxin");
  plan.blacklisted_key = "anxin";
  plan.blacklisted_account = Account("agency-anxin");

  const auth::Principal fire = DepartmentOfficer("fire_rescue");
  const auth::Principal admin = DistrictAdmin();
  auto record = [&](const std::string& key, const std::string& rule, const std::string& reason,
                    const std::string& basis, const auth::Principal& by, int n) {
    plan.records.push_back(
        {key, rule, reason, basis, absl::StrCat("demo-credit-", key, "-", n), by});
  };
  record("jiaan", "credit.drill", "组织天生街道高层住宅灭火和应急疏散演练",
         "《机关、团体、企业、事业单位消防安全管理规定》第四十条", admin, 1);
  record("jiaan", "credit.commendation", "2026年度消防工作先进单位", "《消防法》第七条", admin, 2);
  record("ruitong", "violation.facility_disabled", "维保期间擅自停用自动喷水灭火系统",
         "《消防法》第六十条第一款第二项", fire, 1);
  record("ruitong", "violation.fire_lane_blocked", "检测车辆长时间占用消防车道",
         "《消防法》第二十八条、第六十条第一款第五项", fire, 2);
  record("beijian", "violation.fire_lane_blocked", "施工材料堆放堵塞消防车道",
         "《消防法》第二十八条、第六十条第一款第五项", fire, 1);
  record("beijian", "violation.fire_lane_blocked", "施工围挡封闭消防车道",
         "《消防法》第二十八条、第六十条第一款第五项", fire, 2);
  record("beijian", "violation.facility_disabled", "施工中拆除室内消火栓",
         "《消防法》第六十条第一款第二项", fire, 3);
  record("anxin", "violation.false_inspection_report", "年度检测报告所载数据与现场不符",
         "《消防法》第三十四条、第六十九条", fire, 1);
  record("anxin", "violation.false_inspection_report", "维保记录系伪造，未实际到场",
         "《消防法》第三十四条、第六十九条", fire, 2);
  return plan;
}

std::string CreditSummary::ToString() const {
  std::vector<std::string> levels;
  for (auto [level, n] : by_level) {
    levels.push_back(absl::StrCat(std::string(1, "?ABCD"[level]), " ", n));
  }
  return absl::StrCat(subjects, " subjects, ", records, " manual records; levels ",
                      absl::StrJoin(levels, ", "), "; ", blacklisted, " blacklisted");
}

absl::StatusOr<CreditSummary> CreditLoader::Load(
    const CreditPlan& plan, const std::map<std::string, std::string>& building_ids) {
  CreditSummary summary;
  const absl::Time give_up = absl::Now() + wait_;
  auto ctx = [&](grpc::ClientContext* c, const auth::Principal& p) {
    c->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
    auth::AttachToken(c, token_for_(p));
  };
  const auth::Principal admin = DistrictAdmin();
  std::map<std::string, std::string> ids;  // key → subject id
  for (const PlannedSubject& s : plan.subjects) {
    cv1::RegisterSubjectRequest req;
    *req.mutable_party() = s.party;
    auto it = building_ids.find(s.building_request_id);
    if (it != building_ids.end()) req.set_building_id(it->second);
    cv1::Subject out;
    while (true) {
      grpc::ClientContext c;
      ctx(&c, admin);
      grpc::Status st = stub_->RegisterSubject(&c, req, &out);
      if (st.ok()) break;
      const bool not_yet = st.error_code() == grpc::StatusCode::UNAVAILABLE ||
                           (st.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
                            st.error_message().find("building_id") != std::string::npos);
      if (!not_yet || absl::Now() > give_up) {
        return absl::Status(static_cast<absl::StatusCode>(st.error_code()),
                            absl::StrCat("registering ", s.party.name(), ": ", st.error_message()));
      }
      absl::SleepFor(absl::Milliseconds(250));
    }
    ids[s.key] = out.subject_id();
    ++summary.subjects;
  }
  for (const PlannedRecord& r : plan.records) {
    cv1::RecordManualRequest req;
    req.set_subject_id(ids.at(r.subject_key));
    req.set_rule_id(r.rule_id);
    req.set_reason(r.reason);
    req.set_legal_basis(r.legal_basis);
    req.set_request_id(r.request_id);
    cv1::LedgerRecord out;
    grpc::ClientContext c;
    ctx(&c, r.by);
    grpc::Status st = stub_->RecordManual(&c, req, &out);
    if (!st.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(st.error_code()),
                          absl::StrCat("recording ", r.rule_id, " for ", r.subject_key, ": ",
                                       st.error_message()));
    }
    ++summary.records;
  }
  // The agency at D has an automatic proposal: it objects, the district dismisses the objection.
  auto profile = [&](const std::string& id) -> absl::StatusOr<cv1::Profile> {
    cv1::GetProfileRequest req;
    req.set_subject_id(id);
    cv1::Profile p;
    grpc::ClientContext c;
    ctx(&c, admin);
    grpc::Status st = stub_->GetProfile(&c, req, &p);
    if (!st.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(st.error_code()), st.error_message());
    }
    return p;
  };
  if (!plan.blacklisted_key.empty()) {
    FG_ASSIGN_OR_RETURN(cv1::Profile p, profile(ids.at(plan.blacklisted_key)));
    if (!p.blacklist().empty()) {
      const cv1::BlacklistEntry entry = p.blacklist(0);
      if (entry.state() == cv1::BLACKLIST_STATE_PROPOSED) {
        cv1::FileObjectionRequest obj;
        obj.set_entry_id(entry.entry_id());
        obj.set_text("检测报告数据系录入错误，已重新出具");
        obj.set_request_id("demo-objection");
        cv1::BlacklistEntry out;
        grpc::ClientContext c;
        ctx(&c, plan.blacklisted_account);
        grpc::Status st = stub_->FileObjection(&c, obj, &out);
        if (!st.ok()) return absl::InternalError("objection: " + st.error_message());
      }
      FG_ASSIGN_OR_RETURN(p, profile(ids.at(plan.blacklisted_key)));
      if (p.blacklist(0).state() == cv1::BLACKLIST_STATE_OBJECTED) {
        cv1::ReviewObjectionRequest rev;
        rev.set_entry_id(entry.entry_id());
        rev.set_upheld(false);
        rev.set_note("经核查，两份报告均与现场不符，异议不成立");
        rev.set_request_id("demo-objection-review");
        cv1::BlacklistEntry out;
        grpc::ClientContext c;
        ctx(&c, admin);
        grpc::Status st = stub_->ReviewObjection(&c, rev, &out);
        if (!st.ok()) return absl::InternalError("objection review: " + st.error_message());
      }
    }
  }
  for (const auto& [key, id] : ids) {
    FG_ASSIGN_OR_RETURN(cv1::Profile p, profile(id));
    ++summary.by_level[p.level()];
    if (p.blacklisted()) ++summary.blacklisted;
  }
  return summary;
}

}  // namespace firegrid::loaders
