#pragma once

// Test-only: an in-process CreditService that records the last request of each RPC and the
// authorization header, and answers from canned data (serve it with FakeServer from
// fake_building_service.h).

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "firegrid/credit/v1/credit.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tools/firegridctl/fake_request_log.h"

namespace firegrid::ctl::testing {

namespace cv1 = ::firegrid::credit::v1;

class FakeCreditService final : public cv1::CreditService::Service, public RequestLog {
 public:
  grpc::Status RegisterSubject(grpc::ServerContext* ctx, const cv1::RegisterSubjectRequest* req,
                               cv1::Subject* out) override {
    Record(ctx, *req);
    out->set_subject_id(req->party().credit_code().empty() ? "person:0123456789abcdef01234567"
                                                           : "org:" + req->party().credit_code());
    out->set_name(req->party().name());
    if (!req->party().person_id().empty()) out->set_person_id("500109********1230");
    out->set_credit_code(req->party().credit_code());
    return grpc::Status::OK;
  }
  grpc::Status GetProfile(grpc::ServerContext* ctx, const cv1::GetProfileRequest* req,
                          cv1::Profile* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    if (req->subject_id() != profile_.subject().subject_id()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "subject " + req->subject_id());
    }
    *out = profile_;
    return grpc::Status::OK;
  }
  grpc::Status ListLedger(grpc::ServerContext* ctx, const cv1::ListLedgerRequest* req,
                          cv1::ListLedgerResponse* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    auto page = ledger_pages_.find(req->page_token());
    *out = page == ledger_pages_.end() ? ledger_ : page->second;
    return grpc::Status::OK;
  }
  grpc::Status ListRanking(grpc::ServerContext* ctx, const cv1::ListRankingRequest* req,
                           cv1::ListRankingResponse* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    *out = ranking_;
    return grpc::Status::OK;
  }
  grpc::Status RecordManual(grpc::ServerContext* ctx, const cv1::RecordManualRequest* req,
                            cv1::LedgerRecord* out) override {
    Record(ctx, *req);
    out->set_record_id(req->subject_id() + "#7");
    out->set_subject_id(req->subject_id());
    out->set_seq(7);
    out->set_kind(cv1::RECORD_KIND_SCORE);
    out->set_rule_id(req->rule_id());
    out->set_rules_version("2026.1");
    out->mutable_cause()->set_kind("manual");
    out->mutable_cause()->set_description(req->reason());
    out->mutable_cause()->set_legal_basis(req->legal_basis());
    out->set_delta(-10);
    out->set_score_after(80);
    out->set_level_after(cv1::LEVEL_B);
    return grpc::Status::OK;
  }
  grpc::Status ProposeBlacklist(grpc::ServerContext* ctx, const cv1::ProposeBlacklistRequest* req,
                                cv1::BlacklistEntry* out) override {
    Record(ctx, *req);
    out->set_entry_id(req->subject_id() + "#bl1");
    out->set_subject_id(req->subject_id());
    out->set_state(cv1::BLACKLIST_STATE_PROPOSED);
    out->set_reason(req->reason());
    out->set_legal_basis(req->legal_basis());
    return grpc::Status::OK;
  }
  grpc::Status FileObjection(grpc::ServerContext* ctx, const cv1::FileObjectionRequest* req,
                             cv1::BlacklistEntry* out) override {
    return Entry(ctx, *req, req->entry_id(), cv1::BLACKLIST_STATE_OBJECTED, out);
  }
  grpc::Status ReviewObjection(grpc::ServerContext* ctx, const cv1::ReviewObjectionRequest* req,
                               cv1::BlacklistEntry* out) override {
    return Entry(ctx, *req, req->entry_id(),
                 req->upheld() ? cv1::BLACKLIST_STATE_WITHDRAWN : cv1::BLACKLIST_STATE_ACTIVE, out);
  }
  grpc::Status RequestRepair(grpc::ServerContext* ctx, const cv1::RequestRepairRequest* req,
                             cv1::BlacklistEntry* out) override {
    return Entry(ctx, *req, req->entry_id(), cv1::BLACKLIST_STATE_ACTIVE, out);
  }
  grpc::Status ReviewRepair(grpc::ServerContext* ctx, const cv1::ReviewRepairRequest* req,
                            cv1::BlacklistEntry* out) override {
    return Entry(ctx, *req, req->entry_id(),
                 req->approved() ? cv1::BLACKLIST_STATE_REPAIRED : cv1::BLACKLIST_STATE_ACTIVE,
                 out);
  }
  grpc::Status ListBlacklist(grpc::ServerContext* ctx, const cv1::ListBlacklistRequest* req,
                             cv1::ListBlacklistResponse* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    *out = blacklist_;
    return grpc::Status::OK;
  }
  // Pages of `export_page_` records each over the canned records; the cursor is the index of
  // the next record. content: one line per record ("<record id>\n"), CSV with a header line on
  // every page.
  grpc::Status Export(grpc::ServerContext* ctx, const cv1::ExportRequest* req,
                      cv1::ExportResponse* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    size_t start = req->cursor().empty() ? 0 : std::stoul(req->cursor());
    if (req->format() == cv1::EXPORT_FORMAT_CSV) out->set_content("record_id,subject_id\n");
    size_t i = start;
    for (; i < exports_.size() && i < start + export_page_; ++i) {
      *out->add_records() = exports_[i];
      out->mutable_content()->append(req->format() == cv1::EXPORT_FORMAT_CSV
                                         ? exports_[i].record_id() + "," +
                                               exports_[i].subject_id() + "\n"
                                         : "{\"record_id\":\"" + exports_[i].record_id() + "\"}\n");
    }
    out->set_next_cursor(std::to_string(i));
    out->set_more(i < exports_.size());
    return grpc::Status::OK;
  }
  grpc::Status GetRules(grpc::ServerContext* ctx, const cv1::GetRulesRequest* req,
                        cv1::RulesInfo* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    *out = rules_;
    return grpc::Status::OK;
  }

  void SetProfile(cv1::Profile p) {
    absl::MutexLock lock(&mu_);
    profile_ = std::move(p);
  }
  void SetLedger(cv1::ListLedgerResponse l) {
    absl::MutexLock lock(&mu_);
    ledger_ = std::move(l);
  }
  // The ledger page answered for `page_token` (SetLedger's for any other token).
  void SetLedgerPage(const std::string& page_token, cv1::ListLedgerResponse l) {
    absl::MutexLock lock(&mu_);
    ledger_pages_[page_token] = std::move(l);
  }
  void SetRanking(cv1::ListRankingResponse r) {
    absl::MutexLock lock(&mu_);
    ranking_ = std::move(r);
  }
  void SetBlacklist(cv1::ListBlacklistResponse b) {
    absl::MutexLock lock(&mu_);
    blacklist_ = std::move(b);
  }
  void SetRules(cv1::RulesInfo r) {
    absl::MutexLock lock(&mu_);
    rules_ = std::move(r);
  }
  void AddExport(cv1::ExportRecord r) {
    absl::MutexLock lock(&mu_);
    exports_.push_back(std::move(r));
  }
  void SetExportPage(size_t n) {
    absl::MutexLock lock(&mu_);
    export_page_ = n;
  }

 private:

  grpc::Status Entry(grpc::ServerContext* ctx, const google::protobuf::Message& req,
                     const std::string& entry_id, cv1::BlacklistState state,
                     cv1::BlacklistEntry* out) {
    Record(ctx, req);
    out->set_entry_id(entry_id);
    out->set_state(state);
    return grpc::Status::OK;
  }

  absl::Mutex mu_;
  cv1::Profile profile_ ABSL_GUARDED_BY(mu_);
  cv1::ListLedgerResponse ledger_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, cv1::ListLedgerResponse> ledger_pages_ ABSL_GUARDED_BY(mu_);
  cv1::ListRankingResponse ranking_ ABSL_GUARDED_BY(mu_);
  cv1::ListBlacklistResponse blacklist_ ABSL_GUARDED_BY(mu_);
  cv1::RulesInfo rules_ ABSL_GUARDED_BY(mu_);
  std::vector<cv1::ExportRecord> exports_ ABSL_GUARDED_BY(mu_);
  size_t export_page_ ABSL_GUARDED_BY(mu_) = 2;
};

}  // namespace firegrid::ctl::testing
