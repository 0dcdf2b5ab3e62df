// The ingest pipeline (ingestor.h): a batch of signals → registry and states in one round trip
// each → Engine → one conditional commit per changed device → the dispatch push.
#include "services/monitoring/ingestor.h"

#include <algorithm>
#include <numeric>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "libs/common/status.h"
#include "services/monitoring/alarm_store.h"
#include "services/monitoring/links.h"

namespace firegrid::monitoring {

namespace {

constexpr size_t kMaxRejectionsReported = 100;
constexpr int kMaxRejectionsLogged = 20;  // per batch; the rest are counted

absl::Duration HeartbeatOf(const v1::Device& device) {
  const auto& p = device.heartbeat_period();
  absl::Duration d = absl::Seconds(p.seconds()) + absl::Nanoseconds(p.nanos());
  return d > absl::ZeroDuration() ? d : absl::Minutes(5);
}

v1::BuildingView ViewFromDevice(const v1::Device& device) {
  v1::BuildingView b;
  b.set_building_id(device.building_id());
  b.set_name(device.building_name());
  b.set_tier_path(device.tier_path());
  return b;
}

// Worth retrying the batch: the store is down or busy.
bool Transient(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) || absl::IsResourceExhausted(s);
}

const char* OutcomeOf(const Evaluation& e) {
  switch (e.verdict) {
    case Evaluation::Verdict::kAccepted:
      return "accepted";
    case Evaluation::Verdict::kDuplicate:
      return "duplicate";
    case Evaluation::Verdict::kRejected:
      break;
  }
  return nullptr;  // the rejection reason
}

}  // namespace

Ingestor::Ingestor(DeviceDirectory* devices, StateRepository* states, const Rules* rules,
                   const Engine* engine, Clock* clock, IngestorOptions options)
    : devices_(devices),
      states_(states),
      rules_(rules),
      engine_(engine),
      clock_(clock),
      options_(std::move(options)) {}

absl::StatusOr<std::vector<std::optional<v1::Device>>> Ingestor::Devices(
    const std::vector<std::string>& ids, absl::Time now) {
  std::vector<std::optional<v1::Device>> out(ids.size());
  std::vector<std::string> missing;
  std::vector<size_t> missing_at;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    for (size_t i = 0; i < ids.size(); ++i) {
      auto it = device_cache_.find(ids[i]);
      if (it != device_cache_.end() && it->second.expires > now) {
        out[i] = it->second.device;
      } else {
        missing.push_back(ids[i]);
        missing_at.push_back(i);
      }
    }
  }
  if (missing.empty()) return out;
  FG_ASSIGN_OR_RETURN(std::vector<std::optional<v1::Device>> found, devices_->GetMany(missing));
  if (found.size() != missing.size()) {
    return absl::InternalError("device directory answered for a different number of devices");
  }
  const absl::Time expires = now + options_.device_cache_ttl;
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (device_cache_.size() > 2 * device_cache_swept_at_ + 1024) {
    for (auto it = device_cache_.begin(); it != device_cache_.end();) {
      it = it->second.expires <= now ? device_cache_.erase(it) : std::next(it);
    }
    device_cache_swept_at_ = device_cache_.size();
  }
  for (size_t j = 0; j < missing.size(); ++j) {
    out[missing_at[j]] = found[j];
    device_cache_[missing[j]] = CachedDevice{std::move(found[j]), expires};
  }
  return out;
}

absl::StatusOr<v1::BuildingView> Ingestor::BuildingOf(const v1::Device& device, absl::Time now) {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = building_cache_.find(device.building_id());
    if (it != building_cache_.end() && it->second.expires > now) return it->second.building;
  }
  absl::StatusOr<v1::BuildingView> b = devices_->GetBuilding(device.building_id());
  if (!b.ok()) {
    if (Transient(b.status())) return b.status();
    if (!absl::IsNotFound(b.status())) {
      log::Warn("building view unreadable", {{"device_id", device.device_id()},
                                             {"building_id", device.building_id()},
                                             {"error", b.status().ToString()}});
    }
    return ViewFromDevice(device);  // not projected (yet): what the registry entry knows
  }
  std::lock_guard<std::mutex> lock(cache_mu_);
  building_cache_[device.building_id()] = CachedBuilding{*b, now + options_.device_cache_ttl};
  return b;
}

absl::Status Ingestor::AddDispatch(const v1::Device& device, const v1::BuildingView& building,
                                   const std::vector<AlarmAction>& actions,
                                   std::map<std::string, v1::Dispatch>* dispatch) {
  std::optional<v1::Dispatch> base;
  for (const AlarmAction& a : actions) {
    if (a.kind != AlarmAction::Kind::kRaise || !rules_->Dispatches(a.rule_id)) continue;
    if (!base) {
      const config::v1::DispatchRule& rule = rules_->proto().dispatch();
      std::vector<v1::StationRef> stations;
      if (building.has_location()) {
        absl::StatusOr<std::vector<v1::StationRef>> near = devices_->NearestStations(
            building.location(), rule.radius_m(), rule.nearest_stations());
        if (near.ok()) {
          stations = *std::move(near);
        } else if (Transient(near.status())) {
          return near.status();
        } else {
          // The others are still told; the stations are what could not be found.
          log::Warn("nearest stations not found", {{"device_id", device.device_id()},
                                                   {"building_id", device.building_id()},
                                                   {"error", near.status().ToString()}});
        }
      }
      base = DispatchFor(rule, building, std::move(stations));
    }
    (*dispatch)[a.alarm_id] = *base;
  }
  return absl::OkStatus();
}

absl::Status Ingestor::CommitAndNotify(DeviceCommit& commit) {
  FG_ASSIGN_OR_RETURN(CommitResult result, states_->Commit(commit));
  if (options_.on_action) {
    for (const AlarmAction& a : commit.actions) options_.on_action(a);
  }
  if (options_.on_dispatch) {
    for (const auto& envelope : result.dispatch_events) options_.on_dispatch(envelope);
  }
  return absl::OkStatus();
}

absl::Status Ingestor::RunDevice(const v1::Device& device, StoredState stored,
                                 const std::vector<const v1::Signal*>& signals,
                                 const SignalSource& source, absl::Time now,
                                 std::vector<std::string>* outcomes) {
  std::optional<v1::BuildingView> building;
  for (int attempt = 1;; ++attempt) {
    outcomes->clear();
    DeviceCommit commit;
    commit.state = stored.state;
    bool changed = false;
    for (const v1::Signal* s : signals) {
      Evaluation e = engine_->OnSignal(device, commit.state, *s, now);
      const char* outcome = OutcomeOf(e);
      outcomes->push_back(outcome != nullptr ? std::string(outcome) : e.reject_reason);
      if (e.verdict != Evaluation::Verdict::kAccepted) continue;
      commit.state = std::move(e.state);
      changed = changed || e.state_changed;
      for (AlarmAction& a : e.actions) commit.actions.push_back(std::move(a));
    }
    if (!changed) return absl::OkStatus();  // heartbeats: nothing to write

    if (!commit.actions.empty()) {
      if (!building) {
        FG_ASSIGN_OR_RETURN(v1::BuildingView b, BuildingOf(device, now));
        building = std::move(b);
      }
      commit.building = *building;
      FG_RETURN_IF_ERROR(AddDispatch(device, *building, commit.actions, &commit.dispatch));
    } else {
      commit.building = ViewFromDevice(device);
    }
    commit.device = device;
    commit.expected_version = stored.version;
    commit.actor = absl::StrCat("device:", device.device_id());
    commit.traceparent = source.traceparent;
    commit.now = now;
    absl::Status st = CommitAndNotify(commit);
    if (!absl::IsAborted(st)) return st;
    if (attempt >= options_.max_commit_attempts) {
      return absl::UnavailableError(absl::StrCat("device ", device.device_id(),
                                                 ": state changed concurrently ", attempt,
                                                 " times; retry the batch"));
    }
    // Another replica (or batch) changed the device meanwhile: evaluate again on its state.
    FG_ASSIGN_OR_RETURN(std::vector<StoredState> again, states_->LoadStates({device.device_id()}));
    if (again.size() != 1) return absl::InternalError("state repository answered wrongly");
    stored = std::move(again[0]);
  }
}

void Ingestor::NoteSeen(const std::vector<std::pair<std::string, absl::Time>>& deadlines) {
  if (deadlines.empty()) return;
  std::lock_guard<std::mutex> lock(seen_mu_);
  for (const auto& [id, deadline] : deadlines) {
    auto [it, inserted] = seen_.emplace(id, deadline);
    if (!inserted && it->second < deadline) it->second = deadline;
  }
}

absl::StatusOr<IngestResult> Ingestor::Handle(const SignalSource& source,
                                              std::vector<v1::Signal> signals) {
  IngestResult result;
  if (signals.empty()) return result;
  const absl::Time now = clock_->Now();
  int logged = 0;

  auto count = [&](const v1::Signal& s, const std::string& outcome) {
    if (options_.on_signal) options_.on_signal(outcome);
    if (outcome == "accepted") {
      ++result.accepted;
      return;
    }
    if (outcome == "duplicate") {
      ++result.duplicates;
      return;
    }
    ++result.rejected;
    if (result.rejections.size() < kMaxRejectionsReported) {
      v1::RejectedSignal r;
      r.set_device_id(s.device_id());
      r.set_boot_epoch(s.boot_epoch());
      r.set_sequence(s.sequence());
      r.set_reason(outcome);
      result.rejections.push_back(std::move(r));
    }
    if (logged++ < kMaxRejectionsLogged) {
      log::Warn("signal rejected", {{"device_id", s.device_id()},
                                    {"boot_epoch", s.boot_epoch()},
                                    {"sequence", s.sequence()},
                                    {"reason", outcome},
                                    {"source", source.id}});
    }
  };

  // Each device's signals together, in (boot_epoch, sequence) order.
  std::vector<size_t> order(signals.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const v1::Signal& x = signals[a];
    const v1::Signal& y = signals[b];
    return std::forward_as_tuple(x.device_id(), x.boot_epoch(), x.sequence()) <
           std::forward_as_tuple(y.device_id(), y.boot_epoch(), y.sequence());
  });

  // Groups of one device: [begin, end) in `order`; those the source may not speak for, or
  // without a device id, are rejected here without a lookup.
  struct Group {
    size_t begin, end;
  };
  std::vector<Group> groups;
  std::vector<std::string> ids;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    const std::string& id = signals[order[i]].device_id();
    while (j < order.size() && signals[order[j]].device_id() == id) ++j;
    const char* reason = nullptr;
    if (id.empty()) {
      reason = "malformed";
    } else if (source.kind == SignalSource::Kind::kDeviceTopic && id != source.id) {
      reason = "not_your_device";
    }
    if (reason != nullptr) {
      for (size_t k = i; k < j; ++k) count(signals[order[k]], reason);
    } else {
      groups.push_back({i, j});
      ids.push_back(id);
    }
    i = j;
  }
  if (groups.empty()) return result;

  FG_ASSIGN_OR_RETURN(std::vector<std::optional<v1::Device>> devices, Devices(ids, now));

  // Who may speak for which device.
  std::vector<size_t> live;  // indexes into groups/ids
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::optional<v1::Device>& d = devices[g];
    const char* reason = nullptr;
    if (!d.has_value()) {
      reason = "unknown_device";
    } else if ((source.kind == SignalSource::Kind::kGatewayTopic ||
                source.kind == SignalSource::Kind::kGateway) &&
               d->gateway_id() != source.id) {
      reason = "not_your_device";
    } else if (d->status() == v1::DEVICE_STATUS_DECOMMISSIONED) {
      reason = "decommissioned";
    }
    if (reason != nullptr) {
      for (size_t k = groups[g].begin; k < groups[g].end; ++k) count(signals[order[k]], reason);
    } else {
      live.push_back(g);
    }
  }
  if (live.empty()) return result;
  // Devices with a signal that may dispatch (a fire alarm) first: their push must not wait for
  // the batch's other commits.
  std::stable_partition(live.begin(), live.end(), [&](size_t g) {
    for (size_t k = groups[g].begin; k < groups[g].end; ++k) {
      if (engine_->MayDispatch(*devices[g], signals[order[k]])) return true;
    }
    return false;
  });

  std::vector<std::string> live_ids;
  live_ids.reserve(live.size());
  for (size_t g : live) live_ids.push_back(ids[g]);
  FG_ASSIGN_OR_RETURN(std::vector<StoredState> states, states_->LoadStates(live_ids));
  if (states.size() != live_ids.size()) {
    return absl::InternalError("state repository answered for a different number of devices");
  }

  std::vector<std::pair<std::string, absl::Time>> deadlines;
  std::vector<const v1::Signal*> device_signals;
  std::vector<std::string> outcomes;
  absl::Status failed;
  for (size_t n = 0; n < live.size(); ++n) {
    const Group& g = groups[live[n]];
    const v1::Device& device = *devices[live[n]];
    device_signals.clear();
    for (size_t k = g.begin; k < g.end; ++k) device_signals.push_back(&signals[order[k]]);
    absl::Status st =
        RunDevice(device, std::move(states[n]), device_signals, source, now, &outcomes);
    if (!st.ok()) {
      // What was committed stays (a retry of the batch finds it as duplicates).
      if (Transient(st)) {
        failed = st;
        break;  // the store is down: the rest would fail the same way
      }
      // This device's change cannot be written, and retrying would not help: its signals are
      // dropped (logged, counted) so that they do not hold up the stream; the others of the
      // batch are still handled.
      log::Error("signals not stored", {{"device_id", device.device_id()},
                                        {"signals", device_signals.size()},
                                        {"error", st.ToString()}});
      for (const v1::Signal* s : device_signals) count(*s, "internal_error");
      continue;
    }
    bool heard = false;
    for (size_t k = 0; k < device_signals.size(); ++k) {
      count(*device_signals[k], outcomes[k]);
      heard = heard || outcomes[k] == "accepted";
    }
    if (heard && device.status() == v1::DEVICE_STATUS_IN_SERVICE) {
      deadlines.emplace_back(
          device.device_id(),
          now + HeartbeatOf(device) * rules_->proto().offline().missed_periods());
    }
  }
  NoteSeen(deadlines);
  if (!failed.ok()) return failed;
  if (logged > kMaxRejectionsLogged) {
    log::Warn("signals rejected", {{"source", source.id},
                                   {"rejected", result.rejected},
                                   {"not_logged", logged - kMaxRejectionsLogged}});
  }
  return result;
}

absl::Status Ingestor::FlushSeen() {
  std::map<std::string, absl::Time> taken;
  {
    std::lock_guard<std::mutex> lock(seen_mu_);
    taken.swap(seen_);
  }
  if (taken.empty()) return absl::OkStatus();
  std::vector<std::pair<std::string, absl::Time>> deadlines(taken.begin(), taken.end());
  absl::Status st = states_->RecordSeen(deadlines);
  if (!st.ok()) NoteSeen(deadlines);  // kept for the next flush
  return st;
}

absl::StatusOr<int> Ingestor::SweepOffline(int limit) {
  FG_RETURN_IF_ERROR(FlushSeen());
  const absl::Time now = clock_->Now();
  FG_ASSIGN_OR_RETURN(std::vector<std::string> due, states_->OfflineDue(now, limit));
  if (due.empty()) return 0;
  FG_ASSIGN_OR_RETURN(std::vector<std::optional<v1::Device>> devices, devices_->GetMany(due));
  FG_ASSIGN_OR_RETURN(std::vector<StoredState> states, states_->LoadStates(due));
  if (devices.size() != due.size() || states.size() != due.size()) {
    return absl::InternalError("stores answered for a different number of devices");
  }
  int raised = 0;
  for (size_t i = 0; i < due.size(); ++i) {
    if (!devices[i].has_value()) {
      FG_RETURN_IF_ERROR(states_->Unwatch(due[i]));
      continue;
    }
    const v1::Device& device = *devices[i];
    // The stored deadline passed: the device was last heard from a window before it.
    const absl::Time last_seen =
        now - HeartbeatOf(device) * rules_->proto().offline().missed_periods();
    StoredState stored = std::move(states[i]);
    for (int attempt = 1;; ++attempt) {
      Evaluation e = engine_->OnSilence(device, stored.state, last_seen, now);
      if (!e.state_changed) break;
      DeviceCommit commit;
      FG_ASSIGN_OR_RETURN(commit.building, BuildingOf(device, now));
      commit.device = device;
      commit.expected_version = stored.version;
      commit.state = std::move(e.state);
      commit.actions = std::move(e.actions);
      commit.actor = "monitoring";
      commit.now = now;
      FG_RETURN_IF_ERROR(AddDispatch(device, commit.building, commit.actions, &commit.dispatch));
      absl::Status st = CommitAndNotify(commit);
      if (st.ok()) {
        for (const AlarmAction& a : commit.actions) raised += a.kind == AlarmAction::Kind::kRaise;
        break;
      }
      if (!absl::IsAborted(st) || attempt >= options_.max_commit_attempts) return st;
      FG_ASSIGN_OR_RETURN(std::vector<StoredState> again, states_->LoadStates({due[i]}));
      if (again.size() != 1) return absl::InternalError("state repository answered wrongly");
      stored = std::move(again[0]);
    }
    FG_RETURN_IF_ERROR(states_->Unwatch(due[i]));
  }
  return raised;
}

}  // namespace firegrid::monitoring
