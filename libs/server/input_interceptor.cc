#include "libs/server/input_interceptor.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace firegrid::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

class InputInterceptor final : public grpc::experimental::Interceptor {
 public:
  InputInterceptor(std::string method, bool single_request)
      : method_(std::move(method)), single_request_(single_request) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (single_request_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      unparsable_ = true;
    }
    if (unparsable_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        (methods->GetSendStatus().error_code() == grpc::StatusCode::INTERNAL ||
         methods->GetSendStatus().error_code() == grpc::StatusCode::UNIMPLEMENTED)) {
      methods->ModifySendStatus(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, UnparsableRequestMessage(method_)));
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  const bool single_request_;
  bool unparsable_ = false;
};

}  // namespace

std::string UnparsableRequestMessage(absl::string_view method) {
  std::string type = "the request message";
  // "/pkg.Service/Method" -> "pkg.Service.Method".
  const size_t slash = method.rfind('/');
  if (method.size() > 1 && method[0] == '/' && slash != absl::string_view::npos && slash > 1) {
    const std::string full =
        absl::StrCat(method.substr(1, slash - 1), ".", method.substr(slash + 1));
    if (const google::protobuf::MethodDescriptor* m =
            google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full)) {
      type = m->input_type()->full_name();
    }
  }
  return absl::StrCat("request: cannot be parsed as ", type,
                      ": a string field is not valid UTF-8 (send text as UTF-8; binary data "
                      "belongs in bytes fields), or the bytes are not that message");
}

grpc::experimental::Interceptor* InputInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  using Type = grpc::experimental::ServerRpcInfo::Type;
  const bool single_request = info->type() == Type::UNARY || info->type() == Type::SERVER_STREAMING;
  return new InputInterceptor(info->method() != nullptr ? info->method() : "", single_request);
}

}  // namespace firegrid::server
