#include "tools/loaders/monitoring_loader.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace firegrid::loaders {
namespace {

namespace mv1 = ::firegrid::monitoring::v1;
using ::testing::HasSubstr;

// The device registry's behaviour the loader relies on: NOT_FOUND while the building is not
// known yet, ALREADY_EXISTS for a taken id, new devices INSTALLED, versioned updates.
class FakeMonitoring final : public mv1::MonitoringService::Service {
 public:
  grpc::Status RegisterDevice(grpc::ServerContext* ctx, const mv1::RegisterDeviceRequest* req,
                              mv1::Device* out) override {
    absl::MutexLock lock(&mu_);
    ++register_calls_;
    if (ctx->client_metadata().count("authorization") == 0) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no token");
    }
    if (refuse_with_ != grpc::StatusCode::OK) return grpc::Status(refuse_with_, "refused");
    if (unknown_building_calls_ > 0) {
      --unknown_building_calls_;
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "building_id: no such building");
    }
    if (devices_.count(req->device().device_id())) {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "device_id: taken");
    }
    mv1::Device d = req->device();
    d.set_status(mv1::DEVICE_STATUS_INSTALLED);
    d.set_version(1);
    devices_[d.device_id()] = d;
    *out = d;
    return grpc::Status::OK;
  }
  grpc::Status GetDevice(grpc::ServerContext*, const mv1::GetDeviceRequest* req,
                         mv1::Device* out) override {
    absl::MutexLock lock(&mu_);
    auto it = devices_.find(req->device_id());
    if (it == devices_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "device_id");
    *out = it->second;
    return grpc::Status::OK;
  }
  grpc::Status UpdateDevice(grpc::ServerContext*, const mv1::UpdateDeviceRequest* req,
                            mv1::Device* out) override {
    absl::MutexLock lock(&mu_);
    auto it = devices_.find(req->device().device_id());
    if (it == devices_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "device_id");
    if (req->expected_version() != it->second.version()) {
      return grpc::Status(grpc::StatusCode::ABORTED, "version");
    }
    if (req->update_mask().paths_size() != 1 || req->update_mask().paths(0) != "status") {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "update_mask");
    }
    it->second.set_status(req->device().status());
    it->second.set_version(it->second.version() + 1);
    *out = it->second;
    return grpc::Status::OK;
  }

  absl::Mutex mu_;
  std::map<std::string, mv1::Device> devices_;
  int unknown_building_calls_ = 0;
  int register_calls_ = 0;
  grpc::StatusCode refuse_with_ = grpc::StatusCode::OK;
};

class MonitoringLoaderTest : public ::testing::Test {
 protected:
  MonitoringLoaderTest() : fleet_(devicesim::DemoFleet(3)) {
    for (const devicesim::SimDevice& d : fleet_) {
      ids_[d.building_request_id] = absl::StrCat("bld_", d.building_request_id.substr(12));
    }
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    stub_ = mv1::MonitoringService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }
  ~MonitoringLoaderTest() override { server_->Shutdown(); }

  absl::StatusOr<MonitoringSummary> Load(absl::Duration wait = absl::Seconds(10)) {
    MonitoringLoader::Options o;
    o.wait = wait;
    o.poll = absl::Milliseconds(1);
    MonitoringLoader loader(
        stub_.get(), [](grpc::ClientContext* c) { c->AddMetadata("authorization", "Bearer t"); },
        o);
    return loader.Load(fleet_, ids_);
  }

  std::vector<devicesim::SimDevice> fleet_;
  std::map<std::string, std::string> ids_;
  FakeMonitoring fake_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<mv1::MonitoringService::Stub> stub_;
};

TEST_F(MonitoringLoaderTest, RegistersEveryDeviceOnItsBuildingAndPutsItInService) {
  absl::StatusOr<MonitoringSummary> s = Load();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->registered, static_cast<int>(fleet_.size()));
  EXPECT_EQ(s->in_service, static_cast<int>(fleet_.size()));
  EXPECT_EQ(s->buildings, 3);
  absl::MutexLock lock(&fake_.mu_);
  ASSERT_EQ(fake_.devices_.size(), fleet_.size());
  const mv1::Device& hyd = fake_.devices_.at("bb0002-hyd");
  EXPECT_EQ(hyd.building_id(), "bld_0002");
  EXPECT_EQ(hyd.type(), mv1::DEVICE_TYPE_HYDRANT_PRESSURE);
  EXPECT_EQ(hyd.gateway_id(), "gw-bb-0002");
  EXPECT_EQ(hyd.heartbeat_period().seconds(), 60);
  EXPECT_EQ(hyd.status(), mv1::DEVICE_STATUS_IN_SERVICE);
  EXPECT_EQ(fake_.devices_.at("bb0001-smoke").gateway_id(), "");
}

TEST_F(MonitoringLoaderTest, RetriesWhileTheServiceDoesNotKnowTheBuildingYet) {
  {
    absl::MutexLock lock(&fake_.mu_);
    fake_.unknown_building_calls_ = 5;
  }
  absl::StatusOr<MonitoringSummary> s = Load();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->registered, static_cast<int>(fleet_.size()));
}

TEST_F(MonitoringLoaderTest, ASecondRunRegistersNothingAgain) {
  ASSERT_TRUE(Load().ok());
  absl::StatusOr<MonitoringSummary> again = Load();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->registered, 0);
  EXPECT_EQ(again->existing, static_cast<int>(fleet_.size()));
  EXPECT_EQ(again->in_service, 0);
}

TEST_F(MonitoringLoaderTest, PutsInServiceADeviceRegisteredButLeftInstalled) {
  {
    absl::MutexLock lock(&fake_.mu_);
    mv1::Device d;
    d.set_device_id("bb0001-fap");
    d.set_status(mv1::DEVICE_STATUS_INSTALLED);
    d.set_version(4);
    fake_.devices_[d.device_id()] = d;
  }
  absl::StatusOr<MonitoringSummary> s = Load();
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->existing, 1);
  EXPECT_EQ(s->in_service, static_cast<int>(fleet_.size()));
  absl::MutexLock lock(&fake_.mu_);
  EXPECT_EQ(fake_.devices_.at("bb0001-fap").status(), mv1::DEVICE_STATUS_IN_SERVICE);
}

TEST_F(MonitoringLoaderTest, GivesUpWithTheLastErrorWhenTheBuildingStaysUnknown) {
  {
    absl::MutexLock lock(&fake_.mu_);
    fake_.unknown_building_calls_ = 1000000;
  }
  absl::StatusOr<MonitoringSummary> s = Load(absl::Milliseconds(50));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.status().message(), HasSubstr("registering device bb0001-fap"));
}

TEST_F(MonitoringLoaderTest, DoesNotRetryARefusal) {
  {
    absl::MutexLock lock(&fake_.mu_);
    fake_.refuse_with_ = grpc::StatusCode::PERMISSION_DENIED;
  }
  absl::StatusOr<MonitoringSummary> s = Load();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kPermissionDenied);
  absl::MutexLock lock(&fake_.mu_);
  EXPECT_EQ(fake_.register_calls_, 1);
}

TEST_F(MonitoringLoaderTest, ADeviceOfABuildingNotLoadedIsAnError) {
  ids_.erase("demo-beibei-0003");
  absl::StatusOr<MonitoringSummary> s = Load();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.status().message(), HasSubstr("demo-beibei-0003"));
}

}  // namespace
}  // namespace firegrid::loaders
