// firegrid-demo-loader: loads the Beibei sample district through the public gRPC APIs: the
// buildings registry, then (with --monitoring-addr) the monitoring devices the device simulator
// plays, then about 40 hazards in every state of their lifecycle, then credit subjects and
// records at every level with one blacklisted agency.
//
//   firegrid-demo-loader --addr=127.0.0.1:50051 --hazards-addr=127.0.0.1:50052
//       --credit-addr=127.0.0.1:50054 --key-file=.state/dev-jwt.key
//
// Flags (env FIREGRID_<FLAG>): --addr, --hazards-addr (empty: no hazards), --hazards-wait,
// --credit-addr (empty: no credit records), --monitoring-addr (empty: no monitoring devices),
// --token (a district_admin token for 500109; without it one is minted from --key-file),
// --key-file (the hazards need it: each lifecycle step is made by the role that may make it,
// with a token minted for that person), --timeout, --seed, --buildings.
// Prints one summary line per service; exits 1 on the first failed call.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/credit/v1/credit.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/common/config.h"
#include "libs/common/version.h"
#include "tools/loaders/accounts_loader.h"
#include "tools/loaders/beibei.h"
#include "tools/loaders/credit_loader.h"
#include "tools/loaders/hazard_loader.h"
#include "tools/loaders/hazards_plan.h"
#include "tools/loaders/loader.h"
#include "tools/loaders/monitoring_loader.h"

namespace {

struct Config {
  std::string addr;
  std::string hazards_addr;
  std::string credit_addr;
  std::string monitoring_addr;
  absl::Duration hazards_wait;
  std::string token;
  std::string key_file;
  absl::Duration timeout;
  int64_t seed = 0;
  int buildings = 0;
  std::string accounts_addr;
  bool only_accounts = false;
  std::string community;
  std::string demo_password;
  std::string users_file;
};

absl::StatusOr<std::unique_ptr<firegrid::auth::TokenSigner>> LoadSigner(
    const std::string& key_file) {
  std::ifstream in(key_file, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the key file ", key_file));
  std::ostringstream key;
  key << in.rdbuf();
  // Trailing line breaks are not part of the key (the services read key files the same way).
  std::string secret = key.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return firegrid::auth::TokenSigner::Hs256(secret);
}

absl::StatusOr<std::string> Mint(firegrid::auth::TokenSigner& signer, firegrid::auth::Principal p) {
  const absl::Time now = absl::Now();
  p.expiry = now + absl::Hours(1);
  return signer.Sign(p, now, absl::Hours(1));
}

void PrintError(const absl::Status& s) {
  std::cerr << "error: " << absl::StatusCodeToString(s.code()) << ": " << s.message() << "\n";
}

// The services rate-limit each principal (README.md, "Configuration"); the loader makes
// well over a burst of calls as one district admin. A call refused as RESOURCE_EXHAUSTED was
// not processed, so gRPC retries it after a backoff: the loader slows to the allowed rate
// instead of failing.
std::shared_ptr<grpc::Channel> Channel(const std::string& addr) {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(R"({"methodConfig": [{"name": [{}], "retryPolicy": {
      "maxAttempts": 5, "initialBackoff": "0.2s", "maxBackoff": "2s", "backoffMultiplier": 2,
      "retryableStatusCodes": ["RESOURCE_EXHAUSTED"]}}]})");
  return grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args);
}

// The demo console users, as an internal service (a token minted with the development key).
int LoadAccounts(const Config& c, firegrid::auth::TokenSigner& signer) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> token = Mint(
      signer, {.subject = "service:demo-loader", .role = firegrid::auth::Role::kInternalService});
  if (!token.ok()) {
    PrintError(token.status());
    return 2;
  }
  auto stub = firegrid::accounts::v1::AccountsService::NewStub(Channel(c.accounts_addr));
  firegrid::loaders::AccountsLoader accounts(
      stub.get(), [&](grpc::ClientContext* ctx) { firegrid::auth::AttachToken(ctx, *token); },
      c.timeout);
  absl::StatusOr<std::vector<firegrid::loaders::LoadedUser>> users =
      accounts.Load(firegrid::loaders::DemoUsers(c.community), c.demo_password);
  if (!users.ok()) {
    PrintError(users.status());
    return 1;
  }
  const std::string text = firegrid::loaders::DemoUsersText(*users, c.demo_password);
  if (c.users_file.empty()) {
    std::cout << text;
  } else {
    std::ofstream out(c.users_file, std::ios::trunc);
    out << text;
    if (!out.flush()) {
      std::cerr << "error: cannot write " << c.users_file << "\n";
      return 1;
    }
  }
  std::cout << "demo console users at " << c.accounts_addr << ": " << users->size()
            << " users (password + TOTP" << (c.users_file.empty() ? "" : ", secrets in ")
            << c.users_file << ") in "
            << absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(10)))
            << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  namespace loaders = firegrid::loaders;
  Config c;
  firegrid::ConfigBinder binder("firegrid-demo-loader");
  binder.String("addr", &c.addr, "127.0.0.1:50051", "buildings service address");
  binder.String("hazards-addr", &c.hazards_addr, "127.0.0.1:50052",
                "hazards service address (empty: load no hazards)");
  binder.String("credit-addr", &c.credit_addr, "",
                "credit service address (empty: load no credit subjects and records)");
  binder.String("monitoring-addr", &c.monitoring_addr, "",
                "monitoring service address (empty: register no monitoring devices)");
  binder.Duration("hazards-wait", &c.hazards_wait, absl::Seconds(60),
                  "how long to wait for the hazards service to learn the buildings (Kafka)",
                  absl::ZeroDuration(), absl::Minutes(30));
  binder.String("token", &c.token, "", "district_admin bearer token (default: mint one)");
  binder.String("key-file", &c.key_file, ".state/dev-jwt.key",
                "HS256 key to mint tokens with (the buildings token when --token is empty, and "
                "one per role for the hazards)");
  binder.Duration("timeout", &c.timeout, absl::Seconds(10), "deadline of each call",
                  absl::Milliseconds(1));
  binder.Int("seed", &c.seed, static_cast<int64_t>(loaders::kDefaultSeed),
             "dataset seed (the same seed, the same data)");
  binder.Int("buildings", &c.buildings, 300, "number of buildings", 1, 5000);
  binder.String("accounts-addr", &c.accounts_addr, "",
                "accounts service address: create the demo console users (empty: skip)");
  binder.Bool("only-accounts", &c.only_accounts, false,
              "load only the demo console users (--accounts-addr), nothing else");
  binder.String("community", &c.community, "500109001001",
                "the community of the demo grid worker and street officer users");
  binder.String("demo-password", &c.demo_password, "firegrid-demo-2026",
                "the password of the demo console users");
  binder.String("users-file", &c.users_file, "",
                "where to write the demo users' TOTP secrets (empty: standard output)");
  firegrid::ParseToolFlagsOrExit(binder, argc, argv, "firegrid-demo-loader");
  if (c.only_accounts) {
    if (c.accounts_addr.empty()) {
      std::cerr << "error: --only-accounts needs --accounts-addr\n";
      return 2;
    }
    auto loaded = LoadSigner(c.key_file);
    if (!loaded.ok()) {
      std::cerr << "error: " << loaded.status().message() << "\n";
      return 2;
    }
    return LoadAccounts(c, **loaded);
  }
  std::unique_ptr<firegrid::auth::TokenSigner> signer;
  if (c.token.empty() || !c.hazards_addr.empty() || !c.credit_addr.empty() ||
      !c.accounts_addr.empty()) {
    auto loaded = LoadSigner(c.key_file);
    if (!loaded.ok()) {
      std::cerr << "error: " << loaded.status().message()
                << (c.token.empty() ? ""
                                    : " (the hazards need it to mint a token per role; "
                                      "--hazards-addr= skips them)")
                << "\n";
      return 2;
    }
    signer = std::move(*loaded);
  }
  if (c.token.empty()) {
    absl::StatusOr<std::string> token = Mint(*signer, loaders::DistrictAdmin());
    if (!token.ok()) {
      std::cerr << "error: " << token.status().message() << "\n";
      return 2;
    }
    c.token = *token;
  }

  if (!c.accounts_addr.empty()) {
    if (int code = LoadAccounts(c, *signer); code != 0) return code;
  }

  absl::Time start = absl::Now();
  const loaders::DemoDataset dataset =
      loaders::GenerateBeibei(static_cast<uint64_t>(c.seed), c.buildings);
  auto stub = firegrid::buildings::v1::BuildingService::NewStub(Channel(c.addr));
  loaders::DemoLoader loader(stub.get(), [&](grpc::ClientContext* ctx) {
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + c.timeout));
    firegrid::auth::AttachToken(ctx, c.token);
  });
  absl::StatusOr<loaders::LoadSummary> summary = loader.Load(dataset);
  if (!summary.ok()) {
    PrintError(summary.status());
    return 1;
  }
  std::cout << "demo data for 北碚区 (500109) at " << c.addr << ": " << summary->ToString()
            << " in "
            << absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(10)))
            << std::endl;
  if (!c.monitoring_addr.empty()) {
    start = absl::Now();
    auto monitoring_stub =
        firegrid::monitoring::v1::MonitoringService::NewStub(Channel(c.monitoring_addr));
    loaders::MonitoringLoader::Options options;
    options.timeout = c.timeout;
    options.wait = c.hazards_wait;
    loaders::MonitoringLoader monitoring(
        monitoring_stub.get(),
        [&](grpc::ClientContext* ctx) { firegrid::auth::AttachToken(ctx, c.token); }, options);
    absl::StatusOr<loaders::MonitoringSummary> monitoring_summary =
        monitoring.Load(firegrid::devicesim::DemoFleet(), loader.building_ids());
    if (!monitoring_summary.ok()) {
      PrintError(monitoring_summary.status());
      return 1;
    }
    std::cout << "demo monitoring devices at " << c.monitoring_addr << ": "
              << monitoring_summary->ToString() << " in "
              << absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(10)))
              << std::endl;
  }
  if (c.hazards_addr.empty()) return 0;

  start = absl::Now();
  auto hazards_stub = firegrid::hazards::v1::HazardService::NewStub(Channel(c.hazards_addr));
  std::map<std::string, std::string> tokens;  // by subject: one token per person
  absl::Status mint_error;
  // One token per person, minted once.
  auto token_for = [&](const firegrid::auth::Principal& p) {
    auto it = tokens.find(p.subject);
    if (it != tokens.end()) return it->second;
    absl::StatusOr<std::string> t = Mint(*signer, p);
    if (!t.ok()) {
      mint_error = t.status();
      return std::string();
    }
    return tokens[p.subject] = *t;
  };
  loaders::HazardLoader::Options options;
  options.timeout = c.timeout;
  options.wait_for_buildings = c.hazards_wait;
  loaders::HazardLoader hazards(hazards_stub.get(), token_for, options);
  absl::StatusOr<loaders::HazardSummary> hazard_summary =
      hazards.Load(loaders::PlanBeibeiHazards(dataset), loader.building_ids());
  if (!mint_error.ok()) {
    PrintError(mint_error);
    return 1;
  }
  if (!hazard_summary.ok()) {
    PrintError(hazard_summary.status());
    return 1;
  }
  std::cout << "demo hazards at " << c.hazards_addr << ": " << hazard_summary->ToString() << " in "
            << absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(10)))
            << std::endl;
  if (c.credit_addr.empty()) return 0;

  start = absl::Now();
  auto credit_stub = firegrid::credit::v1::CreditService::NewStub(Channel(c.credit_addr));
  std::vector<std::string> building_request_ids;
  for (const auto& [request_id, id] : loader.building_ids())
    building_request_ids.push_back(request_id);
  loaders::CreditLoader credit(credit_stub.get(), token_for, c.timeout, c.hazards_wait);
  absl::StatusOr<loaders::CreditSummary> credit_summary =
      credit.Load(loaders::PlanBeibeiCredit(building_request_ids), loader.building_ids());
  if (!mint_error.ok()) {
    PrintError(mint_error);
    return 1;
  }
  if (!credit_summary.ok()) {
    PrintError(credit_summary.status());
    return 1;
  }
  std::cout << "demo credit at " << c.credit_addr << ": " << credit_summary->ToString() << " in "
            << absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Milliseconds(10)))
            << std::endl;
  return 0;
}
