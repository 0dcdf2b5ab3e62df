#include "libs/common/trace.h"

#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "grpcpp/client_context.h"

namespace firegrid::trace {
namespace {

thread_local const Context* current = nullptr;

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(absl::string_view s) { return s.find_first_not_of('0') == absl::string_view::npos; }

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

absl::BitGen& Gen() {
  thread_local absl::BitGen gen;
  return gen;
}

std::string RandomHex(int bytes) {
  std::string out;
  while (out.empty() || AllZero(out)) {
    out.clear();
    for (int i = 0; i < bytes; ++i) {
      out += absl::StrFormat("%02x", absl::Uniform<uint32_t>(Gen(), 0, 256));
    }
  }
  return out;
}

}  // namespace

std::optional<Context> ParseTraceparent(absl::string_view h) {
  // version "-" trace-id "-" parent-id "-" trace-flags
  constexpr size_t kLen = 2 + 1 + 32 + 1 + 16 + 1 + 2;
  if (h.size() < kLen) return std::nullopt;
  absl::string_view version = h.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  if (version == "00" ? h.size() != kLen : (h.size() > kLen && h[kLen] != '-')) {
    return std::nullopt;
  }
  if (h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  absl::string_view trace_id = h.substr(3, 32);
  absl::string_view span_id = h.substr(36, 16);
  absl::string_view flags = h.substr(53, 2);
  if (!IsLowerHex(trace_id) || !IsLowerHex(span_id) || !IsLowerHex(flags)) return std::nullopt;
  if (AllZero(trace_id) || AllZero(span_id)) return std::nullopt;
  Context c;
  c.trace_id = std::string(trace_id);
  c.span_id = std::string(span_id);
  c.flags = static_cast<uint8_t>(HexValue(flags[0]) * 16 + HexValue(flags[1]));
  return c;
}

std::string FormatTraceparent(const Context& c) {
  return absl::StrFormat("00-%s-%s-%02x", c.trace_id, c.span_id, c.flags);
}

std::string BoundTracestate(absl::string_view tracestate) {
  if (tracestate.size() > kMaxTracestateBytes) return "";
  for (char c : tracestate) {
    if (c < 0x20 || c > 0x7e) return "";
  }
  std::vector<absl::string_view> members = absl::StrSplit(tracestate, ',');
  if (members.size() > 32) return "";
  return std::string(tracestate);
}

Context NewRoot() {
  Context c;
  c.trace_id = RandomHex(16);
  c.span_id = RandomHex(8);
  c.flags = 0x01;
  return c;
}

Context Child(const Context& parent) {
  Context c = parent;
  c.span_id = RandomHex(8);
  return c;
}

Context ContinueOrStart(absl::string_view traceparent, absl::string_view tracestate) {
  std::optional<Context> parent = ParseTraceparent(traceparent);
  if (!parent.has_value()) return NewRoot();
  parent->tracestate = BoundTracestate(tracestate);
  return Child(*parent);
}

const Context* Current() { return current; }

std::string CurrentTraceparent() {
  return current == nullptr ? std::string() : FormatTraceparent(*current);
}

Scope::Scope(Context context) : context_(std::move(context)), previous_(current) {
  current = &context_;
}

Scope::~Scope() { current = previous_; }

void InjectInto(grpc::ClientContext& context) {
  if (current == nullptr) return;
  Context span = Child(*current);
  context.AddMetadata(std::string(kTraceparentHeader), FormatTraceparent(span));
  if (!span.tracestate.empty()) {
    context.AddMetadata(std::string(kTracestateHeader), span.tracestate);
  }
}

}  // namespace firegrid::trace
