#include "tests/e2e/e2e_support.h"

#include <fstream>

#include "libs/auth/grpc_auth.h"

namespace firegrid::testing {

std::string WriteKeyFile(const std::string& dir) {
  const std::string path = dir + "/jwt.key";
  std::ofstream(path) << kE2eKey;
  return path;
}

std::vector<std::string> CommonServiceFlags(const std::string& redis_address,
                                            const std::string& kafka_bootstrap,
                                            const std::string& key_file) {
  return {"--redis-addr=" + redis_address, "--kafka-bootstrap=" + kafka_bootstrap,
          "--jwt-hs256-key-file=" + key_file, "--drain-timeout=2s"};
}

DevTokens::DevTokens(std::function<absl::Time()> now)
    : signer_(*auth::TokenSigner::Hs256(kE2eKey)), now_(std::move(now)) {}

std::string DevTokens::Make(auth::Role role, const std::string& tier_path,
                            const std::string& subject, const std::string& department) const {
  auth::Principal p;
  p.subject = subject;
  p.role = role;
  p.tier_path = tier_path;
  p.department = department;
  return *signer_->Sign(p, now_(), absl::Hours(1));
}

std::unique_ptr<grpc::ClientContext> CallContext(const std::string& token, absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!token.empty()) auth::AttachToken(ctx.get(), token);
  return ctx;
}

}  // namespace firegrid::testing
