#pragma once

// One delivery attempt and what it means for the delivery: the HTTP POST (to the checked
// destination, signed, no redirects, the response body not read), and the retry schedule.

#include <string>

#include "absl/random/bit_gen_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/notify/v1/notify.pb.h"
#include "services/notify/webhook_config.h"

namespace firegrid::notify {

// Delivery.state values.
inline constexpr char kDeliveryPending[] = "pending";
inline constexpr char kDeliveryDelivered[] = "delivered";
inline constexpr char kDeliveryFailed[] = "failed";

// What a registrant sees in Delivery.last_error when no HTTP response was received, whatever the
// reason (refused destination, DNS, connect, TLS, timeout): the reason itself goes to the log
// only, so that the delivery log cannot be used to probe the network.
inline constexpr char kNoResponseError[] =
    "no HTTP response from the endpoint (see the service log)";

// The wait after `failed_attempts` (>= 1) failed attempts: initial_backoff * 2^(n-1), at most
// max_backoff.
absl::Duration RetryBackoff(int failed_attempts, const WebhookOptions& options);

// The result of one POST: http_status 0 when no response was received; then `error` is what the
// registrant sees (kNoResponseError) and `detail` says why, for the log.
struct AttemptOutcome {
  int http_status = 0;
  std::string error;
  std::string detail;
};
// Counts an attempt made at `now` into `delivery`: 2xx → "delivered"; otherwise "pending" again
// with next_attempt_at = now + RetryBackoff(attempts), or "failed" once attempts reach
// max_attempts. next_attempt_at is cleared in the terminal states; updated_at = now.
void ApplyAttemptOutcome(const AttemptOutcome& outcome, absl::Time now,
                         const WebhookOptions& options, v1::Delivery* delivery);

// The traceparent header of a POST for a notification with `trace_id` (TraceIdOf): the same
// trace, a new span id (16 random lowercase hex digits), sampled. "" when trace_id is "".
std::string WebhookTraceparent(absl::string_view trace_id, absl::BitGenRef gen);

// Resolves and checks the destination (options.destination, options.resolver or the system's),
// then POSTs `body` to the checked address with the headers webhooks.h lists, within
// options.request_timeout per connect / write / read. Never throws.
AttemptOutcome SendWebhook(const WebhookUrl& url, const std::string& secret,
                           const std::string& delivery_id, const std::string& kind,
                           const std::string& body, const std::string& traceparent,
                           const WebhookOptions& options);

}  // namespace firegrid::notify
