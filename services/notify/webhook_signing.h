#pragma once

// How webhook bodies are signed: X-Firegrid-Signature: sha256=<lowercase hex HMAC-SHA256(secret,
// raw body bytes)>. Receivers verify it as webhooks.h describes.

#include <string>

#include "absl/strings/string_view.h"

namespace firegrid::notify {

// Lowercase hex HMAC-SHA256(key, data) (OpenSSL).
std::string HmacSha256Hex(absl::string_view key, absl::string_view data);
// The X-Firegrid-Signature value for a body: "sha256=" + HmacSha256Hex(secret, body).
std::string WebhookSignature(absl::string_view secret, absl::string_view body);

}  // namespace firegrid::notify
