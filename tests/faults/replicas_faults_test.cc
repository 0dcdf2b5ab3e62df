// Fault experiment: two replicas of hazards and two of notify, rolling SIGTERM restarts under
// load. Two writers report hazards (ReportHazard, each with its own idempotency key, retried with
// it on UNAVAILABLE only) through one health-checking round-robin channel over the hazards
// replicas (libs/server/client_channel.h); the reporting community worker keeps a Subscribe stream
// through such a channel over the notify replicas and, whenever it ends, subscribes again with
// the cursors it last saw. Each replica in turn gets SIGTERM (--drain-grace=1s) and is started
// again on its port: hazards-a, hazards-b, notify-a, notify-b, per cycle. Every acknowledged
// report notifies the reporter once (a new hazard: the community's task; a duplicate of an open
// one: "report linked" to the reporter), so after de-duplicating repeats of one cursor:
//   failed     calls that ended with anything but OK or UNAVAILABLE (must be 0; UNAVAILABLE is
//              retried and counted apart);
//   lost       acknowledged reports whose notification never arrived on the stream (must be 0);
//   duplicated notifications of one event pushed under two cursors (must be 0);
//   push gap   longest wait from an acknowledgement to its push, overall and for the reports
//              acknowledged while a notify replica was restarting.
// Deadline timers firing exactly once across two replicas is tests/e2e/hazards_replicas_e2e_test.
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/auth/grpc_auth.h"
#include "libs/server/client_channel.h"
#include "tests/e2e/e2e_support.h"
#include "tests/faults/report.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace hv1 = ::firegrid::hazards::v1;
namespace nv1 = ::firegrid::notify::v1;

constexpr int kWriters = 2;
constexpr int kBuildings = 4;

// A Subscribe stream that comes back after it ends: it subscribes again through `channel` with
// the last cursor it saw per recipient, and keeps every notification pushed with its arrival.
class ResumingSubscriber {
 public:
  struct Pushed {
    nv1::Notification notification;
    absl::Time at;
  };

  ResumingSubscriber(std::shared_ptr<grpc::Channel> channel, std::string token)
      : stub_(nv1::NotifyService::NewStub(std::move(channel))), token_(std::move(token)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~ResumingSubscriber() {
    stop_ = true;
    {
      absl::MutexLock lock(&mu_);
      if (ctx_ != nullptr) ctx_->TryCancel();
    }
    thread_.join();
  }

  std::vector<Pushed> pushed() const {
    absl::MutexLock lock(&mu_);
    return pushed_;
  }
  int streams() const {
    absl::MutexLock lock(&mu_);
    return streams_;
  }
  bool caught_up() const {
    absl::MutexLock lock(&mu_);
    return caught_up_;
  }

 private:
  void Run() {
    while (!stop_) {
      nv1::SubscribeRequest req;
      auto ctx = std::make_unique<grpc::ClientContext>();
      auth::AttachToken(ctx.get(), token_);
      ctx->set_wait_for_ready(true);  // while no replica is ready, wait for one
      {
        absl::MutexLock lock(&mu_);
        if (stop_) break;
        for (const auto& [recipient, cursor] : cursors_)
          (*req.mutable_cursors())[recipient] = cursor;
        ctx_ = ctx.get();
        ++streams_;
      }
      auto reader = stub_->Subscribe(ctx.get(), req);
      nv1::SubscribeResponse resp;
      while (reader->Read(&resp)) {
        absl::MutexLock lock(&mu_);
        if (resp.caught_up()) caught_up_ = true;
        if (!resp.has_notification()) continue;
        pushed_.push_back({resp.notification(), absl::Now()});
        cursors_[resp.notification().recipient()] = resp.notification().cursor();
      }
      (void)reader->Finish();
      absl::MutexLock lock(&mu_);
      ctx_ = nullptr;
      // The next stream starts at once (wait_for_ready: it waits for a ready replica).
    }
  }

  std::unique_ptr<nv1::NotifyService::Stub> stub_;
  std::string token_;
  std::atomic<bool> stop_{false};
  mutable absl::Mutex mu_;
  grpc::ClientContext* ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::map<std::string, std::string> cursors_ ABSL_GUARDED_BY(mu_);
  std::vector<Pushed> pushed_ ABSL_GUARDED_BY(mu_);
  int streams_ ABSL_GUARDED_BY(mu_) = 0;
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

class ReplicasFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    const std::string key_file = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    auto service = [&](const char* bin, const std::string& name, std::vector<std::string> flags) {
      return testing::PollingService(bin, name, std::move(flags), redis_.address(),
                                     broker_.bootstrap(), key_file, dir_.path());
    };
    buildings_ = service(FIREGRID_BUILDINGS_BIN, "buildings",
                         {"--rules-file=" + cfg + "/buildings_rules.textproto"});
    ASSERT_TRUE(buildings_->Start().ok());
    for (const char* name : {"hazards-a", "hazards-b"}) {
      replicas_.push_back(
          service(FIREGRID_HAZARDS_BIN, name,
                  {"--rules-file=" + cfg + "/hazards_rules.textproto",
                   "--guidance-file=" + cfg + "/hazards_guidance.textproto", "--drain-grace=1s"}));
    }
    for (const char* name : {"notify-a", "notify-b"}) {
      replicas_.push_back(
          service(FIREGRID_NOTIFY_BIN, name,
                  {"--plan-file=" + cfg + "/plan_tasks.textproto", "--drain-grace=1s"}));
    }
    for (auto& r : replicas_) {
      absl::Status s = r->Start();
      ASSERT_TRUE(s.ok()) << s;
    }
  }

  void TearDown() override {
    for (auto& r : replicas_) {
      if (r->running()) (void)r->Stop();
    }
    if (buildings_ != nullptr && buildings_->running()) (void)buildings_->Stop();
  }

  std::string Addresses(int first) const {
    return absl::StrCat("ipv4:", replicas_[first]->grpc_address(), ",",
                        replicas_[first + 1]->grpc_address());
  }

  testing::TempDir dir_{"firegrid-replicas-faults"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::unique_ptr<testing::ServiceProcess> buildings_;
  // hazards-a, hazards-b, notify-a, notify-b
  std::vector<std::unique_ptr<testing::ServiceProcess>> replicas_;
  testing::DevTokens tokens_;
};

TEST_F(ReplicasFaults, RollingSigtermOfHazardsAndNotifyFailsNoCallLosesOrRepeatsNoPush) {
  const int cycles = faults::Cycles(1);
  const std::string admin = tokens_.Make(auth::Role::kDistrictAdmin, "500109", "admin");
  const std::string worker = tokens_.Make(auth::Role::kCommunityWorker, "500109001002", "grid-1");
  auto bstub = buildings::v1::BuildingService::NewStub(
      grpc::CreateChannel(buildings_->grpc_address(), grpc::InsecureChannelCredentials()));
  std::vector<std::string> buildings;
  for (int b = 0; b < kBuildings; ++b) {
    buildings.push_back(testing::RegisterCommunityBuilding(*bstub, admin).building_id());
  }
  auto hazards = hv1::HazardService::NewStub(server::NewClientChannel(Addresses(0), {}));
  // Both hazards replicas know every building before the load starts.
  for (int r = 0; r < 2; ++r) {
    auto direct = hv1::HazardService::NewStub(
        grpc::CreateChannel(replicas_[r]->grpc_address(), grpc::InsecureChannelCredentials()));
    for (const std::string& b : buildings) {
      ASSERT_TRUE(testing::WaitUntil(
          [&] {
            hv1::ReportHazardRequest probe;
            probe.set_building_id(b);
            probe.set_category(hv1::HAZARD_CATEGORY_EVACUATION_BLOCKED);
            probe.set_severity(hv1::SEVERITY_GENERAL);
            probe.set_source(hv1::SOURCE_GRID_INSPECTION);
            probe.set_description("疏散通道堵塞");
            probe.set_idempotency_key(absl::StrCat("probe-", b));  // one hazard per building
            hv1::ReportHazardResponse resp;
            return direct->ReportHazard(testing::CallContext(worker).get(), probe, &resp).ok();
          },
          absl::Seconds(60)));
    }
  }
  ResumingSubscriber subscriber(server::NewClientChannel(Addresses(2), {}), worker);
  ASSERT_TRUE(testing::WaitUntil([&] { return subscriber.caught_up(); }, absl::Seconds(60)));

  struct Ack {
    std::string hazard_id;
    absl::Time at;
    bool during_notify_restart;
  };
  std::atomic<bool> stop{false}, notify_restarting{false};
  std::atomic<int64_t> writes{0}, unavailable{0};
  absl::Mutex mu;
  std::vector<Ack> acks;
  std::string last_unavailable;
  std::map<std::string, int> failed;  // "<code>: <message>" → count
  std::vector<std::thread> load;
  struct Joiner {
    std::atomic<bool>* stop;
    std::vector<std::thread>* threads;
    ~Joiner() {
      *stop = true;
      for (auto& t : *threads) {
        if (t.joinable()) t.join();
      }
    }
  } joiner{&stop, &load};
  for (int w = 0; w < kWriters; ++w) {
    load.emplace_back([&, w] {
      for (int i = 0; !stop.load(); ++i) {
        absl::SleepFor(absl::Milliseconds(25));  // load pacing (~40 reports/s per writer at most)
        hv1::ReportHazardRequest req;
        req.set_building_id(buildings[(w + i) % kBuildings]);
        req.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
        req.set_severity(hv1::SEVERITY_GENERAL);
        req.set_source(hv1::SOURCE_GRID_INSPECTION);
        req.set_description("消防车道被占用");
        req.set_idempotency_key(absl::StrCat("w", w, "-", i));
        writes.fetch_add(1);
        for (;;) {
          hv1::ReportHazardResponse resp;
          grpc::Status s = hazards->ReportHazard(testing::CallContext(worker).get(), req, &resp);
          if (s.ok()) {
            absl::MutexLock lock(&mu);
            acks.push_back({resp.hazard().hazard_id(), absl::Now(), notify_restarting.load()});
            break;
          }
          if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
            unavailable.fetch_add(1);
            {
              absl::MutexLock lock(&mu);
              last_unavailable = s.error_message();
            }
            absl::SleepFor(absl::Milliseconds(10));  // the client's retry back-off
            continue;
          }
          absl::MutexLock lock(&mu);
          ++failed[absl::StrCat(s.error_code(), ": ", s.error_message())];
          break;
        }
      }
    });
  }
  auto ack_count = [&] {
    absl::MutexLock lock(&mu);
    return static_cast<int64_t>(acks.size());
  };
  auto acks_grow_by = [&](int64_t n) {
    const int64_t target = ack_count() + n;
    return testing::WaitUntil([&] { return ack_count() >= target; }, absl::Seconds(60));
  };
  auto pushes_grow_by = [&](size_t n) {
    const size_t target = subscriber.pushed().size() + n;
    return testing::WaitUntil([&] { return subscriber.pushed().size() >= target; },
                              absl::Seconds(60));
  };

  ASSERT_TRUE(acks_grow_by(50));
  absl::Duration restart_max;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    for (size_t r = 0; r < replicas_.size(); ++r) {
      const bool is_notify = r >= 2;
      if (is_notify) notify_restarting = true;
      const absl::Time stopping = absl::Now();
      auto code = replicas_[r]->Stop();  // SIGTERM: 1 s NOT_SERVING, then the drain
      EXPECT_TRUE(code.ok() && *code == 0)
          << "replica " << r
          << " did not drain cleanly: " << testing::WhyNotClean(code, *replicas_[r]);
      EXPECT_TRUE(acks_grow_by(20)) << "reports stopped while replica " << r << " was down";
      if (is_notify)
        EXPECT_TRUE(pushes_grow_by(20)) << "pushes stopped while replica " << r << " was down";
      absl::Status st = replicas_[r]->Start();  // on the same port
      ASSERT_TRUE(st.ok()) << st;
      restart_max = std::max(restart_max, absl::Now() - stopping);
      // As a rolling update waits for the new pod: the next replica stops only once the load
      // went on and the clients use this one again (a hazards replica has answered reports; its
      // client reconnects with a back-off of about a second).
      ASSERT_TRUE(acks_grow_by(20));
      if (!is_notify) {
        EXPECT_TRUE(testing::WaitUntil(
            [&] {
              return testing::AnsweredOk(*replicas_[r],
                                         "/firegrid.hazards.v1.HazardService/ReportHazard") >= 10;
            },
            absl::Seconds(30)))
            << "the client did not come back to hazards replica " << r;
      }
      if (is_notify) ASSERT_TRUE(pushes_grow_by(20));
      notify_restarting = false;
    }
  }
  stop = true;
  for (auto& t : load) t.join();
  load.clear();

  std::vector<Ack> acked;
  {
    absl::MutexLock lock(&mu);
    acked = acks;
  }
  // Every acknowledged report's notification arrives (or the wait runs out: counted lost).
  auto notified = [&] {
    std::set<std::string> hazards_seen;
    for (const auto& p : subscriber.pushed()) hazards_seen.insert(p.notification.hazard_id());
    return hazards_seen;
  };
  testing::WaitUntil(
      [&] {
        std::set<std::string> seen = notified();
        return std::all_of(acked.begin(), acked.end(),
                           [&](const Ack& a) { return seen.count(a.hazard_id) > 0; });
      },
      absl::Seconds(90));

  // Repeats of one cursor (a replay overlapping a stream) are removed; then one event's
  // notification to one recipient under two cursors is a duplicate.
  std::map<std::string, absl::Time> first_push;  // hazard id → first arrival
  std::map<std::pair<std::string, std::string>, std::set<std::string>> cursors_of;
  std::set<std::string> seen_cursors;
  int64_t repeats = 0;
  for (const auto& p : subscriber.pushed()) {
    const nv1::Notification& n = p.notification;
    if (!seen_cursors.insert(n.recipient() + "/" + n.cursor()).second) {
      ++repeats;
      continue;
    }
    cursors_of[{n.recipient(), n.event_id() + "/" + n.title()}].insert(n.cursor());
    first_push.emplace(n.hazard_id(), p.at);
  }
  int64_t duplicated = 0;
  for (const auto& [key, cursors] : cursors_of) duplicated += cursors.size() - 1;
  int64_t lost = 0;
  absl::Duration gap_max, gap_max_notify_restart;
  for (const Ack& a : acked) {
    auto it = first_push.find(a.hazard_id);
    if (it == first_push.end()) {
      ++lost;
      continue;
    }
    const absl::Duration gap = std::max(absl::ZeroDuration(), it->second - a.at);
    gap_max = std::max(gap_max, gap);
    if (a.during_notify_restart) gap_max_notify_restart = std::max(gap_max_notify_restart, gap);
  }
  int64_t failed_calls = 0;
  std::string failures, unavailable_message;
  {
    absl::MutexLock lock(&mu);
    unavailable_message = last_unavailable;
    for (const auto& [what, n] : failed) {
      failed_calls += n;
      absl::StrAppend(&failures, "\n", n, " × ", what);
    }
  }

  faults::Figures f;
  f.experiment =
      "two replicas of hazards and notify, rolling SIGTERM under ReportHazard load and a "
      "resuming Subscribe stream";
  f.cycles = cycles * static_cast<int>(replicas_.size());
  f.writes = writes.load();
  f.acknowledged = static_cast<int64_t>(acked.size());
  f.lost = lost;
  f.duplicated = duplicated;
  f.recovery_max = restart_max;
  f.extra = {
      {"failed calls (not OK, not UNAVAILABLE)", absl::StrCat(failed_calls)},
      {"UNAVAILABLE retried", absl::StrCat(unavailable.load())},
      {"last UNAVAILABLE", unavailable_message},
      {"Subscribe streams opened", absl::StrCat(subscriber.streams())},
      {"repeats of a cursor removed", absl::StrCat(repeats)},
      {"ack to push (max)", absl::FormatDuration(gap_max)},
      {"ack to push while notify restarts (max)", absl::FormatDuration(gap_max_notify_restart)}};
  faults::Report(f);
  EXPECT_EQ(failed_calls, 0) << failures;
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(duplicated, 0);
  EXPECT_GT(subscriber.streams(), 1) << "the stream never had to move to the other replica";
}

}  // namespace
}  // namespace firegrid
