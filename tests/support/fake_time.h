#pragma once

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace firegrid::testing {

// A shifted wall clock for real binaries: the processes started with Env() preload
// wallclock_shift.c, which adds an offset that the test moves forward with Advance() to their
// wall clock; their monotonic clock is left alone, so timeouts, gRPC and Kafka keep working.
// This is how the e2e suite proves the time rules (filing deadlines, escalation,
// re-notification) without a test-only flag in the services. (Why not libfaketime: see the
// comment at the top of wallclock_shift.c.)
//
// The offset lives in a file that the preloaded library reads on every wall-clock read, so an
// Advance() is seen by every process from its next read on.
class FakeTime {
 public:
  // `dir`: where the offset file goes (a test's temp dir).
  explicit FakeTime(const std::string& dir);

  // The preload library (built with the tests).
  static std::string LibraryPath();

  // Environment for a child process: LD_PRELOAD and the offset file.
  std::map<std::string, std::string> Env() const;

  // Moves the faked clock forward (whole seconds).
  absl::Status Advance(absl::Duration d);
  absl::Duration offset() const { return offset_; }
  // What the faked processes read as the time now.
  absl::Time Now() const { return absl::Now() + offset_; }

 private:
  absl::Status Write();
  std::string path_;
  absl::Duration offset_ = absl::ZeroDuration();
};

}  // namespace firegrid::testing
