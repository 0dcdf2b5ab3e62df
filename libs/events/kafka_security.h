#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace firegrid::events {

// How a service reaches a secured Kafka (e.g. Strimzi's TLS listener with a KafkaUser of SCRAM
// or TLS authentication): passed through to librdkafka as its security properties, for the
// producer and every consumer of the service alike. The dev broker speaks plaintext and ignores
// none of this: leave it empty locally.
struct KafkaSecurityOptions {
  // "" (plaintext), "plaintext", "ssl", "sasl_plaintext" or "sasl_ssl" (security.protocol).
  std::string protocol;
  // SASL (sasl_plaintext, sasl_ssl): "SCRAM-SHA-512", "SCRAM-SHA-256" or "PLAIN", with a user
  // and its password (read from a secret file by the caller).
  std::string sasl_mechanism;
  std::string sasl_username;
  std::string sasl_password;
  // TLS (ssl, sasl_ssl): the CA that signed the brokers' certificates (else the system's), and
  // for TLS client authentication a certificate with its key (PEM files).
  std::string ssl_ca_file;
  std::string ssl_cert_file;
  std::string ssl_key_file;
};

// The librdkafka properties for `options` (empty for plaintext). INVALID_ARGUMENT naming the
// option as its flag is named (kafka-sasl-username, ...) for an unknown protocol or mechanism, SASL
// without mechanism, user or password, TLS files with a protocol without TLS, a certificate without
// its key or the other way round, or a file that cannot be read.
absl::StatusOr<std::map<std::string, std::string>> KafkaSecurityProperties(
    const KafkaSecurityOptions& options);

}  // namespace firegrid::events
