// firegrid-demo-loader: loads the Beibei sample district through the public gRPC API.
//
//   firegrid-demo-loader --addr=127.0.0.1:50051 --key-file=.state/dev-jwt.key
//
// Flags (env FIREGRID_<FLAG>): --addr, --token (a district_admin token for 500109; without it
// one is minted from --key-file), --key-file, --timeout, --seed, --buildings.
// Prints one summary line; exits 1 on the first failed call.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/common/config.h"
#include "tools/loaders/beibei.h"
#include "tools/loaders/loader.h"

namespace {

struct Config {
  std::string addr;
  std::string token;
  std::string key_file;
  absl::Duration timeout;
  int64_t seed = 0;
  int buildings = 0;
};

absl::StatusOr<std::string> MintToken(const std::string& key_file) {
  std::ifstream in(key_file, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the key file ", key_file));
  std::ostringstream key;
  key << in.rdbuf();
  // Trailing line breaks are not part of the key (the services read key files the same way).
  std::string secret = key.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  auto signer = firegrid::auth::TokenSigner::Hs256(secret);
  if (!signer.ok()) return signer.status();
  firegrid::auth::Principal p;
  p.subject = "demo-loader";
  p.role = firegrid::auth::Role::kDistrictAdmin;
  p.org_unit = firegrid::loaders::kBeibeiCode;
  p.tier_path = firegrid::loaders::kBeibeiCode;
  const absl::Time now = absl::Now();
  p.expiry = now + absl::Hours(1);
  return (*signer)->Sign(p, now, absl::Hours(1));
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  firegrid::ConfigBinder binder("firegrid-demo-loader");
  binder.String("addr", &c.addr, "127.0.0.1:50051", "buildings service address");
  binder.String("token", &c.token, "", "district_admin bearer token (default: mint one)");
  binder.String("key-file", &c.key_file, ".state/dev-jwt.key",
                "HS256 key to mint a token with when --token is empty");
  binder.Duration("timeout", &c.timeout, absl::Seconds(10), "deadline of each call",
                  absl::Milliseconds(1));
  binder.Int("seed", &c.seed, static_cast<int64_t>(firegrid::loaders::kDefaultSeed),
             "dataset seed (the same seed, the same data)");
  binder.Int("buildings", &c.buildings, 300, "number of buildings", 1, 5000);
  absl::Status s = binder.Parse(argc, argv, firegrid::ConfigBinder::ProcessEnv());
  if (firegrid::ConfigBinder::IsHelp(s)) {
    std::cout << s.message() << "\n";
    return 0;
  }
  if (!s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  if (c.token.empty()) {
    absl::StatusOr<std::string> token = MintToken(c.key_file);
    if (!token.ok()) {
      std::cerr << "error: " << token.status().message() << "\n";
      return 2;
    }
    c.token = *token;
  }

  const absl::Time start = absl::Now();
  const firegrid::loaders::DemoDataset dataset =
      firegrid::loaders::GenerateBeibei(static_cast<uint64_t>(c.seed), c.buildings);
  auto stub = firegrid::buildings::v1::BuildingService::NewStub(
      grpc::CreateChannel(c.addr, grpc::InsecureChannelCredentials()));
  firegrid::loaders::DemoLoader loader(stub.get(), [&](grpc::ClientContext* ctx) {
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + c.timeout));
    firegrid::auth::AttachToken(ctx, c.token);
  });
  absl::StatusOr<firegrid::loaders::LoadSummary> summary = loader.Load(dataset);
  if (!summary.ok()) {
    std::cerr << "error: " << absl::StatusCodeToString(summary.status().code()) << ": "
              << summary.status().message() << "\n";
    return 1;
  }
  std::cout << "demo data for 北碚区 (500109) at " << c.addr << ": " << summary->ToString()
            << " in "
            << absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(10)))
            << "\n";
  return 0;
}
