#include "libs/redis/atomic_write.h"

#include <algorithm>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "libs/common/status.h"
#include "libs/redis/script.h"

namespace firegrid::redis {
namespace {

// The one script behind every AtomicWrite. ARGV (counts are decimal; "key" items are 1-based
// indexes into KEYS):
//   once_key (0: none), once_ttl_ms (0: no expiry),
//   P, then P times: kind ("eq" | "absent" | "exists"), key, field, value, code, message,
//   T, then T times: key, the type it must have unless absent, the command that needs it,
//   C, then C times: n (arguments incl. the command name), name, key, the other n-2 arguments,
//   A, then A times: stream key, F, then F field/value pairs.
// Everything is checked before the first write, so a failed check (or malformed input) leaves
// Redis untouched: Redis does not roll back a script that fails half-way. The type checks (T)
// are worked out by Encode (TypeChecks), so that a WRONGTYPE error cannot stop the writes
// half-way. The script reads ARGV in place (no table per command): a write of 60 commands spent
// more time in Redis building those tables than running its commands.
constexpr char kAtomicWriteLua[] = R"lua(
local function num(i)
  local v = tonumber(ARGV[i])
  if v == nil then error('atomic write: ARGV malformed at ' .. i) end
  return v
end
local function key(i)
  local k = KEYS[num(i)]
  if k == nil then error('atomic write: bad key index at ' .. i) end
  return k
end
local function oneline(s) return (string.gsub(s, '[\r\n]', ' ')) end

-- The layout: where each section starts, every count and key index checked.
local once_idx = num(1)
local once_ttl = num(2)
local np = num(3)
local pre = 4
local pos = pre + 6 * np
for i = pre + 1, pos - 1, 6 do key(i) end
local nt = num(pos)
local typ = pos + 1
pos = typ + 3 * nt
for i = typ, pos - 1, 3 do key(i) end
local nc = num(pos)
local cmd = pos + 1
pos = cmd
for _ = 1, nc do
  local n = num(pos)
  if n < 2 then error('atomic write: a command needs a name and a key') end
  key(pos + 2)
  pos = pos + 1 + n
end
local na = num(pos)
local app = pos + 1
pos = app
for _ = 1, na do
  key(pos)
  pos = pos + 2 + 2 * num(pos + 1)
end
if pos - 1 ~= #ARGV then
  return redis.error_reply('INTERNAL atomic write: ARGV holds ' .. #ARGV .. ' items, its layout ' .. (pos - 1))
end

-- Checks. Nothing has been written yet.
if once_idx > 0 and redis.call('EXISTS', KEYS[once_idx]) == 1 then
  return redis.error_reply('ALREADY_EXISTS already applied: ' .. oneline(KEYS[once_idx]))
end
for i = pre, typ - 2, 6 do
  local kind, k, field, value = ARGV[i], KEYS[tonumber(ARGV[i + 1])], ARGV[i + 2], ARGV[i + 3]
  local ok
  if kind == 'eq' then
    local cur
    if field == '' then cur = redis.call('GET', k) else cur = redis.call('HGET', k, field) end
    ok = (cur == value)
  else
    local present
    if field == '' then
      present = redis.call('EXISTS', k) == 1
    else
      present = redis.call('HEXISTS', k, field) == 1
    end
    ok = ((kind == 'exists') == present)
  end
  if not ok then return redis.error_reply(ARGV[i + 4] .. ' ' .. ARGV[i + 5]) end
end
for i = typ, cmd - 2, 3 do
  local k, want = KEYS[tonumber(ARGV[i])], ARGV[i + 1]
  local have = redis.call('TYPE', k).ok
  if have ~= 'none' and have ~= want then
    return redis.error_reply('INTERNAL atomic write: ' .. ARGV[i + 2] .. ' on ' .. oneline(k) ..
                             ', which holds a ' .. have)
  end
end

-- Writes.
if once_idx > 0 then
  if once_ttl > 0 then
    redis.call('SET', KEYS[once_idx], '1', 'PX', once_ttl)
  else
    redis.call('SET', KEYS[once_idx], '1')
  end
end
pos = cmd
for _ = 1, nc do
  local n = tonumber(ARGV[pos])
  redis.call(ARGV[pos + 1], KEYS[tonumber(ARGV[pos + 2])], unpack(ARGV, pos + 3, pos + n))
  pos = pos + 1 + n
end
local ids = {}
pos = app
for i = 1, na do
  local f = tonumber(ARGV[pos + 1])
  ids[i] = redis.call('XADD', KEYS[tonumber(ARGV[pos])], '*', unpack(ARGV, pos + 2, pos + 1 + 2 * f))
  pos = pos + 2 + 2 * f
end
return ids
)lua";

// Lua's unpack() fails beyond ~8000 values (LUAI_MAXCSTACK).
constexpr size_t kMaxCommandArgs = 7000;

const Script& AtomicWriteScript() {
  static const Script* script = new Script(kAtomicWriteLua);
  return *script;
}

// Collects the distinct keys, in order of first use, and hands out their 1-based KEYS index.
class KeyTable {
 public:
  std::string Index(const std::string& key) {
    auto [it, inserted] = index_.try_emplace(key, keys_.size() + 1);
    if (inserted) keys_.push_back(key);
    return std::to_string(it->second);
  }
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  absl::flat_hash_map<std::string, size_t> index_;
  std::vector<std::string> keys_;
};

const char* KindName(AtomicWrite::Precondition::Kind kind) {
  switch (kind) {
    case AtomicWrite::Precondition::Kind::kEquals:
      return "eq";
    case AtomicWrite::Precondition::Kind::kAbsent:
      return "absent";
    case AtomicWrite::Precondition::Kind::kExists:
      return "exists";
  }
  return "eq";
}

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

// Error replies are one line on the wire.
std::string OneLine(const std::string& s) {
  return absl::StrReplaceAll(s, {{"\r", " "}, {"\n", " "}});
}

absl::Status Encode(const AtomicWrite& write, std::vector<std::string>* keys,
                    std::vector<std::string>* args) {
  KeyTable table;
  std::vector<std::string>& a = *args;
  a.push_back(write.once_key.empty() ? "0" : table.Index(write.once_key));
  int64_t ttl_ms = 0;
  if (!write.once_key.empty() && write.once_ttl != absl::InfiniteDuration()) {
    if (write.once_ttl < absl::Milliseconds(1)) {
      return absl::InvalidArgumentError("atomic write: once_ttl must be at least 1ms");
    }
    ttl_ms = absl::ToInt64Milliseconds(write.once_ttl);
  }
  a.push_back(std::to_string(ttl_ms));

  a.push_back(std::to_string(write.preconditions.size()));
  for (const AtomicWrite::Precondition& p : write.preconditions) {
    if (p.key.empty()) return absl::InvalidArgumentError("atomic write: precondition without key");
    if (p.code_on_failure == absl::StatusCode::kOk) {
      return absl::InvalidArgumentError("atomic write: precondition code_on_failure is OK");
    }
    a.push_back(KindName(p.kind));
    a.push_back(table.Index(p.key));
    a.push_back(p.field);
    a.push_back(p.value);
    a.push_back(absl::StatusCodeToString(p.code_on_failure));
    a.push_back(OneLine(p.message_on_failure));
  }

  std::vector<TypeCheck> checks;
  FG_RETURN_IF_ERROR(TypeChecks(write, &checks));
  a.push_back(std::to_string(checks.size()));
  for (const TypeCheck& c : checks) {
    a.push_back(table.Index(c.key));
    a.emplace_back(c.type);
    a.push_back(c.command);
  }

  a.push_back(std::to_string(write.commands.size()));
  for (const std::vector<std::string>& cmd : write.commands) {
    if (cmd.size() < 2 || cmd[0].empty()) {
      return absl::InvalidArgumentError("atomic write: a command needs a name and a key");
    }
    if (cmd.size() > kMaxCommandArgs) {
      return absl::InvalidArgumentError(
          absl::StrCat("atomic write: ", cmd[0], " has more than ", kMaxCommandArgs, " arguments"));
    }
    a.push_back(std::to_string(cmd.size()));
    a.push_back(cmd[0]);
    a.push_back(table.Index(cmd[1]));
    a.insert(a.end(), cmd.begin() + 2, cmd.end());
  }

  a.push_back(std::to_string(write.appends.size()));
  for (const AtomicWrite::StreamAppend& app : write.appends) {
    if (app.stream.empty() || app.fields.empty()) {
      return absl::InvalidArgumentError("atomic write: a stream append needs a stream and fields");
    }
    if (3 + 2 * app.fields.size() > kMaxCommandArgs) {
      return absl::InvalidArgumentError("atomic write: stream append has too many fields");
    }
    a.push_back(table.Index(app.stream));
    a.push_back(std::to_string(app.fields.size()));
    for (const auto& [field, value] : app.fields) {
      a.push_back(field);
      a.push_back(value);
    }
  }
  *keys = table.keys();
  return absl::OkStatus();
}

}  // namespace

absl::Status Execute(Pool& pool, const AtomicWrite& write) {
  std::vector<std::string> keys;
  std::vector<std::string> args;
  absl::Status encoded = Encode(write, &keys, &args);
  if (!encoded.ok()) return encoded;
  return AtomicWriteScript().Run(pool, keys, args).status();
}

}  // namespace firegrid::redis
