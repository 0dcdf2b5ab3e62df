// DeadLetterDesk with fakes: a FakeDlqReader for "<topic>.dlq", a FakeProducer for replays, the
// in-memory state store and a fake clock. LazyDlqReader with counting factories.
#include "libs/events/dead_letters.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/events/topics.h"

namespace firegrid::events {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kTopic(kBuildingsTopic);
const std::string kDlq = DlqTopic(kBuildingsTopic);
constexpr char kGroup[] = "hazards";

class DeadLetterDeskTest : public ::testing::Test {
 protected:
  DeadLetterDeskTest()
      : desk_(&reader_, &producer_, &states_,
              DeadLetterDeskOptions{.groups_by_topic = {{kTopic, {kGroup}}}}, &clock_) {}

  Envelope Event(const std::string& building) {
    google::protobuf::StringValue payload;
    payload.set_value("responsibility of " + building);
    return NewEnvelope(payload, "buildings", building, "500109001001", clock_.Now(), ids_);
  }

  // Dead-letters `value` (the original record) as group `group` would, and returns its id.
  std::string AddLetter(const std::string& key, const std::string& value,
                        const std::string& group = kGroup,
                        const std::string& reason = "FAILED_PRECONDITION: unknown building") {
    DeadLetter letter;
    letter.set_topic(kTopic);
    letter.set_partition(3);
    letter.set_offset(next_original_offset_++);
    letter.set_key(key);
    letter.set_value(value);
    letter.set_reason(reason);
    letter.set_consumer_group(group);
    letter.mutable_failed_at()->set_seconds(absl::ToUnixSeconds(clock_.Now()));
    DlqRecord r;
    r.key = key;
    r.value = letter.SerializeAsString();
    r.time = clock_.Now();
    r.headers = {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
    return DeadLetterId(kDlq, reader_.Append(kDlq, r));
  }

  std::string AddEvent(const std::string& building, const std::string& group = kGroup) {
    return AddLetter(building, SerializeEnvelope(Event(building)), group);
  }

  FakeClock clock_{absl::FromUnixSeconds(1'796'000'000)};
  SequentialIdGenerator ids_;
  FakeDlqReader reader_;
  FakeProducer producer_;
  MemoryDeadLetterStateStore states_;
  DeadLetterDesk desk_;
  int64_t next_original_offset_ = 40;
};

std::vector<std::string> Ids(const dlv1::ListDeadLettersResponse& r) {
  std::vector<std::string> out;
  for (const auto& e : r.dead_letters()) out.push_back(e.dead_letter_id());
  return out;
}

TEST_F(DeadLetterDeskTest, ListShowsOnlyTheServicesOwnGroupsOldestFirstAsPending) {
  std::string a = AddEvent("bld_1");
  AddEvent("bld_2", "credit");  // another service's dead letter on the same topic
  std::string c = AddEvent("bld_3");
  dlv1::ListDeadLettersRequest req;
  req.set_topic(kTopic);
  absl::StatusOr<dlv1::ListDeadLettersResponse> r = desk_.List(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Ids(*r), ElementsAre(a, c));
  const dlv1::DeadLetterEntry& e = r->dead_letters(0);
  EXPECT_EQ(e.topic(), kTopic);
  EXPECT_EQ(e.partition(), 3);
  EXPECT_EQ(e.offset(), 40);
  EXPECT_EQ(e.dlq_offset(), 0);
  EXPECT_EQ(e.key(), "bld_1");
  EXPECT_THAT(e.event_id(), HasSubstr("evt"));
  EXPECT_EQ(e.event_type(), "google.protobuf.StringValue");
  EXPECT_EQ(e.consumer_group(), kGroup);
  EXPECT_EQ(e.reason(), "FAILED_PRECONDITION: unknown building");
  EXPECT_EQ(e.state(), dlv1::DEAD_LETTER_STATE_PENDING);
  EXPECT_EQ(r->next_page_token(), "");
}

TEST_F(DeadLetterDeskTest, ListTakesTheDeadLetterTopicNameToo) {
  std::string a = AddEvent("bld_1");
  dlv1::ListDeadLettersRequest req;
  req.set_topic(kDlq);
  absl::StatusOr<dlv1::ListDeadLettersResponse> r = desk_.List(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Ids(*r), ElementsAre(a));
}

TEST_F(DeadLetterDeskTest, ListPagesThroughEveryDeadLetterOnce) {
  std::vector<std::string> all;
  for (int i = 0; i < 7; ++i) {
    all.push_back(AddEvent("bld_" + std::to_string(i)));
    AddEvent("bld_other", "credit");
  }
  dlv1::ListDeadLettersRequest req;
  req.set_topic(kTopic);
  req.set_page_size(3);
  std::vector<std::string> seen;
  int pages = 0;
  do {
    absl::StatusOr<dlv1::ListDeadLettersResponse> r = desk_.List(req);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_LE(r->dead_letters_size(), 3);
    for (const std::string& id : Ids(*r)) seen.push_back(id);
    req.set_page_token(r->next_page_token());
    ASSERT_LT(++pages, 10);
  } while (!req.page_token().empty());
  EXPECT_EQ(seen, all);
}

TEST_F(DeadLetterDeskTest, ListFiltersByState) {
  std::string a = AddEvent("bld_1");
  std::string b = AddEvent("bld_2");
  std::string c = AddEvent("bld_3");
  ASSERT_TRUE(desk_.Replay(a, "u-admin").ok());
  ASSERT_TRUE(desk_.Drop(c, "test building, removed", "u-admin").ok());
  dlv1::ListDeadLettersRequest req;
  req.set_topic(kTopic);
  req.set_state(dlv1::DEAD_LETTER_STATE_PENDING);
  EXPECT_THAT(Ids(*desk_.List(req)), ElementsAre(b));
  req.set_state(dlv1::DEAD_LETTER_STATE_REPLAYED);
  EXPECT_THAT(Ids(*desk_.List(req)), ElementsAre(a));
  req.set_state(dlv1::DEAD_LETTER_STATE_DROPPED);
  absl::StatusOr<dlv1::ListDeadLettersResponse> dropped = desk_.List(req);
  ASSERT_THAT(Ids(*dropped), ElementsAre(c));
  EXPECT_EQ(dropped->dead_letters(0).drop_reason(), "test building, removed");
  EXPECT_EQ(dropped->dead_letters(0).acted_by(), "u-admin");
}

TEST_F(DeadLetterDeskTest, ListRefusesBadInputNamingTheField) {
  dlv1::ListDeadLettersRequest req;
  EXPECT_THAT(desk_.List(req).status().message(), HasSubstr("topic"));
  EXPECT_TRUE(absl::IsInvalidArgument(desk_.List(req).status()));
  req.set_topic(std::string(kNotifyTopic));  // not consumed by this service
  absl::Status s = desk_.List(req).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("topic"));
  EXPECT_THAT(s.message(), HasSubstr(kTopic));  // names what it does consume
  req.set_topic(kTopic);
  req.set_page_size(501);
  EXPECT_THAT(desk_.List(req).status().message(), HasSubstr("page_size"));
  req.set_page_size(0);
  req.set_page_token("garbage!");
  EXPECT_THAT(desk_.List(req).status().message(), HasSubstr("page_token"));
  req.set_page_token("");
  req.set_state(static_cast<dlv1::DeadLetterState>(17));
  EXPECT_THAT(desk_.List(req).status().message(), HasSubstr("state"));
}

TEST_F(DeadLetterDeskTest, GetShowsTheDecodedEnvelopeAndHeaders) {
  Envelope event = Event("bld_1");
  std::string id = AddLetter("bld_1", SerializeEnvelope(event));
  absl::StatusOr<dlv1::DeadLetterDetail> d = desk_.Get(id);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->entry().dead_letter_id(), id);
  EXPECT_EQ(d->envelope().event_id(), event.event_id());
  EXPECT_EQ(d->envelope().building_id(), "bld_1");
  EXPECT_EQ(d->value(), SerializeEnvelope(event));
  EXPECT_EQ(d->decode_error(), "");
  EXPECT_THAT(d->headers().at("traceparent"), HasSubstr("0af7651916cd43dd"));
}

TEST_F(DeadLetterDeskTest, GetOfAnUndecodableRecordSaysWhyAndKeepsTheBytes) {
  std::string id = AddLetter("bld_1", "\xff\xfe not a protobuf");
  absl::StatusOr<dlv1::DeadLetterDetail> d = desk_.Get(id);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->value(), "\xff\xfe not a protobuf");
  EXPECT_NE(d->decode_error(), "");
  EXPECT_FALSE(d->has_envelope());
  EXPECT_EQ(d->entry().event_id(), "");
}

TEST_F(DeadLetterDeskTest, BadIdsAreInvalidArgumentNamingTheFieldAndMissingOnesNotFound) {
  for (const std::string& bad :
       {std::string(""), std::string("nonsense"), kTopic + ":3", kDlq + ":-1", kDlq + ":x"}) {
    absl::Status s = desk_.Get(bad).status();
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad << ": " << s;
    EXPECT_THAT(s.message(), HasSubstr("dead_letter_id")) << bad;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(desk_.Get(DlqTopic(kNotifyTopic) + ":0").status()));
  EXPECT_TRUE(absl::IsNotFound(desk_.Get(kDlq + ":0").status()));
  std::string other = AddEvent("bld_1", "credit");
  EXPECT_TRUE(absl::IsNotFound(desk_.Get(other).status()));
}

TEST_F(DeadLetterDeskTest, ADeadLetterRemovedByRetentionIsNotFound) {
  std::string id = AddEvent("bld_1");
  AddEvent("bld_2");
  reader_.Truncate(kDlq, 1);
  EXPECT_TRUE(absl::IsNotFound(desk_.Get(id).status()));
}

TEST_F(DeadLetterDeskTest, ReplayPublishesTheOriginalRecordToItsTopicUnchanged) {
  Envelope event = Event("bld_1");
  std::string id = AddLetter("bld_1", SerializeEnvelope(event));
  clock_.Advance(absl::Minutes(5));
  absl::StatusOr<dlv1::ReplayDeadLetterResponse> r = desk_.Replay(id, "u-admin");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dead_letter_id(), id);
  EXPECT_EQ(r->entry().state(), dlv1::DEAD_LETTER_STATE_REPLAYED);
  EXPECT_EQ(r->entry().acted_by(), "u-admin");
  EXPECT_EQ(r->entry().acted_at().seconds(), absl::ToUnixSeconds(clock_.Now()));
  std::vector<Message> sent = producer_.messages(kTopic);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].key, "bld_1");
  EXPECT_EQ(sent[0].value, SerializeEnvelope(event));  // same event id: consumers dedupe
  EXPECT_EQ(sent[0].headers.size(), 1u);               // the trace context goes along
  EXPECT_EQ(desk_.Get(id)->entry().state(), dlv1::DEAD_LETTER_STATE_REPLAYED);
}

TEST_F(DeadLetterDeskTest, ASecondReplayIsRefusedSayingWhoReplayedItAndPublishesNothing) {
  std::string id = AddEvent("bld_1");
  ASSERT_TRUE(desk_.Replay(id, "u-first").ok());
  absl::Status s = desk_.Replay(id, "u-second").status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("replayed by u-first"));
  EXPECT_EQ(producer_.messages(kTopic).size(), 1u);
}

TEST_F(DeadLetterDeskTest, AReplayTheBrokerDidNotAcknowledgeLeavesTheDeadLetterPending) {
  std::string id = AddEvent("bld_1");
  producer_.FailNext(1, absl::DeadlineExceededError("broker down"));
  absl::Status s = desk_.Replay(id, "u-admin").status();
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_EQ(desk_.Get(id)->entry().state(), dlv1::DEAD_LETTER_STATE_PENDING);
  EXPECT_TRUE(desk_.Replay(id, "u-admin").ok());
}

TEST_F(DeadLetterDeskTest, ARecordThatIsNoEventCannotBeReplayedButCanBeDropped) {
  std::string id = AddLetter("bld_1", "not an envelope");
  absl::Status s = desk_.Replay(id, "u-admin").status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("drop it"));
  EXPECT_TRUE(producer_.messages().empty());
  EXPECT_TRUE(desk_.Drop(id, "garbage from a test client", "u-admin").ok());
}

TEST_F(DeadLetterDeskTest, ARecordTooLargeToCarryIsShownWhereItIsAndCannotBeReplayed) {
  DeadLetter letter;
  letter.set_topic(kTopic);
  letter.set_partition(4);
  letter.set_offset(812);
  letter.set_key("bld_1");
  letter.set_omitted_value_bytes(1'048'000);
  letter.set_reason("INVALID_ARGUMENT: not an envelope");
  letter.set_consumer_group(kGroup);
  DlqRecord r;
  r.value = letter.SerializeAsString();
  std::string id = DeadLetterId(kDlq, reader_.Append(kDlq, r));
  absl::StatusOr<dlv1::DeadLetterDetail> d = desk_.Get(id);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->entry().omitted_value_bytes(), 1'048'000);
  EXPECT_THAT(d->decode_error(), HasSubstr("partition 4 offset 812"));
  absl::Status s = desk_.Replay(id, "u-admin").status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("too large"));
  EXPECT_TRUE(producer_.messages().empty());
}

TEST_F(DeadLetterDeskTest, DropNeedsAReasonAndMarksTheDeadLetterDroppedForGood) {
  std::string id = AddEvent("bld_1");
  absl::Status s = desk_.Drop(id, "", "u-admin").status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("reason"));
  EXPECT_THAT(desk_.Drop(id, std::string(1001, 'x'), "u-admin").status().message(),
              HasSubstr("reason"));
  absl::StatusOr<dlv1::DropDeadLetterResponse> d = desk_.Drop(id, "building demolished", "u-a");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->entry().state(), dlv1::DEAD_LETTER_STATE_DROPPED);
  EXPECT_EQ(d->entry().drop_reason(), "building demolished");
  EXPECT_TRUE(absl::IsFailedPrecondition(desk_.Drop(id, "again", "u-b").status()));
  absl::Status replay = desk_.Replay(id, "u-b").status();
  EXPECT_TRUE(absl::IsFailedPrecondition(replay));
  EXPECT_THAT(replay.message(), HasSubstr("dropped by u-a"));
  EXPECT_TRUE(producer_.messages().empty());
  // Nothing is deleted: the record is still there to show.
  EXPECT_EQ(desk_.Get(id)->entry().state(), dlv1::DEAD_LETTER_STATE_DROPPED);
}

TEST_F(DeadLetterDeskTest, AReplayedDeadLetterCannotBeDropped) {
  std::string id = AddEvent("bld_1");
  ASSERT_TRUE(desk_.Replay(id, "u-admin").ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(desk_.Drop(id, "too late", "u-admin").status()));
}

// Reads through to another reader (one the test keeps), for factories to hand out.
class ReaderOf final : public DlqReader {
 public:
  explicit ReaderOf(DlqReader* reader) : reader_(reader) {}
  absl::StatusOr<std::vector<DlqRecord>> Read(const std::string& dlq_topic, int64_t from_offset,
                                              int max) override {
    return reader_->Read(dlq_topic, from_offset, max);
  }

 private:
  DlqReader* reader_;
};

TEST(LazyDlqReaderTest, MakesTheReaderOnTheFirstReadAndOnlyOnce) {
  FakeDlqReader records;
  records.Append(kDlq, DlqRecord{.key = "bld_1"});
  int made = 0;
  LazyDlqReader lazy([&]() -> absl::StatusOr<std::unique_ptr<DlqReader>> {
    ++made;
    return std::make_unique<ReaderOf>(&records);
  });
  EXPECT_EQ(made, 0);  // nothing made before a read needs it
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::vector<DlqRecord>> r = lazy.Read(kDlq, 0, 10);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].key, "bld_1");
  }
  EXPECT_EQ(made, 1);
}

TEST(LazyDlqReaderTest, ReadsArrivingTogetherMakeOneReader) {
  FakeDlqReader records;
  std::atomic<int> made = 0;
  LazyDlqReader lazy([&]() -> absl::StatusOr<std::unique_ptr<DlqReader>> {
    ++made;
    absl::SleepFor(absl::Milliseconds(20));  // a slow start: the other reads arrive meanwhile
    return std::make_unique<ReaderOf>(&records);
  });
  std::atomic<int> ok = 0;
  std::vector<std::thread> readers;
  for (int i = 0; i < 8; ++i) {
    readers.emplace_back([&] {
      if (lazy.Read(kDlq, 0, 10).ok()) ++ok;
    });
  }
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(made, 1);
}

TEST(LazyDlqReaderTest, AFailedCreationIsUnavailableToThatReadAndTriedAgainOnTheNext) {
  FakeDlqReader records;
  int made = 0;
  LazyDlqReader lazy([&]() -> absl::StatusOr<std::unique_ptr<DlqReader>> {
    if (++made == 1) return absl::InvalidArgumentError("ssl.ca.location: No such file");
    return std::make_unique<ReaderOf>(&records);
  });
  absl::StatusOr<std::vector<DlqRecord>> first = lazy.Read(kDlq, 0, 10);
  EXPECT_TRUE(absl::IsUnavailable(first.status())) << first.status();
  EXPECT_THAT(first.status().message(), HasSubstr("ssl.ca.location: No such file"));
  EXPECT_EQ(made, 1);
  absl::StatusOr<std::vector<DlqRecord>> second = lazy.Read(kDlq, 0, 10);
  EXPECT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(made, 2);
  EXPECT_TRUE(lazy.Read(kDlq, 0, 10).ok());
  EXPECT_EQ(made, 2);
}

TEST_F(DeadLetterDeskTest, AReaderThatCannotBeMadeIsTheCallersUnavailableUntilItCanBe) {
  std::string a = AddEvent("bld_1");
  absl::Status cannot = absl::InvalidArgumentError("dead-letter reader: no broker configured");
  LazyDlqReader lazy([&]() -> absl::StatusOr<std::unique_ptr<DlqReader>> {
    if (!cannot.ok()) return cannot;
    return std::make_unique<ReaderOf>(&reader_);
  });
  DeadLetterDesk desk(&lazy, &producer_, &states_,
                      DeadLetterDeskOptions{.groups_by_topic = {{kTopic, {kGroup}}}}, &clock_);
  dlv1::ListDeadLettersRequest req;
  req.set_topic(kTopic);
  absl::StatusOr<dlv1::ListDeadLettersResponse> failed = desk.List(req);
  EXPECT_TRUE(absl::IsUnavailable(failed.status())) << failed.status();
  EXPECT_THAT(failed.status().message(), HasSubstr("no broker configured"));
  absl::Status shown = desk.Get(a).status();
  EXPECT_TRUE(absl::IsUnavailable(shown)) << shown;
  EXPECT_THAT(shown.message(), HasSubstr("no broker configured"));

  cannot = absl::OkStatus();
  absl::StatusOr<dlv1::ListDeadLettersResponse> listed = desk.List(req);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(Ids(*listed), ElementsAre(a));
}

TEST(DeadLetterIdTest, RoundTrips) {
  absl::StatusOr<std::pair<std::string, int64_t>> p =
      ParseDeadLetterId(DeadLetterId("firegrid.hazards.events.v1.dlq", 12));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->first, "firegrid.hazards.events.v1.dlq");
  EXPECT_EQ(p->second, 12);
}

}  // namespace
}  // namespace firegrid::events
