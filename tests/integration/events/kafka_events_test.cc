// libs/events against the real firegrid-devbroker and a real redis-server.
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "libs/common/trace.h"
#include "libs/events/consumer.h"
#include "libs/events/envelope.h"
#include "libs/events/outbox.h"
#include "libs/events/producer.h"
#include "libs/events/topics.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/pool.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"

namespace firegrid::events {
namespace {

using testing::CountMessages;
using testing::DevBroker;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::ReadTopic;
using testing::ReadTopicToEnd;
using testing::RedisServer;
using testing::WaitUntil;

constexpr char kOutbox[] = "fg:buildings:outbox";

// Records what a handler saw, thread-safely.
class Journal {
 public:
  void Add(const std::string& s) {
    absl::MutexLock lock(&mu_);
    entries_.push_back(s);
  }
  std::vector<std::string> entries() const {
    absl::MutexLock lock(&mu_);
    return entries_;
  }
  size_t size() const { return entries().size(); }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> entries_ ABSL_GUARDED_BY(mu_);
};

class KafkaEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    absl::Status started = broker_.Start();
    ASSERT_TRUE(started.ok()) << started;
    redis::PoolOptions o;
    ASSERT_TRUE(redis::ParseAddress(redis_.address(), &o).ok());
    pool_ = redis::Pool::Create(o);
  }

  std::unique_ptr<KafkaProducer> NewProducer() {
    ProducerOptions o;
    o.bootstrap_servers = broker_.bootstrap();
    o.client_id = "events-it";
    o.extra = {{"message.timeout.ms", "2000"}};
    auto p = KafkaProducer::Create(o);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }

  OutboxRelay::Options RelayOptions(const std::string& owner) {
    OutboxRelay::Options o;
    o.outbox_key = kOutbox;
    o.owner_id = owner;
    o.delivery_timeout = absl::Seconds(3);  // > message.timeout.ms: every batch has an outcome
    o.idle_wait = absl::Milliseconds(300);
    o.lease = absl::Seconds(5);
    o.initial_backoff = absl::Milliseconds(50);
    o.max_backoff = absl::Milliseconds(500);
    return o;
  }

  std::unique_ptr<Consumer> NewConsumer(const std::string& group,
                                        const std::vector<std::string>& topics, Handler handler,
                                        Producer* dlq, bool skip_retention_gap = false) {
    ConsumerOptions o;
    o.bootstrap_servers = broker_.bootstrap();
    o.group_id = group;
    o.topics = topics;
    o.handler = std::move(handler);
    o.dlq_producer = dlq;
    o.retry_initial_backoff = absl::Milliseconds(50);
    o.retry_max_backoff = absl::Milliseconds(200);
    o.skip_retention_gap = skip_retention_gap;
    // The mock cluster holds a rebalance after the last member left for session timeout − 1 s.
    o.extra = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "1000"}};
    auto c = Consumer::Create(o);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  Envelope Event(const std::string& building, const std::string& text) {
    google::protobuf::StringValue payload;
    payload.set_value(text);
    return NewEnvelope(payload, "buildings", building, "110105", absl::Now(), ids_);
  }

  void AppendToOutbox(const Envelope& e) {
    redis::AtomicWrite w;
    w.appends.push_back(OutboxAppend(
        kOutbox, {std::string(kBuildingsTopic), e.building_id(), SerializeEnvelope(e)}));
    absl::Status s = redis::Execute(*pool_, w);
    ASSERT_TRUE(s.ok()) << s;
  }

  void Produce(Producer& p, const std::string& topic, const std::string& key,
               const std::string& value) {
    std::vector<absl::Status> s = p.SendBatch({{topic, key, value}}, absl::Seconds(10));
    ASSERT_TRUE(s[0].ok()) << s[0];
  }

  // The effect of the "notify" service for an event, made idempotent by the event id.
  absl::Status ApplyOnce(const Envelope& e) {
    redis::AtomicWrite w;
    w.once_key = absl::StrCat("notify:seen:", e.event_id());
    w.commands.push_back({"INCR", absl::StrCat("notify:effects:", e.event_id())});
    w.commands.push_back({"RPUSH", "notify:log", e.event_id()});
    return redis::Execute(*pool_, w);
  }

  std::vector<std::string> EffectLog() {
    std::vector<std::string> out;
    auto r = pool_->Command({"LRANGE", "notify:log", "0", "-1"});
    if (r.ok()) {
      for (const redis::Reply& e : r->elements) out.push_back(e.str);
    }
    return out;
  }

  RedisServer redis_;
  DevBroker broker_;
  std::unique_ptr<redis::Pool> pool_;
  RandomIdGenerator ids_;
};

TEST_F(KafkaEventsTest, OutboxWrittenWhileTheBrokerIsDownIsDeliveredInOrderWhenItComesBack) {
  ASSERT_TRUE(broker_.Down().ok());
  std::unique_ptr<KafkaProducer> producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  auto relay = OutboxRelay::Create(pool_.get(), producer.get(), RelayOptions("relay-1"));
  ASSERT_TRUE(relay.ok()) << relay.status();

  std::map<std::string, std::vector<std::string>> expected;  // building → event ids in order
  for (int i = 0; i < 20; ++i) {
    std::string building = absl::StrCat("bld_", i % 3);
    Envelope e = Event(building, absl::StrCat("change ", i));
    expected[building].push_back(e.event_id());
    AppendToOutbox(e);
  }
  // A round while the broker is down fails and keeps everything.
  absl::StatusOr<int> down_round = (*relay)->RunOnce();
  EXPECT_FALSE(down_round.ok());
  EXPECT_EQ((*relay)->Backlog(), 20);

  (*relay)->Start();
  ASSERT_TRUE(broker_.Up().ok());
  ASSERT_TRUE(WaitUntil([&] { return (*relay)->Backlog() == 0; }, absl::Seconds(30)));
  (*relay)->Stop();

  std::vector<ReceivedMessage> got =
      ReadTopic(broker_.bootstrap(), std::string(kBuildingsTopic), 20, absl::Seconds(20));
  ASSERT_EQ(got.size(), 20u);
  std::map<std::string, std::vector<std::string>> seen;
  for (const ReceivedMessage& m : got) {
    absl::StatusOr<Envelope> e = ParseEnvelope(m.value);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(m.key, e->building_id());
    seen[m.key].push_back(e->event_id());
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(CountMessages(broker_.bootstrap(), std::string(kBuildingsTopic)), 20);
}

TEST_F(KafkaEventsTest, ReadTopicToEndReturnsEveryMessageTheTopicHeldAcrossItsPartitions) {
  const std::string topic(kBuildingsTopic);
  auto empty = ReadTopicToEnd(broker_.bootstrap(), topic, absl::Seconds(20));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());

  std::unique_ptr<KafkaProducer> producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  std::set<std::string> sent;
  for (int i = 0; i < 30; ++i) {  // 30 keys: spread over the topic's partitions
    const std::string value = absl::StrCat("value ", i);
    Produce(*producer, topic, absl::StrCat("bld_", i), value);
    sent.insert(value);
  }
  auto got = ReadTopicToEnd(broker_.bootstrap(), topic, absl::Seconds(20));
  ASSERT_TRUE(got.ok()) << got.status();
  std::multiset<std::string> values;
  std::set<int> partitions;
  for (const ReceivedMessage& m : *got) {
    values.insert(m.value);
    partitions.insert(m.partition);
  }
  EXPECT_EQ(values, std::multiset<std::string>(sent.begin(), sent.end()));
  EXPECT_GT(partitions.size(), 1u);
}

TEST_F(KafkaEventsTest, RedeliveredEventHasOneEffectWhenTheHandlerUsesAOnceKey) {
  std::unique_ptr<KafkaProducer> producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  Envelope twice = Event("bld_1", "sent twice");
  Envelope crashy = Event("bld_1", "effect written, then the handler fails");
  Envelope last = Event("bld_1", "last");
  const std::string topic(kHazardsTopic);
  Produce(*producer, topic, "bld_1", SerializeEnvelope(twice));
  Produce(*producer, topic, "bld_1", SerializeEnvelope(twice));  // a redelivery
  Produce(*producer, topic, "bld_1", SerializeEnvelope(crashy));
  Produce(*producer, topic, "bld_1", SerializeEnvelope(last));

  Journal calls;
  std::atomic<bool> crashed{false};
  auto consumer = NewConsumer(
      "notify", {topic},
      [&](const Envelope& e) -> absl::Status {
        calls.Add(e.event_id());
        absl::Status s = ApplyOnce(e);
        // Crash after the effect was written and before the offset was stored: redelivered.
        if (e.event_id() == crashy.event_id() && !crashed.exchange(true)) {
          return absl::UnavailableError("lost the connection after writing");
        }
        return s;
      },
      producer.get());
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return consumer->done() == 4; }, absl::Seconds(30)));
  consumer->Stop();

  EXPECT_THAT(calls.entries(), ElementsAre(twice.event_id(), twice.event_id(), crashy.event_id(),
                                           crashy.event_id(), last.event_id()));
  EXPECT_THAT(EffectLog(), ElementsAre(twice.event_id(), crashy.event_id(), last.event_id()));
  EXPECT_EQ(pool_->Command({"GET", absl::StrCat("notify:effects:", twice.event_id())})->str, "1");
  EXPECT_EQ(consumer->dead_lettered(), 0);
}

TEST_F(KafkaEventsTest, OutboxEventsTraceTravelsAsKafkaHeadersAndTheConsumerContinuesIt) {
  std::unique_ptr<KafkaProducer> producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  const trace::Context request =
      *trace::ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  {
    trace::Scope scope(request);
    AppendToOutbox(Event("bld_1", "traced"));  // the envelope takes the current context
  }
  // An envelope without trace, whose context comes only in the record's headers.
  Envelope bare = Event("bld_2", "headers only");
  std::vector<absl::Status> sent = producer->SendBatch(
      {{std::string(kBuildingsTopic),
        "bld_2",
        SerializeEnvelope(bare),
        {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}}},
      absl::Seconds(10));
  ASSERT_TRUE(sent[0].ok()) << sent[0];
  auto relay = OutboxRelay::Create(pool_.get(), producer.get(), RelayOptions("relay-a"));
  ASSERT_TRUE(relay.ok()) << relay.status();
  (*relay)->Start();

  absl::Mutex mu;
  std::map<std::string, std::string> trace_of;  // building id -> trace id seen by the handler
  auto consumer = NewConsumer(
      "notify", {std::string(kBuildingsTopic)},
      [&](const Envelope& e) {
        absl::MutexLock lock(&mu);
        trace_of[e.building_id()] = trace::Current() ? trace::Current()->trace_id : "";
        return absl::OkStatus();
      },
      producer.get());
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return consumer->done() == 2; }, absl::Seconds(30)));
  consumer->Stop();
  (*relay)->Stop();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(trace_of["bld_1"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(trace_of["bld_2"], "0af7651916cd43dd8448eb211c80319c");
}

TEST_F(KafkaEventsTest, DevBrokerGroupJoinFloorIsMeasuredForANewGroupAndAfterACleanStop) {
  std::unique_ptr<KafkaProducer> producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  auto handler = [](const Envelope&) { return absl::OkStatus(); };
  auto joined = [&](Consumer& c) {
    const absl::Time start = absl::Now();
    EXPECT_TRUE(c.Start().ok());
    EXPECT_TRUE(WaitUntil([&] { return c.assigned_partitions() > 0; }, absl::Seconds(60)));
    return absl::Now() - start;
  };
  ConsumerOptions o;
  o.bootstrap_servers = broker_.bootstrap();
  o.group_id = "floor";
  o.topics = {std::string(kCreditTopic)};
  o.handler = handler;
  o.dlq_producer = producer.get();
  auto first = Consumer::Create(o);
  ASSERT_TRUE(first.ok()) << first.status();
  const absl::Duration empty_group = joined(**first);
  (*first)->Stop();  // leaves the group at once
  auto second = Consumer::Create(o);
  ASSERT_TRUE(second.ok()) << second.status();
  const absl::Duration after_stop = joined(**second);
  (*second)->Stop();
  // Measured, not asserted: the dev broker holds a new group's first rebalance for its
  // group.initial.rebalance.delay (3 s) and a group a member just left for session timeout − 1 s.
  std::printf("dev broker group join: new group %lld ms, right after a clean stop %lld ms\n",
              static_cast<long long>(absl::ToInt64Milliseconds(empty_group)),
              static_cast<long long>(absl::ToInt64Milliseconds(after_stop)));
}

// librdkafka before 2.3.0 aborts the process when it destroys a cooperative-sticky member that
// joined its group but never had an assignment (issue #4312): a replica stopped in the middle of
// a rebalance exited with SIGABRT instead of draining. Such a member's closed client is kept
// until the process exits instead; one that had its assignment is destroyed as usual.
TEST_F(KafkaEventsTest, AMemberStoppedBetweenJoiningAndItsFirstAssignmentIsDestroyedWithoutAbort) {
  std::unique_ptr<KafkaProducer> producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  auto handler = [](const Envelope&) { return absl::OkStatus(); };
  const std::string topic(kCreditTopic);
  const int kept_before = Consumer::KafkaClientsKeptUntilExit();

  auto assigned = NewConsumer("assigned", {topic}, handler, producer.get());
  ASSERT_NE(assigned, nullptr);
  ASSERT_TRUE(assigned->Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return assigned->assigned_partitions() > 0; }, absl::Seconds(60)));
  assigned.reset();
  EXPECT_EQ(Consumer::KafkaClientsKeptUntilExit(), kept_before);

  // From now on every SyncGroup (API key 14) fails with REBALANCE_IN_PROGRESS (27): a member
  // that joins never receives its assignment.
  absl::Status injected = broker_.Inject("errors 14 100000 27\n");
  ASSERT_TRUE(injected.ok()) << injected;
  auto unassigned = NewConsumer("unassigned", {topic}, handler, producer.get());
  ASSERT_NE(unassigned, nullptr);
  ASSERT_TRUE(unassigned->Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return !unassigned->member_id().empty(); }, absl::Seconds(60)))
      << "the member never joined its group";
  EXPECT_EQ(unassigned->assigned_partitions(), 0);
  unassigned.reset();  // with librdkafka 2.0.2 destroying the client aborted here
  EXPECT_EQ(Consumer::KafkaClientsKeptUntilExit(),
            kept_before + (Consumer::DestroyBeforeFirstAssignmentAborts() ? 1 : 0));
}

TEST_F(KafkaEventsTest, RestartedConsumerResumesAfterWhatItCommittedOnStop) {
  std::unique_ptr<KafkaProducer> producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  const std::string topic(kCreditTopic);
  Envelope first = Event("bld_1", "first");
  Envelope second = Event("bld_1", "second");
  Produce(*producer, topic, "bld_1", SerializeEnvelope(first));

  Journal calls;
  auto handler = [&](const Envelope& e) {
    calls.Add(e.event_id());
    return ApplyOnce(e);
  };
  auto one = NewConsumer("credit", {topic}, handler, producer.get());
  ASSERT_NE(one, nullptr);
  ASSERT_TRUE(one->Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return one->done() == 1; }, absl::Seconds(30)));
  one->Stop();

  Produce(*producer, topic, "bld_1", SerializeEnvelope(second));
  auto two = NewConsumer("credit", {topic}, handler, producer.get());
  ASSERT_NE(two, nullptr);
  ASSERT_TRUE(two->Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return two->done() == 1; }, absl::Seconds(30)));
  two->Stop();

  EXPECT_THAT(calls.entries(), ElementsAre(first.event_id(), second.event_id()));
  EXPECT_THAT(EffectLog(), ElementsAre(first.event_id(), second.event_id()));
}

// The consumer group "retention" processes one credit event on bld_r's partition and commits it;
// while no member runs, ~8 MiB more go to that partition, past the dev broker's ~5 MiB per
// partition, so the committed offset falls off the log.
class RetentionTest : public KafkaEventsTest {
 protected:
  // Runs the first member of group "retention" over the first event, then overflows the log.
  void SetUp() override {
    KafkaEventsTest::SetUp();
    if (HasFatalFailure()) return;
    producer_ = NewProducer();
    ASSERT_NE(producer_, nullptr);
    Produce(*producer_, topic_, "bld_r", SerializeEnvelope(Event("bld_r", "first")));
    auto first = NewConsumer("retention", {topic_}, Record(), producer_.get());
    ASSERT_NE(first, nullptr);
    ASSERT_TRUE(first->Start().ok());
    ASSERT_TRUE(WaitUntil([&] { return first->done() == 1; }, absl::Seconds(30)));
    first->Stop();  // commits offset 1
    const std::string padding(200 * 1024, 'x');
    for (int i = 0; i < 40; ++i) {
      Envelope e = Event("bld_r", absl::StrCat(i, padding));
      later_.push_back(e.event_id());
      Produce(*producer_, topic_, "bld_r", SerializeEnvelope(e));
    }
    // The oldest were dropped: the partition no longer holds all 41.
    kept_ = CountMessages(broker_.bootstrap(), topic_);
    ASSERT_GT(kept_, 0);
    ASSERT_LT(kept_, 41);
    // An event on another topic shows that the rest of the consumer goes on.
    Produce(*producer_, other_, "bld_o", SerializeEnvelope(other_event_));
    handled_ = std::make_unique<Journal>();
  }

  Handler Record() {
    return [this](const Envelope& e) {
      if (handled_ != nullptr) handled_->Add(e.event_id());
      return absl::OkStatus();
    };
  }

  const std::string topic_{kCreditTopic};
  const std::string other_{kNotifyTopic};
  Envelope other_event_ = Event("bld_o", "elsewhere");
  std::unique_ptr<KafkaProducer> producer_;
  std::vector<std::string> later_;    // event ids produced after the commit, in order
  int64_t kept_ = 0;                  // of the 41, still on the log
  std::unique_ptr<Journal> handled_;  // what the second member handled
};

TEST_F(RetentionTest, ConsumerBehindTheRetentionStopsThePartitionAndReportsTheGapNotSkipIt) {
  auto second = NewConsumer("retention", {topic_, other_}, Record(), producer_.get());
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(second->Start().ok());
  ASSERT_TRUE(
      WaitUntil([&] { return second->RetentionGaps().size() == 1 && handled_->size() == 1; },
                absl::Seconds(30)))
      << handled_->size();
  const Consumer::RetentionGap gap = second->RetentionGaps()[0];
  EXPECT_EQ(gap.topic, topic_);
  EXPECT_EQ(gap.committed_offset, 1);
  EXPECT_EQ(gap.log_start, 41 - kept_);
  EXPECT_FALSE(gap.skipped);
  absl::Status health = second->Check();
  EXPECT_TRUE(absl::IsFailedPrecondition(health)) << health;
  EXPECT_THAT(health.message(), HasSubstr(absl::StrCat(topic_, "[", gap.partition, "] at 1")));
  // Only the other topic's event: nothing of the partition past the gap was processed.
  EXPECT_THAT(handled_->entries(), ElementsAre(other_event_.event_id()));
  EXPECT_EQ(second->done(), 1);
  second->Stop();
}

TEST_F(RetentionTest, SkipRetentionGapReportsTheGapThenGoesOnFromTheLogStart) {
  auto second =
      NewConsumer("retention", {topic_}, Record(), producer_.get(), /*skip_retention_gap=*/true);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(second->Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return second->done() == kept_; }, absl::Seconds(30)))
      << second->done() << " of " << kept_;
  ASSERT_EQ(second->RetentionGaps().size(), 1u);
  const Consumer::RetentionGap gap = second->RetentionGaps()[0];
  EXPECT_EQ(gap.committed_offset, 1);
  EXPECT_EQ(gap.log_start, 41 - kept_);
  EXPECT_TRUE(gap.skipped);
  EXPECT_TRUE(second->Check().ok()) << second->Check();
  // Exactly the events still on the log, in order.
  std::vector<std::string> tail(later_.end() - kept_, later_.end());
  EXPECT_THAT(handled_->entries(), ElementsAreArray(tail));
  second->Stop();
}

TEST_F(KafkaEventsTest, PoisonMessagesGoToTheDlqAndTheNextMessageIsStillProcessed) {
  std::unique_ptr<KafkaProducer> producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  const std::string topic(kBuildingsTopic);
  Envelope rejected = Event("bld_7", "the handler rejects this one");
  Envelope good = Event("bld_7", "fine");
  Produce(*producer, topic, "bld_7", "\x08\x96\x01 not an envelope \xff");
  Produce(*producer, topic, "bld_7", SerializeEnvelope(rejected));
  Produce(*producer, topic, "bld_7", SerializeEnvelope(good));

  Journal handled;
  auto consumer = NewConsumer(
      "hazards", {topic},
      [&](const Envelope& e) -> absl::Status {
        if (e.event_id() == rejected.event_id()) {
          return absl::InvalidArgumentError("building bld_7 has no tier path");
        }
        handled.Add(e.event_id());
        return absl::OkStatus();
      },
      producer.get());
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return consumer->done() == 1 && consumer->dead_lettered() == 2; },
                        absl::Seconds(30)));
  consumer->Stop();
  EXPECT_THAT(handled.entries(), ElementsAre(good.event_id()));

  std::vector<ReceivedMessage> dlq =
      ReadTopic(broker_.bootstrap(), DlqTopic(topic), 2, absl::Seconds(20));
  ASSERT_EQ(dlq.size(), 2u);
  DeadLetter garbage, permanent;
  ASSERT_TRUE(garbage.ParseFromString(dlq[0].value));
  ASSERT_TRUE(permanent.ParseFromString(dlq[1].value));
  EXPECT_EQ(dlq[0].key, "bld_7");
  EXPECT_EQ(garbage.topic(), topic);
  EXPECT_EQ(garbage.value(), "\x08\x96\x01 not an envelope \xff");
  EXPECT_EQ(garbage.consumer_group(), "hazards");
  EXPECT_THAT(garbage.reason(), HasSubstr("INVALID_ARGUMENT"));
  EXPECT_EQ(permanent.offset(), garbage.offset() + 1);
  EXPECT_EQ(permanent.partition(), garbage.partition());
  EXPECT_EQ(permanent.value(), SerializeEnvelope(rejected));
  EXPECT_THAT(permanent.reason(), HasSubstr("has no tier path"));
  EXPECT_EQ(CountMessages(broker_.bootstrap(), DlqTopic(topic)), 2);
}

TEST_F(KafkaEventsTest, RetryableFailureHoldsItsPartitionUntilItSucceedsAndKeepsOrder) {
  std::unique_ptr<KafkaProducer> producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  const std::string topic(kNotifyTopic);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    Envelope e = Event("bld_3", absl::StrCat("n", i));
    ids.push_back(e.event_id());
    Produce(*producer, topic, "bld_3", SerializeEnvelope(e));
  }
  Journal succeeded;
  std::atomic<int> failures_left{3};
  auto consumer = NewConsumer(
      "notify-retry", {topic},
      [&](const Envelope& e) -> absl::Status {
        if (e.event_id() == ids[1] && failures_left.fetch_sub(1) > 0) {
          return absl::UnavailableError("redis briefly away");
        }
        succeeded.Add(e.event_id());
        return absl::OkStatus();
      },
      producer.get());
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return consumer->done() == 5; }, absl::Seconds(30)));
  // Lag is reported per partition and drains to zero once everything is done.
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::vector<Consumer::PartitionLag> lag = consumer->Lag();
        int64_t total = 0;
        for (const auto& l : lag) total += l.lag;
        return !lag.empty() && total == 0;
      },
      absl::Seconds(10)));
  consumer->Stop();
  EXPECT_THAT(succeeded.entries(), ElementsAreArray(ids));
  EXPECT_LE(failures_left.load(), 0);
}

TEST_F(KafkaEventsTest, LagCountsMessagesWaitingBehindAFailingOne) {
  std::unique_ptr<KafkaProducer> producer = NewProducer();
  ASSERT_NE(producer, nullptr);
  const std::string topic(kNotifyTopic);
  for (int i = 0; i < 4; ++i) {
    Produce(*producer, topic, "bld_9", SerializeEnvelope(Event("bld_9", absl::StrCat(i))));
  }
  std::atomic<bool> healthy{false};
  auto consumer = NewConsumer(
      "notify-lag", {topic},
      [&](const Envelope&) { return healthy ? absl::OkStatus() : absl::UnavailableError("down"); },
      producer.get());
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Start().ok());
  auto total_lag = [&] {
    int64_t total = 0;
    for (const auto& l : consumer->Lag()) total += l.lag;
    return total;
  };
  EXPECT_TRUE(WaitUntil([&] { return total_lag() == 4; }, absl::Seconds(30))) << total_lag();
  healthy = true;
  EXPECT_TRUE(
      WaitUntil([&] { return consumer->done() == 4 && total_lag() == 0; }, absl::Seconds(30)))
      << total_lag();
  consumer->Stop();
}

TEST_F(KafkaEventsTest, TwoRelaysOnOneOutboxPublishEachEntryOnceInOrder) {
  std::unique_ptr<KafkaProducer> producer_a = NewProducer();
  std::unique_ptr<KafkaProducer> producer_b = NewProducer();
  ASSERT_NE(producer_a, nullptr);
  ASSERT_NE(producer_b, nullptr);
  auto a = OutboxRelay::Create(pool_.get(), producer_a.get(), RelayOptions("relay-a"));
  auto b = OutboxRelay::Create(pool_.get(), producer_b.get(), RelayOptions("relay-b"));
  ASSERT_TRUE(a.ok() && b.ok());
  (*a)->Start();
  (*b)->Start();

  std::vector<std::string> expected;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 10; ++i) {
      Envelope e = Event("bld_1", absl::StrCat(round, "-", i));
      expected.push_back(e.event_id());
      AppendToOutbox(e);
    }
    const int64_t published = 10 * (round + 1);
    ASSERT_TRUE(WaitUntil([&] { return (*a)->published() + (*b)->published() == published; },
                          absl::Seconds(20)));
  }
  EXPECT_EQ((*a)->Backlog(), 0);
  // One leader did all the publishing.
  EXPECT_TRUE((*a)->published() == 0 || (*b)->published() == 0);
  OutboxRelay* leader = (*a)->is_leader() ? a->get() : b->get();
  OutboxRelay* standby = leader == a->get() ? b->get() : a->get();
  EXPECT_FALSE(standby->is_leader());

  leader->Stop();  // the standby takes over
  for (int i = 0; i < 10; ++i) {
    Envelope e = Event("bld_1", absl::StrCat("after-", i));
    expected.push_back(e.event_id());
    AppendToOutbox(e);
  }
  ASSERT_TRUE(WaitUntil([&] { return standby->published() == 10; }, absl::Seconds(20)));
  standby->Stop();
  EXPECT_EQ(standby->Backlog(), 0);
  EXPECT_EQ(leader->published(), 30);

  std::vector<ReceivedMessage> got =
      ReadTopic(broker_.bootstrap(), std::string(kBuildingsTopic), 40, absl::Seconds(20));
  std::vector<std::string> ids;
  for (const ReceivedMessage& m : got) ids.push_back(ParseEnvelope(m.value)->event_id());
  EXPECT_THAT(ids, ElementsAreArray(expected));
  EXPECT_EQ(CountMessages(broker_.bootstrap(), std::string(kBuildingsTopic)), 40);
}

}  // namespace
}  // namespace firegrid::events
