#include "services/monitoring/test_mosquitto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "tests/support/ports.h"

namespace firegrid::monitoring::testing {
namespace {

bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

MosquittoServer::MosquittoServer(MosquittoOptions options) : options_(std::move(options)) {}

MosquittoServer::~MosquittoServer() { (void)Stop(); }

absl::Status MosquittoServer::Start() {
  {
    // Plain "user:password" lines, hashed in place by mosquitto_passwd -U.
    std::ofstream pw(dir_.Join("passwd"));
    for (const auto& [user, password] : options_.users) pw << user << ":" << password << "\n";
    std::ofstream acl(dir_.Join("acl"));
    for (const auto& reader : options_.readers) {
      acl << "user " << reader << "\ntopic read fg/v1/#\n\n";
    }
    acl << "pattern write fg/v1/d/%u/signal\npattern write fg/v1/g/%u/signals\n";
    if (!pw || !acl) return absl::InternalError("cannot write the mosquitto files");
  }
  firegrid::testing::Subprocess passwd;
  absl::Status s = passwd.Start(
      {.argv = {"mosquitto_passwd", "-U", dir_.Join("passwd")}, .log_dir = dir_.path()});
  if (!s.ok()) return s;
  auto rc = passwd.Wait(absl::Seconds(120));
  if (!rc.ok()) return rc.status();
  if (*rc != 0) return absl::InternalError("mosquitto_passwd -U failed");
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = firegrid::testing::FreeTcpPort();
    s = Launch();
    if (s.ok()) return s;
  }
  return s;
}

absl::Status MosquittoServer::Launch() {
  {
    std::ofstream conf(dir_.Join("mosquitto.conf"));
    conf << "user root\n"
         << "listener " << port_ << " 127.0.0.1\n"
         << "allow_anonymous false\n"
         << "password_file " << dir_.Join("passwd") << "\n"
         << "acl_file " << dir_.Join("acl") << "\n"
         << "persistence true\n"
         << "persistence_location " << dir_.path() << "/\n"
         << "autosave_interval 0\n"
         << "max_queued_messages " << options_.max_queued_messages << "\n"
         << "max_inflight_messages 100\n"
         << "log_dest file " << log_path() << "\n"
         << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n";
  }
  process_ = std::make_unique<firegrid::testing::Subprocess>();
  absl::Status s = process_->Start(
      {.argv = {"/usr/sbin/mosquitto", "-c", dir_.Join("mosquitto.conf")}, .log_dir = dir_.path()});
  if (!s.ok()) return s;
  bool up = firegrid::testing::WaitUntil([&] { return Accepts(port_) || !process_->running(); },
                                         absl::Seconds(15));
  if (!up || !Accepts(port_)) {
    (void)process_->Stop();
    return absl::UnavailableError(
        absl::StrCat("mosquitto did not start on port ", port_, " (see ", log_path(), ")"));
  }
  return absl::OkStatus();
}

absl::Status MosquittoServer::Stop() {
  if (process_ == nullptr || !process_->running()) return absl::OkStatus();
  auto rc = process_->Stop(absl::Seconds(10));
  return rc.ok() ? absl::OkStatus() : rc.status();
}

absl::Status MosquittoServer::Restart() {
  if (absl::Status s = Stop(); !s.ok()) return s;
  // The port may linger in TIME_WAIT for the old listener's connections; mosquitto sets
  // SO_REUSEADDR, so binding again works.
  return Launch();
}

}  // namespace firegrid::monitoring::testing
