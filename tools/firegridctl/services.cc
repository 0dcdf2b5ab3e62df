#include "tools/firegridctl/services.h"

#include "firegrid/buildings/v1/buildings.grpc.pb.h"

namespace firegrid::ctl {

std::vector<const google::protobuf::ServiceDescriptor*> LinkFiregridServices() {
  std::vector<const google::protobuf::FileDescriptor*> files = {
      firegrid::buildings::v1::Building::descriptor()->file(),
      // One line per service API, e.g.:
      // firegrid::hazards::v1::Hazard::descriptor()->file(),
  };
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const google::protobuf::FileDescriptor* f : files) {
    for (int i = 0; i < f->service_count(); ++i) services.push_back(f->service(i));
  }
  return services;
}

}  // namespace firegrid::ctl
