#include "libs/redis/pool.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "libs/common/status.h"
#include "libs/redis/backoff.h"
#include "libs/redis/observe.h"
#include "libs/redis/reply_internal.h"

namespace firegrid::redis {
namespace {

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
  void operator()(void* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<void, ReplyDeleter>;

timeval ToTv(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return timeval{0, 0};  // hiredis: no timeout
  if (d < absl::Microseconds(1)) d = absl::Microseconds(1);
  return absl::ToTimeval(d);
}

absl::Status TransportError(const redisContext* ctx, absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat("redis ", what, ": ", ctx->errstr[0] != '\0' ? ctx->errstr : "I/O error"));
}

void BuildArgv(const std::vector<std::string>& args, std::vector<const char*>* argv,
               std::vector<size_t>* lens) {
  argv->clear();
  lens->clear();
  argv->reserve(args.size());
  lens->reserve(args.size());
  for (const std::string& a : args) {
    argv->push_back(a.data());
    lens->push_back(a.size());
  }
}

// One command on a connection. Non-OK only for transport failures (then ctx->err is set and the
// connection must be dropped); Redis error replies come back as Reply{kError}.
absl::StatusOr<Reply> RawCommand(redisContext* ctx, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  BuildArgv(args, &argv, &lens);
  ReplyPtr reply(redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (reply == nullptr || ctx->err != 0) return TransportError(ctx, "command");
  return internal::FromHiredis(static_cast<redisReply*>(reply.get()));
}

// A demoted master (or a replica reached before the sentinels moved on) refuses writes with
// READONLY: the connection must go, so that the next one finds the master.
bool OnReplica(const Reply& reply) {
  return reply.IsError() && absl::StartsWith(reply.str, "READONLY");
}

absl::Status ValidateArgs(const std::vector<std::string>& args) {
  if (args.empty()) return absl::InvalidArgumentError("redis: empty command");
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseAddress(const std::string& host_port, PoolOptions* options) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis address \"", host_port, "\": want host:port"));
  }
  std::string host = host_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);  // [::1]:6379
  }
  int port = 0;
  if (host.empty() || !absl::SimpleAtoi(host_port.substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis address \"", host_port, "\": want host:port with port 1-65535"));
  }
  options->host = std::move(host);
  options->port = port;
  return absl::OkStatus();
}

namespace {

// Makes connections; shared by the pool and its dedicated connections (which may outlive it).
class Connector {
 public:
  Connector(PoolOptions options, Clock* clock)
      : options_(std::move(options)),
        backoff_(clock, options_.initial_backoff, options_.max_backoff) {}

  const PoolOptions& options() const { return options_; }

  // A connected, authenticated connection with the command timeout set; UNAVAILABLE when Redis
  // cannot be reached (or fast, during a backoff window).
  absl::StatusOr<ContextPtr> Connect() {
    absl::StatusOr<uint64_t> epoch = backoff_.Check();
    if (!epoch.ok()) {
      absl::MutexLock lock(&mu_);
      return absl::UnavailableError(absl::StrCat(
          "redis ", Address(), ": ", epoch.status().message(), "; last error: ", last_error_));
    }
    absl::StatusOr<ContextPtr> ctx = TryConnect();
    if (ctx.ok()) {
      backoff_.OnSuccess();
    } else {
      backoff_.OnFailure(*epoch);
      absl::MutexLock lock(&mu_);
      last_error_ = std::string(ctx.status().message());
    }
    return ctx;
  }

 private:
  std::string Address() const {
    if (!options_.sentinels.empty()) return absl::StrCat("master ", options_.master_name);
    return absl::StrCat(options_.host, ":", options_.port);
  }

  // The master's address as the first sentinel that knows it says.
  absl::StatusOr<std::pair<std::string, int>> MasterFromSentinels() const {
    std::string errors;
    for (const std::string& sentinel : options_.sentinels) {
      PoolOptions at;
      if (absl::Status s = ParseAddress(sentinel, &at); !s.ok()) return s;
      ContextPtr ctx(
          redisConnectWithTimeout(at.host.c_str(), at.port, ToTv(options_.connect_timeout)));
      if (ctx == nullptr || ctx->err != 0 ||
          redisSetTimeout(ctx.get(), ToTv(options_.connect_timeout)) != REDIS_OK) {
        absl::StrAppend(&errors, " ", sentinel, ": unreachable;");
        continue;
      }
      absl::StatusOr<Reply> r =
          RawCommand(ctx.get(), {"SENTINEL", "get-master-addr-by-name", options_.master_name});
      int port = 0;
      if (r.ok() && r->type == Reply::Type::kArray && r->elements.size() == 2 &&
          absl::SimpleAtoi(r->elements[1].str, &port)) {
        return std::make_pair(r->elements[0].str, port);
      }
      absl::StrAppend(&errors, " ", sentinel, ": ",
                      r.ok() ? (r->IsError() ? r->str : "does not know the master")
                             : std::string(r.status().message()),
                      ";");
    }
    return absl::UnavailableError(
        absl::StrCat("no sentinel gave the address of master ", options_.master_name, ":", errors));
  }

  absl::StatusOr<ContextPtr> TryConnect() {
    std::string host = options_.host;
    int port = options_.port;
    if (!options_.sentinels.empty()) {
      FG_ASSIGN_OR_RETURN(std::tie(host, port), MasterFromSentinels());
    }
    ContextPtr ctx(redisConnectWithTimeout(host.c_str(), port, ToTv(options_.connect_timeout)));
    if (ctx == nullptr) return absl::UnavailableError("redis connect: cannot allocate context");
    if (ctx->err != 0) {
      return TransportError(ctx.get(), absl::StrCat("connect to ", host, ":", port));
    }
    if (redisSetTimeout(ctx.get(), ToTv(options_.command_timeout)) != REDIS_OK) {
      return TransportError(ctx.get(), "set timeout");
    }
    redisEnableKeepAlive(ctx.get());
    if (!options_.user.empty()) {
      FG_RETURN_IF_ERROR(Setup(ctx.get(), {"AUTH", options_.user, options_.password}, "AUTH"));
    } else if (!options_.password.empty()) {
      FG_RETURN_IF_ERROR(Setup(ctx.get(), {"AUTH", options_.password}, "AUTH"));
    }
    if (options_.db != 0) {
      FG_RETURN_IF_ERROR(Setup(ctx.get(), {"SELECT", std::to_string(options_.db)}, "SELECT"));
    }
    if (!options_.sentinels.empty()) {
      // Between a failover and the sentinels' next answer, the address may still be a replica.
      FG_ASSIGN_OR_RETURN(Reply role, RawCommand(ctx.get(), {"ROLE"}));
      if (role.type != Reply::Type::kArray || role.elements.empty() ||
          role.elements[0].str != "master") {
        return absl::UnavailableError(absl::StrCat(
            "redis ", host, ":", port, " is not the master of ", options_.master_name, " (yet)"));
      }
    }
    return ctx;
  }

  static absl::Status Setup(redisContext* ctx, const std::vector<std::string>& args,
                            absl::string_view what) {
    FG_ASSIGN_OR_RETURN(Reply reply, RawCommand(ctx, args));
    if (reply.IsError()) {
      return absl::UnavailableError(absl::StrCat("redis ", what, " failed: ", reply.str));
    }
    return absl::OkStatus();
  }

  const PoolOptions options_;
  internal::Backoff backoff_;
  absl::Mutex mu_;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

struct Pool::Impl {
  Impl(PoolOptions options, Clock* clock)
      : connector(std::make_shared<Connector>(std::move(options), clock)),
        size(std::max(1, connector->options().size)) {}

  // Borrows an idle connection, or makes a new one while fewer than `size` exist; waits (up to
  // the command timeout) when all are busy.
  absl::StatusOr<ContextPtr> Acquire() {
    {
      absl::MutexLock lock(&mu);
      auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
        return !idle.empty() || open < size;
      };
      if (!mu.AwaitWithTimeout(absl::Condition(&available), connector->options().command_timeout)) {
        return absl::UnavailableError(
            absl::StrCat("redis: all ", size, " pooled connections stayed busy for ",
                         absl::FormatDuration(connector->options().command_timeout)));
      }
      if (!idle.empty()) {
        ContextPtr ctx = std::move(idle.back());
        idle.pop_back();
        return ctx;
      }
      ++open;  // reserve the slot while connecting outside the lock
    }
    absl::StatusOr<ContextPtr> ctx = connector->Connect();
    if (!ctx.ok()) {
      absl::MutexLock lock(&mu);
      --open;
    }
    return ctx;
  }

  // Returns a connection. A broken one (I/O error) is closed, and so are the idle ones: they
  // most likely lost their server too, and would each fail one more caller.
  void Release(ContextPtr ctx, bool broken) {
    std::vector<ContextPtr> to_close;
    {
      absl::MutexLock lock(&mu);
      if (!broken) {
        idle.push_back(std::move(ctx));
        return;
      }
      --open;
      open -= static_cast<int>(idle.size());
      to_close = std::move(idle);
      idle.clear();
    }
    // Closed outside the lock.
    ctx.reset();
    to_close.clear();
  }

  std::shared_ptr<Connector> connector;
  const int size;
  absl::Mutex mu;
  std::vector<ContextPtr> idle ABSL_GUARDED_BY(mu);
  int open ABSL_GUARDED_BY(mu) = 0;  // idle + borrowed + being connected
};

namespace {

class DedicatedConnection final : public Pool::Dedicated {
 public:
  explicit DedicatedConnection(std::shared_ptr<Connector> connector)
      : connector_(std::move(connector)) {}

  absl::StatusOr<Reply> Command(const std::vector<std::string>& args,
                                absl::Duration timeout) override {
    FG_RETURN_IF_ERROR(ValidateArgs(args));
    absl::MutexLock lock(&mu_);
    if (ctx_ == nullptr) {
      FG_ASSIGN_OR_RETURN(ctx_, connector_->Connect());
    }
    if (timeout <= absl::ZeroDuration()) timeout = connector_->options().command_timeout;
    if (redisSetTimeout(ctx_.get(), ToTv(timeout)) != REDIS_OK) {
      absl::Status s = TransportError(ctx_.get(), "set timeout");
      ctx_.reset();
      return s;
    }
    absl::StatusOr<Reply> reply = RawCommand(ctx_.get(), args);
    if (!reply.ok()) {
      ctx_.reset();
      return reply.status();
    }
    if (OnReplica(*reply)) {
      ctx_.reset();
      return absl::UnavailableError(absl::StrCat("redis: ", reply->str));
    }
    if (reply->IsError()) return ErrorReplyToStatus(reply->str);
    return reply;
  }

 private:
  const std::shared_ptr<Connector> connector_;
  absl::Mutex mu_;
  ContextPtr ctx_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<Pool> Pool::Create(PoolOptions options, Clock* clock) {
  return std::unique_ptr<Pool>(new Pool(std::make_unique<Impl>(std::move(options), clock)));
}

Pool::Pool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Pool::~Pool() = default;

const PoolOptions& Pool::options() const { return impl_->connector->options(); }

namespace {

absl::Mutex observer_mu(absl::kConstInit);
std::shared_ptr<CommandObserver>& Observer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(observer_mu) {
  static auto* observer = new std::shared_ptr<CommandObserver>();
  return *observer;
}

std::shared_ptr<CommandObserver> CurrentObserver() {
  absl::MutexLock lock(&observer_mu);
  return Observer();
}

// Times `run` and reports it to the observer, if one is set.
template <typename F>
auto Observed(absl::string_view command, F run) {
  std::shared_ptr<CommandObserver> observer = CurrentObserver();
  if (observer == nullptr) return run();
  const absl::Time start = absl::Now();
  auto result = run();
  (*observer)(command, absl::Now() - start);
  return result;
}

}  // namespace

void SetCommandObserver(CommandObserver observer) {
  absl::MutexLock lock(&observer_mu);
  Observer() = observer ? std::make_shared<CommandObserver>(std::move(observer)) : nullptr;
}

absl::StatusOr<Reply> Pool::Command(const std::vector<std::string>& args) {
  return Observed(args.empty() ? std::string() : absl::AsciiStrToUpper(args[0]),
                  [&]() -> absl::StatusOr<Reply> {
                    FG_RETURN_IF_ERROR(ValidateArgs(args));
                    FG_ASSIGN_OR_RETURN(ContextPtr ctx, impl_->Acquire());
                    absl::StatusOr<Reply> reply = RawCommand(ctx.get(), args);
                    const bool on_replica = reply.ok() && OnReplica(*reply);
                    impl_->Release(std::move(ctx), !reply.ok() || on_replica);
                    if (!reply.ok()) return reply.status();
                    if (on_replica) {
                      return absl::UnavailableError(absl::StrCat("redis: ", reply->str));
                    }
                    if (reply->IsError()) return ErrorReplyToStatus(reply->str);
                    return reply;
                  });
}

namespace {

// Sends `commands` in one round trip on `ctx` and reads one reply per command. A transport
// failure sets `*broken` (the connection must be dropped) and is returned as UNAVAILABLE; so is
// a READONLY reply (the connection is on a replica), which also sets `*broken`. The callers
// have checked every command with ValidateArgs.
absl::StatusOr<std::vector<Reply>> PipelineOn(redisContext* ctx,
                                              const std::vector<std::vector<std::string>>& commands,
                                              bool* broken) {
  std::vector<Reply> replies;
  if (commands.empty()) return replies;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& args : commands) {
    BuildArgv(args, &argv, &lens);
    if (redisAppendCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
      *broken = true;
      return TransportError(ctx, "pipeline");
    }
  }
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx, &raw) != REDIS_OK || raw == nullptr) {
      if (raw != nullptr) freeReplyObject(raw);
      *broken = true;
      return TransportError(ctx, "pipeline");
    }
    ReplyPtr reply(raw);
    replies.push_back(internal::FromHiredis(static_cast<redisReply*>(raw)));
  }
  const auto replica = std::find_if(replies.begin(), replies.end(), OnReplica);
  if (replica != replies.end()) {
    *broken = true;
    return absl::UnavailableError(absl::StrCat("redis: ", replica->str));
  }
  return replies;
}

}  // namespace

absl::StatusOr<std::vector<Reply>> Pool::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  return Observed("PIPELINE", [&]() -> absl::StatusOr<std::vector<Reply>> {
    if (commands.empty()) return std::vector<Reply>();
    for (const auto& args : commands) FG_RETURN_IF_ERROR(ValidateArgs(args));  // before connecting
    FG_ASSIGN_OR_RETURN(ContextPtr ctx, impl_->Acquire());
    bool broken = false;
    absl::StatusOr<std::vector<Reply>> replies = PipelineOn(ctx.get(), commands, &broken);
    impl_->Release(std::move(ctx), broken);
    return replies;
  });
}

absl::Status Pool::Converse(absl::string_view name,
                            absl::FunctionRef<absl::Status(Send send)> talk) {
  return Observed(name, [&]() -> absl::Status {
    FG_ASSIGN_OR_RETURN(ContextPtr ctx, impl_->Acquire());
    bool broken = false;
    auto send = [&](const std::vector<std::vector<std::string>>& commands)
        -> absl::StatusOr<std::vector<Reply>> {
      if (broken) return absl::UnavailableError("redis: the connection of this exchange failed");
      for (const auto& args : commands) FG_RETURN_IF_ERROR(ValidateArgs(args));
      return PipelineOn(ctx.get(), commands, &broken);
    };
    absl::Status status = talk(send);
    impl_->Release(std::move(ctx), broken);
    return status;
  });
}

absl::Status Pool::Ping() {
  FG_ASSIGN_OR_RETURN(Reply reply, Command({"PING"}));
  if (reply.type != Reply::Type::kStatus || reply.str != "PONG") {
    return absl::InternalError(absl::StrCat("redis PING: unexpected reply \"", reply.str, "\""));
  }
  return absl::OkStatus();
}

std::unique_ptr<Pool::Dedicated> Pool::NewDedicated() {
  return std::make_unique<DedicatedConnection>(impl_->connector);
}

}  // namespace firegrid::redis
