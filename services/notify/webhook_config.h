#pragma once

// A webhook's configuration: the module's options, the checks a webhook must pass to be set
// (org unit code, URL, destination literal, secret) and who may manage it.

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/notify/v1/notify.pb.h"
#include "libs/auth/principal.h"
#include "services/notify/webhook_destination.h"

namespace firegrid::notify {


// Whether an org unit is registered; webhooks are accepted only for registered org units
// (webhook_store.h has the one the service uses).
using OrgUnitRegistry = std::function<absl::StatusOr<bool>(const std::string& org_unit)>;

struct WebhookOptions {
  // Attempts per delivery before it is "failed".
  int max_attempts = 8;
  // Wait after the first failed attempt; doubles after each further failure, up to max_backoff.
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
  // Connect, write and read timeouts of one attempt (each; whole seconds and microseconds).
  absl::Duration request_timeout = absl::Seconds(3);
  // Attempts run concurrently on this many threads.
  int workers = 4;
  // Deliveries kept in each org unit's log (ListDeliveries).
  int log_size = 200;
  // Whether http:// URLs are accepted (https:// always is): local runs and tests only
  // (`--webhook-allow-http`).
  bool allow_http = false;
  // Where POSTs may go (see webhook_destination.h); loopback only for local runs and tests
  // (`--webhook-allow-loopback`).
  DestinationPolicy destination;
  // Resolves webhook host names; SystemResolver() when unset. Tests inject their own.
  Resolver resolver;
  // The org units a webhook may be set for (the service passes RedisOrgUnitRegistry). Unset:
  // any well-formed org unit code (tests of the other rules).
  OrgUnitRegistry org_units;
  // Called after each recorded attempt with the delivery as it is after it (e.g. for metrics).
  std::function<void(const v1::Delivery&)> on_attempt;
};

// A webhook URL split for the HTTP client.
struct WebhookUrl {
  bool https = false;
  std::string host;  // without brackets for an IPv6 literal
  int port = 0;      // 80 / 443 when the URL has none
  std::string path;  // path and query; "/" when the URL has none
};
// INVALID_ARGUMENT "<field>: ..." unless `url` is http:// (only when allow_http) or https:// with
// a host, an optional port 1..65535, no user info, no fragment, no spaces or control characters,
// and at most 2048 bytes.
absl::StatusOr<WebhookUrl> ParseWebhookUrl(absl::string_view url, bool allow_http,
                                           absl::string_view field = "webhook.url");

// Who may manage an org unit's webhook and read its deliveries: a district admin any org unit
// whose code starts with its tier path (its streets, communities and departments
// "<district>.<slug>"); a department officer "<tier path>.<department>"; a street officer or
// community worker the org unit equal to its tier path. Anyone else: PERMISSION_DENIED.
absl::Status AuthorizeWebhookOrgUnit(const auth::Principal& principal, absl::string_view org_unit);

// INVALID_ARGUMENT "<field>: ..." unless `org_unit` is an org unit code: [0-9A-Za-z._-], at
// most 128 bytes.
absl::Status ValidateOrgUnit(absl::string_view org_unit, absl::string_view field);

// The checks of a webhook to be set, beyond its org unit: the URL (ParseWebhookUrl with
// options.allow_http), a host written as an IP literal allowed by options.destination, and a
// secret of 16..1024 bytes. INVALID_ARGUMENT "webhook.<field>: ..." otherwise.
absl::Status ValidateWebhook(const v1::Webhook& webhook, const WebhookOptions& options);

}  // namespace firegrid::notify
