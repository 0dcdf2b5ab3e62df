#include "services/gateway/events_stream.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "services/gateway/http_util.h"
#include "services/gateway/json_api.h"

namespace firegrid::gateway {

absl::StatusOr<std::map<std::string, std::string>> ParseEventId(const std::string& id) {
  std::map<std::string, std::string> out;
  if (id.empty()) return out;
  const auto bad = [] {
    return absl::InvalidArgumentError(
        "Last-Event-ID: expected recipient=cursor pairs joined by ',' (an event's id)");
  };
  std::vector<absl::string_view> parts = absl::StrSplit(id, ',');
  if (parts.size() > 64) return bad();
  for (absl::string_view part : parts) {
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) return bad();
    auto recipient = PercentDecode(part.substr(0, eq), false);
    auto cursor = PercentDecode(part.substr(eq + 1), false);
    if (!recipient || !cursor || recipient->empty() || cursor->empty()) return bad();
    out[*recipient] = *cursor;
  }
  return out;
}

std::string FormatEventId(const std::map<std::string, std::string>& cursors) {
  std::vector<std::string> parts;
  for (const auto& [r, c] : cursors)
    parts.push_back(absl::StrCat(PercentEncode(r), "=", PercentEncode(c)));
  return absl::StrJoin(parts, ",");
}

// One Subscribe call and the HTTP stream it feeds. Keeps itself alive until gRPC is done with
// it (OnDone); the HTTP side holds it as the response's stream.
class EventsHandler::Call : public grpc::ClientReadReactor<notify::v1::SubscribeResponse>,
                            public ResponseStream,
                            public std::enable_shared_from_this<Call> {
 public:
  Call(EventsHandler* owner, std::map<std::string, std::string> cursors)
      : owner_(owner), cursors_(std::move(cursors)) {}

  void Begin(const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
             const std::string& request_id) {
    self_ = shared_from_this();
    owner_->Register(this);
    ctx_.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    ctx_.AddMetadata("x-request-id", request_id);
    for (const auto& [r, c] : cursors_) (*request_.mutable_cursors())[r] = c;
    stub_ = notify::v1::NotifyService::NewStub(channel);
    stub_->async()->Subscribe(&ctx_, &request_, this);
    StartRead(&response_);
    StartCall();
  }

  // Waits until the first message or the end of the call, at most `timeout`. The call's
  // error when it ended with one before any message.
  absl::Status AwaitFirst(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return got_message_ || done_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (done_ && !got_message_ && !status_.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status_.error_code()),
                          status_.error_message());
    }
    return absl::OkStatus();
  }

  void Start(std::shared_ptr<StreamWriter> writer) override {
    absl::MutexLock lock(&mu_);
    writer_ = std::move(writer);
    for (std::string& chunk : pending_) writer_->Write(std::move(chunk));
    pending_.clear();
    if (done_) FinishLocked();
  }

  void Cancel() override { ctx_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    std::string chunk;
    if (response_.has_notification()) {
      const notify::v1::Notification& n = response_.notification();
      if (!n.recipient().empty() && !n.cursor().empty()) cursors_[n.recipient()] = n.cursor();
      chunk = absl::StrCat("id: ", FormatEventId(cursors_),
                           "\nevent: notification\ndata: ", ApiJson(n), "\n\n");
    } else if (response_.has_caught_up()) {
      chunk = "event: caught_up\ndata: {}\n\n";
    }
    {
      absl::MutexLock lock(&mu_);
      got_message_ = true;
      if (!chunk.empty()) {
        if (writer_) {
          writer_->Write(std::move(chunk));
        } else {
          pending_.push_back(std::move(chunk));
        }
      }
    }
    response_.Clear();
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
      status_ = status;
      if (writer_) FinishLocked();
    }
    owner_->Unregister(this);
    std::shared_ptr<Call> keep = std::move(self_);  // may be the last reference
  }

 private:
  void FinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    if (!status_.ok() && status_.error_code() != grpc::StatusCode::CANCELLED) {
      HttpResponse e = JsonError(absl::Status(static_cast<absl::StatusCode>(status_.error_code()),
                                              status_.error_message()));
      writer_->Write(absl::StrCat("event: error\ndata: ", e.body, "\n\n"));
    }
    writer_->Finish();
  }

  EventsHandler* owner_;
  grpc::ClientContext ctx_;
  notify::v1::SubscribeRequest request_;
  notify::v1::SubscribeResponse response_;
  std::unique_ptr<notify::v1::NotifyService::Stub> stub_;
  std::map<std::string, std::string> cursors_;  // touched by the reactor's callbacks only
  std::shared_ptr<Call> self_;

  absl::Mutex mu_;
  std::shared_ptr<StreamWriter> writer_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> pending_ ABSL_GUARDED_BY(mu_);
  bool got_message_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

EventsHandler::EventsHandler(const BearerGate* gate, std::shared_ptr<grpc::Channel> notify,
                             EventsOptions options)
    : gate_(gate), notify_(std::move(notify)), options_(options) {}

EventsHandler::~EventsHandler() {
  absl::MutexLock lock(&mu_);
  for (auto& [call, unused] : calls_) call->Cancel();
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_.empty(); };
  mu_.Await(absl::Condition(&none));
}

void EventsHandler::Register(Call* call) {
  absl::MutexLock lock(&mu_);
  calls_[call] = true;
}

void EventsHandler::Unregister(Call* call) {
  absl::MutexLock lock(&mu_);
  calls_.erase(call);
}

int EventsHandler::open_calls() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(calls_.size());
}

HttpResponse EventsHandler::Handle(const HttpRequest& request) {
  if (request.method != "GET") {
    HttpResponse r = JsonError(405, absl::StatusCode::kInvalidArgument, "use GET");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  absl::StatusOr<std::string> token = gate_->Check(request);
  if (!token.ok()) return JsonError(token.status());
  auto cursors = ParseEventId(request.Header("last-event-id"));
  if (!cursors.ok()) return JsonError(cursors.status());
  auto call = std::make_shared<Call>(this, std::move(*cursors));
  call->Begin(notify_, *token, request.request_id);
  if (absl::Status s = call->AwaitFirst(options_.first_message_wait); !s.ok()) {
    return JsonError(s);
  }
  HttpResponse r = HttpResponse::Make(200, "text/event-stream; charset=utf-8", "");
  r.headers.emplace_back("X-Accel-Buffering", "no");
  r.stream = call;
  r.keepalive_interval = options_.heartbeat;
  r.keepalive_chunk = ": heartbeat\n\n";
  return r;
}

}  // namespace firegrid::gateway
