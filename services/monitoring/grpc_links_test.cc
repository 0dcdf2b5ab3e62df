// The gRPC links against in-process fakes of the hazards and notify services (127.0.0.1, port
// 0): what they send, as whom, and within which deadline.
#include "services/monitoring/grpc_links.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/token.h"
#include "libs/common/clock.h"

namespace firegrid::monitoring {
namespace {

namespace hv1 = ::firegrid::hazards::v1;
namespace nv1 = ::firegrid::notify::v1;

constexpr char kKey[] = "monitoring-links-test-key-of-32-bytes!!";

std::string Bearer(const grpc::ServerContext* ctx) {
  auto it = ctx->client_metadata().find("authorization");
  return it == ctx->client_metadata().end() ? ""
                                            : std::string(it->second.data(), it->second.size());
}

class FakeHazards final : public hv1::HazardService::Service {
 public:
  grpc::Status ReportHazard(grpc::ServerContext* ctx, const hv1::ReportHazardRequest* req,
                            hv1::ReportHazardResponse* resp) override {
    std::lock_guard<std::mutex> l(mu);
    bearer = Bearer(ctx);
    report = *req;
    if (!duplicate_of.empty()) resp->set_duplicate_of(duplicate_of);
    resp->mutable_hazard()->set_hazard_id("hz_1");
    return grpc::Status::OK;
  }
  grpc::Status NoteDeviceAlarmCleared(grpc::ServerContext* ctx,
                                      const hv1::NoteDeviceAlarmClearedRequest* req,
                                      hv1::Hazard* resp) override {
    std::lock_guard<std::mutex> l(mu);
    bearer = Bearer(ctx);
    cleared = *req;
    if (req->alarm_id() != "alm_1") {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "not the hazard's alarm");
    }
    resp->set_hazard_id(req->hazard_id());
    return grpc::Status::OK;
  }
  std::mutex mu;
  std::string bearer;
  std::string duplicate_of;
  hv1::ReportHazardRequest report;
  hv1::NoteDeviceAlarmClearedRequest cleared;
};

class FakeNotify final : public nv1::NotifyService::Service {
 public:
  grpc::Status PushEvent(grpc::ServerContext* ctx, const nv1::PushEventRequest* req,
                         nv1::PushEventResponse* resp) override {
    std::unique_lock<std::mutex> l(mu);
    bearer = Bearer(ctx);
    envelope = req->envelope();
    // A notify that hangs until released (or the call is cancelled).
    cv.wait(l, [&] { return !hang || ctx->IsCancelled(); });
    resp->set_delivered(1);
    return grpc::Status::OK;
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu);
    hang = false;
    cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  bool hang = false;
  std::string bearer;
  std::string envelope;
};

class LinksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = *auth::ServiceToken::Create({.service_name = "monitoring", .hs256_key = kKey},
                                         RealClock::Get());
    verifier_ = *auth::TokenVerifier::Create({.hs256_key = kKey});
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(&hazards_);
    b.RegisterService(&notify_);
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override {
    notify_.Release();
    server_->Shutdown();
  }

  // The principal of a bearer header.
  auth::Principal Caller(const std::string& bearer) {
    EXPECT_EQ(bearer.rfind("Bearer ", 0), 0u) << bearer;
    auto p = verifier_->Verify(bearer.substr(7), absl::Now());
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : auth::Principal{};
  }

  static v1::Alarm LowPressureAlarm() {
    v1::Alarm a;
    a.set_alarm_id("alm_1");
    a.set_device_id("dev-p1");
    a.set_type(v1::ALARM_TYPE_LOW_PRESSURE);
    a.set_building_id("bld_1");
    a.set_floor("B1");
    a.set_point("东侧消火栓箱");
    a.set_rule_id("hydrant_pressure_low");
    a.set_details("0.05 MPa below 0.10 MPa for 10 min");
    a.mutable_raised_at()->set_seconds(1'800'000'000);
    return a;
  }

  FakeHazards hazards_;
  FakeNotify notify_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<auth::ServiceToken> token_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
};

TEST_F(LinksTest, FileHazardReportsAnIotHazardWithTheAlarmAsItsDeviceAlarmAndIdempotencyKey) {
  GrpcHazardsLink link(channel_, token_.get());
  config::v1::HazardFiling filing;
  filing.set_category(hv1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER);
  filing.set_severity(hv1::SEVERITY_MAJOR);
  filing.set_description("室内消火栓管网压力持续偏低");
  v1::BuildingView building;
  building.set_building_id("bld_1");
  auto id = link.FileHazard(LowPressureAlarm(), filing, building);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "hz_1");
  std::lock_guard<std::mutex> l(hazards_.mu);
  const hv1::ReportHazardRequest& r = hazards_.report;
  EXPECT_EQ(r.building_id(), "bld_1");
  EXPECT_EQ(r.source(), hv1::SOURCE_IOT);
  EXPECT_EQ(r.category(), hv1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER);
  EXPECT_EQ(r.severity(), hv1::SEVERITY_MAJOR);
  EXPECT_EQ(r.idempotency_key(), "alm_1");
  EXPECT_EQ(r.device_alarm().alarm_id(), "alm_1");
  EXPECT_EQ(r.device_alarm().device_id(), "dev-p1");
  EXPECT_EQ(r.device_alarm().alarm_type(), "ALARM_TYPE_LOW_PRESSURE");
  EXPECT_EQ(r.device_alarm().rule_id(), "hydrant_pressure_low");
  EXPECT_EQ(r.device_alarm().raised_at().seconds(), 1'800'000'000);
  EXPECT_NE(r.description().find("室内消火栓管网压力持续偏低: 0.05 MPa"), std::string::npos)
      << r.description();
  EXPECT_NE(r.description().find("floor B1"), std::string::npos);
  auth::Principal who = Caller(hazards_.bearer);
  EXPECT_EQ(who.subject, "service:monitoring");
  EXPECT_EQ(who.role, auth::Role::kInternalService);
}

TEST_F(LinksTest, FileHazardAnswersTheOpenHazardAReportWasJoinedTo) {
  {
    std::lock_guard<std::mutex> l(hazards_.mu);
    hazards_.duplicate_of = "hz_open";
  }
  GrpcHazardsLink link(channel_, token_.get());
  auto id = link.FileHazard(LowPressureAlarm(), {}, {});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "hz_open");
}

TEST_F(LinksTest, ALongDescriptionIsCutWithinTheLimitWithoutSplittingACharacter) {
  v1::Alarm a = LowPressureAlarm();
  std::string details = "x";  // 26 ASCII bytes before the 3-byte characters
  while (details.size() < 5000) details += "压力";
  a.set_details(details);
  hv1::ReportHazardRequest r = HazardReportFor(a, {}, {});
  EXPECT_LE(r.description().size(), 4000u);
  ASSERT_EQ(r.description().rfind("ALARM_TYPE_LOW_PRESSURE: x", 0), 0u);
  EXPECT_EQ(r.description().size(), 3998u);  // 26 + whole 3-byte characters
  EXPECT_EQ(r.building_id(), "bld_1");       // from the alarm when the view has none
}

TEST_F(LinksTest, NoteClearedTellsTheAlarmsHazardAndPassesItsRefusalOn) {
  GrpcHazardsLink link(channel_, token_.get());
  v1::Alarm a = LowPressureAlarm();
  a.set_hazard_id("hz_1");
  a.mutable_cleared_at()->set_seconds(1'800'000'600);
  ASSERT_TRUE(link.NoteCleared(a, "pressure back to 0.14 MPa").ok());
  {
    std::lock_guard<std::mutex> l(hazards_.mu);
    EXPECT_EQ(hazards_.cleared.hazard_id(), "hz_1");
    EXPECT_EQ(hazards_.cleared.alarm_id(), "alm_1");
    EXPECT_EQ(hazards_.cleared.cleared_at().seconds(), 1'800'000'600);
    EXPECT_EQ(hazards_.cleared.note(), "pressure back to 0.14 MPa");
  }
  a.set_alarm_id("alm_other");
  EXPECT_EQ(link.NoteCleared(a, "x").code(), absl::StatusCode::kFailedPrecondition);
  a.clear_hazard_id();
  EXPECT_EQ(link.NoteCleared(a, "x").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(LinksTest, PushSendsTheSerializedEnvelopeAsTheService) {
  GrpcNotifyLink link(channel_, token_.get());
  ::firegrid::events::v1::Envelope env;
  env.set_event_id("evt_1");
  env.set_building_id("bld_1");
  ASSERT_TRUE(link.Push(env).ok());
  std::lock_guard<std::mutex> l(notify_.mu);
  ::firegrid::events::v1::Envelope got;
  ASSERT_TRUE(got.ParseFromString(notify_.envelope));
  EXPECT_EQ(got.event_id(), "evt_1");
  EXPECT_EQ(Caller(notify_.bearer).subject, "service:monitoring");
}

TEST_F(LinksTest, APushToAHangingNotifyEndsAtItsDeadline) {
  {
    std::lock_guard<std::mutex> l(notify_.mu);
    notify_.hang = true;
  }
  GrpcNotifyLink link(channel_, token_.get(), absl::Milliseconds(300));
  absl::Time start = absl::Now();
  absl::Status s = link.Push({});
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  notify_.Release();
}

}  // namespace
}  // namespace firegrid::monitoring
