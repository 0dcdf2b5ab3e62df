// The Open311 handler against in-process fakes of the hazards and buildings services
// (127.0.0.1, port 0) that verify the channel tokens the handler sends, with a fake clock.
#include "services/gateway/open311/open311_handler.h"

#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/token.h"
#include "nlohmann/json.hpp"
#include "services/gateway/open311/params.h"
#include "services/gateway/open311/xml_well_formed_test_util.h"
#include "tests/support/temp_dir.h"

namespace firegrid::gateway {
namespace {

namespace hv1 = ::firegrid::hazards::v1;
namespace bv1 = ::firegrid::buildings::v1;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kJwtKey[] = "open311-test-jwt-key-of-at-least-32-bytes";
constexpr char kTokenKey[] = "open311-test-request-token-key-32-bytes!";
constexpr char kWechatKey[] = "wechat-api-key";
constexpr char kWebKey[] = "web-api-key";

std::string Sha256Hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(d), sizeof d));
}

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

// The principal of the call's bearer token, verified as a service would.
class Verifying {
 public:
  explicit Verifying(Clock* clock)
      : clock_(clock), verifier_(*auth::TokenVerifier::Create({.hs256_key = kJwtKey})) {}
  absl::StatusOr<auth::Principal> Caller(const grpc::ServerContext* ctx) {
    auto it = ctx->client_metadata().find("authorization");
    if (it == ctx->client_metadata().end()) return absl::UnauthenticatedError("no token");
    std::string bearer(it->second.data(), it->second.size());
    if (!absl::StartsWith(bearer, "Bearer ")) return absl::UnauthenticatedError("not bearer");
    return verifier_->Verify(bearer.substr(7), clock_->Now());
  }

 private:
  Clock* clock_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
};

std::string ChannelOf(const auth::Principal& p) {
  return absl::StartsWith(p.subject, "channel:") ? p.subject.substr(8) : "";
}

class FakeHazards final : public hv1::HazardService::Service, public Verifying {
 public:
  explicit FakeHazards(Clock* clock) : Verifying(clock), clock_(clock) {}

  grpc::Status ReportHazard(grpc::ServerContext* ctx, const hv1::ReportHazardRequest* req,
                            hv1::ReportHazardResponse* resp) override {
    auto p = Caller(ctx);
    if (!p.ok()) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
    std::lock_guard<std::mutex> l(mu);
    reports.push_back(*req);
    callers.push_back(*p);
    if (unknown_buildings.count(req->building_id()) > 0) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no building " + req->building_id());
    }
    const std::string key = absl::StrCat(p->subject, "\n", req->idempotency_key());
    hv1::ReportHazardRequest without_key = *req;
    without_key.clear_idempotency_key();
    if (auto it = by_key.find(key); it != by_key.end()) {
      if (digest[key] != without_key.SerializeAsString()) {
        return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                            "idempotency_key: used for another report");
      }
      *resp->mutable_hazard() = hazards[it->second];
      return grpc::Status::OK;
    }
    digest[key] = without_key.SerializeAsString();
    hv1::Hazard h;
    h.set_hazard_id(absl::StrCat("hzd_", 1000 + hazards.size()));
    h.set_category(req->category());
    h.set_source(req->source());
    h.set_description(req->description());
    *h.mutable_evidence() = req->evidence();
    *h.mutable_location() = req->location();
    h.set_channel(ChannelOf(*p));
    h.set_unmatched(req->building_id().empty());
    h.set_building_id(req->building_id());
    h.set_tier_path(req->unmatched_tier_path());
    h.set_status(hv1::STATUS_REPORTED);
    *h.mutable_reported_at() = Ts(clock_->Now());
    *h.mutable_updated_at() = Ts(clock_->Now());
    hazards[h.hazard_id()] = h;
    by_key[key] = h.hazard_id();
    *resp->mutable_hazard() = h;
    return grpc::Status::OK;
  }

  grpc::Status GetHazard(grpc::ServerContext* ctx, const hv1::GetHazardRequest* req,
                         hv1::Hazard* resp) override {
    auto p = Caller(ctx);
    if (!p.ok()) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
    std::lock_guard<std::mutex> l(mu);
    auto it = hazards.find(req->hazard_id());
    if (it == hazards.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such hazard");
    if (it->second.channel() != ChannelOf(*p)) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "another channel's report");
    }
    *resp = it->second;
    return grpc::Status::OK;
  }

  grpc::Status ListHazards(grpc::ServerContext* ctx, const hv1::ListHazardsRequest* req,
                           hv1::ListHazardsResponse* resp) override {
    auto p = Caller(ctx);
    if (!p.ok()) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
    std::lock_guard<std::mutex> l(mu);
    lists.push_back(*req);
    std::vector<const hv1::Hazard*> match;
    for (const auto& [id, h] : hazards) {
      if (h.channel() != ChannelOf(*p)) continue;
      if (!req->statuses().empty() && std::find(req->statuses().begin(), req->statuses().end(),
                                                h.status()) == req->statuses().end()) {
        continue;
      }
      if (!req->categories().empty() &&
          std::find(req->categories().begin(), req->categories().end(), h.category()) ==
              req->categories().end()) {
        continue;
      }
      if (h.reported_at().seconds() < req->reported_after().seconds() ||
          (req->has_reported_before() &&
           h.reported_at().seconds() >= req->reported_before().seconds())) {
        continue;
      }
      match.push_back(&h);
    }
    size_t start = req->page_token().empty() ? 0 : std::stoul(req->page_token());
    size_t end = std::min(match.size(), start + req->page_size());
    for (size_t i = start; i < end; ++i) *resp->add_hazards() = *match[i];
    if (end < match.size()) resp->set_next_page_token(std::to_string(end));
    return grpc::Status::OK;
  }

  // A hazard of `channel` as the hazards service would keep it.
  hv1::Hazard& Add(const std::string& id, const std::string& channel, hv1::Status status) {
    std::lock_guard<std::mutex> l(mu);
    hv1::Hazard& h = hazards[id];
    h.set_hazard_id(id);
    h.set_channel(channel);
    h.set_source(hv1::SOURCE_PUBLIC_TIP_OFF);
    h.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
    h.set_status(status);
    h.set_description("消防车道被车辆占用");
    *h.mutable_reported_at() = Ts(clock_->Now() - absl::Hours(1));
    *h.mutable_updated_at() = Ts(clock_->Now());
    return h;
  }

  Clock* clock_;
  std::mutex mu;
  std::map<std::string, hv1::Hazard> hazards;
  std::map<std::string, std::string> by_key;
  std::map<std::string, std::string> digest;
  std::vector<hv1::ReportHazardRequest> reports;
  std::vector<auth::Principal> callers;
  std::vector<hv1::ListHazardsRequest> lists;
  std::set<std::string> unknown_buildings;  // ReportHazard answers NOT_FOUND for these
};

// The buildings service's FindNearby as a public channel meets it: buildings only (other kinds
// PERMISSION_DENIED for the role), those of the caller's district, nearest first, within the
// radius, up to the limit.
class FakeBuildings final : public bv1::BuildingService::Service, public Verifying {
 public:
  explicit FakeBuildings(Clock* clock) : Verifying(clock) {}
  grpc::Status FindNearby(grpc::ServerContext* ctx, const bv1::FindNearbyRequest* req,
                          bv1::FindNearbyResponse* resp) override {
    auto p = Caller(ctx);
    if (!p.ok()) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
    std::lock_guard<std::mutex> l(mu);
    searches.push_back(*req);
    if (unavailable) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "redis down");
    if (req->kind() != bv1::NEARBY_KIND_BUILDING && p->role == auth::Role::kPublicChannel) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "role public_channel may not search hydrants and stations");
    }
    std::vector<bv1::NearbyResult> found;
    for (const bv1::NearbyResult& r : buildings) {
      if (r.distance_m() > req->radius_m()) continue;
      if (!absl::StartsWith(r.building().tier_path(), p->tier_path)) continue;
      found.push_back(r);
    }
    std::sort(found.begin(), found.end(),
              [](const auto& a, const auto& b) { return a.distance_m() < b.distance_m(); });
    for (const auto& r : found) {
      if (resp->results_size() == req->limit()) break;
      *resp->add_results() = r;
    }
    return grpc::Status::OK;
  }
  // A registered building `distance` metres from every report's point.
  void Building(const std::string& id, const std::string& tier_path, double distance) {
    bv1::NearbyResult r;
    r.set_distance_m(distance);
    r.mutable_building()->set_building_id(id);
    r.mutable_building()->set_name("嘉陵苑 " + id);
    r.mutable_building()->set_tier_path(tier_path);
    std::lock_guard<std::mutex> l(mu);
    buildings.push_back(r);
  }
  std::mutex mu;
  std::vector<bv1::NearbyResult> buildings;
  std::vector<bv1::FindNearbyRequest> searches;
  bool unavailable = false;
};

// A minimal valid report of the WeChat channel.
const std::string kValid = absl::StrCat("api_key=", kWechatKey,
                                        "&service_code=fire_access_occupied&lat=29.5&long=106.4"
                                        "&description=blocked");

// The form without a parameter.
std::string Without(const std::string& form, const std::string& param) {
  std::vector<std::string> kept;
  for (absl::string_view p : absl::StrSplit(form, '&')) {
    if (!absl::StartsWith(p, param + "=")) kept.emplace_back(p);
  }
  return absl::StrJoin(kept, "&");
}

config::v1::Open311 TestConfig() {
  config::v1::Open311 c;
  c.set_jurisdiction_id("firegrid.500109");
  c.set_per_address_per_minute(1000);
  c.set_match_radius_m(50);
  auto* wechat = c.add_channels();
  wechat->set_name("wechat");
  wechat->set_api_key_sha256(Sha256Hex(kWechatKey));
  wechat->set_per_minute(1000);
  auto* web = c.add_channels();
  web->set_name("web");
  web->set_api_key_sha256(Sha256Hex(kWebKey));
  web->set_per_minute(3);
  return c;
}

class Open311Test : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&hazards_);
    builder.RegisterService(&buildings_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    handler_ = MakeHandler(TestConfig());
  }

  std::unique_ptr<Handler> MakeHandler(const config::v1::Open311& config) {
    auto tokens = NewOpen311ChannelTokens(config, kJwtKey, "", "", &clock_);
    EXPECT_TRUE(tokens.ok()) << tokens.status();
    auto handler = NewOpen311Handler(config, {.hazards = channel_,
                                              .buildings = channel_,
                                              .channel_token = *tokens,
                                              .request_token_key = kTokenKey,
                                              .clock = &clock_});
    EXPECT_TRUE(handler.ok()) << handler.status();
    return handler.ok() ? std::move(*handler) : nullptr;
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  HttpResponse Call(const std::string& method, const std::string& target, std::string body = "",
                    std::string content_type = "application/x-www-form-urlencoded",
                    std::string address = "203.0.113.7",
                    std::map<std::string, std::string> headers = {}) {
    HttpRequest r;
    r.method = method;
    r.raw_target = target;
    const size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = *open311::ParseForm(target.substr(q + 1));
    if (method == "POST") r.headers["content-type"] = content_type;
    for (auto& [k, v] : headers) r.headers[k] = v;
    r.body = std::move(body);
    r.client_address = std::move(address);
    r.request_id = "req-1";
    return handler_->Handle(r);
  }

  static nlohmann::json Json(const HttpResponse& r) { return nlohmann::json::parse(r.body); }

  static std::string ContentType(const HttpResponse& r) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Content-Type") return v;
    }
    return "";
  }

  // A complete valid form report of the WeChat channel; `extra` is appended.
  static std::string Form(const std::string& extra = "") {
    return absl::StrCat(
        "api_key=", kWechatKey,
        "&service_code=fire_access_occupied&lat=29.5731&long=106.4612"
        "&description=%E6%B6%88%E9%98%B2%E8%BD%A6%E9%81%93%E8%A2%AB%E5%8D%A0"  // 消防车道被占
        "&media_url=https%3A%2F%2Fexample.org%2Fp.jpg"
        "&first_name=%E4%B8%89&last_name=%E5%BC%A0&phone=138-0000-0000"
        "&attribute%5Bobstruction%5D=vehicle&attribute%5Bfloor%5D=B1",
        extra);
  }

  FakeClock clock_{absl::FromUnixSeconds(1'796'000'000)};
  FakeHazards hazards_{&clock_};
  FakeBuildings buildings_{&clock_};
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Handler> handler_;
};

// ---- services ----

TEST_F(Open311Test, ServicesListsThePublicHazardCategoriesInChineseWithEnglish) {
  HttpResponse r = Call("GET", "/open311/v2/services.json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ContentType(r), "application/json; charset=utf-8");
  nlohmann::json list = Json(r);
  std::vector<std::string> codes;
  for (const auto& s : list) codes.push_back(s["service_code"]);
  EXPECT_THAT(codes, ::testing::Contains("fire_access_occupied"));
  EXPECT_THAT(codes, ::testing::Contains("evacuation_blocked"));
  EXPECT_THAT(codes, ::testing::Contains("gas_electrical"));
  // Found by inspections and records, not offered to the public.
  EXPECT_THAT(codes, ::testing::Not(::testing::Contains("responsibility_not_filed")));
  EXPECT_THAT(codes, ::testing::Not(::testing::Contains("fire_lane_geometry")));
  const auto& first = list[0];
  EXPECT_EQ(first["service_name"], "消防车道被占用");
  EXPECT_THAT(first["description"].get<std::string>(), HasSubstr("Fire lane"));
  EXPECT_EQ(first["metadata"], true);
  EXPECT_EQ(first["type"], "realtime");
}

TEST_F(Open311Test, ServicesInXmlIsAServicesDocument) {
  HttpResponse r = Call("GET", "/open311/v2/services.xml");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ContentType(r), "text/xml; charset=utf-8");
  EXPECT_EQ(open311::XmlWellFormedness(r.body), "");
  EXPECT_THAT(r.body, StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service>"
                                 "<service_code>fire_access_occupied</service_code>"
                                 "<service_name>消防车道被占用</service_name>"));
  EXPECT_THAT(r.body, HasSubstr("<metadata>true</metadata>"));
}

TEST_F(Open311Test, ServiceDefinitionListsTheAttributesWithTheirValues) {
  HttpResponse r = Call("GET", "/open311/v2/services/fire_access_occupied.json");
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json def = Json(r);
  EXPECT_EQ(def["service_code"], "fire_access_occupied");
  ASSERT_GE(def["attributes"].size(), 3u);
  const auto& a = def["attributes"][0];
  EXPECT_EQ(a["code"], "obstruction");
  EXPECT_EQ(a["datatype"], "singlevaluelist");
  EXPECT_EQ(a["variable"], true);
  EXPECT_EQ(a["order"], 1);
  EXPECT_EQ(a["values"][0]["key"], "vehicle");

  HttpResponse x = Call("GET", "/open311/v2/services/fire_access_occupied.xml");
  ASSERT_EQ(x.status, 200);
  EXPECT_EQ(open311::XmlWellFormedness(x.body), "");
  EXPECT_THAT(x.body, HasSubstr("<service_definition><service_code>fire_access_occupied"
                                "</service_code><attributes><attribute><variable>true</variable>"
                                "<code>obstruction</code>"));
  EXPECT_THAT(x.body, HasSubstr("<values><value><key>vehicle</key><name>车辆停放 parked vehicles"
                                "</name></value>"));
}

TEST_F(Open311Test, AnUnknownServiceIs404InTheAskedFormat) {
  HttpResponse r = Call("GET", "/open311/v2/services/responsibility_not_filed.xml");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(open311::XmlWellFormedness(r.body), "");
  EXPECT_THAT(r.body, HasSubstr("<errors><error><code>404</code><description>service_code: "));
}

// ---- POST requests ----

TEST_F(Open311Test, APostedReportIsAPublicTipOffFiledWithTheChannelsToken) {
  buildings_.Building("bld_a", "500109001002", 120);
  buildings_.Building("bld_b", "500109002001", 800);
  HttpResponse r = Call("POST", "/open311/v2/requests.json", Form());
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json body = Json(r);
  ASSERT_EQ(body.size(), 1u);
  const std::string id = body[0]["service_request_id"];
  EXPECT_THAT(id, StartsWith("hzd_"));
  EXPECT_THAT(body[0]["token"].get<std::string>(), StartsWith(id + "."));
  EXPECT_FALSE(body[0]["service_notice"].get<std::string>().empty());
  EXPECT_TRUE(body[0]["account_id"].is_null());

  ASSERT_EQ(hazards_.reports.size(), 1u);
  const hv1::ReportHazardRequest& req = hazards_.reports[0];
  EXPECT_EQ(req.category(), hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
  EXPECT_EQ(req.source(), hv1::SOURCE_PUBLIC_TIP_OFF);
  EXPECT_EQ(req.severity(), hv1::SEVERITY_GENERAL);
  EXPECT_EQ(req.building_id(), "");
  EXPECT_THAT(req.description(), StartsWith("消防车道被占\n"));
  EXPECT_THAT(req.description(), HasSubstr("占用物: 车辆停放 parked vehicles"));
  EXPECT_THAT(req.description(), HasSubstr("楼层或部位: B1"));
  EXPECT_DOUBLE_EQ(req.location().latitude(), 29.5731);
  EXPECT_DOUBLE_EQ(req.location().longitude(), 106.4612);
  ASSERT_EQ(req.evidence_size(), 1);
  EXPECT_EQ(req.evidence(0).uri(), "https://example.org/p.jpg");
  EXPECT_EQ(req.reporter().name(), "张三");
  EXPECT_EQ(req.reporter().contact(), "138-0000-0000");
  EXPECT_FALSE(req.reporter().anonymous());
  // No building within match_radius_m (50): unmatched, in the street of the nearest building
  // within 3 km.
  EXPECT_EQ(req.unmatched_tier_path(), "500109001");
  EXPECT_THAT(req.idempotency_key(), StartsWith("open311:"));
  // As the channel: role public_channel, subject channel:wechat, the district.
  const auth::Principal& p = hazards_.callers[0];
  EXPECT_EQ(p.role, auth::Role::kPublicChannel);
  EXPECT_EQ(p.subject, "channel:wechat");
  EXPECT_EQ(p.tier_path, "500109");
  ASSERT_EQ(buildings_.searches.size(), 1u);
  EXPECT_EQ(buildings_.searches[0].kind(), bv1::NEARBY_KIND_BUILDING);
  EXPECT_EQ(buildings_.searches[0].radius_m(), 3000);
  EXPECT_EQ(buildings_.searches[0].limit(), 1);
  EXPECT_DOUBLE_EQ(buildings_.searches[0].location().latitude(), 29.5731);
  EXPECT_DOUBLE_EQ(buildings_.searches[0].location().longitude(), 106.4612);
}

TEST_F(Open311Test, AReportWithinTheMatchRadiusOfTheNearestBuildingIsFiledForIt) {
  buildings_.Building("bld_far", "500109002001", 48);
  buildings_.Building("bld_near", "500109001002", 30);
  HttpResponse r = Call("POST", "/open311/v2/requests.json", Form());
  ASSERT_EQ(r.status, 200) << r.body;
  const hv1::ReportHazardRequest& req = hazards_.reports.at(0);
  EXPECT_EQ(req.building_id(), "bld_near");
  EXPECT_EQ(req.unmatched_tier_path(), "");
  EXPECT_DOUBLE_EQ(req.location().latitude(), 29.5731);  // the place is kept
  EXPECT_FALSE(hazards_.hazards.begin()->second.unmatched());
}

TEST_F(Open311Test, AReportExactlyAtTheMatchRadiusIsMatchedAndJustBeyondItIsNot) {
  buildings_.Building("bld_edge", "500109001002", 50);
  ASSERT_EQ(Call("POST", "/open311/v2/requests.json", Form()).status, 200);
  EXPECT_EQ(hazards_.reports.at(0).building_id(), "bld_edge");
  buildings_.buildings.clear();
  buildings_.Building("bld_edge", "500109001002", 50.5);
  HttpResponse r =
      Call("POST", "/open311/v2/requests.json", Form(), "application/x-www-form-urlencoded",
           "203.0.113.7", {{"idempotency-key", "second"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const hv1::ReportHazardRequest& req = hazards_.reports.back();
  EXPECT_EQ(req.building_id(), "");
  EXPECT_EQ(req.unmatched_tier_path(), "500109001");
}

TEST_F(Open311Test, AMatchRadiusOfZeroMatchesNoBuilding) {
  config::v1::Open311 config = TestConfig();
  config.set_match_radius_m(0);
  handler_ = MakeHandler(config);
  buildings_.Building("bld_near", "500109001002", 0);
  ASSERT_EQ(Call("POST", "/open311/v2/requests.json", Form()).status, 200);
  EXPECT_EQ(hazards_.reports.at(0).building_id(), "");
  EXPECT_EQ(hazards_.reports.at(0).unmatched_tier_path(), "500109001");
}

TEST_F(Open311Test, AMatchedBuildingTheHazardsServiceDoesNotKnowYetIsFiledUnmatchedInItsStreet) {
  buildings_.Building("bld_new", "500109002001", 10);
  hazards_.unknown_buildings.insert("bld_new");
  HttpResponse r = Call("POST", "/open311/v2/requests.json", Form());
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(hazards_.reports.size(), 2u);
  EXPECT_EQ(hazards_.reports[0].building_id(), "bld_new");
  EXPECT_EQ(hazards_.reports[1].building_id(), "");
  EXPECT_EQ(hazards_.reports[1].unmatched_tier_path(), "500109002");
  EXPECT_EQ(hazards_.reports[1].idempotency_key(), hazards_.reports[0].idempotency_key());
  EXPECT_EQ(Json(r)[0]["service_request_id"], hazards_.hazards.begin()->first);
}

TEST_F(Open311Test, AMediaUrlIsKeptWithItsSchemeInLowerCase) {
  HttpResponse r = Call("POST", "/open311/v2/requests.json",
                        kValid + "&media_url=HTTPS%3A%2F%2FExample.org%2FP.jpg");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(hazards_.reports.at(0).evidence(0).uri(), "https://Example.org/P.jpg");
}

TEST_F(Open311Test, AReportWithNoBuildingWithin3KmIsKeptInTheDistrict) {
  buildings_.Building("bld_far", "500109001002", 3500);
  HttpResponse r = Call("POST", "/open311/v2/requests.json", Form());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(hazards_.reports.at(0).unmatched_tier_path(), "500109");
}

TEST_F(Open311Test, AReportWhoseNearbySearchFailsIsStillFiledInTheDistrict) {
  buildings_.Building("bld_near", "500109001002", 10);
  buildings_.unavailable = true;
  HttpResponse r = Call("POST", "/open311/v2/requests.json", Form());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(buildings_.searches.size(), 1u);
  EXPECT_EQ(hazards_.reports.at(0).building_id(), "");
  EXPECT_EQ(hazards_.reports.at(0).unmatched_tier_path(), "500109");
}

TEST_F(Open311Test, TheNearestBuildingBeyondTheMatchRadiusGivesTheStreet) {
  buildings_.Building("bld_a", "500109001002", 900);
  buildings_.Building("bld_b", "500109002001", 300);
  HttpResponse r = Call("POST", "/open311/v2/requests.json", Form());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(hazards_.reports.at(0).building_id(), "");
  EXPECT_EQ(hazards_.reports.at(0).unmatched_tier_path(), "500109002");
}

TEST_F(Open311Test, AReportWithAnAddressOnlyIsKeptInTheDistrictWithoutASearch) {
  HttpResponse r = Call(
      "POST", "/open311/v2/requests.json",
      absl::StrCat("api_key=", kWechatKey,
                   "&service_code=evacuation_blocked&address_string=%E6%B8%9D%E5%8C%97%E8%B7%AF"
                   "+1%E5%8F%B7&description=exit+locked"));
  ASSERT_EQ(r.status, 200) << r.body;
  const hv1::ReportHazardRequest& req = hazards_.reports.at(0);
  EXPECT_EQ(req.location().address(), "渝北路 1号");
  EXPECT_EQ(req.unmatched_tier_path(), "500109");
  EXPECT_TRUE(buildings_.searches.empty());
  // No name and no contact: anonymous.
  EXPECT_TRUE(req.reporter().anonymous());
  EXPECT_EQ(req.reporter().name(), "");
}

TEST_F(Open311Test, APostMayCarryTheApiKeyInTheQueryButTheBodyComesFirst) {
  HttpResponse r = Call("POST", absl::StrCat("/open311/v2/requests.json?api_key=", kWebKey),
                        Without(kValid, "api_key"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(hazards_.callers.at(0).subject, "channel:web");
  HttpResponse both =
      Call("POST", absl::StrCat("/open311/v2/requests.json?api_key=", kWebKey), kValid);
  ASSERT_EQ(both.status, 200) << both.body;
  EXPECT_EQ(hazards_.callers.at(1).subject, "channel:wechat");
}

TEST_F(Open311Test, AJsonBodyIsAcceptedAndTheAnswerIsXml) {
  nlohmann::json body = {{"api_key", kWechatKey},
                         {"service_code", "gas_electrical"},
                         {"lat", 29.57},
                         {"long", 106.46},
                         {"description", "电动车在楼道充电 <danger> & \"smoke\""},
                         {"email", "a@example.org"},
                         {"attribute", {{"kind", "ebike_indoor"}}}};
  HttpResponse r = Call("POST", "/open311/v2/requests.xml", body.dump(), "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ContentType(r), "text/xml; charset=utf-8");
  EXPECT_EQ(open311::XmlWellFormedness(r.body), "");
  EXPECT_THAT(r.body, StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?><service_requests>"
                                 "<request><service_request_id>hzd_"));
  EXPECT_THAT(r.body, HasSubstr("<account_id/></request></service_requests>"));
  const hv1::ReportHazardRequest& req = hazards_.reports.at(0);
  EXPECT_EQ(req.category(), hv1::HAZARD_CATEGORY_GAS_ELECTRICAL);
  EXPECT_EQ(req.reporter().contact(), "a@example.org");
  EXPECT_THAT(req.description(), HasSubstr("电动自行车进楼入户充电"));

  // The same hazard read back in XML: its text escaped.
  HttpResponse read = Call("GET", absl::StrCat("/open311/v2/requests.xml?api_key=", kWechatKey));
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(open311::XmlWellFormedness(read.body), "");
  EXPECT_THAT(read.body,
              HasSubstr("<description>电动车在楼道充电 &lt;danger&gt; &amp; &quot;smoke&quot;"));
}

TEST_F(Open311Test, ARetryWithTheSameIdempotencyKeyGetsTheSameRequest) {
  const std::map<std::string, std::string> key = {{"idempotency-key", "client-42"}};
  HttpResponse a = Call("POST", "/open311/v2/requests.json", Form(),
                        "application/x-www-form-urlencoded", "203.0.113.7", key);
  HttpResponse b = Call("POST", "/open311/v2/requests.json", Form("&device_id=other"),
                        "application/x-www-form-urlencoded", "203.0.113.7", key);
  // The same key for another report is refused, naming the header.
  HttpResponse other = Call("POST", "/open311/v2/requests.json", Form("&address_string=gate"),
                            "application/x-www-form-urlencoded", "203.0.113.7", key);
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_THAT(Json(other)[0]["description"].get<std::string>(), StartsWith("Idempotency-Key: "));
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(Json(a)[0]["service_request_id"], Json(b)[0]["service_request_id"]);
  // Without the header, the same parameters are the same report; others are another.
  HttpResponse c = Call("POST", "/open311/v2/requests.json", Form());
  HttpResponse d = Call("POST", "/open311/v2/requests.json", Form());
  HttpResponse e = Call("POST", "/open311/v2/requests.json", Form("&address_string=gate"));
  EXPECT_EQ(Json(c)[0]["service_request_id"], Json(d)[0]["service_request_id"]);
  EXPECT_NE(Json(c)[0]["service_request_id"], Json(e)[0]["service_request_id"]);
  EXPECT_NE(Json(a)[0]["service_request_id"], Json(c)[0]["service_request_id"]);
}

struct BadInput {
  std::string name;
  std::string form;  // appended to kValid, or replacing it
  bool replace;
  int status;
  std::string description;  // the error description starts with this
};

class Open311BadInputTest : public Open311Test, public ::testing::WithParamInterface<BadInput> {};

TEST_P(Open311BadInputTest, IsAGeoReportErrorNamingTheFieldAndReportsNothing) {
  const BadInput& c = GetParam();
  const std::string form = c.replace ? c.form : kValid + c.form;
  HttpResponse r = Call("POST", "/open311/v2/requests.json", form);
  EXPECT_EQ(r.status, c.status) << r.body;
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_array()) << r.body;
  EXPECT_EQ(body[0]["code"], c.status);
  EXPECT_THAT(body[0]["description"].get<std::string>(), StartsWith(c.description));
  EXPECT_TRUE(hazards_.reports.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Fields, Open311BadInputTest,
    ::testing::Values(
        BadInput{"MissingApiKey", Without(kValid, "api_key"), true, 400, "api_key: is required"},
        BadInput{"WrongApiKey", absl::StrCat("api_key=nope&", Without(kValid, "api_key")), true,
                 403, "api_key: not a valid key"},
        BadInput{"MissingServiceCode", Without(kValid, "service_code"), true, 400,
                 "service_code: is required"},
        BadInput{
            "NonPublicServiceCode",
            absl::StrCat(Without(kValid, "service_code"), "&service_code=responsibility_not_filed"),
            true, 400, "service_code: "},
        BadInput{"LatWithoutLong", Without(kValid, "long"), true, 400, "long: "},
        BadInput{"LatOutOfRange", absl::StrCat(Without(kValid, "lat"), "&lat=91"), true, 400,
                 "lat: must be a number in [-90, 90]"},
        BadInput{"LongNotANumber", absl::StrCat(Without(kValid, "long"), "&long=east"), true, 400,
                 "long: must be a number"},
        BadInput{"NoPlace", Without(Without(kValid, "lat"), "long"), true, 400,
                 "lat: lat and long, or address_string, are required"},
        BadInput{"MissingDescription", Without(kValid, "description"), true, 400,
                 "description: is required"},
        BadInput{
            "DescriptionTooLong",
            absl::StrCat(Without(kValid, "description"), "&description=", std::string(4001, 'a')),
            true, 400, "description: at most 4000 bytes"},
        BadInput{"DescriptionWithAControlCharacter",
                 absl::StrCat(Without(kValid, "description"), "&description=a%07b"), true, 400,
                 "description: must not hold control characters"},
        BadInput{"DescriptionNotUtf8",
                 absl::StrCat(Without(kValid, "description"), "&description=a%FFb"), true, 400,
                 "description: must be UTF-8 text"},
        BadInput{"MediaUrlNotHttp", "&media_url=ftp%3A%2F%2Fexample.org%2Fa.jpg", false, 400,
                 "media_url: must be an http or https URL"},
        BadInput{"MediaUrlWithoutHost", "&media_url=https%3A%2F%2F%2Fa.jpg", false, 400,
                 "media_url: must name a host"},
        BadInput{"MediaUrlWithASpace", "&media_url=https%3A%2F%2Fexample.org%2Fa+b.jpg", false, 400,
                 "media_url: must not hold spaces"},
        BadInput{"MediaUrlTooLong",
                 absl::StrCat("&media_url=https%3A%2F%2Fexample.org%2F", std::string(2048, 'a')),
                 false, 400, "media_url: at most 2048 bytes"},
        BadInput{"BadEmail", "&email=not-an-address", false, 400, "email: "},
        BadInput{"FirstNameTooLong", absl::StrCat("&first_name=", std::string(46, 'a')), false, 400,
                 "first_name: at most 45 bytes"},
        BadInput{"BadPhone", "&phone=call+me", false, 400, "phone: "},
        BadInput{"UnknownAttribute", "&attribute%5Bcolour%5D=red", false, 400,
                 "attribute[colour]: not an attribute of service fire_access_occupied"},
        BadInput{"AttributeValueNotInTheList", "&attribute%5Bobstruction%5D=tank", false, 400,
                 "attribute[obstruction]: must be one of vehicle, goods"},
        BadInput{"AnotherJurisdiction", "&jurisdiction_id=firegrid.110101", false, 404,
                 "jurisdiction_id: this endpoint serves firegrid.500109"},
        BadInput{"MalformedBody", "a=%zz", true, 400, "body: malformed percent-escape"}),
    [](const ::testing::TestParamInfo<BadInput>& info) { return info.param.name; });

TEST_F(Open311Test, AnUnsupportedContentTypeIs400NamingIt) {
  HttpResponse r = Call("POST", "/open311/v2/requests.json", Form(), "text/plain");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(Json(r)[0]["description"].get<std::string>(), StartsWith("Content-Type: "));
}

TEST_F(Open311Test, AKeyBeyondItsRateLimitIs429UntilTheMinuteHasPassed) {
  const std::string get = absl::StrCat("/open311/v2/requests.json?api_key=", kWebKey);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Call("GET", get).status, 200) << i;
  HttpResponse r = Call("GET", get);
  EXPECT_EQ(r.status, 429);
  EXPECT_THAT(Json(r)[0]["description"].get<std::string>(), StartsWith("api_key: more than 3"));
  // Three a minute: the next request is allowed in 20 s, and Retry-After says so.
  EXPECT_THAT(r.headers,
              ::testing::Contains(std::pair<std::string, std::string>("Retry-After", "20")));
  // Another key is not limited by it.
  EXPECT_EQ(Call("GET", absl::StrCat("/open311/v2/requests.json?api_key=", kWechatKey)).status,
            200);
  clock_.Advance(absl::Seconds(21));
  EXPECT_EQ(Call("GET", get).status, 200);
  EXPECT_EQ(Call("GET", get).status, 429);
}

// The gateway gives the handler its runtime's limiters (shared by its replicas): the handler
// makes one per key and one for client addresses through the factory, and answers their
// refusals 429 with their delay.
TEST_F(Open311Test, LimitsComeFromTheGivenFactoryAndTheirDelayIsTheRetryAfter) {
  class Refusing final : public auth::Limiter {
   public:
    explicit Refusing(bool refuse) : refuse_(refuse) {}
    auth::LimitDecision Take(const std::string&) override {
      if (!refuse_) return {};
      return {.allowed = false, .retry_after = absl::Milliseconds(6500)};
    }

   private:
    const bool refuse_;
  };
  std::vector<std::string> names;
  config::v1::Open311 config = TestConfig();
  auto tokens = NewOpen311ChannelTokens(config, kJwtKey, "", "", &clock_);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  auto handler =
      NewOpen311Handler(config, {.hazards = channel_,
                                 .buildings = channel_,
                                 .channel_token = *tokens,
                                 .request_token_key = kTokenKey,
                                 .clock = &clock_,
                                 .new_limiter = [&names](const std::string& name, double, double) {
                                   names.push_back(name);
                                   return std::make_unique<Refusing>(name == "open311-key:web");
                                 }});
  ASSERT_TRUE(handler.ok()) << handler.status();
  handler_ = std::move(*handler);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("open311-key:wechat", "open311-key:web",
                                                     "open311-address"));
  EXPECT_EQ(Call("GET", absl::StrCat("/open311/v2/requests.json?api_key=", kWechatKey)).status,
            200);
  HttpResponse r = Call("GET", absl::StrCat("/open311/v2/requests.json?api_key=", kWebKey));
  EXPECT_EQ(r.status, 429);
  EXPECT_THAT(r.headers, ::testing::Contains(std::pair<std::string, std::string>(
                             "Retry-After", "7")));  // 6.5 s, rounded up
}

TEST_F(Open311Test, AClientAddressBeyondItsRateLimitIs429WhateverTheKey) {
  config::v1::Open311 config = TestConfig();
  config.set_per_address_per_minute(2);
  handler_ = MakeHandler(config);
  EXPECT_EQ(Call("GET", "/open311/v2/services.json", "", "", "198.51.100.1").status, 200);
  EXPECT_EQ(Call("GET", "/open311/v2/services.json", "", "", "198.51.100.1").status, 200);
  HttpResponse r = Call("POST", "/open311/v2/requests.json", Form(),
                        "application/x-www-form-urlencoded", "198.51.100.1");
  EXPECT_EQ(r.status, 429);
  EXPECT_THAT(Json(r)[0]["description"].get<std::string>(), StartsWith("client address: "));
  EXPECT_TRUE(hazards_.reports.empty());
  EXPECT_EQ(Call("GET", "/open311/v2/services.json", "", "", "198.51.100.2").status, 200);
}

TEST_F(Open311Test, ConcurrentReportsAreEachFiledOnce) {
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> ids;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        HttpResponse r =
            Call("POST", "/open311/v2/requests.json", absl::StrCat(kValid, "+", t, "-", i));
        std::lock_guard<std::mutex> l(mu);
        EXPECT_EQ(r.status, 200) << r.body;
        if (r.status == 200) ids.insert(Json(r)[0]["service_request_id"].get<std::string>());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ids.size(), 80u);
  EXPECT_EQ(hazards_.reports.size(), 80u);
}

// ---- GET requests ----

TEST_F(Open311Test, ListingMapsTheFiltersOntoListHazardsForTheKeysChannel) {
  HttpResponse r =
      Call("GET", absl::StrCat("/open311/v2/requests.json?api_key=", kWechatKey,
                               "&service_code=fire_access_occupied,evacuation_blocked&status=closed"
                               "&start_date=2026-11-01T00:00:00%2B08:00&end_date=2026-12-01"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(hazards_.lists.size(), 1u);
  const hv1::ListHazardsRequest& req = hazards_.lists[0];
  EXPECT_THAT(req.sources(), ::testing::ElementsAre(hv1::SOURCE_PUBLIC_TIP_OFF));
  EXPECT_EQ(req.channel(), "wechat");
  EXPECT_THAT(req.categories(), ::testing::ElementsAre(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED,
                                                       hv1::HAZARD_CATEGORY_EVACUATION_BLOCKED));
  EXPECT_THAT(req.statuses(), ::testing::ElementsAre(hv1::STATUS_CLOSED, hv1::STATUS_REJECTED));
  EXPECT_EQ(req.reported_after().seconds(),
            absl::ToUnixSeconds(*open311::ParseW3cDateTime("2026-10-31T16:00:00Z", "x")));
  EXPECT_EQ(req.reported_before().seconds(),
            absl::ToUnixSeconds(*open311::ParseW3cDateTime("2026-11-30T16:00:00Z", "x")));
}

TEST_F(Open311Test, ListingDefaultsToTheLast90DaysOfOpenAndClosedRequests) {
  hazards_.Add("hzd_a", "wechat", hv1::STATUS_REPORTED);
  hazards_.Add("hzd_b", "wechat", hv1::STATUS_CLOSED);
  hazards_.Add("hzd_c", "web", hv1::STATUS_REPORTED);
  HttpResponse r = Call("GET", absl::StrCat("/open311/v2/requests.json?api_key=", kWechatKey));
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json list = Json(r);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["service_request_id"], "hzd_a");
  EXPECT_EQ(list[0]["status"], "open");
  EXPECT_EQ(list[1]["status"], "closed");
  const hv1::ListHazardsRequest& req = hazards_.lists.at(0);
  EXPECT_TRUE(req.statuses().empty());
  EXPECT_FALSE(req.has_reported_before());
  EXPECT_EQ(req.reported_after().seconds(), absl::ToUnixSeconds(clock_.Now() - absl::Hours(2160)));
}

TEST_F(Open311Test, ListingStopsAt1000RequestsPagingThroughListHazards) {
  for (int i = 0; i < 1200; ++i) {
    hazards_.Add(absl::StrCat("hzd_", 10000 + i), "wechat", hv1::STATUS_REPORTED);
  }
  HttpResponse r = Call("GET", absl::StrCat("/open311/v2/requests.json?api_key=", kWechatKey));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json(r).size(), 1000u);
  ASSERT_EQ(hazards_.lists.size(), 2u);
  EXPECT_EQ(hazards_.lists[1].page_token(), "500");
}

TEST_F(Open311Test, ListingRefusesBadFiltersNamingThem) {
  const std::string base = absl::StrCat("/open311/v2/requests.json?api_key=", kWechatKey);
  struct Case {
    std::string query;
    std::string description;
  };
  for (const Case& c : std::vector<Case>{
           {"&start_date=2026-01-01&end_date=2026-06-01", "end_date: at most 90 days"},
           {"&start_date=2026-06-01&end_date=2026-01-01", "end_date: must be after start_date"},
           {"&start_date=last+week", "start_date: must be a W3C date"},
           {"&status=pending", "status: must be open, closed"},
           {"&service_code=unknown", "service_code: not a service"},
           {"&service_request_id=bld_1", "service_request_id: not a request id"},
       }) {
    HttpResponse r = Call("GET", base + c.query);
    EXPECT_EQ(r.status, 400) << c.query;
    EXPECT_THAT(Json(r)[0]["description"].get<std::string>(), StartsWith(c.description)) << c.query;
  }
  EXPECT_TRUE(hazards_.lists.empty());
  EXPECT_EQ(Call("GET", "/open311/v2/requests.json").status, 400);
  EXPECT_EQ(Call("GET", "/open311/v2/requests.json?api_key=x").status, 403);
}

TEST_F(Open311Test, ListingByIdsReturnsOnlyTheKeysOwnRequests) {
  hazards_.Add("hzd_a", "wechat", hv1::STATUS_REPORTED);
  hazards_.Add("hzd_c", "web", hv1::STATUS_REPORTED);
  HttpResponse r = Call("GET", absl::StrCat("/open311/v2/requests.json?api_key=", kWechatKey,
                                            "&service_request_id=hzd_a,hzd_c,hzd_zz"));
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json list = Json(r);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["service_request_id"], "hzd_a");
  EXPECT_TRUE(hazards_.lists.empty());
}

TEST_F(Open311Test, ARequestReadsWithItsLifecycleInJsonAndXml) {
  hv1::Hazard& h = hazards_.Add("hzd_a", "wechat", hv1::STATUS_ASSIGNED);
  h.mutable_routing()->add_lead_departments("urban_management");
  h.mutable_assignment()->set_supervising_department("urban_management");
  *h.mutable_assignment()->mutable_deadline() =
      Ts(*open311::ParseW3cDateTime("2026-12-20T18:00:00+08:00", "x"));
  h.mutable_location()->set_latitude(29.5);
  h.mutable_location()->set_longitude(106.4);
  h.mutable_location()->set_address("渝北路 1 号 & 2 号");
  h.add_evidence()->set_uri("sha256:" + std::string(64, 'a'));
  h.add_evidence()->set_uri("https://example.org/p.jpg");
  HttpResponse r =
      Call("GET", absl::StrCat("/open311/v2/requests/hzd_a.json?api_key=", kWechatKey));
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json j = Json(r)[0];
  EXPECT_EQ(j["service_request_id"], "hzd_a");
  EXPECT_EQ(j["status"], "open");
  EXPECT_EQ(j["status_notes"],
            "已核实 verified; 已交办 assigned to urban_management, 整改期限 deadline 2026-12-20");
  EXPECT_EQ(j["service_code"], "fire_access_occupied");
  EXPECT_EQ(j["service_name"], "消防车道被占用");
  EXPECT_EQ(j["agency_responsible"], "urban_management");
  EXPECT_EQ(j["expected_datetime"], "2026-12-20T18:00:00+08:00");
  EXPECT_EQ(j["requested_datetime"], open311::FormatW3cDateTime(clock_.Now() - absl::Hours(1)));
  EXPECT_EQ(j["address"], "渝北路 1 号 & 2 号");
  EXPECT_EQ(j["lat"], 29.5);
  EXPECT_EQ(j["long"], 106.4);
  EXPECT_EQ(j["media_url"], "https://example.org/p.jpg");

  HttpResponse x = Call("GET", absl::StrCat("/open311/v2/requests/hzd_a.xml?api_key=", kWechatKey));
  ASSERT_EQ(x.status, 200);
  EXPECT_EQ(open311::XmlWellFormedness(x.body), "");
  EXPECT_THAT(x.body, HasSubstr("<status>open</status><status_notes>已核实 verified; 已交办 "
                                "assigned to urban_management, 整改期限 deadline 2026-12-20"
                                "</status_notes>"));
  EXPECT_THAT(x.body, HasSubstr("<address>渝北路 1 号 &amp; 2 号</address>"));
  EXPECT_THAT(x.body, HasSubstr("<service_notice/>"));
}

TEST_F(Open311Test, AnotherChannelsOrAnUnknownRequestIs404) {
  hazards_.Add("hzd_c", "web", hv1::STATUS_REPORTED);
  EXPECT_EQ(
      Call("GET", absl::StrCat("/open311/v2/requests/hzd_c.json?api_key=", kWechatKey)).status,
      404);
  EXPECT_EQ(
      Call("GET", absl::StrCat("/open311/v2/requests/hzd_x.json?api_key=", kWechatKey)).status,
      404);
  EXPECT_EQ(Call("GET", absl::StrCat("/open311/v2/requests/hzd_c.json?api_key=", kWebKey)).status,
            200);
}

struct StatusCase {
  std::string name;
  hv1::Status status;
  std::string open311_status;
  std::string notes;
};

class Open311StatusTest : public Open311Test, public ::testing::WithParamInterface<StatusCase> {};

TEST_P(Open311StatusTest, MapsToOpenOrClosedWithTheLifecycleInStatusNotes) {
  const StatusCase& c = GetParam();
  hv1::Hazard& h = hazards_.Add("hzd_s", "wechat", c.status);
  h.set_rejection_reason("重复举报 duplicate");
  h.set_closed_on_time(true);
  HttpResponse r =
      Call("GET", absl::StrCat("/open311/v2/requests/hzd_s.json?api_key=", kWechatKey));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)[0]["status"], c.open311_status);
  EXPECT_EQ(Json(r)[0]["status_notes"], c.notes);
}

INSTANTIATE_TEST_SUITE_P(
    Statuses, Open311StatusTest,
    ::testing::Values(
        StatusCase{"Reported", hv1::STATUS_REPORTED, "open",
                   "已受理，待核实 received, awaiting verification"},
        StatusCase{"Verified", hv1::STATUS_VERIFIED, "open", "已核实 verified"},
        StatusCase{"Assigned", hv1::STATUS_ASSIGNED, "open", "已核实 verified; 已交办 assigned"},
        StatusCase{"Rectifying", hv1::STATUS_RECTIFYING, "open",
                   "已核实 verified; 已交办 assigned; 整改中 rectifying"},
        StatusCase{"Submitted", hv1::STATUS_SUBMITTED, "open",
                   "已核实 verified; 已交办 assigned; 整改中 rectifying; 整改已完成，待复查 "
                   "rectified, awaiting review"},
        StatusCase{"Closed", hv1::STATUS_CLOSED, "closed",
                   "已核实 verified; 已交办 assigned; 整改中 rectifying; 整改已完成，待复查 "
                   "rectified, awaiting review; 已办结 closed on time"},
        StatusCase{"Rejected", hv1::STATUS_REJECTED, "closed",
                   "不予立案 rejected: 重复举报 duplicate"}),
    [](const ::testing::TestParamInfo<StatusCase>& info) { return info.param.name; });

TEST_F(Open311Test, AnUnmatchedOverdueReportSaysSo) {
  hv1::Hazard& h = hazards_.Add("hzd_u", "wechat", hv1::STATUS_REPORTED);
  h.set_unmatched(true);
  h.set_overdue(true);
  HttpResponse r =
      Call("GET", absl::StrCat("/open311/v2/requests/hzd_u.json?api_key=", kWechatKey));
  EXPECT_EQ(Json(r)[0]["status_notes"],
            "已受理，待街道核实并确定建筑 received, awaiting verification and the building by "
            "the street office; 已超期 overdue");
}

// ---- tokens ----

TEST_F(Open311Test, ATokenResolvesToItsRequestForItsChannelOnly) {
  HttpResponse posted = Call("POST", "/open311/v2/requests.json", Form());
  ASSERT_EQ(posted.status, 200) << posted.body;
  const std::string id = Json(posted)[0]["service_request_id"];
  const std::string token = Json(posted)[0]["token"];
  HttpResponse r =
      Call("GET", absl::StrCat("/open311/v2/tokens/", token, ".json?api_key=", kWechatKey));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)[0]["service_request_id"], id);
  EXPECT_EQ(Json(r)[0]["token"], token);
  HttpResponse x =
      Call("GET", absl::StrCat("/open311/v2/tokens/", token, ".xml?api_key=", kWechatKey));
  EXPECT_EQ(open311::XmlWellFormedness(x.body), "");
  EXPECT_THAT(x.body, HasSubstr(absl::StrCat("<service_requests><request><service_request_id>", id,
                                             "</service_request_id><token>")));
  // Another channel's key, a changed id or a changed signature: unknown.
  EXPECT_EQ(
      Call("GET", absl::StrCat("/open311/v2/tokens/", token, ".json?api_key=", kWebKey)).status,
      404);
  std::string other_id = token;
  other_id[4] = other_id[4] == '9' ? '8' : '9';
  EXPECT_EQ(Call("GET", absl::StrCat("/open311/v2/tokens/", other_id, ".json?api_key=", kWechatKey))
                .status,
            404);
  std::string other_sig = token;
  other_sig.back() = other_sig.back() == 'A' ? 'B' : 'A';
  HttpResponse bad =
      Call("GET", absl::StrCat("/open311/v2/tokens/", other_sig, ".json?api_key=", kWechatKey));
  EXPECT_EQ(bad.status, 404);
  EXPECT_THAT(Json(bad)[0]["description"].get<std::string>(), StartsWith("token: "));
}

// ---- routing and configuration ----

TEST_F(Open311Test, UnknownResourcesFormatsAndMethodsAreGeoReportErrors) {
  EXPECT_EQ(Call("GET", "/open311/v2/services.html").status, 404);
  EXPECT_EQ(Call("GET", "/open311/v2/services").status, 404);
  EXPECT_EQ(Call("GET", "/open311/v2/discovery/x/y.json").status, 404);
  HttpResponse put = Call("PUT", "/open311/v2/requests.json");
  EXPECT_EQ(put.status, 405);
  EXPECT_THAT(put.headers,
              ::testing::Contains(std::pair<std::string, std::string>("Allow", "GET, POST")));
  EXPECT_EQ(Call("POST", "/open311/v2/services.json").status, 405);
}

TEST(Open311ConfigTest, AnUnusableConfigIsInvalidArgumentNamingTheField) {
  FakeClock clock;
  auto channel = grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials());
  auto make = [&](const config::v1::Open311& c) {
    return NewOpen311Handler(c,
                             {.hazards = channel,
                              .buildings = channel,
                              .channel_token = [](const std::string&) { return std::string("t"); },
                              .request_token_key = kTokenKey,
                              .clock = &clock});
  };
  ASSERT_TRUE(make(TestConfig()).ok());
  struct Case {
    std::function<void(config::v1::Open311*)> change;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {[](auto* c) { c->set_jurisdiction_id("500109"); }, "open311.jurisdiction_id: "},
           {[](auto* c) { c->set_jurisdiction_id("firegrid.5001"); }, "open311.jurisdiction_id: "},
           {[](auto* c) { c->mutable_channels(1)->set_name("Web!"); },
            "open311.channels[1].name: "},
           {[](auto* c) { c->mutable_channels(1)->set_name("wechat"); },
            "open311.channels[1].name: is another channel's"},
           {[](auto* c) { c->mutable_channels(0)->set_api_key_sha256("ABC"); },
            "open311.channels[0].api_key_sha256: "},
           {[](auto* c) {
              c->mutable_channels(1)->set_api_key_sha256(c->channels(0).api_key_sha256());
            },
            "open311.channels[1].api_key_sha256: is another channel's"},
           {[](auto* c) { c->mutable_channels(0)->set_per_minute(-1); },
            "open311.channels[0].per_minute: "},
           {[](auto* c) { c->set_match_radius_m(-1); }, "open311.match_radius_m: "},
           {[](auto* c) { c->set_match_radius_m(3001); }, "open311.match_radius_m: "},
       }) {
    config::v1::Open311 config = TestConfig();
    c.change(&config);
    auto h = make(config);
    EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(std::string(h.status().message()), StartsWith(c.message));
  }
}

TEST(Open311ChannelTokensTest, AChannelWithoutAFileAndNoKeyIsInvalidArgument) {
  FakeClock clock;
  auto tokens = NewOpen311ChannelTokens(TestConfig(), "", "", "", &clock);
  EXPECT_EQ(tokens.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(tokens.status().message()), StartsWith("open311.channels[0].token_file"));
  auto ok = NewOpen311ChannelTokens(TestConfig(), kJwtKey, "", "", &clock);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)("hotline12345").status().code(), absl::StatusCode::kNotFound);
  config::v1::Open311 bad = TestConfig();
  bad.set_jurisdiction_id("500109");
  EXPECT_THAT(std::string(NewOpen311ChannelTokens(bad, kJwtKey, "", "", &clock).status().message()),
              StartsWith("open311.jurisdiction_id: "));
}

TEST(Open311ChannelTokensTest, AChannelWithATokenFileSendsTheFilesToken) {
  FakeClock clock;
  testing::TempDir dir;
  auth::Principal p{
      .subject = "channel:web", .role = auth::Role::kPublicChannel, .tier_path = "500109"};
  const std::string token =
      *(*auth::TokenSigner::Hs256(kJwtKey))->Sign(p, clock.Now(), absl::Hours(1));
  {
    std::ofstream out(dir.Join("web.jwt"));
    out << token << "\n";
  }
  config::v1::Open311 config = TestConfig();
  config.mutable_channels(1)->set_token_file(dir.Join("web.jwt"));
  auto tokens = NewOpen311ChannelTokens(config, kJwtKey, "", "", &clock);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(*(*tokens)("web"), token);
  // The other channel's is minted: another token, for its own subject.
  auto wechat = (*tokens)("wechat");
  ASSERT_TRUE(wechat.ok());
  auto verified =
      (*auth::TokenVerifier::Create({.hs256_key = kJwtKey}))->Verify(*wechat, clock.Now());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->subject, "channel:wechat");
}

}  // namespace
}  // namespace firegrid::gateway
