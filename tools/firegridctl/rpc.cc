#include "tools/firegridctl/rpc.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/dynamic_message.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "libs/common/proto_json.h"
#include "tools/firegridctl/services.h"

namespace firegrid::ctl {
namespace {

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

absl::StatusOr<std::string> FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return absl::InternalError("cannot read the response bytes");
  std::string out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

std::unique_ptr<google::protobuf::Message> NewMessage(const google::protobuf::Descriptor* type) {
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
  return std::unique_ptr<google::protobuf::Message>(prototype->New());
}

// Waits for the next event of a completion queue used by one call at a time.
bool Next(grpc::CompletionQueue& cq, void* expected_tag) {
  void* tag = nullptr;
  bool ok = false;
  if (!cq.Next(&tag, &ok)) return false;
  return ok && tag == expected_tag;
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::StatusOr<const google::protobuf::MethodDescriptor*> FindMethod(absl::string_view name) {
  LinkFiregridServices();
  absl::string_view n = name;
  absl::ConsumePrefix(&n, "/");
  std::string dotted = absl::StrReplaceAll(n, {{"/", "."}});
  const google::protobuf::MethodDescriptor* m =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(dotted);
  if (m == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no method \"", name, "\" in the firegrid APIs; see firegridctl methods"));
  }
  return m;
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> RequestFromJson(
    const google::protobuf::MethodDescriptor* method, absl::string_view json) {
  std::unique_ptr<google::protobuf::Message> request = NewMessage(method->input_type());
  std::string text(absl::StripAsciiWhitespace(json));
  if (text.empty()) text = "{}";
  // Enum values as the CLI writes them ("class_i") or by their full names.
  absl::Status s = JsonToMessage(text, request.get());
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request is not a valid ", method->input_type()->full_name(), " in JSON: ", s.message()));
  }
  return request;
}

absl::Status CallGeneric(Context& ctx, const google::protobuf::MethodDescriptor* method,
                         const google::protobuf::Message& request,
                         const std::function<void(const google::protobuf::Message&)>& on_response) {
  if (method->client_streaming()) {
    return ClientSideError(absl::UnimplementedError(
        absl::StrCat(method->full_name(), " is client-streaming; `call` sends one request")));
  }
  const std::string path = absl::StrCat("/", method->service()->full_name(), "/", method->name());
  grpc::GenericStub stub(ctx.channel());
  grpc::ClientContext call;
  ctx.Prepare(&call, method->server_streaming() ? CallKind::kStreaming : CallKind::kUnary);
  const grpc::ByteBuffer request_bytes = ToByteBuffer(request.SerializeAsString());

  auto deliver = [&](const grpc::ByteBuffer& bytes) -> absl::Status {
    absl::StatusOr<std::string> raw = FromByteBuffer(bytes);
    if (!raw.ok()) return raw.status();
    std::unique_ptr<google::protobuf::Message> response = NewMessage(method->output_type());
    if (!response->ParseFromString(*raw)) {
      return absl::DataLossError(
          absl::StrCat("response is not a valid ", method->output_type()->full_name()));
    }
    on_response(*response);
    return absl::OkStatus();
  };

  if (!method->server_streaming()) {
    grpc::ByteBuffer response_bytes;
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(&call, path, grpc::StubOptions(), &request_bytes, &response_bytes,
                   [&](grpc::Status s) {
                     status = std::move(s);
                     done.Notify();
                   });
    done.WaitForNotification();
    if (!status.ok()) return FromGrpc(status);
    return deliver(response_bytes);
  }

  // Server streaming: a generic (bidi-typed) call that writes one request and reads to the end.
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> stream = stub.PrepareCall(&call, path, &cq);
  int start_tag = 1, write_tag = 2, done_tag = 3, read_tag = 4, finish_tag = 5;
  absl::Status result;
  stream->StartCall(&start_tag);
  bool started = Next(cq, &start_tag);
  if (started) {
    stream->Write(request_bytes, &write_tag);
    started = Next(cq, &write_tag);
  }
  if (started) {
    stream->WritesDone(&done_tag);
    started = Next(cq, &done_tag);
  }
  while (started) {
    grpc::ByteBuffer response_bytes;
    stream->Read(&response_bytes, &read_tag);
    if (!Next(cq, &read_tag)) break;
    result = deliver(response_bytes);
    if (!result.ok()) {
      call.TryCancel();
      break;
    }
  }
  grpc::Status status;
  stream->Finish(&status, &finish_tag);
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
    if (tag == &finish_tag) break;
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!result.ok()) return result;
  return FromGrpc(status);
}

std::string EncodeHealthCheckRequest(const std::string& service) {
  // message HealthCheckRequest { string service = 1; }
  std::string out;
  if (service.empty()) return out;
  out.push_back(0x0A);  // field 1, length-delimited
  size_t n = service.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7F) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out += service;
  return out;
}

absl::StatusOr<int> DecodeHealthCheckResponse(absl::string_view bytes) {
  // message HealthCheckResponse { ServingStatus status = 1; }; absent = UNKNOWN (0).
  int status = 0;
  size_t i = 0;
  auto read_varint = [&](uint64_t* v) -> bool {
    *v = 0;
    for (int shift = 0; shift < 64 && i < bytes.size(); shift += 7) {
      const unsigned char b = static_cast<unsigned char>(bytes[i++]);
      *v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  };
  while (i < bytes.size()) {
    uint64_t key = 0;
    if (!read_varint(&key)) return absl::DataLossError("malformed health response");
    const uint64_t wire = key & 7;
    uint64_t v = 0;
    if (wire == 0) {
      if (!read_varint(&v)) return absl::DataLossError("malformed health response");
      if ((key >> 3) == 1) status = static_cast<int>(v);
    } else if (wire == 2) {
      if (!read_varint(&v) || v > bytes.size() - i) {
        return absl::DataLossError("malformed health response");
      }
      i += v;
    } else {
      return absl::DataLossError("malformed health response");
    }
  }
  return status;
}

absl::StatusOr<int> CheckHealth(Context& ctx, const std::string& service) {
  grpc::GenericStub stub(ctx.channel());
  grpc::ClientContext call;
  ctx.Prepare(&call);
  const grpc::ByteBuffer request = ToByteBuffer(EncodeHealthCheckRequest(service));
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&call, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return FromGrpc(status);
  absl::StatusOr<std::string> raw = FromByteBuffer(response);
  if (!raw.ok()) return raw.status();
  return DecodeHealthCheckResponse(*raw);
}

}  // namespace firegrid::ctl
