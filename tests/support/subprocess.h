#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace firegrid::testing {

struct SubprocessOptions {
  // argv[0] is the program: a path, or a name looked up on $PATH.
  std::vector<std::string> argv;
  // Environment variables set (or replaced) on top of this process's environment.
  std::map<std::string, std::string> env;
  // Working directory of the child; empty: inherit.
  std::string working_dir;
  // When non-empty, stdout and stderr go to <log_dir>/<name>.stdout and <log_dir>/<name>.stderr
  // (created or truncated). Empty: inherited from this process.
  std::string log_dir;
  // Base name of the log files; empty: the basename of argv[0].
  std::string name;
};

// A child process started with fork/exec. The child gets SIGKILL when the thread that started it
// dies (PR_SET_PDEATHSIG), so a crashed test leaves no servers behind; start subprocesses from
// the test's main thread (or a thread that outlives them). The destructor stops the child.
class Subprocess {
 public:
  Subprocess() = default;
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Starts the child. Fails (and no child is left running) when the program cannot be found
  // or executed, or a log file cannot be opened.
  absl::Status Start(const SubprocessOptions& options);

  // The child's pid; -1 before Start.
  pid_t pid() const { return pid_; }
  // True while started and not yet reaped.
  bool running() const { return pid_ > 0 && !reaped_; }

  absl::Status Signal(int signal);

  // Waits up to `timeout` for the child to exit and reaps it. Returns its exit code, or
  // 128 + signal number when a signal ended it (the shell convention).
  // DEADLINE_EXCEEDED when still running; FAILED_PRECONDITION when never started.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // SIGTERM, then SIGKILL when the child has not exited after `timeout`; reaps it and returns
  // the exit status as Wait() does. Calling it again returns the same status.
  absl::StatusOr<int> Stop(absl::Duration timeout = absl::Seconds(10));

  // Paths of the log files (empty when output is inherited).
  const std::string& stdout_path() const { return stdout_path_; }
  const std::string& stderr_path() const { return stderr_path_; }

 private:
  bool TryReap();

  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_status_ = -1;
  std::string stdout_path_;
  std::string stderr_path_;
};

// Polls `condition` every few milliseconds until it returns true (→ true) or `timeout` passes
// (→ false, after one last check).
bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout);

// Waits until the file at `path` holds a complete line (ending in '\n') containing `substring`
// and returns that line (without the newline). The file may not exist yet.
// DEADLINE_EXCEEDED after `timeout`.
absl::StatusOr<std::string> WaitForLineInFile(const std::string& path, absl::string_view substring,
                                              absl::Duration timeout);
// As above, for the first complete line in which `pattern` matches (std::regex_search).
absl::StatusOr<std::string> WaitForLineInFile(const std::string& path, const std::regex& pattern,
                                              absl::Duration timeout);

}  // namespace firegrid::testing
