#pragma once

// Test-only: an in-process BuildingService on 127.0.0.1:<free port> that records what it
// receives and answers from canned data.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"

namespace firegrid::ctl::testing {

namespace bv1 = ::firegrid::buildings::v1;

class FakeBuildingService final : public bv1::BuildingService::Service {
 public:
  grpc::Status GetBuilding(grpc::ServerContext* ctx, const bv1::GetBuildingRequest* req,
                           bv1::Building* out) override {
    Record(ctx);
    absl::MutexLock lock(&mu_);
    for (const bv1::Building& b : buildings_) {
      if (b.building_id() == req->building_id()) {
        *out = b;
        return grpc::Status::OK;
      }
    }
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "building " + req->building_id() + " not found");
  }

  grpc::Status ListBuildings(grpc::ServerContext* ctx, const bv1::ListBuildingsRequest* req,
                             bv1::ListBuildingsResponse* out) override {
    Record(ctx);
    absl::MutexLock lock(&mu_);
    last_list_ = *req;
    // Pages of one building each, to exercise --all.
    size_t start = req->page_token().empty() ? 0 : std::stoul(req->page_token());
    if (start < buildings_.size()) *out->add_buildings() = buildings_[start];
    if (start + 1 < buildings_.size()) out->set_next_page_token(std::to_string(start + 1));
    return grpc::Status::OK;
  }

  grpc::Status CreateBuilding(grpc::ServerContext* ctx, const bv1::CreateBuildingRequest* req,
                              bv1::Building* out) override {
    Record(ctx);
    absl::MutexLock lock(&mu_);
    last_create_ = *req;
    *out = req->building();
    out->set_building_id("bld_new");
    out->set_version(1);
    return grpc::Status::OK;
  }
  bv1::CreateBuildingRequest last_create() {
    absl::MutexLock lock(&mu_);
    return last_create_;
  }

  grpc::Status UpdateBuilding(grpc::ServerContext* ctx, const bv1::UpdateBuildingRequest* req,
                              bv1::Building* out) override {
    Record(ctx);
    absl::MutexLock lock(&mu_);
    last_update_ = *req;
    *out = req->building();
    out->set_version(req->expected_version() + 1);
    return grpc::Status::OK;
  }

  grpc::Status FileResponsibility(grpc::ServerContext* ctx,
                                  const bv1::FileResponsibilityRequest* req,
                                  bv1::Building* out) override {
    Record(ctx);
    absl::MutexLock lock(&mu_);
    last_file_ = *req;
    out->set_building_id(req->building_id());
    *out->mutable_responsibility()->mutable_chain() = req->chain();
    return grpc::Status::OK;
  }

  grpc::Status ImportBuildingsCsv(grpc::ServerContext* ctx,
                                  const bv1::ImportBuildingsCsvRequest* req,
                                  bv1::ImportBuildingsCsvResponse* out) override {
    Record(ctx);
    out->set_rows(2);
    if (req->content().find("bad") != std::string::npos) {
      bv1::RowError* e = out->add_errors();
      e->set_line(3);
      e->set_column("height_m");
      e->set_message("not a number");
    } else if (!req->dry_run()) {
      out->set_imported(2);
    }
    return grpc::Status::OK;
  }

  // Joins the chunks and answers as the unary import does; records the chunk count.
  grpc::Status ImportBuildingsCsvStream(grpc::ServerContext* ctx,
                                        grpc::ServerReader<bv1::ImportBuildingsCsvChunk>* reader,
                                        bv1::ImportBuildingsCsvResponse* out) override {
    bv1::ImportBuildingsCsvRequest req;
    bv1::ImportBuildingsCsvChunk chunk;
    int chunks = 0;
    while (reader->Read(&chunk)) {
      if (chunks++ == 0) req.set_dry_run(chunk.dry_run());
      req.mutable_content()->append(chunk.content());
    }
    {
      absl::MutexLock lock(&mu_);
      streamed_chunks_ = chunks;
      streamed_bytes_ = req.content().size();
    }
    return ImportBuildingsCsv(ctx, &req, out);
  }
  std::pair<int, size_t> streamed() {
    absl::MutexLock lock(&mu_);
    return {streamed_chunks_, streamed_bytes_};
  }

  // A ledger of two communities: one with buildings but no lanes or indoor hydrants recorded
  // (those ratios unset), one with all three ratios set.
  grpc::Status GetLedger(grpc::ServerContext* ctx, const bv1::GetLedgerRequest*,
                         bv1::Ledger* out) override {
    Record(ctx);
    out->set_tier_path("500109001");
    bv1::LedgerRow* bare = out->add_rows();
    bare->set_tier_path("500109001001");
    bare->mutable_counts()->set_buildings(2);
    bare->mutable_counts()->set_responsibility_filed_pct(0);
    bv1::LedgerRow* full = out->add_rows();
    full->set_tier_path("500109001002");
    full->mutable_counts()->set_buildings(1);
    full->mutable_counts()->set_responsibility_filed(1);
    full->mutable_counts()->set_filed_late(1);
    full->mutable_counts()->set_responsibility_filed_pct(100);
    full->mutable_counts()->set_lanes_marked_pct(100);
    full->mutable_counts()->set_indoor_hydrants_with_water_pct(100);
    return grpc::Status::OK;
  }

  // Buildings nearby: every stored building, 100 m apart, for kind BUILDING; nothing else.
  grpc::Status FindNearby(grpc::ServerContext* ctx, const bv1::FindNearbyRequest* req,
                          bv1::FindNearbyResponse* out) override {
    Record(ctx);
    if (req->kind() != bv1::NEARBY_KIND_BUILDING) return grpc::Status::OK;
    absl::MutexLock lock(&mu_);
    double distance = 0;
    for (const bv1::Building& b : buildings_) {
      bv1::NearbyResult* r = out->add_results();
      r->set_distance_m(distance += 100);
      r->mutable_building()->set_building_id(b.building_id());
      r->mutable_building()->set_name(b.name());
      r->mutable_building()->set_address(b.address());
      r->mutable_building()->set_tier_path(b.tier_path());
    }
    return grpc::Status::OK;
  }

  void AddBuilding(bv1::Building b) {
    absl::MutexLock lock(&mu_);
    buildings_.push_back(std::move(b));
  }
  std::string last_authorization() {
    absl::MutexLock lock(&mu_);
    return last_authorization_;
  }
  bv1::ListBuildingsRequest last_list() {
    absl::MutexLock lock(&mu_);
    return last_list_;
  }
  bv1::UpdateBuildingRequest last_update() {
    absl::MutexLock lock(&mu_);
    return last_update_;
  }
  grpc::Status ListOrgUnits(grpc::ServerContext* ctx, const bv1::ListOrgUnitsRequest* req,
                            bv1::ListOrgUnitsResponse* out) override {
    Record(ctx);
    absl::MutexLock lock(&mu_);
    for (const bv1::OrgUnit& u : org_units_) {
      if (u.code().rfind(req->tier_path_prefix(), 0) == 0) *out->add_org_units() = u;
    }
    return grpc::Status::OK;
  }

  void AddOrgUnit(const std::string& code, const std::string& name) {
    absl::MutexLock lock(&mu_);
    bv1::OrgUnit u;
    u.set_code(code);
    u.set_name(name);
    org_units_.push_back(u);
  }

  bv1::FileResponsibilityRequest last_file() {
    absl::MutexLock lock(&mu_);
    return last_file_;
  }

 private:
  void Record(grpc::ServerContext* ctx) {
    absl::MutexLock lock(&mu_);
    auto it = ctx->client_metadata().find("authorization");
    last_authorization_ =
        it == ctx->client_metadata().end() ? "" : std::string(it->second.data(), it->second.size());
  }

  absl::Mutex mu_;
  std::vector<bv1::Building> buildings_ ABSL_GUARDED_BY(mu_);
  std::vector<bv1::OrgUnit> org_units_ ABSL_GUARDED_BY(mu_);
  std::string last_authorization_ ABSL_GUARDED_BY(mu_);
  bv1::ListBuildingsRequest last_list_ ABSL_GUARDED_BY(mu_);
  bv1::UpdateBuildingRequest last_update_ ABSL_GUARDED_BY(mu_);
  bv1::CreateBuildingRequest last_create_ ABSL_GUARDED_BY(mu_);
  bv1::FileResponsibilityRequest last_file_ ABSL_GUARDED_BY(mu_);
  int streamed_chunks_ ABSL_GUARDED_BY(mu_) = 0;
  size_t streamed_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

// Serves `service` (and the default grpc.health.v1 service) on a port the kernel picks.
class FakeServer {
 public:
  explicit FakeServer(grpc::Service* service) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service);
    server_ = builder.BuildAndStart();
  }
  ~FakeServer() { server_->Shutdown(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  grpc::Server* server() { return server_.get(); }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace firegrid::ctl::testing
