#pragma once

#include <string>

namespace firegrid::gateway {

// The OpenAPI 3 document of the gateway's HTTP API (services/gateway/openapi.yaml), generated
// from the proto descriptors of the transcoded services (every exposed method, the messages in
// the proto3 JSON mapping) plus the hand-written routes (events, auth, JWKS). Deterministic:
// `firegrid-gateway --print-openapi` writes it, and a test fails while the committed file differs.
std::string OpenApiYaml();

}  // namespace firegrid::gateway
