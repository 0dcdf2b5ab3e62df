#include "tests/support/mosquitto_server.h"

#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/ports.h"

namespace firegrid::testing {
namespace {

constexpr char kMosquitto[] = "/usr/sbin/mosquitto";
constexpr char kMosquittoPasswd[] = "/usr/bin/mosquitto_passwd";
constexpr int kMaxPortAttempts = 5;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string CurrentUser() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

bool Accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

void LibInit() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

}  // namespace

MosquittoServer::MosquittoServer(MosquittoOptions options) : options_(std::move(options)) {}

MosquittoServer::~MosquittoServer() {
  if (running()) (void)Stop();
}

absl::StatusOr<std::string> MosquittoServer::PasswordFile(const std::string& user) const {
  for (const MqttUser& u : options_.users) {
    if (u.name != user) continue;
    const std::string path = absl::StrCat(dir_.path(), "/", user, ".password");
    std::ofstream out(path, std::ios::trunc);
    out << u.password << "\n";
    if (!out) return absl::InternalError("cannot write " + path);
    return path;
  }
  return absl::NotFoundError("no MQTT user " + user);
}

absl::Status MosquittoServer::WriteConfig() {
  const std::string passwd = dir_.path() + "/passwd";
  {
    std::ofstream(passwd, std::ios::trunc).flush();
  }
  for (const MqttUser& u : options_.users) {
    Subprocess p;
    SubprocessOptions sp;
    sp.argv = {kMosquittoPasswd, "-b", passwd, u.name, u.password};
    sp.log_dir = dir_.path();
    sp.name = "mosquitto_passwd";
    absl::Status s = p.Start(sp);
    if (!s.ok()) return s;
    absl::StatusOr<int> code = p.Wait(absl::Seconds(10));
    if (!code.ok()) return code.status();
    if (*code != 0) return absl::InternalError("mosquitto_passwd failed for " + u.name);
  }
  std::ofstream acl(dir_.path() + "/acl", std::ios::trunc);
  for (const MqttUser& u : options_.users) {
    acl << "user " << u.name << "\n";
    for (const std::string& t : u.write) acl << "topic write " << t << "\n";
    for (const std::string& t : u.read) acl << "topic read " << t << "\n";
    acl << "\n";
  }
  if (!acl) return absl::InternalError("cannot write the ACL");
  return absl::OkStatus();
}

absl::Status MosquittoServer::StartOnPort(int port, bool* port_in_use) {
  *port_in_use = false;
  const std::string conf = dir_.path() + "/mosquitto.conf";
  {
    std::ofstream out(conf, std::ios::trunc);
    out << "listener " << port << " 127.0.0.1\n"
        << "allow_anonymous false\n"
        << "password_file " << dir_.path() << "/passwd\n"
        << "acl_file " << dir_.path() << "/acl\n"
        << "persistence true\n"
        << "persistence_location " << dir_.path() << "/\n"
        // Run as whoever runs the test: as root, mosquitto would otherwise switch to the user
        // "mosquitto", which cannot read this temporary directory.
        << "user " << CurrentUser() << "\n"
        << "log_dest stdout\n"
        << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
        << "max_queued_messages 100000\n";
    if (!out) return absl::InternalError("cannot write " + conf);
  }
  SubprocessOptions sp;
  sp.argv = {kMosquitto, "-c", conf};
  sp.log_dir = dir_.path();
  sp.name = absl::StrCat("mosquitto-", ++starts_);
  auto process = std::make_unique<Subprocess>();
  if (absl::Status s = process->Start(sp); !s.ok()) return s;
  bool exited = false;
  const bool ready = WaitUntil(
      [&] {
        if (process->Wait(absl::ZeroDuration()).ok()) {
          exited = true;
          return true;
        }
        // The log is block-buffered on a pipe, so readiness is a connection to the port (ours:
        // a port taken by another process makes mosquitto exit).
        return Accepts(port);
      },
      options_.start_timeout);
  if (ready && !exited) {
    process_ = std::move(process);
    port_ = port;
    return absl::OkStatus();
  }
  if (!exited) (void)process->Stop(absl::Seconds(5));
  const std::string log = ReadFile(process->stdout_path());
  *port_in_use = absl::StrContains(log, "Address already in use");
  return absl::UnavailableError(absl::StrCat("mosquitto on port ", port,
                                             exited ? " exited during start" : " did not start",
                                             "; log:\n", log.substr(0, 2000)));
}

absl::Status MosquittoServer::Start() {
  if (running()) return absl::FailedPreconditionError("mosquitto already running");
  if (absl::Status s = WriteConfig(); !s.ok()) return s;
  absl::Status last = absl::UnavailableError("no free port");
  for (int attempt = 0; attempt < kMaxPortAttempts; ++attempt) {
    const int port = FreeTcpPort();
    if (port <= 0) continue;
    bool in_use = false;
    last = StartOnPort(port, &in_use);
    if (last.ok() || !in_use) return last;
  }
  return last;
}

absl::Status MosquittoServer::Stop() {
  if (!running()) return absl::FailedPreconditionError("mosquitto not running");
  return process_->Stop(absl::Seconds(10)).status();
}

absl::Status MosquittoServer::Restart() {
  if (port_ <= 0) return absl::FailedPreconditionError("mosquitto never started");
  if (running()) {
    if (absl::Status s = Stop(); !s.ok()) return s;
  }
  bool in_use = false;
  return StartOnPort(port_, &in_use);
}

struct MqttPublisher::Impl {
  mosquitto* m = nullptr;
  std::mutex mu;
  std::condition_variable cv;
  int connect_rc = -1;
  std::vector<int> acked;
};

absl::StatusOr<std::unique_ptr<MqttPublisher>> MqttPublisher::Connect(
    int port, const std::string& user, const std::string& password, const std::string& client_id) {
  LibInit();
  std::unique_ptr<MqttPublisher> p(new MqttPublisher());
  p->impl_ = std::make_unique<Impl>();
  Impl* impl = p->impl_.get();
  impl->m = mosquitto_new(client_id.c_str(), true, impl);
  if (impl->m == nullptr) return absl::InternalError("mosquitto_new failed");
  mosquitto_username_pw_set(impl->m, user.c_str(), password.c_str());
  mosquitto_connect_callback_set(impl->m, [](mosquitto*, void* obj, int rc) {
    auto* i = static_cast<Impl*>(obj);
    std::lock_guard<std::mutex> lock(i->mu);
    i->connect_rc = rc;
    i->cv.notify_all();
  });
  mosquitto_publish_callback_set(impl->m, [](mosquitto*, void* obj, int mid) {
    auto* i = static_cast<Impl*>(obj);
    std::lock_guard<std::mutex> lock(i->mu);
    i->acked.push_back(mid);
    i->cv.notify_all();
  });
  if (int rc = mosquitto_connect(impl->m, "127.0.0.1", port, 30); rc != MOSQ_ERR_SUCCESS) {
    return absl::UnavailableError(absl::StrCat("MQTT connect: ", mosquitto_strerror(rc)));
  }
  if (int rc = mosquitto_loop_start(impl->m); rc != MOSQ_ERR_SUCCESS) {
    return absl::InternalError(absl::StrCat("MQTT loop: ", mosquitto_strerror(rc)));
  }
  std::unique_lock<std::mutex> lock(impl->mu);
  if (!impl->cv.wait_for(lock, std::chrono::seconds(10), [&] { return impl->connect_rc >= 0; })) {
    return absl::DeadlineExceededError("MQTT CONNACK not received");
  }
  if (impl->connect_rc != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("MQTT connection refused: ", mosquitto_connack_string(impl->connect_rc)));
  }
  return p;
}

MqttPublisher::~MqttPublisher() {
  if (impl_ && impl_->m) {
    mosquitto_disconnect(impl_->m);
    mosquitto_loop_stop(impl_->m, true);
    mosquitto_destroy(impl_->m);
  }
}

absl::Status MqttPublisher::Publish(const std::string& topic, const std::string& payload,
                                    absl::Duration timeout) {
  int mid = 0;
  if (int rc = mosquitto_publish(impl_->m, &mid, topic.c_str(), static_cast<int>(payload.size()),
                                 payload.data(), 1, false);
      rc != MOSQ_ERR_SUCCESS) {
    return absl::UnavailableError(absl::StrCat("MQTT publish: ", mosquitto_strerror(rc)));
  }
  std::unique_lock<std::mutex> lock(impl_->mu);
  const bool acked = impl_->cv.wait_for(lock, absl::ToChronoMilliseconds(timeout), [&] {
    return std::find(impl_->acked.begin(), impl_->acked.end(), mid) != impl_->acked.end();
  });
  if (!acked) return absl::DeadlineExceededError("no PUBACK for " + topic);
  return absl::OkStatus();
}

}  // namespace firegrid::testing
