#include "tests/support/mqtt_publisher.h"

#include <mosquitto.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"

namespace firegrid::testing {
namespace {

void LibInit() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

}  // namespace

struct MqttPublisher::Impl {
  mosquitto* m = nullptr;
  std::mutex mu;
  std::condition_variable cv;
  int connect_rc = -1;
  std::vector<int> acked;
};

absl::StatusOr<std::unique_ptr<MqttPublisher>> MqttPublisher::Connect(
    int port, const std::string& user, const std::string& password, const std::string& client_id) {
  LibInit();
  std::unique_ptr<MqttPublisher> p(new MqttPublisher());
  p->impl_ = std::make_unique<Impl>();
  Impl* impl = p->impl_.get();
  impl->m = mosquitto_new(client_id.c_str(), true, impl);
  if (impl->m == nullptr) return absl::InternalError("mosquitto_new failed");
  mosquitto_username_pw_set(impl->m, user.c_str(), password.c_str());
  mosquitto_connect_callback_set(impl->m, [](mosquitto*, void* obj, int rc) {
    auto* i = static_cast<Impl*>(obj);
    std::lock_guard<std::mutex> lock(i->mu);
    i->connect_rc = rc;
    i->cv.notify_all();
  });
  mosquitto_publish_callback_set(impl->m, [](mosquitto*, void* obj, int mid) {
    auto* i = static_cast<Impl*>(obj);
    std::lock_guard<std::mutex> lock(i->mu);
    i->acked.push_back(mid);
    i->cv.notify_all();
  });
  if (int rc = mosquitto_connect(impl->m, "127.0.0.1", port, 30); rc != MOSQ_ERR_SUCCESS) {
    return absl::UnavailableError(absl::StrCat("MQTT connect: ", mosquitto_strerror(rc)));
  }
  if (int rc = mosquitto_loop_start(impl->m); rc != MOSQ_ERR_SUCCESS) {
    return absl::InternalError(absl::StrCat("MQTT loop: ", mosquitto_strerror(rc)));
  }
  std::unique_lock<std::mutex> lock(impl->mu);
  if (!impl->cv.wait_for(lock, std::chrono::seconds(10), [&] { return impl->connect_rc >= 0; })) {
    return absl::DeadlineExceededError("MQTT CONNACK not received");
  }
  if (impl->connect_rc != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("MQTT connection refused: ", mosquitto_connack_string(impl->connect_rc)));
  }
  return p;
}

MqttPublisher::~MqttPublisher() {
  if (impl_ && impl_->m) {
    mosquitto_disconnect(impl_->m);
    mosquitto_loop_stop(impl_->m, true);
    mosquitto_destroy(impl_->m);
  }
}

absl::Status MqttPublisher::Publish(const std::string& topic, const std::string& payload,
                                    absl::Duration timeout) {
  int mid = 0;
  if (int rc = mosquitto_publish(impl_->m, &mid, topic.c_str(), static_cast<int>(payload.size()),
                                 payload.data(), 1, false);
      rc != MOSQ_ERR_SUCCESS) {
    return absl::UnavailableError(absl::StrCat("MQTT publish: ", mosquitto_strerror(rc)));
  }
  std::unique_lock<std::mutex> lock(impl_->mu);
  const bool acked = impl_->cv.wait_for(lock, absl::ToChronoMilliseconds(timeout), [&] {
    return std::find(impl_->acked.begin(), impl_->acked.end(), mid) != impl_->acked.end();
  });
  if (!acked) return absl::DeadlineExceededError("no PUBACK for " + topic);
  return absl::OkStatus();
}

}  // namespace firegrid::testing
