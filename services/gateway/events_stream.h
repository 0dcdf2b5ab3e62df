#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "services/gateway/bearer.h"
#include "services/gateway/http.h"

namespace firegrid::gateway {

// GET /api/v1/events: notify's Subscribe as server-sent events.
//
// The caller's `Authorization: Bearer` token (verified here first, then forwarded) decides
// whose inboxes are streamed. `Last-Event-ID` (the id of the last event the client saw) resumes:
// replay starts after it, with no gap and no duplicate. Events:
//   id: <cursors>\nevent: notification\ndata: <Notification JSON>\n\n
//   event: caught_up\ndata: {}\n\n        (once, when the replay is over)
//   : heartbeat\n\n                        (comment, after 15 s without anything else)
//   event: error\ndata: {"code":...,"message":...}\n\n   (notify ended the stream)
// An event id is the cursor map after that event: recipient=cursor pairs (each side
// percent-encoded) joined by ",", e.g. "org%3A500109001002=01J...,person%3Auser%3Aw=01J...".
//
// The gRPC call is a callback-API reader (grpc::ClientReadReactor) whose messages go to the
// connection as asio writes: an idle stream holds no thread, only its socket and its HTTP/2
// stream. Either side ending ends the other.
struct EventsOptions {
  absl::Duration heartbeat = absl::Seconds(15);
  // How long the request waits for notify's first message (or its error, answered as an HTTP
  // error) before the stream's headers go out anyway.
  absl::Duration first_message_wait = absl::Seconds(10);
};

// The cursor map of an event id; INVALID_ARGUMENT naming Last-Event-ID when malformed.
absl::StatusOr<std::map<std::string, std::string>> ParseEventId(const std::string& id);
std::string FormatEventId(const std::map<std::string, std::string>& cursors);

class EventsHandler : public Handler {
 public:
  EventsHandler(const BearerGate* gate, std::shared_ptr<grpc::Channel> notify,
                EventsOptions options = {});
  // Cancels the open streams and waits for them to end.
  ~EventsHandler() override;
  HttpResponse Handle(const HttpRequest& request) override;

  // Subscribe calls open now.
  int open_calls() const;

  class Call;

 private:
  friend class Call;
  void Register(Call* call);
  void Unregister(Call* call);

  const BearerGate* gate_;
  std::shared_ptr<grpc::Channel> notify_;
  const EventsOptions options_;
  mutable absl::Mutex mu_;
  std::map<Call*, bool> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace firegrid::gateway
