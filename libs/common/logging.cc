#include "libs/common/logging.h"

#include <unistd.h>

#include <atomic>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/support/log.h"
#include "libs/common/trace.h"

namespace firegrid::log {
namespace {

struct State {
  absl::Mutex mu;
  std::string service ABSL_GUARDED_BY(mu) = "firegrid";
  std::function<void(std::string_view)> sink ABSL_GUARDED_BY(mu);
  std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
};

State& GetState() {
  static State* s = new State();
  return *s;
}

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

// gRPC's own log output (gpr_log), as JSON lines like ours.
void GrpcLog(gpr_log_func_args* args) {
  Level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? Level::kError
                : args->severity == GPR_LOG_SEVERITY_INFO ? Level::kInfo
                                                          : Level::kDebug;
  Write(level, args->message != nullptr ? args->message : "",
        {{"source", "grpc"},
         {"file", absl::StrCat(args->file != nullptr ? args->file : "?", ":", args->line)}});
}

}  // namespace

void Init(std::string service, Level min_level) {
  {
    State& s = GetState();
    absl::MutexLock lock(&s.mu);
    s.service = std::move(service);
    s.min_level = static_cast<int>(min_level);
  }
  gpr_set_log_function(&GrpcLog);
}

void SetSink(std::function<void(std::string_view)> sink) {
  State& s = GetState();
  absl::MutexLock lock(&s.mu);
  s.sink = std::move(sink);
}

Level ParseLevel(std::string_view v, Level fallback) {
  if (v == "debug") return Level::kDebug;
  if (v == "info") return Level::kInfo;
  if (v == "warning" || v == "warn") return Level::kWarning;
  if (v == "error") return Level::kError;
  return fallback;
}

bool Enabled(Level level) {
  return static_cast<int>(level) >= GetState().min_level.load(std::memory_order_relaxed);
}

void Write(Level level, std::string_view msg, const Fields& fields) {
  if (!Enabled(level)) return;
  State& s = GetState();
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  line["level"] = LevelName(level);
  absl::MutexLock lock(&s.mu);
  line["service"] = s.service;
  line["msg"] = std::string(msg);
  if (const trace::Context* t = trace::Current()) {
    line["trace_id"] = t->trace_id;
    line["span_id"] = t->span_id;
  }
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (!line.contains(it.key())) line[it.key()] = it.value();
    }
  }
  // Replace invalid UTF-8 rather than throw: a log line must never take the process down.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.sink) {
    s.sink(text);
    return;
  }
  text.push_back('\n');
  ssize_t unused = ::write(2, text.data(), text.size());
  (void)unused;
}

}  // namespace firegrid::log
