// Shared by the throughput benchmarks: gRPC calls driven by h2load (nghttp2) over h2c, the
// gRPC framing of a request body, the check that every call was answered, and the FIGURE line
// bench/run.sh collects into docs/performance.md.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace firegrid::bench {

// The gRPC message framing: a zero byte (not compressed), the length (4 bytes, big-endian),
// the serialized message.
std::string Framed(const std::string& message);

// How h2load runs: `connections` HTTP/2 connections x `streams` concurrent streams, one h2load
// thread, every request carrying `token` as its bearer token.
struct H2loadOptions {
  std::string program = "h2load";
  int connections = 8;
  int streams = 4;
  std::string token;
  std::string log_dir;  // where the request bodies and h2load's output are written
};

// What one h2load run reported.
struct H2loadResult {
  double seconds = 0;
  double rps = 0;
  double mean_latency_ms = 0;  // h2load's "time for request" mean
  long requests = 0;
  long done = 0, succeeded = 0, failed = 0, errored = 0, timeout = 0;
  long status_2xx = 0, status_other = 0;
  long data_bytes = 0;
  std::string summary;  // the lines the numbers come from, indented

  // Every request answered with one framed message of `framed_size` bytes. h2load counts
  // HTTP statuses, and a failed gRPC call is an HTTP 200 with grpc-status in its trailers and
  // no message, so the response bytes are what proves that each call succeeded.
  bool AllAnswered(long framed_size) const;
};

// Reads h2load's output of a run of `requests` requests; an error naming what it could not
// find.
absl::StatusOr<H2loadResult> ParseH2loadOutput(const std::string& text, long requests);

// Runs `requests` calls of http://<address><path>, each with the serialized `message` (framed
// here) as its body. `name` names the files in o.log_dir. An error when h2load cannot run, does
// not finish within 10 minutes or its output cannot be read.
absl::StatusOr<H2loadResult> RunH2load(const H2loadOptions& o, const std::string& name,
                                       const std::string& address, const std::string& path,
                                       const std::string& message, int requests);

// The CPU seconds (user + system) process `pid` has used so far, from /proc/<pid>/stat; -1 when
// unreadable. On a shared machine the rate a server reaches depends on what else runs, its CPU
// time per call much less.
double ProcessCpuSeconds(int pid);

// One figure measured against a goal of the issue, on its own line for bench/run.sh:
// FIGURE<TAB>name<TAB>value<TAB>unit<TAB>goal<TAB>baseline
void PrintFigure(const std::string& name, const std::string& value, const std::string& unit,
                 const std::string& goal, const std::string& baseline);

}  // namespace firegrid::bench
