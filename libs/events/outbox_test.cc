#include "libs/events/outbox.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::events {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(OutboxAppend, WritesTopicKeyAndValueFieldsToTheOutboxStream) {
  redis::AtomicWrite::StreamAppend a =
      OutboxAppend("fg:buildings:outbox", {"firegrid.buildings.events.v1", "bld_1", "bytes"});
  EXPECT_EQ(a.stream, "fg:buildings:outbox");
  EXPECT_THAT(a.fields, ElementsAre(Pair("topic", "firegrid.buildings.events.v1"),
                                    Pair("key", "bld_1"), Pair("value", "bytes")));
}

TEST(OutboxRelay, CreateRejectsMissingKeyAndALeaseNotCoveringTwoRenewals) {
  FakeProducer producer;
  auto pool = redis::Pool::Create({});  // never connects in this test
  OutboxRelay::Options o;
  EXPECT_EQ(OutboxRelay::Create(pool.get(), &producer, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.outbox_key = "fg:x:outbox";
  o.renew_interval = absl::Seconds(1);
  o.lease = absl::Milliseconds(1999);
  EXPECT_EQ(OutboxRelay::Create(pool.get(), &producer, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.lease = absl::Seconds(2);
  auto relay = OutboxRelay::Create(pool.get(), &producer, o);
  ASSERT_TRUE(relay.ok()) << relay.status();
  EXPECT_EQ((*relay)->options().lock_key, "fg:x:outbox:relay-lease");
  EXPECT_EQ((*relay)->options().dead_key, "fg:x:outbox:dead");
  EXPECT_FALSE((*relay)->options().owner_id.empty());
  EXPECT_EQ(OutboxRelay::Create(nullptr, &producer, o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(OutboxRelay, DefaultOwnerIdsDifferBetweenRelays) {
  FakeProducer producer;
  auto pool = redis::Pool::Create({});
  OutboxRelay::Options o;
  o.outbox_key = "fg:x:outbox";
  auto a = OutboxRelay::Create(pool.get(), &producer, o);
  auto b = OutboxRelay::Create(pool.get(), &producer, o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->options().owner_id, (*b)->options().owner_id);
}

}  // namespace
}  // namespace firegrid::events
