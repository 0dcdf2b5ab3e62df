// The notify gRPC service in process (127.0.0.1, port 0) against a real redis-server: the caps
// on live Subscribe streams, PushEvent (who may call it, and once per event and recipient
// together with the consumer's path).
#include <memory>
#include <string>
#include <vector>

#include "firegrid/hazards/v1/events.pb.h"
#include "firegrid/monitoring/v1/events.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/events/envelope.h"
#include "services/notify/grpc_service.h"
#include "services/notify/recipients.h"
#include "tests/support/shared_redis.h"

namespace firegrid::notify {
namespace {

constexpr char kKey[] = "notify-test-key-of-at-least-32-bytes!!";

// Polls `condition` every few ms until it holds or `timeout` passes.
bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

class NotifyGrpcTest : public ::testing::Test {
 protected:
  void Start(SubscribeOptions options = {}) {
    static int n = 0;
    prefix_ = "ng" + std::to_string(++n);
    pool_ = testing::NewSharedRedisPool(16);
    inbox_ = std::make_unique<Inbox>(pool_.get(), prefix_, &clock_, &ids_, inbox_options_);
    verifier_ = *auth::TokenVerifier::Create({.hs256_key = kKey});
    signer_ = *auth::TokenSigner::Hs256(kKey);
    authenticator_ = std::make_unique<auth::Authenticator>(verifier_.get(), &clock_);
    options.poll = absl::Milliseconds(50);
    service_ = std::make_unique<NotifyGrpcService>(inbox_.get(), pool_.get(), nullptr, nullptr,
                                                   authenticator_.get(), options);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::NotifyService::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                           grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (service_) service_->Close();
    if (server_) server_->Shutdown();
  }

  std::string Token(const std::string& subject, auth::Role role = auth::Role::kCommunityWorker,
                    const std::string& tier = "500109001002") {
    auth::Principal p;
    p.subject = subject;
    p.role = role;
    p.tier_path = tier;
    return *signer_->Sign(p, clock_.Now(), absl::Hours(1));
  }

  std::string TokenFor(const auth::Principal& p) {
    return *signer_->Sign(p, clock_.Now(), absl::Hours(1));
  }
  std::string ServiceToken() {
    auth::Principal p;
    p.subject = "service:monitoring";
    p.role = auth::Role::kInternalService;
    return TokenFor(p);
  }
  grpc::Status Push(const std::string& token, const std::string& envelope,
                    v1::PushEventResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!token.empty()) auth::AttachToken(&ctx, token);
    v1::PushEventRequest req;
    req.set_envelope(envelope);
    return stub_->PushEvent(&ctx, req, resp);
  }
  // Everything in `recipient`'s inbox.
  std::vector<v1::Notification> InboxOf(const std::string& recipient) {
    auto got = inbox_->ReadAfter(recipient, "", 100);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : std::vector<v1::Notification>{};
  }

  // A Subscribe stream; open() when the server sent caught_up (it holds a slot then).
  struct Stream {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader;
    bool open = false;
    grpc::Status Finish() { return reader->Finish(); }
  };
  Stream Subscribe(const std::string& token) {
    Stream s;
    s.ctx = std::make_unique<grpc::ClientContext>();
    s.ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auth::AttachToken(s.ctx.get(), token);
    v1::SubscribeRequest req;
    s.reader = stub_->Subscribe(s.ctx.get(), req);
    v1::SubscribeResponse resp;
    while (s.reader->Read(&resp)) {
      if (resp.caught_up()) {
        s.open = true;
        break;
      }
    }
    return s;
  }

  FakeClock clock_{absl::Now()};
  RandomIdGenerator ids_;
  InboxOptions inbox_options_;
  std::string prefix_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<Inbox> inbox_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<NotifyGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::NotifyService::Stub> stub_;
};

TEST_F(NotifyGrpcTest, SubscribeBeyondThePerPrincipalCapIsResourceExhaustedUntilAStreamEnds) {
  SubscribeOptions o;
  o.limits = {.per_principal = 2, .per_replica = 10};
  Start(o);
  const std::string cw1 = Token("cw-1");
  Stream a = Subscribe(cw1);
  Stream b = Subscribe(cw1);
  ASSERT_TRUE(a.open);
  ASSERT_TRUE(b.open);
  Stream c = Subscribe(cw1);
  EXPECT_FALSE(c.open);
  const grpc::Status refused = c.Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("per user"));
  // Another principal is not affected.
  Stream other = Subscribe(Token("cw-2"));
  EXPECT_TRUE(other.open);
  EXPECT_EQ(service_->open_streams(), 3);

  // A stream that ends gives its slot back.
  a.ctx->TryCancel();
  a.Finish();
  ASSERT_TRUE(WaitUntil([&] { return service_->open_streams() == 2; }, absl::Seconds(10)));
  Stream d = Subscribe(cw1);
  EXPECT_TRUE(d.open);
  for (Stream* s : {&b, &other, &d}) {
    s->ctx->TryCancel();
    s->Finish();
  }
  EXPECT_TRUE(WaitUntil([&] { return service_->open_streams() == 0; }, absl::Seconds(10)));
}

TEST_F(NotifyGrpcTest, PushedNotificationCarriesTheTraceIdOfTheEventsRequest) {
  Start();
  hazards::v1::HazardReported reported;
  reported.mutable_hazard()->set_hazard_id("hzd_1");
  reported.mutable_hazard()->set_duplicate_of("hzd_0");
  reported.mutable_hazard()->mutable_reporter()->set_subject("cw-1");
  SequentialIdGenerator ids;
  const events::Envelope env =
      events::NewEnvelope(reported, "hazards", "bld_1", "500109001002", clock_.Now(), ids,
                          "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  ASSERT_FALSE(PlanNotifications(env).empty());
  ASSERT_TRUE(NotifyEvent(env, inbox_.get()).ok());  // as the consumer delivers it
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auth::AttachToken(&ctx, Token("cw-1"));
  auto reader = stub_->Subscribe(&ctx, v1::SubscribeRequest());
  v1::SubscribeResponse resp;
  std::vector<v1::Notification> got;
  while (reader->Read(&resp) && !resp.caught_up()) {
    if (resp.has_notification()) got.push_back(resp.notification());
  }
  ctx.TryCancel();
  reader->Finish();
  ASSERT_FALSE(got.empty());
  for (const auto& n : got) EXPECT_EQ(n.trace_id(), "0af7651916cd43dd8448eb211c80319c");
}

namespace mv1 = ::firegrid::monitoring::v1;

const std::vector<std::string> kFireAlarmRecipients = {
    "org:mfs_01", "person:mgr-1", "org:500109001002", "org:500109.fire_rescue"};

events::Envelope FireAlarmRaised(absl::Time now) {
  mv1::AlarmRaised e;
  mv1::Alarm* a = e.mutable_alarm();
  a->set_alarm_id("alm_01");
  a->set_device_id("dev_panel_1");
  a->set_type(mv1::ALARM_TYPE_FIRE);
  a->set_building_id("bld_1");
  a->set_building_name("金科大厦");
  a->set_tier_path("500109001002");
  a->set_floor("12");
  a->set_point("1-012-034");
  mv1::StationRef* s = e.mutable_dispatch()->add_stations();
  s->set_station_id("mfs_01");
  s->set_name("天生街道微型消防站");
  s->set_phone("023-68000119");
  s->set_distance_m(320);
  for (const auto& r : kFireAlarmRecipients) e.mutable_dispatch()->add_recipients(r);
  e.mutable_dispatch()->set_building_address("北碚区天生路 1 号");
  SequentialIdGenerator ids;
  return events::NewEnvelope(e, "monitoring", "bld_1", "500109001002", now, ids);
}

// The push and the Kafka copy of one event, in either order and repeated, put one notification
// into each recipient's inbox; the push says how many it reached first.
TEST_F(NotifyGrpcTest, PushEventAndTheConsumerPathDeliverOneNotificationPerRecipient) {
  Start();
  const events::Envelope env = FireAlarmRaised(clock_.Now());
  const std::string bytes = events::SerializeEnvelope(env);
  v1::PushEventResponse first;
  ASSERT_TRUE(Push(ServiceToken(), bytes, &first).ok());
  EXPECT_EQ(first.delivered(), 4);
  ASSERT_TRUE(NotifyEvent(env, inbox_.get()).ok());  // the Kafka copy arrives
  v1::PushEventResponse again;
  ASSERT_TRUE(Push(ServiceToken(), bytes, &again).ok());  // a retried push
  EXPECT_EQ(again.delivered(), 0);
  for (const auto& r : kFireAlarmRecipients) {
    SCOPED_TRACE(r);
    const std::vector<v1::Notification> got = InboxOf(r);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].kind(), v1::KIND_FIRE_ALARM);
    EXPECT_EQ(got[0].priority(), v1::PRIORITY_URGENT);
    EXPECT_EQ(got[0].alarm_id(), "alm_01");
  }
}

TEST_F(NotifyGrpcTest, PushEventAfterTheConsumerDeliveredTheEventReachesNoOne) {
  Start();
  const events::Envelope env = FireAlarmRaised(clock_.Now());
  ASSERT_TRUE(NotifyEvent(env, inbox_.get()).ok());
  v1::PushEventResponse resp;
  ASSERT_TRUE(Push(ServiceToken(), events::SerializeEnvelope(env), &resp).ok());
  EXPECT_EQ(resp.delivered(), 0);
  for (const auto& r : kFireAlarmRecipients) EXPECT_EQ(InboxOf(r).size(), 1u) << r;
}

// The duty staff of the station see the pushed fire alarm on their Subscribe stream.
TEST_F(NotifyGrpcTest, PushedFireAlarmReachesTheMicroStationsStream) {
  Start();
  auth::Principal duty;
  duty.subject = "duty-1";
  duty.role = auth::Role::kMicroStation;
  duty.org_unit = "mfs_01";
  duty.tier_path = "500109001";
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auth::AttachToken(&ctx, TokenFor(duty));
  v1::SubscribeRequest sub;
  sub.set_live_only(true);
  auto reader = stub_->Subscribe(&ctx, sub);
  v1::SubscribeResponse resp;
  ASSERT_TRUE(reader->Read(&resp));
  ASSERT_TRUE(resp.caught_up());
  v1::PushEventResponse pushed;
  ASSERT_TRUE(
      Push(ServiceToken(), events::SerializeEnvelope(FireAlarmRaised(clock_.Now())), &pushed).ok());
  v1::Notification got;
  while (reader->Read(&resp)) {
    if (resp.has_notification()) {
      got = resp.notification();
      break;
    }
  }
  ctx.TryCancel();
  reader->Finish();
  EXPECT_EQ(got.recipient(), "org:mfs_01");
  EXPECT_EQ(got.kind(), v1::KIND_FIRE_ALARM);
  EXPECT_TRUE(got.requires_ack());
}

struct RefusedCaller {
  std::string name;
  auth::Principal principal;
};

class PushEventRefusalTest : public NotifyGrpcTest,
                             public ::testing::WithParamInterface<RefusedCaller> {};

TEST_P(PushEventRefusalTest, PushEventIsPermissionDeniedAndDeliversNothing) {
  Start();
  v1::PushEventResponse resp;
  const grpc::Status s = Push(TokenFor(GetParam().principal),
                              events::SerializeEnvelope(FireAlarmRaised(clock_.Now())), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  for (const auto& r : kFireAlarmRecipients) EXPECT_TRUE(InboxOf(r).empty()) << r;
}

auth::Principal Caller(auth::Role role, std::string subject, std::string tier,
                       std::string org_unit = "", std::string department = "") {
  auth::Principal p;
  p.role = role;
  p.subject = std::move(subject);
  p.tier_path = std::move(tier);
  p.org_unit = std::move(org_unit);
  p.department = std::move(department);
  return p;
}

INSTANTIATE_TEST_SUITE_P(
    EveryOtherRole, PushEventRefusalTest,
    ::testing::Values(
        RefusedCaller{"district_admin", Caller(auth::Role::kDistrictAdmin, "da-1", "500109")},
        RefusedCaller{"department_officer",
                      Caller(auth::Role::kDepartmentOfficer, "do-1", "500109", "", "fire_rescue")},
        RefusedCaller{"street_officer", Caller(auth::Role::kStreetOfficer, "so-1", "500109001")},
        RefusedCaller{"community_worker",
                      Caller(auth::Role::kCommunityWorker, "cw-1", "500109001002")},
        RefusedCaller{"building_manager", Caller(auth::Role::kBuildingManager, "mgr-1", "")},
        RefusedCaller{"service_agency", Caller(auth::Role::kServiceAgency, "sa-1", "")},
        RefusedCaller{"micro_station",
                      Caller(auth::Role::kMicroStation, "duty-1", "500109001", "mfs_01")},
        RefusedCaller{"iot_gateway", Caller(auth::Role::kIotGateway, "gw_1", "")},
        RefusedCaller{"public_channel",
                      Caller(auth::Role::kPublicChannel, "channel:wechat", "500109")}),
    [](const ::testing::TestParamInfo<RefusedCaller>& info) { return info.param.name; });

// A public channel (channel:<name>) is no person with an inbox: it may not subscribe, list,
// mark or acknowledge, nor read the plan or webhooks.
TEST_F(NotifyGrpcTest, PublicChannelIsPermissionDeniedEveryInboxPlanAndWebhookCall) {
  Start();
  const std::string token =
      TokenFor(Caller(auth::Role::kPublicChannel, "channel:wechat", "500109"));
  auto ctx = [&] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auth::AttachToken(c.get(), token);
    return c;
  };
  Stream stream = Subscribe(token);
  EXPECT_FALSE(stream.open);
  EXPECT_EQ(stream.Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::ListInboxResponse list;
  EXPECT_EQ(stub_->ListInbox(ctx().get(), {}, &list).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::Notification n;
  v1::MarkReadRequest mark;
  mark.set_notification_id("n-1");
  EXPECT_EQ(stub_->MarkRead(ctx().get(), mark, &n).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::AcknowledgeRequest ack;
  ack.set_notification_id("n-1");
  EXPECT_EQ(stub_->Acknowledge(ctx().get(), ack, &n).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListPlanTasksResponse tasks;
  EXPECT_EQ(stub_->ListPlanTasks(ctx().get(), {}, &tasks).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetWebhookRequest get_webhook;
  get_webhook.set_org_unit("500109");
  v1::Webhook webhook;
  EXPECT_EQ(stub_->GetWebhook(ctx().get(), get_webhook, &webhook).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(NotifyGrpcTest, PushEventWithoutATokenIsUnauthenticated) {
  Start();
  v1::PushEventResponse resp;
  EXPECT_EQ(Push("", events::SerializeEnvelope(FireAlarmRaised(clock_.Now())), &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(NotifyGrpcTest, PushEventOfBytesThatAreNoEnvelopeIsInvalidArgumentNamingTheEnvelope) {
  Start();
  v1::PushEventResponse resp;
  const grpc::Status s = Push(ServiceToken(), "\xff\x01 not an envelope", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("envelope: "));
}

TEST_F(NotifyGrpcTest, SubscribeBeyondThePerReplicaCapIsResourceExhaustedForEveryone) {
  SubscribeOptions o;
  o.limits = {.per_principal = 5, .per_replica = 2};
  Start(o);
  Stream a = Subscribe(Token("cw-1"));
  Stream b = Subscribe(Token("cw-2"));
  ASSERT_TRUE(a.open && b.open);
  Stream c = Subscribe(Token("cw-3"));
  EXPECT_FALSE(c.open);
  const grpc::Status refused = c.Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("replica"));
  for (Stream* s : {&a, &b}) {
    s->ctx->TryCancel();
    s->Finish();
  }
}

}  // namespace
}  // namespace firegrid::notify
