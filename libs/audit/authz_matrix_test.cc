// The audit query service's authorisation matrix (docs/authorization.md): both RPCs × every
// caller, through the real gRPC surface over a real redis-server (the log lives in Redis). The
// table is docs/architecture.md ("Audit log": district admins, and internal services) and
// grpc_service.h; refusals are PERMISSION_DENIED. The log is a service's own and keyed by
// object id, not by place: the calls have no object a caller relates to by tier (kAny).
#include "tests/support/authz_matrix.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/audit/grpc_service.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/clock.h"
#include "tests/support/shared_redis.h"

namespace firegrid::audit {
namespace {

using authz_matrix::Anywhere;
using authz_matrix::Caller;
using authz_matrix::Observed;
using authz_matrix::Relation;
using authz_matrix::Row;
using authz_matrix::RpcRule;
using C = Caller;

std::map<Caller, std::vector<Relation>> AnyRelation() {
  std::map<Caller, std::vector<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) out[c] = {Relation::kAny};
  return out;
}

const std::vector<RpcRule>& Table() {
  static const auto* table = new std::vector<RpcRule>{
      {.rpc = "ListAuditRecords",
       .allowed = {{C::kDistrictAdmin, Anywhere()}, {C::kInternalService, Anywhere()}},
       .relations = AnyRelation()},
      {.rpc = "VerifyAuditChain",
       .allowed = {{C::kDistrictAdmin, Anywhere()}, {C::kInternalService, Anywhere()}},
       .relations = AnyRelation()},
  };
  return *table;
}

class AuditMatrix : public ::testing::TestWithParam<Row> {
 protected:
  struct Env {
    FakeClock clock{absl::FromCivil(absl::CivilHour(2026, 11, 23, 9), absl::UTCTimeZone())};
    std::unique_ptr<redis::Pool> pool;
    std::unique_ptr<AuditLog> log;
    authz_matrix::Tokens tokens;
    std::unique_ptr<auth::TokenVerifier> verifier;
    std::unique_ptr<auth::Authenticator> authenticator;
    std::unique_ptr<AuditGrpcService> service;
    std::unique_ptr<grpc::Server> server;
    std::unique_ptr<v1::AuditService::Stub> stub;

    ~Env() {
      if (server) server->Shutdown();
    }
  };

  static void SetUpTestSuite() {
    env_ = new Env();
    Env& e = *env_;
    e.pool = testing::NewSharedRedisPool();
    e.log = std::make_unique<AuditLog>(
        e.pool.get(), &e.clock, AuditLogOptions{.key_prefix = "authz-audit", .service = "hazards"});
    AuditRecord r;
    r.set_method("/firegrid.hazards.v1.HazardService/VerifyHazard");
    r.set_object_id("hzd_1");
    r.set_result_code("OK");
    ASSERT_TRUE(e.log->Append(r).ok());
    e.verifier = e.tokens.Verifier();
    e.authenticator = std::make_unique<auth::Authenticator>(e.verifier.get(), &e.clock);
    e.service = std::make_unique<AuditGrpcService>(e.log.get(), e.authenticator.get());
    authz_matrix::LoopbackServer loopback = authz_matrix::StartOnLoopback({e.service.get()});
    e.server = std::move(loopback.server);
    if (e.server == nullptr) return;  // StartOnLoopback failed the test
    e.stub = v1::AuditService::NewStub(loopback.channel);
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  static Env* env_;
};

AuditMatrix::Env* AuditMatrix::env_ = nullptr;

TEST_P(AuditMatrix, Call) {
  const Row& row = GetParam();
  Env& e = *env_;
  grpc::ClientContext ctx;
  authz_matrix::Attach(&ctx, e.tokens.For(row.caller, e.clock.Now()));
  Observed o;
  if (row.rpc == "ListAuditRecords") {
    v1::ListAuditRecordsRequest req;
    req.set_object_id("hzd_1");
    v1::ListAuditRecordsResponse out;
    o.status = e.stub->ListAuditRecords(&ctx, req, &out);
    o.object_shown = !o.status.ok() || out.records_size() == 1;
  } else if (row.rpc == "VerifyAuditChain") {
    v1::VerifyAuditChainResponse out;
    o.status = e.stub->VerifyAuditChain(&ctx, v1::VerifyAuditChainRequest(), &out);
  } else {
    ADD_FAILURE() << "no call for " << row.rpc;
  }
  EXPECT_TRUE(authz_matrix::Matches(row, o));
}

INSTANTIATE_TEST_SUITE_P(Table, AuditMatrix, ::testing::ValuesIn(authz_matrix::Expand(Table())),
                         authz_matrix::RowName);

TEST(AuditMatrixTable, CoversEveryMethodOfTheService) {
  EXPECT_TRUE(authz_matrix::CoversEveryMethod(v1::AuditService::service_full_name(), Table()));
}

}  // namespace
}  // namespace firegrid::audit
