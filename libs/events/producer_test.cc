#include "libs/events/producer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::events {
namespace {

using ::testing::ElementsAre;

TEST(FakeProducer, DeliversAndRecordsMessagesInOrder) {
  FakeProducer p;
  std::vector<absl::Status> s =
      p.SendBatch({{"t1", "k1", "v1"}, {"t2", "k2", "v2"}}, absl::Seconds(1));
  EXPECT_THAT(s, ElementsAre(absl::OkStatus(), absl::OkStatus()));
  EXPECT_THAT(p.messages(), ElementsAre(Message{"t1", "k1", "v1"}, Message{"t2", "k2", "v2"}));
  EXPECT_THAT(p.messages("t2"), ElementsAre(Message{"t2", "k2", "v2"}));
  EXPECT_EQ(p.batches(), 1);
}

TEST(FakeProducer, FailNextFailsThatManyMessagesAcrossBatchesThenRecovers) {
  FakeProducer p;
  p.FailNext(3, absl::UnavailableError("down"));
  std::vector<absl::Status> first =
      p.SendBatch({{"t", "k", "1"}, {"t", "k", "2"}}, absl::Seconds(1));
  std::vector<absl::Status> second =
      p.SendBatch({{"t", "k", "3"}, {"t", "k", "4"}}, absl::Seconds(1));
  EXPECT_TRUE(absl::IsUnavailable(first[0]));
  EXPECT_TRUE(absl::IsUnavailable(first[1]));
  EXPECT_TRUE(absl::IsUnavailable(second[0]));
  EXPECT_TRUE(second[1].ok());
  EXPECT_THAT(p.messages(), ElementsAre(Message{"t", "k", "4"}));
}

TEST(FakeProducer, FailAllFailsEverythingUntilCleared) {
  FakeProducer p;
  p.FailAll(absl::DeadlineExceededError("slow"));
  EXPECT_TRUE(absl::IsDeadlineExceeded(p.SendBatch({{"t", "k", "v"}}, absl::Seconds(1))[0]));
  p.FailAll(absl::OkStatus());
  EXPECT_TRUE(p.SendBatch({{"t", "k", "v"}}, absl::Seconds(1))[0].ok());
  EXPECT_EQ(p.messages().size(), 1u);
}

TEST(KafkaProducer, CreateRejectsMissingBootstrapAndUnknownProperties) {
  EXPECT_EQ(KafkaProducer::Create({}).status().code(), absl::StatusCode::kInvalidArgument);
  ProducerOptions bad;
  bad.bootstrap_servers = "127.0.0.1:1";
  bad.extra = {{"no.such.property", "1"}};
  EXPECT_EQ(KafkaProducer::Create(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KafkaProducer, UnreachableBrokerTimesOutEveryMessageWithoutBlockingPastTheTimeout) {
  ProducerOptions o;
  o.bootstrap_servers = "127.0.0.1:1";  // nothing listens on port 1
  o.extra = {{"message.timeout.ms", "300"}};
  absl::StatusOr<std::unique_ptr<KafkaProducer>> p = KafkaProducer::Create(o);
  ASSERT_TRUE(p.ok()) << p.status();
  absl::Time start = absl::Now();
  std::vector<absl::Status> s =
      (*p)->SendBatch({{"t", "k", "1"}, {"t", "k", "2"}}, absl::Seconds(5));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(absl::IsDeadlineExceeded(s[0])) << s[0];
  EXPECT_TRUE(absl::IsDeadlineExceeded(s[1])) << s[1];
}

}  // namespace
}  // namespace firegrid::events
