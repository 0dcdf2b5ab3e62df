#include "tools/firegridctl/args.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace firegrid::ctl {
namespace {

constexpr char kUsagePayload[] = "type.firegrid.dev/ctl.usage";

absl::Status FlagError(const std::string& name, const absl::Status& s) {
  return UsageError(absl::StrCat("--", name, ": ", s.message()));
}

}  // namespace

absl::Status UsageError(absl::string_view message) {
  absl::Status s = absl::InvalidArgumentError(message);
  s.SetPayload(kUsagePayload, absl::Cord("1"));
  return s;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

absl::StatusOr<double> ParseDouble(absl::string_view text) {
  double v = 0;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(text), &v) || !std::isfinite(v)) {
    return absl::InvalidArgumentError(absl::StrCat("not a number: \"", text, "\""));
  }
  return v;
}

absl::StatusOr<int64_t> ParseInt(absl::string_view text) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &v)) {
    return absl::InvalidArgumentError(absl::StrCat("not an integer: \"", text, "\""));
  }
  return v;
}

absl::StatusOr<bool> ParseBool(absl::string_view text) {
  std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (t == "true" || t == "yes" || t == "1" || t == "y") return true;
  if (t == "false" || t == "no" || t == "0" || t == "n") return false;
  return absl::InvalidArgumentError(absl::StrCat("not a boolean (true/false): \"", text, "\""));
}

absl::StatusOr<absl::Duration> ParseDurationText(absl::string_view text) {
  absl::Duration d;
  if (!absl::ParseDuration(absl::StripAsciiWhitespace(text), &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a duration (e.g. 30s, 12h, 1h30m): \"", text, "\""));
  }
  return d;
}

std::optional<std::string> ParsedArgs::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ParsedArgs::GetOr(const std::string& name, const std::string& fallback) const {
  return Get(name).value_or(fallback);
}

std::vector<std::string> ParsedArgs::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return {};
  return it->second;
}

absl::StatusOr<std::string> ParsedArgs::Require(const std::string& name) const {
  std::optional<std::string> v = Get(name);
  if (!v.has_value()) return UsageError(absl::StrCat("missing --", name));
  return *v;
}

absl::StatusOr<bool> ParsedArgs::GetBool(const std::string& name, bool fallback) const {
  std::optional<std::string> v = Get(name);
  if (!v.has_value()) return fallback;
  absl::StatusOr<bool> b = ParseBool(*v);
  if (!b.ok()) return FlagError(name, b.status());
  return *b;
}

absl::StatusOr<double> ParsedArgs::GetDouble(const std::string& name, double fallback) const {
  std::optional<std::string> v = Get(name);
  if (!v.has_value()) return fallback;
  absl::StatusOr<double> d = ParseDouble(*v);
  if (!d.ok()) return FlagError(name, d.status());
  return *d;
}

absl::StatusOr<int64_t> ParsedArgs::GetInt(const std::string& name, int64_t fallback) const {
  std::optional<std::string> v = Get(name);
  if (!v.has_value()) return fallback;
  absl::StatusOr<int64_t> i = ParseInt(*v);
  if (!i.ok()) return FlagError(name, i.status());
  return *i;
}

absl::StatusOr<absl::Duration> ParsedArgs::GetDuration(const std::string& name,
                                                       absl::Duration fallback) const {
  std::optional<std::string> v = Get(name);
  if (!v.has_value()) return fallback;
  absl::StatusOr<absl::Duration> d = ParseDurationText(*v);
  if (!d.ok()) return FlagError(name, d.status());
  return *d;
}

absl::StatusOr<double> ParsedArgs::RequireDouble(const std::string& name) const {
  if (!Has(name)) return UsageError(absl::StrCat("missing --", name));
  return GetDouble(name, 0);
}

absl::StatusOr<int64_t> ParsedArgs::RequireInt(const std::string& name) const {
  if (!Has(name)) return UsageError(absl::StrCat("missing --", name));
  return GetInt(name, 0);
}

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& specs) {
  ParsedArgs out;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      out.AddPositional(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    absl::string_view body = arg;
    if (!absl::ConsumePrefix(&body, "--")) absl::ConsumePrefix(&body, "-");
    std::string name(body);
    std::optional<std::string> inline_value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      return UsageError(absl::StrCat("unknown flag --", name));
    }
    if (spec->kind == FlagSpec::Kind::kBool) {
      std::string value = inline_value.value_or("true");
      absl::StatusOr<bool> b = ParseBool(value);
      if (!b.ok()) return FlagError(name, b.status());
      out.AddValue(name, *b ? "true" : "false");
      continue;
    }
    if (!inline_value.has_value()) {
      if (i + 1 >= args.size()) {
        return UsageError(absl::StrCat("--", name, " needs a value"));
      }
      inline_value = args[++i];
    }
    if (spec->kind == FlagSpec::Kind::kValue && out.Has(name)) {
      return UsageError(absl::StrCat("--", name, " given more than once"));
    }
    out.AddValue(name, *inline_value);
  }
  return out;
}

}  // namespace firegrid::ctl
