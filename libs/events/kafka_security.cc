#include "libs/events/kafka_security.h"

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace firegrid::events {
namespace {

absl::Status Readable(const std::string& path, const char* option) {
  if (path.empty()) return absl::OkStatus();
  if (!std::ifstream(path, std::ios::binary)) {
    return absl::InvalidArgumentError(absl::StrCat(option, ": cannot read ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> KafkaSecurityProperties(
    const KafkaSecurityOptions& o) {
  const std::string protocol = absl::AsciiStrToLower(o.protocol);
  if (!protocol.empty() && protocol != "plaintext" && protocol != "ssl" &&
      protocol != "sasl_plaintext" && protocol != "sasl_ssl") {
    return absl::InvalidArgumentError(
        absl::StrCat("kafka-security-protocol: ", o.protocol,
                     " is not one of plaintext, ssl, sasl_plaintext, sasl_ssl"));
  }
  const bool sasl = protocol == "sasl_plaintext" || protocol == "sasl_ssl";
  const bool tls = protocol == "ssl" || protocol == "sasl_ssl";
  std::map<std::string, std::string> props;
  if (!protocol.empty()) props["security.protocol"] = protocol;
  if (sasl) {
    const std::string mechanism = absl::AsciiStrToUpper(o.sasl_mechanism);
    if (mechanism != "SCRAM-SHA-512" && mechanism != "SCRAM-SHA-256" && mechanism != "PLAIN") {
      return absl::InvalidArgumentError(absl::StrCat(
          "kafka-sasl-mechanism: ", o.sasl_mechanism.empty() ? "(none)" : o.sasl_mechanism,
          " is not one of SCRAM-SHA-512, SCRAM-SHA-256, PLAIN"));
    }
    if (o.sasl_username.empty()) {
      return absl::InvalidArgumentError("kafka-sasl-username: required with " + protocol);
    }
    if (o.sasl_password.empty()) {
      return absl::InvalidArgumentError("kafka-sasl-password: required with " + protocol);
    }
    props["sasl.mechanisms"] = mechanism;
    props["sasl.username"] = o.sasl_username;
    props["sasl.password"] = o.sasl_password;
  } else if (!o.sasl_mechanism.empty() || !o.sasl_username.empty() || !o.sasl_password.empty()) {
    return absl::InvalidArgumentError(
        "kafka-sasl-*: given, but the security protocol is not sasl_plaintext or sasl_ssl");
  }
  const bool any_tls_file =
      !o.ssl_ca_file.empty() || !o.ssl_cert_file.empty() || !o.ssl_key_file.empty();
  if (any_tls_file && !tls) {
    return absl::InvalidArgumentError(
        "kafka-ssl-*-file: given, but the security protocol is not ssl or sasl_ssl");
  }
  if (o.ssl_cert_file.empty() != o.ssl_key_file.empty()) {
    return absl::InvalidArgumentError(
        "kafka-ssl-cert-file and kafka-ssl-key-file: give both or neither");
  }
  if (absl::Status s = Readable(o.ssl_ca_file, "kafka-ssl-ca-file"); !s.ok()) return s;
  if (absl::Status s = Readable(o.ssl_cert_file, "kafka-ssl-cert-file"); !s.ok()) return s;
  if (absl::Status s = Readable(o.ssl_key_file, "kafka-ssl-key-file"); !s.ok()) return s;
  if (!o.ssl_ca_file.empty()) props["ssl.ca.location"] = o.ssl_ca_file;
  if (!o.ssl_cert_file.empty()) {
    props["ssl.certificate.location"] = o.ssl_cert_file;
    props["ssl.key.location"] = o.ssl_key_file;
  }
  return props;
}

}  // namespace firegrid::events
