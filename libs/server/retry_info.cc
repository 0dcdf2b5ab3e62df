#include "libs/server/retry_info.h"

#include "absl/strings/numbers.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "libs/auth/grpc_auth.h"

namespace firegrid::server {
namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::io::StringOutputStream;

constexpr char kRetryInfoType[] = "type.googleapis.com/google.rpc.RetryInfo";

// google.rpc.Status and google.rpc.RetryInfo are written field by field (their .proto files
// are not part of this build): Status {int32 code = 1; string message = 2; repeated Any
// details = 3;}, RetryInfo {google.protobuf.Duration retry_delay = 1;}.
enum : uint32_t { kVarint = 0, kLengthDelimited = 2 };

void WriteBytes(CodedOutputStream& out, int field, const std::string& bytes) {
  out.WriteTag(static_cast<uint32_t>(field << 3) | kLengthDelimited);
  out.WriteVarint32(static_cast<uint32_t>(bytes.size()));
  out.WriteString(bytes);
}

// The length-delimited fields numbered `field` of a serialized message.
std::vector<std::string> BytesFields(const std::string& message, int field) {
  std::vector<std::string> out;
  CodedInputStream in(reinterpret_cast<const uint8_t*>(message.data()),
                      static_cast<int>(message.size()));
  while (uint32_t tag = in.ReadTag()) {
    const int number = static_cast<int>(tag >> 3);
    const uint32_t type = tag & 7;
    if (type == kLengthDelimited) {
      uint32_t size = 0;
      std::string bytes;
      if (!in.ReadVarint32(&size) || !in.ReadString(&bytes, static_cast<int>(size))) break;
      if (number == field) out.push_back(std::move(bytes));
    } else if (type == kVarint) {
      uint64_t ignored = 0;
      if (!in.ReadVarint64(&ignored)) break;
    } else {
      break;  // no other wire types in these messages
    }
  }
  return out;
}

class RetryInfoInterceptor final : public grpc::experimental::Interceptor {
 public:
  RetryInfoInterceptor(Family<Counter>* refused, const char* method)
      : refused_(refused), method_(method) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const auto* trailers = methods->GetSendTrailingMetadata();
      auto it = trailers->find(auth::kRetryPushbackKey);
      int64_t ms = 0;
      if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED && it != trailers->end() &&
          absl::SimpleAtoi(it->second, &ms)) {
        // Details already set: another refusal that counts itself (admission.h).
        if (status.error_details().empty()) {
          refused_->Get({{"method", method_}}).Increment();
          methods->ModifySendStatus(
              grpc::Status(status.error_code(), status.error_message(),
                           RetryStatusDetails(status.error_code(), status.error_message(),
                                              absl::Milliseconds(ms))));
        }
      }
    }
    methods->Proceed();
  }

 private:
  Family<Counter>* refused_;
  const char* method_;  // the call's registered method (only they have handlers that refuse)
};

}  // namespace

std::string RetryStatusDetails(grpc::StatusCode code, const std::string& message,
                               absl::Duration retry_delay) {
  google::protobuf::Duration delay;
  const int64_t nanos = absl::ToInt64Nanoseconds(retry_delay);
  delay.set_seconds(nanos / 1000000000);
  delay.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  std::string retry_info;
  {
    StringOutputStream stream(&retry_info);
    CodedOutputStream out(&stream);
    WriteBytes(out, 1, delay.SerializeAsString());
  }
  google::protobuf::Any any;
  any.set_type_url(kRetryInfoType);
  any.set_value(retry_info);
  std::string status;
  {
    StringOutputStream stream(&status);
    CodedOutputStream out(&stream);
    out.WriteTag((1 << 3) | kVarint);
    out.WriteVarint64(static_cast<uint64_t>(code));
    WriteBytes(out, 2, message);
    WriteBytes(out, 3, any.SerializeAsString());
  }
  return status;
}

std::optional<absl::Duration> RetryDelayOf(const grpc::Status& status) {
  for (const std::string& detail : BytesFields(status.error_details(), 3)) {
    google::protobuf::Any any;
    if (!any.ParseFromString(detail) || any.type_url() != kRetryInfoType) continue;
    for (const std::string& d : BytesFields(any.value(), 1)) {
      google::protobuf::Duration delay;
      if (delay.ParseFromString(d)) {
        return absl::Seconds(delay.seconds()) + absl::Nanoseconds(delay.nanos());
      }
    }
  }
  return std::nullopt;
}

RetryInfoInterceptorFactory::RetryInfoInterceptorFactory(MetricsRegistry* metrics)
    : refused_(&metrics->AddCounter(
          "firegrid_grpc_rate_limited_total",
          "Calls refused RESOURCE_EXHAUSTED by the per-principal rate limit, by method")) {}

grpc::experimental::Interceptor* RetryInfoInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RetryInfoInterceptor(refused_, info->method());
}

}  // namespace firegrid::server
