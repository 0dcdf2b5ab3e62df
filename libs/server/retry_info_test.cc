#include "libs/server/retry_info.h"

#include "google/protobuf/any.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "gtest/gtest.h"

namespace firegrid::server {
namespace {

namespace pb = google::protobuf;

// google.rpc.Status and google.rpc.RetryInfo as their .proto files declare them, built at run
// time, so the hand-written encoding is checked against protobuf's own parser.
class GoogleRpcTypes {
 public:
  GoogleRpcTypes() {
    pb::FileDescriptorProto any_file, duration_file;
    pb::Any::descriptor()->file()->CopyTo(&any_file);
    pb::Duration::descriptor()->file()->CopyTo(&duration_file);
    pool_.BuildFile(any_file);
    pool_.BuildFile(duration_file);
    pb::FileDescriptorProto f;
    f.set_name("google/rpc/test.proto");
    f.set_package("google.rpc");
    f.set_syntax("proto3");
    f.add_dependency("google/protobuf/any.proto");
    f.add_dependency("google/protobuf/duration.proto");
    pb::DescriptorProto* status = f.add_message_type();
    status->set_name("Status");
    AddField(status, "code", 1, pb::FieldDescriptorProto::TYPE_INT32);
    AddField(status, "message", 2, pb::FieldDescriptorProto::TYPE_STRING);
    AddField(status, "details", 3, pb::FieldDescriptorProto::TYPE_MESSAGE, ".google.protobuf.Any",
             /*repeated=*/true);
    pb::DescriptorProto* retry = f.add_message_type();
    retry->set_name("RetryInfo");
    AddField(retry, "retry_delay", 1, pb::FieldDescriptorProto::TYPE_MESSAGE,
             ".google.protobuf.Duration");
    file_ = pool_.BuildFile(f);
  }
  const pb::Descriptor* Get(const std::string& name) const {
    return file_ == nullptr ? nullptr : file_->FindMessageTypeByName(name);
  }
  std::unique_ptr<pb::Message> New(const std::string& name) {
    return std::unique_ptr<pb::Message>(factory_.GetPrototype(Get(name))->New());
  }

 private:
  static void AddField(pb::DescriptorProto* m, const std::string& name, int number,
                       pb::FieldDescriptorProto::Type type, const std::string& type_name = "",
                       bool repeated = false) {
    pb::FieldDescriptorProto* fd = m->add_field();
    fd->set_name(name);
    fd->set_number(number);
    fd->set_type(type);
    fd->set_label(repeated ? pb::FieldDescriptorProto::LABEL_REPEATED
                           : pb::FieldDescriptorProto::LABEL_OPTIONAL);
    if (!type_name.empty()) fd->set_type_name(type_name);
  }

  pb::DescriptorPool pool_;
  const pb::FileDescriptor* file_ = nullptr;
  pb::DynamicMessageFactory factory_;
};

TEST(RetryInfo, TheDetailsParseAsAGoogleRpcStatusWithOneRetryInfo) {
  GoogleRpcTypes types;
  ASSERT_NE(types.Get("Status"), nullptr);
  const std::string bytes = RetryStatusDetails(grpc::StatusCode::RESOURCE_EXHAUSTED, "slow down",
                                               absl::Milliseconds(1750));
  std::unique_ptr<pb::Message> status = types.New("Status");
  ASSERT_TRUE(status->ParseFromString(bytes));
  const pb::Reflection* r = status->GetReflection();
  const pb::Descriptor* d = status->GetDescriptor();
  EXPECT_EQ(r->GetInt32(*status, d->FindFieldByName("code")), 8);  // RESOURCE_EXHAUSTED
  EXPECT_EQ(r->GetString(*status, d->FindFieldByName("message")), "slow down");
  ASSERT_EQ(r->FieldSize(*status, d->FindFieldByName("details")), 1);
  pb::Any any;
  // A dynamic message of the pool above: copied into the generated type through its bytes.
  ASSERT_TRUE(any.ParseFromString(
      r->GetRepeatedMessage(*status, d->FindFieldByName("details"), 0).SerializeAsString()));
  EXPECT_EQ(any.type_url(), "type.googleapis.com/google.rpc.RetryInfo");
  std::unique_ptr<pb::Message> retry = types.New("RetryInfo");
  ASSERT_TRUE(retry->ParseFromString(any.value()));
  pb::Duration delay;
  ASSERT_TRUE(delay.ParseFromString(
      retry->GetReflection()
          ->GetMessage(*retry, retry->GetDescriptor()->FindFieldByName("retry_delay"))
          .SerializeAsString()));
  EXPECT_EQ(delay.seconds(), 1);
  EXPECT_EQ(delay.nanos(), 750000000);
}

TEST(RetryInfo, RetryDelayOfReadsTheDelayBackAndNothingFromOtherDetails) {
  const std::string details =
      RetryStatusDetails(grpc::StatusCode::RESOURCE_EXHAUSTED, "m", absl::Milliseconds(250));
  EXPECT_EQ(RetryDelayOf(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "m", details)),
            absl::Milliseconds(250));
  EXPECT_EQ(RetryDelayOf(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "m")), std::nullopt);
  EXPECT_EQ(RetryDelayOf(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "m", "garbage")),
            std::nullopt);
}

}  // namespace
}  // namespace firegrid::server
