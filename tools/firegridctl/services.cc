#include "tools/firegridctl/services.h"

#include "firegrid/accounts/v1/accounts.grpc.pb.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/credit/v1/credit.grpc.pb.h"
#include "firegrid/events/v1/dead_letters.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/monitoring/v1/monitoring.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"

namespace firegrid::ctl {
namespace {

struct Api {
  const google::protobuf::FileDescriptor* file;
  Endpoint endpoint;
};

// One line per service API.
std::vector<Api> Apis() {
  return {
      {firegrid::buildings::v1::Building::descriptor()->file(), kBuildingsEndpoint},
      {firegrid::hazards::v1::Hazard::descriptor()->file(), kHazardsEndpoint},
      {firegrid::notify::v1::Notification::descriptor()->file(), kNotifyEndpoint},
      {firegrid::credit::v1::Profile::descriptor()->file(), kCreditEndpoint},
      {firegrid::monitoring::v1::Device::descriptor()->file(), kMonitoringEndpoint},
      {firegrid::accounts::v1::User::descriptor()->file(), kAccountsEndpoint},
      // Hosted by every consuming service; `call` goes to hazards unless --addr says otherwise.
      {firegrid::events::v1::DeadLetterEntry::descriptor()->file(), kHazardsEndpoint},
  };
}

}  // namespace

std::vector<const google::protobuf::ServiceDescriptor*> LinkFiregridServices() {
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const Api& api : Apis()) {
    for (int i = 0; i < api.file->service_count(); ++i) services.push_back(api.file->service(i));
  }
  return services;
}

Endpoint EndpointOf(const google::protobuf::ServiceDescriptor* service) {
  for (const Api& api : Apis()) {
    if (service != nullptr && service->file() == api.file) return api.endpoint;
  }
  return kBuildingsEndpoint;
}

}  // namespace firegrid::ctl
