#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/monitoring/v1/monitoring.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "tools/devicesim/fleet.h"

namespace firegrid::loaders {

struct MonitoringSummary {
  int registered = 0;  // this run
  int existing = 0;    // registered before (ALREADY_EXISTS)
  int in_service = 0;  // put in service this run
  int buildings = 0;
  // "84 devices on 12 buildings (84 registered, 0 already there, 84 put in service)".
  std::string ToString() const;
};

// Registers the demo fleet (tools/devicesim/fleet.h, the devices firegrid-devicesim plays)
// through the public MonitoringService API and puts each device in service, idempotently (a
// device already registered is left as it is, but put in service). The monitoring service
// learns the demo buildings from Kafka: a registration refused as NOT_FOUND (building not known
// yet) or UNAVAILABLE is retried every `poll` until `wait` after Load began.
class MonitoringLoader {
 public:
  struct Options {
    absl::Duration timeout = absl::Seconds(10);
    absl::Duration wait = absl::Seconds(60);
    absl::Duration poll = absl::Milliseconds(250);
  };
  // `prepare` sets the call's deadline-independent parts (the token).
  MonitoringLoader(monitoring::v1::MonitoringService::StubInterface* stub,
                   std::function<void(grpc::ClientContext*)> prepare, Options options)
      : stub_(stub), prepare_(std::move(prepare)), options_(options) {}

  // `building_ids`: demo request id → building id (DemoLoader::building_ids()). A device whose
  // building is not among them is an error (FAILED_PRECONDITION).
  absl::StatusOr<MonitoringSummary> Load(const std::vector<devicesim::SimDevice>& fleet,
                                         const std::map<std::string, std::string>& building_ids);

 private:
  monitoring::v1::MonitoringService::StubInterface* stub_;
  std::function<void(grpc::ClientContext*)> prepare_;
  Options options_;
};

}  // namespace firegrid::loaders
