// Hermetic tests of the Subscribe stream caps.
#include "services/notify/stream_slots.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::notify {
namespace {

using ::testing::HasSubstr;

TEST(StreamSlotsTest, PrincipalBeyondItsCapIsRefusedWhileOthersStillGetSlots) {
  StreamSlots slots({.per_principal = 2, .per_replica = 10});
  std::vector<StreamSlots::Slot> held;
  for (int i = 0; i < 2; ++i) {
    auto s = slots.Acquire("cw-1");
    ASSERT_TRUE(s.ok()) << s.status();
    held.push_back(std::move(*s));
  }
  auto refused = slots.Acquire("cw-1");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("per user"));
  EXPECT_TRUE(slots.Acquire("cw-2").ok());  // a temporary, released at once
  EXPECT_EQ(slots.open(), 2);
  EXPECT_EQ(slots.open_for("cw-1"), 2);
  EXPECT_EQ(slots.open_for("cw-2"), 0);
}

TEST(StreamSlotsTest, ReplicaBeyondItsCapIsRefusedForEveryone) {
  StreamSlots slots({.per_principal = 5, .per_replica = 3});
  std::vector<StreamSlots::Slot> held;
  for (const char* p : {"a", "b", "c"}) held.push_back(std::move(*slots.Acquire(p)));
  auto refused = slots.Acquire("d");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("replica"));
}

TEST(StreamSlotsTest, EndedStreamGivesItsSlotBack) {
  StreamSlots slots({.per_principal = 1, .per_replica = 1});
  {
    auto first = slots.Acquire("cw-1");
    ASSERT_TRUE(first.ok());
    EXPECT_FALSE(slots.Acquire("cw-1").ok());
    // Moving a slot does not release it.
    StreamSlots::Slot moved = std::move(*first);
    EXPECT_EQ(slots.open(), 1);
    EXPECT_FALSE(slots.Acquire("cw-2").ok());
  }
  EXPECT_EQ(slots.open(), 0);
  EXPECT_EQ(slots.open_for("cw-1"), 0);
  EXPECT_TRUE(slots.Acquire("cw-1").ok());
}

}  // namespace
}  // namespace firegrid::notify
