#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/events/consumer.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::testing {

// The firegrid-devbroker binary as a child process (path given at build time).
class DevBroker {
 public:
  DevBroker() = default;
  ~DevBroker();

  // Starts it and waits for its "devbroker bootstrap=..." line.
  absl::Status Start(int brokers = 1);
  // SIGUSR1 / SIGUSR2, then waits until the broker logged that it acted on the signal.
  absl::Status Down();
  absl::Status Up();
  // Writes `commands` as the broker's control file and sends SIGHUP: injected latency and
  // request errors (tools/devbroker/README.md, e.g. "rtt 300\n", "rtt 0\n"); waits until the
  // broker applied them (an error when it could not).
  absl::Status Inject(const std::string& commands);
  absl::Status Stop();

  const std::string& bootstrap() const { return bootstrap_; }
  const std::string& stderr_path() const { return process_.stderr_path(); }

 private:
  absl::Status Await(const char* msg, int count);

  TempDir dir_{"firegrid-devbroker"};
  Subprocess process_;
  std::string bootstrap_;
  int downs_ = 0;
  int ups_ = 0;
  int controls_ = 0;
};

// Reads `topic` from the beginning (all partitions, no consumer group) until `want` messages have
// arrived or `timeout` passed; returns what arrived, partition by partition in offset order
// merged by arrival.
std::vector<events::ReceivedMessage> ReadTopic(const std::string& bootstrap,
                                               const std::string& topic, size_t want,
                                               absl::Duration timeout);

// Reads every message `topic` holds when the call begins: all partitions from the beginning up to
// each one's high watermark asked of the broker first, no consumer group. Returns them partition
// by partition in offset order merged by arrival, or DEADLINE_EXCEEDED (naming what was missing)
// if they have not all arrived within `timeout`. Unlike ReadTopic, its end is the topic's end, so
// a caller polling for an event is not at the mercy of how long a fresh reader takes to connect.
absl::StatusOr<std::vector<events::ReceivedMessage>> ReadTopicToEnd(const std::string& bootstrap,
                                                                    const std::string& topic,
                                                                    absl::Duration timeout);

// The number of messages stored in `topic` (sum over partitions of high − low watermark), asked
// of the broker; -1 on error.
int64_t CountMessages(const std::string& bootstrap, const std::string& topic);

// The number of messages the broker has removed from `topic` by retention (sum over partitions
// of the low watermark: offsets start at 0), asked of the broker; -1 on error.
int64_t RemovedMessages(const std::string& bootstrap, const std::string& topic);

}  // namespace firegrid::testing
