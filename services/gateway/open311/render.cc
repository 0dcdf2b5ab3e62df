#include "services/gateway/open311/render.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace firegrid::gateway::open311 {
namespace {

using Json = nlohmann::ordered_json;

constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence at s[i], or 0 when it is not one (overlong forms,
// surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  // U+FFFE and U+FFFF are not XML characters either.
  if (cp == 0xFFFE || cp == 0xFFFF) return 0;
  return n;
}

std::string ItemName(absl::string_view container) {
  if (container == "service_requests") return "request";
  if (container == "services") return "service";
  if (container == "attributes") return "attribute";
  if (container == "values") return "value";
  if (container == "errors") return "error";
  return "item";
}

void AppendXml(std::string* out, absl::string_view name, const Json& v) {
  if (v.is_null()) {
    absl::StrAppend(out, "<", name, "/>");
    return;
  }
  absl::StrAppend(out, "<", name, ">");
  if (v.is_object()) {
    for (const auto& [key, child] : v.items()) AppendXml(out, key, child);
  } else if (v.is_array()) {
    const std::string item = ItemName(name);
    for (const auto& child : v) AppendXml(out, item, child);
  } else if (v.is_string()) {
    out->append(XmlEscape(v.get_ref<const std::string&>()));
  } else {
    out->append(v.dump());
  }
  absl::StrAppend(out, "</", name, ">");
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string XmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    switch (c) {
      case '&':
        out += "&amp;";
        ++i;
        continue;
      case '<':
        out += "&lt;";
        ++i;
        continue;
      case '>':
        out += "&gt;";
        ++i;
        continue;
      case '"':
        out += "&quot;";
        ++i;
        continue;
      case '\'':
        out += "&apos;";
        ++i;
        continue;
      default:
        break;
    }
    const auto u = static_cast<uint8_t>(c);
    if (u < 0x20) {
      if (c == '\t' || c == '\n' || c == '\r') out += c;
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      absl::StrAppend(&out, kReplacement);
      ++i;
      continue;
    }
    absl::StrAppend(&out, text.substr(i, n));
    i += n;
  }
  return out;
}

std::string ToXml(absl::string_view root, const Json& value) {
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";
  AppendXml(&out, root, value);
  return out;
}

std::string ToJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

HttpResponse Render(Format format, int status, absl::string_view xml_root, const Json& value) {
  if (format == Format::kXml) {
    return HttpResponse::Make(status, "text/xml; charset=utf-8", ToXml(xml_root, value));
  }
  return HttpResponse::Make(status, "application/json; charset=utf-8", ToJson(value));
}

HttpResponse ErrorResponse(Format format, int status, absl::string_view description) {
  Json error = Json::object();
  error["code"] = status;
  error["description"] = std::string(description);
  Json errors = Json::array();
  errors.push_back(std::move(error));
  return Render(format, status, "errors", errors);
}

}  // namespace firegrid::gateway::open311
