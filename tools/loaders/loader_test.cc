#include "tools/loaders/loader.h"

#include <cmath>
#include <map>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace firegrid::loaders {
namespace {

using ::testing::HasSubstr;

// An in-memory BuildingService with the semantics the loader relies on: request_id
// idempotency, versions checked by FileResponsibility and SetFireAccess, facilities replaced by
// kind, nearby search by distance. Counts mutating calls.
class FakeRegistry final : public bv1::BuildingService::Service {
 public:
  grpc::Status UpsertOrgUnit(grpc::ServerContext*, const bv1::UpsertOrgUnitRequest* req,
                             bv1::OrgUnit* out) override {
    absl::MutexLock l(&mu_);
    units_[req->org_unit().code()] = req->org_unit();
    *out = req->org_unit();
    return grpc::Status::OK;
  }
  grpc::Status CreateBuilding(grpc::ServerContext*, const bv1::CreateBuildingRequest* req,
                              bv1::Building* out) override {
    absl::MutexLock l(&mu_);
    if (req->building().name() == fail_on_name_) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "building.name: rejected");
    }
    if (!units_.count(req->building().tier_path())) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "building.tier_path: no org unit");
    }
    auto it = by_request_.find(req->request_id());
    if (it != by_request_.end()) {
      *out = buildings_[it->second];
      return grpc::Status::OK;
    }
    bv1::Building b = req->building();
    b.set_building_id("bld_" + std::to_string(buildings_.size() + 1));
    b.set_version(1);
    buildings_[b.building_id()] = b;
    by_request_[req->request_id()] = b.building_id();
    ++mutations_;
    *out = b;
    return grpc::Status::OK;
  }
  grpc::Status UpdateBuilding(grpc::ServerContext*, const bv1::UpdateBuildingRequest* req,
                              bv1::Building* out) override {
    absl::MutexLock l(&mu_);
    bv1::Building& b = buildings_[req->building().building_id()];
    if (b.version() != req->expected_version()) {
      return grpc::Status(grpc::StatusCode::ABORTED, "version");
    }
    for (const std::string& path : req->update_mask().paths()) {
      if (path != "parties") return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, path);
    }
    *b.mutable_parties() = req->building().parties();
    b.set_version(b.version() + 1);
    ++mutations_;
    *out = b;
    return grpc::Status::OK;
  }
  grpc::Status FileResponsibility(grpc::ServerContext*, const bv1::FileResponsibilityRequest* req,
                                  bv1::Building* out) override {
    absl::MutexLock l(&mu_);
    bv1::Building& b = buildings_[req->building_id()];
    if (b.version() != req->expected_version()) {
      return grpc::Status(grpc::StatusCode::ABORTED, "version");
    }
    *b.mutable_responsibility()->mutable_chain() = req->chain();
    if (req->has_filing()) {
      *b.mutable_responsibility()->mutable_filing() = req->filing();
    } else {
      b.mutable_responsibility()->clear_filing();
    }
    b.set_version(b.version() + 1);
    ++mutations_;
    ++filings_calls_;
    *out = b;
    return grpc::Status::OK;
  }
  grpc::Status SetFacilityStatus(grpc::ServerContext*, const bv1::SetFacilityStatusRequest* req,
                                 bv1::Building* out) override {
    absl::MutexLock l(&mu_);
    bv1::Building& b = buildings_[req->building_id()];
    bv1::Facility* f = nullptr;
    for (auto& existing : *b.mutable_facilities()) {
      if (existing.kind() == req->kind()) f = &existing;
    }
    if (f == nullptr) f = b.add_facilities();
    f->set_kind(req->kind());
    f->set_status(req->status());
    b.set_version(b.version() + 1);
    ++mutations_;
    *out = b;
    return grpc::Status::OK;
  }
  grpc::Status SetFireAccess(grpc::ServerContext*, const bv1::SetFireAccessRequest* req,
                             bv1::SetFireAccessResponse* out) override {
    absl::MutexLock l(&mu_);
    bv1::Building& b = buildings_[req->building_id()];
    if (b.version() != req->expected_version()) {
      return grpc::Status(grpc::StatusCode::ABORTED, "version");
    }
    *b.mutable_fire_lanes() = req->fire_lanes();
    *b.mutable_rescue_sites() = req->rescue_sites();
    b.set_version(b.version() + 1);
    ++mutations_;
    *out->mutable_building() = b;
    return grpc::Status::OK;
  }
  grpc::Status RegisterHydrant(grpc::ServerContext*, const bv1::RegisterHydrantRequest* req,
                               bv1::Hydrant* out) override {
    absl::MutexLock l(&mu_);
    *out = req->hydrant();
    out->set_hydrant_id("hyd_" + std::to_string(hydrants_.size() + 1));
    hydrants_.push_back(*out);
    ++mutations_;
    return grpc::Status::OK;
  }
  grpc::Status RegisterMicroStation(grpc::ServerContext*,
                                    const bv1::RegisterMicroStationRequest* req,
                                    bv1::MicroStation* out) override {
    absl::MutexLock l(&mu_);
    *out = req->station();
    out->set_station_id("mfs_" + std::to_string(stations_.size() + 1));
    stations_.push_back(*out);
    ++mutations_;
    return grpc::Status::OK;
  }
  grpc::Status FindNearby(grpc::ServerContext*, const bv1::FindNearbyRequest* req,
                          bv1::FindNearbyResponse* out) override {
    absl::MutexLock l(&mu_);
    auto distance = [&](const bv1::GeoPoint& p) {
      const double dlat = (p.latitude() - req->location().latitude()) * 111195.0;
      const double dlon = (p.longitude() - req->location().longitude()) * 111195.0 *
                          std::cos(req->location().latitude() * M_PI / 180);
      return std::sqrt(dlat * dlat + dlon * dlon);
    };
    if (req->kind() == bv1::NEARBY_KIND_HYDRANT) {
      for (const auto& h : hydrants_) {
        if (distance(h.location()) <= req->radius_m()) {
          auto* r = out->add_results();
          r->set_distance_m(distance(h.location()));
          *r->mutable_hydrant() = h;
        }
      }
    } else {
      for (const auto& s : stations_) {
        if (distance(s.location()) <= req->radius_m()) {
          auto* r = out->add_results();
          r->set_distance_m(distance(s.location()));
          *r->mutable_station() = s;
        }
      }
    }
    return grpc::Status::OK;
  }

  int mutations() {
    absl::MutexLock l(&mu_);
    return mutations_;
  }
  std::vector<bv1::Building> buildings() {
    absl::MutexLock l(&mu_);
    std::vector<bv1::Building> out;
    for (const auto& [id, b] : buildings_) out.push_back(b);
    return out;
  }
  // Drops the follow-up state of every building, as if a run had stopped after CreateBuilding.
  void ForgetFollowUps() {
    absl::MutexLock l(&mu_);
    for (auto& [id, b] : buildings_) {
      b.clear_responsibility();
      b.clear_facilities();
      b.clear_fire_lanes();
      b.clear_rescue_sites();
    }
  }
  // As if the buildings had been registered by a loader that named no parties.
  void ForgetParties() {
    absl::MutexLock l(&mu_);
    for (auto& [id, b] : buildings_) b.clear_parties();
  }
  void FailOnName(const std::string& name) {
    absl::MutexLock l(&mu_);
    fail_on_name_ = name;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, bv1::OrgUnit> units_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, bv1::Building> buildings_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> by_request_ ABSL_GUARDED_BY(mu_);
  std::vector<bv1::Hydrant> hydrants_ ABSL_GUARDED_BY(mu_);
  std::vector<bv1::MicroStation> stations_ ABSL_GUARDED_BY(mu_);
  std::string fail_on_name_ ABSL_GUARDED_BY(mu_);
  int mutations_ ABSL_GUARDED_BY(mu_) = 0;
  int filings_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

class LoaderTest : public ::testing::Test {
 protected:
  LoaderTest() : data_(GenerateBeibei(kDefaultSeed, 60)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    stub_ = bv1::BuildingService::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                                              grpc::InsecureChannelCredentials()));
  }
  ~LoaderTest() override { server_->Shutdown(); }

  absl::StatusOr<LoadSummary> Load() {
    DemoLoader loader(stub_.get(), [](grpc::ClientContext* ctx) {
      ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    });
    return loader.Load(data_);
  }

  DemoDataset data_;
  FakeRegistry fake_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<bv1::BuildingService::Stub> stub_;
};

TEST_F(LoaderTest, FirstRunCreatesEverythingAndAppliesEveryStep) {
  auto s = Load();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->org_units, static_cast<int>(data_.org_units.size()));
  EXPECT_EQ(s->buildings_new, 60);
  int steps = 0, facilities = 0;
  for (const auto& p : data_.buildings) {
    steps += p.chain_steps.size();
    facilities += p.facilities.size();
  }
  EXPECT_EQ(s->chain_steps, steps);
  EXPECT_EQ(s->facility_updates, facilities);
  EXPECT_EQ(s->fire_access_sets, 60);
  EXPECT_EQ(s->party_sets, 0);  // created with their parties
  EXPECT_EQ(s->hydrants_new, static_cast<int>(data_.hydrants.size()));
  EXPECT_EQ(s->stations_new, static_cast<int>(data_.stations.size()));
  // The buildings carry the final planned chain: changed managers, filings where planned.
  for (const bv1::Building& b : fake_.buildings()) {
    EXPECT_FALSE(b.fire_lanes().empty());
    EXPECT_GE(b.parties_size(), 2);
  }
}

TEST_F(LoaderTest, BuildingsRegisteredWithoutPartiesGetThemOnceOnTheNextRun) {
  ASSERT_TRUE(Load().ok());
  fake_.ForgetParties();
  auto s = Load();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->party_sets, 60);
  EXPECT_EQ(s->chain_steps, 0);
  int planned = 0, loaded = 0;
  for (const auto& p : data_.buildings) planned += p.building.parties_size();
  for (const bv1::Building& b : fake_.buildings()) loaded += b.parties_size();
  EXPECT_EQ(loaded, planned);
  s = Load();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->party_sets, 0);
}

TEST_F(LoaderTest, SecondRunCreatesAndChangesNothing) {
  ASSERT_TRUE(Load().ok());
  const int mutations = fake_.mutations();
  auto s = Load();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(fake_.mutations(), mutations);
  EXPECT_EQ(s->buildings, 60);
  EXPECT_EQ(s->buildings_new, 0);
  EXPECT_EQ(s->chain_steps, 0);
  EXPECT_EQ(s->facility_updates, 0);
  EXPECT_EQ(s->fire_access_sets, 0);
  EXPECT_EQ(s->hydrants_new, 0);
  EXPECT_EQ(s->stations_new, 0);
  EXPECT_EQ(fake_.buildings().size(), 60u);
}

TEST_F(LoaderTest, RunAfterAnInterruptedOneFinishesTheMissingSteps) {
  ASSERT_TRUE(Load().ok());
  fake_.ForgetFollowUps();
  auto s = Load();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->buildings_new, 60);
  EXPECT_EQ(s->fire_access_sets, 60);
  EXPECT_GT(s->chain_steps, 0);
  EXPECT_EQ(s->hydrants_new, 0);
  EXPECT_EQ(fake_.buildings().size(), 60u);
}

TEST_F(LoaderTest, FailureNamesTheCallAndTheBuilding) {
  fake_.FailOnName(data_.buildings[3].building.name());
  auto s = Load();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("CreateBuilding demo-beibei-000"));
  EXPECT_THAT(s.status().message(), HasSubstr("building.name: rejected"));
}

TEST(LoadSummaryTest, OneLineNamesEveryCount) {
  LoadSummary s;
  s.buildings = 300;
  s.buildings_new = 12;
  s.hydrants = 120;
  EXPECT_EQ(s.ToString(),
            "0 org units, 300 buildings (12 new), 0 responsibility steps (0 filed), 0 facility "
            "statuses, 0 fire-access sets, 0 party lists set, 120 hydrants (0 new), 0 micro "
            "stations (0 new)");
}

}  // namespace
}  // namespace firegrid::loaders
