#pragma once

// The fault harness: a private stack (redis-server with AOF, the dev broker, service binaries
// started as the e2e tests start them), faults on it (SIGKILL and restart of a service), a load
// generator that records which writes were acknowledged, and readers of what was really stored:
// the services' Redis keys and the events on Kafka read from the beginning — not only what the
// paged APIs show.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "firegrid/events/v1/envelope.pb.h"
#include "grpcpp/grpcpp.h"
#include "libs/redis/pool.h"
#include "tests/e2e/e2e_support.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace firegrid::faults {

// The flags of the shipped configuration (config/) that service `name` needs to start
// ("buildings", "hazards", "credit", "notify", "monitoring"); none for others.
std::vector<std::string> ConfigFlags(const std::string& name);

struct StackOptions {
  // The AOF fsync policy of the stack's redis-server ("always" or "everysec").
  std::string appendfsync = "always";
  // Flags added to a service's own (by service name), e.g. {"hazards", {"--drain-grace=1s"}}.
  std::map<std::string, std::vector<std::string>> extra_flags;
};

// The path of service `name`'s binary (the build's firegrid-<name>).
std::string ServiceBinary(const std::string& name);

// A private stack on free loopback ports in a temporary directory. Start it from the test's
// main thread (the children die with the thread that started them). The destructor stops it.
class Stack {
 public:
  explicit Stack(const std::string& name, StackOptions options = {});
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // Starts redis-server and the dev broker, then the services (by name: "buildings", ...) in
  // order, each until SERVING.
  // `flags`, when given, adds flags to a service's own when it starts (e.g. the addresses of the
  // services started before it).
  absl::Status Start(
      const std::vector<std::string>& services,
      const std::function<std::vector<std::string>(const std::string& name)>& flags = nullptr);

  testing::ServiceProcess& service(const std::string& name);
  // A channel to service `name` (it reconnects to the same port after a restart).
  std::shared_ptr<grpc::Channel> Channel(const std::string& name);

  // SIGKILL of service `name`, then started again on the same gRPC port. Returns the recovery
  // time: from the SIGKILL until the restarted service reports SERVING.
  absl::StatusOr<absl::Duration> KillAndRestart(const std::string& name);

  testing::RedisServer& redis() { return *redis_; }
  testing::DevBroker& broker() { return broker_; }
  const testing::DevTokens& tokens() const { return tokens_; }
  const std::string& dir() const { return dir_.path(); }
  // A connection pool of the test's own on the stack's Redis, to read the stores directly.
  redis::Pool& store();

 private:
  StackOptions options_;
  testing::TempDir dir_;
  std::unique_ptr<testing::RedisServer> redis_;
  testing::DevBroker broker_;
  testing::DevTokens tokens_;
  std::string key_file_;
  std::vector<std::pair<std::string, std::unique_ptr<testing::ServiceProcess>>> services_;
  std::unique_ptr<redis::Pool> store_;
};

// One attempt of a write: the call's status and, when it succeeded, the id of what it wrote.
struct Attempt {
  grpc::Status status;
  std::string id;
};

// N client threads writing as fast as the stack answers. Each write has a unique key
// ("<thread>-<n>", also its idempotency/request id where the API has one); a write that fails
// UNAVAILABLE or DEADLINE_EXCEEDED (a service or store down) or ABORTED (a concurrent write won;
// "retry") is retried with the same key, with
// a short backoff, until it succeeds, fails otherwise, or has been retried for `give_up`. A write
// is acknowledged when a call of it returned OK. With `max_rate` > 0 the threads together start
// at most that many writes a second.
class Load {
 public:
  using Write = std::function<Attempt(const std::string& key)>;
  Load(int threads, Write write, absl::Duration give_up = absl::Seconds(60), double max_rate = 0);
  ~Load();  // Stop()

  void Start();
  // Lets every thread finish the write it is on (retries included), then joins them.
  void Stop();
  // Waits until `more` writes more than now have been acknowledged.
  bool WaitAcknowledged(int64_t more, absl::Duration timeout = absl::Seconds(120));

  int64_t writes() const { return writes_.load(); }
  int64_t acknowledged() const { return acknowledged_.load(); }
  // Key → id of every acknowledged write.
  std::map<std::string, std::string> Acknowledged() const;
  // Writes given up on, by "<code>: <message>" (for the failure message of a test).
  std::map<std::string, int> Failures() const;
  // The failed attempts of each retried write, key → "<time> <code>: <message>" in order (for
  // the failure message of a test: what the client saw of a write applied twice).
  std::map<std::string, std::vector<std::string>> Retried() const;

 private:
  void Run(int thread);

  int threads_;
  Write write_;
  absl::Duration give_up_;
  double max_rate_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> writes_{0};
  std::atomic<int64_t> acknowledged_{0};
  std::vector<std::thread> running_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> acked_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> failures_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> retried_ ABSL_GUARDED_BY(mu_);
};

// A client of notify's Subscribe that, as the console does, subscribes again when the stream
// breaks (notify restarted), from the cursors of what it has seen; keeps each notification once
// by (recipient, cursor) and counts the repeats it dropped.
class ResumingSubscriber {
 public:
  ResumingSubscriber(std::shared_ptr<grpc::Channel> channel, std::string token);
  ~ResumingSubscriber();  // cancels the stream and joins
  ResumingSubscriber(const ResumingSubscriber&) = delete;
  ResumingSubscriber& operator=(const ResumingSubscriber&) = delete;

  // Every notification seen, each (recipient, cursor) once, in arrival order.
  std::vector<notify::v1::Notification> Seen() const;
  int64_t repeats() const;       // notifications dropped as already seen
  int64_t resubscribed() const;  // streams opened after the first

 private:
  void Run();

  std::unique_ptr<notify::v1::NotifyService::Stub> stub_;
  std::string token_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* current_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::map<std::string, std::string> cursors_ ABSL_GUARDED_BY(mu_);  // recipient → last seen
  std::set<std::string> keys_ ABSL_GUARDED_BY(mu_);                  // "<recipient> <cursor>"
  std::vector<notify::v1::Notification> seen_ ABSL_GUARDED_BY(mu_);
  int64_t repeats_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t resubscribed_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

// Every key of the store matching `pattern` (SCAN MATCH), e.g. "fg:buildings:b:*".
absl::StatusOr<std::vector<std::string>> ScanKeys(redis::Pool& pool, const std::string& pattern);

// The field `field` of every hash matching `pattern` (keys without it are skipped).
absl::StatusOr<std::vector<std::string>> HashFields(redis::Pool& pool, const std::string& pattern,
                                                    const std::string& field);

// Every event on `topic`, read from the beginning by a reader with no consumer group, decoded;
// waits up to `timeout` for all the broker holds. An undecodable message is a test failure, and
// so is a topic the broker's retention has removed events from (the check would count them
// lost).
std::vector<events::v1::Envelope> ReadEvents(const std::string& bootstrap, const std::string& topic,
                                             absl::Duration timeout = absl::Seconds(60));

// Lost and duplicated against the writes that must be there.
struct Verdict {
  int64_t lost = 0;
  int64_t duplicated = 0;
  std::vector<std::string> examples;  // a few of each, for the failure message
};

// The lines of the log file at `path` that mention any of `needles`, the first `max` of them
// (for failure messages: what a service logged of a write applied twice).
std::vector<std::string> LogLinesMentioning(const std::string& path,
                                            const std::vector<std::string>& needles,
                                            size_t max = 20);

// `applied`: how many times each thing was applied (stored, or sent as distinct events).
// Lost: a member of `must` applied 0 times; duplicated: anything applied more than once.
Verdict Compare(const std::set<std::string>& must, const std::map<std::string, int>& applied,
                const std::string& what);

// The value of the (unlabelled) gauge or counter `name` on a service's /metrics; error when absent.
absl::StatusOr<double> MetricValue(const testing::ServiceProcess& service, const std::string& name);

}  // namespace firegrid::faults
