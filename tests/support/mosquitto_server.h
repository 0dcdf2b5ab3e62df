#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::testing {

// An MQTT user of a test broker: its password and the topics its ACL lets it read and write.
struct MqttUser {
  std::string name;
  std::string password;
  std::vector<std::string> write;  // topic filters it may publish to
  std::vector<std::string> read;   // topic filters it may subscribe to
};

struct MosquittoOptions {
  std::vector<MqttUser> users;
  absl::Duration start_timeout = absl::Seconds(15);
};

// A mosquitto child process for integration and e2e tests: 127.0.0.1 on a free port, no
// anonymous access, a password file (mosquitto_passwd) and an ACL written from the options into
// its own temporary directory, persistence there (so Restart keeps queued QoS 1 messages).
// /usr/sbin/mosquitto and /usr/bin/mosquitto_passwd (Debian's mosquitto package).
class MosquittoServer {
 public:
  explicit MosquittoServer(MosquittoOptions options);
  ~MosquittoServer();
  MosquittoServer(const MosquittoServer&) = delete;
  MosquittoServer& operator=(const MosquittoServer&) = delete;

  // Writes the config, picks a free port and starts; returns when the broker accepts
  // connections on it (and is the process we started).
  absl::Status Start();
  absl::Status Stop();
  // Starts again on the same port and directory.
  absl::Status Restart();

  bool running() const { return process_ != nullptr && process_->running(); }
  int port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  // A file holding `user`'s password (for --mqtt-password-file flags).
  absl::StatusOr<std::string> PasswordFile(const std::string& user) const;

 private:
  absl::Status WriteConfig();
  absl::Status StartOnPort(int port, bool* port_in_use);

  MosquittoOptions options_;
  TempDir dir_{"firegrid-mosquitto"};
  int port_ = -1;
  int starts_ = 0;
  std::unique_ptr<Subprocess> process_;
};

// A blocking MQTT publisher for tests (libmosquitto): connects as a user and publishes with
// QoS 1, returning once the broker acknowledged the message (PUBACK).
class MqttPublisher {
 public:
  static absl::StatusOr<std::unique_ptr<MqttPublisher>> Connect(int port, const std::string& user,
                                                                const std::string& password,
                                                                const std::string& client_id);
  ~MqttPublisher();
  absl::Status Publish(const std::string& topic, const std::string& payload,
                       absl::Duration timeout = absl::Seconds(10));

 private:
  MqttPublisher() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace firegrid::testing
