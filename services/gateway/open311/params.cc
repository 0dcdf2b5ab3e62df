#include "services/gateway/open311/params.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/status.h"
#include "nlohmann/json.hpp"

namespace firegrid::gateway::open311 {
namespace {

absl::TimeZone ChinaStandardTime() { return absl::FixedTimeZone(8 * 60 * 60); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> FormDecode(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      const int hi = i + 1 < s.size() ? HexValue(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return InvalidField("body", "malformed percent-escape");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<Params> ParseForm(absl::string_view body) {
  Params params;
  for (absl::string_view pair : absl::StrSplit(body, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    FG_ASSIGN_OR_RETURN(std::string key, FormDecode(kv.first));
    FG_ASSIGN_OR_RETURN(std::string value, FormDecode(kv.second));
    params.emplace(std::move(key), std::move(value));
  }
  return params;
}

absl::StatusOr<Params> ParseJsonBody(absl::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidField("body", "must be a JSON object");
  Params params;
  auto scalar = [](const nlohmann::json& v, std::string* out) {
    if (v.is_string()) {
      *out = v.get<std::string>();
    } else if (v.is_number() || v.is_boolean()) {
      *out = v.dump();
    } else {
      return false;
    }
    return true;
  };
  for (const auto& [key, value] : j.items()) {
    if (value.is_null()) continue;
    if (key == "attribute" && value.is_object()) {
      for (const auto& [code, v] : value.items()) {
        std::string text;
        const std::string name = absl::StrCat("attribute[", code, "]");
        if (!scalar(v, &text)) return InvalidField(name, "must be a string or a number");
        params.emplace(name, std::move(text));
      }
      continue;
    }
    std::string text;
    if (!scalar(value, &text)) return InvalidField(key, "must be a string or a number");
    params.emplace(key, std::move(text));
  }
  return params;
}

absl::StatusOr<absl::Time> ParseW3cDateTime(absl::string_view text, absl::string_view field) {
  const std::string s(absl::StripAsciiWhitespace(text));
  absl::Time t;
  std::string err;
  if (s.size() == 10 && absl::ParseTime("%Y-%m-%d", s, ChinaStandardTime(), &t, &err)) return t;
  if (s.size() >= 20 && s[10] == 'T' && absl::ParseTime(absl::RFC3339_full, s, &t, &err)) {
    return t;
  }
  return InvalidField(field,
                      "must be a W3C date and time, e.g. 2026-12-01T08:30:00+08:00 or 2026-12-01");
}

std::string FormatW3cDateTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", t, ChinaStandardTime());
}

}  // namespace firegrid::gateway::open311
