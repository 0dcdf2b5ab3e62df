#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace firegrid::ctl {

// One flag a command accepts. Flags are written `--name=value` or `--name value`; boolean flags
// `--name` (true) or `--name=true|false`; repeated flags may be given several times.
struct FlagSpec {
  enum class Kind { kValue, kBool, kRepeated };
  std::string name;  // without the leading dashes
  Kind kind = Kind::kValue;
  std::string help;  // e.g. "P  tier path prefix"
};

inline FlagSpec ValueFlag(std::string name, std::string help) {
  return {std::move(name), FlagSpec::Kind::kValue, std::move(help)};
}
inline FlagSpec BoolFlag(std::string name, std::string help) {
  return {std::move(name), FlagSpec::Kind::kBool, std::move(help)};
}
inline FlagSpec RepeatedFlag(std::string name, std::string help) {
  return {std::move(name), FlagSpec::Kind::kRepeated, std::move(help)};
}

// The flags and positional arguments of one command line, with typed accessors whose errors
// name the flag ("--height: not a number: \"abc\"").
class ParsedArgs {
 public:
  const std::vector<std::string>& positionals() const { return positionals_; }

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // The last value of a flag, if given.
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  // Every value of a (repeated) flag, in order.
  std::vector<std::string> GetAll(const std::string& name) const;
  // A value flag that must be present: INVALID_ARGUMENT "missing --name".
  absl::StatusOr<std::string> Require(const std::string& name) const;

  // Typed values; an absent flag yields `fallback`.
  absl::StatusOr<bool> GetBool(const std::string& name, bool fallback = false) const;
  absl::StatusOr<double> GetDouble(const std::string& name, double fallback) const;
  absl::StatusOr<int64_t> GetInt(const std::string& name, int64_t fallback) const;
  absl::StatusOr<absl::Duration> GetDuration(const std::string& name,
                                             absl::Duration fallback) const;
  // Typed values of flags that must be present.
  absl::StatusOr<double> RequireDouble(const std::string& name) const;
  absl::StatusOr<int64_t> RequireInt(const std::string& name) const;

  void AddPositional(std::string value) { positionals_.push_back(std::move(value)); }
  void AddValue(const std::string& name, std::string value) {
    values_[name].push_back(std::move(value));
  }

 private:
  std::vector<std::string> positionals_;
  std::map<std::string, std::vector<std::string>> values_;
};

// Parses `args` against `specs`. "--" ends flag parsing; a lone "-" is a positional.
// INVALID_ARGUMENT for an unknown flag, a value flag without value, a repeated single flag
// or a malformed boolean.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& specs);

// A usage error: a flag missing, malformed or out of place. INVALID_ARGUMENT marked so that
// RunCli exits 2 and prints the command's usage (errors from the server exit 1). The accessors
// of ParsedArgs return these.
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);

// Number and boolean parsing shared with the commands ("yes"/"no", "1"/"0", "true"/"false").
absl::StatusOr<double> ParseDouble(absl::string_view text);
absl::StatusOr<int64_t> ParseInt(absl::string_view text);
absl::StatusOr<bool> ParseBool(absl::string_view text);
// Go-style durations as absl::ParseDuration takes them ("90s", "12h", "1h30m").
absl::StatusOr<absl::Duration> ParseDurationText(absl::string_view text);

}  // namespace firegrid::ctl
