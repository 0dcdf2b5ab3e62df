#include "libs/audit/interceptor.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "google/protobuf/message.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/trace.h"

namespace firegrid::audit {
namespace {

using grpc::experimental::InterceptionHookPoints;

class AuditInterceptor final : public grpc::experimental::Interceptor {
 public:
  AuditInterceptor(grpc::experimental::ServerRpcInfo* info, Recorder* recorder,
                   const auth::TokenVerifier* verifier, Clock* clock, auth::Admission* admission)
      : info_(info),
        recorder_(recorder),
        verifier_(verifier),
        clock_(clock),
        admission_(admission),
        // Only firegrid's own methods, whose messages are generated protobuf classes (health,
        // reflection and other library services may carry raw byte buffers), and only changes.
        audited_(info->method() != nullptr && absl::StartsWith(info->method(), "/firegrid.") &&
                 IsMutation(info->method())) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!audited_) {
      methods->Proceed();
      return;
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      // Every firegrid request is a generated protobuf message. The handler destroys it before
      // the response goes out, so what is needed of it is read now.
      const auto* request =
          static_cast<const google::protobuf::Message*>(methods->GetRecvMessage());
      if (request != nullptr) request_object_ = ObjectIdOf(*request, nullptr);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      // The object created or changed, as the response names it (see ObjectIdOf).
      const auto* response =
          static_cast<const google::protobuf::Message*>(methods->GetSendMessage());
      if (response != nullptr) response_object_ = ObjectIdOf(*response, nullptr);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void Finish(const grpc::Status& status) {
    const char* method = info_->method();
    if (info_->server_context() == nullptr) return;
    if (admission_ != nullptr && admission_->Refused(*info_->server_context())) return;
    absl::StatusOr<auth::Principal> who =
        auth::AuthenticateContext(*info_->server_context(), *verifier_, clock_->Now());
    if (!who.ok()) return;
    const trace::Context* current = trace::Current();
    recorder_->Record(method, *who, response_object_.empty() ? request_object_ : response_object_,
                      absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())),
                      current != nullptr ? current->trace_id : "");
  }

  grpc::experimental::ServerRpcInfo* info_;
  Recorder* recorder_;
  const auth::TokenVerifier* verifier_;
  Clock* clock_;
  auth::Admission* admission_;
  std::string request_object_;
  std::string response_object_;
  const bool audited_;
};

}  // namespace

grpc::experimental::Interceptor* AuditInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new AuditInterceptor(info, recorder_, verifier_, clock_, admission_);
}

}  // namespace firegrid::audit
