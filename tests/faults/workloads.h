#pragma once

// The write loads of the fault experiments, one per service, each with the check that reads what
// was really stored: the service's Redis keys and the events on its topic.

#include <memory>
#include <string>
#include <vector>

#include "tests/faults/harness.h"

namespace firegrid::faults {

// What a check found, summed over what it checked (the store, the topic).
struct Checked {
  int64_t lost = 0;
  int64_t duplicated = 0;
  std::vector<std::string> examples;
  // Figures of the check beyond lost/duplicated (name, value), e.g. {"events", "812"}.
  std::vector<std::pair<std::string, std::string>> extra;
  void Add(const Verdict& v);
};

class Workload {
 public:
  virtual ~Workload() = default;
  // The service the load writes to (the one the faults hit), e.g. "buildings".
  virtual std::string target() const = 0;
  // The write, as the experiment names it, e.g. "CreateBuilding".
  virtual std::string write_name() const = 0;
  // The services of the stack, in start order (the target among them).
  virtual std::vector<std::string> services() const = 0;
  // Flags service `name` of the stack needs beyond the shipped configuration (ConfigFlags), asked
  // when it starts: e.g. the addresses of the services started before it.
  virtual std::vector<std::string> Flags(const std::string& name, Stack& stack) { return {}; }
  // What must exist before the load starts (org units, a building the service knows).
  virtual void SetUp(Stack& stack) = 0;
  // One attempt of the write with key `key` (the same key → the same request).
  virtual Attempt Write(Stack& stack, const std::string& key) = 0;
  // After the load: every acknowledged write (key → id) stored once and its event on the topic,
  // one event id per write; waits (up to `timeout`) for the outbox to deliver them.
  virtual Checked Check(Stack& stack, const std::map<std::string, std::string>& acknowledged,
                        absl::Duration timeout) = 0;
};

// After a load under faults: checks what it acknowledged (workload.Check, giving the outbox up to
// 90 s), reports the experiment's figures (the check's own, then `extra`, then "writes given up")
// and expects nothing lost, nothing applied twice and no write given up for good (gtest
// expectations).
void CheckAndReport(Workload& workload, Stack& stack, const Load& load,
                    const std::string& experiment, int cycles, absl::Duration recovery_max,
                    const std::vector<std::pair<std::string, std::string>>& extra = {});

// CreateBuilding with a request_id; each write a building of its own name.
std::unique_ptr<Workload> BuildingsWorkload();
// ReportHazard with an idempotency key on one building and category: the first report is the
// open hazard, each write a duplicate report linked to it and counted on it once.
std::unique_ptr<Workload> HazardsWorkload();
// RecordManual with a request_id on one credit subject (drills and blocked fire lanes): each
// acknowledged request one fact in the history, applied as one ledger record, and every record
// that moved the score published once (ScoreChanged).
std::unique_ptr<Workload> CreditWorkload();
// PushEvent of fire alarms (as monitoring hands them over, each to three org inboxes), and
// afterwards the same events on the monitoring topic: every acknowledged alarm stored once in
// each recipient's inbox, the topic's copies adding nothing; and each on the station's live
// stream, which resubscribes from its cursors after every restart, once repeats are dropped.
std::unique_ptr<Workload> NotifyWorkload();
// RegisterDevice, each write a device of its own id: each acknowledged device stored, and one
// DeviceRegistered event id per device on the topic.
std::unique_ptr<Workload> MonitoringWorkload();
// CreateBuilding through the gateway's JSON API (POST /api/v1/<service>/<method>, the request
// id in the JSON), checked as BuildingsWorkload; the faults hit the gateway.
std::unique_ptr<Workload> GatewayWorkload();

}  // namespace firegrid::faults
