#include "tools/firegridctl/watch.h"

#include <signal.h>

#include <random>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/proto_json.h"
#include "tools/firegridctl/enums.h"
#include "tools/firegridctl/rpc.h"
#include "tools/firegridctl/table.h"

namespace firegrid::ctl {
namespace {

namespace nv1 = ::firegrid::notify::v1;

const absl::TimeZone& ChinaTime() {
  static const absl::TimeZone* tz = new absl::TimeZone(absl::FixedTimeZone(8 * 3600));
  return *tz;
}

std::string Pad(const std::string& s, size_t width) {
  const size_t w = DisplayWidth(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

bool Retryable(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return false;
    default:
      return true;
  }
}

// The call in flight, watched by a monitor thread that cancels it when the watch is stopped or
// the connection went quiet.
class CallMonitor {
 public:
  CallMonitor(StopSignal* stop, absl::Duration idle_timeout)
      : stop_(stop), idle_timeout_(idle_timeout), thread_([this] { Run(); }) {}
  ~CallMonitor() {
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
    }
    thread_.join();
  }

  void Begin(grpc::ClientContext* call) {
    absl::MutexLock lock(&mu_);
    call_ = call;
    last_activity_ = absl::Now();
    idle_cancelled_ = false;
  }
  void Touch() {
    absl::MutexLock lock(&mu_);
    last_activity_ = absl::Now();
  }
  // Detaches the call; true when the monitor cancelled it for being idle.
  bool End() {
    absl::MutexLock lock(&mu_);
    call_ = nullptr;
    return idle_cancelled_;
  }

 private:
  void Run() {
    absl::MutexLock lock(&mu_);
    while (!done_) {
      mu_.AwaitWithTimeout(absl::Condition(&done_), absl::Milliseconds(50));
      if (done_ || call_ == nullptr) continue;
      if (stop_->stopped()) {
        call_->TryCancel();
      } else if (!idle_cancelled_ && absl::Now() - last_activity_ > idle_timeout_) {
        idle_cancelled_ = true;
        call_->TryCancel();
      }
    }
  }

  StopSignal* stop_;
  const absl::Duration idle_timeout_;
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* call_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Time last_activity_ ABSL_GUARDED_BY(mu_);
  bool idle_cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts after the members it reads
};

std::atomic<StopSignal*> g_signal_stop{nullptr};

extern "C" void OnStopSignal(int) {
  if (StopSignal* s = g_signal_stop.load()) s->Stop();
}

struct sigaction g_old_int, g_old_term;

}  // namespace

bool StopSignal::WaitFor(absl::Duration d) const {
  const absl::Time until = absl::Now() + d;
  while (!stopped()) {
    const absl::Duration left = until - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    absl::SleepFor(std::min(left, absl::Milliseconds(20)));
  }
  return true;
}

ScopedStopOnSignals::ScopedStopOnSignals(StopSignal* stop) {
  g_signal_stop.store(stop);
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

ScopedStopOnSignals::~ScopedStopOnSignals() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  g_signal_stop.store(nullptr);
}

std::optional<std::pair<uint64_t, uint64_t>> ParseCursor(absl::string_view cursor) {
  const size_t dash = cursor.find('-');
  if (dash == absl::string_view::npos) return std::nullopt;
  uint64_t ms = 0, seq = 0;
  if (!absl::SimpleAtoi(cursor.substr(0, dash), &ms) ||
      !absl::SimpleAtoi(cursor.substr(dash + 1), &seq)) {
    return std::nullopt;
  }
  return std::make_pair(ms, seq);
}

std::string FormatWatchLine(const nv1::Notification& n) {
  const std::string time = n.has_created_at()
                               ? absl::FormatTime("%Y-%m-%d %H:%M:%S %Ez",
                                                  absl::FromUnixSeconds(n.created_at().seconds()) +
                                                      absl::Nanoseconds(n.created_at().nanos()),
                                                  ChinaTime())
                               : std::string(26, ' ');
  std::string line = absl::StrCat(time, "  ", Pad(n.recipient(), 28), "  ",
                                  Pad(EnumLabel(n.kind()), 14), "  ", n.title());
  if (!n.hazard_id().empty()) absl::StrAppend(&line, "  ", n.hazard_id());
  if (!n.credit_subject_id().empty()) absl::StrAppend(&line, "  ", n.credit_subject_id());
  return line;
}

std::string NotificationJsonLine(const nv1::Notification& n) {
  return MessageToJson(n, {.multiline = false}).value_or("{}");
}

absl::Status Watch(Context& ctx, const WatchOptions& options, StopSignal* stop) {
  auto stub = nv1::NotifyService::NewStub(ctx.channel());
  std::map<std::string, std::string> cursors = options.cursors;
  // For --live-only: inboxes nothing was seen of are replayed on a reconnect from here on.
  const uint64_t started_ms = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  bool first_stream = true;  // until a stream reached caught_up
  bool printed_caught_up = false;
  absl::Duration backoff = options.initial_backoff;
  std::mt19937 rng(std::random_device{}());
  CallMonitor monitor(stop, options.idle_timeout);

  bool live_stream = false;  // the current stream was asked for live_only (no replay)
  auto show = [&](const nv1::Notification& n) {
    auto it = cursors.find(n.recipient());
    const auto at = ParseCursor(n.cursor());
    if (it != cursors.end() && at.has_value()) {
      const auto seen = ParseCursor(it->second);
      if (seen.has_value() && *at <= *seen) return;  // already printed
    }
    if (it == cursors.end() && options.live_only && !live_stream && at.has_value() &&
        at->first < started_ms) {
      // A reconnect of a live-only watch replays this inbox from its start: older than the
      // watch, not to be shown.
      cursors[n.recipient()] = n.cursor();
      return;
    }
    if (!n.cursor().empty()) cursors[n.recipient()] = n.cursor();
    if (ctx.json()) {
      ctx.out() << NotificationJsonLine(n) << "\n";
    } else {
      ctx.out() << FormatWatchLine(n) << "\n";
    }
    ctx.out().flush();
  };

  while (!stop->stopped()) {
    grpc::ClientContext call;
    if (!ctx.options().token.empty()) auth::AttachToken(&call, ctx.options().token);
    nv1::SubscribeRequest req;
    for (const auto& [recipient, cursor] : cursors) (*req.mutable_cursors())[recipient] = cursor;
    req.set_live_only(options.live_only && first_stream);
    live_stream = req.live_only();
    monitor.Begin(&call);
    std::unique_ptr<grpc::ClientReader<nv1::SubscribeResponse>> reader =
        stub->Subscribe(&call, req);
    nv1::SubscribeResponse resp;
    while (reader->Read(&resp)) {
      monitor.Touch();
      switch (resp.event_case()) {
        case nv1::SubscribeResponse::kNotification:
          show(resp.notification());
          backoff = options.initial_backoff;
          break;
        case nv1::SubscribeResponse::kCaughtUp:
          if (!printed_caught_up) {
            (ctx.json() ? ctx.err() : ctx.out()) << "caught up" << std::endl;
            printed_caught_up = true;
          } else if (!first_stream) {
            ctx.err() << "reconnected" << std::endl;
          }
          first_stream = false;
          backoff = options.initial_backoff;
          break;
        default:  // heartbeat
          break;
      }
    }
    const bool idle = monitor.End();
    const grpc::Status status = reader->Finish();
    if (stop->stopped()) break;
    if (!idle && !status.ok() && !Retryable(status.error_code())) return FromGrpc(status);
    const std::string why =
        idle          ? absl::StrCat("no message for ", absl::FormatDuration(options.idle_timeout))
        : status.ok() ? std::string("the server closed the stream")
                      : absl::StrCat(absl::StatusCodeToString(FromGrpc(status).code()), ": ",
                                     status.error_message());
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    const absl::Duration wait = backoff * jitter(rng);
    ctx.err() << "stream broken (" << why << "); reconnecting in "
              << absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(10))) << std::endl;
    if (stop->WaitFor(wait)) break;
    backoff = std::min(backoff * 2, options.max_backoff);
  }
  return absl::OkStatus();
}

}  // namespace firegrid::ctl
