#pragma once

// A notify service for the gateway's tests: Subscribe on the callback API (no thread per
// stream), replaying per recipient after the request's cursors, then caught_up, then what
// Push() adds, live. Recipients and cursors are as notify's: cursors sort in inbox order.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "services/gateway/fake_grpc.h"

namespace firegrid::gateway::testing {

class FakeNotify : public notify::v1::NotifyService::CallbackService {
 public:
  class Stream;

  grpc::ServerWriteReactor<notify::v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* ctx, const notify::v1::SubscribeRequest* req) override;

  // Adds a notification to `recipient`'s inbox (the next cursor) and streams it to every open
  // subscriber.
  notify::v1::Notification Push(const std::string& recipient, const std::string& title);
  // Subscribers open now; the tokens and requests seen.
  int open() const;
  std::vector<std::string> tokens() const;
  std::vector<notify::v1::SubscribeRequest> requests() const;
  // Subscribe answers this instead when not OK.
  void FailWith(grpc::Status s) {
    absl::MutexLock lock(&mu_);
    fail_ = std::move(s);
  }
  // Ends every open stream with OK.
  void EndAll();

 private:
  friend class Stream;
  mutable absl::Mutex mu_;
  std::map<std::string, std::vector<notify::v1::Notification>> inbox_ ABSL_GUARDED_BY(mu_);
  std::set<Stream*> streams_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> tokens_ ABSL_GUARDED_BY(mu_);
  std::vector<notify::v1::SubscribeRequest> requests_ ABSL_GUARDED_BY(mu_);
  grpc::Status fail_ ABSL_GUARDED_BY(mu_);
  int next_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace firegrid::gateway::testing
