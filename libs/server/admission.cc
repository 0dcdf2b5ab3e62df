#include "libs/server/admission.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "libs/server/retry_info.h"

namespace firegrid::server {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

class AdmissionInterceptor final : public grpc::experimental::Interceptor {
 public:
  AdmissionInterceptor(AdmissionControl* control, ServerRpcInfo* info)
      : control_(control),
        ctx_(info->server_context()),
        method_(info->method() != nullptr ? info->method() : ""),
        // The health service and reflection are never counted nor refused; calls to
        // unimplemented methods arrive as bidi streams and are not counted either.
        counted_(!absl::StartsWith(method_, "/grpc.health.") &&
                 !absl::StartsWith(method_, "/grpc.reflection.")),
        unary_(info->type() == ServerRpcInfo::Type::UNARY) {
    if (counted_) marked_ = control_->Arrive(ctx_, unary_, &call_);
  }
  ~AdmissionInterceptor() override {
    if (counted_) control_->Finished(ctx_, unary_, marked_);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (marked_ && call_.refused.load() &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        control_->CountRefusal(method_);
        if (status.error_details().empty()) {
          methods->ModifySendStatus(
              grpc::Status(status.error_code(), status.error_message(),
                           RetryStatusDetails(status.error_code(), status.error_message(),
                                              control_->options().retry_delay)));
        }
      }
    }
    methods->Proceed();
  }

 private:
  AdmissionControl* const control_;
  const grpc::ServerContextBase* const ctx_;
  const std::string method_;
  const bool counted_;
  const bool unary_;
  bool marked_ = false;
  AdmissionControl::Call call_;
};

namespace {

class AdmissionInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit AdmissionInterceptorFactory(AdmissionControl* control) : control_(control) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    return new AdmissionInterceptor(control_, info);
  }

 private:
  AdmissionControl* control_;
};

}  // namespace

AdmissionControl::AdmissionControl(AdmissionOptions options, MetricsRegistry* metrics)
    : options_(options),
      refused_(metrics->AddCounter(
          "firegrid_grpc_overload_refused_total",
          "Calls refused RESOURCE_EXHAUSTED because the server had --max-in-flight unary calls in "
          "flight, by method")),
      in_flight_gauge_(
          metrics
              ->AddGauge(
                  "firegrid_grpc_calls_in_flight",
                  "Unary gRPC calls in flight (arrived, not finished), refused ones included")
              .Get()) {}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
AdmissionControl::InterceptorFactory() {
  return std::make_unique<AdmissionInterceptorFactory>(this);
}

bool AdmissionControl::Arrive(const grpc::ServerContextBase* ctx, bool unary, Call* call) {
  const int max = options_.max_in_flight;
  const int before = unary ? in_flight_.fetch_add(1, std::memory_order_relaxed) : in_flight_.load();
  if (unary) in_flight_gauge_.Add(1);
  if (max <= 0 || before < max) return false;
  absl::MutexLock lock(&mu_);
  marked_.insert_or_assign(ctx, call);
  marked_count_.store(static_cast<int>(marked_.size()));
  return true;
}

void AdmissionControl::Finished(const grpc::ServerContextBase* ctx, bool unary, bool marked) {
  if (unary) {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    in_flight_gauge_.Add(-1);
  }
  if (!marked) return;
  absl::MutexLock lock(&mu_);
  marked_.erase(ctx);
  marked_count_.store(static_cast<int>(marked_.size()));
}

std::optional<absl::Duration> AdmissionControl::Refuse(const grpc::ServerContextBase& ctx) {
  if (marked_count_.load() == 0) return std::nullopt;
  absl::MutexLock lock(&mu_);
  auto it = marked_.find(&ctx);
  if (it == marked_.end()) return std::nullopt;
  it->second->refused.store(true);
  return options_.retry_delay;
}

bool AdmissionControl::Refused(const grpc::ServerContextBase& ctx) {
  if (marked_count_.load() == 0) return false;
  absl::MutexLock lock(&mu_);
  auto it = marked_.find(&ctx);
  return it != marked_.end() && it->second->refused.load();
}

void AdmissionControl::CountRefusal(const std::string& method) {
  refused_.Get({{"method", method}}).Increment();
}

}  // namespace firegrid::server
