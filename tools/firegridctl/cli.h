#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "libs/server/client_channel.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "tools/firegridctl/args.h"

namespace firegrid::ctl {

// Where a command's RPCs go when --addr is not given: the environment variable `env` when set,
// otherwise `fallback`. Each service has its own (see services.h).
// `service` names what is expected there, for the error when the server at the address does not
// serve it (UNIMPLEMENTED).
struct Endpoint {
  const char* env;
  const char* fallback;
  const char* service = "the service the command needs";
};
inline constexpr Endpoint kBuildingsEndpoint{"FIREGRID_ADDR", "127.0.0.1:50051",
                                             "the buildings service"};
inline constexpr Endpoint kHazardsEndpoint{"FIREGRID_HAZARDS_ADDR", "127.0.0.1:50052",
                                           "the hazards service"};
inline constexpr Endpoint kNotifyEndpoint{"FIREGRID_NOTIFY_ADDR", "127.0.0.1:50053",
                                          "the notify service"};
inline constexpr Endpoint kCreditEndpoint{"FIREGRID_CREDIT_ADDR", "127.0.0.1:50054",
                                          "the credit service"};
inline constexpr Endpoint kMonitoringEndpoint{"FIREGRID_MONITORING_ADDR", "127.0.0.1:50055",
                                              "the monitoring service"};
inline constexpr Endpoint kAccountsEndpoint{"FIREGRID_ACCOUNTS_ADDR", "127.0.0.1:50056",
                                            "the accounts service"};

// The deadline of a unary call when --timeout is not given. Streaming calls (`call` of a
// server-streaming method, `watch`) have none unless --timeout sets one.
inline constexpr absl::Duration kDefaultUnaryTimeout = absl::Seconds(10);

// Whether a call is answered once or streams until it ends or is stopped.
enum class CallKind { kUnary, kStreaming };

// Flags every command takes, before or after the command words.
struct GlobalOptions {
  std::string addr = "127.0.0.1:50051";  // --addr, else the command's Endpoint
  std::string token;                     // --token, --token-file, FIREGRID_TOKEN
  std::string output = "table";          // --output table|json
  // --timeout: the deadline of each call. Unset: kDefaultUnaryTimeout for unary calls, none for
  // streaming calls. absl::InfiniteDuration() (`--timeout 0`): no deadline for any call.
  std::optional<absl::Duration> timeout;
  // --tls-ca-file (env FIREGRID_TLS_CA_FILE): TLS to servers whose certificates this CA signed;
  // with --tls-cert-file and --tls-key-file also a client certificate (mTLS). PEM texts.
  server::ClientChannelOptions tls;
};

// What a running command sees: the global options, the output streams, the environment and a
// lazily created channel to --addr.
class Context {
 public:
  using Env = std::map<std::string, std::string>;

  Context(GlobalOptions options, Env env, std::ostream& out, std::ostream& err)
      : options_(std::move(options)), env_(std::move(env)), out_(out), err_(err) {}

  const GlobalOptions& options() const { return options_; }
  bool json() const { return options_.output == "json"; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  std::optional<std::string> GetEnv(const std::string& name) const;

  std::shared_ptr<grpc::Channel> channel();
  // The credentials of every channel a command opens (TLS per --tls-ca-file, else plaintext).
  std::shared_ptr<grpc::ChannelCredentials> credentials() const;
  // Sets the deadline (--timeout, see GlobalOptions) and the bearer token on a call.
  void Prepare(grpc::ClientContext* ctx, CallKind kind = CallKind::kUnary) const;
  // The deadline a call of `kind` gets; absl::InfiniteDuration() for none.
  absl::Duration TimeoutFor(CallKind kind) const;
  // Writes `message` as JSON (firegrid::MessageToJson: proto field names, enum values in the
  // CLI's lower-case spelling, RFC 3339 times, indented) and a newline.
  void PrintJson(const google::protobuf::Message& message);

 private:
  GlobalOptions options_;
  Env env_;
  std::ostream& out_;
  std::ostream& err_;
  std::shared_ptr<grpc::Channel> channel_;
};

// One command: `firegridctl <path...> <args>`. Command groups (one .cc per service or topic)
// register theirs in RegisterAllCommands (commands.cc).
struct Command {
  std::vector<std::string> path = {};  // e.g. {"buildings", "list"}
  std::string synopsis = {};           // argument synopsis, e.g. "ID --version V --set F=V..."
  std::string summary = {};            // one line
  std::vector<FlagSpec> flags = {};
  size_t min_positionals = 0;
  size_t max_positionals = 0;
  std::function<absl::Status(Context&, const ParsedArgs&)> run = {};
  // The service the command talks to when --addr is not given; empty = kBuildingsEndpoint.
  std::function<Endpoint(const ParsedArgs&)> endpoint = {};
};

// A Command::endpoint that is always `e`.
std::function<Endpoint(const ParsedArgs&)> FixedEndpoint(Endpoint e);

class Registry {
 public:
  void Add(Command command);
  // The command whose path is the longest prefix of `words`; *consumed is its path length.
  const Command* Find(const std::vector<std::string>& words, size_t* consumed) const;
  const std::vector<Command>& commands() const { return commands_; }
  // Usage text: every command (or those under `group` when non-empty) with its synopsis.
  std::string Usage(const std::string& group = "") const;

 private:
  std::vector<Command> commands_;
};

// The flags of GlobalOptions, accepted by every command.
std::vector<FlagSpec> GlobalFlagSpecs();

// Registers every command group; defined in commands.cc.
void RegisterAllCommands(Registry* registry);

// The whole program. Exit codes: 0 success; 1 the command failed (the RPC returned an error,
// bad rows, unreadable file), printed as "error: <CODE>: <message>"; 2 usage errors (unknown
// command or flag, a flag missing or malformed: see UsageError). `firegridctl --version` prints
// the version and commit.
int RunCli(const Registry& registry, const std::vector<std::string>& args, Context::Env env,
           std::ostream& out, std::ostream& err);

// An error the CLI itself found (not the server's answer), kept as it is by RunCli, which
// otherwise explains an UNIMPLEMENTED from the server as a wrong address.
absl::Status ClientSideError(absl::Status s);
bool IsClientSideError(const absl::Status& s);

// Reads a whole file. NOT_FOUND / PERMISSION_DENIED etc. name the path.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace firegrid::ctl
