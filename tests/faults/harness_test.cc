// The harness's own logic, hermetic: the load generator's retries and bookkeeping against a fake
// write, the comparison that counts lost and duplicated writes, and the log search of failure
// messages.

#include "tests/faults/harness.h"

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::faults {
namespace {

TEST(FaultsCompare, CountsAWriteAppliedNeverAsLostAndTwiceAsOneDuplicate) {
  const std::set<std::string> must = {"a", "b", "c"};
  const std::map<std::string, int> applied = {{"a", 1}, {"b", 2}, {"x", 3}};
  Verdict v = Compare(must, applied, "thing");
  EXPECT_EQ(v.lost, 1);        // c
  EXPECT_EQ(v.duplicated, 3);  // b once more, x twice more
  EXPECT_FALSE(v.examples.empty());
}

TEST(FaultsCompare, FindsNothingWhenEachWriteIsAppliedOnce) {
  Verdict v = Compare({"a", "b"}, {{"a", 1}, {"b", 1}, {"c", 1}}, "thing");
  EXPECT_EQ(v.lost, 0);
  EXPECT_EQ(v.duplicated, 0);
}

TEST(FaultsLoad, RetriesUnavailableWithTheSameKeyAndCountsTheWriteAcknowledgedOnce) {
  absl::Mutex mu;
  std::map<std::string, int> calls;  // key → attempts
  Load load(2, [&](const std::string& key) {
    absl::MutexLock lock(&mu);
    Attempt a;
    // Every write fails twice (a service down), then succeeds.
    if (++calls[key] <= 2) {
      a.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
    } else {
      a.id = "id-" + key;
    }
    return a;
  });
  load.Start();
  ASSERT_TRUE(load.WaitAcknowledged(10, absl::Seconds(30)));
  load.Stop();
  EXPECT_EQ(load.writes(), load.acknowledged());
  EXPECT_TRUE(load.Failures().empty());
  std::map<std::string, std::string> acked = load.Acknowledged();
  EXPECT_EQ(static_cast<int64_t>(acked.size()), load.acknowledged());
  std::map<std::string, std::vector<std::string>> retried = load.Retried();
  absl::MutexLock lock(&mu);
  for (const auto& [key, id] : acked) {
    EXPECT_EQ(id, "id-" + key);
    EXPECT_EQ(calls[key], 3) << key;
    // Both failed attempts recorded, as the client saw them.
    ASSERT_EQ(retried[key].size(), 2u) << key;
    EXPECT_THAT(retried[key][0], ::testing::HasSubstr("14: down")) << key;  // UNAVAILABLE
  }
}

TEST(FaultsLog, FindsTheLinesMentioningAnyNeedleUpToTheLimit) {
  testing::TempDir dir("faults-log");
  const std::string path = dir.Join("svc.stderr");
  std::ofstream(path) << "building registered bld_1\n"
                      << "unrelated\n"
                      << "audit record not appended bld_2\n"
                      << "bld_1 again\n";
  EXPECT_THAT(LogLinesMentioning(path, {"bld_1", "bld_2"}),
              ::testing::ElementsAre("building registered bld_1", "audit record not appended bld_2",
                                     "bld_1 again"));
  EXPECT_THAT(LogLinesMentioning(path, {"bld_1"}, 1),
              ::testing::ElementsAre("building registered bld_1"));
  EXPECT_THAT(LogLinesMentioning(dir.Join("missing"), {"bld_1"}), ::testing::IsEmpty());
}

TEST(FaultsLoad, GivesUpAWriteRefusedForGoodAndRecordsWhy) {
  std::atomic<int> n{0};
  Load load(1, [&](const std::string&) {
    Attempt a;
    if (n.fetch_add(1) % 2 == 0) {
      a.status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad field");
    } else {
      a.id = "ok";
    }
    return a;
  });
  load.Start();
  ASSERT_TRUE(load.WaitAcknowledged(5, absl::Seconds(30)));
  load.Stop();
  EXPECT_LT(load.acknowledged(), load.writes());
  std::map<std::string, int> failures = load.Failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures.begin()->first, "3: bad field");
  EXPECT_EQ(failures.begin()->second, load.writes() - load.acknowledged());
}

TEST(FaultsLoad, StartsNoMoreWritesASecondThanItsRate) {
  Load load(
      2,
      [](const std::string& key) {
        return Attempt{grpc::Status::OK, key};
      },
      absl::Seconds(60), /*max_rate=*/20);
  const absl::Time start = absl::Now();
  load.Start();
  ASSERT_TRUE(load.WaitAcknowledged(10, absl::Seconds(30)));
  const absl::Duration took = absl::Now() - start;
  load.Stop();
  // Each thread writes at once, then one every 100 ms: the 10th acknowledgement needs four more
  // rounds at least (unthrottled it takes microseconds).
  EXPECT_GE(took, absl::Milliseconds(390));
}

namespace nv1 = ::firegrid::notify::v1;

// A notify whose first stream sends two notifications and ends (a restart); every later stream
// replays from the cursor it is given (a repeat of the last one, as a replay may send), then a
// third, and stays open.
class FakeNotify final : public nv1::NotifyService::Service {
 public:
  grpc::Status Subscribe(grpc::ServerContext* ctx, const nv1::SubscribeRequest* req,
                         grpc::ServerWriter<nv1::SubscribeResponse>* out) override {
    int call;
    {
      absl::MutexLock lock(&mu_);
      call = calls_++;
      auto it = req->cursors().find("org:x");
      cursors_.push_back(it == req->cursors().end() ? "" : it->second);
    }
    if (call == 0) {
      out->Write(Push("1-0"));
      out->Write(Push("2-0"));
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "restarting");
    }
    out->Write(Push("2-0"));
    out->Write(Push("3-0"));
    while (!ctx->IsCancelled()) absl::SleepFor(absl::Milliseconds(10));
    return grpc::Status::OK;
  }

  std::vector<std::string> cursors() {
    absl::MutexLock lock(&mu_);
    return cursors_;
  }

 private:
  static nv1::SubscribeResponse Push(const std::string& cursor) {
    nv1::SubscribeResponse r;
    r.mutable_notification()->set_recipient("org:x");
    r.mutable_notification()->set_cursor(cursor);
    return r;
  }

  absl::Mutex mu_;
  int calls_ = 0;
  std::vector<std::string> cursors_;
};

TEST(FaultsResumingSubscriber, ResubscribesFromTheLastCursorAndDropsTheRepeat) {
  FakeNotify notify;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&notify);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  {
    ResumingSubscriber subscriber(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                      grpc::InsecureChannelCredentials()),
                                  "token");
    ASSERT_TRUE(
        testing::WaitUntil([&] { return subscriber.Seen().size() == 3; }, absl::Seconds(30)));
    std::vector<std::string> cursors;
    for (const nv1::Notification& n : subscriber.Seen()) cursors.push_back(n.cursor());
    EXPECT_EQ(cursors, (std::vector<std::string>{"1-0", "2-0", "3-0"}));
    EXPECT_EQ(subscriber.repeats(), 1);
    EXPECT_EQ(subscriber.resubscribed(), 1);
  }  // cancels the open stream
  EXPECT_EQ(notify.cursors(), (std::vector<std::string>{"", "2-0"}));
  server->Shutdown();
}

}  // namespace
}  // namespace firegrid::faults
