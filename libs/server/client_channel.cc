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
  args.SetLoadBalancingPolicyName("round_robin");
  return grpc::CreateCustomChannel(target, ClientCredentials(options), args);
}

}  // namespace firegrid::server
