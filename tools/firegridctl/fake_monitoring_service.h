#pragma once

// Test-only: an in-process MonitoringService that records the last request of each RPC and the
// authorization header, and answers from canned data (serve it with FakeServer from
// fake_building_service.h).

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "firegrid/monitoring/v1/monitoring.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tools/firegridctl/fake_request_log.h"

namespace firegrid::ctl::testing {

namespace mv1 = ::firegrid::monitoring::v1;

class FakeMonitoringService final : public mv1::MonitoringService::Service, public RequestLog {
 public:
  grpc::Status RegisterDevice(grpc::ServerContext* ctx, const mv1::RegisterDeviceRequest* req,
                              mv1::Device* out) override {
    Record(ctx, *req);
    *out = req->device();
    if (out->status() == mv1::DEVICE_STATUS_UNSPECIFIED) {
      out->set_status(mv1::DEVICE_STATUS_INSTALLED);
    }
    out->set_tier_path("500109001002");
    out->set_version(1);
    return grpc::Status::OK;
  }
  grpc::Status GetDevice(grpc::ServerContext* ctx, const mv1::GetDeviceRequest* req,
                         mv1::Device* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    if (req->device_id() != device_.device_id()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "device " + req->device_id());
    }
    *out = device_;
    return grpc::Status::OK;
  }
  grpc::Status ListDevices(grpc::ServerContext* ctx, const mv1::ListDevicesRequest* req,
                           mv1::ListDevicesResponse* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    *out->add_devices() = device_;
    return grpc::Status::OK;
  }
  grpc::Status ImportDevicesCsv(grpc::ServerContext* ctx, const mv1::ImportDevicesCsvRequest* req,
                                mv1::ImportDevicesCsvResponse* out) override {
    Record(ctx, *req);
    if (req->csv().find("bad") != std::string::npos) {
      mv1::ImportRowError* e = out->add_errors();
      e->set_line(2);
      e->set_field("type");
      e->set_message("unknown device type");
      return grpc::Status::OK;
    }
    out->set_created(2);
    return grpc::Status::OK;
  }
  grpc::Status Ingest(grpc::ServerContext* ctx, grpc::ServerReader<mv1::IngestRequest>* reader,
                      mv1::IngestResponse* out) override {
    mv1::IngestRequest req;
    int64_t n = 0;
    std::string gateway;
    while (reader->Read(&req)) {
      Record(ctx, req);
      n += req.signals_size();
      gateway = req.gateway_id();
      absl::MutexLock lock(&mu_);
      ingest_requests_.push_back(req.signals_size());
    }
    out->set_accepted(n - 1);
    out->set_duplicates(0);
    out->set_rejected_total(1);
    mv1::RejectedSignal* r = out->add_rejected();
    r->set_device_id("unknown-dev");
    r->set_boot_epoch(1);
    r->set_sequence(9);
    r->set_reason("unknown device");
    return grpc::Status::OK;
  }
  grpc::Status GetAlarm(grpc::ServerContext* ctx, const mv1::GetAlarmRequest* req,
                        mv1::Alarm* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    if (req->alarm_id() != alarm_.alarm_id()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "alarm " + req->alarm_id());
    }
    *out = alarm_;
    return grpc::Status::OK;
  }
  grpc::Status ListAlarms(grpc::ServerContext* ctx, const mv1::ListAlarmsRequest* req,
                          mv1::ListAlarmsResponse* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    *out->add_alarms() = alarm_;
    if (req->page_token().empty() && paged_) out->set_next_page_token("p2");
    return grpc::Status::OK;
  }
  grpc::Status CountAlarms(grpc::ServerContext* ctx, const mv1::CountAlarmsRequest* req,
                           mv1::AlarmCounts* out) override {
    Record(ctx, *req);
    out->set_scope(req->tier_path_prefix().empty() ? req->building_id() : req->tier_path_prefix());
    mv1::AlarmCount* c = out->add_counts();
    c->set_type(mv1::ALARM_TYPE_LOW_PRESSURE);
    c->set_state(mv1::ALARM_STATE_ACTIVE_UNACK);
    c->set_count(3);
    out->set_active(3);
    out->set_active_unacknowledged(3);
    return grpc::Status::OK;
  }
  grpc::Status AcknowledgeAlarm(grpc::ServerContext* ctx, const mv1::AcknowledgeAlarmRequest* req,
                                mv1::Alarm* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    *out = alarm_;
    out->set_state(mv1::ALARM_STATE_ACTIVE_ACK);
    out->set_acknowledged_by("dev-admin");
    out->mutable_acknowledged_at()->set_seconds(1796547600);
    return grpc::Status::OK;
  }
  grpc::Status ClearAlarm(grpc::ServerContext* ctx, const mv1::ClearAlarmRequest* req,
                          mv1::Alarm* out) override {
    Record(ctx, *req);
    absl::MutexLock lock(&mu_);
    *out = alarm_;
    out->set_state(mv1::ALARM_STATE_CLEARED_ACK);
    out->set_cleared_by("dev-admin");
    out->mutable_cleared_at()->set_seconds(1796547600);
    return grpc::Status::OK;
  }

  absl::Mutex mu_;
  mv1::Device device_;
  mv1::Alarm alarm_;
  bool paged_ = false;
  std::vector<int> ingest_requests_;  // signals per request received
};

}  // namespace firegrid::ctl::testing
