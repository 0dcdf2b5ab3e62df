#include "libs/common/config.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "libs/common/version.h"

extern char** environ;

namespace firegrid {
namespace {
// The payload that marks the FAILED_PRECONDITION of `--help` (its message is the usage text).
constexpr char kHelpPayload[] = "type.firegrid.dev/config.help";
}  // namespace

ConfigBinder::ConfigBinder(std::string program) : program_(std::move(program)) {}

std::string ConfigBinder::EnvName(const std::string& flag) {
  return absl::StrCat("FIREGRID_", absl::AsciiStrToUpper(absl::StrReplaceAll(flag, {{"-", "_"}})));
}

ConfigBinder::Env ConfigBinder::ProcessEnv() {
  Env env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

bool ConfigBinder::IsHelp(const absl::Status& s) {
  return s.code() == absl::StatusCode::kFailedPrecondition &&
         s.GetPayload(kHelpPayload).has_value();
}

void ConfigBinder::String(const std::string& name, std::string* out, std::string def,
                          std::string help, std::function<absl::Status(const std::string&)> check) {
  options_.push_back(Option{name, std::move(help), absl::StrCat("\"", def, "\""),
                            [out, check](const std::string& v) -> absl::Status {
                              if (check) {
                                absl::Status s = check(v);
                                if (!s.ok()) return s;
                              }
                              *out = v;
                              return absl::OkStatus();
                            },
                            [out, def] { *out = def; }});
}

void ConfigBinder::Int(const std::string& name, int64_t* out, int64_t def, std::string help,
                       int64_t min, int64_t max) {
  options_.push_back(Option{name, std::move(help), absl::StrCat(def),
                            [out, min, max](const std::string& v) -> absl::Status {
                              int64_t x;
                              if (!absl::SimpleAtoi(v, &x))
                                return absl::InvalidArgumentError("not an integer");
                              if (x < min || x > max) {
                                return absl::InvalidArgumentError(
                                    absl::StrCat("must be in [", min, ", ", max, "]"));
                              }
                              *out = x;
                              return absl::OkStatus();
                            },
                            [out, def] { *out = def; }});
}

void ConfigBinder::Int(const std::string& name, int* out, int def, std::string help, int min,
                       int max) {
  options_.push_back(Option{name, std::move(help), absl::StrCat(def),
                            [out, min, max](const std::string& v) -> absl::Status {
                              int x;
                              if (!absl::SimpleAtoi(v, &x))
                                return absl::InvalidArgumentError("not an integer");
                              if (x < min || x > max) {
                                return absl::InvalidArgumentError(
                                    absl::StrCat("must be in [", min, ", ", max, "]"));
                              }
                              *out = x;
                              return absl::OkStatus();
                            },
                            [out, def] { *out = def; }});
}

void ConfigBinder::Bool(const std::string& name, bool* out, bool def, std::string help) {
  options_.push_back(Option{name, std::move(help), def ? "true" : "false",
                            [out](const std::string& v) -> absl::Status {
                              bool x;
                              if (!absl::SimpleAtob(v, &x))
                                return absl::InvalidArgumentError("not a boolean");
                              *out = x;
                              return absl::OkStatus();
                            },
                            [out, def] { *out = def; }});
}

void ConfigBinder::Duration(const std::string& name, absl::Duration* out, absl::Duration def,
                            std::string help, absl::Duration min, absl::Duration max) {
  options_.push_back(Option{
      name, std::move(help), absl::FormatDuration(def),
      [out, min, max](const std::string& v) -> absl::Status {
        absl::Duration d;
        if (!absl::ParseDuration(v, &d)) {
          return absl::InvalidArgumentError("not a duration (e.g. 500ms, 10s, 5m)");
        }
        if (d < min || d > max) {
          return absl::InvalidArgumentError(absl::StrCat("must be in [", absl::FormatDuration(min),
                                                         ", ", absl::FormatDuration(max), "]"));
        }
        *out = d;
        return absl::OkStatus();
      },
      [out, def] { *out = def; }});
}

absl::Status ConfigBinder::Parse(int argc, const char* const* argv, const Env& env) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return Parse(args, env);
}

absl::Status ConfigBinder::Parse(const std::vector<std::string>& args, const Env& env) {
  std::map<std::string, std::string> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      absl::Status help = absl::FailedPreconditionError(Usage());
      help.SetPayload(kHelpPayload, absl::Cord("1"));
      return help;
    }
    if (!absl::StartsWith(a, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", a, "'"));
    }
    std::string body = a.substr(2);
    std::string name, value;
    auto eq = body.find('=');
    if (eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
    } else {
      name = body;
      bool is_bool = false;
      for (const auto& o : options_) {
        if (o.name == name) is_bool = (o.def_text == "true" || o.def_text == "false");
      }
      if (is_bool && (i + 1 >= args.size() || absl::StartsWith(args[i + 1], "--"))) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      }
    }
    flags[name] = value;
  }
  for (const auto& [name, value] : flags) {
    bool known = false;
    for (const auto& o : options_) known = known || o.name == name;
    if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
  }
  for (const auto& o : options_) {
    o.set_default();
    std::string source;
    std::string value;
    if (auto f = flags.find(o.name); f != flags.end()) {
      source = absl::StrCat("--", o.name);
      value = f->second;
    } else if (auto e = env.find(EnvName(o.name)); e != env.end()) {
      source = EnvName(o.name);
      value = e->second;
    } else {
      continue;
    }
    absl::Status s = o.set(value);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config ", source, "='", value, "': ", s.message()));
    }
  }
  return absl::OkStatus();
}

std::string ConfigBinder::Usage() const {
  std::string out = absl::StrCat("usage: ", program_, " [--flag=value ...]\n");
  for (const auto& o : options_) {
    absl::StrAppend(&out, "  --", o.name, " (env ", EnvName(o.name), ", default ", o.def_text,
                    ")\n      ", o.help, "\n");
  }
  return out;
}

void ParseToolFlagsOrExit(ConfigBinder& binder, int argc, char** argv, absl::string_view program) {
  if (VersionRequested(argc, argv)) {
    std::printf("%s\n", VersionLine(program).c_str());
    std::exit(0);
  }
  absl::Status s = binder.Parse(argc, argv, ConfigBinder::ProcessEnv());
  if (ConfigBinder::IsHelp(s)) {
    std::printf("%s%s", std::string(s.message()).c_str(), kVersionFlagUsage);
    std::exit(0);
  }
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(s.message()).c_str());
    std::exit(2);
  }
}

}  // namespace firegrid
