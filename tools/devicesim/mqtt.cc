#include "tools/devicesim/mqtt.h"

#include <mosquitto.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace firegrid::devicesim {
namespace {

struct LibInit {
  LibInit() { mosquitto_lib_init(); }
};

}  // namespace

absl::StatusOr<std::unique_ptr<MqttConnection>> MqttConnection::Connect(const Options& options) {
  static LibInit init;
  std::unique_ptr<MqttConnection> c(new MqttConnection(options));
  c->mosq_ = mosquitto_new(options.client_id.c_str(), /*clean_session=*/true, c.get());
  if (c->mosq_ == nullptr) return absl::InternalError("mosquitto_new failed");
  mosquitto_connect_callback_set(c->mosq_, &MqttConnection::OnConnect);
  mosquitto_publish_callback_set(c->mosq_, &MqttConnection::OnPublish);
  if (!options.username.empty()) {
    mosquitto_username_pw_set(c->mosq_, options.username.c_str(), options.password.c_str());
  }
  // Many messages in flight: the broker acknowledges them in order, the loop sends on.
  mosquitto_int_option(c->mosq_, MOSQ_OPT_SEND_MAXIMUM, 1000);
  mosquitto_max_inflight_messages_set(c->mosq_, 1000);
  int rc = mosquitto_connect_async(c->mosq_, options.host.c_str(), options.port,
                                   static_cast<int>(absl::ToInt64Seconds(options.keepalive)));
  if (rc != MOSQ_ERR_SUCCESS) {
    return absl::UnavailableError(absl::StrCat("mqtt connect to ", options.host, ":", options.port,
                                               ": ", mosquitto_strerror(rc)));
  }
  rc = mosquitto_loop_start(c->mosq_);
  if (rc != MOSQ_ERR_SUCCESS) {
    return absl::InternalError(absl::StrCat("mqtt loop: ", mosquitto_strerror(rc)));
  }
  std::unique_lock<std::mutex> lock(c->mu_);
  if (!c->cv_.wait_for(lock, absl::ToChronoNanoseconds(options.connect_timeout),
                       [&] { return c->connack_ >= 0; })) {
    return absl::UnavailableError(absl::StrCat("no answer from the MQTT broker at ", options.host,
                                               ":", options.port, " within ",
                                               absl::FormatDuration(options.connect_timeout)));
  }
  if (c->connack_ != 0) {
    const std::string why = mosquitto_connack_string(c->connack_);
    return c->connack_ == 4 || c->connack_ == 5
               ? absl::UnauthenticatedError(
                     absl::StrCat("MQTT broker refused ", options.username, ": ", why))
               : absl::UnavailableError(absl::StrCat("MQTT broker refused the connection: ", why));
  }
  return c;
}

MqttConnection::~MqttConnection() {
  if (mosq_ == nullptr) return;
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, /*force=*/false);
  mosquitto_destroy(mosq_);
}

void MqttConnection::OnConnect(struct mosquitto*, void* self, int rc) {
  auto* c = static_cast<MqttConnection*>(self);
  std::lock_guard<std::mutex> lock(c->mu_);
  c->connack_ = rc;
  c->cv_.notify_all();
}

void MqttConnection::OnPublish(struct mosquitto*, void* self, int) {
  auto* c = static_cast<MqttConnection*>(self);
  std::lock_guard<std::mutex> lock(c->mu_);
  ++c->acknowledged_;
  c->cv_.notify_all();
}

absl::Status MqttConnection::Publish(const std::string& topic, const std::string& payload) {
  const int rc = mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                   payload.data(), /*qos=*/1, /*retain=*/false);
  if (rc != MOSQ_ERR_SUCCESS) {
    return absl::UnavailableError(absl::StrCat("publish on ", topic, ": ", mosquitto_strerror(rc)));
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++published_;
  return absl::OkStatus();
}

bool MqttConnection::WaitAcked(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                      [&] { return acknowledged_ >= published_; });
}

int64_t MqttConnection::published() const {
  std::lock_guard<std::mutex> lock(mu_);
  return published_;
}
int64_t MqttConnection::acknowledged() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acknowledged_;
}

}  // namespace firegrid::devicesim
