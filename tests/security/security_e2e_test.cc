// Authorisation and input safety of every service, end to end: the real buildings, hazards,
// notify, credit, monitoring and accounts binaries with redis-server and the dev broker, all
// started by this test on loopback (monitoring's MQTT broker is absent: its calls do not need
// it).
// Every call goes over the wire as raw bytes (grpc::GenericStub), as an attacker's would.
//
// The suite grows with every service and every defect: a service is one line of Services(); a
// kind of check is one table of cases below, run against every service it applies to. The
// services run with their default limits, except a short --auth-failure-window (10s instead of
// 1m) so the suite recovers quickly after the throttle case locks loopback out.
//
// Sections: 17 rate limits, 18 claims consistency, 19 token lifetime, 20 invalid UTF-8, 15
// webhook destinations and 16 live-stream caps (notify), who may change or read credit, and
// the calls only internal services may make (hazards and notify, for monitoring), and the
// hazards calls a public channel may not make.
#include <atomic>
#include <cctype>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/credit/v1/credit.grpc.pb.h"
#include "firegrid/monitoring/v1/monitoring.grpc.pb.h"
#include "firegrid/accounts/v1/accounts.grpc.pb.h"
#include "services/accounts/test_keys.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/auth/token.h"
#include "libs/common/ids.h"
#include "libs/events/envelope.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/ports.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// --- The services under test -----------------------------------------------------------------

struct Service {
  std::string name;  // "buildings": the binary's service name, and the test-name prefix
  const google::protobuf::ServiceDescriptor* descriptor;
  // A read call that answers a valid token with anything but UNAUTHENTICATED, given an empty
  // (all-default) request: what the authentication cases call.
  std::string probe_method;
};

const std::vector<Service>& Services() {
  static const auto* services = new std::vector<Service>{
      {"buildings",
       buildings::v1::GetBuildingRequest::descriptor()->file()->FindServiceByName(
           "BuildingService"),
       "/firegrid.buildings.v1.BuildingService/GetBuilding"},
      {"hazards",
       hazards::v1::GetHazardRequest::descriptor()->file()->FindServiceByName("HazardService"),
       "/firegrid.hazards.v1.HazardService/GetHazard"},
      {"notify",
       notify::v1::ListInboxRequest::descriptor()->file()->FindServiceByName("NotifyService"),
       "/firegrid.notify.v1.NotifyService/ListInbox"},
      {"credit",
       credit::v1::GetProfileRequest::descriptor()->file()->FindServiceByName("CreditService"),
       "/firegrid.credit.v1.CreditService/GetProfile"},
      {"monitoring",
       monitoring::v1::GetAlarmRequest::descriptor()->file()->FindServiceByName(
           "MonitoringService"),
       "/firegrid.monitoring.v1.MonitoringService/GetAlarm"},
      {"accounts",
       accounts::v1::GetUserRequest::descriptor()->file()->FindServiceByName("AccountsService"),
       "/firegrid.accounts.v1.AccountsService/ListUsers"},
  };
  return *services;
}

void PrintTo(const Service& s, std::ostream* os) { *os << s.name; }

std::string Capitalised(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

// redis-server, the dev broker and the services, started once for the whole suite (the
// first test that needs them starts them) and stopped by the environment at the end.
class Stack {
 public:
  static Stack& Get() {
    static Stack* stack = new Stack();
    return *stack;
  }

  // Starts everything once; later calls return the first outcome.
  absl::Status EnsureStarted() {
    absl::MutexLock lock(&mu_);
    if (!started_) {
      started_ = true;
      start_status_ = StartLocked();
    }
    return start_status_;
  }

  void Stop() {
    absl::MutexLock lock(&mu_);
    for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) {
      if (it->second->running()) (void)it->second->Stop();
    }
    processes_.clear();
    (void)broker_.Stop();
    (void)redis_.Stop();
    dir_.reset();
  }

  std::string KeyFile() {
    absl::MutexLock lock(&mu_);
    return key_file_;
  }
  std::string Dir() {
    absl::MutexLock lock(&mu_);
    return dir_ != nullptr ? dir_->path() : "";
  }

  std::string Address(const std::string& service) {
    absl::MutexLock lock(&mu_);
    return processes_.at(service)->grpc_address();
  }

  // The raw call `method` of `service` with `request` bytes and, unless empty, `token`.
  // The call's status; its response bytes in `response` when given.
  grpc::Status Call(const std::string& service, const std::string& method,
                    const std::string& request, const std::string& token,
                    std::string* response = nullptr) {
    std::shared_ptr<grpc::Channel> channel;
    {
      absl::MutexLock lock(&mu_);
      channel = channels_.at(service);
    }
    grpc::GenericStub stub(channel);
    grpc::Slice slice(request);
    grpc::ByteBuffer req(&slice, 1);
    grpc::ByteBuffer resp;
    auto ctx = testing::CallContext(token);
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(ctx.get(), method, grpc::StubOptions(), &req, &resp, [&](grpc::Status s) {
      status = std::move(s);
      done.Notify();
    });
    done.WaitForNotification();
    if (response != nullptr && status.ok()) {
      std::vector<grpc::Slice> slices;
      if (resp.Dump(&slices).ok()) {
        for (const grpc::Slice& sl : slices) {
          response->append(reinterpret_cast<const char*>(sl.begin()), sl.size());
        }
      }
    }
    return status;
  }

  // Mints a token signed with the services' key (whatever its claims; TokenSigner does not
  // check them, the services do).
  std::string Mint(const auth::Principal& p, absl::Time issued_at, absl::Duration ttl) {
    return *signer_->Sign(p, issued_at, ttl);
  }

 private:
  Stack() : signer_(*auth::TokenSigner::Hs256(testing::kE2eKey)) {}

  absl::Status StartLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (absl::Status s = redis_.Start(); !s.ok()) return s;
    if (absl::Status s = broker_.Start(); !s.ok()) return s;
    dir_ = std::make_unique<testing::TempDir>("security-e2e");
    const std::string key_file = testing::WriteKeyFile(dir_->path());
    key_file_ = key_file;
    const std::string cfg = FIREGRID_CONFIG_DIR;
    const std::string signing_key = dir_->path() + "/accounts-signing-key.pem";
    std::ofstream(signing_key) << accounts::testing::NewRsaPrivatePem();
    const std::map<std::string, std::pair<std::string, std::vector<std::string>>> specs = {
        {"buildings",
         {FIREGRID_BUILDINGS_BIN, {"--rules-file=" + cfg + "/buildings_rules.textproto"}}},
        {"hazards",
         {FIREGRID_HAZARDS_BIN,
          {"--rules-file=" + cfg + "/hazards_rules.textproto",
           "--guidance-file=" + cfg + "/hazards_guidance.textproto"}}},
        {"notify", {FIREGRID_NOTIFY_BIN, {"--plan-file=" + cfg + "/plan_tasks.textproto"}}},
        {"credit", {FIREGRID_CREDIT_BIN, {"--rules-file=" + cfg + "/credit_rules.textproto"}}},
        // No MQTT broker on that port: the MQTT health is NOT_SERVING, the RPCs answer.
        {"monitoring",
         {FIREGRID_MONITORING_BIN,
          {"--rules-file=" + cfg + "/monitoring_rules.textproto",
           absl::StrCat("--mqtt-port=", testing::FreeTcpPort())}}},
        {"accounts", {FIREGRID_ACCOUNTS_BIN, {"--signing-key-file=" + signing_key}}},
    };
    for (const auto& [name, spec] : specs) {
      std::vector<std::string> flags =
          testing::CommonServiceFlags(redis_.address(), broker_.bootstrap(), key_file);
      flags.insert(flags.end(), spec.second.begin(), spec.second.end());
      flags.push_back("--auth-failure-window=10s");
      auto process = std::make_unique<testing::ServiceProcess>(testing::ServiceProcessOptions{
          .binary = spec.first, .name = name, .flags = flags, .log_dir = dir_->path()});
      if (absl::Status s = process->Start(); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat(name, ": ", s.message()));
      }
      channels_[name] =
          grpc::CreateChannel(process->grpc_address(), grpc::InsecureChannelCredentials());
      processes_[name] = std::move(process);
    }
    return absl::OkStatus();
  }

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status start_status_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<testing::TempDir> dir_;
  std::string key_file_ ABSL_GUARDED_BY(mu_);
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::map<std::string, std::unique_ptr<testing::ServiceProcess>> processes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<auth::TokenSigner> signer_;
};

class StackEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { Stack::Get().Stop(); }
};
::testing::Environment* const kStackEnvironment =
    ::testing::AddGlobalTestEnvironment(new StackEnvironment);

// Principals. Subjects are unique per test and service, so that one case's rate-limit bucket
// never affects another's.
auth::Principal Who(auth::Role role, std::string tier, std::string subject,
                    std::string org_unit = "", std::string department = "") {
  auth::Principal p;
  p.subject = std::move(subject);
  p.role = role;
  p.tier_path = std::move(tier);
  p.org_unit = std::move(org_unit);
  p.department = std::move(department);
  return p;
}

std::string ValidToken(const std::string& subject) {
  return Stack::Get().Mint(Who(auth::Role::kDistrictAdmin, "500109", subject), absl::Now(),
                           absl::Hours(1));
}

bool ThrottledAsFailedAuthentication(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
         absl::StrContains(s.error_message(), "failed authentications");
}

// A call whose token may fail, made once loopback is not throttled for earlier failures (the
// throttle case locks it out until the window refills): polls until the answer is not that.
grpc::Status CallWithFailureBudget(const std::string& service, const std::string& method,
                                   const std::string& request, const std::string& token) {
  grpc::Status status;
  testing::WaitUntil(
      [&] {
        status = Stack::Get().Call(service, method, request, token);
        return !ThrottledAsFailedAuthentication(status);
      },
      absl::Seconds(30));
  return status;
}

class StackTest {
 protected:
  static void RequireStack() {
    absl::Status s = Stack::Get().EnsureStarted();
    ASSERT_TRUE(s.ok()) << s;
  }
};

// --- 18 and 19: who the caller is, and for how long ------------------------------------------

struct TokenCase {
  std::string name;
  // The token of the case for a caller named `subject`.
  std::function<std::string(const std::string& subject)> token;
  std::string reason;  // part of the UNAUTHENTICATED message
};

void PrintTo(const TokenCase& c, std::ostream* os) { *os << c.name; }

std::vector<TokenCase> RefusedTokens() {
  using auth::Role;
  auto claims = [](auth::Principal p) {
    return [p](const std::string& subject) {
      auth::Principal q = p;
      q.subject = subject;
      return Stack::Get().Mint(q, absl::Now(), absl::Hours(1));
    };
  };
  auto timed = [](absl::Duration issued_in, absl::Duration ttl) {
    return [issued_in, ttl](const std::string& subject) {
      return Stack::Get().Mint(Who(Role::kCommunityWorker, "500109001002", subject),
                               absl::Now() + issued_in, ttl);
    };
  };
  return {
      // 18: claims that contradict the role.
      {"CommunityWorkerWithAOneDigitTier", claims(Who(Role::kCommunityWorker, "5", "")),
       "tier_path is not a division code"},
      {"CommunityWorkerClaimingTheDistrict", claims(Who(Role::kCommunityWorker, "500109", "")),
       "needs a community/village tier_path"},
      {"CommunityWorkerActingForADepartment",
       claims(Who(Role::kCommunityWorker, "500109001002", "", "500109.fire_rescue")),
       "org_unit is not its tier_path"},
      {"DepartmentOfficerActingForAnotherDepartment",
       claims(Who(Role::kDepartmentOfficer, "500109", "", "500109.fire_rescue", "gas")),
       "org_unit is not <tier_path>.<department>"},
      {"DepartmentOfficerWithoutADepartment", claims(Who(Role::kDepartmentOfficer, "500109", "")),
       "needs a department claim"},
      {"BuildingManagerActingForADepartment",
       claims(Who(Role::kBuildingManager, "", "", "500109.fire_rescue")),
       "may not carry an org_unit claim"},
      // 19: lifetimes beyond the maximum, issue times in the future.
      {"ExpiringAThousandYearsAhead", timed(absl::ZeroDuration(), absl::Hours(24 * 365 * 1000)),
       "lifetime"},
      {"LivingTwoDays", timed(absl::ZeroDuration(), absl::Hours(48)), "lifetime"},
      {"IssuedAYearAhead", timed(absl::Hours(24 * 365), absl::Hours(1)), "issued in the future"},
      {"IssuedAnHourAhead", timed(absl::Hours(1), absl::Hours(1)), "issued in the future"},
  };
}

class RefusedToken : public StackTest,
                     public ::testing::TestWithParam<std::tuple<Service, TokenCase>> {};

TEST_P(RefusedToken, IsUnauthenticatedNamingTheReason) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  const auto& [service, c] = GetParam();
  const std::string token = c.token(absl::StrCat("sec-", service.name, "-", c.name));
  grpc::Status s = CallWithFailureBudget(service.name, service.probe_method, "", token);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr(c.reason));
}

INSTANTIATE_TEST_SUITE_P(EveryService, RefusedToken,
                         ::testing::Combine(::testing::ValuesIn(Services()),
                                            ::testing::ValuesIn(RefusedTokens())),
                         [](const auto& info) {
                           return Capitalised(std::get<0>(info.param).name) + "_" +
                                  std::get<1>(info.param).name;
                         });

std::vector<TokenCase> AcceptedTokens() {
  using auth::Role;
  auto claims = [](auth::Principal p, absl::Duration ttl = absl::Hours(1)) {
    return [p, ttl](const std::string& subject) {
      auth::Principal q = p;
      q.subject = subject;
      return Stack::Get().Mint(q, absl::Now(), ttl);
    };
  };
  return {
      {"DistrictAdmin", claims(Who(Role::kDistrictAdmin, "500109", "", "500109")), ""},
      {"StreetOfficer", claims(Who(Role::kStreetOfficer, "500109001", "")), ""},
      {"CommunityWorkerWithItsOrgUnit",
       claims(Who(Role::kCommunityWorker, "500109001002", "", "500109001002")), ""},
      {"DepartmentOfficer",
       claims(Who(Role::kDepartmentOfficer, "500109", "", "500109.fire_rescue", "fire_rescue")),
       ""},
      {"BuildingManager", claims(Who(Role::kBuildingManager, "", "")), ""},
      {"MicroStation", claims(Who(Role::kMicroStation, "500109001", "", "mfs_sec01")), ""},
      {"IotGateway", claims(Who(Role::kIotGateway, "", "")), ""},
      {"LivingTheMaximumOf24Hours",
       claims(Who(Role::kDistrictAdmin, "500109", ""), absl::Hours(24)), ""},
  };
}

class AcceptedToken : public StackTest,
                      public ::testing::TestWithParam<std::tuple<Service, TokenCase>> {};

TEST_P(AcceptedToken, AuthenticatesTheCaller) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  const auto& [service, c] = GetParam();
  const std::string token = c.token(absl::StrCat("sec-", service.name, "-", c.name));
  grpc::Status s = CallWithFailureBudget(service.name, service.probe_method, "", token);
  EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_NE(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
}

INSTANTIATE_TEST_SUITE_P(EveryService, AcceptedToken,
                         ::testing::Combine(::testing::ValuesIn(Services()),
                                            ::testing::ValuesIn(AcceptedTokens())),
                         [](const auto& info) {
                           return Capitalised(std::get<0>(info.param).name) + "_" +
                                  std::get<1>(info.param).name;
                         });

// --- 20: a string field that is not UTF-8, on every method of every service ------------------

struct MethodCase {
  std::string service;
  std::string method;        // "/pkg.Service/Method"
  std::string request_type;  // full name
  int string_field = 0;      // number of a top-level string field of the request
  bool server_streaming = false;
  bool client_streaming = false;
};

void PrintTo(const MethodCase& c, std::ostream* os) {
  *os << c.method << " (" << c.request_type << " field " << c.string_field << ")";
}

std::vector<MethodCase> MethodsWithAStringField() {
  std::vector<MethodCase> out;
  for (const Service& s : Services()) {
    for (int i = 0; i < s.descriptor->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* m = s.descriptor->method(i);
      const google::protobuf::Descriptor* in = m->input_type();
      for (int f = 0; f < in->field_count(); ++f) {
        const google::protobuf::FieldDescriptor* field = in->field(f);
        if (field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
            !field->is_repeated() && field->containing_oneof() == nullptr) {
          out.push_back({s.name, absl::StrCat("/", s.descriptor->full_name(), "/", m->name()),
                         in->full_name(), field->number(), m->server_streaming(),
                         m->client_streaming()});
          break;
        }
      }
    }
  }
  return out;
}

// A request whose only field is string field `number` holding `text` (any bytes).
std::string StringFieldBytes(int number, const std::string& text) {
  std::string out;
  auto varint = [&out](uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  };
  varint((static_cast<uint64_t>(number) << 3) | 2);
  varint(text.size());
  out += text;
  return out;
}

class InvalidUtf8 : public StackTest, public ::testing::TestWithParam<MethodCase> {};

TEST_P(InvalidUtf8, IsInvalidArgumentNamingTheProblem) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  const MethodCase& c = GetParam();
  const std::string request = StringFieldBytes(c.string_field, "caf\xc3\x28");  // 0xC3 unpaired
  // A client stream is read only after its caller is authorised: send it as the one role every
  // such method admits (monitoring's Ingest: internal services and gateways).
  const std::string token =
      c.client_streaming
          ? Stack::Get().Mint(Who(auth::Role::kInternalService, "", "sec-utf8-svc"), absl::Now(),
                              absl::Hours(1))
          : ValidToken(absl::StrCat("sec-utf8-", c.service));
  std::string response;
  grpc::Status s = Stack::Get().Call(c.service, c.method, request, token, &response);
  if (c.client_streaming) {
    // gRPC ends a client stream at a request it cannot parse exactly as at the client's
    // half-close, so the server cannot refuse it by name; it must not take it either: the
    // response says no request was read (IngestResponse.batches), and the gateway re-sends.
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(c.method, "/firegrid.monitoring.v1.MonitoringService/Ingest")
        << "a new client-streaming method: say here how its caller learns of a request that "
           "did not parse";
    monitoring::v1::IngestResponse ingested;
    ASSERT_TRUE(ingested.ParseFromString(response));
    EXPECT_EQ(ingested.batches(), 0);
    EXPECT_EQ(ingested.accepted(), 0);
    return;
  }
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("not valid UTF-8"));
  EXPECT_THAT(s.error_message(), HasSubstr(c.request_type));
}

std::string MethodCaseName(const ::testing::TestParamInfo<MethodCase>& info) {
  const std::string& m = info.param.method;
  return Capitalised(info.param.service) + "_" + m.substr(m.rfind('/') + 1);
}

INSTANTIATE_TEST_SUITE_P(EveryMethod, InvalidUtf8, ::testing::ValuesIn(MethodsWithAStringField()),
                         MethodCaseName);

// The same field with valid UTF-8 text is not refused for its encoding (whatever else the
// method thinks of it). Unary methods only: a valid Subscribe stays open.
class ValidUtf8 : public StackTest, public ::testing::TestWithParam<MethodCase> {};

TEST_P(ValidUtf8, InTheSameFieldIsNotRefusedForItsEncoding) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  const MethodCase& c = GetParam();
  const std::string request = StringFieldBytes(c.string_field, "北碚 café");
  grpc::Status s = Stack::Get().Call(c.service, c.method, request,
                                     ValidToken(absl::StrCat("sec-utf8-", c.service)));
  EXPECT_NE(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
  EXPECT_THAT(s.error_message(), Not(HasSubstr("UTF-8")));
}

std::vector<MethodCase> UnaryMethodsWithAStringField() {
  std::vector<MethodCase> out;
  for (MethodCase& c : MethodsWithAStringField()) {
    if (!c.server_streaming) out.push_back(std::move(c));
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(EveryUnaryMethod, ValidUtf8,
                         ::testing::ValuesIn(UnaryMethodsWithAStringField()), MethodCaseName);

TEST(InvalidUtf8Coverage, EveryServiceHasMethodsUnderTest) {
  std::map<std::string, int> per_service;
  for (const MethodCase& c : MethodsWithAStringField()) ++per_service[c.service];
  for (const Service& s : Services()) EXPECT_GE(per_service[s.name], 3) << s.name;
}

// --- 17: rate limits, on by default ----------------------------------------------------------

class RateLimit : public StackTest, public ::testing::TestWithParam<Service> {
 protected:
  // Calls the probe as `subject` from `threads` threads until one call is refused as
  // RESOURCE_EXHAUSTED or `max_calls` were made. Returns the calls made before the refusal
  // (all of them when none was refused) and the refusal's message.
  std::pair<int, std::string> Flood(const std::string& subject, int max_calls, int threads = 4) {
    const Service& service = GetParam();
    const std::string token = ValidToken(subject);
    // Not throttled for an earlier case's failed authentications (which this would measure).
    EXPECT_TRUE(testing::WaitUntil(
        [&] {
          return !ThrottledAsFailedAuthentication(
              Stack::Get().Call(service.name, service.probe_method, "", ValidToken("sec-ready")));
        },
        absl::Seconds(30)));
    std::atomic<int> calls{0};
    std::atomic<bool> refused{false};
    absl::Mutex mu;
    std::string message;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        while (!refused.load() && calls.fetch_add(1) < max_calls) {
          grpc::Status s = Stack::Get().Call(service.name, service.probe_method, "", token);
          if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
            absl::MutexLock lock(&mu);
            if (!refused.exchange(true)) message = s.error_message();
          }
        }
      });
    }
    for (auto& t : pool) t.join();
    return {std::min(calls.load(), max_calls), message};
  }
};

// A system's batch: hundreds of calls in a burst from one principal all pass.
TEST_P(RateLimit, ABurstOfHundredsOfCallsFromOnePrincipalPasses) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  auto [calls, refusal] = Flood(absl::StrCat("sec-batch-", GetParam().name), 400);
  EXPECT_EQ(refusal, "") << "refused after " << calls << " calls";
  EXPECT_EQ(calls, 400);
}

// A flood from one principal is throttled with the services' default limits.
TEST_P(RateLimit, AFloodFromOnePrincipalIsThrottledByDefault) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  auto [calls, refusal] = Flood(absl::StrCat("sec-flood-", GetParam().name), 5000);
  EXPECT_THAT(refusal, HasSubstr("rate limit")) << "not refused in " << calls << " calls";
  EXPECT_LT(calls, 5000);
}

// Bad tokens from one client address are throttled before they are verified: after the
// address's failures are spent, even a valid token is refused, until the window refills.
TEST_P(RateLimit, FailedAuthenticationsThrottleTheClientAddress) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  const Service& service = GetParam();
  const std::string forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
  grpc::Status s;
  int failures = 0;
  for (; failures < 1000; ++failures) {
    s = Stack::Get().Call(service.name, service.probe_method, "", forged);
    if (s.error_code() != grpc::StatusCode::UNAUTHENTICATED) break;
  }
  ASSERT_TRUE(ThrottledAsFailedAuthentication(s))
      << failures << " failures, then " << s.error_code() << " " << s.error_message();
  EXPECT_LE(failures, 100);
  const std::string valid = ValidToken(absl::StrCat("sec-throttled-", service.name));
  // The allowance refills continuously (30 per window), so one failure's worth may come back
  // between the last forged call and this one and let the valid token through: spend it again
  // and retry. A throttle that never refuses valid tokens fails every round.
  bool refused_valid = false;
  for (int round = 0; round < 5 && !refused_valid; ++round) {
    for (int spent = 0; spent < 1000 && !ThrottledAsFailedAuthentication(Stack::Get().Call(
                                            service.name, service.probe_method, "", forged));
         ++spent) {
    }
    refused_valid = ThrottledAsFailedAuthentication(
        Stack::Get().Call(service.name, service.probe_method, "", valid));
  }
  EXPECT_TRUE(refused_valid) << "a valid token was served while the failures were spent";
  // The window refills: the valid token is served again.
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        grpc::Status again = Stack::Get().Call(service.name, service.probe_method, "", valid);
        return again.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED &&
               again.error_code() != grpc::StatusCode::UNAUTHENTICATED;
      },
      absl::Seconds(30)));
}

// The limits are sized for real use: the demo loader (hundreds of buildings and their follow-up
// steps as one district admin, then the hazards' lifecycle steps) completes against the
// defaults; beyond a burst it is slowed (it retries RESOURCE_EXHAUSTED with backoff), not failed.
class RealUse : public StackTest, public ::testing::Test {};

TEST_F(RealUse, TheDemoLoaderPassesTheDefaultLimits) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  testing::Subprocess loader;
  ASSERT_TRUE(
      loader
          .Start({.argv = {FIREGRID_DEMO_LOADER_BIN, "--addr=" + Stack::Get().Address("buildings"),
                           "--hazards-addr=" + Stack::Get().Address("hazards"),
                           "--key-file=" + Stack::Get().KeyFile()},
                  .log_dir = Stack::Get().Dir(),
                  .name = "demo-loader"})
          .ok());
  absl::StatusOr<int> code = loader.Wait(absl::Minutes(5));
  ASSERT_TRUE(code.ok()) << code.status();
  std::ifstream err(Stack::Get().Dir() + "/demo-loader.stderr");
  std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  EXPECT_EQ(*code, 0) << text;
}

INSTANTIATE_TEST_SUITE_P(EveryService, RateLimit, ::testing::ValuesIn(Services()),
                         [](const ::testing::TestParamInfo<Service>& info) {
                           return Capitalised(info.param.name);
                         });

// --- 15 and 16 (notify): webhook destinations and live-stream caps ---------------------------

// 15. A webhook may not point into the network notify runs in. Every case names its address as
// a numeric literal, which notify judges when the webhook is set, before any connection (names
// are resolved and judged at delivery, and the connection pinned to the checked address: see
// services/notify/webhook_destination.h and its tests). Nothing here connects anywhere.
struct DestinationCase {
  std::string name;
  std::string url;
};

std::ostream& operator<<(std::ostream& os, const DestinationCase& c) { return os << c.url; }

class WebhookDestination : public StackTest, public ::testing::TestWithParam<DestinationCase> {};

TEST_P(WebhookDestination, NonGlobalAddressIsRefusedWhenTheWebhookIsSet) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  notify::v1::SetWebhookRequest req;
  req.mutable_webhook()->set_org_unit("500109.urban_management");
  req.mutable_webhook()->set_url(GetParam().url);
  req.mutable_webhook()->set_secret("a-webhook-secret-of-enough-length");
  req.mutable_webhook()->set_enabled(true);
  grpc::Status s =
      Stack::Get().Call("notify", "/firegrid.notify.v1.NotifyService/SetWebhook",
                        req.SerializeAsString(), ValidToken("sec-webhook-" + GetParam().name));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("webhook.url"));
}

INSTANTIATE_TEST_SUITE_P(
    Notify, WebhookDestination,
    ::testing::Values(DestinationCase{"Loopback", "https://127.0.0.1:9464/metrics"},
                      DestinationCase{"LoopbackAsOneNumber", "https://2130706433/"},
                      DestinationCase{"LoopbackInHexParts", "https://0x7f.1/"},
                      DestinationCase{"LoopbackV6", "https://[::1]:6379/"},
                      DestinationCase{"V4MappedLoopback", "https://[::ffff:127.0.0.1]/"},
                      DestinationCase{"CloudMetadataLinkLocal", "https://169.254.169.254/latest"},
                      DestinationCase{"PrivateTen", "https://10.0.0.1/"},
                      DestinationCase{"PrivateOneNineTwo", "https://192.168.1.1/"},
                      DestinationCase{"Unspecified", "https://0.0.0.0/"},
                      DestinationCase{"Multicast", "https://224.0.0.1/"}),
    [](const ::testing::TestParamInfo<DestinationCase>& info) { return info.param.name; });

// 16. Live streams are capped per principal (8 by default): the next one is refused with
// RESOURCE_EXHAUSTED while the others stay open, and a slot is free again when one ends.
class StreamCap : public StackTest, public ::testing::Test {};

TEST_F(StreamCap, SubscribeBeyondThePerPrincipalCapIsResourceExhaustedUntilAStreamEnds) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  const std::string token =
      Stack::Get().Mint(Who(auth::Role::kCommunityWorker, "500109001002", "sec-streams"),
                        absl::Now(), absl::Hours(1));
  auto stub = notify::v1::NotifyService::NewStub(
      grpc::CreateChannel(Stack::Get().Address("notify"), grpc::InsecureChannelCredentials()));
  struct Open {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<notify::v1::SubscribeResponse>> reader;
  };
  // Opens a stream and reads until it is served (caught_up) or refused (it ends).
  auto open = [&](Open* o) {
    auth::AttachToken(&o->ctx, token);
    notify::v1::SubscribeRequest req;
    req.set_live_only(true);
    o->reader = stub->Subscribe(&o->ctx, req);
    notify::v1::SubscribeResponse resp;
    while (o->reader->Read(&resp)) {
      if (resp.caught_up()) return grpc::Status::OK;
    }
    return o->reader->Finish();
  };
  std::vector<std::unique_ptr<Open>> streams;
  for (int i = 0; i < 8; ++i) {
    streams.push_back(std::make_unique<Open>());
    grpc::Status s = open(streams.back().get());
    ASSERT_TRUE(s.ok()) << "stream " << i << ": " << s.error_message();
  }
  Open ninth;
  grpc::Status refused = open(&ninth);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  // One ends: a new one is served.
  streams.back()->ctx.TryCancel();
  (void)streams.back()->reader->Finish();
  streams.pop_back();
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        Open again;
        grpc::Status s = open(&again);
        again.ctx.TryCancel();
        if (s.ok()) (void)again.reader->Finish();
        return s.ok();
      },
      absl::Seconds(10)));
  for (auto& o : streams) {
    o->ctx.TryCancel();
    (void)o->reader->Finish();
  }
}

// --- credit: who may change or read credit ---------------------------------------------------

struct CreditDenial {
  std::string name;
  std::string method;  // CreditService method
  std::function<std::string()> request;  // serialized request
  auth::Principal caller;
  grpc::StatusCode expected = grpc::StatusCode::PERMISSION_DENIED;
};

void PrintTo(const CreditDenial& c, std::ostream* os) { *os << c.name; }

std::vector<CreditDenial> CreditDenials() {
  using auth::Role;
  const std::string agency = "org:91110000600037341L";
  auto manual = [agency](const std::string& rule) {
    return [agency, rule] {
      credit::v1::RecordManualRequest r;
      r.set_subject_id(agency);
      r.set_rule_id(rule);
      r.set_reason("检查发现");
      r.set_legal_basis("《消防法》第六十九条");
      return r.SerializeAsString();
    };
  };
  auto review_objection = [agency] {
    credit::v1::ReviewObjectionRequest r;
    r.set_entry_id(agency + "#bl1");
    r.set_note("复核");
    return r.SerializeAsString();
  };
  auto review_repair = [agency] {
    credit::v1::ReviewRepairRequest r;
    r.set_entry_id(agency + "#bl1");
    r.set_approved(true);
    r.set_note("同意修复");
    return r.SerializeAsString();
  };
  auto propose = [agency] {
    credit::v1::ProposeBlacklistRequest r;
    r.set_subject_id(agency);
    r.set_reason("虚假报告");
    r.set_legal_basis("《消防法》第六十九条");
    return r.SerializeAsString();
  };
  auto ranking = [] {
    credit::v1::ListRankingRequest r;
    r.set_type(subjects::v1::SUBJECT_TYPE_MANAGER);
    return r.SerializeAsString();
  };
  auto reg = [] {
    credit::v1::RegisterSubjectRequest r;
    r.mutable_party()->set_role(subjects::v1::PARTY_ROLE_OWNER);
    r.mutable_party()->set_name("某置业有限公司");
    r.mutable_party()->set_credit_code("91350100M000100Y43");
    return r.SerializeAsString();
  };
  auto profile = [agency] {
    credit::v1::GetProfileRequest r;
    r.set_subject_id(agency);
    return r.SerializeAsString();
  };
  auto empty = [] { return std::string(); };
  const auto manager = Who(Role::kBuildingManager, "500109001002", "sec-credit-mgr");
  const auto worker = Who(Role::kCommunityWorker, "500109001002", "sec-credit-worker");
  const auto street = Who(Role::kStreetOfficer, "500109001", "sec-credit-street");
  const auto fire =
      Who(Role::kDepartmentOfficer, "500109", "sec-credit-fire", "", "fire_rescue");
  const auto urban =
      Who(Role::kDepartmentOfficer, "500109", "sec-credit-urban", "", "urban_management");
  const auto agency_p = Who(Role::kServiceAgency, "", "sec-credit-agency");
  return {
      {"ExportByABuildingManager", "Export", empty, manager},
      {"ExportByAFireRescueOfficer", "Export", empty, fire},
      {"ScoreDeductionByABuildingManager", "RecordManual",
       manual("violation.false_inspection_report"), manager},
      {"FalseReportByAnotherDepartment", "RecordManual",
       manual("violation.false_inspection_report"), urban},
      {"CommendationByADepartment", "RecordManual", manual("credit.commendation"), fire},
      {"ProposalByACommunityWorker", "ProposeBlacklist", propose, worker},
      {"ObjectionReviewByAStreetOfficer", "ReviewObjection", review_objection, street},
      {"RepairReviewByFireRescue", "ReviewRepair", review_repair, fire},
      {"RankingByAServiceAgency", "ListRanking", ranking, agency_p},
      {"RegistrationByACommunityWorker", "RegisterSubject", reg, worker},
      {"ProfileOfAnotherSubjectByAnAgency", "GetProfile", profile, agency_p,
       grpc::StatusCode::NOT_FOUND},
  };
}

class CreditAuthorisation : public StackTest, public ::testing::TestWithParam<CreditDenial> {};

TEST_P(CreditAuthorisation, IsRefused) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  const CreditDenial& c = GetParam();
  const std::string token = Stack::Get().Mint(c.caller, absl::Now(), absl::Hours(1));
  grpc::Status s;
  // Reads answer UNAVAILABLE until the first generation is in force (a second or so after start).
  testing::WaitUntil(
      [&] {
        s = Stack::Get().Call("credit", "/firegrid.credit.v1.CreditService/" + c.method,
                              c.request(), token);
        return s.error_code() != grpc::StatusCode::UNAVAILABLE;
      },
      absl::Seconds(30));
  EXPECT_EQ(s.error_code(), c.expected) << s.error_message();
}

INSTANTIATE_TEST_SUITE_P(Credit, CreditAuthorisation, ::testing::ValuesIn(CreditDenials()),
                         [](const auto& info) { return info.param.name; });

// --- Calls only internal services make (the monitoring service's) ---------------------------
// Pushing an event to notify, filing a hazard for a device alarm and noting a device alarm
// cleared: every other role is refused, the new micro_station and iot_gateway included, before
// anything is looked up (so the refusal says nothing about what exists). An internal service
// gets through to the lookup.

struct InternalCall {
  std::string name;
  std::string service;
  std::string method;  // "/pkg.Service/Method"
  std::function<std::string()> request;
};

void PrintTo(const InternalCall& c, std::ostream* os) { *os << c.name; }

std::vector<InternalCall> InternalOnlyCalls() {
  auto push = [] {
    hazards::v1::HazardReported e;
    e.mutable_hazard()->set_hazard_id("hzd_sec01");
    SequentialIdGenerator ids;
    notify::v1::PushEventRequest r;
    r.set_envelope(events::SerializeEnvelope(
        events::NewEnvelope(e, "hazards", "bld_sec01", "500109001002", absl::Now(), ids)));
    return r.SerializeAsString();
  };
  auto report = [] {
    hazards::v1::ReportHazardRequest r;
    r.set_building_id("bld_sec01");
    r.set_category(hazards::v1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER);
    r.set_severity(hazards::v1::SEVERITY_GENERAL);
    r.set_source(hazards::v1::SOURCE_IOT);
    r.set_description("管网压力低");
    r.mutable_device_alarm()->set_alarm_id("alm_sec01");
    r.mutable_device_alarm()->set_device_id("dev-sec-01");
    return r.SerializeAsString();
  };
  auto cleared = [] {
    hazards::v1::NoteDeviceAlarmClearedRequest r;
    r.set_hazard_id("hzd_sec01");
    r.set_alarm_id("alm_sec01");
    return r.SerializeAsString();
  };
  return {
      {"PushEvent", "notify", "/firegrid.notify.v1.NotifyService/PushEvent", push},
      {"ReportHazardWithADeviceAlarm", "hazards", "/firegrid.hazards.v1.HazardService/ReportHazard",
       report},
      {"NoteDeviceAlarmCleared", "hazards",
       "/firegrid.hazards.v1.HazardService/NoteDeviceAlarmCleared", cleared},
  };
}

struct OtherRole {
  std::string name;
  auth::Principal who;
};

void PrintTo(const OtherRole& r, std::ostream* os) { *os << r.name; }

std::vector<OtherRole> EveryRoleButInternalService() {
  using auth::Role;
  return {
      {"DistrictAdmin", Who(Role::kDistrictAdmin, "500109", "")},
      {"DepartmentOfficer", Who(Role::kDepartmentOfficer, "500109", "", "", "fire_rescue")},
      {"StreetOfficer", Who(Role::kStreetOfficer, "500109001", "")},
      {"CommunityWorker", Who(Role::kCommunityWorker, "500109001002", "")},
      {"BuildingManager", Who(Role::kBuildingManager, "", "")},
      {"ServiceAgency", Who(Role::kServiceAgency, "", "")},
      {"MicroStation", Who(Role::kMicroStation, "500109001", "", "mfs_sec01")},
      {"IotGateway", Who(Role::kIotGateway, "", "")},
      {"PublicChannel", Who(Role::kPublicChannel, "500109", "")},
  };
}

class InternalOnly : public StackTest,
                     public ::testing::TestWithParam<std::tuple<InternalCall, OtherRole>> {};

TEST_P(InternalOnly, IsPermissionDeniedToEveryOtherRole) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  const auto& [call, role] = GetParam();
  auth::Principal caller = role.who;
  caller.subject = absl::StrCat(role.who.role == auth::Role::kPublicChannel ? "channel:" : "",
                                "sec-internal-", call.name, "-", role.name);
  grpc::Status s = Stack::Get().Call(call.service, call.method, call.request(),
                                     Stack::Get().Mint(caller, absl::Now(), absl::Hours(1)));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
}

INSTANTIATE_TEST_SUITE_P(ServiceCalls, InternalOnly,
                         ::testing::Combine(::testing::ValuesIn(InternalOnlyCalls()),
                                            ::testing::ValuesIn(EveryRoleButInternalService())),
                         [](const auto& info) {
                           return std::get<0>(info.param).name + "_By" +
                                  std::get<1>(info.param).name;
                         });

// The control: the same calls from an internal service pass the role check (the hazard and the
// building do not exist; the pushed event notifies no one).
class InternalService : public StackTest, public ::testing::Test {};

TEST_F(InternalService, CallsPassTheRoleCheck) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  auth::Principal service = Who(auth::Role::kInternalService, "", "service:sec-monitoring");
  const std::string token = Stack::Get().Mint(service, absl::Now(), absl::Hours(1));
  std::map<std::string, grpc::StatusCode> want = {
      {"PushEvent", grpc::StatusCode::OK},
      {"ReportHazardWithADeviceAlarm", grpc::StatusCode::NOT_FOUND},
      {"NoteDeviceAlarmCleared", grpc::StatusCode::NOT_FOUND},
  };
  for (const InternalCall& c : InternalOnlyCalls()) {
    grpc::Status s = Stack::Get().Call(c.service, c.method, c.request(), token);
    EXPECT_EQ(s.error_code(), want.at(c.name)) << c.name << ": " << s.error_message();
  }
}

// --- Public channels (Open311 through the gateway) -------------------------------------------
// A public_channel caller may only report hazards and read its own reports: every other hazards
// method is PERMISSION_DENIED before its request is read (an empty request, which those methods
// would otherwise refuse as INVALID_ARGUMENT), the two new ones included. The control: the three
// it may call get past the role check to the request (ReportHazard: INVALID_ARGUMENT for the
// empty request; GetHazard: INVALID_ARGUMENT hazard_id; ListHazards: OK, its own reports).

struct HazardsMethod {
  std::string name;
};

void PrintTo(const HazardsMethod& m, std::ostream* os) { *os << m.name; }

std::vector<HazardsMethod> HazardsMethodsAPublicChannelMayNotCall() {
  const google::protobuf::ServiceDescriptor* service =
      hazards::v1::GetHazardRequest::descriptor()->file()->FindServiceByName("HazardService");
  std::vector<HazardsMethod> out;
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string name = service->method(i)->name();
    if (name != "ReportHazard" && name != "GetHazard" && name != "ListHazards") {
      out.push_back({name});
    }
  }
  return out;
}

class PublicChannelHazards : public StackTest, public ::testing::TestWithParam<HazardsMethod> {};

TEST_P(PublicChannelHazards, IsPermissionDeniedBeforeTheRequestIsRead) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  const auth::Principal channel =
      Who(auth::Role::kPublicChannel, "500109", "channel:sec-" + GetParam().name);
  grpc::Status s =
      Stack::Get().Call("hazards", "/firegrid.hazards.v1.HazardService/" + GetParam().name, "",
                        Stack::Get().Mint(channel, absl::Now(), absl::Hours(1)));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
}

INSTANTIATE_TEST_SUITE_P(EveryOtherMethod, PublicChannelHazards,
                         ::testing::ValuesIn(HazardsMethodsAPublicChannelMayNotCall()),
                         [](const auto& info) { return info.param.name; });

TEST(PublicChannelHazardsCoverage, TheNewMethodsAreUnderTest) {
  std::set<std::string> names;
  for (const auto& m : HazardsMethodsAPublicChannelMayNotCall()) names.insert(m.name);
  EXPECT_TRUE(names.count("MatchPublicReport"));
  EXPECT_TRUE(names.count("GetStatisticsTrend"));
  EXPECT_TRUE(names.count("VerifyHazard"));
  EXPECT_FALSE(names.count("ReportHazard"));
}

class PublicChannelControl : public StackTest, public ::testing::Test {};

TEST_F(PublicChannelControl, ReportGetAndListPassTheRoleCheck) {
  ASSERT_NO_FATAL_FAILURE(RequireStack());
  const std::string token =
      Stack::Get().Mint(Who(auth::Role::kPublicChannel, "500109", "channel:sec-control"),
                        absl::Now(), absl::Hours(1));
  const std::map<std::string, grpc::StatusCode> want = {
      {"ReportHazard", grpc::StatusCode::INVALID_ARGUMENT},
      {"GetHazard", grpc::StatusCode::INVALID_ARGUMENT},
      {"ListHazards", grpc::StatusCode::OK},
  };
  for (const auto& [method, code] : want) {
    grpc::Status s =
        Stack::Get().Call("hazards", "/firegrid.hazards.v1.HazardService/" + method, "", token);
    EXPECT_EQ(s.error_code(), code) << method << ": " << s.error_message();
  }
}

}  // namespace
}  // namespace firegrid
