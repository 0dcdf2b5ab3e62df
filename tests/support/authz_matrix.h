#pragma once

// The authorisation matrix: one table per service says, for every RPC, which roles may call it
// and on which objects (by the caller's relation to the object: its own unit, its parent unit,
// a sibling unit, another district; named or not named on the object; its own or another
// department). Expand() turns the table into one test row per RPC × caller × relation, with
// the expected outcome: allowed where the table says so, the service's refusal everywhere else,
// UNAUTHENTICATED without a token, with an expired or a badly signed one. Each service's
// authz_matrix_test.cc
// runs every row through its real gRPC surface (docs/authorization.md).

#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/principal.h"
#include "libs/auth/token.h"

namespace google::protobuf {
class ServiceDescriptor;
}

namespace firegrid::authz_matrix {

// Who calls: one of the ten roles, or no token, an expired token, or a token signed with
// another key.
enum class Caller {
  kNoToken,
  kExpiredToken,
  kBadToken,
  kDistrictAdmin,
  kDepartmentOfficer,
  kStreetOfficer,
  kCommunityWorker,
  kBuildingManager,
  kServiceAgency,
  kInternalService,
  kMicroStation,
  kIotGateway,
  kPublicChannel,
};

// The caller's relation to the object of the call (a building, a hazard, the scope of a list).
// Tier relations (area roles and the others with a tier path):
//   kOwn            the object lies in the caller's own unit (the home community 500109001001
//                   lies in every home caller's unit: district 500109, street 500109001,
//                   community 500109001001);
//   kParent         the object is at the caller's parent unit itself (a street officer of
//                   500109001 and an object of district 500109); none for district callers;
//   kSibling        the object lies in a sibling unit at the caller's level (street 500109002,
//                   community 500109001002); none for district callers;
//   kOtherDistrict  the object lies in another district (500110...).
// Object relations (building managers, agencies, IoT gateways: rights from being named):
//   kNamed / kNotNamed  the object names the caller's subject / names someone else.
// Department relations (department officers):
//   kOwnDepartment / kOtherDepartment  the object is routed to the caller's department / not;
//   where a rule names a department instead (only fire rescue clears alarms), the caller is an
//   officer of that department / of another (the service's test signs the token).
// kAny: the call has no object the caller relates to (or the role relates to none).
enum class Relation {
  kOwn,
  kParent,
  kSibling,
  kOtherDistrict,
  kNamed,
  kNotNamed,
  kOwnDepartment,
  kOtherDepartment,
  kAny,
};

// What the call must end in.
enum class Expect {
  kOk,               // allowed, and the object is in the answer where the answer lists objects
  kFiltered,         // allowed, but the object is left out of the answer (a list or search
                     // scoped to the caller, an import row outside the caller's tier)
  kDenied,           // PERMISSION_DENIED
  kHidden,           // NOT_FOUND: the service hides that the object exists
  kUnauthenticated,  // UNAUTHENTICATED
};

absl::string_view CallerName(Caller c);      // "StreetOfficer", "NoToken", ...
absl::string_view RelationName(Relation r);  // "Own", "Sibling", ...
absl::string_view ExpectName(Expect e);      // "Ok", "Denied", ...

// The ten roles as callers, in the order of auth::Role.
const std::vector<Caller>& RoleCallers();

// The standard places: the home units and their neighbours.
inline constexpr char kHomeDistrict[] = "500109";
inline constexpr char kHomeStreet[] = "500109001";
inline constexpr char kHomeCommunity[] = "500109001001";
inline constexpr char kSiblingStreet[] = "500109002";
inline constexpr char kSiblingStreetCommunity[] = "500109002001";
inline constexpr char kSiblingCommunity[] = "500109001002";
inline constexpr char kOtherDistrict[] = "500110";
inline constexpr char kOtherDistrictStreet[] = "500110001";
inline constexpr char kOtherDistrictCommunity[] = "500110001001";
// Every division above, outermost first (seed them all as org units).
const std::vector<std::string>& AllDivisions();

inline constexpr char kOwnDepartment[] = "fire_rescue";
inline constexpr char kOtherDepartment[] = "housing";
inline constexpr char kHomeStation[] = "mfs_home";
inline constexpr char kSomeoneElse[] = "someone-else";

// The principal a caller's token carries: subject "u-<role>", the tier path of its home unit
// (district roles and public channels 500109, street officers and micro stations 500109001,
// community workers 500109001001, and building managers and agencies too, as their accounts'
// tokens carry their area; none for internal services and IoT gateways), department
// kOwnDepartment for department officers, org_unit kHomeStation for micro stations. Only for
// role callers.
auth::Principal PrincipalOf(Caller c);

// The tier path of the object for this caller and relation (see Relation); kHomeCommunity for
// the non-tier relations. Empty when the relation does not exist for the caller (kParent and
// kSibling of a district caller).
std::string ObjectTier(Caller c, Relation r);

// The relations each caller is tried in, by default: tier relations for callers with a tier
// path (kOwn, kParent, kSibling, kOtherDistrict as they exist), kNamed / kNotNamed for building
// managers and service agencies, kOwn and kOtherDistrict for internal services (they cover
// every tier), kNamed / kNotNamed for IoT gateways. Department officers get kOwn and
// kOtherDistrict (a service that routes to departments passes its own list).
std::vector<Relation> DefaultRelations(Caller c);

// One RPC's rule: which (caller, relation) pairs are allowed (kOk), allowed without the object
// (kFiltered) or hidden (kHidden); everything else gets `refused`.
struct RpcRule {
  std::string rpc;  // the method's name in the service descriptor
  // Distinguishes several rules of one RPC (one per kind of object it serves, e.g.
  // FindNearby of buildings and of hydrants); part of the test name.
  std::string variant = "";
  std::map<Caller, std::set<Relation>> allowed;
  // For some allowed callers the call succeeds without showing the object (lists scoped to
  // the caller): those pairs expect kFiltered.
  std::map<Caller, std::set<Relation>> filtered = {};
  // Pairs the service answers NOT_FOUND (it hides that the object exists from callers who may
  // not see it), when `refused` is another outcome.
  std::map<Caller, std::set<Relation>> hidden = {};
  Expect refused = Expect::kDenied;
  // What a call without a token, with an expired one or a badly signed one ends in:
  // UNAUTHENTICATED, but
  // kOk for the few calls made without a bearer token (signing in).
  Expect without_token = Expect::kUnauthenticated;
  // Relations to try per caller; DefaultRelations when absent.
  std::map<Caller, std::vector<Relation>> relations = {};
};

// Shorthands for the allowed sets.
std::set<Relation> InScope();   // {kOwn}: the object lies under the caller's tier path
std::set<Relation> Named();     // {kNamed}
std::set<Relation> Anywhere();  // every relation (a role whose right does not depend on it)

struct Row {
  std::string rpc;
  std::string variant;
  Caller caller;
  Relation relation;
  Expect expect;
};
std::ostream& operator<<(std::ostream& os, const Row& row);

// Every row of a table: for each rule, each role caller in each of its relations, plus the
// no-token, expired-token and bad-token rows (kAny, the rule's without_token).
std::vector<Row> Expand(const std::vector<RpcRule>& rules);

// The test name of a row: "GetBuilding_StreetOfficer_Sibling_Denied" (the variant follows the
// RPC's name: "FindNearbyHydrants_...").
std::string RowName(const ::testing::TestParamInfo<Row>& info);

// The methods of `service` that have no rule, and the rules naming no method of it; both empty
// when the table covers the service exactly.
struct Coverage {
  std::vector<std::string> missing;
  std::vector<std::string> unknown;
};
Coverage CoverageOf(const google::protobuf::ServiceDescriptor& service,
                    const std::vector<RpcRule>& rules);

// The check every matrix runs: the service named `service_full_name` (its generated code linked
// into the test) has a rule for every method and the table no rule of another method.
::testing::AssertionResult CoversEveryMethod(const std::string& service_full_name,
                                             const std::vector<RpcRule>& rules);

// What a call observed: its status, and whether the object was in the answer (for calls whose
// answer lists objects; true for the others).
struct Observed {
  grpc::Status status;
  bool object_shown = true;
};

// Whether what was observed is what the row expects, with a readable failure.
::testing::AssertionResult Matches(const Row& row, const Observed& observed);

// Test tokens: HS256 with a fixed test key, an hour long, issued at `now`.
class Tokens {
 public:
  static constexpr char kKey[] = "authz-matrix-test-key-of-at-least-32-bytes";
  Tokens();
  // The verifier a service under test authenticates with.
  std::unique_ptr<auth::TokenVerifier> Verifier() const;
  // The bearer token of a caller: "" for kNoToken, a district admin's token that expired an
  // hour before `now` for kExpiredToken, a district admin's token signed with another key for
  // kBadToken.
  std::string For(Caller c, absl::Time now) const;
  // A token of an arbitrary principal.
  std::string Sign(const auth::Principal& p, absl::Time now) const;

 private:
  std::unique_ptr<auth::TokenSigner> signer_;
  std::unique_ptr<auth::TokenSigner> other_signer_;
};

// Attaches the caller's token (none for kNoToken) to a client context.
void Attach(grpc::ClientContext* ctx, const std::string& token);

// A gRPC server on a free loopback port (127.0.0.1:0), and an insecure channel to it: what a
// matrix calls its service through.
struct LoopbackServer {
  std::unique_ptr<grpc::Server> server;  // null when it did not start
  std::shared_ptr<grpc::Channel> channel;
};
// Starts a server serving `services` and, when not null, `generic` (a callback generic service
// answering every method). When the server does not start, fails the test (ADD_FAILURE) and
// returns a null server and channel.
LoopbackServer StartOnLoopback(const std::vector<grpc::Service*>& services,
                               grpc::CallbackGenericService* generic = nullptr);

}  // namespace firegrid::authz_matrix
