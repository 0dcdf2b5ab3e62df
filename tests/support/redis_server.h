#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::testing {

struct RedisServerOptions {
  // AOF fsync policy. "always" (the default here) makes Kill() lose no acknowledged write even
  // if the machine were to crash; "everysec" is faster and still survives a process kill.
  std::string appendfsync = "always";
  // requirepass when non-empty.
  std::string password;
  // Appended to the command line, e.g. {"--maxmemory", "10mb"}, or {"--replicaof", "127.0.0.1",
  // "<port>"} for a replica.
  std::vector<std::string> extra_args;
  // A configuration file, passed first (a sentinel needs one it can rewrite; with
  // extra_args {"--sentinel"} the process is a Redis Sentinel).
  std::string config_file;
  // Environment variables of the server process (e.g. a FakeTime's, so that stream ids and TTLs
  // follow the same shifted clock as the services).
  std::map<std::string, std::string> env;
  absl::Duration start_timeout = absl::Seconds(15);
  // Run deploy/redis-repair-aof.sh on the data directory before every start, as every Redis of
  // firegrid is started (false only to show what Redis does on its own).
  bool repair_torn_aof = true;
  // Where Start() gets its candidate ports; FreeTcpPort() unless replaced (tests of the retry).
  std::function<int()> pick_port;
};

// A redis-server child process for integration tests: 127.0.0.1 on a free port, data in its own
// temporary directory with AOF on, no RDB snapshots. redis-server is looked up on $PATH, then at
// /usr/bin/redis-server. Logs go to <dir>/redis-server-<n>.stdout (n counts starts). Before each
// start a write torn by a Kill() is cut off the AOF by deploy/redis-repair-aof.sh (its messages
// in <dir>/redis-repair-aof-<n>.stderr), as in production.
class RedisServer {
 public:
  explicit RedisServer(RedisServerOptions options = {});
  ~RedisServer();  // stops the server
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Picks a free port and starts the server; returns when it answers PING (and is the process we
  // started: a port taken by someone else in between makes it retry on another port).
  absl::Status Start();
  // SIGTERM: a clean shutdown (AOF flushed). Waits for the process to exit.
  absl::Status Stop();
  // SIGKILL, for crash tests. Waits for the process to exit.
  absl::Status Kill();
  // Starts again on the same port and data directory (stopping first if running); data written
  // before survives through the AOF.
  absl::Status Restart();

  bool running() const { return process_ != nullptr && process_->running(); }
  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"
  const std::string& dir() const { return dir_.path(); }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  // The log of the current (or last) run.
  std::string log_path() const { return process_ ? process_->stdout_path() : ""; }

 private:
  absl::Status StartOnPort(int port, bool* port_in_use);
  absl::Status RepairAof();

  RedisServerOptions options_;
  TempDir dir_{"firegrid-redis"};
  std::string binary_;
  int port_ = -1;
  int starts_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace firegrid::testing
