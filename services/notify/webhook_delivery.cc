#include "services/notify/webhook_delivery.h"

#include <algorithm>
#include <memory>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "httplib.h"
#include "services/notify/webhook_signing.h"

namespace firegrid::notify {
namespace {

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(t));
}

void SetTimeouts(httplib::ClientImpl& client, absl::Duration timeout) {
  const int64_t us = std::max<int64_t>(absl::ToInt64Microseconds(timeout), 1000);
  const time_t sec = static_cast<time_t>(us / 1'000'000);
  const time_t usec = static_cast<time_t>(us % 1'000'000);
  client.set_connection_timeout(sec, usec);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);
}

// POSTs to `address` (already checked) for `url`.
AttemptOutcome Post(const WebhookUrl& url, const IpAddress& address, const std::string& secret,
                    const std::string& delivery_id, const std::string& kind,
                    const std::string& body, const std::string& traceparent,
                    absl::Duration request_timeout) {
  AttemptOutcome outcome;
  outcome.error = kNoResponseError;
  try {
    std::unique_ptr<httplib::ClientImpl> client;
    if (url.https) {
      client = std::make_unique<httplib::SSLClient>(url.host, url.port);
    } else {
      client = std::make_unique<httplib::ClientImpl>(url.host, url.port);
    }
    if (!client->is_valid()) {
      outcome.detail = "TLS client could not be initialised";
      return outcome;
    }
    // Connect to the address that was checked, not to a second lookup of the name (the name
    // still goes into Host, SNI and the certificate check).
    client->set_hostname_addr_map({{url.host, address.ToString()}});
    SetTimeouts(*client, request_timeout);
    client->set_follow_location(false);
    client->set_keep_alive(false);

    httplib::Request req;
    req.method = "POST";
    req.path = url.path;
    req.headers = {{"Content-Type", "application/json"},
                   {"User-Agent", "firegrid-notify-webhooks/1"},
                   {"X-Firegrid-Delivery", delivery_id},
                   {"X-Firegrid-Event", kind},
                   {"X-Firegrid-Signature", WebhookSignature(secret, body)}};
    if (!traceparent.empty()) req.headers.emplace("traceparent", traceparent);
    req.body = body;
    // The status line and headers are all we need: stop before the body, so that a large or
    // endless response body cannot hold a worker.
    int status = 0;
    req.response_handler = [&status](const httplib::Response& res) {
      status = res.status;
      return false;
    };
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    client->send(req, res, error);
    if (status > 0) {
      outcome.http_status = status;
      outcome.error.clear();
    } else {
      outcome.detail = absl::StrCat("transport: ", httplib::to_string(error));
    }
  } catch (const std::exception& e) {
    outcome.http_status = 0;
    outcome.detail = absl::StrCat("transport: ", e.what());
  }
  return outcome;
}

}  // namespace

absl::Duration RetryBackoff(int failed_attempts, const WebhookOptions& options) {
  absl::Duration d = options.initial_backoff;
  for (int i = 1; i < failed_attempts && d < options.max_backoff; ++i) d *= 2;
  return std::min(d, options.max_backoff);
}

void ApplyAttemptOutcome(const AttemptOutcome& outcome, absl::Time now,
                         const WebhookOptions& options, v1::Delivery* delivery) {
  delivery->set_attempts(delivery->attempts() + 1);
  delivery->set_last_http_status(outcome.http_status);
  *delivery->mutable_updated_at() = ToProto(now);
  if (outcome.http_status >= 200 && outcome.http_status < 300) {
    delivery->set_state(kDeliveryDelivered);
    delivery->clear_last_error();
    delivery->clear_next_attempt_at();
    return;
  }
  delivery->set_last_error(outcome.http_status != 0 ? absl::StrCat("HTTP ", outcome.http_status)
                                                    : outcome.error);
  if (delivery->attempts() >= options.max_attempts) {
    delivery->set_state(kDeliveryFailed);
    delivery->clear_next_attempt_at();
    return;
  }
  delivery->set_state(kDeliveryPending);
  *delivery->mutable_next_attempt_at() = ToProto(now + RetryBackoff(delivery->attempts(), options));
}

AttemptOutcome SendWebhook(const WebhookUrl& url, const std::string& secret,
                           const std::string& delivery_id, const std::string& kind,
                           const std::string& body, const std::string& traceparent,
                           const WebhookOptions& options) {
  absl::StatusOr<IpAddress> address = ResolveDestination(
      url.host, options.destination, options.resolver ? options.resolver : SystemResolver());
  if (!address.ok()) {
    AttemptOutcome refused;
    refused.error = kNoResponseError;
    refused.detail = absl::StrCat("destination: ", address.status().message());
    return refused;
  }
  return Post(url, *address, secret, delivery_id, kind, body, traceparent, options.request_timeout);
}

std::string WebhookTraceparent(absl::string_view trace_id, absl::BitGenRef gen) {
  if (trace_id.empty()) return "";
  uint64_t span = 0;
  while (span == 0) span = absl::Uniform<uint64_t>(gen);  // an all-zero span id is invalid
  return absl::StrCat("00-", trace_id, "-", absl::Hex(span, absl::kZeroPad16), "-01");
}

}  // namespace firegrid::notify
