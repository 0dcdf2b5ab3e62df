// Redis with Sentinel, on real processes: a master, its replica and one sentinel on loopback.
// The pool finds the master through the sentinel, follows a failover after the master is
// killed, and with wait_replicas a script's write is acknowledged by a replica before the call
// returns (refused when fewer replicas answer).
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/pool.h"
#include "libs/redis/script.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace firegrid::redis {
namespace {

using ::testing::HasSubstr;

constexpr char kMaster[] = "fg-test";

bool Eventually(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return done();
}

PoolOptions At(const testing::RedisServer& server) {
  PoolOptions o;
  EXPECT_TRUE(ParseAddress(server.address(), &o).ok());
  return o;
}

std::string Role(const testing::RedisServer& server) {
  auto r = Pool::Create(At(server))->Command({"ROLE"});
  return r.ok() && !r->elements.empty() ? r->elements[0].str : "";
}

class SentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(master_.Start().ok());
    replica_ = std::make_unique<testing::RedisServer>(testing::RedisServerOptions{
        .appendfsync = "everysec",
        .extra_args = {"--replicaof", "127.0.0.1", absl::StrCat(master_.port())}});
    ASSERT_TRUE(replica_->Start().ok());
    ASSERT_TRUE(Eventually([&] {
      auto info = Pool::Create(At(*replica_))->Command({"INFO", "replication"});
      return info.ok() && absl::StrContains(info->str, "master_link_status:up");
    }));
    const std::string conf = dir_.path() + "/sentinel.conf";
    std::ofstream(conf) << "sentinel monitor " << kMaster << " 127.0.0.1 " << master_.port()
                        << " 1\n"
                        << "sentinel down-after-milliseconds " << kMaster << " 300\n"
                        << "sentinel failover-timeout " << kMaster << " 3000\n";
    sentinel_ = std::make_unique<testing::RedisServer>(
        testing::RedisServerOptions{.extra_args = {"--sentinel"}, .config_file = conf});
    ASSERT_TRUE(sentinel_->Start().ok());
  }

  PoolOptions ViaSentinel() const {
    PoolOptions o;
    o.sentinels = {"127.0.0.1:1", sentinel_->address()};  // the first one is down: skipped
    o.master_name = kMaster;
    o.initial_backoff = absl::Milliseconds(20);
    o.max_backoff = absl::Milliseconds(200);
    return o;
  }

  testing::TempDir dir_{"firegrid-sentinel"};
  testing::RedisServer master_;
  std::unique_ptr<testing::RedisServer> replica_;
  std::unique_ptr<testing::RedisServer> sentinel_;
};

TEST_F(SentinelTest, ThePoolFindsTheMasterAndFollowsAFailover) {
  auto pool = Pool::Create(ViaSentinel());
  ASSERT_TRUE(pool->Command({"SET", "before", "1"}).ok());
  auto on_master = Pool::Create(At(master_))->Command({"GET", "before"});
  ASSERT_TRUE(on_master.ok());
  EXPECT_EQ(on_master->str, "1");
  ASSERT_TRUE(Eventually([&] {
    auto r = Pool::Create(At(*replica_))->Command({"GET", "before"});
    return r.ok() && r->str == "1";
  }));

  ASSERT_TRUE(master_.Kill().ok());
  // Writes fail until the sentinel has promoted the replica, then go to it.
  ASSERT_TRUE(Eventually([&] {
    return pool->Command({"SET", "after", "2"}).ok();
  })) << "no write succeeded after the failover";
  EXPECT_EQ(Role(*replica_), "master");
  auto after = Pool::Create(At(*replica_))->Command({"MGET", "before", "after"});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->elements[0].str, "1");
  EXPECT_EQ(after->elements[1].str, "2");
}

TEST_F(SentinelTest, WithWaitReplicasAScriptReturnsOnceAReplicaHasItsWrite) {
  const Script set("redis.call('SET', KEYS[1], ARGV[1]) return 1");
  PoolOptions o = ViaSentinel();
  o.wait_replicas = 1;
  auto pool = Pool::Create(o);
  ASSERT_TRUE(set.Run(*pool, {"acked"}, {"yes"}).ok());
  // WAIT returned: the replica has the write at that moment, without waiting for it here.
  auto r = Pool::Create(At(*replica_))->Command({"GET", "acked"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->str, "yes");

  o.wait_replicas = 2;  // there is one replica
  o.wait_timeout = absl::Milliseconds(200);
  auto refused = set.Run(*Pool::Create(o), {"unacked"}, {"no"});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("reached 1 of 2 replicas"));
}

TEST_F(SentinelTest, WithWaitReplicasAnAtomicWriteReturnsOnceAReplicaHasItsWrite) {
  PoolOptions o = ViaSentinel();
  o.wait_replicas = 1;
  AtomicWrite w;
  w.preconditions = {{.kind = AtomicWrite::Precondition::Kind::kAbsent, .key = "atomic-acked"}};
  w.commands = {{"SET", "atomic-acked", "yes"}};
  ASSERT_TRUE(Execute(*Pool::Create(o), w).ok());
  auto r = Pool::Create(At(*replica_))->Command({"GET", "atomic-acked"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->str, "yes");

  o.wait_replicas = 2;  // there is one replica
  o.wait_timeout = absl::Milliseconds(200);
  w.preconditions[0].key = "atomic-unacked";
  w.commands = {{"SET", "atomic-unacked", "no"}};
  absl::Status refused = Execute(*Pool::Create(o), w);
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("reached 1 of 2 replicas"));
}

TEST_F(SentinelTest, AConnectionThatFindsAReplicaIsDroppedNotReused) {
  // Pointed at the replica directly (as a pool is after a master comes back demoted): writes
  // are refused UNAVAILABLE, and the connection is closed instead of going back to the pool.
  auto pool = Pool::Create(At(*replica_));
  auto refused = pool->Command({"SET", "x", "1"});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("READONLY"));
  auto clients = Pool::Create(At(*replica_))->Command({"CLIENT", "LIST"});
  ASSERT_TRUE(clients.ok());
  EXPECT_THAT(clients->str, ::testing::Not(HasSubstr("cmd=set")));
}

}  // namespace
}  // namespace firegrid::redis
