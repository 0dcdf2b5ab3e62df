#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "services/gateway/http.h"

namespace firegrid::gateway::open311 {

// The two formats of GeoReport v2: every response is built once as an ordered JSON value and
// written as JSON or as XML from it.
enum class Format { kJson, kXml };

// XML 1.0 text: &, <, >, " and ' escaped; control characters XML cannot hold (below U+0020 but
// tab, newline, carriage return) dropped; invalid UTF-8 replaced by U+FFFD.
std::string XmlEscape(absl::string_view text);

// True when `text` is UTF-8 of XML characters (no surrogates, U+FFFE or U+FFFF).
bool IsValidUtf8(absl::string_view text);

// `value` as an XML document: <?xml version="1.0" encoding="utf-8"?> then the element `root`.
// An object's members become child elements in order (keys are our own field names); an array
// becomes one child per item, named by ItemName(root or the array's key), e.g. "services" →
// "service", "service_requests" → "request", "attributes" → "attribute", "values" → "value",
// "errors" → "error"; null becomes an empty element; numbers and booleans as in JSON.
std::string ToXml(absl::string_view root, const nlohmann::ordered_json& value);

// `value` as JSON (invalid UTF-8 replaced by U+FFFD, never thrown).
std::string ToJson(const nlohmann::ordered_json& value);

// A 2xx response in `format`; `xml_root` names the XML document element.
HttpResponse Render(Format format, int status, absl::string_view xml_root,
                    const nlohmann::ordered_json& value);

// A GeoReport error: [{"code":<status>,"description":...}] or
// <errors><error><code>..</code><description>..</description></error></errors>, with that
// HTTP status.
HttpResponse ErrorResponse(Format format, int status, absl::string_view description);

}  // namespace firegrid::gateway::open311
