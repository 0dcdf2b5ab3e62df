#include "services/notify/fanout.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "libs/common/logging.h"

namespace firegrid::notify {
namespace {

std::pair<uint64_t, uint64_t> CursorParts(const std::string& c) {
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(c, '-');
  uint64_t ms = 0, seq = 0;
  (void)absl::SimpleAtoi(parts.first, &ms);
  (void)absl::SimpleAtoi(parts.second, &seq);
  return {ms, seq};
}

Subscription::Message Wrap(v1::Notification n) {
  auto m = std::make_shared<v1::SubscribeResponse>();
  *m->mutable_notification() = std::move(n);
  return m;
}

}  // namespace

bool CursorBefore(const std::string& a, const std::string& b) {
  if (b.empty()) return false;
  if (a.empty()) return true;
  return CursorParts(a) < CursorParts(b);
}

// ---- RedisInboxSource ----

RedisInboxSource::RedisInboxSource(Inbox* inbox, redis::Pool* pool)
    : inbox_(inbox), pool_(pool), feed_conn_(pool->NewDedicated()) {}

absl::StatusOr<std::string> RedisInboxSource::LastFeedId() { return inbox_->LastFeedId(); }

absl::StatusOr<std::vector<FeedEntry>> RedisInboxSource::WaitFeed(const std::string& after,
                                                                  absl::Duration timeout) {
  return inbox_->WaitFeed(*feed_conn_, after, timeout);
}

absl::StatusOr<std::vector<v1::Notification>> RedisInboxSource::ReadAfter(
    const std::string& recipient, const std::string& cursor, int count) {
  return inbox_->ReadAfter(recipient, cursor, count);
}

absl::StatusOr<std::string> RedisInboxSource::LastCursor(const std::string& recipient) {
  return inbox_->LastCursor(recipient);
}

// ---- Subscription ----

Subscription::Subscription(std::map<std::string, std::string> cursors, size_t max_buffer,
                           Clock* clock, std::function<void()> wake)
    : max_buffer_(std::max<size_t>(1, max_buffer)),
      clock_(clock),
      wake_(std::move(wake)),
      cursors_(std::move(cursors)),
      last_queued_(clock->Now()) {}

std::vector<std::string> Subscription::recipients() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [r, c] : cursors_) out.push_back(r);
  return out;
}

std::string Subscription::cursor(const std::string& recipient) const {
  absl::MutexLock lock(&mu_);
  auto it = cursors_.find(recipient);
  return it == cursors_.end() ? "" : it->second;
}

bool Subscription::QueueIfNew(const Message& m) {
  const v1::Notification& n = m->notification();
  auto it = cursors_.find(n.recipient());
  if (it == cursors_.end() || !CursorBefore(it->second, n.cursor())) return false;
  it->second = n.cursor();
  queue_.push_back(m);
  last_queued_ = clock_->Now();
  return true;
}

bool Subscription::Replay(const std::vector<Message>& page) {
  bool room;
  {
    absl::MutexLock lock(&mu_);
    if (ended_) return false;
    for (const Message& m : page) QueueIfNew(m);
    room = queue_.size() < max_buffer_;
  }
  Wake();
  return room;
}

void Subscription::StartAfter(const std::string& recipient, const std::string& cursor) {
  absl::MutexLock lock(&mu_);
  auto it = cursors_.find(recipient);
  if (it != cursors_.end() && CursorBefore(it->second, cursor)) it->second = cursor;
}

bool Subscription::Park(std::function<void()> resume) {
  absl::MutexLock lock(&mu_);
  if (ended_ || queue_.size() <= max_buffer_ / 2) return false;
  resume_ = std::move(resume);
  return true;
}

bool Subscription::CaughtUp() {
  {
    absl::MutexLock lock(&mu_);
    if (ended_) return true;
    if (pending_dropped_) {
      pending_dropped_ = false;
      pending_.clear();
      return false;
    }
    auto caught_up = std::make_shared<v1::SubscribeResponse>();
    caught_up->set_caught_up(true);
    queue_.push_back(std::move(caught_up));
    last_queued_ = clock_->Now();
    live_ = true;
    for (const Message& m : pending_) QueueIfNew(m);
    pending_.clear();
  }
  Wake();
  return true;
}

void Subscription::Deliver(const std::vector<Message>& notifications) {
  {
    absl::MutexLock lock(&mu_);
    if (ended_) return;
    if (!live_) {
      // During catch-up: held for CaughtUp, up to max_buffer; past that, dropped (the replay,
      // which reads on until it finds nothing newer, reads them from the inbox instead).
      for (const Message& m : notifications) {
        if (pending_dropped_) break;
        const v1::Notification& n = m->notification();
        auto it = cursors_.find(n.recipient());
        if (it == cursors_.end() || !CursorBefore(it->second, n.cursor())) continue;
        if (pending_.size() >= max_buffer_) {
          pending_.clear();
          pending_dropped_ = true;
          break;
        }
        pending_.push_back(m);
      }
      return;  // nothing new for the writer
    }
    // A batch (one fetch, at most a page) is taken whole, so that a burst does not end a client
    // that keeps up; a stream still holding max_buffer messages when the next one comes has
    // fallen behind. Held at most max_buffer + a page.
    if (queue_.size() >= max_buffer_) {
      EndLocked(grpc::Status(grpc::StatusCode::ABORTED, kFellBehindMessage));
    } else {
      for (const Message& m : notifications) QueueIfNew(m);
    }
  }
  Wake();
}

void Subscription::Heartbeat(absl::Duration idle) {
  {
    absl::MutexLock lock(&mu_);
    if (!live_ || ended_ || in_flight_ || !queue_.empty()) return;
    const absl::Time now = clock_->Now();
    if (now - last_queued_ < idle) return;
    auto hb = std::make_shared<v1::SubscribeResponse>();
    hb->set_heartbeat(true);
    queue_.push_back(std::move(hb));
    last_queued_ = now;
  }
  Wake();
}

void Subscription::End(const grpc::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    EndLocked(status);
  }
  Wake();
}

void Subscription::EndLocked(const grpc::Status& status) {
  if (ended_) return;
  ended_ = true;
  end_status_ = status;
  queue_.clear();
  pending_.clear();
  pending_dropped_ = false;
  resume_ = nullptr;
}

Subscription::Step Subscription::Next(Message* message, grpc::Status* status) {
  absl::MutexLock lock(&mu_);
  if (finished_) return Step::kNone;
  if (ended_) {
    // Even with a write in flight: a client that stopped reading may never complete it, and
    // gRPC sends the status after the message.
    finished_ = true;
    *status = end_status_;
    return Step::kFinish;
  }
  if (in_flight_ || queue_.empty()) return Step::kNone;
  *message = std::move(queue_.front());
  queue_.pop_front();
  in_flight_ = true;
  return Step::kWrite;
}

void Subscription::WriteDone() {
  std::function<void()> resume;
  {
    absl::MutexLock lock(&mu_);
    in_flight_ = false;
    if (resume_ && queue_.size() <= max_buffer_ / 2) {
      resume = std::move(resume_);
      resume_ = nullptr;
    }
  }
  if (resume) resume();
}

bool Subscription::ended() const {
  absl::MutexLock lock(&mu_);
  return ended_;
}

bool Subscription::live() const {
  absl::MutexLock lock(&mu_);
  return live_;
}

size_t Subscription::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void Subscription::Wake() {
  if (wake_) wake_();
}

// ---- FanoutHub ----

FanoutHub::FanoutHub(InboxSource* source, Clock* clock, FanoutOptions options)
    : source_(source), clock_(clock), options_(options) {}

FanoutHub::~FanoutHub() { Stop(); }

void FanoutHub::Start() {
  absl::MutexLock lock(&run_mu_);
  if (started_) return;
  started_ = true;
  reader_ = std::thread([this] { ReadLoop(); });
  ticker_ = std::thread([this] { TickLoop(); });
  for (int i = 0; i < std::max(1, options_.catch_up_threads); ++i) {
    workers_.emplace_back([this] { WorkLoop(); });
  }
}

void FanoutHub::Stop() {
  absl::MutexLock lock(&run_mu_);
  if (!started_) return;
  started_ = false;
  stop_.Stop();
  {
    absl::MutexLock wl(&work_mu_);
    work_stop_ = true;
  }
  if (reader_.joinable()) reader_.join();
  if (ticker_.joinable()) ticker_.join();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

bool FanoutHub::Submit(std::function<void()> task) {
  absl::MutexLock lock(&work_mu_);
  if (work_stop_) return false;
  work_.push_back(std::move(task));
  return true;
}

namespace {
const grpc::Status& ShuttingDown() {
  static const grpc::Status* s =
      new grpc::Status(grpc::StatusCode::UNAVAILABLE, "notify is shutting down; reconnect");
  return *s;
}
}  // namespace

void FanoutHub::WorkLoop() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&work_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_) {
        return work_stop_ || !work_.empty();
      };
      work_mu_.Await(absl::Condition(&ready));
      if (work_stop_) return;
      task = std::move(work_.front());
      work_.pop_front();
    }
    task();
  }
}

void FanoutHub::Add(std::shared_ptr<Subscription> s, bool live_only) {
  {
    absl::MutexLock lock(&mu_);
    all_[s.get()] = s;
  }
  if (!Submit([this, s, live_only]() mutable { CatchUp(std::move(s), live_only); })) {
    s->End(ShuttingDown());
  }
}

void FanoutHub::CatchUp(std::shared_ptr<Subscription> s, bool live_only) {
  const std::vector<std::string> recipients = s->recipients();
  // Registered for live delivery before the replay reads: whatever is written after this is
  // fetched by the reader and queued (deduplicated by cursor); whatever was written before, the
  // replay reads.
  for (const std::string& r : recipients) {
    bool known;
    {
      absl::MutexLock lock(&mu_);
      known = watched_.contains(r);
    }
    std::string newest;
    if (!known) {
      // The reader fetches this recipient after its newest entry now: anything older is the
      // replay's.
      absl::StatusOr<std::string> last = source_->LastCursor(r);
      if (!last.ok()) {
        s->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "notification stream interrupted; reconnect"));
        return;
      }
      newest = *last;
    }
    absl::MutexLock lock(&mu_);
    if (!all_.contains(s.get())) return;  // already removed
    auto [it, inserted] = watched_.try_emplace(r);
    if (inserted) it->second.fetched = newest;
    it->second.streams[s.get()] = s;
  }
  if (live_only) {
    for (const std::string& r : recipients) {
      absl::StatusOr<std::string> last = source_->LastCursor(r);
      if (!last.ok()) {
        s->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "notification stream interrupted; reconnect"));
        return;
      }
      s->StartAfter(r, *last);
    }
    // Nothing to replay, unless live notifications overflowed meanwhile.
    ReplayFrom(std::move(s), recipients.size());
    return;
  }
  ReplayFrom(std::move(s), 0);
}

void FanoutHub::ReplayFrom(std::shared_ptr<Subscription> s, size_t index) {
  const std::vector<std::string> recipients = s->recipients();
  while (true) {
    if (index == recipients.size()) {
      if (s->CaughtUp()) return;
      index = 0;  // live notifications were let go meanwhile: read on from the cursors
    }
    if (s->ended()) return;
    const std::string& r = recipients[index];
    absl::StatusOr<std::vector<v1::Notification>> page =
        source_->ReadAfter(r, s->cursor(r), options_.page);
    if (!page.ok()) {
      log::Warn("subscribe replay failed", {{"error", std::string(page.status().message())}});
      s->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "notification stream interrupted; reconnect"));
      return;
    }
    const bool last_page = static_cast<int>(page->size()) < options_.page;
    std::vector<Subscription::Message> messages;
    messages.reserve(page->size());
    for (v1::Notification& n : *page) {
      n.set_recipient(r);
      messages.push_back(Wrap(std::move(n)));
    }
    const bool room = s->Replay(messages);
    if (last_page) ++index;
    if (!room) {
      // Go on when the writer has drained half the buffer, from where it stands then.
      std::weak_ptr<Subscription> weak = s;
      if (s->Park([this, weak, index] {
            if (auto again = weak.lock()) {
              if (!Submit([this, again, index] { ReplayFrom(again, index); })) {
                again->End(ShuttingDown());
              }
            }
          })) {
        return;
      }
    }
  }
}

void FanoutHub::Remove(Subscription* s) {
  std::shared_ptr<Subscription> keep;  // destroyed after the lock is released
  absl::MutexLock lock(&mu_);
  auto it = all_.find(s);
  if (it == all_.end()) return;
  keep = std::move(it->second);
  all_.erase(it);
  for (const std::string& r : keep->recipients()) {
    auto w = watched_.find(r);
    if (w == watched_.end()) continue;
    w->second.streams.erase(s);
    if (w->second.streams.empty()) watched_.erase(w);
  }
}

void FanoutHub::EndAll(const grpc::Status& status) {
  std::vector<std::shared_ptr<Subscription>> streams;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [p, s] : all_) streams.push_back(s);
  }
  for (const auto& s : streams) s->End(status);
}

int FanoutHub::streams() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(all_.size());
}

int FanoutHub::watched_recipients() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(watched_.size());
}

bool FanoutHub::reading() const {
  absl::MutexLock lock(&mu_);
  return reading_;
}

void FanoutHub::ReadLoop() {
  std::string after;
  bool resync = false;
  absl::Duration backoff = absl::Milliseconds(50);
  while (!stop_.stopped()) {
    if (after.empty()) {
      absl::StatusOr<std::string> last = source_->LastFeedId();
      if (!last.ok()) {
        log::Warn("notify feed unavailable", {{"error", std::string(last.status().message())}});
        if (stop_.WaitFor(backoff)) return;
        backoff = std::min(backoff * 2, absl::Seconds(2));
        continue;
      }
      after = *last;
      absl::MutexLock lock(&mu_);
      reading_ = true;
    }
    absl::StatusOr<std::vector<FeedEntry>> entries = source_->WaitFeed(after, options_.feed_wait);
    if (!entries.ok()) {
      log::Warn("notify feed read failed", {{"error", std::string(entries.status().message())}});
      resync = true;  // pointers may have been missed: fetch every watched recipient after
      if (stop_.WaitFor(backoff)) return;
      backoff = std::min(backoff * 2, absl::Seconds(2));
      continue;
    }
    backoff = absl::Milliseconds(50);
    if (!entries->empty()) after = entries->back().id;
    std::vector<std::string> touched;
    {
      absl::MutexLock lock(&mu_);
      if (resync) {
        for (const auto& [r, w] : watched_) touched.push_back(r);
      } else {
        absl::flat_hash_set<std::string> seen;
        for (const FeedEntry& e : *entries) {
          for (const std::string& r : e.recipients) {
            if (watched_.contains(r) && seen.insert(r).second) touched.push_back(r);
          }
        }
      }
    }
    resync = false;
    Fetch(touched);
  }
}

void FanoutHub::Fetch(const std::vector<std::string>& recipients) {
  for (const std::string& r : recipients) {
    while (true) {
      std::string from;
      {
        absl::MutexLock lock(&mu_);
        auto it = watched_.find(r);
        if (it == watched_.end()) break;
        from = it->second.fetched;
      }
      absl::StatusOr<std::vector<v1::Notification>> got =
          source_->ReadAfter(r, from, options_.page);
      if (!got.ok()) {
        // The next feed entry for this recipient fetches it again from the same place.
        log::Warn("notify fan-out read failed", {{"error", std::string(got.status().message())}});
        break;
      }
      if (got->empty()) break;
      std::vector<Subscription::Message> messages;
      messages.reserve(got->size());
      for (v1::Notification& n : *got) {
        n.set_recipient(r);
        messages.push_back(Wrap(std::move(n)));
      }
      const std::string newest = messages.back()->notification().cursor();
      std::vector<std::shared_ptr<Subscription>> streams;
      {
        absl::MutexLock lock(&mu_);
        auto it = watched_.find(r);
        if (it == watched_.end()) break;
        if (CursorBefore(it->second.fetched, newest)) it->second.fetched = newest;
        streams.reserve(it->second.streams.size());
        for (const auto& [p, s] : it->second.streams) streams.push_back(s);
      }
      for (const auto& s : streams) s->Deliver(messages);
      if (static_cast<int>(messages.size()) < options_.page) break;
    }
  }
}

void FanoutHub::TickLoop() {
  // The streams are spread over `shards` by a hash; each tick visits one shard, so a shard is
  // visited once per heartbeat interval and streams opened together (a reconnect wave) do not
  // all get their heartbeats in the same instant. A stream is due when idle for the interval
  // less one tick (the visit comes up to a tick early or late).
  const absl::Duration tick =
      std::clamp(options_.heartbeat / 20, absl::Milliseconds(5), absl::Milliseconds(250));
  const uint64_t shards = std::max<uint64_t>(1, static_cast<uint64_t>(options_.heartbeat / tick));
  const absl::Duration due = std::max(options_.heartbeat - tick, absl::Milliseconds(1));
  for (uint64_t round = 0; !stop_.WaitFor(tick); ++round) {
    const uint64_t shard = round % shards;
    std::vector<std::shared_ptr<Subscription>> streams;
    {
      absl::MutexLock lock(&mu_);
      for (const auto& [p, s] : all_) {
        if (absl::HashOf(p) % shards == shard) streams.push_back(s);
      }
    }
    for (const auto& s : streams) s->Heartbeat(due);
  }
}

}  // namespace firegrid::notify
