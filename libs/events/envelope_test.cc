#include "libs/events/envelope.h"

#include "google/protobuf/util/time_util.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "libs/common/trace.h"

namespace firegrid::events {
namespace {

using google::protobuf::Int64Value;
using google::protobuf::StringValue;

StringValue Payload(const std::string& s) {
  StringValue v;
  v.set_value(s);
  return v;
}

TEST(Envelope, NewEnvelopeFillsEveryFieldAndRoundTripsThroughBytes) {
  SequentialIdGenerator ids;
  absl::Time now = absl::FromUnixMillis(1'700'000'000'123);
  Envelope e = NewEnvelope(Payload("hello"), "buildings", "bld_1", "110105001", now, ids,
                           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  EXPECT_EQ(e.event_id(), "evt_0001");
  EXPECT_EQ(e.type(), "google.protobuf.StringValue");
  EXPECT_EQ(e.producer(), "buildings");
  EXPECT_EQ(e.building_id(), "bld_1");
  EXPECT_EQ(e.tier_path(), "110105001");
  EXPECT_EQ(e.trace().traceparent(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  EXPECT_EQ(google::protobuf::util::TimeUtil::TimestampToMilliseconds(e.time()), 1'700'000'000'123);

  absl::StatusOr<Envelope> parsed = ParseEnvelope(SerializeEnvelope(e));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->SerializeAsString(), e.SerializeAsString());
  absl::StatusOr<StringValue> payload = Unpack<StringValue>(*parsed);
  ASSERT_TRUE(payload.ok()) << payload.status();
  EXPECT_EQ(payload->value(), "hello");
}

TEST(Envelope, NewEnvelopeTakesTheCurrentTraceContextByDefault) {
  google::protobuf::StringValue payload;
  SequentialIdGenerator ids;
  EXPECT_FALSE(NewEnvelope(payload, "p", "b", "1", absl::Now(), ids).has_trace());
  trace::Context c = trace::ContinueOrStart(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "congo=t61rcWkgMzE");
  trace::Scope scope(c);
  Envelope e = NewEnvelope(payload, "p", "b", "1", absl::Now(), ids);
  EXPECT_EQ(e.trace().traceparent(), trace::FormatTraceparent(c));
  EXPECT_EQ(e.trace().tracestate(), "congo=t61rcWkgMzE");
  // An explicit traceparent wins.
  EXPECT_EQ(NewEnvelope(payload, "p", "b", "1", absl::Now(), ids, "explicit").trace().traceparent(),
            "explicit");
}

TEST(Envelope, EachEnvelopeGetsANewEventId) {
  SequentialIdGenerator ids;
  Envelope a = NewEnvelope(Payload("a"), "p", "b", "t", absl::UnixEpoch(), ids);
  Envelope b = NewEnvelope(Payload("a"), "p", "b", "t", absl::UnixEpoch(), ids);
  EXPECT_NE(a.event_id(), b.event_id());
  EXPECT_FALSE(a.has_trace());
}

TEST(Envelope, UnpackAsTheWrongTypeIsInvalidArgument) {
  SequentialIdGenerator ids;
  Envelope e = NewEnvelope(Payload("x"), "p", "b", "t", absl::UnixEpoch(), ids);
  absl::StatusOr<Int64Value> wrong = Unpack<Int64Value>(e);
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Envelope, UnpackOfCorruptPayloadBytesIsInvalidArgument) {
  SequentialIdGenerator ids;
  Envelope e = NewEnvelope(Payload("x"), "p", "b", "t", absl::UnixEpoch(), ids);
  e.mutable_payload()->set_value("\xff\xff\xff");
  EXPECT_EQ(Unpack<StringValue>(e).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Envelope, ParseRejectsGarbageBytes) {
  EXPECT_EQ(ParseEnvelope("\xff\xff\xff\xff not protobuf").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEnvelope(std::string("\x0a\x05", 2)).status().code(),  // truncated field
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEnvelope("{\"event_id\":\"evt_1\"}").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Envelope, ParseRejectsEnvelopesWithoutEventIdOrType) {
  EXPECT_EQ(ParseEnvelope("").status().code(), absl::StatusCode::kInvalidArgument);
  Envelope no_type;
  no_type.set_event_id("evt_1");
  EXPECT_EQ(ParseEnvelope(SerializeEnvelope(no_type)).status().code(),
            absl::StatusCode::kInvalidArgument);
  Envelope no_id;
  no_id.set_type("google.protobuf.StringValue");
  EXPECT_EQ(ParseEnvelope(SerializeEnvelope(no_id)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Envelope, ParseRejectsTypeThatDisagreesWithPayload) {
  SequentialIdGenerator ids;
  Envelope e = NewEnvelope(Payload("x"), "p", "b", "t", absl::UnixEpoch(), ids);
  e.set_type("google.protobuf.Int64Value");
  EXPECT_EQ(ParseEnvelope(SerializeEnvelope(e)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace firegrid::events
