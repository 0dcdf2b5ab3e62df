// credit_profile_bench: GetProfile throughput against the same server's health check.
//
// Starts redis-server, firegrid-devbroker and firegrid-credit on free loopback ports in a
// temporary directory, registers --subjects organisations (RegisterSubject as a district admin),
// waits until the first one has a profile, then runs h2load (nghttp2) twice with the same
// settings against the credit service over h2c: grpc.health.v1.Health/Check (the baseline) and
// firegrid.credit.v1.CreditService/GetProfile of one registered subject. Each h2load run is
// preceded by a short warm-up run. It prints both throughputs, their ratio and whether the goal
// (GetProfile >= 0.5x the health check) was met.
//
// h2load counts HTTP statuses, and a gRPC error is an HTTP 200 too (grpc-status is in the
// trailers). So the benchmark checks the answers twice: direct gRPC calls of the same request
// must all succeed, and the response bytes h2load received must be exactly one framed Profile
// per 2xx response (an error carries no message).
//
//   credit_profile_bench [--subjects=1000] [--requests=200000] [--connections=8] [--streams=4]
//
// Exit 0 whatever the throughput (the goal is reported, not enforced); 1 when the stack could
// not be set up or h2load could not run. Not a CTest test.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/h2load.h"
#include "bench/stack.h"
#include "firegrid/credit/v1/credit.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/common/config.h"
#include "libs/subjects/party.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::bench {
namespace {

namespace cv1 = ::firegrid::credit::v1;
namespace sv1 = ::firegrid::subjects::v1;

constexpr char kPersonKey[] = "bench-person-key-0123456789abcdef0123";
constexpr char kDistrict[] = "500109";
constexpr double kGoalRatio = 0.5;
constexpr char kHealthPath[] = "/grpc.health.v1.Health/Check";
constexpr char kProfilePath[] = "/firegrid.credit.v1.CreditService/GetProfile";

struct Config {
  int subjects = 0;
  int requests = 0;
  int warm_up_requests = 0;
  int connections = 0;
  int streams = 0;
  int check_calls = 0;
  std::string h2load;
};

// The i-th organisation's unified social credit code: "91500109" (a company registered in
// district 500109), nine digits, and the GB 32100 check character.
std::string CreditCode(int i) {
  std::string first17 = absl::StrFormat("91500109%09d", i + 1);
  return first17 + subjects::CreditCodeCheckCharacter(first17);
}

// Runs h2load (bench/h2load.h); fails the benchmark when it cannot run.
H2loadResult RunH2loadOrFail(const Config& c, const std::string& dir, const std::string& name,
                             const std::string& address, const std::string& path,
                             const std::string& message, const std::string& token, int requests) {
  H2loadOptions o;
  o.program = c.h2load;
  o.connections = c.connections;
  o.streams = c.streams;
  o.token = token;
  o.log_dir = dir;
  absl::StatusOr<H2loadResult> r = RunH2load(o, name, address, path, message, requests);
  if (!r.ok()) Fail(std::string(r.status().message()));
  return *std::move(r);
}

void PrintRun(const std::string& what, const H2loadResult& r, long framed_size) {
  std::printf("\n  %s\n%s", what.c_str(), r.summary.c_str());
  std::printf("    responses carrying the expected message: %ld of %ld (%ld bytes each)\n",
              r.data_bytes / framed_size, r.status_2xx, framed_size);
}

int Run(const Config& c) {
  // ----- the stack
  Step("starting redis-server, the dev broker and firegrid-credit");
  // The benchmark profile (bench/README.md): one principal sends every call, so the
  // per-principal rate limit and the failed-authentication throttle are off; the rest is as
  // deployed.
  Stack stack("credit-bench", LimitersOff());
  stack.StartRedis();
  stack.StartBroker();
  const testing::TempDir& dir = stack.dir();
  const std::string person_key_file = dir.path() + "/person.key";
  std::ofstream(person_key_file) << kPersonKey;
  testing::ServiceProcess& credit =
      stack.Add(Service::kCredit, {"--person-key-file=" + person_key_file});
  stack.Start(credit);

  const std::string admin =
      stack.Token(auth::Role::kDistrictAdmin, kDistrict, kDistrict, "bench-admin");
  auto channel = grpc::CreateChannel(credit.grpc_address(), grpc::InsecureChannelCredentials());
  auto stub = cv1::CreditService::NewStub(channel);
  auto ctx = [&](grpc::ClientContext* cc) {
    cc->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    auth::AttachToken(cc, admin);
  };

  // ----- subjects: management units, property companies and maintenance agencies, registered
  // by 8 threads (each call waits until its fact is applied).
  Step(absl::StrCat("registering ", c.subjects, " subjects"));
  const sv1::PartyRole roles[] = {sv1::PARTY_ROLE_MANAGEMENT_UNIT, sv1::PARTY_ROLE_PROPERTY_COMPANY,
                                  sv1::PARTY_ROLE_MAINTENANCE_AGENCY};
  const absl::Time register_start = absl::Now();
  std::vector<std::string> subject_ids(c.subjects);
  std::atomic<int> next{0};
  std::string register_error;
  absl::Mutex error_mu;
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&] {
      for (int i = next++; i < c.subjects; i = next++) {
        cv1::RegisterSubjectRequest req;
        sv1::Party* party = req.mutable_party();
        party->set_role(roles[i % 3]);
        party->set_name(absl::StrCat("压测消防主体", i + 1, "号"));
        party->set_credit_code(CreditCode(i));
        cv1::Subject out;
        grpc::ClientContext cc;
        ctx(&cc);
        grpc::Status s = stub->RegisterSubject(&cc, req, &out);
        if (!s.ok()) {
          absl::MutexLock lock(&error_mu);
          register_error = absl::StrCat("RegisterSubject ", party->credit_code(), ": ",
                                        s.error_code(), " ", s.error_message());
          next = c.subjects;
          return;
        }
        subject_ids[i] = out.subject_id();
      }
    });
  }
  for (auto& t : workers) t.join();
  if (!register_error.empty()) Fail(register_error);
  const absl::Duration register_time = absl::Now() - register_start;

  // ----- the first subject's profile
  cv1::GetProfileRequest profile_req;
  profile_req.set_subject_id(subject_ids[0]);
  cv1::Profile profile;
  grpc::Status last;
  const bool has_profile = testing::WaitUntil(
      [&] {
        grpc::ClientContext cc;
        ctx(&cc);
        last = stub->GetProfile(&cc, profile_req, &profile);
        return last.ok();
      },
      absl::Seconds(60));
  if (!has_profile) Fail("GetProfile of the first subject: " + last.error_message());
  Step(absl::StrCat("registered ", c.subjects, " subjects in ",
                    absl::FormatDuration(absl::Trunc(register_time, absl::Milliseconds(10))), "; ",
                    subject_ids[0], " has a profile (score ", profile.score(), ")"));

  // ----- the request messages (framed by RunH2load)
  const std::string health_message;  // grpc.health.v1.HealthCheckRequest{}: empty
  const std::string profile_message = profile_req.SerializeAsString();
  // The answers every call must carry: HealthCheckResponse{status: SERVING} (field 1, varint 1)
  // and the profile read above (it does not change during the run).
  const long health_framed = static_cast<long>(Framed(std::string("\x08\x01", 2)).size());
  const long profile_framed = static_cast<long>(Framed(profile.SerializeAsString()).size());

  // ----- the two runs, same settings, each after a warm-up run
  const std::string where = credit.grpc_address();
  Step(absl::StrCat("h2load: ", c.requests, " health checks (", c.connections, " connections x ",
                    c.streams, " streams)"));
  RunH2loadOrFail(c, dir.path(), "h2load-health-warmup", where, kHealthPath, health_message, admin,
                  c.warm_up_requests);
  const H2loadResult health = RunH2loadOrFail(c, dir.path(), "h2load-health", where, kHealthPath,
                                              health_message, admin, c.requests);
  Step(absl::StrCat("h2load: ", c.requests, " GetProfile calls (", c.connections, " connections x ",
                    c.streams, " streams)"));
  RunH2loadOrFail(c, dir.path(), "h2load-profile-warmup", where, kProfilePath, profile_message,
                  admin, c.warm_up_requests);
  const H2loadResult get = RunH2loadOrFail(c, dir.path(), "h2load-profile", where, kProfilePath,
                                           profile_message, admin, c.requests);

  // ----- the same request over gRPC: every answer must be OK and the same profile
  int check_ok = 0;
  std::string check_error;
  for (int i = 0; i < c.check_calls; ++i) {
    grpc::ClientContext cc;
    ctx(&cc);
    cv1::Profile again;
    grpc::Status s = stub->GetProfile(&cc, profile_req, &again);
    if (!s.ok()) {
      check_error = absl::StrCat(s.error_code(), " ", s.error_message());
    } else if (static_cast<long>(Framed(again.SerializeAsString()).size()) != profile_framed) {
      check_error = "a profile of another size than the first";
    } else {
      ++check_ok;
    }
  }

  // ----- report
  std::printf(
      "\ncredit profile throughput: h2load over h2c, %d connections x %d streams, %d "
      "requests per run (after %d to warm up), one h2load thread\n",
      c.connections, c.streams, c.requests, c.warm_up_requests);
  std::printf("  %d subjects registered in %s; GetProfile of %s (%ld bytes framed)\n", c.subjects,
              absl::FormatDuration(absl::Trunc(register_time, absl::Milliseconds(10))).c_str(),
              subject_ids[0].c_str(), profile_framed);
  PrintRun("(a) grpc.health.v1.Health/Check (baseline)", health, health_framed);
  PrintRun("(b) firegrid.credit.v1.CreditService/GetProfile", get, profile_framed);
  std::printf("\n  direct gRPC GetProfile calls of the same request: %d of %d OK%s\n", check_ok,
              c.check_calls,
              check_error.empty() ? "" : (" (last error: " + check_error + ")").c_str());

  const bool health_ok = health.AllAnswered(health_framed);
  const bool profile_ok = get.AllAnswered(profile_framed) && check_ok == c.check_calls;
  const double ratio = health.rps > 0 ? get.rps / health.rps : 0;
  std::printf("\n  health check  %10.0f req/s%s\n", health.rps,
              health_ok ? "" : "  (NOT every request answered SERVING)");
  std::printf("  GetProfile    %10.0f req/s%s\n", get.rps,
              profile_ok ? "" : "  (NOT every request answered with the profile)");
  std::printf("  ratio         %10.2fx the health check\n", ratio);
  std::printf("\n  goal GetProfile >= %.1fx the health check, every call answered: %s\n",
              kGoalRatio, health_ok && profile_ok && ratio >= kGoalRatio ? "MET" : "NOT MET");
  PrintFigure("GetProfile throughput",
              health_ok && profile_ok ? absl::StrFormat("%.2f", ratio) : "not every call answered",
              "x health", absl::StrFormat(">= %.1f", kGoalRatio),
              absl::StrFormat("credit health check %.0f req/s", health.rps));

  return 0;  // the stack stops the service, the broker and redis-server
}

}  // namespace
}  // namespace firegrid::bench

int main(int argc, char** argv) {
  firegrid::bench::Config c;
  firegrid::ConfigBinder binder("credit_profile_bench");
  binder.Int("subjects", &c.subjects, 1000, "organisations registered before the runs", 1, 1000000);
  binder.Int("requests", &c.requests, 200000, "requests per h2load run", 100, 100000000);
  binder.Int("warm-up-requests", &c.warm_up_requests, 5000,
             "requests of the warm-up run before each measured run", 100, 10000000);
  binder.Int("connections", &c.connections, 8, "h2load clients (HTTP/2 connections)", 1, 1000);
  binder.Int("streams", &c.streams, 4, "concurrent streams per connection", 1, 1000);
  binder.Int("check-calls", &c.check_calls, 200,
             "direct gRPC GetProfile calls that verify the answers", 1, 1000000);
  binder.String("h2load", &c.h2load, "h2load", "the h2load program (nghttp2-client)");
  return firegrid::bench::ParseFlagsAndRun(binder, argc, argv,
                                           [&] { return firegrid::bench::Run(c); });
}
