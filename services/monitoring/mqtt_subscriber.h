#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "firegrid/monitoring/v1/signal.pb.h"
#include "services/monitoring/ingestor.h"

struct mosquitto;
struct mosquitto_message;

namespace firegrid::monitoring {

// The grpc.health.v1 name that follows the MQTT broker connection.
inline constexpr absl::string_view kMqttHealthName = "firegrid.monitoring.mqtt";

struct MqttOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string username;  // empty: connect without credentials
  std::string password;
  // Stable per replica: with clean_session=false the broker keeps the session (and the QoS 1
  // messages of this replica's share) while the replica is away.
  std::string client_id;
  bool clean_session = false;
  // Replicas of one group share the stream: each message goes to one of them.
  std::string share_group = "monitoring";
  int keepalive_seconds = 30;
  // Back-off between connection attempts: doubles from min up to max.
  absl::Duration reconnect_min = absl::Milliseconds(200);
  absl::Duration reconnect_max = absl::Seconds(10);
  // Batching: a worker hands its sink what arrived within `batch_window` of the first message,
  // up to `batch_max_signals` signals.
  absl::Duration batch_window = absl::Milliseconds(5);
  int batch_max_signals = 2000;
  // Worker threads; messages of one device or gateway always go to the same worker (in order).
  int workers = 2;
  // Messages waiting per worker before the network thread blocks (back-pressure: the broker
  // keeps the rest, in the replica's persistent session). Small, because what waits here is
  // already acknowledged to the broker: it is lost if the replica crashes, and a fire alarm
  // waits behind it.
  size_t queue_limit = 100;
  // A batch the sink refuses (UNAVAILABLE: Redis down) is tried again after a back-off that
  // doubles up to this, while the subscriber runs.
  absl::Duration retry_max = absl::Seconds(5);
};

// Where decoded batches go; one call per source (device or gateway topic) per batch.
// UNAVAILABLE means "try again" (Redis is down: the batch is retried with back-off, and the
// worker holds later batches of its sources meanwhile); any other error is logged with the
// source and counted (on_dropped "ingest_failed"), and the batch is not tried again (what the
// Ingestor could commit of it is committed; a retry would not write the rest either).
using SignalSink = std::function<absl::Status(const SignalSource&, std::vector<v1::Signal>)>;

// Subscribes to the device and gateway topics over MQTT (QoS 1, shared subscription
// `$share/<group>/fg/v1/d/+/signal` and `$share/<group>/fg/v1/g/+/signals`), decodes each message
// (payload.h) and hands batches to the sink on worker threads. Reconnects with back-off and
// subscribes again on every connect. Malformed messages are counted, logged with the topic's
// device or gateway id, and dropped.
//
// libmosquitto 2.0 acknowledges a QoS 1 message when it arrives, before the sink has handled
// it: a replica that crashes loses what it held in memory (queue_limit messages per worker).
// Devices report their state bits and values in every heartbeat, so such a condition is seen again
// at the next signal.
class MqttSubscriber {
 public:
  // `on_dropped(reason)`: for metrics ("malformed_topic", "malformed_payload", "too_large",
  // "ingest_failed").
  MqttSubscriber(MqttOptions options, SignalSink sink,
                 std::function<void(absl::string_view reason)> on_dropped = nullptr);
  ~MqttSubscriber();  // Stop()
  MqttSubscriber(const MqttSubscriber&) = delete;
  MqttSubscriber& operator=(const MqttSubscriber&) = delete;

  // Starts the network thread (which connects, retrying until Stop) and the workers.
  // INVALID_ARGUMENT for unusable options.
  absl::Status Start();
  // Disconnects and joins the threads; what the workers hold is handed to the sink first (one
  // attempt).
  void Stop();

  // Connected and subscribed.
  bool connected() const { return subscribed_.load(); }
  // OK while connected and subscribed; UNAVAILABLE otherwise (for AddDependencyCheck).
  absl::Status Health() const;
  int64_t messages_received() const { return received_.load(); }
  int64_t messages_dropped() const { return dropped_.load(); }
  int64_t connects() const { return connects_.load(); }
  // Messages received and waiting for a worker.
  int64_t queued() const;
  // Connections the broker refused (bad credentials, …).
  int64_t refusals() const { return refusals_.load(); }

 private:
  struct Message {
    std::string topic;
    std::string payload;
  };
  struct Worker {
    std::mutex mu;
    std::condition_variable cv;        // new messages or stop
    std::condition_variable space_cv;  // room in the queue
    std::deque<Message> queue;
    std::thread thread;
  };

  static void OnConnect(struct mosquitto* m, void* self, int rc);
  static void OnDisconnect(struct mosquitto* m, void* self, int rc);
  static void OnSubscribe(struct mosquitto* m, void* self, int mid, int qos_count,
                          const int* granted);
  static void OnMessage(struct mosquitto* m, void* self, const struct mosquitto_message* msg);

  void NetworkLoop();
  void WorkerLoop(Worker* w);
  void Deliver(std::vector<Message> batch);
  bool SleepUnlessStopped(absl::Duration d);

  MqttOptions options_;
  SignalSink sink_;
  std::function<void(absl::string_view)> on_dropped_;
  struct mosquitto* mosq_ = nullptr;
  std::thread network_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> subscribed_{false};
  std::atomic<int> subscribe_mid_{-1};
  std::atomic<int64_t> received_{0};
  std::atomic<int64_t> dropped_{0};
  std::atomic<int64_t> connects_{0};
  std::atomic<int64_t> refusals_{0};
};

}  // namespace firegrid::monitoring
