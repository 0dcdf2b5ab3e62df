#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "libs/auth/principal.h"
#include "libs/auth/token.h"

namespace firegrid::testing {

// The development HS256 key the e2e services verify tokens with.
inline constexpr char kE2eKey[] = "e2e-development-key-0123456789abcdef";

// Writes kE2eKey to <dir>/jwt.key and returns the path.
std::string WriteKeyFile(const std::string& dir);

// The flags every service binary gets in an e2e test.
std::vector<std::string> CommonServiceFlags(const std::string& redis_address,
                                            const std::string& kafka_bootstrap,
                                            const std::string& key_file);

// Mints tokens signed with kE2eKey, valid for an hour from `now()` (the faked clock's time when
// the services run under a FakeTime, so that their tokens are neither expired nor from the
// future).
class DevTokens {
 public:
  explicit DevTokens(std::function<absl::Time()> now = [] { return absl::Now(); });
  std::string Make(auth::Role role, const std::string& tier_path, const std::string& subject,
                   const std::string& department = "") const;

 private:
  std::unique_ptr<auth::TokenSigner> signer_;
  std::function<absl::Time()> now_;
};

// A client context carrying `token` (none when empty) with a deadline.
std::unique_ptr<grpc::ClientContext> CallContext(const std::string& token,
                                                 absl::Duration timeout = absl::Seconds(10));

// The place most e2e tests need: district 500109, street 500109001 and community 500109001002
// (upserted), and a new 60 m residential building 朝阳大厦 in the community, registered by
// `admin_token` (a district admin). Returns the building; a failed call fails the test.
buildings::v1::Building RegisterCommunityBuilding(buildings::v1::BuildingService::Stub& stub,
                                                  const std::string& admin_token);

}  // namespace firegrid::testing
