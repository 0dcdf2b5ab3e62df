#include "libs/server/runtime.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/self_signed_certificate.h"

namespace firegrid::server {
namespace {

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/runtime-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    key_ = dir_ + "/jwt.key";
    std::ofstream(key_) << "runtime-test-key-with-at-least-32-bytes\n";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  RuntimeConfig Config(std::vector<std::string> extra = {}) {
    RuntimeConfig c;
    ConfigBinder b("test");
    BindRuntimeConfig(b, &c, 0, 0);
    std::vector<std::string> args = {"--grpc-address=127.0.0.1:0", "--metrics-address=127.0.0.1:0",
                                     "--kafka-bootstrap=127.0.0.1:1",
                                     "--jwt-hs256-key-file=" + key_, "--jwt-allow-hs256"};
    args.insert(args.end(), extra.begin(), extra.end());
    EXPECT_TRUE(b.Parse(args, {}).ok());
    return c;
  }

  std::string dir_, key_;
};

TEST_F(RuntimeTest, BuildsFromValidConfigWithoutReachingTheBrokerOrRedis) {
  auto rt = Runtime::Create("svc", Config(), "t");
  ASSERT_TRUE(rt.ok()) << rt.status();
  EXPECT_TRUE((*rt)->host().metrics().Render().find("firegrid_outbox_backlog") !=
              std::string::npos);
}

// Several members of one group in a replica are consumers created together (they connect when
// served); the consumer metrics and the health check are registered once for all of them, so a
// second group can still be added.
TEST_F(RuntimeTest, AGroupMayHaveSeveralMembersInOneReplicaButNotNone) {
  auto rt = Runtime::Create("svc", Config({"--kafka-group-instance-id=pod-0"}), "t");
  ASSERT_TRUE(rt.ok()) << rt.status();
  auto handler = [](const events::Envelope&) { return absl::OkStatus(); };
  EXPECT_EQ((*rt)->AddConsumer("g0", {"topic-a"}, handler, 0).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE((*rt)->AddConsumer("g1", {"topic-a", "topic-b"}, handler, 3).ok());
  ASSERT_TRUE((*rt)->AddConsumer("g2", {"topic-a"}, handler).ok());
  const std::string metrics = (*rt)->host().metrics().Render();
  EXPECT_NE(metrics.find("firegrid_events_dead_lettered_total"), std::string::npos);
}

TEST_F(RuntimeTest, ServeRefusesToStartWhileTheKeyspaceIsNotPrepared) {
  auto rt = Runtime::Create("svc", Config(), "t");
  ASSERT_TRUE(rt.ok()) << rt.status();
  // Without PrepareKeyspace the runtime never starts its host (nothing would read a keyspace
  // whose layout was not checked): Serve returns at once instead of blocking until a signal.
  EXPECT_EQ((*rt)->Serve(), 1);
}

TEST_F(RuntimeTest, OnlyServicesWithLargeRequestMethodsAcceptMoreThanTheFlagsLimit) {
  RuntimeConfig c = Config();
  EXPECT_EQ(c.grpc_max_receive_message_bytes, kDefaultMaxReceiveMessageBytes);
  EXPECT_EQ(kDefaultMaxReceiveMessageBytes, 1 << 20);
  EXPECT_EQ(MaxReceiveMessageBytes("hazards", 1 << 20), 1 << 20);
  EXPECT_EQ(MaxReceiveMessageBytes("gateway", 1 << 20), 1 << 20);
  // The unary CSV imports: their field's limit plus 64 KiB for the rest of the message.
  EXPECT_EQ(MaxReceiveMessageBytes("buildings", 1 << 20), (4 << 20) + (64 << 10));
  EXPECT_EQ(MaxReceiveMessageBytes("monitoring", 1 << 20), (8 << 20) + (64 << 10));
  // A flag above a method's own limit wins.
  EXPECT_EQ(MaxReceiveMessageBytes("buildings", 16 << 20), 16 << 20);
}

TEST_F(RuntimeTest, TheRateLimitStoreIsRedisOrLocal) {
  RuntimeConfig c;
  ConfigBinder b("test");
  BindRuntimeConfig(b, &c, 0, 0);
  EXPECT_TRUE(b.Parse({}, {}).ok());
  EXPECT_EQ(c.rate_limit_store, "redis");
  absl::Status s = b.Parse({"--rate-limit-store=memcached"}, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("rate-limit-store"));
  auto rt = Runtime::Create("svc", Config({"--rate-limit-store=local"}), "t");
  ASSERT_TRUE(rt.ok()) << rt.status();
  EXPECT_NE((*rt)->limiter(), nullptr);
  EXPECT_EQ((*rt)->host().metrics().Render().find("firegrid_rate_limit_store_failures_total"),
            std::string::npos);
  auto shared = Runtime::Create("svc", Config(), "t");
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_NE((*shared)->host().metrics().Render().find("firegrid_rate_limit_store_failures_total"),
            std::string::npos);
}

TEST_F(RuntimeTest, BrokerIsADependencyWithItsOwnHealthNotAReadinessCheck) {
  auto rt = Runtime::Create("svc", Config({"--redis-addr=127.0.0.1:1"}), "t");
  ASSERT_TRUE(rt.ok()) << rt.status();
  ServiceHost& host = (*rt)->host();
  ASSERT_TRUE(host.Start().ok());
  // The first round ran inside Start(): nothing listens on port 1 for either.
  const std::string text = host.metrics().Render();
  EXPECT_NE(text.find("firegrid_dependency_up{dependency=\"kafka\"} 0"), std::string::npos) << text;
  EXPECT_EQ(text.find("firegrid_readiness_check_ok{check=\"kafka\"}"), std::string::npos) << text;
  EXPECT_NE(text.find("firegrid_readiness_check_ok{check=\"redis\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE firegrid_outbox_oldest_age_seconds gauge"), std::string::npos)
      << text;
  EXPECT_EQ(kKafkaHealthName, "firegrid.kafka");
  host.Shutdown();
  host.Wait();
}

TEST_F(RuntimeTest, AServiceTokenMintedWithTheDevelopmentKeyVerifiesAsTheServiceItself) {
  RuntimeConfig c = Config();
  auto token = NewServiceToken(c, "gateway", "", RealClock::Get());
  ASSERT_TRUE(token.ok()) << token.status();
  auto rt = Runtime::Create("svc", c, "t");
  ASSERT_TRUE(rt.ok()) << rt.status();
  auto current = (*token)->Current();
  ASSERT_TRUE(current.ok()) << current.status();
  auto principal = (*rt)->verifier().Verify(*current, absl::Now());
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "service:gateway");
  EXPECT_EQ(principal->role, auth::Role::kInternalService);
}

TEST_F(RuntimeTest, AServiceTokenNeedsATokenFileOrAReadableKey) {
  RuntimeConfig c = Config();
  c.jwt_hs256_key_file.clear();
  EXPECT_EQ(NewServiceToken(c, "gateway", "", RealClock::Get()).status().code(),
            absl::StatusCode::kInvalidArgument);
  c.jwt_hs256_key_file = dir_ + "/missing.key";
  auto s = NewServiceToken(c, "gateway", "", RealClock::Get()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--jwt-hs256-key-file"), std::string::npos) << s;
}

TEST_F(RuntimeTest, RefusesTheHs256KeyUnlessTheLocalStackFlagAllowsIt) {
  RuntimeConfig c = Config();
  c.jwt_allow_hs256 = false;
  auto s = Runtime::Create("svc", c, "t").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--jwt-allow-hs256"), std::string::npos) << s;
  // Nor may a service mint its own token with it.
  s = NewServiceToken(c, "gateway", "", RealClock::Get()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--jwt-hs256-key-file"), std::string::npos) << s;
  // With the flag both work (the local stack).
  c.jwt_allow_hs256 = true;
  EXPECT_TRUE(Runtime::Create("svc", c, "t").ok());
  EXPECT_TRUE(NewServiceToken(c, "gateway", "", RealClock::Get()).ok());
}

TEST_F(RuntimeTest, RefusesUnusableKeysAndTlsCombinations) {
  RuntimeConfig c = Config();
  c.jwt_hs256_key_file = dir_ + "/missing.key";
  EXPECT_EQ(Runtime::Create("svc", c, "t").status().code(), absl::StatusCode::kInvalidArgument);
  c = Config({"--tls-cert-file=" + key_});
  auto s = Runtime::Create("svc", c, "t").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--tls-key-file"), std::string::npos) << s;
  c = Config({"--tls-client-ca-file=" + key_});
  s = Runtime::Create("svc", c, "t").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--tls-client-ca-file"), std::string::npos) << s;
  c = Config({"--tls-cert-file=" + dir_ + "/none.pem", "--tls-key-file=" + dir_ + "/none.key"});
  EXPECT_EQ(Runtime::Create("svc", c, "t").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RuntimeTest, TokensLongerLivedThanTheMaximumLifetimeAreRefused) {
  RuntimeConfig defaults = Config();
  EXPECT_EQ(defaults.jwt_max_lifetime, absl::Hours(24));
  auto signer = auth::TokenSigner::Hs256("runtime-test-key-with-at-least-32-bytes");
  ASSERT_TRUE(signer.ok());
  auth::Principal p{.subject = "u", .role = auth::Role::kDistrictAdmin, .tier_path = "500109"};
  const absl::Time now = absl::Now();
  const std::string day = *(*signer)->Sign(p, now, absl::Hours(24));
  const std::string two_days = *(*signer)->Sign(p, now, absl::Hours(48));
  auto rt = Runtime::Create("svc", defaults, "t");
  ASSERT_TRUE(rt.ok()) << rt.status();
  EXPECT_TRUE((*rt)->verifier().Verify(day, now).ok());
  EXPECT_EQ((*rt)->verifier().Verify(two_days, now).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto longer = Runtime::Create("svc", Config({"--jwt-max-lifetime=72h"}), "t");
  ASSERT_TRUE(longer.ok()) << longer.status();
  EXPECT_TRUE((*longer)->verifier().Verify(two_days, now).ok());
}

// Development HS256 tokens and the accounts service's RS256 tokens on one service.
TEST_F(RuntimeTest, VerifiesHs256AndRs256TokensWhenBothKeyFilesAreGiven) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
  ASSERT_NE(key, nullptr);
  auto pem = [&](bool is_private) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (is_private) {
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_bio_PUBKEY(bio.get(), key.get());
    }
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
  };
  const std::string public_file = dir_ + "/rs256.pub.pem";
  std::ofstream(public_file) << pem(false);
  auto rt = Runtime::Create("svc", Config({"--jwt-rs256-public-key-file=" + public_file}), "t");
  ASSERT_TRUE(rt.ok()) << rt.status();

  auth::Principal p{.subject = "u", .role = auth::Role::kDistrictAdmin, .tier_path = "500109"};
  const absl::Time now = absl::Now();
  auto hs = auth::TokenSigner::Hs256("runtime-test-key-with-at-least-32-bytes");
  auto rs = auth::TokenSigner::Rs256(pem(true), "k1");
  ASSERT_TRUE(hs.ok() && rs.ok());
  EXPECT_TRUE((*rt)->verifier().Verify(*(*hs)->Sign(p, now, absl::Hours(1)), now).ok());
  EXPECT_TRUE((*rt)->verifier().Verify(*(*rs)->Sign(p, now, absl::Hours(1)), now).ok());
}

// An identity provider's key set: a token is verified with the key its kid names; a file that
// is not a key set stops the start naming the flag.
TEST_F(RuntimeTest, VerifiesTokensWithTheKeyOfAJwksFileAndRefusesABadFile) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  ASSERT_NE(key, nullptr);
  unsigned char point[65];
  size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point,
                                            sizeof(point), &len),
            1);
  ASSERT_EQ(len, 65u);
  auto b64 = [](const unsigned char* p, size_t n) {
    return absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(p), n));
  };
  const std::string jwks_file = dir_ + "/jwks.json";
  std::ofstream(jwks_file) << absl::StrCat(
      R"({"keys":[{"kty":"EC","crv":"P-256","kid":"ec1","x":")", b64(point + 1, 32), R"(","y":")",
      b64(point + 33, 32), R"("}]})");
  auto rt = Runtime::Create("svc", Config({"--jwt-jwks-file=" + jwks_file}), "t");
  ASSERT_TRUE(rt.ok()) << rt.status();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  auto es = auth::TokenSigner::Es256(std::string(data, static_cast<size_t>(n)), "ec1");
  ASSERT_TRUE(es.ok()) << es.status();
  auth::Principal p{.subject = "u", .role = auth::Role::kDistrictAdmin, .tier_path = "500109"};
  const absl::Time now = absl::Now();
  EXPECT_TRUE((*rt)->verifier().Verify(*(*es)->Sign(p, now, absl::Hours(1)), now).ok());

  const std::string bad_file = dir_ + "/not-a-key-set.json";
  std::ofstream(bad_file) << R"({"keys": "none"})";
  auto bad = Runtime::Create("svc", Config({"--jwt-jwks-file=" + bad_file}), "t");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("--jwt-jwks-file"));
}

// A secured Kafka's flags reach the service's producer (what librdkafka runs with), the SASL
// password from its file; inconsistent ones stop the start naming the flag.
TEST_F(RuntimeTest, KafkaSecurityFlagsReachTheProducerAndBadOnesAreRefused) {
  const std::string ca = dir_ + "/kafka-ca.pem";
  ASSERT_TRUE(testing::WriteSelfSignedCertificate(ca, dir_ + "/kafka-ca.key").ok());
  const std::string password_file = dir_ + "/kafka-password";
  std::ofstream(password_file) << "scram-secret\n";
  auto rt = Runtime::Create(
      "svc",
      Config({"--kafka-security-protocol=sasl_ssl", "--kafka-sasl-mechanism=SCRAM-SHA-512",
              "--kafka-sasl-username=hazards", "--kafka-sasl-password-file=" + password_file,
              "--kafka-ssl-ca-file=" + ca}),
      "t");
  ASSERT_TRUE(rt.ok()) << rt.status();
  EXPECT_EQ((*rt)->producer().Property("security.protocol"), "sasl_ssl");
  EXPECT_EQ((*rt)->producer().Property("sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ((*rt)->producer().Property("sasl.username"), "hazards");
  EXPECT_EQ((*rt)->producer().Property("sasl.password"), "scram-secret");
  EXPECT_EQ((*rt)->producer().Property("ssl.ca.location"), ca);

  auto bad = Runtime::Create("svc", Config({"--kafka-security-protocol=sasl_ssl"}), "t");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("--kafka-sasl-mechanism"));
}

TEST_F(RuntimeTest, TheRedisPasswordComesFromItsFileAndAUserNeedsOne) {
  const std::string password_file = dir_ + "/redis-password";
  std::ofstream(password_file) << "redis-secret\n";
  auto rt = Runtime::Create(
      "svc", Config({"--redis-user=fg-svc", "--redis-password-file=" + password_file}), "t");
  ASSERT_TRUE(rt.ok()) << rt.status();
  EXPECT_EQ((*rt)->redis().options().user, "fg-svc");
  EXPECT_EQ((*rt)->redis().options().password, "redis-secret");
  auto no_password = Runtime::Create("svc", Config({"--redis-user=fg-svc"}), "t");
  EXPECT_THAT(std::string(no_password.status().message()),
              ::testing::HasSubstr("--redis-user needs --redis-password-file"));
}

TEST_F(RuntimeTest, RedisSentinelAndWaitFlagsReachThePool) {
  auto rt = Runtime::Create("svc",
                            Config({"--redis-sentinels=127.0.0.1:26379, 127.0.0.1:26380",
                                    "--redis-master-name=fg-hazards", "--redis-wait-replicas=1",
                                    "--redis-wait-timeout=250ms"}),
                            "t");
  ASSERT_TRUE(rt.ok()) << rt.status();
  const redis::PoolOptions& o = (*rt)->redis().options();
  EXPECT_EQ(o.sentinels, (std::vector<std::string>{"127.0.0.1:26379", "127.0.0.1:26380"}));
  EXPECT_EQ(o.master_name, "fg-hazards");
  EXPECT_EQ(o.wait_replicas, 1);
  EXPECT_EQ(o.wait_timeout, absl::Milliseconds(250));
  auto unnamed = Runtime::Create("svc", Config({"--redis-sentinels=127.0.0.1:26379"}), "t");
  EXPECT_THAT(std::string(unnamed.status().message()),
              ::testing::HasSubstr("--redis-sentinels needs --redis-master-name"));
}

TEST_F(RuntimeTest, RateLimitsAndTheFailedAuthenticationThrottleAreOnByDefault) {
  RuntimeConfig c = Config();
  EXPECT_EQ(c.rate_limit, 100);
  EXPECT_EQ(c.rate_limit_burst, 500);
  EXPECT_EQ(c.auth_failure_limit, 30);
  EXPECT_EQ(c.auth_failure_window, absl::Minutes(1));
  RuntimeConfig off = Config({"--rate-limit=0", "--auth-failure-limit=0"});
  EXPECT_EQ(off.rate_limit, 0);
  EXPECT_EQ(off.auth_failure_limit, 0);
}

TEST_F(RuntimeTest, AdmissionControlIsOnByDefaultAndExportsItsMetrics) {
  RuntimeConfig c = Config();
  EXPECT_EQ(c.max_in_flight, kDefaultMaxInFlight);
  EXPECT_EQ(kDefaultMaxInFlight, 64);
  EXPECT_EQ(Config({"--max-in-flight=0"}).max_in_flight, 0);
  auto rt = Runtime::Create("svc", c, "t");
  ASSERT_TRUE(rt.ok()) << rt.status();
  const std::string text = (*rt)->host().metrics().Render();
  EXPECT_NE(text.find("firegrid_grpc_calls_in_flight 0"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE firegrid_grpc_overload_refused_total counter"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace firegrid::server
