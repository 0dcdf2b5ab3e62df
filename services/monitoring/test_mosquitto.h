#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::monitoring::testing {

// A mosquitto broker (/usr/sbin/mosquitto) for tests and the bench: on a free loopback port in
// a temp dir, anonymous access off, a password file made from `users` and the ACL of the
// service's topic scheme (services/monitoring/README.md): every user may publish only on
// fg/v1/d/<its name>/signal and fg/v1/g/<its name>/signals; the users in `readers` read fg/v1/#.
struct MosquittoOptions {
  std::map<std::string, std::string> users;  // name → password
  std::vector<std::string> readers;
  // Messages queued per client (e.g. a persistent session while its replica is away).
  int max_queued_messages = 100000;
};

class MosquittoServer {
 public:
  explicit MosquittoServer(MosquittoOptions options);
  ~MosquittoServer();

  // Writes the files, picks a free port and starts the broker; returns when it accepts TCP
  // connections.
  absl::Status Start();
  // SIGTERM and wait (the broker saves its sessions).
  absl::Status Stop();
  // Starts it again on the same port with the same files and saved sessions.
  absl::Status Restart();

  int port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }
  std::string log_path() const { return dir_.Join("mosquitto.log"); }

 private:
  absl::Status Launch();

  MosquittoOptions options_;
  firegrid::testing::TempDir dir_{"mosquitto"};
  std::unique_ptr<firegrid::testing::Subprocess> process_;
  int port_ = 0;
};

}  // namespace firegrid::monitoring::testing
