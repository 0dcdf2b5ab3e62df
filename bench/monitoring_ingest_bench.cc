// Signal ingest over MQTT: a fleet of gateways publishing QoS 1 heartbeat batches through
// mosquitto, measured in one run: mosquitto alone (to a plain QoS 1 subscriber: the broker's
// own rate with the same connections); then, when the service binary is built,
// firegrid-monitoring with its Redis and broker and the fleet's devices registered, from its
// own metrics; then fire alarms published while the fleet sends the issue's sustained rate,
// timed to a micro station's notify Subscribe stream. Prints the rates, their ratio and the
// fire alarms' percentiles. See bench/README.md.
//
//   monitoring_ingest_bench [--gateways=300] [--devices=100000] [--batch=50]
//                           [--duration=10s] [--window=20] [--drain=5m]
//                           [--fire-alarms=40] [--fire-load-rate=20000]
#include <mosquitto.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/h2load.h"
#include "bench/stack.h"
#include "firegrid/monitoring/v1/signal.pb.h"
#include "libs/common/config.h"
#include "services/monitoring/payload.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

#ifdef FIREGRID_MONITORING_BIN
#include "firegrid/monitoring/v1/events.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "libs/auth/grpc_auth.h"
#include "libs/common/ids.h"
#include "libs/events/envelope.h"
#include "libs/redis/pool.h"
#include "services/monitoring/device_store.h"
#include "tests/support/service_process.h"
#endif

namespace firegrid::bench {
namespace {

namespace mv1 = ::firegrid::monitoring::v1;

struct Config {
  int gateways = 300;
  int devices = 100000;
  int batch = 50;
  absl::Duration duration = absl::Seconds(10);
  int window = 20;  // unacknowledged QoS 1 publishes per gateway connection
  absl::Duration drain = absl::Minutes(5);
  int fire_alarms = 40;        // fire alarms raised during the service's load (needs notify)
  int fire_load_rate = 20000;  // signals/s of heartbeats while the fire alarms are timed
};

std::string GatewayId(int g) { return absl::StrFormat("gw-%04d", g); }

// The password deploy/mqtt-credentials.sh generated for `user` on `broker`.
std::string PasswordOf(const testing::MosquittoBroker& broker, const std::string& user) {
  absl::StatusOr<std::string> password = broker.Password(user);
  if (!password.ok()) Fail("mosquitto: " + password.status().ToString());
  return *password;
}
std::string DeviceId(int d) { return absl::StrFormat("dev-%06d", d); }

// One gateway connection: publishes batches of its devices' heartbeats, at most `window`
// unacknowledged at a time. Driven by a publisher thread (mosquitto_loop), not its own thread.
class Gateway {
 public:
  Gateway(int index, const testing::MosquittoBroker& broker, const Config& c, int first_device,
          int devices)
      : id_(GatewayId(index)), first_(first_device), devices_(devices), c_(c) {
    mosq_ = mosquitto_new(nullptr, true, this);
    mosquitto_username_pw_set(mosq_, id_.c_str(), PasswordOf(broker, id_).c_str());
    mosquitto_int_option(mosq_, MOSQ_OPT_SEND_MAXIMUM, c.window);
    mosquitto_publish_callback_set(mosq_, [](struct mosquitto*, void* obj, int) {
      auto* self = static_cast<Gateway*>(obj);
      --self->outstanding_;
      ++self->acked_;
    });
    if (mosquitto_connect(mosq_, "127.0.0.1", broker.port(), 60) != MOSQ_ERR_SUCCESS) {
      Fail("gateway " + id_ + " cannot connect");
    }
    sequence_.assign(devices_, 0);
  }
  ~Gateway() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop(mosq_, 10, 1);
    mosquitto_destroy(mosq_);
  }

  // Publishes what the window allows, then services the socket once.
  // `may_publish` is asked before each message (the fleet's pacing). Returns messages sent.
  int Pump(bool publish, const std::function<bool()>& may_publish) {
    int sent = 0;
    while (publish && outstanding_ < c_.window && may_publish()) {
      std::string payload = NextBatch();
      int rc = mosquitto_publish(mosq_, nullptr, topic_.c_str(), static_cast<int>(payload.size()),
                                 payload.data(), 1, false);
      if (rc != MOSQ_ERR_SUCCESS) break;
      ++outstanding_;
      ++published_;
      ++sent;
    }
    int rc = mosquitto_loop(mosq_, 0, 1);
    if (rc != MOSQ_ERR_SUCCESS) mosquitto_reconnect(mosq_);
    return sent;
  }
  int64_t published() const { return published_; }
  int64_t acked() const { return acked_; }
  int outstanding() const { return outstanding_; }

 private:
  // The next `batch` devices of this gateway, round robin: an unchanged heartbeat each (the
  // same state bits and pressure as before, a new sequence number).
  std::string NextBatch() {
    mv1::SignalBatch b;
    int64_t now = absl::ToUnixSeconds(absl::Now());
    for (int i = 0; i < c_.batch; ++i) {
      int d = next_++ % devices_;
      mv1::Signal* s = b.add_signals();
      s->set_device_id(DeviceId(first_ + d));
      s->set_boot_epoch(1);
      s->set_sequence(++sequence_[d]);
      s->mutable_device_time()->set_seconds(now);
      auto* a = s->add_analog();
      a->set_quantity(mv1::QUANTITY_PRESSURE_MPA);
      a->set_value(0.35);
    }
    return b.SerializeAsString();
  }

  std::string id_;
  std::string topic_ = monitoring::GatewayTopic(id_);
  int first_;
  int devices_;
  const Config& c_;
  struct mosquitto* mosq_;
  std::vector<uint64_t> sequence_;
  int next_ = 0;
  int outstanding_ = 0;
  int64_t published_ = 0;
  int64_t acked_ = 0;
};

// The fleet: `gateways` connections over a few publisher threads.
class Fleet {
 public:
  Fleet(const testing::MosquittoBroker& broker, const Config& c) : c_(c) {
    int per = c.devices / c.gateways;
    for (int g = 0; g < c.gateways; ++g) {
      int first = g * per;
      int count = g == c.gateways - 1 ? c.devices - first : per;
      gateways_.push_back(std::make_unique<Gateway>(g, broker, c, first, count));
    }
  }
  // Publishes for `duration` (then lets the last acknowledgements in); returns signals sent.
  // `rate` > 0: at most that many signals per second in all (paced), else as fast as the
  // windows allow.
  int64_t Run(absl::Duration duration, int rate = 0) {
    constexpr int kThreads = 4;
    int64_t messages_before = 0;
    for (auto& g : gateways_) messages_before += g->published();
    std::atomic<bool> publishing{true};
    std::atomic<int64_t> messages_sent{0};
    const absl::Time start = absl::Now();
    auto may_publish = [&]() -> bool {
      if (rate <= 0) return true;
      double allowed = absl::ToDoubleSeconds(absl::Now() - start) * rate / c_.batch;
      if (messages_sent.fetch_add(1) < static_cast<int64_t>(allowed)) return true;
      messages_sent.fetch_sub(1);
      return false;
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        absl::Time settle = absl::InfiniteFuture();
        for (;;) {
          bool pub = publishing.load();
          if (!pub && settle == absl::InfiniteFuture()) settle = absl::Now() + absl::Seconds(10);
          int open = 0, sent = 0;
          for (size_t g = t; g < gateways_.size(); g += kThreads) {
            sent += gateways_[g]->Pump(pub, may_publish);
            open += gateways_[g]->outstanding();
          }
          if (!pub && (open == 0 || absl::Now() > settle)) return;
          if (sent == 0) absl::SleepFor(absl::Microseconds(200));  // nothing to do: yield
        }
      });
    }
    absl::SleepFor(duration);
    publishing = false;
    for (auto& th : threads) th.join();
    int64_t messages = -messages_before;
    for (auto& g : gateways_) messages += g->published();
    return messages * c_.batch;
  }

 private:
  const Config& c_;
  std::vector<std::unique_ptr<Gateway>> gateways_;
};

// The baseline's plain QoS 1 subscriber: counts the gateway messages it receives.
class CountingSubscriber {
 public:
  explicit CountingSubscriber(const testing::MosquittoBroker& broker) {
    mosq_ = mosquitto_new("bench-counter", true, this);
    mosquitto_username_pw_set(mosq_, "monitoring", PasswordOf(broker, "monitoring").c_str());
    mosquitto_message_callback_set(
        mosq_, [](struct mosquitto*, void* obj, const struct mosquitto_message*) {
          auto* self = static_cast<CountingSubscriber*>(obj);
          int64_t n = ++self->messages_;
          if (n == 1) self->first_ = absl::Now();
          self->last_ = absl::Now();
        });
    mosquitto_subscribe_callback_set(mosq_, [](struct mosquitto*, void* obj, int, int, const int*) {
      static_cast<CountingSubscriber*>(obj)->subscribed_ = true;
    });
    if (mosquitto_connect(mosq_, "127.0.0.1", broker.port(), 60) != MOSQ_ERR_SUCCESS ||
        mosquitto_subscribe(mosq_, nullptr, std::string(monitoring::kGatewayTopicFilter).c_str(),
                            1) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(mosq_) != MOSQ_ERR_SUCCESS) {
      Fail("the counting subscriber cannot connect");
    }
    if (!testing::WaitUntil([&] { return subscribed_.load(); }, absl::Seconds(10))) {
      Fail("the counting subscriber did not subscribe");
    }
  }
  ~CountingSubscriber() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }
  int64_t messages() const { return messages_.load(); }
  absl::Time first() const { return first_; }
  absl::Time last() const { return last_; }

 private:
  struct mosquitto* mosq_;
  std::atomic<bool> subscribed_{false};
  std::atomic<int64_t> messages_{0};
  absl::Time first_, last_;  // written by the loop thread only; read after it settles
};

// A mosquitto set up by the deploy scripts in `dir` for the fleet's gateways and gw-fire (and
// the service's read user "monitoring"), with generated passwords; a deep per-client queue, so
// that a subscriber behind the fleet loses nothing.
void StartBroker(const Config& c, const std::string& dir, testing::MosquittoBroker* broker) {
  std::vector<std::string> clients;
  for (int g = 0; g < c.gateways; ++g) clients.push_back("gateway:" + GatewayId(g));
  clients.push_back("gateway:gw-fire");
  Step(absl::StrCat("mosquitto for ", clients.size(), " gateways"));
  absl::Status s = broker->Start(dir, clients, {.max_queued_messages = 1000000});
  if (!s.ok()) Fail("mosquitto: " + std::string(s.message()));
}

// Mosquitto alone: signals/s delivered to a plain QoS 1 subscriber.
double MeasureMosquitto(const Config& c) {
  testing::TempDir dir("monitoring-bench-mosquitto");
  testing::MosquittoBroker broker;
  StartBroker(c, dir.path(), &broker);
  CountingSubscriber counter(broker);
  Fleet fleet(broker, c);
  Step(absl::StrCat("mosquitto alone: ", c.gateways, " gateways publishing for ",
                    absl::FormatDuration(c.duration)));
  int64_t sent = fleet.Run(c.duration);
  int64_t want = sent / c.batch;
  testing::WaitUntil([&] { return counter.messages() >= want; }, c.drain);
  int64_t got = counter.messages();
  double secs = absl::ToDoubleSeconds(counter.last() - counter.first());
  double rate = secs > 0 ? got * c.batch / secs : 0;
  std::cout << absl::StrFormat(
      "mosquitto alone:      %lld signals sent in %lld messages, %lld messages received; "
      "%.0f signals/s (%.0f messages/s)\n",
      static_cast<long long>(sent), static_cast<long long>(want), static_cast<long long>(got), rate,
      rate / c.batch);
  return rate;
}

#ifdef FIREGRID_MONITORING_BIN
constexpr char kCommunity[] = "500109001002";
constexpr char kStation[] = "mfs_bench";

std::string FirePanelId(int f) { return absl::StrFormat("fap-%04d", f); }

// The micro station's duty staff: a Subscribe stream on notify, recording when each fire
// alarm (by device) arrives.
class StationStream {
 public:
  StationStream(const std::string& notify_addr, const std::string& token) {
    stub_ = ::firegrid::notify::v1::NotifyService::NewStub(
        grpc::CreateChannel(notify_addr, grpc::InsecureChannelCredentials()));
    auth::AttachToken(&ctx_, token);
    ::firegrid::notify::v1::SubscribeRequest req;
    req.set_live_only(true);
    reader_ = stub_->Subscribe(&ctx_, req);
    thread_ = std::thread([this] {
      ::firegrid::notify::v1::SubscribeResponse resp;
      while (reader_->Read(&resp)) {
        if (resp.has_caught_up()) caught_up_ = true;
        if (!resp.has_notification()) continue;
        const auto& n = resp.notification();
        if (n.kind() != ::firegrid::notify::v1::KIND_FIRE_ALARM) continue;
        std::lock_guard<std::mutex> l(mu_);
        arrived_.emplace(n.device_id(), absl::Now());
      }
    });
  }
  ~StationStream() {
    ctx_.TryCancel();
    thread_.join();
  }
  bool caught_up() const { return caught_up_.load(); }
  std::map<std::string, absl::Time> arrived() {
    std::lock_guard<std::mutex> l(mu_);
    return arrived_;
  }

 private:
  std::unique_ptr<::firegrid::notify::v1::NotifyService::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<::firegrid::notify::v1::SubscribeResponse>> reader_;
  std::thread thread_;
  std::atomic<bool> caught_up_{false};
  std::mutex mu_;
  std::map<std::string, absl::Time> arrived_;  // device id → first fire alarm push
};

// A QoS 1 publisher that waits for each PUBACK (its own network thread).
class BlockingPublisher {
 public:
  BlockingPublisher(int port, const std::string& user, const std::string& password) {
    mosq_ = mosquitto_new(nullptr, true, this);
    mosquitto_username_pw_set(mosq_, user.c_str(), password.c_str());
    mosquitto_publish_callback_set(mosq_, [](struct mosquitto*, void* obj, int mid) {
      auto* self = static_cast<BlockingPublisher*>(obj);
      std::lock_guard<std::mutex> l(self->mu_);
      self->acked_mid_ = mid;
    });
    if (mosquitto_connect(mosq_, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(mosq_) != MOSQ_ERR_SUCCESS) {
      Fail(user + " cannot connect");
    }
  }
  ~BlockingPublisher() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }
  bool Publish(const std::string& topic, const std::string& payload) {
    int mid = 0;
    if (mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                          payload.data(), 1, false) != MOSQ_ERR_SUCCESS) {
      return false;
    }
    return testing::WaitUntil(
        [&] {
          std::lock_guard<std::mutex> l(mu_);
          return acked_mid_ == mid;
        },
        absl::Seconds(10));
  }

 private:
  struct mosquitto* mosq_;
  std::mutex mu_;
  int acked_mid_ = -1;
};

// The fire alarm of panel `f` as gateway gw-fire publishes it.
std::string FireAlarmBatch(int f) {
  mv1::SignalBatch b;
  mv1::Signal* s = b.add_signals();
  s->set_device_id(FirePanelId(f));
  s->set_boot_epoch(1);
  s->set_sequence(1);
  s->mutable_device_time()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  s->mutable_state()->set_fire_alarm(true);
  s->set_point("1-023");
  return b.SerializeAsString();
}

std::string Percentile(std::vector<absl::Duration> v, double p) {
  if (v.empty()) return "-";
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return absl::FormatDuration(absl::Trunc(v[i], absl::Microseconds(100)));
}

// The sum of firegrid_monitoring_signals_total over its outcomes, scraped from /metrics.
absl::StatusOr<double> HandledSignals(int metrics_port) {
  auto body = testing::HttpGet(metrics_port, "/metrics");
  if (!body.ok()) return body.status();
  static const std::regex line(R"(^firegrid_monitoring_signals_total\{[^}]*\} ([0-9.e+]+)$)",
                               std::regex::multiline);
  double sum = 0;
  for (auto it = std::sregex_iterator(body->begin(), body->end(), line);
       it != std::sregex_iterator(); ++it) {
    sum += std::stod((*it)[1].str());
  }
  return sum;
}

// Registers the fleet's devices through the store layer (in service, behind their gateways)
// and the building they are in.
void RegisterFleet(const Config& c, const std::string& redis_addr) {
  redis::PoolOptions po;
  if (!redis::ParseAddress(redis_addr, &po).ok()) Fail("redis address");
  po.size = 8;
  auto pool = redis::Pool::Create(po);
  monitoring::DeviceStore store(pool.get(), "fg:monitoring", "fg:monitoring:outbox");
  mv1::BuildingView view;
  view.set_building_id("bld_bench");
  view.set_name("bench tower");
  view.set_tier_path(kCommunity);
  view.set_version(1);
  view.mutable_location()->set_latitude(29.8257);
  view.mutable_location()->set_longitude(106.4370);
  if (absl::Status s = store.PutBuilding(view); !s.ok()) Fail(s.ToString());
  // The micro fire station 500 m away that the fire alarms are dispatched to.
  ::firegrid::buildings::v1::MicroStation station;
  station.set_station_id(kStation);
  station.set_name("bench micro fire station");
  station.set_tier_path(kCommunity);
  station.mutable_location()->set_latitude(29.8300);
  station.mutable_location()->set_longitude(106.4400);
  if (absl::Status s = store.PutStation(station); !s.ok()) Fail(s.ToString());
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  int per = c.devices / c.gateways;
  RandomIdGenerator ids;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int d = t; d < c.devices; d += kThreads) {
        mv1::Device dev;
        dev.set_device_id(DeviceId(d));
        dev.set_type(mv1::DEVICE_TYPE_HYDRANT_PRESSURE);
        dev.set_building_id("bld_bench");
        dev.set_tier_path(kCommunity);
        dev.set_floor("1");
        dev.set_status(mv1::DEVICE_STATUS_IN_SERVICE);
        dev.mutable_heartbeat_period()->set_seconds(300);
        dev.set_gateway_id(GatewayId(std::min(d / per, c.gateways - 1)));
        dev.set_version(1);
        mv1::DeviceRegistered ev;
        *ev.mutable_device() = dev;
        auto env = events::NewEnvelope(ev, "monitoring", "bld_bench", kCommunity, absl::Now(), ids);
        if (!store.Create(dev, events::SerializeEnvelope(env)).ok()) ++failed;
      }
    });
  }
  for (auto& th : threads) th.join();
  // The fire alarm control panels behind gateway gw-fire, one per fire alarm (an alarm latches:
  // one active fire alarm per panel).
  for (int f = 0; f < c.fire_alarms; ++f) {
    mv1::Device dev;
    dev.set_device_id(FirePanelId(f));
    dev.set_type(mv1::DEVICE_TYPE_FIRE_ALARM_PANEL);
    dev.set_building_id("bld_bench");
    dev.set_tier_path(kCommunity);
    dev.set_floor("1");
    dev.set_status(mv1::DEVICE_STATUS_IN_SERVICE);
    dev.mutable_heartbeat_period()->set_seconds(300);
    dev.set_gateway_id("gw-fire");
    dev.set_version(1);
    mv1::DeviceRegistered ev;
    *ev.mutable_device() = dev;
    auto env = events::NewEnvelope(ev, "monitoring", "bld_bench", kCommunity, absl::Now(), ids);
    if (!store.Create(dev, events::SerializeEnvelope(env)).ok()) ++failed;
  }
  if (failed > 0) Fail(absl::StrCat(failed.load(), " devices could not be registered"));
}

// The service: signals/s from its metrics, first publish to the last signal handled.
double MeasureService(const Config& c) {
  Stack stack("monitoring-bench");
  stack.StartRedis();
  stack.StartBroker();
  testing::RedisServer& redis = stack.redis();
  const testing::TempDir& dir = stack.dir();
  testing::MosquittoBroker broker;
  StartBroker(c, dir.path(), &broker);
  Step(absl::StrCat("registering ", c.devices, " devices"));
  RegisterFleet(c, redis.address());
  std::ofstream(dir.Join("mqtt.pw")) << PasswordOf(broker, "monitoring") << "\n";
  std::string notify_addr = "127.0.0.1:9";  // nothing listens: no pushes
#ifdef FIREGRID_NOTIFY_BIN
  // One principal (the micro station) reads the pushes: the rate limit is out of the way.
  testing::ServiceProcess& notify = stack.Add(Service::kNotify, RateLimitRaised());
  if (c.fire_alarms > 0) {
    stack.Start(notify);
    notify_addr = notify.grpc_address();
  }
#endif
  testing::ServiceProcess& svc =
      stack.Add(Service::kMonitoring,
                {absl::StrCat("--mqtt-port=", broker.port()), "--mqtt-username=monitoring",
                 "--mqtt-password-file=" + dir.Join("mqtt.pw"), "--mqtt-client-id=bench-1",
                 // No hazards in this run: a loopback port nothing listens on.
                 "--hazards-addr=127.0.0.1:9", "--notify-addr=" + notify_addr});
  stack.Start(svc);
#ifdef FIREGRID_NOTIFY_BIN
  const std::string duty_token =
      stack.Token(auth::Role::kMicroStation, kCommunity, kStation, "duty-bench");
  std::unique_ptr<StationStream> stream;
  if (c.fire_alarms > 0) {
    stream = std::make_unique<StationStream>(notify.grpc_address(), duty_token);
    if (!testing::WaitUntil([&] { return stream->caught_up(); }, absl::Seconds(30))) {
      Fail("the micro station's Subscribe stream did not open");
    }
  }
#endif
  if (!testing::WaitUntil(
          [&] {
            auto h = testing::CheckHealth(svc.grpc_address(), "firegrid.monitoring.mqtt");
            return h.ok() && *h == 1;
          },
          absl::Seconds(30))) {
    Fail("firegrid-monitoring did not connect to mosquitto");
  }
  auto before = HandledSignals(svc.metrics_port());
  if (!before.ok()) Fail("metrics: " + before.status().ToString());
  Fleet fleet(broker, c);
  Step(absl::StrCat("firegrid-monitoring: ", c.gateways, " gateways publishing for ",
                    absl::FormatDuration(c.duration)));
  absl::Time start = absl::Now();
  int64_t sent = fleet.Run(c.duration);
  absl::Time done = start;
  double handled = 0;
  testing::WaitUntil(
      [&] {
        auto n = HandledSignals(svc.metrics_port());
        if (n.ok() && *n - *before > handled) {
          handled = *n - *before;
          done = absl::Now();
        }
        return handled >= sent;
      },
      c.drain);
  double rate = handled / absl::ToDoubleSeconds(done - start);
  // The outcomes, so that a run whose signals were all refused is seen as such.
  if (auto body = testing::HttpGet(svc.metrics_port(), "/metrics"); body.ok()) {
    static const std::regex outcome(
        R"(^(firegrid_monitoring_(signals_total|mqtt_dropped_total)\{[^}]*\}) ([0-9.e+]+)$)",
        std::regex::multiline);
    for (auto it = std::sregex_iterator(body->begin(), body->end(), outcome);
         it != std::sregex_iterator(); ++it) {
      std::cout << "  " << (*it)[1].str() << " " << (*it)[3].str() << "\n";
    }
  }
  std::cout << absl::StrFormat(
      "firegrid-monitoring:  %lld signals sent, %.0f handled; %.0f signals/s (first publish to "
      "last handled)\n",
      static_cast<long long>(sent), handled, rate);
#ifdef FIREGRID_NOTIFY_BIN
  // Fire alarms while the fleet publishes at the issue's sustained rate (paced, so that the
  // service keeps up and a push measures the path, not a backlog), once the service has
  // handled everything of the phase before.
  if (stream != nullptr && handled < sent) {
    std::cout << "fire alarms not timed: the service had not caught up within --drain (they "
                 "would measure its backlog)\n";
  } else if (stream != nullptr) {
    Step(absl::StrCat("fire alarms: ", c.fire_alarms, " while the fleet publishes ",
                      c.fire_load_rate, " signals/s for ", absl::FormatDuration(c.duration)));
    std::map<std::string, absl::Time> fire_sent;  // device id → just before its publish
    std::thread fire([&] {
      BlockingPublisher pub(broker.port(), "gw-fire", PasswordOf(broker, "gw-fire"));
      absl::Duration gap = c.duration / (c.fire_alarms + 1);
      for (int f = 0; f < c.fire_alarms; ++f) {
        absl::SleepFor(gap);
        absl::Time t0 = absl::Now();
        if (pub.Publish(monitoring::GatewayTopic("gw-fire"), FireAlarmBatch(f))) {
          fire_sent[FirePanelId(f)] = t0;
        }
      }
    });
    int64_t paced = fleet.Run(c.duration, c.fire_load_rate);
    fire.join();
    testing::WaitUntil([&] { return stream->arrived().size() >= fire_sent.size(); },
                       absl::Seconds(30));
    auto arrived = stream->arrived();
    std::vector<absl::Duration> latencies;
    for (const auto& [device, t0] : fire_sent) {
      auto it = arrived.find(device);
      if (it != arrived.end()) latencies.push_back(it->second - t0);
    }
    std::cout << absl::StrFormat(
        "fire alarm → micro station stream, with %lld heartbeat signals in %s: %d published, "
        "%d arrived; p50 %s, p99 %s, max %s (publish to the push on notify's Subscribe "
        "stream)\n",
        static_cast<long long>(paced), absl::FormatDuration(c.duration),
        static_cast<int>(fire_sent.size()), static_cast<int>(latencies.size()),
        Percentile(latencies, 0.5), Percentile(latencies, 0.99), Percentile(latencies, 1.0));
    std::vector<absl::Duration> sorted = latencies;
    std::sort(sorted.begin(), sorted.end());
    bool met = latencies.size() == fire_sent.size() && !sorted.empty() &&
               sorted[std::min(sorted.size() - 1, static_cast<size_t>(0.99 * (sorted.size() - 1) +
                                                                      0.5))] <= absl::Seconds(1);
    std::cout << "target fire alarm p99 <= 1s with every push arrived: "
              << (met ? "met" : "NOT met") << "\n";
  }
  (void)notify.Stop();
#endif
  (void)svc.Stop();
  return rate;
}
#endif

int Run(const Config& c) {
  mosquitto_lib_init();
  std::cout << absl::StrFormat(
      "fleet: %d devices behind %d gateway connections, batches of %d unchanged heartbeats, "
      "QoS 1, %d unacknowledged per connection\n",
      c.devices, c.gateways, c.batch, c.window);
  double broker = MeasureMosquitto(c);
#ifdef FIREGRID_MONITORING_BIN
  double service = MeasureService(c);
  std::cout << absl::StrFormat("ratio service / mosquitto alone: %.2f\n",
                               broker > 0 ? service / broker : 0);
  std::cout << absl::StrFormat("target >= 20000 signals/s: %s\n",
                               service >= 20000 ? "met" : "NOT met");
  std::cout.flush();
  PrintFigure("monitoring signal ingest", absl::StrFormat("%.0f", service), "signals/s", ">= 20000",
              absl::StrFormat("mosquitto alone %.0f signals/s", broker));
#else
  (void)broker;
  std::cout << "firegrid-monitoring is not built: only mosquitto was measured\n";
#endif
  mosquitto_lib_cleanup();
  return 0;
}

}  // namespace
}  // namespace firegrid::bench

int main(int argc, char** argv) {
  firegrid::bench::Config c;
  firegrid::ConfigBinder binder("monitoring_ingest_bench");
  binder.Int("gateways", &c.gateways, 300, "gateway connections", 1, 5000);
  binder.Int("devices", &c.devices, 100000, "registered devices, spread over the gateways", 1,
             10000000);
  binder.Int("batch", &c.batch, 50, "signals per gateway message", 1, 1000);
  binder.Duration("duration", &c.duration, absl::Seconds(10), "how long the fleet publishes",
                  absl::Seconds(1), absl::Minutes(10));
  binder.Int("window", &c.window, 20, "unacknowledged QoS 1 messages per connection", 1, 1000);
  binder.Int("fire-alarms", &c.fire_alarms, 40,
             "fire alarms raised during the service's load, timed to the micro station's "
             "Subscribe stream (needs firegrid-notify; 0: none)",
             0, 10000);
  binder.Int("fire-load-rate", &c.fire_load_rate, 20000,
             "heartbeat signals/s while the fire alarms are timed (the issue's sustained rate)", 1,
             10000000);
  binder.Duration("drain", &c.drain, absl::Minutes(5),
                  "how long to wait for the last signals to be handled", absl::Seconds(1),
                  absl::Minutes(10));
  return firegrid::bench::ParseFlagsAndRun(binder, argc, argv, [&] {
    if (c.devices < c.gateways) {
      std::cerr << "error: --devices must be at least --gateways\n";
      return 2;
    }
    return firegrid::bench::Run(c);
  });
}
