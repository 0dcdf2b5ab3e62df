#pragma once

#include <string>

#include "absl/status/status.h"

namespace firegrid::testing {

// Writes a self-signed certificate for 127.0.0.1 (a P-256 key; subjectAltName IP:127.0.0.1,
// CA:TRUE, valid from an hour ago for two hours) and its private key as PEM files: a server
// certificate and the CA that verifies it, for tests of TLS on loopback.
absl::Status WriteSelfSignedCertificate(const std::string& cert_path, const std::string& key_path);

}  // namespace firegrid::testing
