#include "libs/redis/atomic_write.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "libs/redis/script.h"

namespace firegrid::redis {
namespace {

// The one script behind every AtomicWrite. ARGV (counts are decimal; "key" items are 1-based
// indexes into KEYS):
//   once_key (0: none), once_ttl_ms (0: no expiry),
//   P, then P times: kind ("eq" | "absent" | "exists"), key, field, value, code, message,
//   C, then C times: n (arguments incl. the command name), name, key, the other n-2 arguments,
//   A, then A times: stream key, F, then F field/value pairs.
// Everything is parsed and checked before the first write, so a failed check (or malformed
// input) leaves Redis untouched: Redis does not roll back a script that fails half-way.
constexpr char kAtomicWriteLua[] = R"lua(
local pos = 0
local function arg()
  pos = pos + 1
  local v = ARGV[pos]
  if v == nil then error('atomic write: ARGV too short') end
  return v
end
local function num() return tonumber(arg()) end
local function key()
  local k = KEYS[num()]
  if k == nil then error('atomic write: bad key index') end
  return k
end
local function oneline(s) return (string.gsub(s, '[\r\n]', ' ')) end

local once_idx = num()
local once_ttl = num()
local pres = {}
for i = 1, num() do
  pres[i] = {kind = arg(), key = key(), field = arg(), value = arg(), code = arg(), msg = arg()}
end
local cmds = {}
for i = 1, num() do
  local n = num()
  local c = {arg(), key()}
  for j = 3, n do c[j] = arg() end
  cmds[i] = c
end
local apps = {}
for i = 1, num() do
  local a = {'XADD', key(), '*'}
  for j = 1, 2 * num() do a[3 + j] = arg() end
  apps[i] = a
end
if pos ~= #ARGV then return redis.error_reply('INTERNAL atomic write: ARGV too long') end

-- Checks. Nothing has been written yet.
if once_idx > 0 and redis.call('EXISTS', KEYS[once_idx]) == 1 then
  return redis.error_reply('ALREADY_EXISTS already applied: ' .. oneline(KEYS[once_idx]))
end
for _, p in ipairs(pres) do
  local ok
  if p.kind == 'eq' then
    local cur
    if p.field == '' then cur = redis.call('GET', p.key) else cur = redis.call('HGET', p.key, p.field) end
    ok = (cur == p.value)
  else
    local present
    if p.field == '' then
      present = redis.call('EXISTS', p.key) == 1
    else
      present = redis.call('HEXISTS', p.key, p.field) == 1
    end
    ok = ((p.kind == 'exists') == present)
  end
  if not ok then return redis.error_reply(p.code .. ' ' .. p.msg) end
end

-- Type checks, so that a WRONGTYPE error cannot stop the writes half-way. `sim` follows the
-- type each key will have when its command runs.
local wants = {
  APPEND='string', INCR='string', INCRBY='string', DECR='string', DECRBY='string',
  INCRBYFLOAT='string', SETRANGE='string', GETSET='string', GETDEL='string',
  HSET='hash', HSETNX='hash', HMSET='hash', HDEL='hash', HINCRBY='hash', HINCRBYFLOAT='hash',
  LPUSH='list', RPUSH='list', LPUSHX='list', RPUSHX='list', LPOP='list', RPOP='list',
  LREM='list', LSET='list', LTRIM='list', LINSERT='list',
  SADD='set', SREM='set', SPOP='set', SMOVE='set',
  ZADD='zset', ZREM='zset', ZINCRBY='zset', ZREMRANGEBYSCORE='zset', ZREMRANGEBYRANK='zset',
  ZREMRANGEBYLEX='zset', ZPOPMIN='zset', ZPOPMAX='zset', GEOADD='zset',
  XADD='stream', XDEL='stream', XTRIM='stream',
}
local sets = {SET='string', SETEX='string', PSETEX='string', DEL='none', UNLINK='none'}
local sim = {}
local function check(name, k)
  local want = wants[name]
  if want ~= nil then
    local have = sim[k]
    if have == nil then have = redis.call('TYPE', k).ok end
    if have ~= 'none' and have ~= want then
      return 'INTERNAL atomic write: ' .. name .. ' on ' .. oneline(k) .. ', which holds a ' .. have
    end
    sim[k] = want
  elseif sets[name] ~= nil then
    sim[k] = sets[name]
  end
  return nil
end
for _, c in ipairs(cmds) do
  local err = check(string.upper(c[1]), c[2])
  if err then return redis.error_reply(err) end
end
for _, a in ipairs(apps) do
  local err = check('XADD', a[2])
  if err then return redis.error_reply(err) end
end

-- Writes.
if once_idx > 0 then
  if once_ttl > 0 then
    redis.call('SET', KEYS[once_idx], '1', 'PX', once_ttl)
  else
    redis.call('SET', KEYS[once_idx], '1')
  end
end
for _, c in ipairs(cmds) do redis.call(unpack(c)) end
local ids = {}
for i, a in ipairs(apps) do ids[i] = redis.call(unpack(a)) end
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
