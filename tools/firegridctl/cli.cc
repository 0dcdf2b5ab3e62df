#include "tools/firegridctl/cli.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpc/grpc.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/proto_json.h"
#include "libs/common/version.h"
#include "tools/firegridctl/table.h"

namespace firegrid::ctl {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kMaxMessageBytes = 64 << 20;
constexpr char kClientSidePayload[] = "type.firegrid.dev/ctl.client-side";

void PrintError(std::ostream& err, const absl::Status& s) {
  err << "error: " << absl::StatusCodeToString(s.code()) << ": " << s.message() << "\n";
}

std::string CommandUsage(const Command& c) {
  std::string out = absl::StrCat("usage: firegridctl ", absl::StrJoin(c.path, " "));
  if (!c.synopsis.empty()) absl::StrAppend(&out, " ", c.synopsis);
  absl::StrAppend(&out, "\n  ", c.summary, "\n");
  if (!c.flags.empty()) {
    Table t({"flags:", ""});
    for (const FlagSpec& f : c.flags) t.AddRow({absl::StrCat("  --", f.name), f.help});
    absl::StrAppend(&out, t.Render());
  }
  absl::StrAppend(&out,
                  "global flags: --addr HOST:PORT --token T | --token-file F --output table|json "
                  "--timeout D (0: none)\n");
  return out;
}

bool IsFlag(const std::string& arg) { return arg.size() >= 2 && arg[0] == '-'; }

std::string FlagName(const std::string& arg) {
  std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
  if (size_t eq = name.find('='); eq != std::string::npos) name.resize(eq);
  return name;
}

// UNIMPLEMENTED from the server: the address answers gRPC but not with the service the command
// needs, most often a --addr (or FIREGRID_*_ADDR) meant for another service.
absl::Status WrongAddressError(const absl::Status& s, const std::string& addr,
                               const Endpoint& endpoint) {
  std::string message = absl::StrCat(addr, " does not serve this call: ", endpoint.service,
                                     " was expected there (its address: --addr, env ", endpoint.env,
                                     ", default ", endpoint.fallback, ")");
  if (!s.message().empty()) absl::StrAppend(&message, "; the server said: ", s.message());
  return absl::UnimplementedError(message);
}

}  // namespace

absl::Status ClientSideError(absl::Status s) {
  s.SetPayload(kClientSidePayload, absl::Cord("1"));
  return s;
}

bool IsClientSideError(const absl::Status& s) {
  return s.GetPayload(kClientSidePayload).has_value();
}

std::function<Endpoint(const ParsedArgs&)> FixedEndpoint(Endpoint e) {
  return [e](const ParsedArgs&) { return e; };
}

std::optional<std::string> Context::GetEnv(const std::string& name) const {
  auto it = env_.find(name);
  if (it == env_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::shared_ptr<grpc::Channel> Context::channel() {
  if (channel_ == nullptr) {
    grpc::ChannelArguments channel_args;
    channel_args.SetMaxReceiveMessageSize(kMaxMessageBytes);
    channel_args.SetMaxSendMessageSize(kMaxMessageBytes);
    // A server that comes back is noticed within 10 s (gRPC's default waits up to 120 s), for
    // `watch`, which reconnects on its own.
    channel_args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 10000);
    channel_ = grpc::CreateCustomChannel(options_.addr, credentials(), channel_args);
  }
  return channel_;
}

std::shared_ptr<grpc::ChannelCredentials> Context::credentials() const {
  return server::ClientCredentials(options_.tls);
}

absl::Duration Context::TimeoutFor(CallKind kind) const {
  if (options_.timeout.has_value()) return *options_.timeout;
  return kind == CallKind::kUnary ? kDefaultUnaryTimeout : absl::InfiniteDuration();
}

void Context::Prepare(grpc::ClientContext* ctx, CallKind kind) const {
  const absl::Duration timeout = TimeoutFor(kind);
  if (timeout != absl::InfiniteDuration()) {
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }
  if (!options_.token.empty()) auth::AttachToken(ctx, options_.token);
}

void Context::PrintJson(const google::protobuf::Message& message) {
  absl::StatusOr<std::string> json = MessageToJson(message);
  if (!json.ok()) {
    PrintError(err_, json.status());
    return;
  }
  out_ << *json << "\n";
}

void Registry::Add(Command command) { commands_.push_back(std::move(command)); }

const Command* Registry::Find(const std::vector<std::string>& words, size_t* consumed) const {
  const Command* best = nullptr;
  for (const Command& c : commands_) {
    if (c.path.size() > words.size()) continue;
    if (best != nullptr && c.path.size() <= best->path.size()) continue;
    bool match = true;
    for (size_t i = 0; i < c.path.size(); ++i) match = match && c.path[i] == words[i];
    if (match) best = &c;
  }
  if (best != nullptr && consumed != nullptr) *consumed = best->path.size();
  return best;
}

std::string Registry::Usage(const std::string& group) const {
  Table t({"commands:", ""});
  for (const Command& c : commands_) {
    if (!group.empty() && c.path.front() != group) continue;
    t.AddRow({absl::StrCat("  ", absl::StrJoin(c.path, " ")), c.summary});
  }
  return absl::StrCat(
      "usage: firegridctl [global flags] <command> [args]\n\n", t.Render(),
      "\nglobal flags:\n"
      "  --addr HOST:PORT     server address (default: env FIREGRID_ADDR or 127.0.0.1:50051;\n"
      "                       for hazards commands env FIREGRID_HAZARDS_ADDR or 127.0.0.1:50052;\n"
      "                       for watch, inbox, plan and webhook env FIREGRID_NOTIFY_ADDR or\n"
      "                       127.0.0.1:50053; for credit env FIREGRID_CREDIT_ADDR or\n"
      "                       127.0.0.1:50054)\n"
      "  --token T            bearer token (env FIREGRID_TOKEN)\n"
      "  --token-file F       read the token from a file (env FIREGRID_TOKEN_FILE)\n"
      "  --output table|json  output format (default table)\n"
      "  --tls-ca-file F      TLS: the CA of the servers' certificates (env FIREGRID_TLS_CA_FILE)\n"
      "  --tls-cert-file F    with --tls-key-file F: a client certificate (mTLS; env\n"
      "                       FIREGRID_TLS_CERT_FILE, FIREGRID_TLS_KEY_FILE)\n"
      "  --version            print the version and commit (before any command)\n"
      "  --timeout D          deadline of each RPC (default 10s; streaming calls such as\n"
      "                       watch and call of a stream: none); 0 means no deadline\n"
      "\n`firegridctl <command> --help` describes a command's flags.\n");
}

std::vector<FlagSpec> GlobalFlagSpecs() {
  return {ValueFlag("addr", "HOST:PORT  server address"),
          ValueFlag("token", "T  bearer token"),
          ValueFlag("token-file", "F  file holding the bearer token"),
          ValueFlag("output", "table|json"),
          ValueFlag("timeout", "D  deadline of each RPC (0: none)"),
          ValueFlag("tls-ca-file", "F  TLS: the CA of the servers' certificates"),
          ValueFlag("tls-cert-file", "F  client certificate (mTLS, with --tls-key-file)"),
          ValueFlag("tls-key-file", "F  key of --tls-cert-file"),
          BoolFlag("wide", "tables show every cell whole (default: they fit 120 columns)"),
          BoolFlag("help", "show usage")};
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("error reading ", path));
  return buf.str();
}

int RunCli(const Registry& registry, const std::vector<std::string>& raw_args, Context::Env env,
           std::ostream& out, std::ostream& err) {
  const std::vector<FlagSpec> globals = GlobalFlagSpecs();
  std::vector<std::string> args = raw_args;
  for (std::string& a : args) {
    if (a == "-h") a = "--help";
  }

  // Global flags before the command words.
  std::vector<std::string> leading;
  size_t i = 0;
  while (i < args.size() && IsFlag(args[i])) {
    const std::string name = FlagName(args[i]);
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& f : globals) {
      if (f.name == name) spec = &f;
    }
    if (name == "version") {
      out << VersionLine("firegridctl") << "\n";
      return 0;
    }
    if (spec == nullptr) {
      PrintError(err, absl::InvalidArgumentError(absl::StrCat("unknown global flag --", name)));
      return kExitUsage;
    }
    leading.push_back(args[i]);
    if (spec->kind != FlagSpec::Kind::kBool && args[i].find('=') == std::string::npos &&
        i + 1 < args.size()) {
      leading.push_back(args[++i]);
    }
    ++i;
  }
  std::vector<std::string> words(args.begin() + i, args.end());
  bool help_flag = false;
  for (const std::string& a : leading) help_flag = help_flag || a == "--help";

  size_t consumed = 0;
  const Command* command = registry.Find(words, &consumed);
  if (command == nullptr) {
    if (words.empty() || words[0] == "help") {
      (words.empty() && !help_flag ? err : out) << registry.Usage();
      return words.empty() && !help_flag ? kExitUsage : 0;
    }
    for (const Command& c : registry.commands()) {
      if (c.path.front() == words[0]) {
        err << registry.Usage(words[0]);
        return kExitUsage;
      }
    }
    PrintError(err, absl::InvalidArgumentError(
                        absl::StrCat("unknown command \"", words[0], "\"; see firegridctl help")));
    return kExitUsage;
  }

  std::vector<FlagSpec> specs = command->flags;
  specs.insert(specs.end(), globals.begin(), globals.end());
  std::vector<std::string> rest = leading;
  rest.insert(rest.end(), words.begin() + consumed, words.end());
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(rest, specs);
  if (!parsed.ok()) {
    PrintError(err, parsed.status());
    err << CommandUsage(*command);
    return kExitUsage;
  }
  if (*parsed->GetBool("help")) {
    out << CommandUsage(*command);
    return 0;
  }
  const size_t n = parsed->positionals().size();
  if (n < command->min_positionals || n > command->max_positionals) {
    PrintError(
        err, absl::InvalidArgumentError(
                 n < command->min_positionals
                     ? "missing argument"
                     : absl::StrCat("unexpected argument \"", parsed->positionals().back(), "\"")));
    err << CommandUsage(*command);
    return kExitUsage;
  }

  GlobalOptions options;
  auto env_value = [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  const Endpoint endpoint = command->endpoint ? command->endpoint(*parsed) : kBuildingsEndpoint;
  options.addr = parsed->Get("addr").value_or(env_value(endpoint.env).value_or(endpoint.fallback));
  options.output = absl::AsciiStrToLower(parsed->GetOr("output", options.output));
  if (options.output != "table" && options.output != "json") {
    PrintError(err, absl::InvalidArgumentError("--output: table or json"));
    return kExitUsage;
  }
  SetTableWidth(*parsed->GetBool("wide") ? 0 : kTableWidth);
  if (parsed->Has("timeout")) {
    absl::StatusOr<absl::Duration> timeout = parsed->GetDuration("timeout", absl::ZeroDuration());
    if (!timeout.ok() || *timeout < absl::ZeroDuration()) {
      PrintError(err, timeout.ok() ? absl::InvalidArgumentError(
                                         "--timeout: must not be negative (0 means no deadline)")
                                   : timeout.status());
      return kExitUsage;
    }
    options.timeout = *timeout == absl::ZeroDuration() ? absl::InfiniteDuration() : *timeout;
  }
  std::optional<std::string> token_file = parsed->Get("token-file");
  if (std::optional<std::string> t = parsed->Get("token")) {
    options.token = *t;
  } else if (!token_file.has_value() && env_value("FIREGRID_TOKEN").has_value()) {
    options.token = *env_value("FIREGRID_TOKEN");
  } else {
    if (!token_file.has_value()) token_file = env_value("FIREGRID_TOKEN_FILE");
    if (token_file.has_value()) {
      absl::StatusOr<std::string> content = ReadFile(*token_file);
      if (!content.ok()) {
        PrintError(err, content.status());
        return kExitFailure;
      }
      options.token = std::string(absl::StripAsciiWhitespace(*content));
    }
  }

  // TLS: each file from its flag, else its environment variable.
  struct TlsFile {
    const char* flag;
    const char* env;
    std::string* pem;
  };
  for (const TlsFile& f : {TlsFile{"tls-ca-file", "FIREGRID_TLS_CA_FILE", &options.tls.ca_pem},
                           TlsFile{"tls-cert-file", "FIREGRID_TLS_CERT_FILE", &options.tls.cert_pem},
                           TlsFile{"tls-key-file", "FIREGRID_TLS_KEY_FILE", &options.tls.key_pem}}) {
    std::optional<std::string> path = parsed->Get(f.flag);
    if (!path.has_value()) path = env_value(f.env);
    if (!path.has_value()) continue;
    absl::StatusOr<std::string> pem = ReadFile(*path);
    if (!pem.ok()) {
      PrintError(err, absl::InvalidArgumentError(absl::StrCat("--", f.flag, ": ", pem.status().message())));
      return kExitUsage;
    }
    *f.pem = *std::move(pem);
  }
  if (options.tls.cert_pem.empty() != options.tls.key_pem.empty() ||
      (!options.tls.cert_pem.empty() && options.tls.ca_pem.empty())) {
    PrintError(err, absl::InvalidArgumentError(
                        "--tls-cert-file and --tls-key-file go together, and with --tls-ca-file"));
    return kExitUsage;
  }

  const std::string addr = options.addr;
  Context ctx(std::move(options), std::move(env), out, err);
  absl::Status s = command->run(ctx, *parsed);
  out.flush();
  if (IsUsageError(s)) {
    PrintError(err, s);
    err << CommandUsage(*command);
    return kExitUsage;
  }
  if (s.code() == absl::StatusCode::kUnimplemented && !IsClientSideError(s)) {
    s = WrongAddressError(s, addr, endpoint);
  }
  if (!s.ok()) {
    PrintError(err, s);
    return kExitFailure;
  }
  return 0;
}

}  // namespace firegrid::ctl
