// One hazard followed through the real binaries (buildings, hazards, notify with redis-server and
// the dev broker): its W3C trace id shows in the hazards and notify logs, and the event flow
// resumes after notify is killed (kill -9) and restarted.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;
namespace nv1 = ::firegrid::notify::v1;

constexpr char kTraceId[] = "5c3a1e0d9b8f47a6a1b2c3d4e5f60718";
constexpr char kTraceparent[] = "00-5c3a1e0d9b8f47a6a1b2c3d4e5f60718-1a2b3c4d5e6f7081-01";

using testing::AboutHazard;
using testing::Subscription;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class EventFlowE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    auto service = [&](const char* bin, const char* name, std::vector<std::string> flags) {
      flags.insert(flags.end(),
                   {"--redis-addr=" + redis_.address(), "--kafka-bootstrap=" + broker_.bootstrap(),
                    "--jwt-hs256-key-file=" + key_file, "--jwt-allow-hs256", "--drain-timeout=2s", "--log-level=debug"});
      return std::make_unique<testing::ServiceProcess>(testing::ServiceProcessOptions{
          .binary = bin, .name = name, .flags = flags, .log_dir = dir_.path()});
    };
    buildings_ = service(FIREGRID_BUILDINGS_BIN, "buildings",
                         {"--rules-file=" + cfg + "/buildings_rules.textproto"});
    hazards_ = service(FIREGRID_HAZARDS_BIN, "hazards",
                       {"--rules-file=" + cfg + "/hazards_rules.textproto",
                        "--guidance-file=" + cfg + "/hazards_guidance.textproto"});
    notify_ = service(FIREGRID_NOTIFY_BIN, "notify",
                      {"--plan-file=" + cfg + "/plan_tasks.textproto", "--timer-interval=100ms"});
    for (auto* s : {buildings_.get(), hazards_.get(), notify_.get()}) {
      absl::Status st = s->Start();
      ASSERT_TRUE(st.ok()) << st;
    }
    admin_ = tokens_.Make(auth::Role::kDistrictAdmin, "500109", "admin");
    worker_ = tokens_.Make(auth::Role::kCommunityWorker, "500109001002", "grid-1");
    building_ = RegisterBuilding();
    hazards_stub_ = hv1::HazardService::NewStub(
        grpc::CreateChannel(hazards_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    for (auto* s : {notify_.get(), hazards_.get(), buildings_.get()}) {
      if (s != nullptr && s->running()) s->Stop().IgnoreError();
    }
  }

  std::string RegisterBuilding() {
    auto stub = bv1::BuildingService::NewStub(
        grpc::CreateChannel(buildings_->grpc_address(), grpc::InsecureChannelCredentials()));
    return testing::RegisterCommunityBuilding(*stub, admin_).building_id();
  }

  // Reports a hazard (retrying until hazards has learned the building); its id, or "".
  std::string Report(hv1::HazardCategory category, const std::string& traceparent = "") {
    hv1::ReportHazardRequest req;
    req.set_building_id(building_);
    req.set_category(category);
    req.set_severity(hv1::SEVERITY_GENERAL);
    req.set_source(hv1::SOURCE_GRID_INSPECTION);
    req.set_description("消防车道被占用");
    hv1::ReportHazardResponse reported;
    bool ok = testing::WaitUntil(
        [&] {
          auto ctx = testing::CallContext(worker_);
          if (!traceparent.empty()) ctx->AddMetadata("traceparent", traceparent);
          return hazards_stub_->ReportHazard(ctx.get(), req, &reported).ok();
        },
        absl::Seconds(60));
    return ok ? reported.hazard().hazard_id() : "";
  }

  testing::TempDir dir_{"event-flow-e2e"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> buildings_, hazards_, notify_;
  testing::DevTokens tokens_;
  std::string admin_, worker_, building_;
  std::unique_ptr<hv1::HazardService::Stub> hazards_stub_;
};

TEST_F(EventFlowE2E, ReportHazardTraceIdReachesTheHazardsAndNotifyLogsAndThePushedNotification) {
  Subscription community(notify_->grpc_address(), worker_);
  ASSERT_TRUE(community.WaitCaughtUp());
  const std::string hazard = Report(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED, kTraceparent);
  ASSERT_FALSE(hazard.empty());
  std::optional<nv1::Notification> pushed = community.WaitFor(AboutHazard(hazard));
  ASSERT_TRUE(pushed.has_value());
  EXPECT_EQ(pushed->trace_id(), kTraceId) << "the pushed notification lost the trace";
  // The hazards log has the call's lines, the notify log the handled event's; both are written
  // before the push arrives, but give the files a moment to be flushed.
  const std::string needle = absl::StrCat("\"trace_id\":\"", kTraceId, "\"");
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return ReadFile(hazards_->stderr_path()).find(needle) != std::string::npos; },
      absl::Seconds(10)))
      << hazards_->stderr_path();
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return ReadFile(notify_->stderr_path()).find(needle) != std::string::npos; },
      absl::Seconds(10)))
      << notify_->stderr_path();
  // Every line is JSON.
  for (auto* s : {hazards_.get(), notify_.get()}) {
    std::istringstream lines(ReadFile(s->stderr_path()));
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      EXPECT_TRUE(nlohmann::json::accept(line)) << s->stderr_path() << ": " << line;
    }
  }
}

TEST_F(EventFlowE2E, EveryServicesMetricsPassPromtoolCheckMetrics) {
  if (std::string(FIREGRID_PROMTOOL).empty()) GTEST_SKIP() << "promtool not installed";
  // Some traffic first, so that the per-method, stream and Redis series exist.
  Subscription community(notify_->grpc_address(), worker_);
  ASSERT_TRUE(community.WaitCaughtUp());
  const std::string hazard = Report(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  ASSERT_TRUE(community.WaitFor(AboutHazard(hazard), absl::Seconds(60)).has_value());
  for (auto* s : {buildings_.get(), hazards_.get(), notify_.get()}) {
    absl::StatusOr<std::string> text = testing::HttpGet(s->metrics_port(), "/metrics");
    ASSERT_TRUE(text.ok()) << text.status();
    for (const char* name :
         {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
          "process_max_fds", "process_start_time_seconds", "process_virtual_memory_bytes",
          "firegrid_build_info{", "firegrid_grpc_requests_total{", "firegrid_outbox_backlog",
          "firegrid_outbox_oldest_age_seconds", "firegrid_redis_command_duration_seconds_bucket{",
          "firegrid_dependency_up{dependency=\"kafka\"} 1"}) {
      EXPECT_NE(text->find(name), std::string::npos) << name << " missing from " << *text;
    }
    const std::string file = dir_.path() + "/metrics.txt";
    std::ofstream(file) << *text;
    const std::string out = dir_.path() + "/promtool.out";
    const int rc = std::system(
        absl::StrCat(FIREGRID_PROMTOOL, " check metrics < ", file, " > ", out, " 2>&1").c_str());
    EXPECT_EQ(rc, 0) << ReadFile(out);
    EXPECT_EQ(ReadFile(out), "") << "promtool complaints about " << s->grpc_address();
  }
  absl::StatusOr<std::string> notify_metrics =
      testing::HttpGet(notify_->metrics_port(), "/metrics");
  ASSERT_TRUE(notify_metrics.ok());
  EXPECT_NE(notify_metrics->find("firegrid_grpc_streams_active{method=\"/firegrid.notify.v1."
                                 "NotifyService/Subscribe\"} 1"),
            std::string::npos)
      << *notify_metrics;
}

TEST_F(EventFlowE2E, NotifyKilledAndRestartedPushesTheNextHazard) {
  {
    Subscription before(notify_->grpc_address(), worker_);
    ASSERT_TRUE(before.WaitCaughtUp());
    const std::string first = Report(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
    ASSERT_FALSE(first.empty());
    ASSERT_TRUE(before.WaitFor(AboutHazard(first), absl::Seconds(60))
                    .has_value());  // the group has a live member
  }
  ASSERT_TRUE(notify_->Kill().ok());
  const absl::Time restarted = absl::Now();
  absl::Status st = notify_->Restart();
  ASSERT_TRUE(st.ok()) << st;
  Subscription after(notify_->grpc_address(), worker_);
  ASSERT_TRUE(after.WaitCaughtUp());
  const std::string second = Report(hv1::HAZARD_CATEGORY_MUNICIPAL_HYDRANT);
  ASSERT_FALSE(second.empty());
  const absl::Time reported = absl::Now();
  // No timed assertion: the gap is measured and printed; the wait is generous.
  ASSERT_TRUE(after.WaitFor(AboutHazard(second), absl::Seconds(120)).has_value());
  const absl::Time pushed = absl::Now();
  std::printf(
      "notify kill -9 + restart: push %lld ms after the restart began, %lld ms after "
      "the report\n",
      static_cast<long long>(absl::ToInt64Milliseconds(pushed - restarted)),
      static_cast<long long>(absl::ToInt64Milliseconds(pushed - reported)));
}

}  // namespace
}  // namespace firegrid
