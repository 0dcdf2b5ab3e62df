#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace firegrid::gateway {

// A fixed set of threads running queued tasks, with a bounded queue: TrySubmit refuses work
// (the caller answers 503) instead of letting a flood queue without end. Thread-safe.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t queue_capacity);
  // Runs what is queued, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False (and `task` is dropped) when the queue holds queue_capacity tasks or the pool stops.
  bool TrySubmit(std::function<void()> task);
  size_t queue_depth() const;
  int busy() const;

 private:
  void Run();

  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int busy_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> threads_;
};

}  // namespace firegrid::gateway
