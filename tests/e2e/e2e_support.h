#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "libs/auth/principal.h"
#include "libs/auth/token.h"
#include "tests/support/service_process.h"

namespace firegrid::testing {

// Calls of `method` (e.g. "/firegrid.hazards.v1.HazardService/GetHazard") `service` answered OK
// since it started, from its /metrics (firegrid_grpc_requests_total); 0 when unreadable.
int64_t AnsweredOk(const ServiceProcess& service, const std::string& method);

// The development HS256 key the e2e services verify tokens with.
inline constexpr char kE2eKey[] = "e2e-development-key-0123456789abcdef";

// Writes kE2eKey to <dir>/jwt.key and returns the path.
std::string WriteKeyFile(const std::string& dir);

// The flags every service binary gets in an e2e test.
std::vector<std::string> CommonServiceFlags(const std::string& redis_address,
                                            const std::string& kafka_bootstrap,
                                            const std::string& key_file);

// A service binary of an e2e stack whose test polls for outcomes as one principal: the common
// flags plus `flags`, with the per-principal rate limit and the failed-authentication throttle
// off (tests/security covers them; right after a FakeTime step a service refuses fresh tokens
// for a moment, which would count as failures), logs in `log_dir`, `env` on top of the test's (a
// FakeTime's).
std::unique_ptr<ServiceProcess> PollingService(const std::string& binary, const std::string& name,
                                               std::vector<std::string> flags,
                                               const std::string& redis_address,
                                               const std::string& kafka_bootstrap,
                                               const std::string& key_file,
                                               const std::string& log_dir,
                                               std::map<std::string, std::string> env = {});

// Every notification of the inboxes `token` reads, all pages (failures are test failures).
std::vector<notify::v1::Notification> ReadInbox(notify::v1::NotifyService::Stub& stub,
                                                const std::string& token);

// Mints tokens signed with kE2eKey, valid for an hour from `now()` (the faked clock's time when
// the services run under a FakeTime, so that their tokens are neither expired nor from the
// future).
class DevTokens {
 public:
  explicit DevTokens(std::function<absl::Time()> now = [] { return absl::Now(); });
  std::string Make(auth::Role role, const std::string& tier_path, const std::string& subject,
                   const std::string& department = "") const;
  // A token for any principal (e.g. a micro_station with its org_unit).
  std::string Make(const auth::Principal& principal) const;

 private:
  std::unique_ptr<auth::TokenSigner> signer_;
  std::function<absl::Time()> now_;
};

// A client context carrying `token` (none when empty) with a deadline.
std::unique_ptr<grpc::ClientContext> CallContext(const std::string& token,
                                                 absl::Duration timeout = absl::Seconds(10));

// The place most e2e tests need: district 500109, street 500109001 and community 500109001002
// (upserted), and a new 60 m residential building 朝阳大厦 in the community, registered by
// `admin_token` (a district admin), naming `parties`. Returns the building; a failed call fails
// the test.
buildings::v1::Building RegisterCommunityBuilding(
    buildings::v1::BuildingService::Stub& stub, const std::string& admin_token,
    const std::vector<subjects::v1::Party>& parties = {});

// One Subscribe stream of notify, read on a thread of its own; keeps every pushed notification.
class Subscription {
 public:
  using Match = std::function<bool(const notify::v1::Notification&)>;

  Subscription(const std::string& address, const std::string& token);
  ~Subscription();  // cancels the stream
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Waits for the end of the replay (caught_up).
  bool WaitCaughtUp(absl::Duration timeout = absl::Seconds(30));
  // The first pushed notification `match` accepts, waiting up to `timeout` for it.
  std::optional<notify::v1::Notification> WaitFor(const Match& match,
                                                  absl::Duration timeout = absl::Seconds(60));
  // How many pushed so far `match` accepts.
  int Count(const Match& match);

 private:
  std::unique_ptr<notify::v1::NotifyService::Stub> stub_;
  grpc::ClientContext ctx_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<notify::v1::Notification> notifications_ ABSL_GUARDED_BY(mu_);
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;
};

// Matches for Subscription: a notification whose title contains `text`; one about a hazard.
Subscription::Match TitleContains(std::string text);
Subscription::Match AboutHazard(std::string hazard_id);

}  // namespace firegrid::testing
