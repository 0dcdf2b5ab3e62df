#pragma once

#include <vector>

#include "google/protobuf/descriptor.h"

namespace firegrid::ctl {

// The firegrid services whose descriptors this binary carries: referencing each API's generated
// code here links it in, which registers its descriptors in the generated pool that `call` and
// `methods` search. Adding a service to firegridctl is one line in services.cc.
std::vector<const google::protobuf::ServiceDescriptor*> LinkFiregridServices();

}  // namespace firegrid::ctl
