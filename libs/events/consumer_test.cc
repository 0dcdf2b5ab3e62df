#include "libs/events/consumer.h"

#include <stdexcept>

#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "libs/common/logging.h"
#include "libs/common/trace.h"
#include "libs/events/topics.h"

namespace firegrid::events {
namespace {

using ::testing::HasSubstr;

class MessageProcessorTest : public ::testing::Test {
 protected:
  ReceivedMessage Valid(int64_t offset = 7) {
    google::protobuf::StringValue payload;
    payload.set_value("p");
    Envelope e = NewEnvelope(payload, "buildings", "bld_1", "110105", clock_.Now(), ids_);
    return {std::string(kBuildingsTopic), 3, offset, "bld_1", SerializeEnvelope(e)};
  }

  MessageProcessor Processor(Handler h) {
    return MessageProcessor(std::move(h), &dlq_, "notify", &clock_, absl::Seconds(1));
  }

  DeadLetter OnlyDeadLetter() {
    std::vector<Message> sent = dlq_.messages();
    EXPECT_EQ(sent.size(), 1u);
    DeadLetter d;
    if (sent.size() == 1) {
      EXPECT_EQ(sent[0].topic, DlqTopic(kBuildingsTopic));
      EXPECT_EQ(sent[0].key, "bld_1");
      EXPECT_TRUE(d.ParseFromString(sent[0].value));
    }
    return d;
  }

  FakeClock clock_;
  SequentialIdGenerator ids_;
  FakeProducer dlq_;
};

TEST_F(MessageProcessorTest, HandledMessageIsDoneAndNothingIsDeadLettered) {
  std::string seen;
  MessageProcessor p = Processor([&](const Envelope& e) {
    seen = e.event_id();
    return absl::OkStatus();
  });
  Decision d = p.Process(Valid());
  EXPECT_EQ(d.outcome, Outcome::kDone);
  EXPECT_EQ(seen, "evt_0001");
  EXPECT_TRUE(dlq_.messages().empty());
}

constexpr char kParent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";

TEST_F(MessageProcessorTest, HandlerRunsInAChildSpanOfTheEnvelopesTrace) {
  ReceivedMessage m;
  {
    trace::Scope request(*trace::ParseTraceparent(kParent));
    m = Valid();  // NewEnvelope takes the request's context
  }
  trace::Context seen;
  MessageProcessor p = Processor([&](const Envelope&) {
    if (trace::Current() != nullptr) seen = *trace::Current();
    return absl::OkStatus();
  });
  EXPECT_EQ(p.Process(m).outcome, Outcome::kDone);
  EXPECT_EQ(seen.trace_id, kTraceId);
  EXPECT_NE(seen.span_id, "00f067aa0ba902b7");
  EXPECT_EQ(trace::Current(), nullptr);  // not left behind on the consumer's thread
}

TEST_F(MessageProcessorTest, TraceparentHeaderIsTheFallbackForAnEnvelopeWithoutTrace) {
  ReceivedMessage m = Valid();
  m.headers = {{"traceparent", kParent}};
  std::string seen;
  MessageProcessor p = Processor([&](const Envelope&) {
    seen = trace::CurrentTraceparent();
    return absl::OkStatus();
  });
  p.Process(m);
  ASSERT_TRUE(trace::ParseTraceparent(seen).has_value()) << seen;
  EXPECT_EQ(trace::ParseTraceparent(seen)->trace_id, kTraceId);
}

TEST_F(MessageProcessorTest, DeadLetterKeepsTheEventsTraceAsHeaders) {
  ReceivedMessage m;
  {
    trace::Scope request(*trace::ParseTraceparent(kParent));
    m = Valid();
  }
  MessageProcessor p =
      Processor([](const Envelope&) { return absl::InvalidArgumentError("bad event"); });
  EXPECT_EQ(p.Process(m).outcome, Outcome::kDeadLettered);
  std::vector<Message> sent = dlq_.messages();
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_FALSE(sent[0].headers.empty());
  EXPECT_EQ(sent[0].headers[0].first, "traceparent");
  ASSERT_TRUE(trace::ParseTraceparent(sent[0].headers[0].second).has_value());
  EXPECT_EQ(trace::ParseTraceparent(sent[0].headers[0].second)->trace_id, kTraceId);
}

TEST_F(MessageProcessorTest, LogsOneDebugLineNamingEachHandledEventWithItsTrace) {
  ReceivedMessage m;
  {
    trace::Scope request(*trace::ParseTraceparent(kParent));
    m = Valid();
  }
  std::vector<std::string> lines;
  log::Init("test", log::Level::kDebug);
  log::SetSink([&](std::string_view l) { lines.emplace_back(l); });
  MessageProcessor p = Processor([](const Envelope&) { return absl::OkStatus(); });
  p.Process(m);
  log::SetSink(nullptr);
  log::Init("test", log::Level::kInfo);
  ASSERT_EQ(lines.size(), 1u);
  nlohmann::json j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["msg"], "event handled");
  EXPECT_EQ(j["event_id"], "evt_0001");
  EXPECT_EQ(j["type"], "google.protobuf.StringValue");
  EXPECT_EQ(j["trace_id"], kTraceId);
}

TEST_F(MessageProcessorTest, DuplicateDeliveryReportedAsAlreadyExistsIsDone) {
  MessageProcessor p = Processor(
      [](const Envelope&) { return absl::AlreadyExistsError("once key notify:seen:evt_1"); });
  EXPECT_EQ(p.Process(Valid()).outcome, Outcome::kDone);
  EXPECT_TRUE(dlq_.messages().empty());
}

TEST_F(MessageProcessorTest, RetryableFailureIsRetriedUntilTheHandlerSucceeds) {
  int calls = 0;
  MessageProcessor p = Processor([&](const Envelope&) {
    ++calls;
    return calls < 3 ? absl::UnavailableError("redis down") : absl::OkStatus();
  });
  ReceivedMessage m = Valid();
  Decision first = p.Process(m);
  EXPECT_EQ(first.outcome, Outcome::kRetry);
  EXPECT_TRUE(absl::IsUnavailable(first.status));
  EXPECT_EQ(p.Process(m).outcome, Outcome::kRetry);
  EXPECT_EQ(p.Process(m).outcome, Outcome::kDone);
  EXPECT_EQ(calls, 3);
  EXPECT_TRUE(dlq_.messages().empty());
}

TEST_F(MessageProcessorTest, EveryRetryableCodeIsRetriedNotDeadLettered) {
  for (absl::StatusCode code : {absl::StatusCode::kUnavailable, absl::StatusCode::kDeadlineExceeded,
                                absl::StatusCode::kAborted, absl::StatusCode::kResourceExhausted,
                                absl::StatusCode::kInternal, absl::StatusCode::kUnknown}) {
    MessageProcessor p = Processor([&](const Envelope&) { return absl::Status(code, "x"); });
    EXPECT_EQ(p.Process(Valid()).outcome, Outcome::kRetry) << absl::StatusCodeToString(code);
  }
  EXPECT_TRUE(dlq_.messages().empty());
}

TEST_F(MessageProcessorTest, PermanentFailureGoesToDlqWithReasonAndOriginal) {
  MessageProcessor p = Processor(
      [](const Envelope&) { return absl::InvalidArgumentError("hazard category unknown"); });
  ReceivedMessage m = Valid(/*offset=*/42);
  clock_.Set(absl::FromUnixSeconds(1'800'000'000));
  Decision d = p.Process(m);
  EXPECT_EQ(d.outcome, Outcome::kDeadLettered);
  DeadLetter letter = OnlyDeadLetter();
  EXPECT_EQ(letter.topic(), kBuildingsTopic);
  EXPECT_EQ(letter.partition(), 3);
  EXPECT_EQ(letter.offset(), 42);
  EXPECT_EQ(letter.key(), "bld_1");
  EXPECT_EQ(letter.value(), m.value);
  EXPECT_EQ(letter.consumer_group(), "notify");
  EXPECT_THAT(letter.reason(), HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(letter.reason(), HasSubstr("hazard category unknown"));
  EXPECT_EQ(google::protobuf::util::TimeUtil::TimestampToSeconds(letter.failed_at()),
            1'800'000'000);
}

TEST_F(MessageProcessorTest, UndecodableMessageGoesToDlqWithoutCallingTheHandler) {
  bool called = false;
  MessageProcessor p = Processor([&](const Envelope&) {
    called = true;
    return absl::OkStatus();
  });
  ReceivedMessage m{std::string(kBuildingsTopic), 0, 5, "bld_1", "\xff\xfe garbage"};
  EXPECT_EQ(p.Process(m).outcome, Outcome::kDeadLettered);
  EXPECT_FALSE(called);
  DeadLetter letter = OnlyDeadLetter();
  EXPECT_EQ(letter.value(), m.value);
  EXPECT_EQ(letter.offset(), 5);
  EXPECT_THAT(letter.reason(), HasSubstr("INVALID_ARGUMENT"));
}

TEST_F(MessageProcessorTest, DeadLetterThatCannotBeSentIsRetriedLater) {
  MessageProcessor p =
      Processor([](const Envelope&) { return absl::FailedPreconditionError("no such building"); });
  dlq_.FailNext(1, absl::UnavailableError("broker down"));
  Decision d = p.Process(Valid());
  EXPECT_EQ(d.outcome, Outcome::kRetry);
  EXPECT_THAT(std::string(d.status.message()), HasSubstr("no such building"));
  EXPECT_TRUE(dlq_.messages().empty());
  EXPECT_EQ(p.Process(Valid()).outcome, Outcome::kDeadLettered);
  EXPECT_EQ(dlq_.messages().size(), 1u);
}

TEST_F(MessageProcessorTest, DeadLetterTooLargeForTheBrokerIsSentWithoutTheOriginalValue) {
  MessageProcessor p = Processor([](const Envelope&) { return absl::OkStatus(); });
  ReceivedMessage garbage = Valid();
  garbage.value = std::string(1000, '\xff');
  // The broker refuses the first dead letter for good (e.g. MSG_SIZE_TOO_LARGE).
  dlq_.FailNext(1, absl::InvalidArgumentError("rejected by the broker: message too large"));
  Decision d = p.Process(garbage);
  EXPECT_EQ(d.outcome, Outcome::kDeadLettered) << d.status;
  DeadLetter letter = OnlyDeadLetter();
  EXPECT_EQ(letter.value(), "");
  EXPECT_EQ(letter.omitted_value_bytes(), 1000);
  EXPECT_EQ(letter.offset(), 7);
  EXPECT_THAT(letter.reason(), HasSubstr("INVALID_ARGUMENT"));
}

TEST_F(MessageProcessorTest, HandlerExceptionIsTreatedAsInternalAndRetried) {
  MessageProcessor p =
      Processor([](const Envelope&) -> absl::Status { throw std::runtime_error("boom"); });
  Decision d = p.Process(Valid());
  EXPECT_EQ(d.outcome, Outcome::kRetry);
  EXPECT_TRUE(absl::IsInternal(d.status));
  EXPECT_THAT(std::string(d.status.message()), HasSubstr("boom"));
}

TEST(IsRetryable, ClassifiesCodes) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("")));
  EXPECT_TRUE(IsRetryable(absl::DeadlineExceededError("")));
  EXPECT_TRUE(IsRetryable(absl::AbortedError("")));
  EXPECT_TRUE(IsRetryable(absl::ResourceExhaustedError("")));
  EXPECT_TRUE(IsRetryable(absl::InternalError("")));
  EXPECT_TRUE(IsRetryable(absl::UnknownError("")));
  EXPECT_FALSE(IsRetryable(absl::OkStatus()));
  EXPECT_FALSE(IsRetryable(absl::AlreadyExistsError("")));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("")));
  EXPECT_FALSE(IsRetryable(absl::NotFoundError("")));
  EXPECT_FALSE(IsRetryable(absl::FailedPreconditionError("")));
  EXPECT_FALSE(IsRetryable(absl::PermissionDeniedError("")));
  EXPECT_TRUE(IsDone(absl::OkStatus()));
  EXPECT_TRUE(IsDone(absl::AlreadyExistsError("")));
  EXPECT_FALSE(IsDone(absl::UnavailableError("")));
}

TEST(RetryBackoff, DoublesFromInitialUpToMaxAndResets) {
  RetryBackoff b(absl::Milliseconds(100), absl::Milliseconds(500));
  EXPECT_EQ(b.Next(), absl::Milliseconds(100));
  EXPECT_EQ(b.Next(), absl::Milliseconds(200));
  EXPECT_EQ(b.Next(), absl::Milliseconds(400));
  EXPECT_EQ(b.Next(), absl::Milliseconds(500));
  EXPECT_EQ(b.Next(), absl::Milliseconds(500));
  EXPECT_EQ(b.attempts(), 5);
  b.Reset();
  EXPECT_EQ(b.Next(), absl::Milliseconds(100));
}

TEST(Consumer, CreateRejectsIncompleteOptions) {
  FakeProducer dlq;
  ConsumerOptions o;
  o.bootstrap_servers = "127.0.0.1:1";
  o.group_id = "g";
  o.topics = {"t"};
  o.handler = [](const Envelope&) { return absl::OkStatus(); };
  o.dlq_producer = &dlq;
  for (auto mutate : std::vector<std::function<void(ConsumerOptions&)>>{
           [](ConsumerOptions& c) { c.bootstrap_servers.clear(); },
           [](ConsumerOptions& c) { c.group_id.clear(); },
           [](ConsumerOptions& c) { c.topics.clear(); },
           [](ConsumerOptions& c) { c.handler = nullptr; },
           [](ConsumerOptions& c) { c.dlq_producer = nullptr; },
           [](ConsumerOptions& c) {
             c.extra = {{"no.such.property", "1"}};
           },
           [](ConsumerOptions& c) { c.session_timeout = absl::Milliseconds(99); },
       }) {
    ConsumerOptions bad = o;
    mutate(bad);
    EXPECT_EQ(Consumer::Create(bad).status().code(), absl::StatusCode::kInvalidArgument);
  }
  auto ok = Consumer::Create(o);
  EXPECT_TRUE(ok.ok()) << ok.status();
  o.group_instance_id = "notify-0-notify";  // static membership is a valid configuration
  EXPECT_TRUE(Consumer::Create(o).ok());
}

}  // namespace
}  // namespace firegrid::events
