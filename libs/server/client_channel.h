#pragma once

#include <memory>
#include <string>

#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"

namespace firegrid::server {

// How a service calls another one over gRPC (the gateway calls every service, monitoring calls
// hazards and notify): plaintext, TLS that verifies the server against a CA, or mutual TLS that
// also presents this service's certificate (which a server with --tls-client-ca-file demands).
// PEM texts; all empty: plaintext, for inside a mesh that encrypts for us, and locally.
struct ClientChannelOptions {
  std::string ca_pem;    // the CA that signed the servers' certificates; TLS when non-empty
  std::string cert_pem;  // this service's certificate chain (mTLS), with its key
  std::string key_pem;
};

// The credentials of such a channel: TLS when options.ca_pem is set (mTLS with cert and key),
// else plaintext. firegridctl builds its channels with them too.
std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(const ClientChannelOptions& options);

// A channel to `target` ("host:port", or "dns:///name:port" of a headless Service, whose
// addresses the client then spreads its calls over). Calls go round robin over every address
// the name resolves to, so that long-lived connections do not pin all calls to one replica, and
// skip an address whose health service reports NOT_SERVING (client-side health checking: a
// replica that is draining or not ready gets no new calls while it still answers).
std::shared_ptr<grpc::Channel> NewClientChannel(const std::string& target,
                                                const ClientChannelOptions& options);

}  // namespace firegrid::server
