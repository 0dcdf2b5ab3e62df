#include "libs/server/callback_unary.h"

#include <pthread.h>

#include <deque>
#include <thread>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace firegrid::server {

trace::Context TraceContextOf(const grpc::ServerContextBase& ctx) {
  const auto& md = ctx.client_metadata();
  auto value = [&md](absl::string_view key) -> absl::string_view {
    auto it = md.find(grpc::string_ref(key.data(), key.size()));
    return it == md.end() ? absl::string_view()
                          : absl::string_view(it->second.data(), it->second.size());
  };
  return trace::ContinueOrStart(value(trace::kTraceparentHeader), value(trace::kTracestateHeader));
}

namespace internal {
namespace {

// A fixed pool of threads taking work from one queue.
class Pool {
 public:
  Pool(int n, const char* name) {
    for (int i = 0; i < n; ++i) {
      std::thread([this, name] {
        // Else it inherits the name of the thread that first used it (a gRPC thread).
        pthread_setname_np(pthread_self(), name);
        while (true) {
          std::function<void()> work;
          {
            absl::MutexLock lock(&mu_);
            mu_.Await(absl::Condition(
                +[](std::deque<std::function<void()>>* q) { return !q->empty(); }, &queue_));
            work = std::move(queue_.front());
            queue_.pop_front();
          }
          work();
        }
      }).detach();
    }
  }
  void Run(std::function<void()> work) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(work));
  }

 private:
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

void RunOn(Threads threads, std::function<void()> work) {
  // Each pool started on its first call and kept for the process's life (never destroyed: a
  // call may still be finishing on one of its threads while the process exits).
  if (threads == Threads::kRead) {
    static Pool* read = new Pool(kReadThreads, "fg-read");
    read->Run(std::move(work));
  } else {
    static Pool* write = new Pool(kWriteThreads, "fg-write");
    write->Run(std::move(work));
  }
}

}  // namespace internal

}  // namespace firegrid::server
