#pragma once

// `firegridctl watch`: the caller's notifications, live, from NotifyService/Subscribe, with
// reconnection. Separate from cmd_notify.cc so that tests can drive it with short backoffs and
// stop it from another thread.

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/notify/v1/notify.pb.h"
#include "tools/firegridctl/cli.h"

namespace firegrid::ctl {

// A stop request that a signal handler may raise (Stop() is async-signal-safe: one lock-free
// atomic store) and that waiters poll in short slices.
class StopSignal {
 public:
  void Stop() { stopped_.store(true); }
  bool stopped() const { return stopped_.load(); }
  // Waits up to `d`; true as soon as Stop() was called.
  bool WaitFor(absl::Duration d) const;

 private:
  std::atomic<bool> stopped_{false};
  static_assert(std::atomic<bool>::is_always_lock_free);
};

// While alive, SIGINT and SIGTERM raise `stop` instead of ending the process; the previous
// handlers are restored afterwards. One at a time.
class ScopedStopOnSignals {
 public:
  explicit ScopedStopOnSignals(StopSignal* stop);
  ~ScopedStopOnSignals();
  ScopedStopOnSignals(const ScopedStopOnSignals&) = delete;
  ScopedStopOnSignals& operator=(const ScopedStopOnSignals&) = delete;
};

struct WatchOptions {
  // Recipient → the cursor of the last notification already seen; the first stream replays
  // what came after (a recipient not listed: its whole inbox).
  std::map<std::string, std::string> cursors;
  // Skip the replay on the first connection. Reconnects still replay what was missed: after
  // the last notification seen of each inbox, or, for an inbox nothing was seen of yet, from
  // the moment the watch started.
  bool live_only = false;
  // Reconnect backoff: initial, doubling (with ±20 % jitter) up to max; back to initial once a
  // stream delivers again.
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(10);
  // No message at all (the server sends a heartbeat every few seconds when idle) for this long:
  // the connection is dead; cancel it and reconnect.
  absl::Duration idle_timeout = absl::Seconds(30);
};

// Streams the caller's notifications to ctx.out() until `stop` is raised (then OK), one line
// each (time, recipient, kind, title, hazard id; with --output json one JSON object per line),
// flushing after each. "caught up" is printed once, when the first replay is over (to stderr
// with --output json, so stdout holds only notifications). Heartbeats are not shown. When the
// stream breaks — an error, the server closing it, or idle_timeout without a message — it
// reconnects with the cursors of the last notification printed per inbox, after a backoff, so
// nothing is missed and nothing is printed twice (a notification at or before its inbox's
// cursor is skipped). Errors a retry cannot fix (UNAUTHENTICATED, PERMISSION_DENIED,
// INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED, FAILED_PRECONDITION) end the watch with that
// error. Reconnection notices go to ctx.err().
absl::Status Watch(Context& ctx, const WatchOptions& options, StopSignal* stop);

// A cursor "<ms>-<seq>" (a Redis stream id) as a comparable pair; nullopt when malformed.
std::optional<std::pair<uint64_t, uint64_t>> ParseCursor(absl::string_view cursor);

// The table-mode line of one notification (no newline):
// "2024-05-01 14:03:07  org:500109.fire_rescue  hazard_task  <title>  <hazard id>"; a credit
// notification ends with its credit subject id instead.
std::string FormatWatchLine(const ::firegrid::notify::v1::Notification& n);

// One notification as a single-line JSON object (proto field names).
std::string NotificationJsonLine(const ::firegrid::notify::v1::Notification& n);

}  // namespace firegrid::ctl
