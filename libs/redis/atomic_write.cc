#include "libs/redis/atomic_write.h"

#include <atomic>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/common/status.h"
#include "libs/redis/atomic_write_internal.h"
#include "libs/redis/replica_wait.h"

namespace firegrid::redis {
namespace {

// The type a write command needs its key to hold (or to be absent), by upper-case name.
std::optional<absl::string_view> TypeNeeded(absl::string_view name) {
  static const auto* const kNeeds = new absl::flat_hash_map<absl::string_view, absl::string_view>{
      {"APPEND", "string"},   {"INCR", "string"},   {"INCRBY", "string"},
      {"DECR", "string"},     {"DECRBY", "string"}, {"INCRBYFLOAT", "string"},
      {"SETRANGE", "string"}, {"GETSET", "string"}, {"GETDEL", "string"},
      {"HSET", "hash"},       {"HSETNX", "hash"},   {"HMSET", "hash"},
      {"HDEL", "hash"},       {"HINCRBY", "hash"},  {"HINCRBYFLOAT", "hash"},
      {"LPUSH", "list"},      {"RPUSH", "list"},    {"LPUSHX", "list"},
      {"RPUSHX", "list"},     {"LPOP", "list"},     {"RPOP", "list"},
      {"LREM", "list"},       {"LSET", "list"},     {"LTRIM", "list"},
      {"LINSERT", "list"},    {"SADD", "set"},      {"SREM", "set"},
      {"SPOP", "set"},        {"SMOVE", "set"},     {"ZADD", "zset"},
      {"ZREM", "zset"},       {"ZINCRBY", "zset"},  {"ZREMRANGEBYSCORE", "zset"},
      {"ZREMRANGEBYRANK", "zset"}, {"ZREMRANGEBYLEX", "zset"}, {"ZPOPMIN", "zset"},
      {"ZPOPMAX", "zset"},    {"GEOADD", "zset"},   {"XADD", "stream"},
      {"XDEL", "stream"},     {"XTRIM", "stream"},
  };
  auto it = kNeeds->find(name);
  if (it == kNeeds->end()) return std::nullopt;
  return it->second;
}

// The type a command leaves its key with whatever it held before ("none": deleted).
std::optional<absl::string_view> TypeSet(absl::string_view name) {
  if (name == "SET" || name == "SETEX" || name == "PSETEX") return "string";
  if (name == "DEL" || name == "UNLINK") return "none";
  return std::nullopt;
}

struct TypeCheck {
  std::string key;
  absl::string_view type;
  std::string command;
};

// The keys whose type the script must check before writing: each key's first command that needs
// a type, unless an earlier command of the write set the key's type (SET, DEL). A key given two
// types by the write itself is a programming error, refused before anything is sent.
absl::Status TypeChecks(const AtomicWrite& write, std::vector<TypeCheck>* checks) {
  absl::flat_hash_map<std::string, absl::string_view> after;  // key -> its type so far
  auto visit = [&](const std::string& command, const std::string& key) -> absl::Status {
    const std::string name = absl::AsciiStrToUpper(command);
    if (std::optional<absl::string_view> need = TypeNeeded(name)) {
      auto [it, first] = after.try_emplace(key, *need);
      if (first) {
        checks->push_back({key, *need, name});
      } else if (it->second != "none" && it->second != *need) {
        return absl::InvalidArgumentError(absl::StrCat("atomic write: ", name, " on ", key,
                                                       ", which this write made a ", it->second));
      }
      it->second = *need;
    } else if (std::optional<absl::string_view> set = TypeSet(name)) {
      after[key] = *set;
    }
    return absl::OkStatus();
  };
  for (const std::vector<std::string>& cmd : write.commands) {
    if (cmd.size() >= 2) FG_RETURN_IF_ERROR(visit(cmd[0], cmd[1]));
  }
  for (const AtomicWrite::StreamAppend& app : write.appends) {
    FG_RETURN_IF_ERROR(visit("XADD", app.stream));
  }
  return absl::OkStatus();
}

// A write that lost the race for a watched key this many times in a row gives up (ABORTED).
constexpr int kMaxAttempts = 10;

std::atomic<int64_t> conflicts{0};  // AtomicWriteConflicts()

// The two round trips of a write, built once and sent on every attempt.
struct Plan {
  // Round trip 1: WATCH (when any key is read), then one read per once key, precondition and
  // type check, in that order, then MULTI: a refused MULTI stops the write before any of its
  // commands is sent (pipelined after a refused MULTI, each would run on its own).
  std::vector<std::vector<std::string>> reads;
  bool watches = false;
  std::vector<TypeCheck> checks;
  // Round trip 2, inside the transaction: the writes, EXEC (and WAIT when replicas must
  // acknowledge).
  std::vector<std::vector<std::string>> transaction;
  size_t exec_index = 0;
};

absl::Status Validate(const AtomicWrite& write) {
  if (!write.once_key.empty() && write.once_ttl != absl::InfiniteDuration() &&
      write.once_ttl < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError("atomic write: once_ttl must be at least 1ms");
  }
  for (const AtomicWrite::Precondition& p : write.preconditions) {
    if (p.key.empty()) return absl::InvalidArgumentError("atomic write: precondition without key");
    if (p.code_on_failure == absl::StatusCode::kOk) {
      return absl::InvalidArgumentError("atomic write: precondition code_on_failure is OK");
    }
  }
  for (const std::vector<std::string>& cmd : write.commands) {
    if (cmd.size() < 2 || cmd[0].empty()) {
      return absl::InvalidArgumentError("atomic write: a command needs a name and a key");
    }
  }
  for (const AtomicWrite::StreamAppend& app : write.appends) {
    if (app.stream.empty() || app.fields.empty()) {
      return absl::InvalidArgumentError("atomic write: a stream append needs a stream and fields");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Plan> MakePlan(const AtomicWrite& write, const PoolOptions& options) {
  FG_RETURN_IF_ERROR(Validate(write));
  Plan plan;
  FG_RETURN_IF_ERROR(TypeChecks(write, &plan.checks));

  std::vector<std::string> watch = {"WATCH"};
  absl::flat_hash_set<absl::string_view> watched;
  auto watch_key = [&](const std::string& key) {
    if (watched.insert(key).second) watch.push_back(key);
  };
  if (!write.once_key.empty()) watch_key(write.once_key);
  for (const AtomicWrite::Precondition& p : write.preconditions) watch_key(p.key);
  plan.watches = watch.size() > 1;
  if (plan.watches) plan.reads.push_back(std::move(watch));
  if (!write.once_key.empty()) plan.reads.push_back({"EXISTS", write.once_key});
  for (const AtomicWrite::Precondition& p : write.preconditions) {
    const bool hash = !p.field.empty();
    if (p.kind == AtomicWrite::Precondition::Kind::kEquals) {
      plan.reads.push_back(hash ? std::vector<std::string>{"HGET", p.key, p.field}
                                : std::vector<std::string>{"GET", p.key});
    } else {
      plan.reads.push_back(hash ? std::vector<std::string>{"HEXISTS", p.key, p.field}
                                : std::vector<std::string>{"EXISTS", p.key});
    }
  }
  for (const TypeCheck& c : plan.checks) plan.reads.push_back({"TYPE", c.key});
  plan.reads.push_back({"MULTI"});

  std::vector<std::vector<std::string>>& t = plan.transaction;
  t.reserve(write.commands.size() + write.appends.size() + 3);
  if (!write.once_key.empty()) {
    if (write.once_ttl == absl::InfiniteDuration()) {
      t.push_back({"SET", write.once_key, "1"});
    } else {
      t.push_back({"SET", write.once_key, "1", "PX",
                   std::to_string(absl::ToInt64Milliseconds(write.once_ttl))});
    }
  }
  t.insert(t.end(), write.commands.begin(), write.commands.end());
  for (const AtomicWrite::StreamAppend& app : write.appends) {
    std::vector<std::string> xadd;
    xadd.reserve(3 + 2 * app.fields.size());
    xadd.push_back("XADD");
    xadd.push_back(app.stream);
    xadd.push_back("*");
    for (const auto& [field, value] : app.fields) {
      xadd.push_back(field);
      xadd.push_back(value);
    }
    t.push_back(std::move(xadd));
  }
  plan.exec_index = t.size();
  t.push_back({"EXEC"});
  if (std::optional<std::vector<std::string>> wait = ReplicaWaitCommand(options)) {
    t.push_back(*std::move(wait));
  }
  return plan;
}

// "HSET on bld:1" ("MULTI" for a command without a key), for messages.
std::string Describe(const std::vector<std::string>& command) {
  std::string name = absl::AsciiStrToUpper(command[0]);
  return command.size() > 1 ? absl::StrCat(name, " on ", command[1]) : name;
}

// An error reply to one of the write's commands as a status naming the command, with the code
// ErrorReplyToStatus gives the reply: UNAVAILABLE for LOADING or MASTERDOWN (a retry may
// succeed), INTERNAL for the others.
absl::Status CommandError(const std::vector<std::string>& command, absl::string_view what,
                          const std::string& error) {
  return absl::Status(ErrorReplyToStatus(error).code(),
                      absl::StrCat("atomic write: ", Describe(command), " ", what, ": ", error));
}

// What round trip 1 found (its replies without MULTI's): OK when every check passes, else the
// first failure's status.
absl::Status Check(const AtomicWrite& write, const Plan& plan, const std::vector<Reply>& replies) {
  size_t i = plan.watches ? 1 : 0;
  for (size_t r = 0; r < replies.size(); ++r) {
    if (replies[r].IsError()) return CommandError(plan.reads[r], "answered", replies[r].str);
  }
  if (!write.once_key.empty()) {
    if (replies[i++].integer == 1) {
      return absl::AlreadyExistsError(absl::StrCat("already applied: ", write.once_key));
    }
  }
  for (const AtomicWrite::Precondition& p : write.preconditions) {
    const Reply& got = replies[i++];
    bool ok = false;
    switch (p.kind) {
      case AtomicWrite::Precondition::Kind::kEquals:
        ok = got.type == Reply::Type::kString && got.str == p.value;
        break;
      case AtomicWrite::Precondition::Kind::kAbsent:
        ok = got.integer == 0;
        break;
      case AtomicWrite::Precondition::Kind::kExists:
        ok = got.integer == 1;
        break;
    }
    if (!ok) return absl::Status(p.code_on_failure, p.message_on_failure);
  }
  for (const TypeCheck& c : plan.checks) {
    const std::string& have = replies[i++].str;
    if (have != "none" && have != c.type) {
      return absl::InternalError(absl::StrCat("atomic write: ", c.command, " on ", c.key,
                                              ", which holds a ", have));
    }
  }
  return absl::OkStatus();
}

// What round trip 2 did: OK (written), nullopt (a watched key changed: nothing written, try
// again), or the failure. A command refused while queued (EXECABORT) wrote nothing; a command
// that failed inside EXEC leaves the ones before it written (Redis rolls nothing back).
std::optional<absl::Status> Committed(const Plan& plan, const PoolOptions& options,
                                      const std::vector<Reply>& replies) {
  const Reply& exec = replies[plan.exec_index];
  if (exec.IsNil()) return std::nullopt;
  if (exec.IsError()) {
    for (size_t i = 0; i < plan.exec_index; ++i) {
      if (replies[i].IsError()) return CommandError(plan.transaction[i], "refused", replies[i].str);
    }
    return CommandError({"EXEC"}, "answered", exec.str);
  }
  for (size_t i = 0; i < exec.elements.size(); ++i) {
    if (exec.elements[i].IsError()) {
      return CommandError(plan.transaction[i],
                          absl::StrCat("failed after the ", i, " commands before it were written"),
                          exec.elements[i].str);
    }
  }
  if (plan.exec_index + 1 < replies.size()) {
    return CheckReplicaWait(options, replies[plan.exec_index + 1]);
  }
  return absl::OkStatus();
}

}  // namespace

namespace internal {

absl::Status Execute(Pool& pool, const AtomicWrite& write,
                     const std::function<void(int attempt)>& after_read) {
  FG_ASSIGN_OR_RETURN(const Plan plan, MakePlan(write, pool.options()));
  return pool.Converse("MULTI", [&](Pool::Send send) -> absl::Status {
    for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
      FG_ASSIGN_OR_RETURN(std::vector<Reply> read, send(plan.reads));
      if (const Reply& multi = read.back(); multi.IsError()) {
        if (plan.watches) FG_RETURN_IF_ERROR(send({{"UNWATCH"}}).status());
        return CommandError({"MULTI"}, "refused", multi.str);
      }
      read.pop_back();
      if (absl::Status checked = Check(write, plan, read); !checked.ok()) {
        FG_RETURN_IF_ERROR(send({{"DISCARD"}}).status());  // ends the transaction, unwatches
        return checked;
      }
      if (after_read) after_read(attempt);
      FG_ASSIGN_OR_RETURN(std::vector<Reply> written, send(plan.transaction));
      if (std::optional<absl::Status> done = Committed(plan, pool.options(), written)) {
        return *done;
      }
      conflicts.fetch_add(1, std::memory_order_relaxed);
    }
    // Only a watched key makes EXEC answer nil, so plan.reads starts with WATCH and a key.
    return absl::AbortedError(absl::StrCat("atomic write: the keys it reads (",
                                           plan.reads.front()[1], ", ...) changed during each of ",
                                           kMaxAttempts, " attempts"));
  });
}

}  // namespace internal

absl::Status Execute(Pool& pool, const AtomicWrite& write) {
  return internal::Execute(pool, write, nullptr);
}

int64_t AtomicWriteConflicts() { return conflicts.load(std::memory_order_relaxed); }

}  // namespace firegrid::redis
