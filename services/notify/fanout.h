#pragma once

// Live Subscribe streams without a thread or a Redis connection of their own
// (docs/adr/0007-notify-fan-out.md).
//
// Every delivery (Inbox::Notify) appends, in the same atomic write as the inbox entries, one
// entry naming its recipients to the feed stream "<prefix>:feed" (inbox_keys.h). One FanoutHub
// per replica reads that feed (one thread, one Redis connection, XREAD BLOCK after the last entry
// it read), and for each named recipient that has subscribers on this replica it reads the new
// inbox entries once (XRANGE after the newest it fetched) and hands them to every Subscription of
// that recipient. Every replica reads the whole feed, so a notification written by any replica
// reaches subscribers on all of them.
//
// A Subscription is one stream's state: a bounded buffer of messages, the cursor of the last
// notification it queued per recipient (nothing at or below it is queued again, so replay and
// live overlap without duplicates), and the writer's protocol (Next / WriteDone: one message in
// flight at a time). A live stream whose buffer is still full when more notifications arrive
// is ended with ABORTED "fell behind" (kFellBehindMessage): the others never wait for it, and
// the client resumes from its cursors (replay). A replay is paced by its own client and never
// ended for what arrives meanwhile (Subscription::Deliver).

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "firegrid/notify/v1/notify.pb.h"
#include "grpcpp/support/status.h"
#include "libs/common/clock.h"
#include "libs/common/stop_flag.h"
#include "libs/redis/pool.h"
#include "services/notify/inbox.h"

namespace firegrid::notify {


// The message of the status (ABORTED) that ends a stream which fell behind.
inline constexpr char kFellBehindMessage[] =
    "fell behind: too many notifications waiting to be sent on this stream; resume from your "
    "cursor";

// a < b for inbox cursors ("<ms>-<seq>"); "" is below every cursor.
bool CursorBefore(const std::string& a, const std::string& b);

// What the hub reads. RedisInboxSource in production; a fake in unit tests.
class InboxSource {
 public:
  virtual ~InboxSource() = default;
  // The id of the feed's newest entry ("0-0" when empty).
  virtual absl::StatusOr<std::string> LastFeedId() = 0;
  // The feed's entries after `after`, oldest first, waiting up to `timeout` for one (then
  // empty). Called from one thread only.
  virtual absl::StatusOr<std::vector<FeedEntry>> WaitFeed(const std::string& after,
                                                          absl::Duration timeout) = 0;
  // As Inbox::ReadAfter / Inbox::LastCursor. Thread-safe.
  virtual absl::StatusOr<std::vector<v1::Notification>> ReadAfter(const std::string& recipient,
                                                                  const std::string& cursor,
                                                                  int count) = 0;
  virtual absl::StatusOr<std::string> LastCursor(const std::string& recipient) = 0;
};

// The inboxes in Redis: feed reads on a connection of its own, the rest on the pool.
class RedisInboxSource final : public InboxSource {
 public:
  RedisInboxSource(Inbox* inbox, redis::Pool* pool);
  absl::StatusOr<std::string> LastFeedId() override;
  absl::StatusOr<std::vector<FeedEntry>> WaitFeed(const std::string& after,
                                                  absl::Duration timeout) override;
  absl::StatusOr<std::vector<v1::Notification>> ReadAfter(const std::string& recipient,
                                                          const std::string& cursor,
                                                          int count) override;
  absl::StatusOr<std::string> LastCursor(const std::string& recipient) override;

 private:
  Inbox* inbox_;
  redis::Pool* pool_;
  std::unique_ptr<redis::Pool::Dedicated> feed_conn_;
};

// One Subscribe stream's state. Thread-safe. `wake` is called (with no lock of this class held)
// whenever Next() may have something new: a message to write or the end.
class Subscription {
 public:
  using Message = std::shared_ptr<const v1::SubscribeResponse>;

  // `cursors`: recipient → cursor of the last notification the client has ("" = none).
  Subscription(std::map<std::string, std::string> cursors, size_t max_buffer, Clock* clock,
               std::function<void()> wake);
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  std::vector<std::string> recipients() const;
  std::string cursor(const std::string& recipient) const;

  // Catch-up phase. A page of the recipient's inbox after its cursor, in order; returns false
  // when the buffer is full (then Park() before reading on).
  bool Replay(const std::vector<Message>& page);
  // Live only: start `recipient` after `cursor` (the newest notification at subscription).
  void StartAfter(const std::string& recipient, const std::string& cursor);
  // Parks the catch-up until the writer has drained half the buffer; then `resume` is called
  // (from the writer's thread). False when that is already the case (go on at once).
  bool Park(std::function<void()> resume);
  // The replay has read to the end of every inbox. True: the catch-up is over; caught_up is
  // queued, then the live notifications that arrived meanwhile and are after the cursors (also
  // true when the stream has ended). False: more than max_buffer live notifications arrived
  // during the catch-up and were let go (they are in the inboxes): replay on from the cursors,
  // then call again.
  bool CaughtUp();

  // Live: notifications of one recipient, oldest first (one fetch). Those at or below its
  // cursor are skipped. The batch is taken whole, but a live stream that still holds max_buffer
  // messages waiting to be written when a batch comes has fallen behind: it is ended (ABORTED,
  // kFellBehindMessage). A stream so holds at most max_buffer + one batch. During catch-up they
  // wait for CaughtUp, at most max_buffer of them: past that they are dropped and the replay
  // reads them (CaughtUp returns false), so a long replay is never ended for the live
  // notifications that came meanwhile — a slow client there only slows its own replay (Park).
  void Deliver(const std::vector<Message>& notifications);
  // Queues a heartbeat if the stream is live, idle (nothing queued or in flight) and nothing was
  // queued for `idle`.
  void Heartbeat(absl::Duration idle);
  // Ends the stream with `status` (what is still queued is dropped). The first end wins.
  void End(const grpc::Status& status);

  // The writer. kWrite: `*message` is to be written (one at a time; call WriteDone after);
  // kFinish: finish the call with `*status` (returned once); kNone: nothing to do now.
  enum class Step { kNone, kWrite, kFinish };
  Step Next(Message* message, grpc::Status* status);
  void WriteDone();

  bool ended() const;
  bool live() const;
  size_t queued() const;

 private:
  // Queues `m` if it is after its recipient's cursor; true if queued.
  bool QueueIfNew(const Message& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Wake();

  const size_t max_buffer_;
  Clock* const clock_;
  const std::function<void()> wake_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> cursors_ ABSL_GUARDED_BY(mu_);
  std::deque<Message> queue_ ABSL_GUARDED_BY(mu_);
  std::deque<Message> pending_ ABSL_GUARDED_BY(mu_);  // live, during catch-up
  bool pending_dropped_ ABSL_GUARDED_BY(mu_) = false;  // pending_ overflowed: replay again
  bool live_ ABSL_GUARDED_BY(mu_) = false;
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status end_status_ ABSL_GUARDED_BY(mu_);
  absl::Time last_queued_ ABSL_GUARDED_BY(mu_);
  std::function<void()> resume_ ABSL_GUARDED_BY(mu_);
};

struct FanoutOptions {
  // A heartbeat on a stream with nothing queued for about this long (one timer for all
  // streams, visiting a twentieth of them per tick, so that heartbeats are spread in time).
  absl::Duration heartbeat = absl::Seconds(5);
  // One blocking feed read waits at most this long (then the reader checks for Stop).
  absl::Duration feed_wait = absl::Milliseconds(500);
  // Messages one stream may have waiting; a stream that still holds this many when more live
  // notifications come is ended (fell behind).
  size_t max_buffer = 256;
  // Inbox entries one replay or fetch reads at a time.
  int page = 200;
  // Threads that run catch-ups (replay reads) for all streams.
  int catch_up_threads = 2;
};

// One per replica. Thread-safe.
class FanoutHub {
 public:
  FanoutHub(InboxSource* source, Clock* clock, FanoutOptions options = {});
  ~FanoutHub();
  FanoutHub(const FanoutHub&) = delete;
  FanoutHub& operator=(const FanoutHub&) = delete;

  // Starts the feed reader, the heartbeat timer and the catch-up threads. Idempotent.
  void Start();
  // Stops them (open streams stay as they are; see EndAll; a stream added or resuming its replay
  // afterwards is ended UNAVAILABLE). Idempotent.
  void Stop();

  // Registers the stream for its recipients and runs its catch-up on a catch-up thread: replay
  // after its cursors (or, `live_only`, start after each inbox's newest), then caught_up, then
  // live. A Redis failure during catch-up ends it UNAVAILABLE.
  void Add(std::shared_ptr<Subscription> s, bool live_only);
  // Forgets the stream (when its call is done).
  void Remove(Subscription* s);
  // Ends every registered stream with `status`.
  void EndAll(const grpc::Status& status);

  int streams() const;
  // Recipients with at least one stream on this replica.
  int watched_recipients() const;
  // True once the reader knows where the feed stands (every delivery after that is seen).
  bool reading() const;

 private:
  void ReadLoop();
  void TickLoop();
  void WorkLoop();
  // Queues a catch-up task; false once stopped.
  bool Submit(std::function<void()> task);
  // Fetches the recipients' new inbox entries and delivers them to their streams.
  void Fetch(const std::vector<std::string>& recipients);
  // Registration, then replay from `index` of the recipients (or the live_only start).
  void CatchUp(std::shared_ptr<Subscription> s, bool live_only);
  void ReplayFrom(std::shared_ptr<Subscription> s, size_t index);

  InboxSource* const source_;
  Clock* const clock_;
  const FanoutOptions options_;

  mutable absl::Mutex mu_;
  struct Recipient {
    std::string fetched;  // the newest inbox cursor fetched for this recipient
    absl::flat_hash_map<Subscription*, std::shared_ptr<Subscription>> streams;
  };
  absl::flat_hash_map<std::string, Recipient> watched_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Subscription*, std::shared_ptr<Subscription>> all_ ABSL_GUARDED_BY(mu_);
  bool reading_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex work_mu_;
  std::deque<std::function<void()>> work_ ABSL_GUARDED_BY(work_mu_);
  bool work_stop_ ABSL_GUARDED_BY(work_mu_) = false;

  absl::Mutex run_mu_;
  bool started_ ABSL_GUARDED_BY(run_mu_) = false;
  StopFlag stop_;
  std::thread reader_;
  std::thread ticker_;
  std::vector<std::thread> workers_;
};

}  // namespace firegrid::notify
