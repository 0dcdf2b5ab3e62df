#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/subprocess.h"

namespace firegrid::testing {

// A real mosquitto for integration and e2e tests, set up exactly as deploy/run-local.sh sets up
// the local one: deploy/mqtt-credentials.sh writes a user with its own password per client
// (and the service's user "monitoring", read-only on fg/v1/#) and the ACL, deploy/lib/mosquitto.sh
// the configuration; the broker listens on a free 127.0.0.1 port and is stopped by PID when the
// object goes. Restart() stops it and starts it again on the same port with the same files, so
// the sessions it saved (persistence in DIR/mqtt/data) survive, as the local broker's do.
struct MosquittoBrokerOptions {
  // Messages queued per client beyond those in flight (fg_mosquitto_prepare's MAX_QUEUED);
  // 0: deploy/lib/mosquitto.sh's default.
  int max_queued_messages = 0;
};

class MosquittoBroker {
 public:
  MosquittoBroker() = default;
  ~MosquittoBroker();
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  // `dir`: where the credentials, configuration, data and logs go (a test's TempDir).
  // `clients`: "gateway:ID" or "device:ID" each. Returns once the broker accepts connections
  // (a few attempts on fresh ports when another process takes the free one first).
  absl::Status Start(const std::string& dir, const std::vector<std::string>& clients,
                     const MosquittoBrokerOptions& options = {});
  // SIGTERM and wait (the broker saves its sessions and queued QoS 1 messages).
  absl::Status Stop();
  // Stop() if running, then the broker again on the same port, directory and configuration;
  // returns once it accepts connections.
  absl::Status Restart();

  int port() const { return port_; }
  // The directory deploy/mqtt-credentials.sh wrote (firegrid-devicesim --credentials-dir).
  std::string credentials_dir() const { return dir_ + "/mqtt"; }
  // The password of `user` (a client id, or "monitoring").
  absl::StatusOr<std::string> Password(const std::string& user) const;
  // The broker's log (stdout).
  std::string log_path() const { return process_ ? process_->stdout_path() : ""; }

 private:
  // Starts /usr/sbin/mosquitto on the prepared configuration and waits until port_ accepts.
  absl::Status Launch(absl::Duration timeout);

  std::string dir_;
  int port_ = 0;
  int launches_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace firegrid::testing
