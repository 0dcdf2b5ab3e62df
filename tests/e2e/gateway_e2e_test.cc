// The gateway as a real binary in front of real buildings, hazards and notify binaries (with
// redis-server and the dev broker): a hazard reported over gRPC reaches the community worker's
// server-sent event stream through the gateway; reconnecting with the Last-Event-ID of an event
// resumes after it (what was seen is not sent again, what came later is); the JSON API answers
// the same hazard.
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/str_split.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "services/gateway/test_support.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;
using ::testing::HasSubstr;
using ::testing::Not;

// The id of the first event in `stream` whose data mentions `text` ("" when none).
std::string IdOfEventWith(const std::string& stream, const std::string& text) {
  for (absl::string_view event : absl::StrSplit(stream, "\n\n")) {
    if (event.find(text) == absl::string_view::npos) continue;
    for (absl::string_view line : absl::StrSplit(event, '\n')) {
      if (absl::ConsumePrefix(&line, "id: ")) return std::string(line);
    }
  }
  return "";
}

class GatewayE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    auto service = [&](const char* bin, const char* name, std::vector<std::string> flags) {
      flags.insert(flags.end(),
                   {"--redis-addr=" + redis_.address(), "--kafka-bootstrap=" + broker_.bootstrap(),
                    "--jwt-hs256-key-file=" + key_file, "--jwt-allow-hs256", "--drain-timeout=2s"});
      return std::make_unique<testing::ServiceProcess>(testing::ServiceProcessOptions{
          .binary = bin, .name = name, .flags = flags, .log_dir = dir_.path()});
    };
    buildings_ = service(FIREGRID_BUILDINGS_BIN, "buildings",
                         {"--rules-file=" + cfg + "/buildings_rules.textproto"});
    hazards_ = service(FIREGRID_HAZARDS_BIN, "hazards",
                       {"--rules-file=" + cfg + "/hazards_rules.textproto",
                        "--guidance-file=" + cfg + "/hazards_guidance.textproto"});
    notify_ = service(FIREGRID_NOTIFY_BIN, "notify",
                      {"--plan-file=" + cfg + "/plan_tasks.textproto"});
    for (auto* s : {buildings_.get(), hazards_.get(), notify_.get()}) {
      absl::Status st = s->Start();
      ASSERT_TRUE(st.ok()) << st;
    }
    gateway_ = service(FIREGRID_GATEWAY_BIN, "gateway",
                       {"--http-address=127.0.0.1", "--http-port=0",
                        "--config-file=" + cfg + "/gateway.textproto",
                        "--evidence-dir=" + dir_.path() + "/evidence",
                        "--buildings-addr=" + buildings_->grpc_address(),
                        "--hazards-addr=" + hazards_->grpc_address(),
                        "--notify-addr=" + notify_->grpc_address(), "--auth-failure-limit=0"});
    absl::Status st = gateway_->Start();
    ASSERT_TRUE(st.ok()) << st;
    std::ifstream log(gateway_->stderr_path());
    std::stringstream ss;
    ss << log.rdbuf();
    std::smatch m;
    const std::string text = ss.str();
    ASSERT_TRUE(std::regex_search(text, m, std::regex(R"re("http":"127\.0\.0\.1:(\d+)")re")))
        << text;
    http_port_ = std::stoi(m[1]);
  }

  void TearDown() override {
    for (auto* s : {gateway_.get(), notify_.get(), hazards_.get(), buildings_.get()}) {
      if (s != nullptr && s->running()) {
        auto code = s->Stop();
        EXPECT_TRUE(code.ok() && *code == 0) << "service did not drain cleanly";
      }
    }
  }

  // Opens GET /api/v1/events on the gateway; returns the socket.
  int OpenEvents(const std::string& token, const std::string& last_event_id = "") {
    int fd = gateway::testing::Connect(http_port_);
    std::string req = absl::StrCat("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                                   "Authorization: Bearer ", token, "\r\n");
    if (!last_event_id.empty()) absl::StrAppend(&req, "Last-Event-ID: ", last_event_id, "\r\n");
    gateway::testing::SendAll(fd, req + "\r\n");
    return fd;
  }

  std::string Report(hv1::HazardService::Stub& stub, const std::string& token,
                     const std::string& building, const std::string& description) {
    hv1::ReportHazardRequest req;
    req.set_building_id(building);
    req.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
    req.set_severity(hv1::SEVERITY_GENERAL);
    req.set_source(hv1::SOURCE_GRID_INSPECTION);
    req.set_description(description);
    hv1::ReportHazardResponse out;
    EXPECT_TRUE(testing::WaitUntil(
        [&] { return stub.ReportHazard(testing::CallContext(token).get(), req, &out).ok(); },
        absl::Seconds(60)));
    return out.hazard().hazard_id();
  }

  testing::TempDir dir_{"gateway-e2e"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> buildings_, hazards_, notify_, gateway_;
  testing::DevTokens tokens_;
  int http_port_ = 0;
};

TEST_F(GatewayE2E, ReportedHazardArrivesOverSseAndLastEventIdResumesAfterWhatWasSeen) {
  const std::string admin = tokens_.Make(auth::Role::kDistrictAdmin, "500109", "admin");
  const std::string worker =
      tokens_.Make(auth::Role::kCommunityWorker, "500109001002", "grid-1");
  int fd = OpenEvents(worker);
  std::string stream;
  ASSERT_TRUE(gateway::testing::ReadUntil(fd, &stream, "event: caught_up", absl::Seconds(30)))
      << stream;
  EXPECT_THAT(stream, HasSubstr("Content-Type: text/event-stream"));

  auto bstub = bv1::BuildingService::NewStub(
      grpc::CreateChannel(buildings_->grpc_address(), grpc::InsecureChannelCredentials()));
  const std::string building = testing::RegisterCommunityBuilding(*bstub, admin).building_id();
  auto hstub = hv1::HazardService::NewStub(
      grpc::CreateChannel(hazards_->grpc_address(), grpc::InsecureChannelCredentials()));
  const std::string first = Report(*hstub, worker, building, "消防车道被占用");
  ASSERT_FALSE(first.empty());
  ASSERT_TRUE(gateway::testing::ReadUntil(fd, &stream, "\"hazardId\":\"" + first + "\"",
                                          absl::Seconds(60)))
      << stream;
  const std::string seen = IdOfEventWith(stream, "\"hazardId\":\"" + first + "\"");
  ASSERT_FALSE(seen.empty()) << stream;
  ::close(fd);

  const std::string second = Report(*hstub, worker, building, "安全出口堵塞");
  ASSERT_FALSE(second.empty());
  int again = OpenEvents(worker, seen);
  std::string resumed;
  ASSERT_TRUE(gateway::testing::ReadUntil(again, &resumed, "event: caught_up", absl::Seconds(30)));
  EXPECT_THAT(resumed, Not(HasSubstr("\"hazardId\":\"" + first + "\"")));
  // The second report's task arrives (replayed, or live if notify had not had it yet).
  EXPECT_TRUE(gateway::testing::ReadUntil(again, &resumed, "\"hazardId\":\"" + second + "\"",
                                          absl::Seconds(60)))
      << resumed;
  ::close(again);

  // The JSON API answers the same hazard with the worker's token.
  httplib::Client client("127.0.0.1", http_port_);
  auto r = client.Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard",
                       {{"Authorization", "Bearer " + worker}},
                       nlohmann::json({{"hazardId", first}}).dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(nlohmann::json::parse(r->body)["hazardId"], first);
  auto anonymous = client.Post("/api/v1/firegrid.hazards.v1.HazardService/GetHazard",
                               nlohmann::json({{"hazardId", first}}).dump(), "application/json");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
}

}  // namespace
}  // namespace firegrid
