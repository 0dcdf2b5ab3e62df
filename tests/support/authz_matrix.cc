#include "tests/support/authz_matrix.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "libs/auth/grpc_auth.h"

namespace firegrid::authz_matrix {

using auth::Role;

absl::string_view CallerName(Caller c) {
  switch (c) {
    case Caller::kNoToken:
      return "NoToken";
    case Caller::kExpiredToken:
      return "ExpiredToken";
    case Caller::kBadToken:
      return "BadToken";
    case Caller::kDistrictAdmin:
      return "DistrictAdmin";
    case Caller::kDepartmentOfficer:
      return "DepartmentOfficer";
    case Caller::kStreetOfficer:
      return "StreetOfficer";
    case Caller::kCommunityWorker:
      return "CommunityWorker";
    case Caller::kBuildingManager:
      return "BuildingManager";
    case Caller::kServiceAgency:
      return "ServiceAgency";
    case Caller::kInternalService:
      return "InternalService";
    case Caller::kMicroStation:
      return "MicroStation";
    case Caller::kIotGateway:
      return "IotGateway";
    case Caller::kPublicChannel:
      return "PublicChannel";
  }
  return "?";
}

absl::string_view RelationName(Relation r) {
  switch (r) {
    case Relation::kOwn:
      return "Own";
    case Relation::kParent:
      return "Parent";
    case Relation::kSibling:
      return "Sibling";
    case Relation::kOtherDistrict:
      return "OtherDistrict";
    case Relation::kNamed:
      return "Named";
    case Relation::kNotNamed:
      return "NotNamed";
    case Relation::kOwnDepartment:
      return "OwnDepartment";
    case Relation::kOtherDepartment:
      return "OtherDepartment";
    case Relation::kAny:
      return "Any";
  }
  return "?";
}

absl::string_view ExpectName(Expect e) {
  switch (e) {
    case Expect::kOk:
      return "Ok";
    case Expect::kFiltered:
      return "Filtered";
    case Expect::kDenied:
      return "Denied";
    case Expect::kHidden:
      return "Hidden";
    case Expect::kUnauthenticated:
      return "Unauthenticated";
  }
  return "?";
}

const std::vector<Caller>& RoleCallers() {
  static const auto* all = new std::vector<Caller>{
      Caller::kDistrictAdmin,   Caller::kDepartmentOfficer, Caller::kStreetOfficer,
      Caller::kCommunityWorker, Caller::kBuildingManager,   Caller::kServiceAgency,
      Caller::kInternalService, Caller::kMicroStation,      Caller::kIotGateway,
      Caller::kPublicChannel};
  return *all;
}

const std::vector<std::string>& AllDivisions() {
  static const auto* all = new std::vector<std::string>{
      kHomeDistrict,     kHomeStreet,          kHomeCommunity,
      kSiblingCommunity, kSiblingStreet,       kSiblingStreetCommunity,
      kOtherDistrict,    kOtherDistrictStreet, kOtherDistrictCommunity};
  return *all;
}

namespace {

Role RoleOf(Caller c) {
  switch (c) {
    case Caller::kDistrictAdmin:
      return Role::kDistrictAdmin;
    case Caller::kDepartmentOfficer:
      return Role::kDepartmentOfficer;
    case Caller::kStreetOfficer:
      return Role::kStreetOfficer;
    case Caller::kCommunityWorker:
      return Role::kCommunityWorker;
    case Caller::kBuildingManager:
      return Role::kBuildingManager;
    case Caller::kServiceAgency:
      return Role::kServiceAgency;
    case Caller::kInternalService:
      return Role::kInternalService;
    case Caller::kMicroStation:
      return Role::kMicroStation;
    case Caller::kIotGateway:
      return Role::kIotGateway;
    case Caller::kPublicChannel:
      return Role::kPublicChannel;
    case Caller::kNoToken:
    case Caller::kExpiredToken:
    case Caller::kBadToken:
      break;
  }
  return Role::kUnspecified;
}

std::string HomeTier(Caller c) {
  switch (c) {
    case Caller::kDistrictAdmin:
    case Caller::kDepartmentOfficer:
    case Caller::kPublicChannel:
      return kHomeDistrict;
    case Caller::kStreetOfficer:
    case Caller::kMicroStation:
      return kHomeStreet;
    case Caller::kCommunityWorker:
      return kHomeCommunity;
    default:
      return "";
  }
}

}  // namespace

auth::Principal PrincipalOf(Caller c) {
  auth::Principal p;
  p.role = RoleOf(c);
  p.subject = p.role == Role::kPublicChannel ? "channel:matrix"
                                             : absl::StrCat("u-", auth::RoleName(p.role));
  p.tier_path = HomeTier(c);
  // Building managers and agencies are known by subject, but their accounts' tokens carry the
  // division code of their area (services/accounts): the home community, where the objects
  // that name them, and those that do not, both lie.
  if (c == Caller::kBuildingManager || c == Caller::kServiceAgency) p.tier_path = kHomeCommunity;
  if (c == Caller::kDepartmentOfficer) p.department = kOwnDepartment;
  if (c == Caller::kMicroStation) p.org_unit = kHomeStation;
  return p;
}

std::string ObjectTier(Caller c, Relation r) {
  const std::string home = HomeTier(c);
  switch (r) {
    case Relation::kParent:
      return home.size() > 6 ? home.substr(0, home.size() - 3) : "";
    case Relation::kSibling:
      if (home.size() == 9) return kSiblingStreetCommunity;
      if (home.size() == 12) return kSiblingCommunity;
      return "";
    case Relation::kOtherDistrict:
      return kOtherDistrictCommunity;
    default:
      return kHomeCommunity;
  }
}

std::vector<Relation> DefaultRelations(Caller c) {
  switch (c) {
    case Caller::kBuildingManager:
    case Caller::kServiceAgency:
    case Caller::kIotGateway:
      return {Relation::kNamed, Relation::kNotNamed};
    case Caller::kInternalService:
      return {Relation::kOwn, Relation::kOtherDistrict};
    case Caller::kNoToken:
    case Caller::kExpiredToken:
    case Caller::kBadToken:
      return {Relation::kAny};
    default:
      break;
  }
  std::vector<Relation> out = {Relation::kOwn};
  if (!ObjectTier(c, Relation::kParent).empty()) out.push_back(Relation::kParent);
  if (!ObjectTier(c, Relation::kSibling).empty()) out.push_back(Relation::kSibling);
  out.push_back(Relation::kOtherDistrict);
  return out;
}

std::set<Relation> InScope() { return {Relation::kOwn}; }
std::set<Relation> Named() { return {Relation::kNamed}; }
std::set<Relation> Anywhere() {
  return {Relation::kOwn,           Relation::kParent,          Relation::kSibling,
          Relation::kOtherDistrict, Relation::kNamed,           Relation::kNotNamed,
          Relation::kOwnDepartment, Relation::kOtherDepartment, Relation::kAny};
}

std::ostream& operator<<(std::ostream& os, const Row& row) {
  return os << row.rpc << row.variant << "_" << CallerName(row.caller) << "_"
            << RelationName(row.relation) << "_" << ExpectName(row.expect);
}

std::vector<Row> Expand(const std::vector<RpcRule>& rules) {
  std::vector<Row> rows;
  for (const RpcRule& rule : rules) {
    for (Caller c : RoleCallers()) {
      auto rel = rule.relations.find(c);
      const std::vector<Relation> relations =
          rel == rule.relations.end() ? DefaultRelations(c) : rel->second;
      for (Relation r : relations) {
        Expect e = rule.refused;
        if (auto a = rule.allowed.find(c); a != rule.allowed.end() && a->second.count(r) > 0) {
          e = Expect::kOk;
        }
        if (auto f = rule.filtered.find(c); f != rule.filtered.end() && f->second.count(r) > 0) {
          e = Expect::kFiltered;
        }
        if (auto h = rule.hidden.find(c); h != rule.hidden.end() && h->second.count(r) > 0) {
          e = Expect::kHidden;
        }
        rows.push_back({rule.rpc, rule.variant, c, r, e});
      }
    }
    rows.push_back({rule.rpc, rule.variant, Caller::kNoToken, Relation::kAny, rule.without_token});
    rows.push_back(
        {rule.rpc, rule.variant, Caller::kExpiredToken, Relation::kAny, rule.without_token});
    rows.push_back({rule.rpc, rule.variant, Caller::kBadToken, Relation::kAny, rule.without_token});
  }
  return rows;
}

std::string RowName(const ::testing::TestParamInfo<Row>& info) {
  const Row& row = info.param;
  return absl::StrCat(row.rpc, row.variant, "_", CallerName(row.caller), "_",
                      RelationName(row.relation), "_", ExpectName(row.expect));
}

Coverage CoverageOf(const google::protobuf::ServiceDescriptor& service,
                    const std::vector<RpcRule>& rules) {
  std::set<std::string> ruled;
  for (const RpcRule& r : rules) ruled.insert(r.rpc);
  std::set<std::string> methods;
  for (int i = 0; i < service.method_count(); ++i) methods.insert(service.method(i)->name());
  Coverage c;
  std::set_difference(methods.begin(), methods.end(), ruled.begin(), ruled.end(),
                      std::back_inserter(c.missing));
  std::set_difference(ruled.begin(), ruled.end(), methods.begin(), methods.end(),
                      std::back_inserter(c.unknown));
  return c;
}

::testing::AssertionResult CoversEveryMethod(const std::string& service_full_name,
                                             const std::vector<RpcRule>& rules) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_full_name);
  if (service == nullptr) {
    return ::testing::AssertionFailure() << "no service " << service_full_name << " is linked in";
  }
  const Coverage c = CoverageOf(*service, rules);
  if (c.missing.empty() && c.unknown.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << service_full_name << ": methods without rules: " << absl::StrJoin(c.missing, ", ")
         << "; rules of no method: " << absl::StrJoin(c.unknown, ", ");
}

::testing::AssertionResult Matches(const Row& row, const Observed& o) {
  const grpc::StatusCode code = o.status.error_code();
  auto fail = [&](absl::string_view want) {
    return ::testing::AssertionFailure()
           << row << ": want " << want << ", got status " << code << " \""
           << o.status.error_message() << "\"" << (o.object_shown ? "" : " (object not shown)");
  };
  switch (row.expect) {
    case Expect::kOk:
      if (code == grpc::StatusCode::OK && o.object_shown) return ::testing::AssertionSuccess();
      return fail("OK with the object shown");
    case Expect::kFiltered:
      if (code == grpc::StatusCode::OK && !o.object_shown) return ::testing::AssertionSuccess();
      return fail("OK without the object");
    case Expect::kDenied:
      if (code == grpc::StatusCode::PERMISSION_DENIED) return ::testing::AssertionSuccess();
      return fail("PERMISSION_DENIED");
    case Expect::kHidden:
      if (code == grpc::StatusCode::NOT_FOUND) return ::testing::AssertionSuccess();
      return fail("NOT_FOUND");
    case Expect::kUnauthenticated:
      if (code == grpc::StatusCode::UNAUTHENTICATED) return ::testing::AssertionSuccess();
      return fail("UNAUTHENTICATED");
  }
  return fail("?");
}

Tokens::Tokens()
    : signer_(*auth::TokenSigner::Hs256(kKey)),
      other_signer_(*auth::TokenSigner::Hs256("another-key-of-at-least-32-bytes-not-trusted")) {}

std::unique_ptr<auth::TokenVerifier> Tokens::Verifier() const {
  return *auth::TokenVerifier::Create({.hs256_key = kKey});
}

std::string Tokens::Sign(const auth::Principal& p, absl::Time now) const {
  return *signer_->Sign(p, now, absl::Hours(1));
}

std::string Tokens::For(Caller c, absl::Time now) const {
  if (c == Caller::kNoToken) return "";
  if (c == Caller::kBadToken) {
    return *other_signer_->Sign(PrincipalOf(Caller::kDistrictAdmin), now, absl::Hours(1));
  }
  if (c == Caller::kExpiredToken) {
    return *signer_->Sign(PrincipalOf(Caller::kDistrictAdmin), now - absl::Hours(2),
                          absl::Hours(1));
  }
  return Sign(PrincipalOf(c), now);
}

void Attach(grpc::ClientContext* ctx, const std::string& token) {
  if (!token.empty()) auth::AttachToken(ctx, token);
}

LoopbackServer StartOnLoopback(const std::vector<grpc::Service*>& services,
                               grpc::CallbackGenericService* generic) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  for (grpc::Service* s : services) builder.RegisterService(s);
  if (generic != nullptr) builder.RegisterCallbackGenericService(generic);
  LoopbackServer out;
  out.server = builder.BuildAndStart();
  if (out.server == nullptr || port == 0) {
    ADD_FAILURE() << "no gRPC server could start on 127.0.0.1:0";
    out.server.reset();
    return out;
  }
  out.channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  return out;
}

}  // namespace firegrid::authz_matrix
