#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace firegrid {

// Typed configuration from command-line flags and the environment, validated at start-up.
//
//   struct Config { std::string redis; int port; absl::Duration drain; };
//   Config c;
//   ConfigBinder b("buildings");
//   b.String("redis-addr", &c.redis, "127.0.0.1:6379", "Redis host:port");
//   b.Int("grpc-port", &c.port, 50051, "gRPC listen port (0 picks a free one)", 0, 65535);
//   b.Duration("drain-timeout", &c.drain, absl::Seconds(10), "graceful drain on SIGTERM");
//   absl::Status s = b.Parse(argc, argv, ConfigBinder::ProcessEnv());
//
// Precedence: flag (--name=value or --name value) > environment (FIREGRID_NAME, dashes as
// underscores, upper case) > default. Unknown flags, malformed values and values outside their
// range are errors that name the flag and the variable; a service treats them as fatal.
class ConfigBinder {
 public:
  using Env = std::map<std::string, std::string>;

  explicit ConfigBinder(std::string program);

  void String(const std::string& name, std::string* out, std::string def, std::string help,
              std::function<absl::Status(const std::string&)> check = nullptr);
  void Int(const std::string& name, int64_t* out, int64_t def, std::string help,
           int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  void Int(const std::string& name, int* out, int def, std::string help, int min = INT32_MIN,
           int max = INT32_MAX);
  void Bool(const std::string& name, bool* out, bool def, std::string help);
  void Duration(const std::string& name, absl::Duration* out, absl::Duration def, std::string help,
                absl::Duration min = absl::ZeroDuration(),
                absl::Duration max = absl::InfiniteDuration());

  // Fills every bound field. On an error the fields hold their defaults or parsed values.
  // `--help` yields a FAILED_PRECONDITION whose message is Usage(); callers print it and exit 0.
  absl::Status Parse(int argc, const char* const* argv, const Env& env);
  absl::Status Parse(const std::vector<std::string>& args, const Env& env);

  std::string Usage() const;
  static std::string EnvName(const std::string& flag);
  static Env ProcessEnv();
  static bool IsHelp(const absl::Status& s);

 private:
  struct Option {
    std::string name;
    std::string help;
    std::string def_text;
    std::function<absl::Status(const std::string&)> set;  // parses and stores a value
    std::function<void()> set_default;
  };
  std::string program_;
  std::vector<Option> options_;
};

// The flag handling of a command-line tool (not a service: those use
// server::ParseConfigOrExit): `--version` prints VersionLine(program), `--help` the usage
// (both exit 0); a bad flag prints "error: <why>" on stderr and exits 2. Returns only when the
// flags parsed.
void ParseToolFlagsOrExit(ConfigBinder& binder, int argc, char** argv, absl::string_view program);

}  // namespace firegrid
