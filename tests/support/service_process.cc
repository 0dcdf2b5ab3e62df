#include "tests/support/service_process.h"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <fstream>
#include <mutex>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "httplib.h"
#include "tests/support/ports.h"

namespace firegrid::testing {
namespace {

// HealthCheckRequest{service = 1: string}.
std::string EncodeHealthRequest(const std::string& service) {
  std::string out;
  if (service.empty()) return out;
  out.push_back(0x0a);
  size_t n = service.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out += service;
  return out;
}

// HealthCheckResponse{status = 1: enum}; an empty message is status 0 (UNKNOWN).
int DecodeHealthResponse(const std::string& bytes) {
  if (bytes.size() >= 2 && bytes[0] == 0x08) return static_cast<unsigned char>(bytes[1]);
  return 0;
}

}  // namespace

absl::StatusOr<int> CheckHealth(const std::string& address, const std::string& service,
                                absl::Duration timeout) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  const std::string req = EncodeHealthRequest(service);
  grpc::Slice slice(req);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = std::move(s);
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return absl::InternalError("bad health response");
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return DecodeHealthResponse(bytes);
}

absl::Status ServiceProcess::Start() {
  if (running()) return absl::FailedPreconditionError("already running");
  const int port =
      grpc_port_ != 0 ? grpc_port_ : (options_.grpc_port != 0 ? options_.grpc_port : FreeTcpPort());
  SubprocessOptions so;
  so.argv = {options_.binary, absl::StrCat("--grpc-address=127.0.0.1:", port),
             "--metrics-address=127.0.0.1:0"};
  so.argv.insert(so.argv.end(), options_.flags.begin(), options_.flags.end());
  so.log_dir = options_.log_dir;
  // Log files of their own per process object and start (two replicas of one service share a
  // log directory; writing one file they would overwrite each other's lines).
  static std::atomic<int> instances{0};
  if (instance_ == 0) instance_ = ++instances;
  so.name = absl::StrCat(options_.name, "-", instance_, "-", ++starts_);
  so.working_dir = options_.working_dir;
  so.env = options_.env;
  process_ = std::make_unique<Subprocess>();
  absl::Status s = process_->Start(so);
  if (!s.ok()) return s;
  // The service's JSON log line
  // {"grpc":"127.0.0.1:P",…,"metrics":"127.0.0.1:Q","msg":"listening",…} (keys in sorted order).
  static const std::regex kListening(
      "\"grpc\":\"127\\.0\\.0\\.1:([0-9]+)\".*\"metrics\":\"127\\.0\\.0\\.1:([0-9]+)\".*"
      "\"msg\":\"listening\"");
  auto line = WaitForLineInFile(process_->stderr_path(), kListening, options_.start_timeout);
  if (!line.ok()) {
    (void)process_->Stop(absl::Seconds(2));
    return absl::DeadlineExceededError(
        absl::StrCat(options_.name, " did not start; see ", process_->stderr_path()));
  }
  std::smatch m;
  std::regex_search(*line, m, kListening);
  if (!absl::SimpleAtoi(m[1].str(), &grpc_port_) || !absl::SimpleAtoi(m[2].str(), &metrics_port_)) {
    return absl::InternalError("unparsable listening line: " + *line);
  }
  const std::string address = grpc_address();
  if (!WaitUntil(
          [&] {
            auto h = CheckHealth(address, "", absl::Milliseconds(500));
            return h.ok() && *h == 1;
          },
          options_.start_timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat(options_.name, " never became SERVING; see ", process_->stderr_path()));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ServiceProcess::Stop(absl::Duration timeout) {
  if (process_ == nullptr) return absl::FailedPreconditionError("not started");
  return process_->Stop(timeout);
}

absl::Status ServiceProcess::Kill() {
  if (process_ == nullptr) return absl::FailedPreconditionError("not started");
  absl::Status s = process_->Signal(SIGKILL);
  if (!s.ok()) return s;
  return process_->Wait(absl::Seconds(10)).status();
}

absl::Status ServiceProcess::Restart() {
  if (running()) {
    auto code = Stop();
    if (!code.ok()) return code.status();
  }
  return Start();
}

absl::StatusOr<std::string> HttpGet(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(5, 0);
  auto res = client.Get(path.c_str());
  if (!res) return absl::UnavailableError(absl::StrCat("GET ", path, " failed"));
  if (res->status != 200) {
    return absl::UnavailableError(absl::StrCat("GET ", path, ": HTTP ", res->status));
  }
  return res->body;
}

std::string WhyNotClean(const absl::StatusOr<int>& code, const ServiceProcess& service) {
  std::string why = code.ok() ? absl::StrCat("exit code ", *code) : code.status().ToString();
  std::ifstream in(service.stderr_path());
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"level\":\"info\"") != std::string::npos) continue;
    last.push_back(line);
    if (last.size() > 15) last.pop_front();
  }
  for (const std::string& line : last) absl::StrAppend(&why, "\n  log: ", line);
  return why;
}

}  // namespace firegrid::testing
