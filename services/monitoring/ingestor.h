#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/events/v1/envelope.pb.h"
#include "firegrid/monitoring/v1/monitoring.pb.h"
#include "firegrid/monitoring/v1/signal.pb.h"
#include "libs/common/clock.h"
#include "services/monitoring/engine.h"
#include "services/monitoring/repositories.h"
#include "services/monitoring/rules.h"

namespace firegrid::monitoring {

// Where a batch of signals came from; decides which devices it may speak for.
struct SignalSource {
  enum class Kind {
    kDeviceTopic,   // MQTT fg/v1/d/<id>/signal: only that device (id)
    kGatewayTopic,  // MQTT fg/v1/g/<id>/signals: only devices whose gateway_id is id
    kGateway,       // Ingest RPC by an iot_gateway principal: devices whose gateway_id is id
    kInternal,      // Ingest RPC by internal_service: any device (id: the named gateway, or "")
  };
  Kind kind = Kind::kDeviceTopic;
  std::string id;
  std::string traceparent;  // of the RPC, "" for MQTT
};

struct IngestResult {
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t rejected = 0;
  std::vector<v1::RejectedSignal> rejections;  // the first 100
};

struct IngestorOptions {
  // Called (outside any lock) with the AlarmRaised envelope of every dispatching alarm right
  // after its commit: the direct push to notify.
  std::function<void(const ::firegrid::events::v1::Envelope&)> on_dispatch;
  // Called for every signal outcome: "accepted", "duplicate", or the rejection reason; and
  // for every alarm action committed (raise/repeat/clear, with its type). For metrics.
  std::function<void(absl::string_view outcome)> on_signal;
  std::function<void(const AlarmAction&)> on_action;
  // A commit that loses its state-version race is evaluated again this many times.
  int max_commit_attempts = 8;
  // How long a registry entry read for a batch may be reused by later batches.
  absl::Duration device_cache_ttl = absl::Seconds(5);
};

// The ingest pipeline shared by MQTT and the Ingest RPC: a batch of signals → the devices and
// their states in one round trip each → Engine → one conditional atomic commit per changed
// device (re-evaluated when another replica changed it meanwhile) → the dispatch push. Signals
// that change nothing (heartbeats) write nothing but their device's offline deadline, kept in
// memory and flushed by FlushSeen. Thread-safe; batches may run concurrently.
class Ingestor {
 public:
  Ingestor(DeviceDirectory* devices, StateRepository* states, const Rules* rules,
           const Engine* engine, Clock* clock, IngestorOptions options = {});

  // Handles `signals` (any devices, any order: each device's signals are taken in
  // (boot_epoch, sequence) order). A signal for an unknown device, a device the source may not
  // speak for, a decommissioned device, or malformed or from the future is rejected (counted,
  // logged with the device id, and dropped). UNAVAILABLE when Redis is: the caller retries the
  // batch (a retry of what was committed counts as duplicates); so are DEADLINE_EXCEEDED and
  // RESOURCE_EXHAUSTED. A device whose change cannot be written for any other reason (the
  // store refuses it; retrying would not help) has its signals rejected as "internal_error"
  // (logged at error level), so that one bad entry never holds up the stream.
  absl::StatusOr<IngestResult> Handle(const SignalSource& source, std::vector<v1::Signal> signals);

  // Writes the offline deadlines of the devices heard from since the last flush (one pipelined
  // round trip). Called periodically (and at shutdown).
  absl::Status FlushSeen();

  // Raises the offline alarm of devices whose deadline passed (Engine::OnSilence), at most
  // `limit`; returns how many alarms it raised. Flushes this replica's deadlines first; the
  // stored deadline is the authority on the silence (a device is taken off the watch once
  // marked offline, decommissioned or unknown; its next signal puts it back).
  absl::StatusOr<int> SweepOffline(int limit = 500);

 private:
  struct CachedDevice {
    std::optional<v1::Device> device;  // nullopt: not registered
    absl::Time expires;
  };
  struct CachedBuilding {
    v1::BuildingView building;
    absl::Time expires;
  };
  struct Outcome;

  // The registry entries of `ids` (same order): from the cache, the rest in one GetMany.
  absl::StatusOr<std::vector<std::optional<v1::Device>>> Devices(
      const std::vector<std::string>& ids, absl::Time now);
  // The building view for a commit (cached); built from the device when the projection does
  // not have the building (yet).
  absl::StatusOr<v1::BuildingView> BuildingOf(const v1::Device& device, absl::Time now);
  // Who hears of the dispatching raises of `actions` (alarm id → dispatch).
  absl::Status AddDispatch(const v1::Device& device, const v1::BuildingView& building,
                           const std::vector<AlarmAction>& actions,
                           std::map<std::string, v1::Dispatch>* dispatch);
  // Evaluates `signals` (one device's, in order) on `stored` and commits the result,
  // re-evaluating on a lost race. Fills `outcomes` (one per signal) from the evaluation that
  // was committed (or needed no commit).
  absl::Status RunDevice(const v1::Device& device, StoredState stored,
                         const std::vector<const v1::Signal*>& signals, const SignalSource& source,
                         absl::Time now, std::vector<std::string>* outcomes);
  // Commits `commit`, calls the hooks and on_dispatch; ABORTED passed through.
  absl::Status CommitAndNotify(DeviceCommit& commit);
  void NoteSeen(const std::vector<std::pair<std::string, absl::Time>>& deadlines);

  DeviceDirectory* devices_;
  StateRepository* states_;
  const Rules* rules_;
  const Engine* engine_;
  Clock* clock_;
  IngestorOptions options_;
  std::mutex seen_mu_;
  std::map<std::string, absl::Time> seen_;  // device id → offline deadline, not yet flushed
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedDevice> device_cache_;
  size_t device_cache_swept_at_ = 0;  // size after the last sweep of expired entries
  std::unordered_map<std::string, CachedBuilding> building_cache_;
};

}  // namespace firegrid::monitoring
