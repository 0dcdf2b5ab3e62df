#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.h"

namespace firegrid::testing {

// grpc.health.v1.Health/Check against `address` for `service` ("" = the whole server).
// Returns the serving status number (1 = SERVING, 2 = NOT_SERVING), or the RPC's error.
absl::StatusOr<int> CheckHealth(const std::string& address, const std::string& service,
                                absl::Duration timeout = absl::Seconds(2));

struct ServiceProcessOptions {
  std::string binary;              // path of the service binary
  std::string name;                // its service name (the log files are named after it)
  std::vector<std::string> flags;  // beyond --grpc-address and --metrics-address
  std::string log_dir;             // where <name>-<instance>-<start>.stdout/.stderr go
  std::string working_dir;         // empty: inherit
  // Environment variables set on top of the test's (e.g. a FakeTime's, to run under libfaketime).
  std::map<std::string, std::string> env;
  int grpc_port = 0;  // 0: a free one
  absl::Duration start_timeout = absl::Seconds(30);
};

// A firegrid service binary as a child process on loopback. Start() passes
// --grpc-address=127.0.0.1:<port> and --metrics-address=127.0.0.1:0, waits for the service's
// JSON "listening" log line and then for grpc.health.v1 to report SERVING (Redis reachable).
class ServiceProcess {
 public:
  explicit ServiceProcess(ServiceProcessOptions options) : options_(std::move(options)) {}

  absl::Status Start();
  // SIGTERM and wait: the service drains and exits; returns its exit code.
  absl::StatusOr<int> Stop(absl::Duration timeout = absl::Seconds(20));
  // SIGKILL: a crash.
  absl::Status Kill();
  // Stop (or after a crash) and start again on the same gRPC port.
  absl::Status Restart();

  std::string grpc_address() const { return "127.0.0.1:" + std::to_string(grpc_port_); }
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  bool running() const { return process_ != nullptr && process_->running(); }
  std::string stderr_path() const { return process_ ? process_->stderr_path() : ""; }

 private:
  ServiceProcessOptions options_;
  std::unique_ptr<Subprocess> process_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  int starts_ = 0;
  int instance_ = 0;  // numbers this object's log files: <name>-<instance>-<start>.std{out,err}
};

// An HTTP GET of http://127.0.0.1:<port><path>; the body, or an error.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path);

// Why a service did not exit 0 after SIGTERM (`code`: what Stop() returned): its exit code (128 +
// the signal for a signal) or the stop's error, and the last lines it logged above info, for a
// failure message.
std::string WhyNotClean(const absl::StatusOr<int>& code, const ServiceProcess& service);

}  // namespace firegrid::testing
