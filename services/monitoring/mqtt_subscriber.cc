#include "services/monitoring/mqtt_subscriber.h"

#include <mosquitto.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "libs/common/logging.h"
#include "services/monitoring/payload.h"

namespace firegrid::monitoring {
namespace {

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

// The device or gateway id of a topic, for routing a message to its worker: the fourth level.
absl::string_view TopicId(absl::string_view topic) {
  size_t start = 0;
  for (int level = 0; level < 3; ++level) {
    size_t slash = topic.find('/', start);
    if (slash == absl::string_view::npos) return topic;
    start = slash + 1;
  }
  size_t end = topic.find('/', start);
  return topic.substr(start,
                      end == absl::string_view::npos ? absl::string_view::npos : end - start);
}

std::string Truncated(absl::string_view s, size_t n = 128) {
  return std::string(s.substr(0, std::min(n, s.size())));
}

}  // namespace

MqttSubscriber::MqttSubscriber(MqttOptions options, SignalSink sink,
                               std::function<void(absl::string_view)> on_dropped)
    : options_(std::move(options)), sink_(std::move(sink)), on_dropped_(std::move(on_dropped)) {}

MqttSubscriber::~MqttSubscriber() {
  Stop();
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
}

absl::Status MqttSubscriber::Start() {
  if (started_.exchange(true)) return absl::FailedPreconditionError("already started");
  if (options_.client_id.empty() && !options_.clean_session) {
    return absl::InvalidArgumentError("--mqtt-client-id: required for a persistent session");
  }
  if (options_.share_group.empty() ||
      options_.share_group.find_first_of("/+#") != std::string::npos) {
    return absl::InvalidArgumentError(
        "--mqtt-share-group: a non-empty name without '/', '+' or '#'");
  }
  if (options_.port <= 0 || options_.port > 65535) {
    return absl::InvalidArgumentError("--mqtt-port: out of range");
  }
  if (options_.workers < 1) options_.workers = 1;
  if (options_.batch_max_signals < 1) options_.batch_max_signals = 1;
  InitLibraryOnce();
  mosq_ = mosquitto_new(options_.client_id.empty() ? nullptr : options_.client_id.c_str(),
                        options_.clean_session, this);
  if (mosq_ == nullptr) return absl::InvalidArgumentError("--mqtt-client-id: refused");
  if (!options_.username.empty()) {
    int rc =
        mosquitto_username_pw_set(mosq_, options_.username.c_str(),
                                  options_.password.empty() ? nullptr : options_.password.c_str());
    if (rc != MOSQ_ERR_SUCCESS) {
      return absl::InvalidArgumentError(absl::StrCat("--mqtt-username: ", mosquitto_strerror(rc)));
    }
  }
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(mosq_, &MqttSubscriber::OnConnect);
  mosquitto_disconnect_callback_set(mosq_, &MqttSubscriber::OnDisconnect);
  mosquitto_subscribe_callback_set(mosq_, &MqttSubscriber::OnSubscribe);
  mosquitto_message_callback_set(mosq_, &MqttSubscriber::OnMessage);
  for (int i = 0; i < options_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    Worker* w = workers_.back().get();
    w->thread = std::thread([this, w] { WorkerLoop(w); });
  }
  network_ = std::thread([this] { NetworkLoop(); });
  return absl::OkStatus();
}

void MqttSubscriber::Stop() {
  if (!started_.load() || stopping_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> l(stop_mu_);
    stop_cv_.notify_all();
  }
  for (auto& w : workers_) {
    std::lock_guard<std::mutex> l(w->mu);
    w->space_cv.notify_all();
  }
  if (network_.joinable()) network_.join();
  for (auto& w : workers_) {
    {
      std::lock_guard<std::mutex> l(w->mu);
      w->cv.notify_all();
    }
    if (w->thread.joinable()) w->thread.join();
  }
  subscribed_ = false;
}

absl::Status MqttSubscriber::Health() const {
  if (subscribed_.load()) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("not connected to the MQTT broker ", options_.host, ":", options_.port));
}

int64_t MqttSubscriber::queued() const {
  int64_t n = 0;
  for (const auto& w : workers_) {
    std::lock_guard<std::mutex> l(w->mu);
    n += static_cast<int64_t>(w->queue.size());
  }
  return n;
}

bool MqttSubscriber::SleepUnlessStopped(absl::Duration d) {
  std::unique_lock<std::mutex> l(stop_mu_);
  stop_cv_.wait_for(l, absl::ToChronoMilliseconds(d), [this] { return stopping_.load(); });
  return !stopping_.load();
}

void MqttSubscriber::NetworkLoop() {
  absl::Duration backoff = options_.reconnect_min;
  bool socket_open = false;
  bool reported_down = false;
  while (!stopping_.load()) {
    if (!socket_open) {
      int rc = mosquitto_connect(mosq_, options_.host.c_str(), options_.port,
                                 options_.keepalive_seconds);
      if (rc != MOSQ_ERR_SUCCESS) {
        if (!reported_down) {
          log::Warn("cannot connect to the MQTT broker", {{"host", options_.host},
                                                          {"port", options_.port},
                                                          {"error", mosquitto_strerror(rc)}});
          reported_down = true;
        }
        SleepUnlessStopped(backoff);
        backoff = std::min(backoff * 2, options_.reconnect_max);
        continue;
      }
      socket_open = true;
    }
    int rc = mosquitto_loop(mosq_, 100, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      subscribed_ = false;
      socket_open = false;
      if (!reported_down) {
        log::Warn(
            "lost the MQTT broker connection",
            {{"host", options_.host}, {"port", options_.port}, {"error", mosquitto_strerror(rc)}});
        reported_down = true;
      }
      SleepUnlessStopped(backoff);
      backoff = std::min(backoff * 2, options_.reconnect_max);
      continue;
    }
    if (subscribed_.load()) {
      backoff = options_.reconnect_min;
      reported_down = false;
    }
  }
  if (socket_open) {
    mosquitto_disconnect(mosq_);
    // Lets the DISCONNECT out (clean_session=false keeps the session on the broker).
    mosquitto_loop(mosq_, 10, 1);
  }
}

void MqttSubscriber::OnConnect(struct mosquitto* m, void* obj, int rc) {
  auto* self = static_cast<MqttSubscriber*>(obj);
  if (rc != 0) {
    self->refusals_.fetch_add(1);
    log::Warn("the MQTT broker refused the connection",
              {{"host", self->options_.host}, {"reason", mosquitto_connack_string(rc)}});
    return;
  }
  self->connects_.fetch_add(1);
  std::string device = absl::StrCat("$share/", self->options_.share_group, "/", kDeviceTopicFilter);
  std::string gateway =
      absl::StrCat("$share/", self->options_.share_group, "/", kGatewayTopicFilter);
  char* subs[] = {device.data(), gateway.data()};
  int mid = 0;
  int src = mosquitto_subscribe_multiple(m, &mid, 2, subs, 1, 0, nullptr);
  if (src != MOSQ_ERR_SUCCESS) {
    log::Warn("cannot subscribe", {{"error", mosquitto_strerror(src)}});
    mosquitto_disconnect(m);  // the loop reconnects and tries again
    return;
  }
  self->subscribe_mid_ = mid;
}

void MqttSubscriber::OnSubscribe(struct mosquitto* m, void* obj, int mid, int qos_count,
                                 const int* granted) {
  auto* self = static_cast<MqttSubscriber*>(obj);
  if (mid != self->subscribe_mid_.load()) return;
  for (int i = 0; i < qos_count; ++i) {
    if (granted[i] != 1) {
      // 0x80: refused (ACL), or a lower QoS than asked for.
      log::Error("the MQTT broker refused the subscription at QoS 1",
                 {{"granted", granted[i]}, {"user", self->options_.username}});
      mosquitto_disconnect(m);
      return;
    }
  }
  log::Info("subscribed to the MQTT broker", {{"host", self->options_.host},
                                              {"port", self->options_.port},
                                              {"share_group", self->options_.share_group}});
  self->subscribed_ = true;
}

void MqttSubscriber::OnDisconnect(struct mosquitto*, void* obj, int) {
  static_cast<MqttSubscriber*>(obj)->subscribed_ = false;
}

void MqttSubscriber::OnMessage(struct mosquitto*, void* obj, const struct mosquitto_message* msg) {
  auto* self = static_cast<MqttSubscriber*>(obj);
  self->received_.fetch_add(1);
  Message message;
  message.topic = msg->topic != nullptr ? msg->topic : "";
  if (msg->payload != nullptr && msg->payloadlen > 0) {
    message.payload.assign(static_cast<const char*>(msg->payload), msg->payloadlen);
  }
  size_t shard = absl::HashOf(TopicId(message.topic)) % self->workers_.size();
  Worker* w = self->workers_[shard].get();
  std::unique_lock<std::mutex> l(w->mu);
  w->space_cv.wait(
      l, [&] { return w->queue.size() < self->options_.queue_limit || self->stopping_.load(); });
  w->queue.push_back(std::move(message));
  if (w->queue.size() == 1) w->cv.notify_one();
}

void MqttSubscriber::WorkerLoop(Worker* w) {
  const size_t max_messages = static_cast<size_t>(options_.batch_max_signals);
  for (;;) {
    std::vector<Message> batch;
    {
      std::unique_lock<std::mutex> l(w->mu);
      w->cv.wait(l, [&] { return stopping_.load() || !w->queue.empty(); });
      if (w->queue.empty()) return;  // stopping, nothing left
      auto deadline =
          std::chrono::steady_clock::now() + absl::ToChronoMicroseconds(options_.batch_window);
      for (;;) {
        while (!w->queue.empty() && batch.size() < max_messages) {
          batch.push_back(std::move(w->queue.front()));
          w->queue.pop_front();
        }
        w->space_cv.notify_all();
        if (batch.size() >= max_messages || stopping_.load()) break;
        if (!w->cv.wait_until(l, deadline, [&] { return !w->queue.empty() || stopping_.load(); })) {
          break;
        }
      }
    }
    Deliver(std::move(batch));
  }
}

void MqttSubscriber::Deliver(std::vector<Message> batch) {
  // One sink call per source, sources in the order they first appear, each source's signals
  // in arrival order.
  struct Group {
    SignalSource source;
    std::vector<v1::Signal> signals;
  };
  std::vector<Group> groups;
  std::map<std::pair<int, std::string>, size_t> index;
  for (Message& m : batch) {
    DecodedMessage d = DecodeMqttMessage(m.topic, m.payload);
    if (!d.error.empty()) {
      dropped_.fetch_add(1);
      if (on_dropped_) on_dropped_(d.error);
      log::Fields f = {{"reason", d.error}, {"bytes", m.payload.size()}};
      if (d.error == "malformed_topic") {
        f["topic"] = Truncated(m.topic);
      } else if (d.source.kind == SignalSource::Kind::kDeviceTopic) {
        f["device_id"] = d.source.id;
      } else {
        f["gateway_id"] = d.source.id;
      }
      log::Warn("MQTT message dropped", f);
      continue;
    }
    auto key = std::make_pair(static_cast<int>(d.source.kind), d.source.id);
    auto [it, inserted] = index.emplace(key, groups.size());
    if (inserted) groups.push_back(Group{d.source, {}});
    auto& dest = groups[it->second].signals;
    for (auto& s : d.signals) dest.push_back(std::move(s));
  }
  const size_t chunk = static_cast<size_t>(options_.batch_max_signals);
  for (Group& g : groups) {
    for (size_t start = 0; start < g.signals.size(); start += chunk) {
      size_t end = std::min(g.signals.size(), start + chunk);
      std::vector<v1::Signal> part(std::make_move_iterator(g.signals.begin() + start),
                                   std::make_move_iterator(g.signals.begin() + end));
      absl::Duration backoff = absl::Milliseconds(50);
      for (int attempt = 1;; ++attempt) {
        absl::Status s = sink_(g.source, part);
        if (s.ok()) break;
        if (!absl::IsUnavailable(s)) {
          if (on_dropped_) on_dropped_("ingest_failed");
          log::Error("signals not handled",
                     {{"source", g.source.id}, {"signals", part.size()}, {"error", s.ToString()}});
          break;
        }
        if (stopping_.load()) {
          log::Error("signals not handled at shutdown",
                     {{"source", g.source.id}, {"signals", part.size()}, {"error", s.ToString()}});
          break;
        }
        if (attempt == 1 || attempt % 20 == 0) {
          log::Warn("cannot handle signals, retrying",
                    {{"source", g.source.id}, {"attempt", attempt}, {"error", s.ToString()}});
        }
        SleepUnlessStopped(backoff);
        backoff = std::min(backoff * 2, options_.retry_max);
      }
    }
  }
}

}  // namespace firegrid::monitoring
