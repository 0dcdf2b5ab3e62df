#include "services/credit/read_model_check.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/status.h"
#include "services/credit/applier.h"
#include "services/credit/engine.h"
#include "services/credit/state.h"

namespace firegrid::credit {
namespace {

constexpr int kChunk = 1000;

// The values compared per subject, by field name.
std::map<std::string, std::string> Compared(const v1::SubjectState& s) {
  return {{"score", absl::StrCat(s.score())},
          {"level", v1::Level_Name(s.level())},
          {"ledger_records", absl::StrCat(s.ledger_records())}};
}

struct Live {
  std::map<std::string, v1::SubjectState> subjects;
  redis::CounterSnapshot ranks;  // sets only
};

absl::StatusOr<Live> ReadLive(CreditStore& store, const std::string& version) {
  redis::Pool& pool = *store.pool();
  Live live;
  std::vector<std::string> ids;
  std::string cursor = "0";
  do {
    FG_ASSIGN_OR_RETURN(redis::Reply r, pool.Command({"SSCAN", store.SubjectsKey(version), cursor,
                                                      "COUNT", absl::StrCat(kChunk)}));
    if (r.elements.size() != 2) return absl::InternalError("unexpected SSCAN reply");
    cursor = r.elements[0].str;
    for (const auto& m : r.elements[1].elements) ids.push_back(m.str);
  } while (cursor != "0");
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (size_t i = 0; i < ids.size(); i += kChunk) {
    std::vector<std::string> chunk(ids.begin() + i, ids.begin() + std::min(ids.size(), i + kChunk));
    FG_ASSIGN_OR_RETURN(auto states, store.LoadSubjects(version, chunk));
    for (size_t j = 0; j < chunk.size(); ++j) {
      // A member of the set without its state is reported as a subject missing its state.
      live.subjects[chunk[j]] = states[j].value_or(v1::SubjectState());
    }
  }
  // Every ranking of the generation.
  const std::string pattern = store.GenKey(version, "rank:*");
  std::vector<std::string> keys;
  cursor = "0";
  do {
    FG_ASSIGN_OR_RETURN(redis::Reply r, pool.Command({"SCAN", cursor, "MATCH", pattern, "COUNT",
                                                      absl::StrCat(kChunk)}));
    if (r.elements.size() != 2) return absl::InternalError("unexpected SCAN reply");
    cursor = r.elements[0].str;
    for (const auto& k : r.elements[1].elements) keys.push_back(k.str);
  } while (cursor != "0");
  for (const std::string& key : keys) {
    FG_ASSIGN_OR_RETURN(redis::Reply r, pool.Command({"ZRANGE", key, "0", "-1", "WITHSCORES"}));
    for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
      double score = 0;
      (void)absl::SimpleAtod(r.elements[i + 1].str, &score);
      live.ranks.sets[key][r.elements[i].str] = score;
    }
  }
  return live;
}

std::vector<redis::CounterDifference> Diff(CreditStore& store, const std::string& version,
                                           const MemoryState& rebuilt, const Live& live) {
  std::vector<redis::CounterDifference> out;
  std::set<std::string> ids;
  for (const auto& [id, unused] : live.subjects) ids.insert(id);
  redis::CounterSnapshot ranks;
  for (const auto& [id, s] : rebuilt.subjects()) {
    ids.insert(id);
    for (const std::string& key : RankKeys(store, version, s)) {
      ranks.sets[key][id] = static_cast<double>(s.score());
    }
  }
  for (const std::string& id : ids) {
    auto l = live.subjects.find(id);
    auto r = rebuilt.subjects().find(id);
    std::map<std::string, std::string> lv, rv;
    if (l != live.subjects.end()) lv = Compared(l->second);
    if (r != rebuilt.subjects().end()) rv = Compared(r->second);
    for (const char* field : {"score", "level", "ledger_records"}) {
      if (lv[field] != rv[field]) {
        out.push_back({store.SubjectKey(version, id), field, lv[field], rv[field]});
      }
    }
  }
  for (auto& d : redis::DiffCounters(live.ranks, ranks)) out.push_back(std::move(d));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.key, a.field) < std::tie(b.key, b.field);
  });
  return out;
}

}  // namespace

absl::StatusOr<redis::CounterCheck> CheckServingGeneration(CreditStore& store, const Rules& rules,
                                                           const SubjectIds& ids, int attempts) {
  FG_ASSIGN_OR_RETURN(std::string version, store.ServingVersion());
  if (version.empty()) return absl::FailedPreconditionError("no rule set is in force yet");
  if (version != rules.version()) {
    return absl::FailedPreconditionError(
        absl::StrCat("rule set ", version, " is in force; this replica has ", rules.version(),
                     ": check on a replica with the rule set in force"));
  }
  MemoryState state;
  std::string replayed = "0";  // the stream id of the last fact replayed
  redis::CounterCheck check;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    FG_ASSIGN_OR_RETURN(std::string cursor, store.Cursor(version));
    if (StreamIdLess(cursor, replayed)) {
      return absl::AbortedError("the generation in force was rewritten during the check");
    }
    // Replays the facts up to the cursor (from where the last attempt stopped).
    bool reached = !StreamIdLess(replayed, cursor);
    while (!reached) {
      FG_ASSIGN_OR_RETURN(auto facts, store.ReadFacts(replayed, kChunk));
      if (facts.empty()) {
        return absl::DataLossError(absl::StrCat("the history ends before the cursor ", cursor,
                                                " of generation ", version));
      }
      for (const auto& [id, fact] : facts) {
        if (StreamIdLess(cursor, id)) {
          reached = true;
          break;
        }
        (void)Apply(rules, ids, fact, &state, /*publish=*/false);
        replayed = id;
        ++check.records;
        if (!StreamIdLess(replayed, cursor)) {
          reached = true;
          break;
        }
      }
    }
    FG_ASSIGN_OR_RETURN(Live live, ReadLive(store, version));
    FG_ASSIGN_OR_RETURN(std::string after, store.Cursor(version));
    if (after != cursor) continue;  // applied meanwhile: replay on to the new cursor
    check.differences = Diff(store, version, state, live);
    return check;
  }
  return absl::AbortedError("the applier kept applying facts during the check; try again");
}

}  // namespace firegrid::credit
