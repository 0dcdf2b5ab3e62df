#pragma once

#include <vector>

#include "google/protobuf/descriptor.h"
#include "tools/firegridctl/cli.h"

namespace firegrid::ctl {

// The firegrid services whose descriptors this binary carries: referencing each API's generated
// code here links it in, which registers its descriptors in the generated pool that `call` and
// `methods` search. Adding a service to firegridctl is one line in services.cc.
std::vector<const google::protobuf::ServiceDescriptor*> LinkFiregridServices();

// Where `service` listens when --addr is not given (kBuildingsEndpoint for an unknown one).
Endpoint EndpointOf(const google::protobuf::ServiceDescriptor* service);

}  // namespace firegrid::ctl
