#pragma once

#include "absl/status/status.h"
#include "libs/server/metrics.h"

namespace firegrid::server {

// The standard process metrics of Prometheus client libraries, read from /proc at scrape time:
// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds and process_start_time_seconds.
absl::Status RegisterProcessMetrics(MetricsRegistry& registry);

// firegrid_build_info{version,commit} 1 (libs/common/version.h).
void RegisterBuildInfo(MetricsRegistry& registry);

}  // namespace firegrid::server
