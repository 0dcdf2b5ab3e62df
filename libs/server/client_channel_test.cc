// Calls between services over TLS and mutual TLS: a server on loopback with a certificate for
// 127.0.0.1 (port 0), and clients with and without the CA and a client certificate.
#include "libs/server/client_channel.h"

#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "gtest/gtest.h"
#include "tests/support/self_signed_certificate.h"
#include "tests/support/temp_dir.h"

namespace firegrid::server {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct Pem {
  std::string cert;
  std::string key;
};

Pem NewCertificate(const testing::TempDir& dir, const std::string& name) {
  const std::string cert = dir.path() + "/" + name + ".pem";
  const std::string key = dir.path() + "/" + name + ".key";
  EXPECT_TRUE(testing::WriteSelfSignedCertificate(cert, key).ok());
  return {Read(cert), Read(key)};
}

// A gRPC server with the health service on 127.0.0.1:0 over TLS; with `client_ca`, clients must
// present a certificate it signed.
class TlsServer {
 public:
  TlsServer(const Pem& server, const std::string& client_ca) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::SslServerCredentialsOptions ssl(
        client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_key_cert_pairs.push_back({server.key, server.cert});
    ssl.pem_root_certs = client_ca;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl), &port_);
    server_ = builder.BuildAndStart();
  }
  ~TlsServer() { server_->Shutdown(); }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  bool started() const { return server_ != nullptr && port_ > 0; }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// grpc.health.v1.Health/Check with an empty request (the whole server), without generated stubs.
grpc::StatusCode Check(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice empty("");  // HealthCheckRequest{} encodes to no bytes
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  absl::Notification done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   code = s.error_code();
                   done.Notify();
                 });
  done.WaitForNotification();
  return code;
}

// A plaintext server with the health service on 127.0.0.1:0 whose overall status is settable.
class HealthServer {
 public:
  HealthServer() {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    server_ = builder.BuildAndStart();
  }
  ~HealthServer() { server_->Shutdown(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void SetServing(bool serving) { server_->GetHealthCheckService()->SetServingStatus(serving); }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// The overall status a Health/Check call got (1 SERVING, 2 NOT_SERVING), -1 when it failed.
int CheckedStatus(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status = 1}: tag 0x08, then the enum value.
  return bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : -1;
}

TEST(ClientChannel, RoundRobinSkipsAReplicaThatReportsNotServing) {
  HealthServer draining, serving;
  const std::string target = "ipv4:" + draining.address() + "," + serving.address();
  std::shared_ptr<grpc::Channel> channel = NewClientChannel(target, {});
  // Both serving: the calls go to both (each answers SERVING).
  ASSERT_EQ(CheckedStatus(channel), 1);
  // One reports NOT_SERVING (as a replica in its drain grace does, still answering): after the
  // client's health watch sees it, every call goes to the other one.
  draining.SetServing(false);
  bool moved = false;
  for (int i = 0; i < 200 && !moved; ++i) {
    int answered_by_serving = 0;
    for (int j = 0; j < 20; ++j) answered_by_serving += CheckedStatus(channel) == 1 ? 1 : 0;
    moved = answered_by_serving == 20;
    if (!moved) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(moved) << "calls kept reaching the replica that reports NOT_SERVING";
}

TEST(ClientChannel, TlsCallsVerifyTheServerAgainstTheCa) {
  testing::TempDir dir;
  const Pem server = NewCertificate(dir, "server");
  const Pem other = NewCertificate(dir, "other");
  TlsServer tls(server, "");
  ASSERT_TRUE(tls.started());
  EXPECT_EQ(Check(NewClientChannel(tls.target(), {.ca_pem = server.cert})), grpc::StatusCode::OK);
  // A CA that did not sign the server's certificate, and a plaintext client: no call gets through.
  EXPECT_EQ(Check(NewClientChannel(tls.target(), {.ca_pem = other.cert})),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Check(NewClientChannel(tls.target(), {})), grpc::StatusCode::UNAVAILABLE);
}

TEST(ClientChannel, MutualTlsNeedsAClientCertificateTheServerTrusts) {
  testing::TempDir dir;
  const Pem server = NewCertificate(dir, "server");
  const Pem client = NewCertificate(dir, "client");
  const Pem stranger = NewCertificate(dir, "stranger");
  TlsServer tls(server, /*client_ca=*/client.cert);
  ASSERT_TRUE(tls.started());
  EXPECT_EQ(
      Check(NewClientChannel(
          tls.target(), {.ca_pem = server.cert, .cert_pem = client.cert, .key_pem = client.key})),
      grpc::StatusCode::OK);
  EXPECT_EQ(Check(NewClientChannel(tls.target(), {.ca_pem = server.cert})),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Check(NewClientChannel(
                tls.target(),
                {.ca_pem = server.cert, .cert_pem = stranger.cert, .key_pem = stranger.key})),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace firegrid::server
