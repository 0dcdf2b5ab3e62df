#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "firegrid/config/v1/gateway.pb.h"

namespace firegrid::gateway {

// Reads and checks the gateway's configuration (text proto GatewayConfig). INVALID_ARGUMENT
// naming the field: an allowed origin that is not "http(s)://host[:port]" (no path, no
// trailing slash, no wildcard); an OIDC provider without issuer, client_id or endpoints.
absl::StatusOr<config::v1::GatewayConfig> LoadGatewayConfig(const std::string& path);
absl::Status ValidateGatewayConfig(const config::v1::GatewayConfig& config);

}  // namespace firegrid::gateway
