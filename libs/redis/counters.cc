#include "libs/redis/counters.h"

#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status.h"

namespace firegrid::redis {
namespace {

using Pre = AtomicWrite::Precondition;

constexpr size_t kPairsPerCommand = 2000;  // well under the script's argument limit

std::string Score(double score) { return absl::StrCat(static_cast<int64_t>(score)); }

// `verb key a1 b1 a2 b2 ...`, split so that no command is too long for the script.
void AppendChunked(const std::string& verb, const std::string& key,
                   const std::vector<std::pair<std::string, std::string>>& pairs, AtomicWrite* w) {
  std::vector<std::string> cmd = {verb, key};
  for (const auto& [a, b] : pairs) {
    cmd.push_back(a);
    cmd.push_back(b);
    if (cmd.size() >= 2 + 2 * kPairsPerCommand) {
      w->commands.push_back(std::move(cmd));
      cmd = {verb, key};
    }
  }
  if (cmd.size() > 2) w->commands.push_back(std::move(cmd));
}

}  // namespace

void CounterSnapshot::Merge(const CounterSnapshot& other) {
  for (const auto& [key, fields] : other.hashes) {
    auto& mine = hashes[key];
    for (const auto& [f, n] : fields) mine[f] += n;
  }
  for (const auto& [key, members] : other.sets) {
    auto& mine = sets[key];
    for (const auto& [m, score] : members) mine[m] = score;
  }
}

void CounterSnapshot::DropZeros() {
  for (auto it = hashes.begin(); it != hashes.end();) {
    std::erase_if(it->second, [](const auto& f) { return f.second == 0; });
    it = it->second.empty() ? hashes.erase(it) : std::next(it);
  }
}

void CounterDelta::Add(const CounterSnapshot& before, const CounterSnapshot& after) {
  for (const auto& [key, fields] : before.hashes) {
    for (const auto& [f, n] : fields) increments_[key][f] -= n;
  }
  for (const auto& [key, fields] : after.hashes) {
    for (const auto& [f, n] : fields) increments_[key][f] += n;
  }
  for (const auto& [key, members] : before.sets) {
    auto it = after.sets.find(key);
    for (const auto& [m, score] : members) {
      if (it == after.sets.end() || !it->second.contains(m)) members_[key][m] = std::nullopt;
    }
  }
  for (const auto& [key, members] : after.sets) {
    auto it = before.sets.find(key);
    for (const auto& [m, score] : members) {
      if (it != before.sets.end()) {
        auto was = it->second.find(m);
        if (was != it->second.end() && was->second == score) continue;  // unchanged
      }
      members_[key][m] = score;
    }
  }
}

bool CounterDelta::empty() const {
  for (const auto& [key, fields] : increments_) {
    for (const auto& [f, n] : fields) {
      if (n != 0) return false;
    }
  }
  return members_.empty();
}

void CounterDelta::AppendTo(const std::string& counters_prefix, AtomicWrite* w) const {
  if (empty()) return;
  for (const auto& [key, fields] : increments_) {
    for (const auto& [f, n] : fields) {
      if (n != 0) w->commands.push_back({"HINCRBY", key, f, absl::StrCat(n)});
    }
  }
  for (const auto& [key, members] : members_) {
    std::vector<std::pair<std::string, std::string>> add;
    std::vector<std::string> rem = {"ZREM", key};
    for (const auto& [m, score] : members) {
      if (score.has_value()) {
        add.emplace_back(Score(*score), m);
      } else {
        rem.push_back(m);
      }
    }
    if (rem.size() > 2) w->commands.push_back(std::move(rem));
    AppendChunked("ZADD", key, add, w);
  }
  w->commands.push_back({"INCR", counters_prefix + ":gen"});
}

absl::StatusOr<CounterSnapshot> ReadCounters(Pool& pool, const std::string& c) {
  CounterSnapshot s;
  std::string cursor = "0";
  std::vector<std::string> keys;
  do {
    FG_ASSIGN_OR_RETURN(Reply r,
                        pool.Command({"SCAN", cursor, "MATCH", c + ":*", "COUNT", "1000"}));
    if (r.elements.size() != 2) return absl::InternalError("unexpected SCAN reply");
    cursor = r.elements[0].str;
    for (const auto& k : r.elements[1].elements) keys.push_back(k.str);
  } while (cursor != "0");
  for (const std::string& key : keys) {
    if (key == c + ":gen" || key == c + ":built") continue;
    FG_ASSIGN_OR_RETURN(Reply type, pool.Command({"TYPE", key}));
    if (type.str == "zset") {
      FG_ASSIGN_OR_RETURN(Reply r, pool.Command({"ZRANGE", key, "0", "-1", "WITHSCORES"}));
      for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
        double score = 0;
        (void)absl::SimpleAtod(r.elements[i + 1].str, &score);
        s.sets[key][r.elements[i].str] = score;
      }
    } else if (type.str == "hash") {
      FG_ASSIGN_OR_RETURN(Reply r, pool.Command({"HGETALL", key}));
      for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
        int64_t n = 0;
        if (!absl::SimpleAtoi(r.elements[i + 1].str, &n)) {
          return absl::DataLossError(absl::StrCat("corrupt counter ", key));
        }
        if (n != 0) s.hashes[key][r.elements[i].str] = n;
      }
    }
  }
  return s;
}

absl::StatusOr<bool> CountersBuilt(Pool& pool, const std::string& c) {
  FG_ASSIGN_OR_RETURN(Reply r, pool.Command({"EXISTS", c + ":built"}));
  return r.integer == 1;
}

absl::StatusOr<bool> RebuildCounters(
    Pool& pool, const std::string& c,
    const std::function<absl::StatusOr<CounterSnapshot>()>& recount, int attempts) {
  const std::string gen_key = c + ":gen";
  for (int attempt = 0; attempt < attempts; ++attempt) {
    FG_ASSIGN_OR_RETURN(std::vector<Reply> state,
                        pool.Pipeline({{"EXISTS", c + ":built"}, {"GET", gen_key}}));
    for (const auto& r : state) {
      if (r.IsError()) return ErrorReplyToStatus(r.str);
    }
    if (state[0].integer == 1) return false;
    FG_ASSIGN_OR_RETURN(CounterSnapshot fresh, recount());
    fresh.DropZeros();
    FG_ASSIGN_OR_RETURN(CounterSnapshot stored, ReadCounters(pool, c));
    AtomicWrite w;
    w.preconditions.push_back(Pre{state[1].IsNil() ? Pre::Kind::kAbsent : Pre::Kind::kEquals,
                                  gen_key, "", state[1].str, absl::StatusCode::kAborted,
                                  "records written during the recount"});
    for (const auto& [key, unused] : stored.hashes) w.commands.push_back({"DEL", key});
    for (const auto& [key, unused] : stored.sets) w.commands.push_back({"DEL", key});
    for (const auto& [key, fields] : fresh.hashes) {
      std::vector<std::pair<std::string, std::string>> pairs;
      for (const auto& [f, n] : fields) pairs.emplace_back(f, absl::StrCat(n));
      AppendChunked("HSET", key, pairs, &w);
    }
    for (const auto& [key, members] : fresh.sets) {
      std::vector<std::pair<std::string, std::string>> pairs;
      for (const auto& [m, score] : members) pairs.emplace_back(Score(score), m);
      AppendChunked("ZADD", key, pairs, &w);
    }
    w.commands.push_back({"SET", c + ":built", "1"});
    absl::Status s = Execute(pool, w);
    if (s.code() == absl::StatusCode::kAborted) continue;
    FG_RETURN_IF_ERROR(s);
    return true;
  }
  return absl::AbortedError("records kept changing during the counters' recount; try again");
}

std::vector<CounterDifference> DiffCounters(const CounterSnapshot& live,
                                            const CounterSnapshot& rebuilt) {
  // Both sides' (key, field) → value, as text; a count of 0 is no count.
  using Flat = std::map<std::pair<std::string, std::string>, std::string>;
  auto flatten = [](const CounterSnapshot& s) {
    Flat out;
    for (const auto& [key, fields] : s.hashes) {
      for (const auto& [f, n] : fields) {
        if (n != 0) out[{key, f}] = absl::StrCat(n);
      }
    }
    for (const auto& [key, members] : s.sets) {
      for (const auto& [m, score] : members) out[{key, m}] = Score(score);
    }
    return out;
  };
  const Flat a = flatten(live);
  const Flat b = flatten(rebuilt);
  std::vector<CounterDifference> out;
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      out.push_back({ia->first.first, ia->first.second, ia->second, ""});
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      out.push_back({ib->first.first, ib->first.second, "", ib->second});
      ++ib;
    } else {
      if (ia->second != ib->second) {
        out.push_back({ia->first.first, ia->first.second, ia->second, ib->second});
      }
      ++ia;
      ++ib;
    }
  }
  return out;
}

absl::StatusOr<std::vector<CounterDifference>> CheckCounters(
    Pool& pool, const std::string& c,
    const std::function<absl::StatusOr<CounterSnapshot>()>& recount, int attempts) {
  const std::string gen_key = c + ":gen";
  auto state = [&]() -> absl::StatusOr<std::pair<bool, std::string>> {
    FG_ASSIGN_OR_RETURN(std::vector<Reply> r,
                        pool.Pipeline({{"EXISTS", c + ":built"}, {"GET", gen_key}}));
    for (const auto& x : r) {
      if (x.IsError()) return ErrorReplyToStatus(x.str);
    }
    return std::make_pair(r[0].integer == 1, r[1].IsNil() ? std::string() : r[1].str);
  };
  for (int attempt = 0; attempt < attempts; ++attempt) {
    FG_ASSIGN_OR_RETURN(auto before, state());
    if (!before.first) {
      return absl::FailedPreconditionError(
          "the counters are not built yet (the service builds them when it starts)");
    }
    FG_ASSIGN_OR_RETURN(CounterSnapshot fresh, recount());
    fresh.DropZeros();
    FG_ASSIGN_OR_RETURN(CounterSnapshot stored, ReadCounters(pool, c));
    FG_ASSIGN_OR_RETURN(auto after, state());
    if (after != before) continue;  // written meanwhile: the two may count different records
    return DiffCounters(stored, fresh);
  }
  return absl::AbortedError("records kept changing during the counters' check; try again");
}

}  // namespace firegrid::redis
