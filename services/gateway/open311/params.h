#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace firegrid::gateway::open311 {

// A request's parameters, by name, in the order received.
using Params = std::multimap<std::string, std::string>;

// An application/x-www-form-urlencoded body ('+' is a space, %XX escapes). INVALID_ARGUMENT
// naming "body" for a malformed escape.
absl::StatusOr<Params> ParseForm(absl::string_view body);

// A JSON object body with the same parameter names: string, number or boolean values; an
// "attribute" object stands for attribute[<code>] parameters. INVALID_ARGUMENT naming the
// member otherwise.
absl::StatusOr<Params> ParseJsonBody(absl::string_view body);

// A W3C date and time (ISO 8601 profile, as GeoReport v2 uses): "2026-12-01T08:30:00+08:00",
// "...Z", with optional fractions of a second, or a date alone ("2026-12-01", midnight in
// China Standard Time). INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<absl::Time> ParseW3cDateTime(absl::string_view text, absl::string_view field);

// "2026-12-01T08:30:00+08:00": China Standard Time, whole seconds.
std::string FormatW3cDateTime(absl::Time t);

}  // namespace firegrid::gateway::open311
