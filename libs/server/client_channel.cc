#include "libs/server/client_channel.h"

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace firegrid::server {

std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(const ClientChannelOptions& options) {
  if (options.ca_pem.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.ca_pem;
  ssl.pem_cert_chain = options.cert_pem;
  ssl.pem_private_key = options.key_pem;
  return grpc::SslCredentials(ssl);
}

std::shared_ptr<grpc::Channel> NewClientChannel(const std::string& target,
                                                const ClientChannelOptions& options) {
  grpc::ChannelArguments args;
  // Round robin over every address, skipping those whose grpc.health.v1 Watch says NOT_SERVING
  // (a replica in its drain grace, or not ready): new calls go to the others before it stops.
  args.SetServiceConfigJSON(
      R"({"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}})");
  return grpc::CreateCustomChannel(target, ClientCredentials(options), args);
}

}  // namespace firegrid::server
