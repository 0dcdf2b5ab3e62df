#include "tests/support/redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/ports.h"

namespace firegrid::testing {
namespace {

constexpr int kMaxPortAttempts = 5;

std::string FindRedisServer() {
  const char* path = std::getenv("PATH");
  if (path != nullptr) {
    for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      std::string candidate = absl::StrCat(dir, "/redis-server");
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "/usr/bin/redis-server";
}

std::string RespCommand(const std::vector<std::string>& args) {
  std::string out = absl::StrCat("*", args.size(), "\r\n");
  for (const std::string& a : args) absl::StrAppend(&out, "$", a.size(), "\r\n", a, "\r\n");
  return out;
}

// A minimal blocking RESP exchange for the readiness probe: sends `request` and reads
// `replies` replies that are simple strings, errors or bulk strings.
std::optional<std::vector<std::string>> Exchange(int port, const std::string& request,
                                                 int replies) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::optional<std::vector<std::string>> result;
  std::string buf;
  size_t pos = 0;
  // Reads until `buf` holds at least `n` bytes past `pos`.
  auto fill = [&](size_t n) {
    while (buf.size() < pos + n) {
      char chunk[4096];
      ssize_t r = ::recv(fd, chunk, sizeof(chunk), 0);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      buf.append(chunk, static_cast<size_t>(r));
    }
    return true;
  };
  auto read_line = [&]() -> std::optional<std::string> {
    while (true) {
      size_t end = buf.find("\r\n", pos);
      if (end != std::string::npos) {
        std::string line = buf.substr(pos, end - pos);
        pos = end + 2;
        return line;
      }
      if (!fill(buf.size() - pos + 1)) return std::nullopt;
    }
  };
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    std::vector<std::string> out;
    bool ok = true;
    for (int i = 0; i < replies && ok; ++i) {
      std::optional<std::string> line = read_line();
      if (!line || line->empty()) {
        ok = false;
      } else if ((*line)[0] == '$') {
        int64_t len = 0;
        if (!absl::SimpleAtoi(line->substr(1), &len) || len < 0 || !fill(len + 2)) {
          ok = false;
        } else {
          out.push_back(buf.substr(pos, static_cast<size_t>(len)));
          pos += static_cast<size_t>(len) + 2;
        }
      } else {
        out.push_back(*line);  // "+PONG", "-LOADING ...", ...
      }
    }
    if (ok) result = std::move(out);
  }
  ::close(fd);
  return result;
}

// True when the server on `port` answers PING and reports `pid` as its process id.
bool ReadyAndOurs(int port, pid_t pid, const std::string& password) {
  std::string request;
  int replies = 2;
  if (!password.empty()) {
    request = RespCommand({"AUTH", password});
    replies = 3;
  }
  request += RespCommand({"PING"});
  request += RespCommand({"INFO", "server"});
  std::optional<std::vector<std::string>> out = Exchange(port, request, replies);
  if (!out) return false;
  const std::string& pong = (*out)[replies - 2];
  const std::string& info = (*out)[replies - 1];
  return pong == "+PONG" && absl::StrContains(info, absl::StrCat("process_id:", pid, "\r\n"));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

RedisServer::RedisServer(RedisServerOptions options)
    : options_(std::move(options)), binary_(FindRedisServer()) {}

RedisServer::~RedisServer() {
  if (running()) (void)Stop();
}

std::string RedisServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

absl::Status RedisServer::RepairAof() {
  SubprocessOptions sp;
  sp.argv = {"sh", FIREGRID_SOURCE_DIR "/deploy/redis-repair-aof.sh", dir_.path()};
  sp.log_dir = dir_.path();
  sp.name = absl::StrCat("redis-repair-aof-", starts_ + 1);
  Subprocess repair;
  absl::Status started = repair.Start(sp);
  if (!started.ok()) return started;
  absl::StatusOr<int> code = repair.Wait(absl::Seconds(60));
  if (code.ok() && *code == 0) return absl::OkStatus();
  if (!code.ok()) (void)repair.Stop(absl::Seconds(1));
  return absl::InternalError(absl::StrCat(
      "deploy/redis-repair-aof.sh ",
      code.ok() ? absl::StrCat("exited ", *code) : std::string(code.status().message()), ": ",
      ReadFile(repair.stderr_path())));
}

absl::Status RedisServer::StartOnPort(int port, bool* port_in_use) {
  *port_in_use = false;
  if (options_.repair_torn_aof) {
    absl::Status repaired = RepairAof();
    if (!repaired.ok()) return repaired;
  }
  SubprocessOptions sp;
  sp.argv = {binary_};
  if (!options_.config_file.empty()) sp.argv.push_back(options_.config_file);
  sp.argv.insert(sp.argv.end(), {"--port", std::to_string(port), "--bind", "127.0.0.1", "--dir",
                                 dir_.path(), "--appendonly", "yes", "--appendfsync",
                                 options_.appendfsync, "--save", "", "--daemonize", "no"});
  if (!options_.password.empty()) {
    sp.argv.push_back("--requirepass");
    sp.argv.push_back(options_.password);
  }
  for (const std::string& a : options_.extra_args) sp.argv.push_back(a);
  sp.env = options_.env;
  sp.log_dir = dir_.path();
  sp.name = absl::StrCat("redis-server-", ++starts_);

  auto process = std::make_unique<Subprocess>();
  absl::Status started = process->Start(sp);
  if (!started.ok()) return started;
  const pid_t pid = process->pid();
  bool exited = false;
  bool ready = WaitUntil(
      [&] {
        if (process->Wait(absl::ZeroDuration()).ok()) {
          exited = true;
          return true;
        }
        return ReadyAndOurs(port, pid, options_.password);
      },
      options_.start_timeout);
  if (ready && !exited) {
    process_ = std::move(process);
    port_ = port;
    return absl::OkStatus();
  }
  if (!exited) (void)process->Stop(absl::Seconds(5));
  std::string log = ReadFile(process->stdout_path());
  *port_in_use = absl::StrContains(log, "Address already in use");
  return absl::UnavailableError(absl::StrCat(
      "redis-server on port ", port, exited ? " exited during start" : " did not become ready",
      "; log ", process->stdout_path(), ":\n",
      log.substr(log.size() > 2000 ? log.size() - 2000 : 0)));
}

absl::Status RedisServer::Start() {
  if (running()) return absl::FailedPreconditionError("redis-server already running");
  absl::Status last = absl::UnavailableError("no free port");
  for (int attempt = 0; attempt < kMaxPortAttempts; ++attempt) {
    int port = options_.pick_port ? options_.pick_port() : FreeTcpPort();
    if (port <= 0) continue;
    bool port_in_use = false;
    last = StartOnPort(port, &port_in_use);
    if (last.ok() || !port_in_use) return last;
  }
  return last;
}

absl::Status RedisServer::Stop() {
  if (!running()) return absl::FailedPreconditionError("redis-server not running");
  absl::StatusOr<int> status = process_->Stop(absl::Seconds(10));
  return status.status();
}

absl::Status RedisServer::Kill() {
  if (!running()) return absl::FailedPreconditionError("redis-server not running");
  absl::Status s = process_->Signal(SIGKILL);
  if (!s.ok()) return s;
  return process_->Wait(absl::InfiniteDuration()).status();
}

absl::Status RedisServer::Restart() {
  if (port_ <= 0) return absl::FailedPreconditionError("redis-server never started");
  if (running()) {
    absl::Status s = Stop();
    if (!s.ok()) return s;
  }
  bool port_in_use = false;
  return StartOnPort(port_, &port_in_use);
}

}  // namespace firegrid::testing
