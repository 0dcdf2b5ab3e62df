#include "services/gateway/fake_notify.h"

#include <deque>

#include "absl/strings/str_format.h"

namespace firegrid::gateway::testing {

class FakeNotify::Stream : public grpc::ServerWriteReactor<notify::v1::SubscribeResponse> {
 public:
  explicit Stream(FakeNotify* owner) : owner_(owner) {}

  // Called with owner_->mu_ held (so that no Push slips between replay and registration).
  void Queue(notify::v1::SubscribeResponse r) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    queue_.push_back(std::move(r));
    if (!writing_) WriteNextLocked();
  }
  void End() {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    end_ = true;
    if (!writing_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    queue_.pop_front();
    if (!ok) {
      if (!finished_) {
        finished_ = true;
        Finish(grpc::Status::CANCELLED);
      }
      return;
    }
    if (!queue_.empty()) {
      WriteNextLocked();
    } else if (end_ && !finished_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
  }
  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    if (!finished_) {
      finished_ = true;
      Finish(grpc::Status::CANCELLED);
    }
  }
  void OnDone() override {
    {
      absl::MutexLock lock(&owner_->mu_);
      owner_->streams_.erase(this);
    }
    delete this;
  }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (queue_.empty() || finished_) return;
    writing_ = true;
    StartWrite(&queue_.front());
  }

  FakeNotify* owner_;
  absl::Mutex mu_;
  std::deque<notify::v1::SubscribeResponse> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool end_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::ServerWriteReactor<notify::v1::SubscribeResponse>* FakeNotify::Subscribe(
    grpc::CallbackServerContext* ctx, const notify::v1::SubscribeRequest* req) {
  auto* s = new Stream(this);
  absl::MutexLock lock(&mu_);
  tokens_.push_back(BearerOf(*ctx));
  requests_.push_back(*req);
  if (!fail_.ok()) {
    s->Finish(fail_);
    return s;
  }
  streams_.insert(s);
  if (!req->live_only()) {
    for (const auto& [recipient, list] : inbox_) {
      auto it = req->cursors().find(recipient);
      for (const auto& n : list) {
        if (it != req->cursors().end() && n.cursor() <= it->second) continue;
        notify::v1::SubscribeResponse r;
        *r.mutable_notification() = n;
        s->Queue(std::move(r));
      }
    }
  }
  notify::v1::SubscribeResponse caught_up;
  caught_up.set_caught_up(true);
  s->Queue(std::move(caught_up));
  return s;
}

notify::v1::Notification FakeNotify::Push(const std::string& recipient, const std::string& title) {
  absl::MutexLock lock(&mu_);
  notify::v1::Notification n;
  n.set_notification_id(absl::StrFormat("ntf_%04d", ++next_));
  n.set_recipient(recipient);
  n.set_cursor(absl::StrFormat("%08d", next_));
  n.set_title(title);
  n.set_requires_ack(true);
  inbox_[recipient].push_back(n);
  for (Stream* s : streams_) {
    notify::v1::SubscribeResponse r;
    *r.mutable_notification() = n;
    s->Queue(std::move(r));
  }
  return n;
}

int FakeNotify::open() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(streams_.size());
}

std::vector<std::string> FakeNotify::tokens() const {
  absl::MutexLock lock(&mu_);
  return tokens_;
}

std::vector<notify::v1::SubscribeRequest> FakeNotify::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

void FakeNotify::EndAll() {
  absl::MutexLock lock(&mu_);
  for (Stream* s : streams_) s->End();
}

}  // namespace firegrid::gateway::testing
