// A rolling restart of two hazards replicas under load: each replica in turn gets SIGTERM (and is
// started again on its port) while four client threads keep calling GetHazard and ListHazards
// through one channel that spreads its calls round robin over both replicas and health-checks
// them (libs/server/client_channel.h, as the gateway and monitoring call the services). With the
// drain grace the stopping replica reports NOT_SERVING while it still answers, the client moves
// its calls to the other one, and only then does the replica stop taking calls: no call fails.
// (Without grace and health checking, calls sent in the moment of the stop ended CANCELLED.) As
// in a rolling update, a replica stops only once the client calls the one restarted before it.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/server/client_channel.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace hv1 = ::firegrid::hazards::v1;

// GetHazard calls `replica` answered OK since it started.
int64_t AnsweredGetHazard(const testing::ServiceProcess& replica) {
  return testing::AnsweredOk(replica, "/firegrid.hazards.v1.HazardService/GetHazard");
}

class RollingRestartE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    auto service = [&](const char* bin, const char* name, std::vector<std::string> flags) {
      return testing::PollingService(bin, name, std::move(flags), redis_.address(),
                                     broker_.bootstrap(), key_file, dir_.path());
    };
    buildings_ = service(FIREGRID_BUILDINGS_BIN, "buildings",
                         {"--rules-file=" + cfg + "/buildings_rules.textproto"});
    ASSERT_TRUE(buildings_->Start().ok());
    for (const char* name : {"hazards-a", "hazards-b"}) {
      hazards_.push_back(
          service(FIREGRID_HAZARDS_BIN, name,
                  {"--rules-file=" + cfg + "/hazards_rules.textproto",
                   "--guidance-file=" + cfg + "/hazards_guidance.textproto", "--drain-grace=1s"}));
      absl::Status st = hazards_.back()->Start();
      ASSERT_TRUE(st.ok()) << st;
    }
  }

  void TearDown() override {
    for (auto& h : hazards_) {
      if (h->running()) h->Stop().IgnoreError();
    }
    if (buildings_ && buildings_->running()) buildings_->Stop().IgnoreError();
  }

  testing::TempDir dir_{"rolling-restart-e2e"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> buildings_;
  std::vector<std::unique_ptr<testing::ServiceProcess>> hazards_;
  testing::DevTokens tokens_;
};

TEST_F(RollingRestartE2E, SigtermOfEachReplicaInTurnFailsNoCallOfAHealthCheckingClient) {
  const std::string admin = tokens_.Make(auth::Role::kDistrictAdmin, "500109", "admin");
  const std::string worker = tokens_.Make(auth::Role::kCommunityWorker, "500109001002", "grid-1");
  auto bstub = buildings::v1::BuildingService::NewStub(
      grpc::CreateChannel(buildings_->grpc_address(), grpc::InsecureChannelCredentials()));
  const std::string building = testing::RegisterCommunityBuilding(*bstub, admin).building_id();

  auto stub = hv1::HazardService::NewStub(server::NewClientChannel(
      absl::StrCat("ipv4:", hazards_[0]->grpc_address(), ",", hazards_[1]->grpc_address()), {}));
  hv1::ReportHazardRequest report;
  report.set_building_id(building);
  report.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  report.set_severity(hv1::SEVERITY_GENERAL);
  report.set_source(hv1::SOURCE_GRID_INSPECTION);
  report.set_description("消防车道被占用");
  hv1::ReportHazardResponse reported;
  // Both replicas must have learned the building (from its event) before the load starts.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return stub->ReportHazard(testing::CallContext(worker).get(), report, &reported).ok();
      },
      absl::Seconds(60)));
  const std::string hazard = reported.hazard().hazard_id();

  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  absl::Mutex mu;
  std::map<std::string, int> failures;  // "<method> <code>: <message>" → count
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        grpc::Status s;
        std::string method;
        if ((i + t) % 2 == 0) {
          hv1::GetHazardRequest req;
          req.set_hazard_id(hazard);
          hv1::Hazard got;
          s = stub->GetHazard(testing::CallContext(worker).get(), req, &got);
          method = "GetHazard";
        } else {
          hv1::ListHazardsRequest req;
          req.set_page_size(20);
          hv1::ListHazardsResponse got;
          s = stub->ListHazards(testing::CallContext(worker).get(), req, &got);
          method = "ListHazards";
        }
        calls.fetch_add(1);
        if (!s.ok()) {
          absl::MutexLock lock(&mu);
          ++failures[absl::StrCat(method, " ", s.error_code(), ": ", s.error_message())];
        }
      }
    });
  }
  auto calls_grow_by = [&](int n) {
    const int target = calls.load() + n;
    return testing::WaitUntil([&] { return calls.load() >= target; }, absl::Seconds(60));
  };

  ASSERT_TRUE(calls_grow_by(200));
  for (int round = 0; round < 2; ++round) {
    for (auto& replica : hazards_) {
      auto code = replica->Stop();  // SIGTERM: 1 s of NOT_SERVING grace, then the drain
      EXPECT_TRUE(code.ok() && *code == 0)
          << "the replica did not drain cleanly: " << testing::WhyNotClean(code, *replica);
      EXPECT_TRUE(calls_grow_by(200)) << "calls stopped while one replica was down";
      absl::Status st = replica->Start();  // on the same port
      ASSERT_TRUE(st.ok()) << st;
      // As a rolling update waits for the new pod to be ready, the next replica stops only once
      // the client calls this one again (its reconnect backs off about a second): its own count
      // of answered GetHazard calls grows.
      EXPECT_TRUE(
          testing::WaitUntil([&] { return AnsweredGetHazard(*replica) >= 50; }, absl::Seconds(30)))
          << "the client did not come back to the restarted replica";
    }
  }
  stop = true;
  for (auto& t : load) t.join();

  std::vector<std::string> lines;
  int failed = 0;
  for (const auto& [what, n] : failures) {
    failed += n;
    lines.push_back(absl::StrCat(n, " × ", what));
  }
  EXPECT_EQ(failed, 0) << "of " << calls.load() << " calls:\n" << absl::StrJoin(lines, "\n");
  EXPECT_GT(calls.load(), 1600);
}

}  // namespace
}  // namespace firegrid
