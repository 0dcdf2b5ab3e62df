#include "tests/support/mosquitto_broker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/support/ports.h"

namespace firegrid::testing {
namespace {

// Runs a command to its end; OK when it exits 0.
absl::Status RunToEnd(std::vector<std::string> argv, const std::string& log_dir,
                      const std::string& name) {
  Subprocess p;
  SubprocessOptions o;
  o.argv = std::move(argv);
  o.log_dir = log_dir;
  o.name = name;
  if (absl::Status s = p.Start(o); !s.ok()) return s;
  absl::StatusOr<int> code = p.Wait(absl::Seconds(60));
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return absl::InternalError(
        absl::StrCat(name, " exited ", *code, "; see ", log_dir, "/", name, ".stderr"));
  }
  return absl::OkStatus();
}

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

MosquittoBroker::~MosquittoBroker() { (void)Stop(); }

absl::Status MosquittoBroker::Start(const std::string& dir, const std::vector<std::string>& clients,
                                    const MosquittoBrokerOptions& options) {
  dir_ = dir;
  std::vector<std::string> argv = {"bash", FIREGRID_SOURCE_DIR "/deploy/mqtt-credentials.sh",
                                   credentials_dir()};
  argv.insert(argv.end(), clients.begin(), clients.end());
  if (absl::Status s = RunToEnd(argv, dir, "mqtt-credentials"); !s.ok()) return s;
  const std::string max_queued =
      options.max_queued_messages > 0 ? absl::StrCat(" ", options.max_queued_messages) : "";
  absl::Status last = absl::UnavailableError("mosquitto did not start");
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = FreeTcpPort();
    if (absl::Status s =
            RunToEnd({"bash", "-c",
                      absl::StrCat("source " FIREGRID_SOURCE_DIR
                                   "/deploy/lib/mosquitto.sh && fg_mosquitto_prepare '",
                                   credentials_dir(), "' ", port_, max_queued)},
                     dir, "mosquitto-prepare");
        !s.ok()) {
      return s;
    }
    last = Launch(absl::Seconds(10));
    if (last.ok()) return last;
  }
  return last;
}

absl::Status MosquittoBroker::Launch(absl::Duration timeout) {
  process_ = std::make_unique<Subprocess>();
  SubprocessOptions o;
  o.argv = {"/usr/sbin/mosquitto", "-c", credentials_dir() + "/mosquitto.conf"};
  o.log_dir = dir_;
  o.name = absl::StrCat("mosquitto-", launches_++);
  if (absl::Status s = process_->Start(o); !s.ok()) return s;
  if (WaitUntil([&] { return !process_->running() || Accepts(port_); }, timeout) &&
      process_->running() && Accepts(port_)) {
    return absl::OkStatus();
  }
  (void)process_->Stop();
  return absl::UnavailableError(
      absl::StrCat("mosquitto did not listen on ", port_, "; see ", process_->stdout_path()));
}

absl::Status MosquittoBroker::Stop() {
  if (!process_ || !process_->running()) return absl::OkStatus();
  return process_->Stop().status();
}

absl::Status MosquittoBroker::Restart() {
  if (port_ == 0) return absl::FailedPreconditionError("Restart() before Start()");
  if (absl::Status s = Stop(); !s.ok()) return s;
  // mosquitto binds with SO_REUSEADDR, so the old listener's TIME_WAIT connections do not keep
  // the port; should another process have taken it meanwhile, a few tries before giving up.
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    last = Launch(absl::Seconds(10));
    if (last.ok()) return last;
  }
  return last;
}

absl::StatusOr<std::string> MosquittoBroker::Password(const std::string& user) const {
  std::ifstream in(credentials_dir() + "/passwords/" + user);
  if (!in) return absl::NotFoundError(absl::StrCat("no password for MQTT user ", user));
  std::stringstream s;
  s << in.rdbuf();
  return std::string(absl::StripTrailingAsciiWhitespace(s.str()));
}

}  // namespace firegrid::testing
