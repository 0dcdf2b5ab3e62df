#include "tests/faults/harness.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "tests/support/subprocess.h"

namespace firegrid::faults {

std::vector<std::string> ConfigFlags(const std::string& name) {
  const std::string cfg = FIREGRID_CONFIG_DIR;
  if (name == "buildings") return {"--rules-file=" + cfg + "/buildings_rules.textproto"};
  if (name == "hazards") {
    return {"--rules-file=" + cfg + "/hazards_rules.textproto",
            "--guidance-file=" + cfg + "/hazards_guidance.textproto"};
  }
  if (name == "credit") return {"--rules-file=" + cfg + "/credit_rules.textproto"};
  if (name == "notify") return {"--plan-file=" + cfg + "/plan_tasks.textproto"};
  if (name == "monitoring") return {"--rules-file=" + cfg + "/monitoring_rules.textproto"};
  if (name == "gateway") return {"--config-file=" + cfg + "/gateway.textproto"};
  return {};
}

std::string ServiceBinary(const std::string& name) {
  if (name == "buildings") return FIREGRID_BUILDINGS_BIN;
  if (name == "hazards") return FIREGRID_HAZARDS_BIN;
  if (name == "credit") return FIREGRID_CREDIT_BIN;
  if (name == "notify") return FIREGRID_NOTIFY_BIN;
  if (name == "monitoring") return FIREGRID_MONITORING_BIN;
  if (name == "gateway") return FIREGRID_GATEWAY_BIN;
  ADD_FAILURE() << "no binary for service " << name;
  return name;
}

Stack::Stack(const std::string& name, StackOptions options)
    : options_(std::move(options)), dir_("faults-" + name) {
  redis_ = std::make_unique<testing::RedisServer>(
      testing::RedisServerOptions{.appendfsync = options_.appendfsync});
}

Stack::~Stack() {
  // The last started first: a consumer stops before what it consumes from.
  for (auto it = services_.rbegin(); it != services_.rend(); ++it) {
    if (it->second->running()) it->second->Stop().IgnoreError();
  }
}

absl::Status Stack::Start(
    const std::vector<std::string>& services,
    const std::function<std::vector<std::string>(const std::string& name)>& more_flags) {
  if (absl::Status s = redis_->Start(); !s.ok()) return s;
  if (absl::Status s = broker_.Start(); !s.ok()) return s;
  key_file_ = testing::WriteKeyFile(dir_.path());
  for (const std::string& name : services) {
    std::vector<std::string> flags = ConfigFlags(name);
    auto extra = options_.extra_flags.find(name);
    if (extra != options_.extra_flags.end()) {
      flags.insert(flags.end(), extra->second.begin(), extra->second.end());
    }
    if (more_flags) {
      std::vector<std::string> more = more_flags(name);
      flags.insert(flags.end(), more.begin(), more.end());
    }
    auto process =
        testing::PollingService(ServiceBinary(name), name, std::move(flags), redis_->address(),
                                broker_.bootstrap(), key_file_, dir_.path());
    if (absl::Status s = process->Start(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(name, ": ", s.message()));
    }
    services_.emplace_back(name, std::move(process));
  }
  return absl::OkStatus();
}

testing::ServiceProcess& Stack::service(const std::string& name) {
  for (auto& [n, process] : services_) {
    if (n == name) return *process;
  }
  ADD_FAILURE() << "no service " << name << " in the stack";
  std::abort();
}

std::shared_ptr<grpc::Channel> Stack::Channel(const std::string& name) {
  return grpc::CreateChannel(service(name).grpc_address(), grpc::InsecureChannelCredentials());
}

absl::StatusOr<absl::Duration> Stack::KillAndRestart(const std::string& name) {
  testing::ServiceProcess& process = service(name);
  const absl::Time killed = absl::Now();
  if (absl::Status s = process.Kill(); !s.ok()) return s;
  // Start() returns once grpc.health.v1 reports SERVING.
  if (absl::Status s = process.Restart(); !s.ok()) return s;
  return absl::Now() - killed;
}

redis::Pool& Stack::store() {
  if (store_ == nullptr) {
    redis::PoolOptions options;
    options.port = redis_->port();
    options.size = 2;
    options.command_timeout = absl::Seconds(10);
    store_ = redis::Pool::Create(options);
  }
  return *store_;
}

Load::Load(int threads, Write write, absl::Duration give_up, double max_rate)
    : threads_(threads), write_(std::move(write)), give_up_(give_up), max_rate_(max_rate) {}

Load::~Load() { Stop(); }

void Load::Start() {
  stop_ = false;
  for (int t = 0; t < threads_; ++t) running_.emplace_back([this, t] { Run(t); });
}

void Load::Stop() {
  stop_ = true;
  for (auto& t : running_) t.join();
  running_.clear();
}

void Load::Run(int thread) {
  // Each thread's share of the rate: one write per `interval` at most.
  const absl::Duration interval =
      max_rate_ > 0 ? absl::Seconds(threads_ / max_rate_) : absl::ZeroDuration();
  absl::Time next = absl::Now();
  for (int n = 0; !stop_.load(); ++n) {
    if (interval > absl::ZeroDuration()) {
      // Pacing to the configured rate, not a wait for a condition.
      absl::SleepFor(next - absl::Now());
      next = std::max(next + interval, absl::Now() - interval);
    }
    const std::string key = absl::StrCat(thread, "-", n);
    writes_.fetch_add(1);
    const absl::Time first = absl::Now();
    absl::Duration backoff = absl::Milliseconds(20);
    while (true) {
      Attempt a = write_(key);
      if (a.status.ok()) {
        acknowledged_.fetch_add(1);
        absl::MutexLock lock(&mu_);
        acked_[key] = a.id;
        break;
      }
      const grpc::StatusCode code = a.status.error_code();
      {
        absl::MutexLock lock(&mu_);
        retried_[key].push_back(
            absl::StrCat(absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::UTCTimeZone()), " ",
                         code, ": ", a.status.error_message()));
      }
      const bool retryable = code == grpc::StatusCode::UNAVAILABLE ||
                             code == grpc::StatusCode::DEADLINE_EXCEEDED ||
                             code == grpc::StatusCode::ABORTED;
      if (!retryable || absl::Now() - first > give_up_) {
        absl::MutexLock lock(&mu_);
        ++failures_[absl::StrCat(a.status.error_code(), ": ", a.status.error_message())];
        break;
      }
      // A client's retry backoff (the service or its store is down), not a wait for a condition.
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Milliseconds(500));
    }
  }
}

bool Load::WaitAcknowledged(int64_t more, absl::Duration timeout) {
  const int64_t target = acknowledged() + more;
  return testing::WaitUntil([&] { return acknowledged() >= target; }, timeout);
}

std::map<std::string, std::string> Load::Acknowledged() const {
  absl::MutexLock lock(&mu_);
  return acked_;
}

std::map<std::string, std::vector<std::string>> Load::Retried() const {
  absl::MutexLock lock(&mu_);
  return retried_;
}

std::map<std::string, int> Load::Failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

ResumingSubscriber::ResumingSubscriber(std::shared_ptr<grpc::Channel> channel, std::string token)
    : stub_(notify::v1::NotifyService::NewStub(std::move(channel))), token_(std::move(token)) {
  thread_ = std::thread([this] { Run(); });
}

ResumingSubscriber::~ResumingSubscriber() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    if (current_ != nullptr) current_->TryCancel();
  }
  thread_.join();
}

void ResumingSubscriber::Run() {
  for (bool first = true;; first = false) {
    grpc::ClientContext ctx;
    auth::AttachToken(&ctx, token_);
    notify::v1::SubscribeRequest req;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      current_ = &ctx;
      if (!first) ++resubscribed_;
      for (const auto& [recipient, cursor] : cursors_) (*req.mutable_cursors())[recipient] = cursor;
    }
    auto reader = stub_->Subscribe(&ctx, req);
    notify::v1::SubscribeResponse resp;
    while (reader->Read(&resp)) {
      if (!resp.has_notification()) continue;
      const notify::v1::Notification& n = resp.notification();
      absl::MutexLock lock(&mu_);
      if (!keys_.insert(absl::StrCat(n.recipient(), " ", n.cursor())).second) {
        ++repeats_;
        continue;
      }
      cursors_[n.recipient()] = n.cursor();
      seen_.push_back(n);
    }
    reader->Finish().error_code();  // the end of a stream: a restart, or our cancel
    {
      absl::MutexLock lock(&mu_);
      current_ = nullptr;
      if (stop_) return;
    }
    // A client's reconnect backoff (notify is restarting), not a wait for a condition.
    absl::SleepFor(absl::Milliseconds(100));
  }
}

std::vector<notify::v1::Notification> ResumingSubscriber::Seen() const {
  absl::MutexLock lock(&mu_);
  return seen_;
}

int64_t ResumingSubscriber::repeats() const {
  absl::MutexLock lock(&mu_);
  return repeats_;
}

int64_t ResumingSubscriber::resubscribed() const {
  absl::MutexLock lock(&mu_);
  return resubscribed_;
}

absl::StatusOr<std::vector<std::string>> ScanKeys(redis::Pool& pool, const std::string& pattern) {
  std::set<std::string> keys;  // SCAN may return a key more than once
  std::string cursor = "0";
  do {
    absl::StatusOr<redis::Reply> r =
        pool.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (!r.ok()) return r.status();
    if (r->elements.size() != 2) return absl::InternalError("unexpected SCAN reply");
    cursor = r->elements[0].str;
    for (const redis::Reply& k : r->elements[1].elements) keys.insert(k.str);
  } while (cursor != "0");
  return std::vector<std::string>(keys.begin(), keys.end());
}

absl::StatusOr<std::vector<std::string>> HashFields(redis::Pool& pool, const std::string& pattern,
                                                    const std::string& field) {
  absl::StatusOr<std::vector<std::string>> keys = ScanKeys(pool, pattern);
  if (!keys.ok()) return keys.status();
  std::vector<std::string> values;
  for (const std::string& key : *keys) {
    absl::StatusOr<redis::Reply> r = pool.Command({"TYPE", key});
    if (!r.ok()) return r.status();
    if (r->str != "hash") continue;  // e.g. "<prefix>:b:<id>:..." keys of another kind
    r = pool.Command({"HGET", key, field});
    if (!r.ok()) return r.status();
    if (!r->IsNil()) values.push_back(r->str);
  }
  return values;
}

std::vector<events::v1::Envelope> ReadEvents(const std::string& bootstrap, const std::string& topic,
                                             absl::Duration timeout) {
  std::vector<events::v1::Envelope> out;
  // Events the broker's retention removed cannot be told from events never published: a run
  // that outgrew the retention is a failure of its own, not a count of lost events.
  const int64_t removed = testing::RemovedMessages(bootstrap, topic);
  EXPECT_EQ(removed, 0) << "the broker's retention removed " << removed << " events of " << topic
                        << " before the check, which cannot tell them from lost ones: run fewer "
                           "writes (the dev broker keeps about 5 MiB a partition)";
  const int64_t count = testing::CountMessages(bootstrap, topic);
  if (count <= 0) return out;
  for (const events::ReceivedMessage& m :
       testing::ReadTopic(bootstrap, topic, static_cast<size_t>(count), timeout)) {
    events::v1::Envelope e;
    EXPECT_TRUE(e.ParseFromString(m.value))
        << "undecodable message at " << m.topic << "/" << m.partition << "@" << m.offset;
    out.push_back(std::move(e));
  }
  EXPECT_EQ(static_cast<int64_t>(out.size()), count) << "could not read all of " << topic;
  return out;
}

std::vector<std::string> LogLinesMentioning(const std::string& path,
                                            const std::vector<std::string>& needles, size_t max) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (out.size() < max && std::getline(in, line)) {
    for (const std::string& n : needles) {
      if (!n.empty() && absl::StrContains(line, n)) {
        out.push_back(line);
        break;
      }
    }
  }
  return out;
}

Verdict Compare(const std::set<std::string>& must, const std::map<std::string, int>& applied,
                const std::string& what) {
  Verdict v;
  for (const std::string& id : must) {
    auto it = applied.find(id);
    if (it == applied.end() || it->second == 0) {
      ++v.lost;
      if (v.examples.size() < 10) v.examples.push_back(absl::StrCat(what, " lost: ", id));
    }
  }
  for (const auto& [id, n] : applied) {
    if (n > 1) {
      v.duplicated += n - 1;
      if (v.examples.size() < 20) {
        v.examples.push_back(absl::StrCat(what, " applied ", n, " times: ", id));
      }
    }
  }
  return v;
}

absl::StatusOr<double> MetricValue(const testing::ServiceProcess& service,
                                   const std::string& name) {
  absl::StatusOr<std::string> text = testing::HttpGet(service.metrics_port(), "/metrics");
  if (!text.ok()) return text.status();
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (!absl::ConsumePrefix(&line, name) || !absl::ConsumePrefix(&line, " ")) continue;
    double v = 0;
    if (absl::SimpleAtod(line, &v)) return v;
  }
  return absl::NotFoundError(absl::StrCat("no sample of ", name));
}

}  // namespace firegrid::faults
