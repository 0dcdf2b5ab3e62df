#include "libs/audit/audit_log.h"

#include <algorithm>
#include <optional>

#include "absl/random/distributions.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/status.h"

namespace firegrid::audit {
namespace {

using google::protobuf::util::TimeUtil;

// Appends a batch of consecutive records. KEYS: head, then per record its key and its object's
// index. ARGV: expected head ("" for an empty chain), new head, expire-at ms (one time for the
// batch), then per record: its bytes, its sequence, "1" when it names an object. Returns 1, or
// {0, the head as it is} when another writer moved it (the retry needs no read of its own).
constexpr char kAppendLua[] = R"lua(
local h = redis.call('GET', KEYS[1])
if not h then h = '' end
if h ~= ARGV[1] then return {0, h} end
for i = 1, (#KEYS - 1) / 2 do
  local a = 3 * i + 1
  redis.call('SET', KEYS[2 * i], ARGV[a], 'PXAT', ARGV[3])
  if ARGV[a + 2] == '1' then
    redis.call('ZADD', KEYS[2 * i + 1], ARGV[a + 1], ARGV[a + 1])
    redis.call('PEXPIREAT', KEYS[2 * i + 1], ARGV[3])
  end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
)lua";

constexpr int kMaxAppendAttempts = 50;
// After this many lost compare-and-sets in a row, an attempt waits a random 0..attempt ms
// (at most kMaxBackoff) first, so that two writers in step stop colliding.
constexpr int kBackoffAfter = 3;
constexpr absl::Duration kMaxBackoff = absl::Milliseconds(20);
// Records appended in one round trip at most.
constexpr size_t kMaxBatch = 128;

}  // namespace

AuditLog::AuditLog(redis::Pool* pool, Clock* clock, AuditLogOptions options)
    : pool_(pool), clock_(clock), options_(std::move(options)), append_(kAppendLua) {}

std::string AuditLog::RecordKey(int64_t sequence) const {
  return absl::StrCat(options_.key_prefix, ":r:", sequence);
}

absl::StatusOr<AuditLog::Head> AuditLog::ReadHead() {
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"GET", options_.key_prefix + ":head"}));
  return ParseHead(r.IsNil() ? "" : r.str);
}

absl::StatusOr<AuditLog::Head> AuditLog::ParseHead(const std::string& raw) {
  Head head;
  if (raw.empty()) return head;
  head.raw = raw;
  std::vector<std::string> parts = absl::StrSplit(raw, ' ');
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &head.sequence) ||
      !absl::SimpleAtoi(parts[1], &head.time_ms)) {
    return absl::DataLossError(absl::StrCat("audit head is malformed: ", raw));
  }
  head.hash = parts[2];
  return head;
}

absl::StatusOr<AuditRecord> AuditLog::Append(AuditRecord record) {
  record.set_service(options_.service);
  Pending me{.record = std::move(record)};
  absl::MutexLock lock(&queue_mu_);
  queue_.push_back(&me);
  while (!me.result.has_value()) {
    if (appending_) {
      appended_.Wait(&queue_mu_);
      continue;
    }
    // No append under way: this call appends what is waiting (its own record among them, unless
    // more than a batch waits before it), in one round trip.
    appending_ = true;
    std::vector<Pending*> batch;
    while (!queue_.empty() && batch.size() < kMaxBatch) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    std::vector<AuditRecord> records;
    records.reserve(batch.size());
    for (Pending* p : batch) records.push_back(std::move(p->record));
    queue_mu_.Unlock();
    absl::StatusOr<std::vector<AuditRecord>> appended = AppendBatch(std::move(records));
    queue_mu_.Lock();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (appended.ok()) {
        batch[i]->result = std::move((*appended)[i]);
      } else {
        batch[i]->result = appended.status();
      }
    }
    appending_ = false;
    appended_.SignalAll();
  }
  return *std::move(me.result);
}

int AuditLog::waiting() const {
  absl::MutexLock lock(&queue_mu_);
  return static_cast<int>(queue_.size());
}

absl::StatusOr<std::vector<AuditRecord>> AuditLog::AppendBatch(std::vector<AuditRecord> records) {
  absl::MutexLock lock(&head_mu_);
  for (int attempt = 0; attempt < kMaxAppendAttempts; ++attempt) {
    if (attempt >= kBackoffAfter) {
      absl::SleepFor(std::min(kMaxBackoff, absl::Milliseconds(absl::Uniform(bitgen_, 0, attempt))));
    }
    Head head;
    if (last_head_.has_value()) {
      head = *std::move(last_head_);  // the compare-and-set below checks it is still the head
      last_head_.reset();
    } else {
      FG_ASSIGN_OR_RETURN(head, ReadHead());
    }
    // Never before the predecessor: records then expire oldest first.
    const int64_t now_ms = std::max(absl::ToUnixMillis(clock_->Now()), head.time_ms);
    const int64_t expire_at = now_ms + absl::ToInt64Milliseconds(options_.retention);
    std::vector<std::string> keys = {options_.key_prefix + ":head"};
    std::vector<std::string> args = {head.raw, "", absl::StrCat(expire_at)};
    keys.reserve(1 + 2 * records.size());
    args.reserve(3 + 3 * records.size());
    int64_t sequence = head.sequence;
    std::string prev_hash = head.hash;
    for (AuditRecord& record : records) {
      record.set_sequence(++sequence);
      *record.mutable_time() = TimeUtil::MillisecondsToTimestamp(now_ms);
      record.set_prev_hash(prev_hash);
      record.clear_hash();
      record.set_hash(HashRecord(record));
      prev_hash = record.hash();
      keys.push_back(RecordKey(sequence));
      keys.push_back(absl::StrCat(options_.key_prefix, ":o:", record.object_id()));
      args.push_back(record.SerializeAsString());
      args.push_back(absl::StrCat(sequence));
      args.push_back(record.object_id().empty() ? "0" : "1");
    }
    const std::string new_head = absl::StrCat(sequence, " ", now_ms, " ", prev_hash);
    args[1] = new_head;
    FG_ASSIGN_OR_RETURN(redis::Reply done, append_.Run(*pool_, keys, args));
    if (done.type == redis::Reply::Type::kInteger && done.integer == 1) {
      last_head_ = Head{.sequence = sequence, .time_ms = now_ms, .hash = prev_hash, .raw = new_head};
      return records;
    }
    // Another writer moved the head: the reply holds it, for the next attempt.
    if (done.type != redis::Reply::Type::kArray || done.elements.size() != 2) {
      return absl::InternalError("audit append script answered neither 1 nor {0, head}");
    }
    FG_ASSIGN_OR_RETURN(Head moved, ParseHead(done.elements[1].str));
    last_head_ = std::move(moved);
  }
  return absl::UnavailableError("audit log head contended; record not appended");
}

absl::StatusOr<std::vector<std::optional<AuditRecord>>> AuditLog::Fetch(
    const std::vector<int64_t>& seqs) {
  std::vector<std::optional<AuditRecord>> out;
  if (seqs.empty()) return out;
  std::vector<std::string> cmd = {"MGET"};
  for (int64_t s : seqs) cmd.push_back(RecordKey(s));
  FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command(cmd));
  if (r.type != redis::Reply::Type::kArray || r.elements.size() != seqs.size()) {
    return absl::InternalError("audit: unexpected MGET reply");
  }
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (r.elements[i].IsNil()) {
      out.push_back(std::nullopt);
      continue;
    }
    AuditRecord rec;
    if (!rec.ParseFromString(r.elements[i].str)) {
      return absl::DataLossError(absl::StrCat("audit record ", seqs[i], " does not decode"));
    }
    out.push_back(std::move(rec));
  }
  return out;
}

absl::StatusOr<AuditLog::Page> AuditLog::ListByObject(const std::string& object_id,
                                                      int64_t after_sequence, int limit) {
  Page page;
  FG_ASSIGN_OR_RETURN(
      redis::Reply r,
      pool_->Command({"ZRANGEBYSCORE", absl::StrCat(options_.key_prefix, ":o:", object_id),
                      absl::StrCat("(", after_sequence), "+inf", "LIMIT", "0",
                      absl::StrCat(limit + 1)}));
  std::vector<int64_t> seqs;
  for (const auto& e : r.elements) {
    int64_t s = 0;
    if (absl::SimpleAtoi(e.str, &s)) seqs.push_back(s);
  }
  const bool more = static_cast<int>(seqs.size()) > limit;
  if (more) seqs.resize(limit);
  FG_ASSIGN_OR_RETURN(auto records, Fetch(seqs));
  for (auto& rec : records) {
    if (rec.has_value()) page.records.push_back(std::move(*rec));  // expired ones are gone
  }
  if (more && !seqs.empty()) page.next_after = seqs.back();
  return page;
}

absl::StatusOr<int64_t> AuditLog::FirstRetained(int64_t head_sequence) {
  // The retained records are a suffix (see the class comment): binary search for its start.
  int64_t lo = 1, hi = head_sequence;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    FG_ASSIGN_OR_RETURN(redis::Reply r, pool_->Command({"EXISTS", RecordKey(mid)}));
    if (r.integer == 1) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

absl::StatusOr<v1::VerifyAuditChainResponse> AuditLog::Verify(int64_t from_sequence, int limit) {
  v1::VerifyAuditChainResponse resp;
  resp.set_intact(true);
  FG_ASSIGN_OR_RETURN(Head head, ReadHead());
  resp.set_head_sequence(head.sequence);
  if (head.sequence == 0) return resp;
  FG_ASSIGN_OR_RETURN(int64_t first, FirstRetained(head.sequence));
  resp.set_first_sequence(first);
  int64_t from = std::max(from_sequence, first);
  if (from > head.sequence) return resp;
  const int64_t to = std::min(head.sequence, from + limit - 1);
  std::vector<int64_t> seqs;
  if (from > first) seqs.push_back(from - 1);  // the predecessor of the first one checked
  for (int64_t s = from; s <= to; ++s) seqs.push_back(s);
  FG_ASSIGN_OR_RETURN(auto records, Fetch(seqs));
  const AuditRecord* previous = nullptr;
  size_t i = 0;
  if (from > first) {
    if (records[0].has_value()) previous = &*records[0];
    i = 1;
  }
  for (; i < records.size(); ++i) {
    const int64_t seq = seqs[i];
    absl::Status link;
    if (!records[i].has_value()) {
      link = absl::DataLossError(absl::StrCat("record ", seq, " is missing"));
    } else if (records[i]->sequence() != seq) {
      link = absl::DataLossError(
          absl::StrCat("record stored as ", seq, " says it is ", records[i]->sequence()));
    } else {
      link = VerifyLink(previous, *records[i]);
    }
    if (!link.ok()) {
      resp.set_intact(false);
      resp.set_broken_at(seq);
      resp.set_problem(std::string(link.message()));
      return resp;
    }
    resp.set_checked(resp.checked() + 1);
    previous = &*records[i];
  }
  // The head must name the newest record.
  if (to == head.sequence && previous != nullptr && previous->hash() != head.hash) {
    resp.set_intact(false);
    resp.set_broken_at(head.sequence);
    resp.set_problem("the head does not match the newest record");
    return resp;
  }
  resp.set_next_sequence(to < head.sequence ? to + 1 : 0);
  return resp;
}

}  // namespace firegrid::audit
