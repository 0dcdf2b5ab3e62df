#include "libs/server/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "libs/common/status.h"
#include "libs/common/version.h"

namespace firegrid::server {
namespace {

using Samples = std::vector<std::pair<Labels, double>>;

std::string ReadAll(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The fields of /proc/self/stat after the command name (which may contain spaces), so that
// field N of proc(5) is fields[N - 3].
std::vector<std::string> StatFields() {
  const std::string stat = ReadAll("/proc/self/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return {};
  return absl::StrSplit(stat.substr(close + 2), ' ', absl::SkipEmpty());
}

std::optional<double> StatField(int n) {
  std::vector<std::string> f = StatFields();
  double v = 0;
  if (n < 3 || static_cast<size_t>(n - 3) >= f.size() || !absl::SimpleAtod(f[n - 3], &v)) {
    return std::nullopt;
  }
  return v;
}

Samples One(std::optional<double> v) {
  if (!v.has_value()) return {};
  return {{Labels{}, *v}};
}

double BootTime() {
  std::istringstream in(ReadAll("/proc/stat"));
  for (std::string line; std::getline(in, line);) {
    double v = 0;
    if (line.rfind("btime ", 0) == 0 && absl::SimpleAtod(line.substr(6), &v)) return v;
  }
  return 0;
}

}  // namespace

absl::Status RegisterProcessMetrics(MetricsRegistry& r) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // Fixed for the process's life: computed once.
  std::optional<double> started = StatField(22);
  const double start_time =
      started.has_value() ? BootTime() + *started / ticks : static_cast<double>(time(nullptr));
  FG_RETURN_IF_ERROR(r.AddCounterCallback(
      "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", [ticks] {
        std::optional<double> user = StatField(14), sys = StatField(15);
        if (!user || !sys) return Samples{};
        return One((*user + *sys) / ticks);
      }));
  FG_RETURN_IF_ERROR(
      r.AddGaugeCallback("process_resident_memory_bytes", "Resident memory size in bytes.", [page] {
        std::optional<double> rss = StatField(24);
        if (!rss) return Samples{};
        return One(*rss * page);
      }));
  FG_RETURN_IF_ERROR(r.AddGaugeCallback("process_virtual_memory_bytes",
                                        "Virtual memory size in bytes.",
                                        [] { return One(StatField(23)); }));
  FG_RETURN_IF_ERROR(r.AddGaugeCallback("process_open_fds", "Number of open file descriptors.", [] {
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) return Samples{};
    double n = 0;
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(dir);
    return One(n - 1);  // the descriptor opendir itself holds
  }));
  FG_RETURN_IF_ERROR(
      r.AddGaugeCallback("process_max_fds", "Maximum number of open file descriptors.", [] {
        rlimit rl{};
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return Samples{};
        return One(static_cast<double>(rl.rlim_cur));
      }));
  FG_RETURN_IF_ERROR(r.AddGaugeCallback("process_start_time_seconds",
                                        "Start time of the process since unix epoch in seconds.",
                                        [start_time] { return One(start_time); }));
  return absl::OkStatus();
}

void RegisterBuildInfo(MetricsRegistry& r) {
  r.AddGauge("firegrid_build_info", "The version and commit this binary was built from (always 1).")
      .Get({{"version", std::string(BuildVersion())}, {"commit", std::string(BuildCommit())}})
      .Set(1);
}

}  // namespace firegrid::server
