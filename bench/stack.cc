#include "bench/stack.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/auth/grpc_auth.h"

namespace firegrid::bench {
namespace {

testing::RedisServerOptions BenchRedis() {
  testing::RedisServerOptions o;
  o.appendfsync = "everysec";  // as deploy/run-local.sh runs it
  return o;
}

struct Binary {
  const char* path;  // empty when the binary is not part of this build
  const char* name;
  std::vector<std::string> config;  // its config files, as flags
};

Binary BinaryOf(Service s) {
  const std::string cfg = FIREGRID_CONFIG_DIR;
  switch (s) {
    case Service::kBuildings:
      return {FIREGRID_BUILDINGS_BIN,
              "buildings",
              {"--rules-file=" + cfg + "/buildings_rules.textproto"}};
    case Service::kHazards:
      return {FIREGRID_HAZARDS_BIN,
              "hazards",
              {"--rules-file=" + cfg + "/hazards_rules.textproto",
               "--guidance-file=" + cfg + "/hazards_guidance.textproto"}};
    case Service::kNotify:
      return {FIREGRID_NOTIFY_BIN, "notify", {"--plan-file=" + cfg + "/plan_tasks.textproto"}};
    case Service::kCredit:
      return {FIREGRID_CREDIT_BIN, "credit", {"--rules-file=" + cfg + "/credit_rules.textproto"}};
    case Service::kMonitoring:
#ifdef FIREGRID_MONITORING_BIN
      return {FIREGRID_MONITORING_BIN,
              "monitoring",
              {"--rules-file=" + cfg + "/monitoring_rules.textproto"}};
#else
      return {"", "monitoring", {}};
#endif
  }
  return {"", "unknown", {}};
}

}  // namespace

void Fail(const std::string& what) {
  std::cerr << program_invocation_short_name << ": " << what << std::endl;
  std::exit(1);
}

void Step(const std::string& what) { std::cerr << "[bench] " << what << std::endl; }

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return NAN;
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

std::string Ms(double ms) {
  if (std::isnan(ms)) return "-";
  return ms < 10 ? absl::StrFormat("%.2fms", ms) : absl::StrFormat("%.1fms", ms);
}

int ParseFlagsAndRun(ConfigBinder& binder, int argc, char** argv, const std::function<int()>& run) {
  absl::Status s = binder.Parse(argc, argv, {});
  if (ConfigBinder::IsHelp(s)) {
    std::cout << s.message() << "\n";
    return 0;
  }
  if (!s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  return run();
}

const std::vector<hazards::v1::HazardCategory>& FireRescueCategories() {
  namespace hv1 = ::firegrid::hazards::v1;
  static const auto* c = new std::vector<hv1::HazardCategory>{
      hv1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER,   hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT,
      hv1::HAZARD_CATEGORY_COMBUSTIBLE_STRUCTURE,     hv1::HAZARD_CATEGORY_OLD_BUILDING_FACILITIES,
      hv1::HAZARD_CATEGORY_BUILDER_PRODUCT_VIOLATION, hv1::HAZARD_CATEGORY_RESPONSIBILITY_NOT_FILED,
      hv1::HAZARD_CATEGORY_EVACUATION_BLOCKED,        hv1::HAZARD_CATEGORY_CONTROL_ROOM_UNMANNED,
  };
  return *c;
}

void UpsertOrgUnit(buildings::v1::BuildingService::Stub& stub, const std::string& admin_token,
                   const std::string& code, buildings::v1::OrgUnitKind kind,
                   const std::string& parent) {
  buildings::v1::UpsertOrgUnitRequest u;
  u.mutable_org_unit()->set_code(code);
  u.mutable_org_unit()->set_kind(kind);
  u.mutable_org_unit()->set_parent_code(parent);
  u.mutable_org_unit()->set_name(absl::StrCat("bench ", code));
  buildings::v1::OrgUnit out;
  grpc::ClientContext cc;
  cc.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  auth::AttachToken(&cc, admin_token);
  if (grpc::Status s = stub.UpsertOrgUnit(&cc, u, &out); !s.ok()) {
    Fail("UpsertOrgUnit: " + s.error_message());
  }
}

std::string CreateBuilding(buildings::v1::BuildingService::Stub& stub,
                           const std::string& admin_token, const std::string& name,
                           const std::string& community, double latitude, double longitude) {
  buildings::v1::CreateBuildingRequest req;
  buildings::v1::Building* b = req.mutable_building();
  b->set_name(name);
  b->set_tier_path(community);
  b->mutable_location()->set_latitude(latitude);
  b->mutable_location()->set_longitude(longitude);
  b->set_use(buildings::v1::BUILDING_USE_RESIDENTIAL);
  b->set_height_m(60);
  b->set_floors_above_ground(20);
  buildings::v1::Building out;
  grpc::ClientContext cc;
  cc.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  auth::AttachToken(&cc, admin_token);
  if (grpc::Status s = stub.CreateBuilding(&cc, req, &out); !s.ok()) {
    Fail("CreateBuilding: " + s.error_message());
  }
  return out.building_id();
}

std::vector<std::string> LimitersOff() { return {"--rate-limit=0", "--auth-failure-limit=0"}; }

std::vector<std::string> RateLimitRaised() {
  return {"--rate-limit=100000", "--rate-limit-burst=1000000"};
}

Stack::Stack(const std::string& name, std::vector<std::string> service_flags)
    : dir_(name),
      redis_(BenchRedis()),
      key_file_(testing::WriteKeyFile(dir_.path())),
      service_flags_(std::move(service_flags)) {}

Stack::~Stack() {
  for (auto it = services_.rbegin(); it != services_.rend(); ++it) {
    if ((*it)->running()) (*it)->Stop().IgnoreError();
  }
  if (broker_started_) broker_.Stop().IgnoreError();
  // redis_ stops itself; dir_ is removed last (members are destroyed in reverse order).
}

void Stack::StartRedis() {
  if (absl::Status s = redis_.Start(); !s.ok()) Fail("redis-server: " + std::string(s.message()));
  redis_started_ = true;
}

void Stack::StartBroker() {
  if (absl::Status s = broker_.Start(); !s.ok()) Fail("dev broker: " + std::string(s.message()));
  broker_started_ = true;
}

testing::ServiceProcess& Stack::Add(Service service, std::vector<std::string> flags,
                                    const std::string& name, absl::Duration start_timeout) {
  const Binary b = BinaryOf(service);
  if (b.path[0] == '\0') Fail(absl::StrCat("firegrid-", b.name, " is not part of this build"));
  if (!redis_started_ || !broker_started_) {
    Fail(absl::StrCat("firegrid-", b.name, " added before redis-server and the dev broker"));
  }
  std::vector<std::string> all = b.config;
  const std::vector<std::string> common =
      testing::CommonServiceFlags(redis_.address(), broker_.bootstrap(), key_file_);
  for (const auto& more : {common, service_flags_, flags}) {
    all.insert(all.end(), more.begin(), more.end());
  }
  services_.push_back(std::make_unique<testing::ServiceProcess>(
      testing::ServiceProcessOptions{.binary = b.path,
                                     .name = name.empty() ? b.name : name,
                                     .flags = std::move(all),
                                     .log_dir = dir_.path(),
                                     .start_timeout = start_timeout}));
  return *services_.back();
}

void Stack::Start(testing::ServiceProcess& process) {
  if (absl::Status s = process.Start(); !s.ok()) Fail(std::string(s.message()));
}

void Stack::StartAll() {
  for (auto& s : services_) {
    if (!s->running()) Start(*s);
  }
}

std::string Stack::Token(const auth::Principal& principal) const { return tokens_.Make(principal); }

std::string Stack::Token(auth::Role role, const std::string& tier_path, const std::string& org_unit,
                         const std::string& subject, const std::string& department) const {
  auth::Principal p;
  p.role = role;
  p.tier_path = tier_path;
  p.org_unit = org_unit;
  p.subject = subject;
  p.department = department;
  return Token(p);
}

}  // namespace firegrid::bench
