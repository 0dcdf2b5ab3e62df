// The services on a Redis whose only user for them is the production ACL user (the rules of
// k8s/overlays/prod/redis/base/firegrid-user.acl, the one home of what a service may run):
// buildings, hazards, credit and notify start, register, report, route, push, rate and limit
// callers (the shared rate limit's script), and Redis
// refused none of their commands (ACL LOG stays empty) while every one of their connections was
// that user, and stopping them cleanly was refused nothing either.

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/redis/pool.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace hv1 = ::firegrid::hazards::v1;

constexpr char kAdminPassword[] = "acl-e2e-admin-password";
constexpr char kServicePassword[] = "acl-e2e-service-password";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class RedisAclE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> rules;  // the file's words, comment lines (#) left out
    for (absl::string_view line : absl::StrSplit(ReadFile(FIREGRID_REDIS_ACL_RULES), '\n')) {
      if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "#")) continue;
      for (absl::string_view rule : absl::StrSplit(line, ' ', absl::SkipWhitespace())) {
        rules.emplace_back(rule);
      }
    }
    ASSERT_FALSE(rules.empty()) << FIREGRID_REDIS_ACL_RULES;
    // The default user is the harness's (requirepass); the services get only `firegrid`.
    std::vector<std::string> user = {"--user", "firegrid", "on", absl::StrCat(">", kServicePassword)};
    user.insert(user.end(), rules.begin(), rules.end());
    redis_ = std::make_unique<testing::RedisServer>(
        testing::RedisServerOptions{.password = kAdminPassword, .extra_args = user});
    absl::Status started = redis_->Start();
    ASSERT_TRUE(started.ok()) << started;
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::string password_file = dir_.path() + "/redis.password";
    std::ofstream(password_file) << kServicePassword << "\n";
    const std::string cfg = FIREGRID_CONFIG_DIR;
    auto service = [&](const char* bin, const char* name, std::vector<std::string> flags) {
      std::vector<std::string> common =
          testing::CommonServiceFlags(redis_->address(), broker_.bootstrap(), key_file);
      flags.insert(flags.end(), common.begin(), common.end());
      // The shared rate limit on (its script runs as this user too), far above this test's calls.
      flags.insert(flags.end(),
                   {"--redis-user=firegrid", "--redis-password-file=" + password_file,
                    "--rate-limit=100000", "--rate-limit-burst=100000", "--rate-limit-store=redis",
                    "--auth-failure-limit=0"});
      return std::make_unique<testing::ServiceProcess>(testing::ServiceProcessOptions{
          .binary = bin, .name = name, .flags = std::move(flags), .log_dir = dir_.path()});
    };
    buildings_ = service(FIREGRID_BUILDINGS_BIN, "buildings",
                         {"--rules-file=" + cfg + "/buildings_rules.textproto"});
    hazards_ = service(
        FIREGRID_HAZARDS_BIN, "hazards",
        {"--rules-file=" + cfg + "/hazards_rules.textproto",
         "--guidance-file=" + cfg + "/hazards_guidance.textproto", "--timer-interval=200ms"});
    credit_ = service(FIREGRID_CREDIT_BIN, "credit",
                      {"--rules-file=" + cfg + "/credit_rules.textproto"});
    notify_ = service(FIREGRID_NOTIFY_BIN, "notify",
                      {"--plan-file=" + cfg + "/plan_tasks.textproto", "--timer-interval=200ms"});
    for (auto* s : {buildings_.get(), hazards_.get(), credit_.get(), notify_.get()}) {
      absl::Status st = s->Start();
      ASSERT_TRUE(st.ok()) << st;
    }
    redis::PoolOptions po;
    po.port = redis_->port();
    po.password = kAdminPassword;
    admin_ = redis::Pool::Create(po);
  }

  void TearDown() override {
    for (auto* s : {notify_.get(), credit_.get(), hazards_.get(), buildings_.get()}) {
      if (s != nullptr && s->running()) s->Stop().IgnoreError();
    }
  }

  // The users of the clients connected now, one entry per connection (CLIENT LIST's user=).
  std::vector<std::string> ConnectedUsers() {
    std::vector<std::string> users;
    auto list = admin_->Command({"CLIENT", "LIST"});
    if (!list.ok()) {
      ADD_FAILURE() << list.status();
      return users;
    }
    for (absl::string_view line : absl::StrSplit(list->str, '\n', absl::SkipEmpty())) {
      for (absl::string_view field : absl::StrSplit(line, ' ')) {
        if (absl::ConsumePrefix(&field, "user=")) users.emplace_back(field);
      }
    }
    return users;
  }

  testing::TempDir dir_{"redis-acl-e2e"};
  std::unique_ptr<testing::RedisServer> redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> buildings_, hazards_, credit_, notify_;
  testing::DevTokens tokens_;
  std::unique_ptr<redis::Pool> admin_;
};

TEST_F(RedisAclE2E, ServicesRunAsTheProductionAclUserWithNoCommandRefused) {
  const std::string admin = tokens_.Make(auth::Role::kDistrictAdmin, "500109", "admin");
  const std::string worker = tokens_.Make(auth::Role::kCommunityWorker, "500109001002", "grid-1");
  testing::Subscription community(notify_->grpc_address(), worker);
  ASSERT_TRUE(community.WaitCaughtUp());

  auto bstub = buildings::v1::BuildingService::NewStub(
      grpc::CreateChannel(buildings_->grpc_address(), grpc::InsecureChannelCredentials()));
  const std::string building = testing::RegisterCommunityBuilding(*bstub, admin).building_id();
  auto hstub = hv1::HazardService::NewStub(
      grpc::CreateChannel(hazards_->grpc_address(), grpc::InsecureChannelCredentials()));
  hv1::ReportHazardRequest req;
  req.set_building_id(building);
  req.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  req.set_severity(hv1::SEVERITY_GENERAL);
  req.set_source(hv1::SOURCE_GRID_INSPECTION);
  req.set_description("消防车道被占用");
  hv1::ReportHazardResponse reported;
  // Hazards learns the building from its event first: retried until it has.
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return hstub->ReportHazard(testing::CallContext(worker).get(), req, &reported).ok(); },
      absl::Seconds(60)));
  // The report went through hazards' outbox, the broker and notify's consumer to the stream.
  ASSERT_TRUE(community.WaitFor(testing::AboutHazard(reported.hazard().hazard_id()),
                                absl::Seconds(60))
                  .has_value());

  std::vector<std::string> users = ConnectedUsers();
  int service_connections = 0;
  for (const std::string& user : users) {
    if (user == "firegrid") ++service_connections;
  }
  // Four services, each with its pool (and notify's, hazards' and buildings' blocking readers);
  // the one other connection is this test's admin pool.
  EXPECT_GE(service_connections, 4) << absl::StrJoin(users, ",");
  EXPECT_EQ(service_connections + 1, static_cast<int>(users.size())) << absl::StrJoin(users, ",");
  // Stopped cleanly, so that what they run on the way out (e.g. unblocking a waiting reader) is
  // checked too.
  for (auto* s : {notify_.get(), credit_.get(), hazards_.get(), buildings_.get()}) {
    auto code = s->Stop();
    EXPECT_TRUE(code.ok() && *code == 0)
        << "service did not drain cleanly: " << testing::WhyNotClean(code, *s);
  }
  auto log = admin_->Command({"ACL", "LOG"});
  ASSERT_TRUE(log.ok()) << log.status();
  // Each entry is a flat list of field, value: name the refused commands and keys.
  std::vector<std::string> refused;
  for (const redis::Reply& entry : log->elements) {
    for (size_t i = 0; i + 1 < entry.elements.size(); i += 2) {
      if (entry.elements[i].str == "object") refused.push_back(entry.elements[i + 1].str);
    }
  }
  EXPECT_TRUE(log->elements.empty()) << "Redis refused the firegrid user: "
                                     << absl::StrJoin(refused, ", ");
}

}  // namespace
}  // namespace firegrid
