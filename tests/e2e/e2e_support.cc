#include "tests/e2e/e2e_support.h"

#include <fstream>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "tests/support/subprocess.h"

namespace firegrid::testing {

std::string WriteKeyFile(const std::string& dir) {
  const std::string path = dir + "/jwt.key";
  std::ofstream(path) << kE2eKey;
  return path;
}

int64_t AnsweredOk(const ServiceProcess& service, const std::string& method) {
  absl::StatusOr<std::string> text = HttpGet(service.metrics_port(), "/metrics");
  if (!text.ok()) return 0;
  const std::string series =
      absl::StrCat("firegrid_grpc_requests_total{code=\"OK\",method=\"", method, "\"} ");
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    double n = 0;
    if (absl::ConsumePrefix(&line, series) && absl::SimpleAtod(line, &n)) {
      return static_cast<int64_t>(n);
    }
  }
  return 0;
}

std::vector<std::string> CommonServiceFlags(const std::string& redis_address,
                                            const std::string& kafka_bootstrap,
                                            const std::string& key_file) {
  return {"--redis-addr=" + redis_address, "--kafka-bootstrap=" + kafka_bootstrap,
          "--jwt-hs256-key-file=" + key_file, "--jwt-allow-hs256", "--drain-timeout=2s"};
}

DevTokens::DevTokens(std::function<absl::Time()> now)
    : signer_(*auth::TokenSigner::Hs256(kE2eKey)), now_(std::move(now)) {}

std::unique_ptr<ServiceProcess> PollingService(const std::string& binary, const std::string& name,
                                               std::vector<std::string> flags,
                                               const std::string& redis_address,
                                               const std::string& kafka_bootstrap,
                                               const std::string& key_file,
                                               const std::string& log_dir,
                                               std::map<std::string, std::string> env) {
  std::vector<std::string> common = CommonServiceFlags(redis_address, kafka_bootstrap, key_file);
  flags.insert(flags.end(), common.begin(), common.end());
  flags.push_back("--rate-limit=0");
  flags.push_back("--auth-failure-limit=0");
  return std::make_unique<ServiceProcess>(ServiceProcessOptions{.binary = binary,
                                                                .name = name,
                                                                .flags = std::move(flags),
                                                                .log_dir = log_dir,
                                                                .env = std::move(env)});
}

std::vector<notify::v1::Notification> ReadInbox(notify::v1::NotifyService::Stub& stub,
                                                const std::string& token) {
  std::vector<notify::v1::Notification> all;
  notify::v1::ListInboxRequest req;
  req.set_page_size(200);
  while (true) {
    notify::v1::ListInboxResponse resp;
    grpc::Status s = stub.ListInbox(CallContext(token).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) break;
    all.insert(all.end(), resp.notifications().begin(), resp.notifications().end());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  return all;
}

std::string DevTokens::Make(auth::Role role, const std::string& tier_path,
                            const std::string& subject, const std::string& department) const {
  auth::Principal p;
  p.subject = subject;
  p.role = role;
  p.tier_path = tier_path;
  p.department = department;
  return Make(p);
}

std::string DevTokens::Make(const auth::Principal& principal) const {
  return *signer_->Sign(principal, now_(), absl::Hours(1));
}

std::unique_ptr<grpc::ClientContext> CallContext(const std::string& token, absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!token.empty()) auth::AttachToken(ctx.get(), token);
  return ctx;
}

buildings::v1::Building RegisterCommunityBuilding(buildings::v1::BuildingService::Stub& stub,
                                                  const std::string& admin_token,
                                                  const std::vector<subjects::v1::Party>& parties) {
  namespace bv1 = ::firegrid::buildings::v1;
  for (auto [code, kind, parent] :
       std::vector<std::tuple<std::string, bv1::OrgUnitKind, std::string>>{
           {"500109", bv1::ORG_UNIT_KIND_DISTRICT, ""},
           {"500109001", bv1::ORG_UNIT_KIND_STREET, "500109"},
           {"500109001002", bv1::ORG_UNIT_KIND_COMMUNITY, "500109001"}}) {
    bv1::UpsertOrgUnitRequest u;
    u.mutable_org_unit()->set_code(code);
    u.mutable_org_unit()->set_kind(kind);
    u.mutable_org_unit()->set_parent_code(parent);
    u.mutable_org_unit()->set_name(code);
    bv1::OrgUnit out;
    grpc::Status s = stub.UpsertOrgUnit(CallContext(admin_token).get(), u, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  bv1::CreateBuildingRequest req;
  auto* b = req.mutable_building();
  b->set_name("朝阳大厦");
  b->set_tier_path("500109001002");
  b->mutable_location()->set_latitude(29.82);
  b->mutable_location()->set_longitude(106.43);
  b->set_use(bv1::BUILDING_USE_RESIDENTIAL);
  b->set_height_m(60);
  b->set_floors_above_ground(20);
  for (const subjects::v1::Party& p : parties) *b->add_parties() = p;
  bv1::Building out;
  grpc::Status s = stub.CreateBuilding(CallContext(admin_token).get(), req, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return out;
}

Subscription::Subscription(const std::string& address, const std::string& token) {
  stub_ = notify::v1::NotifyService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  auth::AttachToken(&ctx_, token);
  thread_ = std::thread([this] {
    auto reader = stub_->Subscribe(&ctx_, notify::v1::SubscribeRequest());
    notify::v1::SubscribeResponse resp;
    while (reader->Read(&resp)) {
      absl::MutexLock lock(&mu_);
      if (resp.has_notification()) notifications_.push_back(resp.notification());
      if (resp.caught_up()) caught_up_ = true;
    }
    reader->Finish();
  });
}

Subscription::~Subscription() {
  ctx_.TryCancel();
  thread_.join();
}

bool Subscription::WaitCaughtUp(absl::Duration timeout) {
  return WaitUntil(
      [&] {
        absl::MutexLock lock(&mu_);
        return caught_up_;
      },
      timeout);
}

std::optional<notify::v1::Notification> Subscription::WaitFor(const Match& match,
                                                              absl::Duration timeout) {
  std::optional<notify::v1::Notification> found;
  WaitUntil(
      [&] {
        absl::MutexLock lock(&mu_);
        for (const auto& n : notifications_) {
          if (match(n)) {
            found = n;
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

int Subscription::Count(const Match& match) {
  absl::MutexLock lock(&mu_);
  int c = 0;
  for (const auto& n : notifications_) c += match(n) ? 1 : 0;
  return c;
}

Subscription::Match TitleContains(std::string text) {
  return [text = std::move(text)](const notify::v1::Notification& n) {
    return n.title().find(text) != std::string::npos;
  };
}

Subscription::Match AboutHazard(std::string hazard_id) {
  return [id = std::move(hazard_id)](const notify::v1::Notification& n) {
    return n.hazard_id() == id;
  };
}

}  // namespace firegrid::testing
