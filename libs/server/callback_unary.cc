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
class ReadThreads {
 public:
  explicit ReadThreads(int n) {
    for (int i = 0; i < n; ++i) {
      std::thread([this] {
        // Else it inherits the name of the thread that first used it (a gRPC thread).
        pthread_setname_np(pthread_self(), "fg-read");
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

void RunOnReadThread(std::function<void()> work) {
  static ReadThreads* threads = new ReadThreads(kReadThreads);  // for the process's life
  threads->Run(std::move(work));
}

}  // namespace internal

}  // namespace firegrid::server
