#include "services/monitoring/pusher.h"

#include <utility>

#include "libs/common/logging.h"

namespace firegrid::monitoring {

Pusher::Pusher(NotifyLink* link, PusherOptions options)
    : link_(link), options_(std::move(options)) {
  if (options_.attempts < 1) options_.attempts = 1;
  if (options_.threads < 1) options_.threads = 1;
}

Pusher::~Pusher() { Stop(); }

void Pusher::Start() {
  std::lock_guard<std::mutex> l(mu_);
  if (started_) return;
  started_ = true;
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Run(); });
}

void Pusher::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  stop_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Pusher::Enqueue(const ::firegrid::events::v1::Envelope& envelope) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (queue_.size() < options_.queue_limit) {
      queue_.push_back(Item{envelope, absl::Now()});
      cv_.notify_one();
      return;
    }
  }
  overflowed_.fetch_add(1);
  log::Warn("push queue full: the event goes to notify through Kafka only",
            {{"event_id", envelope.event_id()}, {"building_id", envelope.building_id()}});
}

void Pusher::Run() {
  for (;;) {
    Item item;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    Push(item);
  }
}

void Pusher::Push(const Item& item) {
  absl::Duration backoff = options_.backoff;
  absl::Status s;
  for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
    s = link_->Push(item.envelope);
    if (s.ok()) break;
    bool stopping;
    {
      std::unique_lock<std::mutex> l(mu_);
      stopping = stopping_;
      if (!stopping && attempt < options_.attempts) {
        stop_cv_.wait_for(l, absl::ToChronoMilliseconds(backoff), [&] { return stopping_; });
      }
    }
    if (stopping) break;
    backoff *= 2;
  }
  absl::Duration latency = absl::Now() - item.enqueued;
  if (s.ok()) {
    pushed_.fetch_add(1);
  } else {
    failed_.fetch_add(1);
    log::Warn("direct push to notify failed: the event goes through Kafka only",
              {{"event_id", item.envelope.event_id()},
               {"building_id", item.envelope.building_id()},
               {"error", s.ToString()}});
  }
  if (options_.on_result) options_.on_result(s.ok(), latency);
}

}  // namespace firegrid::monitoring
