#include "services/buildings/grpc_service.h"

#include <optional>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/common/trace.h"
#include "services/buildings/memory_store.h"

namespace firegrid::buildings {
namespace {

constexpr char kKey[] = "test-secret-key-of-at-least-32-bytes!!";

// A store whose building reads fail the way a broken Redis does.
class BrokenReadStore : public MemoryStore {
 public:
  absl::StatusOr<v1::Building> GetBuilding(const std::string&) override {
    return absl::InternalError("redis 10.1.2.3:6379: ERR secret detail");
  }
};

// A store that remembers the trace context current while a building is read.
class TraceRecordingStore : public MemoryStore {
 public:
  absl::StatusOr<v1::Building> GetBuilding(const std::string&) override {
    traceparent = trace::CurrentTraceparent();
    return absl::NotFoundError("no such building");
  }
  std::string traceparent;
};

class GrpcServiceTest : public ::testing::Test {
 protected:
  void Start(MemoryStore* store, auth::RateLimiter* limiter = nullptr) {
    verifier_ = *auth::TokenVerifier::Create({.hs256_key = kKey});
    signer_ = *auth::TokenSigner::Hs256(kKey);
    registry_ = std::make_unique<Registry>(store, DefaultRules(), &clock_, &ids_);
    authenticator_ = std::make_unique<auth::Authenticator>(verifier_.get(), &clock_, limiter);
    service_ = std::make_unique<BuildingGrpcService>(registry_.get(), authenticator_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::BuildingService::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                             grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // A token issued `age` ago that lives for an hour.
  std::string Token(auth::Role role, const std::string& tier,
                    absl::Duration age = absl::ZeroDuration()) {
    auth::Principal p;
    p.subject = "tester";
    p.role = role;
    p.tier_path = tier;
    return *signer_->Sign(p, clock_.Now() - age, absl::Hours(1));
  }

  FakeClock clock_{absl::Now()};
  SequentialIdGenerator ids_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<BuildingGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::BuildingService::Stub> stub_;
};

TEST_F(GrpcServiceTest, CallsWithoutOrWithBadTokensAreUnauthenticated) {
  MemoryStore store;
  Start(&store);
  v1::GetOrgUnitRequest req;
  req.set_code("500109");
  v1::OrgUnit resp;
  {
    grpc::ClientContext ctx;
    EXPECT_EQ(stub_->GetOrgUnit(&ctx, req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    auth::AttachToken(&ctx, "not-a-jwt");
    EXPECT_EQ(stub_->GetOrgUnit(&ctx, req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    auth::AttachToken(&ctx, Token(auth::Role::kDistrictAdmin, "500109", absl::Hours(2)));
    EXPECT_EQ(stub_->GetOrgUnit(&ctx, req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    auto other = *auth::TokenSigner::Hs256("another-secret-key-of-32-bytes-or-more");
    auth::Principal p{.subject = "x", .role = auth::Role::kDistrictAdmin, .tier_path = "500109"};
    grpc::ClientContext ctx;
    auth::AttachToken(&ctx, *other->Sign(p, clock_.Now(), absl::Hours(1)));
    EXPECT_EQ(stub_->GetOrgUnit(&ctx, req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
}

TEST_F(GrpcServiceTest, AuthenticatedCallsReachTheRegistry) {
  MemoryStore store;
  Start(&store);
  grpc::ClientContext ctx;
  auth::AttachToken(&ctx, Token(auth::Role::kDistrictAdmin, "500109"));
  v1::UpsertOrgUnitRequest req;
  req.mutable_org_unit()->set_code("500109");
  req.mutable_org_unit()->set_kind(v1::ORG_UNIT_KIND_DISTRICT);
  req.mutable_org_unit()->set_name("北碚区");
  v1::OrgUnit resp;
  grpc::Status s = stub_->UpsertOrgUnit(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.tier_path(), "500109");

  grpc::ClientContext ctx2;
  auth::AttachToken(&ctx2, Token(auth::Role::kDistrictAdmin, "500109"));
  req.mutable_org_unit()->set_name("");
  s = stub_->UpsertOrgUnit(&ctx2, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "org_unit.name: is required");
}

// A public channel's token (subject channel:<name>, its district) reaches FindNearby of
// buildings, and is refused hydrants and GetBuilding.
TEST_F(GrpcServiceTest, APublicChannelTokenFindsBuildingsNearbyButReadsNoBuilding) {
  MemoryStore store;
  Start(&store);
  v1::Building b;
  b.set_building_id("bld_1");
  b.set_name("嘉陵苑 1 栋");
  b.set_address("天生路 1 号");
  b.set_tier_path("500109001001");
  b.set_version(1);
  b.mutable_location()->set_latitude(29.82);
  b.mutable_location()->set_longitude(106.43);
  ASSERT_TRUE(store.CreateBuildings({b}, {}, {}).ok());
  auth::Principal channel{
      .subject = "channel:wechat", .role = auth::Role::kPublicChannel, .tier_path = "500109"};
  const std::string token = *signer_->Sign(channel, clock_.Now(), absl::Hours(1));
  v1::FindNearbyRequest req;
  req.mutable_location()->set_latitude(29.8201);
  req.mutable_location()->set_longitude(106.43);
  req.set_kind(v1::NEARBY_KIND_BUILDING);
  v1::FindNearbyResponse resp;
  {
    grpc::ClientContext ctx;
    auth::AttachToken(&ctx, token);
    grpc::Status s = stub_->FindNearby(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(resp.results_size(), 1);
    EXPECT_EQ(resp.results(0).building().building_id(), "bld_1");
    EXPECT_NEAR(resp.results(0).distance_m(), 11.1, 0.5);
  }
  {
    req.set_kind(v1::NEARBY_KIND_HYDRANT);
    grpc::ClientContext ctx;
    auth::AttachToken(&ctx, token);
    EXPECT_EQ(stub_->FindNearby(&ctx, req, &resp).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    v1::GetBuildingRequest get;
    get.set_building_id("bld_1");
    v1::Building got;
    grpc::ClientContext ctx;
    auth::AttachToken(&ctx, token);
    EXPECT_EQ(stub_->GetBuilding(&ctx, get, &got).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
}

TEST_F(GrpcServiceTest, APrincipalOverItsRateLimitIsResourceExhausted) {
  MemoryStore store;
  auth::RateLimiter limiter(/*rate_per_second=*/1, /*burst=*/2, &clock_);
  Start(&store, &limiter);
  v1::GetOrgUnitRequest req;
  req.set_code("500109");
  v1::OrgUnit resp;
  auto call = [&](const std::string& token) {
    grpc::ClientContext ctx;
    auth::AttachToken(&ctx, token);
    return stub_->GetOrgUnit(&ctx, req, &resp).error_code();
  };
  const std::string admin = Token(auth::Role::kDistrictAdmin, "500109");
  EXPECT_EQ(call(admin), grpc::StatusCode::NOT_FOUND);  // allowed: the unit does not exist
  EXPECT_EQ(call(admin), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(call(admin), grpc::StatusCode::RESOURCE_EXHAUSTED);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(call(admin), grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcServiceTest, InternalErrorsReachClientsWithoutDetail) {
  BrokenReadStore store;
  Start(&store);
  grpc::ClientContext ctx;
  auth::AttachToken(&ctx, Token(auth::Role::kDistrictAdmin, "500109"));
  v1::GetBuildingRequest req;
  req.set_building_id("bld_0001");
  v1::Building resp;
  grpc::Status s = stub_->GetBuilding(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(s.error_message(), "internal error");
}

// GetBuilding is a callback method served on a read thread: its work still runs in a child span
// of the caller's trace, as every synchronous handler's does.
TEST_F(GrpcServiceTest, GetBuildingReadsInTheCallersTrace) {
  TraceRecordingStore store;
  Start(&store);
  grpc::ClientContext ctx;
  auth::AttachToken(&ctx, Token(auth::Role::kDistrictAdmin, "500109"));
  ctx.AddMetadata("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  v1::GetBuildingRequest req;
  req.set_building_id("bld_0001");
  v1::Building resp;
  EXPECT_EQ(stub_->GetBuilding(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  std::optional<trace::Context> seen = trace::ParseTraceparent(store.traceparent);
  ASSERT_TRUE(seen.has_value()) << store.traceparent;
  EXPECT_EQ(seen->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(seen->span_id, "00f067aa0ba902b7");  // a span of its own
}

// More rows than one unary import takes, sent in chunks: the streamed import takes them all.
TEST_F(GrpcServiceTest, StreamedImportLiftsTheUnaryRowLimit) {
  MemoryStore store;
  Start(&store);
  const std::string admin = Token(auth::Role::kDistrictAdmin, "500109");
  for (auto [code, kind, parent] :
       {std::tuple{"500109", v1::ORG_UNIT_KIND_DISTRICT, ""},
        std::tuple{"500109001", v1::ORG_UNIT_KIND_STREET, "500109"},
        std::tuple{"500109001001", v1::ORG_UNIT_KIND_COMMUNITY, "500109001"}}) {
    grpc::ClientContext ctx;
    auth::AttachToken(&ctx, admin);
    v1::UpsertOrgUnitRequest u;
    u.mutable_org_unit()->set_code(code);
    u.mutable_org_unit()->set_kind(kind);
    u.mutable_org_unit()->set_parent_code(parent);
    u.mutable_org_unit()->set_name(code);
    v1::OrgUnit out;
    ASSERT_TRUE(stub_->UpsertOrgUnit(&ctx, u, &out).ok());
  }
  const int rows = Registry::kMaxImportRows + 500;
  std::string csv = "name,address,tier_path,latitude,longitude,use,height_m,floors_above_ground\n";
  for (int i = 0; i < rows; ++i) {
    absl::StrAppend(&csv, "楼 ", i, ",天生路 ", i,
                    " 号,500109001001,29.82,106.43,residential,30,10\n");
  }
  {
    grpc::ClientContext ctx;
    auth::AttachToken(&ctx, admin);
    v1::ImportBuildingsCsvRequest unary;
    unary.set_content(csv);
    v1::ImportBuildingsCsvResponse out;
    EXPECT_EQ(stub_->ImportBuildingsCsv(&ctx, unary, &out).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  grpc::ClientContext ctx;
  auth::AttachToken(&ctx, admin);
  v1::ImportBuildingsCsvResponse out;
  auto writer = stub_->ImportBuildingsCsvStream(&ctx, &out);
  constexpr size_t kChunk = 16 << 10;
  for (size_t at = 0; at < csv.size(); at += kChunk) {
    v1::ImportBuildingsCsvChunk chunk;
    chunk.set_content(csv.substr(at, kChunk));  // cuts rows and characters: the server joins
    ASSERT_TRUE(writer->Write(chunk));
  }
  ASSERT_TRUE(writer->WritesDone());
  grpc::Status s = writer->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(out.errors().empty()) << out.errors(0).message();
  EXPECT_EQ(out.imported(), rows);
  EXPECT_EQ(out.created(), rows);
}

// The streamed import's own limits (docs/csv-import.md): the bytes of all chunks together, and
// the rows, each INVALID_ARGUMENT naming the field and the limit.
TEST_F(GrpcServiceTest, AStreamedImportBeyondItsTotalBytesIsRefusedNamingTheFieldAndLimit) {
  MemoryStore store;
  Start(&store);
  grpc::ClientContext ctx;
  auth::AttachToken(&ctx, Token(auth::Role::kDistrictAdmin, "500109"));
  v1::ImportBuildingsCsvResponse out;
  auto writer = stub_->ImportBuildingsCsvStream(&ctx, &out);
  v1::ImportBuildingsCsvChunk chunk;
  chunk.set_content(std::string(512 << 10, 'x'));
  // The server stops reading once the total passes the limit; the writes after fail then.
  for (size_t sent = 0; sent <= Registry::kMaxStreamedImportBytes; sent += 512 << 10) {
    if (!writer->Write(chunk)) break;
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            absl::StrCat("content: at most ", Registry::kMaxStreamedImportBytes, " bytes"));
}

TEST_F(GrpcServiceTest, AStreamedImportBeyondItsRowsIsRefusedNamingTheFieldAndLimit) {
  MemoryStore store;
  Start(&store);
  std::string csv = "name,address,tier_path,latitude,longitude,use,height_m,floors_above_ground\n";
  for (int i = 0; i <= Registry::kMaxStreamedImportRows; ++i) absl::StrAppend(&csv, "b", i, "\n");
  grpc::ClientContext ctx;
  auth::AttachToken(&ctx, Token(auth::Role::kDistrictAdmin, "500109"));
  v1::ImportBuildingsCsvResponse out;
  auto writer = stub_->ImportBuildingsCsvStream(&ctx, &out);
  constexpr size_t kChunk = 64 << 10;
  for (size_t at = 0; at < csv.size(); at += kChunk) {
    v1::ImportBuildingsCsvChunk chunk;
    chunk.set_content(csv.substr(at, kChunk));
    ASSERT_TRUE(writer->Write(chunk));
  }
  ASSERT_TRUE(writer->WritesDone());
  grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), absl::StrCat("content: at most ", Registry::kMaxStreamedImportRows,
                                            " rows per import"));
  EXPECT_EQ(out.imported(), 0);
}

TEST_F(GrpcServiceTest, StreamedImportNeedsAToken) {
  MemoryStore store;
  Start(&store);
  grpc::ClientContext ctx;
  v1::ImportBuildingsCsvResponse out;
  auto writer = stub_->ImportBuildingsCsvStream(&ctx, &out);
  writer->WritesDone();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace firegrid::buildings
