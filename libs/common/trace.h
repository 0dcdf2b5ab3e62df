#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace grpc {
class ClientContext;
}

// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
// that follow one request through gRPC calls, Kafka events and webhooks.
//
// A request handler continues the caller's trace (or starts one) and makes it current on its
// thread with a Scope; log lines then carry trace_id and span_id, new event envelopes carry the
// traceparent, and outgoing calls can inject it (InjectInto).
namespace firegrid::trace {

inline constexpr absl::string_view kTraceparentHeader = "traceparent";
inline constexpr absl::string_view kTracestateHeader = "tracestate";
// tracestate longer than this (or with more than 32 list members, or characters outside
// printable ASCII) is dropped rather than passed on.
inline constexpr size_t kMaxTracestateBytes = 512;

struct Context {
  std::string trace_id;    // 32 lowercase hex digits, not all zero
  std::string span_id;     // 16 lowercase hex digits, not all zero
  uint8_t flags = 0x01;    // trace-flags; bit 0 = sampled
  std::string tracestate;  // passed through unchanged (bounded)

  bool operator==(const Context&) const = default;
};

// Parses a traceparent header. Version 00 exactly as the spec says: "00-<trace-id>-<parent-id>-
// <flags>", 55 characters, lowercase hex, ids not all zero. A later version (not "ff") is read
// by its first four fields if what follows them starts with '-'. nullopt when invalid.
std::optional<Context> ParseTraceparent(absl::string_view header);
// "00-<trace_id>-<span_id>-<flags>".
std::string FormatTraceparent(const Context& context);
// `tracestate` when within the bounds above, else "".
std::string BoundTracestate(absl::string_view tracestate);

// A new trace: random trace and span ids, sampled.
Context NewRoot();
// A new span of `parent`'s trace: same trace id, flags and tracestate, a new span id.
Context Child(const Context& parent);
// A child of the incoming traceparent (with the bounded tracestate), or a new root when the
// traceparent is absent or invalid (the tracestate is then dropped, as the spec requires).
Context ContinueOrStart(absl::string_view traceparent, absl::string_view tracestate);

// The context made current on this thread by the innermost live Scope; nullptr when none.
const Context* Current();
// FormatTraceparent(*Current()), or "" when no context is current.
std::string CurrentTraceparent();

// Makes `context` current on this thread until destroyed; restores the previous one then.
// Scopes nest and must be destroyed on the thread that created them, in reverse order.
class Scope {
 public:
  explicit Scope(Context context);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
  const Context& context() const { return context_; }

 private:
  Context context_;
  const Context* previous_;
};

// Adds the current context (a child span of it: the call is a new span) as traceparent and
// tracestate metadata to an outgoing call. Does nothing when no context is current.
void InjectInto(grpc::ClientContext& context);

}  // namespace firegrid::trace
