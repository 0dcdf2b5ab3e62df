#include "bench/h2load.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tests/support/subprocess.h"

namespace firegrid::bench {
namespace {

std::optional<long> Capture(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return std::nullopt;
  return std::stol(m[1].str());
}

double ToSeconds(const std::string& value, const std::string& unit) {
  const double v = std::stod(value);
  if (unit == "s") return v;
  if (unit == "ms") return v / 1e3;
  return v / 1e6;  // us
}

}  // namespace

std::string Framed(const std::string& message) {
  const uint32_t n = static_cast<uint32_t>(message.size());
  std::string out(1, '\0');
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  return out + message;
}

bool H2loadResult::AllAnswered(long framed_size) const {
  return succeeded == requests && status_2xx == requests && status_other == 0 && failed == 0 &&
         errored == 0 && timeout == 0 && data_bytes == requests * framed_size;
}

absl::StatusOr<H2loadResult> ParseH2loadOutput(const std::string& text, long requests) {
  H2loadResult r;
  r.requests = requests;
  std::smatch m;
  if (!std::regex_search(text, m,
                         std::regex(R"(finished in ([0-9.]+)(us|ms|s), ([0-9.]+) req/s)"))) {
    return absl::InternalError("cannot read h2load's output:\n" + text);
  }
  r.seconds = ToSeconds(m[1].str(), m[2].str());
  r.rps = std::stod(m[3].str());
  // time for request:   min   max   mean   sd   +/- sd
  if (std::regex_search(text, m,
                        std::regex(R"(time for request:\s+\S+\s+\S+\s+([0-9.]+)(us|ms|s))"))) {
    r.mean_latency_ms = ToSeconds(m[1].str(), m[2].str()) * 1e3;
  }
  std::string missing;
  auto need = [&](const std::string& pattern) -> long {
    std::optional<long> v = Capture(text, pattern);
    if (!v && missing.empty()) missing = pattern;  // the first one missing
    return v.value_or(0);
  };
  r.done = need(R"(([0-9]+) done)");
  r.succeeded = need(R"(([0-9]+) succeeded)");
  r.failed = need(R"(([0-9]+) failed)");
  r.errored = need(R"(([0-9]+) errored)");
  r.timeout = need(R"(([0-9]+) timeout)");
  r.status_2xx = need(R"(status codes: ([0-9]+) 2xx)");
  r.status_other = need(R"(([0-9]+) 3xx)") + need(R"(([0-9]+) 4xx)") + need(R"(([0-9]+) 5xx)");
  r.data_bytes = need(R"(\(([0-9]+)\) data)");
  if (!missing.empty()) {
    return absl::InternalError("cannot read h2load's output (" + missing + "):\n" + text);
  }
  for (const char* line :
       {"finished in", "requests:", "status codes:", "traffic:", "time for request:"}) {
    const size_t at = text.find(line);
    if (at != std::string::npos) {
      absl::StrAppend(&r.summary, "    ", text.substr(at, text.find('\n', at) - at), "\n");
    }
  }
  return r;
}

absl::StatusOr<H2loadResult> RunH2load(const H2loadOptions& o, const std::string& name,
                                       const std::string& address, const std::string& path,
                                       const std::string& message, int requests) {
  const std::string data_file = absl::StrCat(o.log_dir, "/", name, ".req");
  std::ofstream(data_file, std::ios::binary) << Framed(message);
  testing::Subprocess h2load;
  testing::SubprocessOptions so;
  so.argv = {o.program,
             absl::StrCat("--requests=", requests),
             absl::StrCat("--clients=", o.connections),
             absl::StrCat("--max-concurrent-streams=", o.streams),
             "--threads=1",
             "--header=content-type: application/grpc",
             "--header=te: trailers",
             "--header=authorization: Bearer " + o.token,
             "--data=" + data_file,
             absl::StrCat("http://", address, path)};
  so.log_dir = o.log_dir;
  so.name = name;
  if (absl::Status s = h2load.Start(so); !s.ok()) {
    return absl::FailedPreconditionError("cannot start h2load: " + s.ToString());
  }
  absl::StatusOr<int> rc = h2load.Wait(absl::Minutes(10));
  if (!rc.ok()) {
    h2load.Stop().IgnoreError();
    return absl::DeadlineExceededError("h2load did not finish within 10 minutes");
  }
  std::stringstream out;
  out << std::ifstream(h2load.stdout_path()).rdbuf();
  const std::string text = out.str();
  if (*rc != 0) return absl::InternalError(absl::StrCat("h2load exited with ", *rc, ":\n", text));

  return ParseH2loadOutput(text, requests);
}

double ProcessCpuSeconds(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double utime = -1, stime = -1;
  for (int i = 3; i <= 15 && fields >> field; ++i) {  // utime is field 14, stime field 15
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  if (utime < 0 || stime < 0) return -1;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void PrintFigure(const std::string& name, const std::string& value, const std::string& unit,
                 const std::string& goal, const std::string& baseline) {
  std::printf("FIGURE\t%s\t%s\t%s\t%s\t%s\n", name.c_str(), value.c_str(), unit.c_str(),
              goal.c_str(), baseline.c_str());
  std::fflush(stdout);
}

}  // namespace firegrid::bench
