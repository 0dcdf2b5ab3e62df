#include "libs/auth/grpc_auth.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/method_handler.h"
#include "gtest/gtest.h"
#include "libs/auth/token.h"

namespace firegrid::auth {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);
const std::string kKey = "0123456789abcdef0123456789abcdef-grpc-auth-test";
constexpr char kMethod[] = "/firegrid.test.v1.Whoami/Get";

std::string ToString(const grpc::ByteBuffer& bb) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!bb.Dump(&slices).ok()) return out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// A sync service (grpc::ServerContext, like generated services) without generated code:
// it authenticates the caller and answers "<subject> <role> <tier_path>".
class WhoamiService final : public grpc::Service {
 public:
  explicit WhoamiService(const TokenVerifier* verifier) : verifier_(verifier) {
    AddMethod(new grpc::internal::RpcServiceMethod(
        kMethod, grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<WhoamiService, grpc::ByteBuffer, grpc::ByteBuffer>(
            [](WhoamiService* self, grpc::ServerContext* ctx, const grpc::ByteBuffer*,
               grpc::ByteBuffer* resp) { return self->Get(*ctx, resp); },
            this)));
  }

 private:
  grpc::Status Get(const grpc::ServerContext& ctx, grpc::ByteBuffer* resp) {
    absl::StatusOr<Principal> who = AuthenticateContext(ctx, *verifier_, kNow);
    if (!who.ok()) {
      return grpc::Status(static_cast<grpc::StatusCode>(who.status().code()),
                          std::string(who.status().message()));
    }
    grpc::Slice slice(absl::StrCat(who->subject, " ", RoleName(who->role), " ", who->tier_path));
    *resp = grpc::ByteBuffer(&slice, 1);
    return grpc::Status::OK;
  }

  const TokenVerifier* verifier_;
};

class GrpcAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VerifierOptions o;
    o.hs256_key = kKey;
    auto v = TokenVerifier::Create(o);
    ASSERT_TRUE(v.ok()) << v.status();
    verifier_ = *std::move(v);
    auto s = TokenSigner::Hs256(kKey);
    ASSERT_TRUE(s.ok()) << s.status();
    signer_ = *std::move(s);
    service_ = std::make_unique<WhoamiService>(verifier_.get());

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  std::string Token(absl::Duration ttl = absl::Hours(1)) {
    Principal p;
    p.subject = "u-7";
    p.role = Role::kCommunityWorker;
    p.tier_path = "500109001002";
    auto t = signer_->Sign(p, kNow - absl::Minutes(1), ttl);
    EXPECT_TRUE(t.ok()) << t.status();
    return *t;
  }

  // Calls Whoami.Get with the given metadata already on `ctx`.
  grpc::Status Call(grpc::ClientContext* ctx, std::string* answer) {
    grpc::GenericStub stub(channel_);
    grpc::Slice empty("");
    grpc::ByteBuffer req(&empty, 1);
    grpc::ByteBuffer resp;
    grpc::Status status;
    absl::Notification done;
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    stub.UnaryCall(ctx, kMethod, grpc::StubOptions(), &req, &resp, [&](grpc::Status s) {
      status = std::move(s);
      done.Notify();
    });
    done.WaitForNotification();
    if (status.ok()) *answer = ToString(resp);
    return status;
  }

  std::unique_ptr<TokenVerifier> verifier_;
  std::unique_ptr<TokenSigner> signer_;
  std::unique_ptr<WhoamiService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(GrpcAuthTest, AttachedTokenAuthenticatesTheCaller) {
  grpc::ClientContext ctx;
  AttachToken(&ctx, Token());
  std::string answer;
  grpc::Status s = Call(&ctx, &answer);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(answer, "u-7 community_worker 500109001002");
}

TEST_F(GrpcAuthTest, BearerSchemeIsCaseInsensitive) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "bearer " + Token());
  std::string answer;
  EXPECT_TRUE(Call(&ctx, &answer).ok());
}

TEST_F(GrpcAuthTest, MissingAuthorizationIsUnauthenticated) {
  grpc::ClientContext ctx;
  std::string answer;
  grpc::Status s = Call(&ctx, &answer);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("missing authorization"));
}

TEST_F(GrpcAuthTest, NonBearerCredentialsAreUnauthenticated) {
  for (const std::string& value :
       {std::string("Basic dTpw"), std::string("Bearer"), std::string("Bearer "), Token()}) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", value);
    std::string answer;
    grpc::Status s = Call(&ctx, &answer);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << value;
    EXPECT_THAT(s.error_message(), HasSubstr("not a Bearer token")) << value;
  }
}

TEST_F(GrpcAuthTest, RepeatedAuthorizationIsUnauthenticated) {
  grpc::ClientContext ctx;
  AttachToken(&ctx, Token());
  AttachToken(&ctx, Token());
  std::string answer;
  grpc::Status s = Call(&ctx, &answer);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("more than one"));
}

TEST_F(GrpcAuthTest, ExpiredTokenIsUnauthenticatedWithTheReason) {
  grpc::ClientContext ctx;
  AttachToken(&ctx, Token(absl::Seconds(1)));  // exp = kNow - 59s, beyond the 30s leeway
  std::string answer;
  grpc::Status s = Call(&ctx, &answer);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("expired"));
}

}  // namespace
}  // namespace firegrid::auth
