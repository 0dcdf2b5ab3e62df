// RedisDeadLetterStateStore against a real redis-server: an action is recorded once, the
// first one wins, and readers see it.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "libs/events/dead_letters.h"
#include "tests/support/shared_redis.h"

namespace firegrid::events {
namespace {

dlv1::DeadLetterEntry Action(dlv1::DeadLetterState state, const std::string& by) {
  dlv1::DeadLetterEntry a;
  a.set_state(state);
  a.set_acted_by(by);
  a.mutable_acted_at()->set_seconds(1796464800);
  if (state == dlv1::DEAD_LETTER_STATE_DROPPED) a.set_drop_reason("test record");
  return a;
}

TEST(RedisDeadLetterStateStoreTest, TheFirstActionIsRecordedAndAnyLaterOneReturnsIt) {
  auto pool = testing::NewSharedRedisPool();
  RedisDeadLetterStateStore store(pool.get(), "dlq-states-first");
  const std::string id = "firegrid.buildings.events.v1.dlq:3";
  auto none = store.Get({id});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  auto first = store.RecordOnce(id, Action(dlv1::DEAD_LETTER_STATE_DROPPED, "u-a"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->first);
  auto second = store.RecordOnce(id, Action(dlv1::DEAD_LETTER_STATE_REPLAYED, "u-b"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->first);
  EXPECT_EQ(second->second.state(), dlv1::DEAD_LETTER_STATE_DROPPED);
  EXPECT_EQ(second->second.acted_by(), "u-a");
  EXPECT_EQ(second->second.drop_reason(), "test record");
  auto read = store.Get({id, "firegrid.buildings.events.v1.dlq:4"});
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ(read->at(id).acted_by(), "u-a");
}

TEST(RedisDeadLetterStateStoreTest, OfConcurrentActionsExactlyOneIsRecorded) {
  auto pool = testing::NewSharedRedisPool();
  RedisDeadLetterStateStore store(pool.get(), "dlq-states-race");
  const std::string id = "firegrid.hazards.events.v1.dlq:0";
  std::atomic<int> recorded{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r =
          store.RecordOnce(id, Action(dlv1::DEAD_LETTER_STATE_REPLAYED, "u-" + std::to_string(i)));
      if (r.ok() && r->first) ++recorded;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(recorded.load(), 1);
}

}  // namespace
}  // namespace firegrid::events
