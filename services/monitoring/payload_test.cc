#include "services/monitoring/payload.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace firegrid::monitoring {
namespace {

v1::Signal MakeSignal(const std::string& device, uint64_t seq) {
  v1::Signal s;
  s.set_device_id(device);
  s.set_boot_epoch(3);
  s.set_sequence(seq);
  s.mutable_device_time()->set_seconds(1'700'000'000);
  s.mutable_state()->set_fault(true);
  auto* a = s.add_analog();
  a->set_quantity(v1::QUANTITY_PRESSURE_MPA);
  a->set_value(0.12);
  return s;
}

TEST(PayloadTest, DecodesABinarySignalOnADeviceTopic) {
  DecodedMessage m =
      DecodeMqttMessage("fg/v1/d/dev-001/signal", MakeSignal("dev-001", 7).SerializeAsString());
  ASSERT_EQ(m.error, "");
  EXPECT_EQ(m.source.kind, SignalSource::Kind::kDeviceTopic);
  EXPECT_EQ(m.source.id, "dev-001");
  ASSERT_EQ(m.signals.size(), 1u);
  EXPECT_EQ(m.signals[0].sequence(), 7u);
  EXPECT_TRUE(m.signals[0].state().fault());
  EXPECT_DOUBLE_EQ(m.signals[0].analog(0).value(), 0.12);
}

TEST(PayloadTest, ASignalWithoutDeviceIdOnADeviceTopicIsAboutThatDevice) {
  v1::Signal s = MakeSignal("", 1);
  DecodedMessage m = DecodeMqttMessage("fg/v1/d/dev-001/signal", s.SerializeAsString());
  ASSERT_EQ(m.error, "");
  EXPECT_EQ(m.signals[0].device_id(), "dev-001");
}

TEST(PayloadTest, ASignalNamingAnotherDeviceKeepsItsIdForTheIngestorToRefuse) {
  DecodedMessage m =
      DecodeMqttMessage("fg/v1/d/dev-001/signal", MakeSignal("dev-002", 1).SerializeAsString());
  ASSERT_EQ(m.error, "");
  EXPECT_EQ(m.source.id, "dev-001");
  EXPECT_EQ(m.signals[0].device_id(), "dev-002");
}

TEST(PayloadTest, DecodesJsonWithLeadingSpacesEnumNamesAndUnknownFields) {
  DecodedMessage m = DecodeMqttMessage(
      "fg/v1/d/dev-001/signal",
      "  \n{\"deviceId\":\"dev-001\",\"bootEpoch\":\"2\",\"sequence\":5,"
      "\"deviceTime\":\"2026-12-06T08:00:00Z\",\"state\":{\"fireAlarm\":true},"
      "\"analog\":[{\"quantity\":\"QUANTITY_LEVEL_M\",\"value\":1.5}],\"firmware\":\"x\"}");
  ASSERT_EQ(m.error, "");
  ASSERT_EQ(m.signals.size(), 1u);
  EXPECT_EQ(m.signals[0].boot_epoch(), 2u);
  EXPECT_EQ(m.signals[0].sequence(), 5u);
  EXPECT_TRUE(m.signals[0].state().fire_alarm());
  EXPECT_EQ(m.signals[0].analog(0).quantity(), v1::QUANTITY_LEVEL_M);
}

TEST(PayloadTest, DecodesAGatewayBatchInBinaryAndJson) {
  v1::SignalBatch batch;
  *batch.add_signals() = MakeSignal("dev-001", 1);
  *batch.add_signals() = MakeSignal("dev-002", 9);
  DecodedMessage m = DecodeMqttMessage("fg/v1/g/gw-01/signals", batch.SerializeAsString());
  ASSERT_EQ(m.error, "");
  EXPECT_EQ(m.source.kind, SignalSource::Kind::kGatewayTopic);
  EXPECT_EQ(m.source.id, "gw-01");
  ASSERT_EQ(m.signals.size(), 2u);
  EXPECT_EQ(m.signals[1].device_id(), "dev-002");

  DecodedMessage j = DecodeMqttMessage(
      "fg/v1/g/gw-01/signals",
      "{\"signals\":[{\"deviceId\":\"dev-003\",\"sequence\":1},{\"deviceId\":\"dev-004\"}]}");
  ASSERT_EQ(j.error, "");
  ASSERT_EQ(j.signals.size(), 2u);
  EXPECT_EQ(j.signals[0].device_id(), "dev-003");
}

struct TopicCase {
  std::string name;
  std::string topic;
};

class MalformedTopicTest : public testing::TestWithParam<TopicCase> {};

TEST_P(MalformedTopicTest, IsRefusedAsMalformedTopic) {
  DecodedMessage m =
      DecodeMqttMessage(GetParam().topic, MakeSignal("dev-001", 1).SerializeAsString());
  EXPECT_EQ(m.error, "malformed_topic");
  EXPECT_TRUE(m.signals.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Topics, MalformedTopicTest,
    testing::Values(TopicCase{"Empty", ""}, TopicCase{"OtherRoot", "xx/v1/d/dev-001/signal"},
                    TopicCase{"OtherVersion", "fg/v2/d/dev-001/signal"},
                    TopicCase{"DeviceWithGatewaySuffix", "fg/v1/d/dev-001/signals"},
                    TopicCase{"GatewayWithDeviceSuffix", "fg/v1/g/gw-01/signal"},
                    TopicCase{"ExtraLevel", "fg/v1/d/dev-001/signal/x"},
                    TopicCase{"MissingId", "fg/v1/d//signal"},
                    TopicCase{"ShortId", "fg/v1/d/ab/signal"},
                    TopicCase{"LongId", "fg/v1/d/" + std::string(65, 'a') + "/signal"},
                    TopicCase{"IdWithSpace", "fg/v1/d/dev 1/signal"},
                    TopicCase{"IdWithPlus", "fg/v1/d/dev+1/signal"},
                    TopicCase{"IdNonAscii", "fg/v1/d/设备001/signal"},
                    TopicCase{"LeadingSlash", "/fg/v1/d/dev-001/signal"}),
    [](const testing::TestParamInfo<TopicCase>& info) { return info.param.name; });

TEST(PayloadTest, APayloadOverTheLimitIsTooLargeAndKeepsTheSource) {
  std::string big(kMaxPayloadBytes + 1, 'x');
  DecodedMessage m = DecodeMqttMessage("fg/v1/g/gw-01/signals", big);
  EXPECT_EQ(m.error, "too_large");
  EXPECT_EQ(m.source.id, "gw-01");
}

TEST(PayloadTest, ABatchOfMoreThanAThousandSignalsIsTooLarge) {
  v1::SignalBatch batch;
  for (int i = 0; i < kMaxSignalsPerMessage + 1; ++i) batch.add_signals()->set_sequence(i + 1);
  ASSERT_LE(batch.ByteSizeLong(), kMaxPayloadBytes);
  EXPECT_EQ(DecodeMqttMessage("fg/v1/g/gw-01/signals", batch.SerializeAsString()).error,
            "too_large");
  batch.mutable_signals()->RemoveLast();
  EXPECT_EQ(DecodeMqttMessage("fg/v1/g/gw-01/signals", batch.SerializeAsString()).error, "");
}

TEST(PayloadTest, BrokenJsonAndBrokenProtobufAreMalformedPayload) {
  EXPECT_EQ(DecodeMqttMessage("fg/v1/d/dev-001/signal", "{\"deviceId\":").error,
            "malformed_payload");
  EXPECT_EQ(DecodeMqttMessage("fg/v1/d/dev-001/signal", "{\"sequence\":\"minus one\"}").error,
            "malformed_payload");
  // Field 3 (sequence) as a varint that never ends.
  EXPECT_EQ(DecodeMqttMessage("fg/v1/d/dev-001/signal", std::string("\x18\xff\xff", 3)).error,
            "malformed_payload");
  EXPECT_EQ(DecodeMqttMessage("fg/v1/g/gw-01/signals", std::string("\x0a\x7f\x01", 3)).error,
            "malformed_payload");
}

TEST(PayloadTest, RandomGarbageNeverCrashesAndAlwaysYieldsAVerdict) {
  std::mt19937 rng(20261206);
  const std::string topics[] = {"fg/v1/d/dev-001/signal", "fg/v1/g/gw-01/signals"};
  v1::SignalBatch batch;
  for (int i = 0; i < 5; ++i) *batch.add_signals() = MakeSignal("dev-00" + std::to_string(i), i);
  const std::string valid = batch.SerializeAsString();
  int decoded = 0, refused = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string payload;
    if (i % 2 == 0) {
      payload.resize(rng() % 512);
      for (char& c : payload) c = static_cast<char>(rng() & 0xff);
      if (i % 10 == 0 && !payload.empty()) payload[0] = '{';
    } else {
      payload = valid;  // a valid batch with a few bytes flipped or cut
      for (int k = 0; k < 3; ++k) payload[rng() % payload.size()] ^= (1 << (rng() % 8));
      if (i % 3 == 0) payload.resize(rng() % payload.size());
    }
    DecodedMessage m = DecodeMqttMessage(topics[i % 2], payload);
    if (m.error.empty()) {
      ++decoded;
    } else {
      EXPECT_EQ(m.error, "malformed_payload");
      EXPECT_TRUE(m.signals.empty());
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_EQ(decoded + refused, 5000);
}

}  // namespace
}  // namespace firegrid::monitoring
