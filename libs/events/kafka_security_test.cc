// A secured Kafka's settings: what they become for librdkafka, what is refused naming the
// option, and that a producer runs with them (read back from the running client; the dev
// broker speaks plaintext, so the pass-through is what can be proved here).
#include "libs/events/kafka_security.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/events/producer.h"
#include "tests/support/self_signed_certificate.h"
#include "tests/support/temp_dir.h"

namespace firegrid::events {
namespace {

using ::testing::HasSubstr;
using Props = std::map<std::string, std::string>;

TEST(KafkaSecurity, PlaintextGivesNoProperties) {
  auto none = KafkaSecurityProperties({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto plain = KafkaSecurityProperties({.protocol = "PLAINTEXT"});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, (Props{{"security.protocol", "plaintext"}}));
}

TEST(KafkaSecurity, ScramOverTlsBecomesLibrdkafkaProperties) {
  testing::TempDir dir;
  const std::string ca = dir.path() + "/ca.pem";
  ASSERT_TRUE(testing::WriteSelfSignedCertificate(ca, dir.path() + "/ca.key").ok());
  auto props = KafkaSecurityProperties({.protocol = "sasl_ssl",
                                        .sasl_mechanism = "scram-sha-512",
                                        .sasl_username = "hazards",
                                        .sasl_password = "s3cret",
                                        .ssl_ca_file = ca});
  ASSERT_TRUE(props.ok()) << props.status();
  EXPECT_EQ(*props, (Props{{"security.protocol", "sasl_ssl"},
                           {"sasl.mechanisms", "SCRAM-SHA-512"},
                           {"sasl.username", "hazards"},
                           {"sasl.password", "s3cret"},
                           {"ssl.ca.location", ca}}));
}

TEST(KafkaSecurity, TlsClientCertificatesGoWithTheirKey) {
  testing::TempDir dir;
  const std::string cert = dir.path() + "/client.pem";
  const std::string key = dir.path() + "/client.key";
  ASSERT_TRUE(testing::WriteSelfSignedCertificate(cert, key).ok());
  auto props = KafkaSecurityProperties(
      {.protocol = "ssl", .ssl_ca_file = cert, .ssl_cert_file = cert, .ssl_key_file = key});
  ASSERT_TRUE(props.ok()) << props.status();
  EXPECT_EQ(props->at("ssl.certificate.location"), cert);
  EXPECT_EQ(props->at("ssl.key.location"), key);
  EXPECT_THAT(
      KafkaSecurityProperties({.protocol = "ssl", .ssl_cert_file = cert}).status().message(),
      HasSubstr("give both or neither"));
}

TEST(KafkaSecurity, InconsistentSettingsAreRefusedNamingTheOption) {
  auto message = [](const KafkaSecurityOptions& o) {
    auto p = KafkaSecurityProperties(o);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(p.status().message());
  };
  EXPECT_THAT(message({.protocol = "tls"}), HasSubstr("kafka-security-protocol: tls"));
  EXPECT_THAT(message({.protocol = "sasl_ssl", .sasl_username = "u", .sasl_password = "p"}),
              HasSubstr("kafka-sasl-mechanism"));
  EXPECT_THAT(message({.protocol = "sasl_ssl",
                       .sasl_mechanism = "GSSAPI",
                       .sasl_username = "u",
                       .sasl_password = "p"}),
              HasSubstr("kafka-sasl-mechanism: GSSAPI"));
  EXPECT_THAT(
      message({.protocol = "sasl_plaintext", .sasl_mechanism = "PLAIN", .sasl_password = "p"}),
      HasSubstr("kafka-sasl-username"));
  EXPECT_THAT(
      message({.protocol = "sasl_plaintext", .sasl_mechanism = "PLAIN", .sasl_username = "u"}),
      HasSubstr("kafka-sasl-password"));
  EXPECT_THAT(message({.protocol = "ssl", .sasl_username = "u"}), HasSubstr("kafka-sasl-*"));
  EXPECT_THAT(message({.ssl_ca_file = "/etc/hostname"}), HasSubstr("kafka-ssl-*-file"));
  EXPECT_THAT(message({.protocol = "ssl", .ssl_ca_file = "/nonexistent/ca.pem"}),
              HasSubstr("kafka-ssl-ca-file: cannot read /nonexistent/ca.pem"));
}

// The settings reach the client: librdkafka accepted each one (an unknown value fails
// Create) and the running producer reports them. Its broker address is a closed loopback port.
TEST(KafkaSecurity, AProducerRunsWithTheSecuritySettingsItWasGiven) {
  testing::TempDir dir;
  const std::string ca = dir.path() + "/ca.pem";
  ASSERT_TRUE(testing::WriteSelfSignedCertificate(ca, dir.path() + "/ca.key").ok());
  auto props = KafkaSecurityProperties({.protocol = "sasl_ssl",
                                        .sasl_mechanism = "SCRAM-SHA-256",
                                        .sasl_username = "notify",
                                        .sasl_password = "pw",
                                        .ssl_ca_file = ca});
  ASSERT_TRUE(props.ok()) << props.status();
  auto producer = KafkaProducer::Create({.bootstrap_servers = "127.0.0.1:1", .extra = *props});
  ASSERT_TRUE(producer.ok()) << producer.status();
  EXPECT_EQ((*producer)->Property("security.protocol"), "sasl_ssl");
  EXPECT_EQ((*producer)->Property("sasl.mechanisms"), "SCRAM-SHA-256");
  EXPECT_EQ((*producer)->Property("sasl.username"), "notify");
  EXPECT_EQ((*producer)->Property("ssl.ca.location"), ca);
}

}  // namespace
}  // namespace firegrid::events
