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
// The same, through an Authenticator (failed-authentication throttle and rate limit).
constexpr char kGuardedMethod[] = "/firegrid.test.v1.Whoami/Guarded";

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
  WhoamiService(const TokenVerifier* verifier, const Authenticator* authenticator)
      : verifier_(verifier), authenticator_(authenticator) {
    for (const char* method : {kMethod, kGuardedMethod}) {
      const bool guarded = method == kGuardedMethod;
      AddMethod(new grpc::internal::RpcServiceMethod(
          method, grpc::internal::RpcMethod::NORMAL_RPC,
          new grpc::internal::RpcMethodHandler<WhoamiService, grpc::ByteBuffer, grpc::ByteBuffer>(
              [guarded](WhoamiService* self, grpc::ServerContext* ctx, const grpc::ByteBuffer*,
                        grpc::ByteBuffer* resp) { return self->Get(ctx, guarded, resp); },
              this)));
    }
  }

 private:
  // Guarded calls go through the non-const Authenticate, as handlers do (it may add trailing
  // metadata).
  grpc::Status Get(grpc::ServerContext* ctx, bool guarded, grpc::ByteBuffer* resp) {
    absl::StatusOr<Principal> who =
        guarded ? authenticator_->Authenticate(*ctx) : AuthenticateContext(*ctx, *verifier_, kNow);
    if (!who.ok()) {
      return grpc::Status(static_cast<grpc::StatusCode>(who.status().code()),
                          std::string(who.status().message()));
    }
    grpc::Slice slice(absl::StrCat(who->subject, " ", RoleName(who->role), " ", who->tier_path));
    *resp = grpc::ByteBuffer(&slice, 1);
    return grpc::Status::OK;
  }

  const TokenVerifier* verifier_;
  const Authenticator* authenticator_;
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
    authenticator_ = std::make_unique<Authenticator>(verifier_.get(), &clock_, &rate_limiter_,
                                                     &failure_limiter_);
    service_ = std::make_unique<WhoamiService>(verifier_.get(), authenticator_.get());

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
  grpc::Status Call(grpc::ClientContext* ctx, std::string* answer, const char* method = kMethod) {
    grpc::GenericStub stub(channel_);
    grpc::Slice empty("");
    grpc::ByteBuffer req(&empty, 1);
    grpc::ByteBuffer resp;
    grpc::Status status;
    absl::Notification done;
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    stub.UnaryCall(ctx, method, grpc::StubOptions(), &req, &resp, [&](grpc::Status s) {
      status = std::move(s);
      done.Notify();
    });
    done.WaitForNotification();
    if (status.ok()) *answer = ToString(resp);
    return status;
  }

  // Guarded calls: 3 failed authentications per client address, then one more per minute;
  // 5 calls per principal, then one more per second.
  FakeClock clock_{kNow};
  RateLimiter failure_limiter_{1.0 / 60, 3, &clock_};
  RateLimiter rate_limiter_{1, 5, &clock_};
  std::unique_ptr<TokenVerifier> verifier_;
  std::unique_ptr<TokenSigner> signer_;
  std::unique_ptr<Authenticator> authenticator_;
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

TEST_F(GrpcAuthTest, FailedAuthenticationsThrottleTheClientAddressBeforeVerifying) {
  auto guarded = [&](const std::string& token) {
    grpc::ClientContext ctx;
    if (!token.empty()) AttachToken(&ctx, token);
    std::string answer;
    return Call(&ctx, &answer, kGuardedMethod);
  };
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(guarded("forged.token.here").error_code(), grpc::StatusCode::UNAUTHENTICATED) << i;
  }
  // The fourth attempt is refused before its token is looked at: a valid token fares the same.
  grpc::Status s = guarded(Token());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("failed authentications"));
  EXPECT_EQ(guarded("").error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // The window refills: one failure is forgiven per minute.
  clock_.Advance(absl::Minutes(1));
  EXPECT_TRUE(guarded(Token()).ok());
}

TEST_F(GrpcAuthTest, SuccessfulAuthenticationsAreNotChargedToTheClientAddress) {
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext ctx;
    AttachToken(&ctx, Token());
    std::string answer;
    ASSERT_TRUE(Call(&ctx, &answer, kGuardedMethod).ok()) << i;
  }
  // The principal's own limit (5) is spent; the address still has its failure budget.
  grpc::ClientContext ctx;
  AttachToken(&ctx, Token());
  std::string answer;
  grpc::Status s = Call(&ctx, &answer, kGuardedMethod);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("rate limit of this principal"));
  grpc::ClientContext bad;
  AttachToken(&bad, "forged.token.here");
  EXPECT_EQ(Call(&bad, &answer, kGuardedMethod).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(GrpcAuthTest, ARefusedPrincipalLearnsTheRetryDelayInMessageAndTrailingMetadata) {
  std::string answer;
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext ctx;
    AttachToken(&ctx, Token());
    ASSERT_TRUE(Call(&ctx, &answer, kGuardedMethod).ok()) << i;
  }
  clock_.Advance(absl::Milliseconds(250));  // a quarter of the next token (1 per second)
  grpc::ClientContext ctx;
  AttachToken(&ctx, Token());
  grpc::Status s = Call(&ctx, &answer, kGuardedMethod);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("retry in 750ms"));
  const auto& trailers = ctx.GetServerTrailingMetadata();
  auto it = trailers.find(kRetryPushbackKey);
  ASSERT_NE(it, trailers.end());
  EXPECT_EQ(std::string(it->second.data(), it->second.size()), "750");
}

TEST(PeerAddress, DropsThePortOfIpPeers) {
  EXPECT_EQ(PeerAddress("ipv4:10.0.0.7:5123"), "ipv4:10.0.0.7");
  EXPECT_EQ(PeerAddress("ipv6:[::1]:5123"), "ipv6:[::1]");
  EXPECT_EQ(PeerAddress("unix:/tmp/sock"), "unix:/tmp/sock");
  EXPECT_EQ(PeerAddress(""), "");
}

}  // namespace
}  // namespace firegrid::auth
