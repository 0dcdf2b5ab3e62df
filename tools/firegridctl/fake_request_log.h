#pragma once

#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"

namespace firegrid::ctl {

// What the in-process fake services of the CLI tests remember of the calls they received: how
// many, the last request of each type, and the last authorization header. A fake derives from
// it and calls Record() in each method.
class RequestLog {
 public:
  // The last request of type T received (default-constructed when none).
  template <typename T>
  T last() {
    absl::MutexLock lock(&log_mu_);
    T out;
    auto it = last_.find(T::descriptor()->full_name());
    if (it != last_.end()) out.ParseFromString(it->second);
    return out;
  }
  int calls() {
    absl::MutexLock lock(&log_mu_);
    return calls_;
  }
  std::string last_authorization() {
    absl::MutexLock lock(&log_mu_);
    return last_authorization_;
  }

 protected:
  void Record(grpc::ServerContext* ctx, const google::protobuf::Message& req) {
    absl::MutexLock lock(&log_mu_);
    ++calls_;
    last_[req.GetDescriptor()->full_name()] = req.SerializeAsString();
    auto it = ctx->client_metadata().find("authorization");
    last_authorization_ =
        it == ctx->client_metadata().end() ? "" : std::string(it->second.data(), it->second.size());
  }

 private:
  absl::Mutex log_mu_;
  int calls_ ABSL_GUARDED_BY(log_mu_) = 0;
  std::map<std::string, std::string> last_ ABSL_GUARDED_BY(log_mu_);
  std::string last_authorization_ ABSL_GUARDED_BY(log_mu_);
};

}  // namespace firegrid::ctl
