// The dead-letter service's authorisation matrix (docs/authorization.md): every RPC × every
// caller through the real gRPC surface, over fakes (reader, producer, state store). District
// admins and internal services only (dead letters carry whole events, personal data included);
// everyone else PERMISSION_DENIED. Dead letters are a service's own, not placed in a tier: the
// calls have no object a caller relates to by tier (kAny). Each row that acts on a dead letter
// gets a fresh one, so that an allowed Replay or Drop is not refused as already done.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/wrappers.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/clock.h"
#include "libs/common/ids.h"
#include "libs/events/dead_letters_grpc.h"
#include "libs/events/topics.h"
#include "tests/support/authz_matrix.h"

namespace firegrid::events {
namespace {

using authz_matrix::Anywhere;
using authz_matrix::Caller;
using authz_matrix::Observed;
using authz_matrix::Relation;
using authz_matrix::Row;
using authz_matrix::RpcRule;
using C = Caller;

const std::string kTopic(kBuildingsTopic);

std::map<Caller, std::vector<Relation>> AnyRelation() {
  std::map<Caller, std::vector<Relation>> out;
  for (Caller c : authz_matrix::RoleCallers()) out[c] = {Relation::kAny};
  return out;
}

RpcRule AdminsOnly(const std::string& rpc) {
  return {.rpc = rpc,
          .allowed = {{C::kDistrictAdmin, Anywhere()}, {C::kInternalService, Anywhere()}},
          .relations = AnyRelation()};
}

const std::vector<RpcRule>& Table() {
  static const auto* table = new std::vector<RpcRule>{
      AdminsOnly("ListDeadLetters"),
      AdminsOnly("GetDeadLetter"),
      AdminsOnly("ReplayDeadLetter"),
      AdminsOnly("DropDeadLetter"),
  };
  return *table;
}

class DeadLetterMatrix : public ::testing::TestWithParam<Row> {
 protected:
  struct Env {
    FakeClock clock{absl::FromCivil(absl::CivilHour(2026, 12, 6, 9), absl::UTCTimeZone())};
    SequentialIdGenerator ids;
    FakeDlqReader reader;
    FakeProducer producer;
    MemoryDeadLetterStateStore states;
    std::unique_ptr<DeadLetterDesk> desk;
    authz_matrix::Tokens tokens;
    std::unique_ptr<auth::TokenVerifier> verifier;
    std::unique_ptr<auth::Authenticator> authenticator;
    std::unique_ptr<DeadLetterGrpcService> service;
    std::unique_ptr<grpc::Server> server;
    std::unique_ptr<dlv1::DeadLetterService::Stub> stub;

    ~Env() {
      if (server) server->Shutdown();
    }

    // A new pending dead letter of the service's group.
    std::string NewLetter() {
      google::protobuf::StringValue payload;
      payload.set_value("x");
      DeadLetter letter;
      letter.set_topic(kTopic);
      letter.set_key("bld_1");
      letter.set_value(SerializeEnvelope(
          NewEnvelope(payload, "buildings", "bld_1", "500109001001", clock.Now(), ids)));
      letter.set_reason("FAILED_PRECONDITION: unknown building");
      letter.set_consumer_group("hazards");
      DlqRecord r;
      r.value = letter.SerializeAsString();
      return DeadLetterId(DlqTopic(kTopic), reader.Append(DlqTopic(kTopic), r));
    }
  };

  static void SetUpTestSuite() {
    env_ = new Env();
    Env& e = *env_;
    e.desk = std::make_unique<DeadLetterDesk>(
        &e.reader, &e.producer, &e.states,
        DeadLetterDeskOptions{.groups_by_topic = {{kTopic, {"hazards"}}}}, &e.clock);
    e.verifier = e.tokens.Verifier();
    e.authenticator = std::make_unique<auth::Authenticator>(e.verifier.get(), &e.clock);
    e.service = std::make_unique<DeadLetterGrpcService>(e.desk.get(), e.authenticator.get());
    authz_matrix::LoopbackServer loopback = authz_matrix::StartOnLoopback({e.service.get()});
    e.server = std::move(loopback.server);
    if (e.server == nullptr) return;  // StartOnLoopback failed the test
    e.stub = dlv1::DeadLetterService::NewStub(loopback.channel);
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  static Env* env_;
};

DeadLetterMatrix::Env* DeadLetterMatrix::env_ = nullptr;

TEST_P(DeadLetterMatrix, Call) {
  const Row& row = GetParam();
  Env& e = *env_;
  const std::string id = e.NewLetter();
  grpc::ClientContext ctx;
  authz_matrix::Attach(&ctx, e.tokens.For(row.caller, e.clock.Now()));
  Observed o;
  if (row.rpc == "ListDeadLetters") {
    dlv1::ListDeadLettersRequest req;
    req.set_topic(kTopic);
    req.set_page_size(500);
    dlv1::ListDeadLettersResponse out;
    o.status = e.stub->ListDeadLetters(&ctx, req, &out);
    bool found = false;
    for (const auto& l : out.dead_letters()) found = found || l.dead_letter_id() == id;
    o.object_shown = !o.status.ok() || found;
  } else if (row.rpc == "GetDeadLetter") {
    dlv1::GetDeadLetterRequest req;
    req.set_dead_letter_id(id);
    dlv1::DeadLetterDetail out;
    o.status = e.stub->GetDeadLetter(&ctx, req, &out);
  } else if (row.rpc == "ReplayDeadLetter") {
    dlv1::ReplayDeadLetterRequest req;
    req.set_dead_letter_id(id);
    dlv1::ReplayDeadLetterResponse out;
    o.status = e.stub->ReplayDeadLetter(&ctx, req, &out);
  } else if (row.rpc == "DropDeadLetter") {
    dlv1::DropDeadLetterRequest req;
    req.set_dead_letter_id(id);
    req.set_reason("matrix");
    dlv1::DropDeadLetterResponse out;
    o.status = e.stub->DropDeadLetter(&ctx, req, &out);
  } else {
    ADD_FAILURE() << "no call for " << row.rpc;
  }
  EXPECT_TRUE(authz_matrix::Matches(row, o));
}

INSTANTIATE_TEST_SUITE_P(Table, DeadLetterMatrix,
                         ::testing::ValuesIn(authz_matrix::Expand(Table())), authz_matrix::RowName);

TEST(DeadLetterMatrixTable, CoversEveryMethodOfTheService) {
  EXPECT_TRUE(
      authz_matrix::CoversEveryMethod(dlv1::DeadLetterService::service_full_name(), Table()));
}

}  // namespace
}  // namespace firegrid::events
