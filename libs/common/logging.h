#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "nlohmann/json.hpp"

namespace firegrid::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

using Fields = nlohmann::json;  // an object: {{"building_id", id}, {"attempt", 3}}

// Structured logging: one JSON object per line on stderr:
//   {"ts":"2026-11-29T06:44:21.123Z","level":"info","service":"buildings","msg":"...",...}
// with "trace_id" and "span_id" when a trace context is current on the thread (trace::Scope).
// Thread-safe; a line is written with one write(2) so lines never interleave.
// Also routes gRPC's own log output (gpr_log) through Write, with "source":"grpc".
void Init(std::string service, Level min_level = Level::kInfo);
void SetSink(std::function<void(std::string_view line)> sink);  // for tests; nullptr = stderr
Level ParseLevel(std::string_view s, Level fallback);

// Whether a line of `level` would be written (Init's minimum level). A hot path checks it
// before building the fields of a line that is usually dropped (e.g. a debug line per call):
//   if (log::Enabled(log::Level::kDebug)) log::Debug("rpc finished", {{"method", m}, ...});
bool Enabled(Level level);

void Write(Level level, std::string_view msg, const Fields& fields);
inline void Debug(std::string_view msg, const Fields& f = Fields::object()) {
  Write(Level::kDebug, msg, f);
}
inline void Info(std::string_view msg, const Fields& f = Fields::object()) {
  Write(Level::kInfo, msg, f);
}
inline void Warn(std::string_view msg, const Fields& f = Fields::object()) {
  Write(Level::kWarning, msg, f);
}
inline void Error(std::string_view msg, const Fields& f = Fields::object()) {
  Write(Level::kError, msg, f);
}

}  // namespace firegrid::log
