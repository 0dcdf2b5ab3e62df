#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace firegrid::testing {

// A TCP proxy on loopback for network faults between a service and what it connects to (Redis):
// it listens on 127.0.0.1:<free port> and forwards every connection to `target`, and on command
//   - delays every chunk of bytes by a latency, in both directions (SetLatency);
//   - stalls: reads and forwards nothing (the peers' data waits in the kernel's buffers and
//     their calls hang, as on a blackholed link) until resumed (SetStalled), new connections
//     included;
//   - resets every live connection (RST to both peers, as a dead middlebox does; ResetAll).
// One thread forwards all connections (poll); for tests only (loopback, no TLS awareness).
class TcpProxy {
 public:
  // Starts forwarding to `target_port` on 127.0.0.1.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port);
  ~TcpProxy();  // closes the listener and every connection
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  void SetLatency(absl::Duration latency);
  void SetStalled(bool stalled);
  // Resets every live connection; later connections are forwarded as before.
  void ResetAll();
  // Connections accepted so far, and open now.
  int accepted() const { return accepted_.load(); }
  int open() const { return open_.load(); }

 private:
  struct Conn;
  TcpProxy() = default;
  void Loop();
  void Wake();

  int target_port_ = 0;
  int port_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: commands wake the loop
  std::thread thread_;
  std::atomic<int> accepted_{0};
  std::atomic<int> open_{0};

  absl::Mutex mu_;
  absl::Duration latency_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  bool stalled_ ABSL_GUARDED_BY(mu_) = false;
  int reset_requests_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace firegrid::testing
