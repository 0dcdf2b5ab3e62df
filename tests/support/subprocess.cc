#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace firegrid::testing {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(5);

absl::Status ErrnoStatus(absl::string_view what, int err) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(err)));
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Resolves argv[0] the way execvp would, but in the parent (execvp is not async-signal-safe).
std::optional<std::string> ResolveProgram(const std::string& program, const std::string& path_var) {
  if (program.find('/') != std::string::npos) {
    return IsExecutableFile(program) ? std::optional<std::string>(program) : std::nullopt;
  }
  for (absl::string_view dir : absl::StrSplit(path_var, ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", program);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return std::nullopt;
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int DecodeWaitStatus(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

// What the child reports through the exec pipe when it fails before or at execve.
struct ChildFailure {
  int stage;  // 0: chdir, 1: execve, 2: parent died
  int err;
};

}  // namespace

Subprocess::~Subprocess() {
  if (running()) {
    (void)Stop(absl::Seconds(5));
  }
}

absl::Status Subprocess::Start(const SubprocessOptions& options) {
  if (pid_ != -1) return absl::FailedPreconditionError("Subprocess already started");
  if (options.argv.empty() || options.argv[0].empty()) {
    return absl::InvalidArgumentError("Subprocess: empty argv");
  }

  // Build the environment: ours, with the overrides applied.
  std::map<std::string, std::string> env_map;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq == nullptr) continue;
    env_map[std::string(*e, eq - *e)] = std::string(eq + 1);
  }
  for (const auto& [k, v] : options.env) env_map[k] = v;
  std::vector<std::string> env_strings;
  env_strings.reserve(env_map.size());
  for (const auto& [k, v] : env_map) env_strings.push_back(absl::StrCat(k, "=", v));
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  auto path_it = env_map.find("PATH");
  std::optional<std::string> program =
      ResolveProgram(options.argv[0], path_it == env_map.end() ? "/usr/bin:/bin" : path_it->second);
  if (!program) return absl::NotFoundError(absl::StrCat("program not found: ", options.argv[0]));

  std::vector<std::string> argv_strings = options.argv;
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out_fd = -1;
  int err_fd = -1;
  auto close_logs = [&] {
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0) ::close(err_fd);
  };
  if (!options.log_dir.empty()) {
    std::string base = options.name.empty() ? Basename(options.argv[0]) : options.name;
    stdout_path_ = absl::StrCat(options.log_dir, "/", base, ".stdout");
    stderr_path_ = absl::StrCat(options.log_dir, "/", base, ".stderr");
    out_fd = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) return ErrnoStatus(absl::StrCat("open ", stdout_path_), errno);
    err_fd = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (err_fd < 0) {
      int err = errno;
      close_logs();
      return ErrnoStatus(absl::StrCat("open ", stderr_path_), err);
    }
  }

  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    close_logs();
    return ErrnoStatus("pipe2", err);
  }
  const char* working_dir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  const char* program_path = program->c_str();
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    close_logs();
    ::close(exec_pipe[0]);
    ::close(exec_pipe[1]);
    return ErrnoStatus("fork", err);
  }
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    ChildFailure failure{2, 0};
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
      (void)!::write(exec_pipe[1], &failure, sizeof(failure));
      ::_exit(127);
    }
    sigset_t empty;
    sigemptyset(&empty);
    ::sigprocmask(SIG_SETMASK, &empty, nullptr);
    if (out_fd >= 0) ::dup2(out_fd, STDOUT_FILENO);
    if (err_fd >= 0) ::dup2(err_fd, STDERR_FILENO);
    if (working_dir != nullptr && ::chdir(working_dir) != 0) {
      failure = {0, errno};
      (void)!::write(exec_pipe[1], &failure, sizeof(failure));
      ::_exit(127);
    }
    ::execve(program_path, argv.data(), envp.data());
    failure = {1, errno};
    (void)!::write(exec_pipe[1], &failure, sizeof(failure));
    ::_exit(127);
  }

  close_logs();
  ::close(exec_pipe[1]);
  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(exec_pipe[0], &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  pid_ = pid;
  reaped_ = false;
  if (n == static_cast<ssize_t>(sizeof(failure))) {
    // The child failed before running the program; reap it.
    (void)Wait(absl::InfiniteDuration());
    pid_ = -1;
    reaped_ = false;
    switch (failure.stage) {
      case 0:
        return ErrnoStatus(absl::StrCat("chdir ", options.working_dir), failure.err);
      case 1:
        return ErrnoStatus(absl::StrCat("execve ", *program), failure.err);
      default:
        return absl::InternalError("Subprocess: parent died during start");
    }
  }
  return absl::OkStatus();
}

absl::Status Subprocess::Signal(int signal) {
  if (!running()) return absl::FailedPreconditionError("Subprocess not running");
  if (::kill(pid_, signal) != 0) return ErrnoStatus("kill", errno);
  return absl::OkStatus();
}

bool Subprocess::TryReap() {
  int wstatus = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &wstatus, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    reaped_ = true;
    exit_status_ = DecodeWaitStatus(wstatus);
    return true;
  }
  if (r < 0) {  // ECHILD: reaped elsewhere; nothing more to learn.
    reaped_ = true;
    exit_status_ = -1;
    return true;
  }
  return false;
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  if (pid_ == -1) return absl::FailedPreconditionError("Subprocess not started");
  if (reaped_) return exit_status_;
  if (timeout == absl::InfiniteDuration()) {
    int wstatus = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &wstatus, 0);
    } while (r < 0 && errno == EINTR);
    reaped_ = true;
    exit_status_ = r == pid_ ? DecodeWaitStatus(wstatus) : -1;
    return exit_status_;
  }
  if (WaitUntil([this] { return TryReap(); }, timeout)) return exit_status_;
  return absl::DeadlineExceededError(
      absl::StrCat("pid ", pid_, " still running after ", absl::FormatDuration(timeout)));
}

absl::StatusOr<int> Subprocess::Stop(absl::Duration timeout) {
  if (pid_ == -1) return absl::FailedPreconditionError("Subprocess not started");
  if (reaped_) return exit_status_;
  ::kill(pid_, SIGTERM);
  absl::StatusOr<int> status = Wait(timeout);
  if (status.ok()) return status;
  ::kill(pid_, SIGKILL);
  return Wait(absl::InfiniteDuration());
}

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    absl::Time now = absl::Now();
    if (now >= deadline) return false;
    absl::SleepFor(std::min(kPollInterval, deadline - now));
  }
}

namespace {

// Reads complete lines appended to a file since the last call.
class LineTailer {
 public:
  explicit LineTailer(std::string path) : path_(std::move(path)) {}

  // Calls `visit` for each new complete line until it returns true; returns that line.
  std::optional<std::string> Next(const std::function<bool(const std::string&)>& visit) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return std::nullopt;
    in.seekg(0, std::ios::end);
    std::streamoff size = in.tellg();
    if (size < offset_) {  // truncated: start over
      offset_ = 0;
      pending_.clear();
    }
    if (size > offset_) {
      in.seekg(offset_);
      std::string chunk(static_cast<size_t>(size - offset_), '\0');
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      chunk.resize(static_cast<size_t>(in.gcount()));
      offset_ += static_cast<std::streamoff>(chunk.size());
      pending_ += chunk;
    }
    size_t start = 0;
    std::optional<std::string> found;
    while (true) {
      size_t nl = pending_.find('\n', start);
      if (nl == std::string::npos) break;
      std::string line = pending_.substr(start, nl - start);
      start = nl + 1;
      if (visit(line)) {
        found = std::move(line);
        break;
      }
    }
    pending_.erase(0, start);
    return found;
  }

 private:
  std::string path_;
  std::streamoff offset_ = 0;
  std::string pending_;
};

absl::StatusOr<std::string> WaitForLine(const std::string& path,
                                        const std::function<bool(const std::string&)>& match,
                                        absl::string_view what, absl::Duration timeout) {
  LineTailer tailer(path);
  std::optional<std::string> line;
  if (WaitUntil(
          [&] {
            line = tailer.Next(match);
            return line.has_value();
          },
          timeout)) {
    return *line;
  }
  return absl::DeadlineExceededError(absl::StrCat("no line matching \"", what, "\" in ", path,
                                                  " after ", absl::FormatDuration(timeout)));
}

}  // namespace

absl::StatusOr<std::string> WaitForLineInFile(const std::string& path, absl::string_view substring,
                                              absl::Duration timeout) {
  std::string needle(substring);
  return WaitForLine(
      path, [&](const std::string& line) { return line.find(needle) != std::string::npos; },
      substring, timeout);
}

absl::StatusOr<std::string> WaitForLineInFile(const std::string& path, const std::regex& pattern,
                                              absl::Duration timeout) {
  return WaitForLine(
      path, [&](const std::string& line) { return std::regex_search(line, pattern); }, "<regex>",
      timeout);
}

}  // namespace firegrid::testing
