// firegrid-devicesim: plays a fleet of IoT fire-facility devices over MQTT for the monitoring
// service: per gateway one connection publishing SignalBatch messages on
// fg/v1/g/<gateway>/signals, per device without a gateway one connection publishing Signal
// messages on fg/v1/d/<device>/signal, QoS 1, binary protobuf or its JSON mapping. Heartbeats
// every period with drifting pressures, levels, currents and temperatures; occasional faults,
// device reboots (a new boot epoch) and rare fire alarms (see --*-every).
//
//   firegrid-devicesim --demo --credentials-dir=.state/mqtt --mqtt-port=1883
//   firegrid-devicesim --demo --print-clients      (the input of deploy/mqtt-credentials.sh)
//   firegrid-devicesim --fleet-file=fleet.csv --fire-alarm=dev-1 --once
//
// A running simulator also takes triggers from --trigger-dir: a file named after a device
// holding fire_alarm, low_pressure, fault, restore or reboot is applied on the next tick and
// removed. Logs one JSON line per notable signal (fire alarm, fault, a value beyond normal) and
// a summary every minute. Exit status: 0 done (--once: every message acknowledged), 1 an error,
// 2 a wrong flag.
#include <dirent.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "libs/common/config.h"
#include "libs/common/logging.h"
#include "libs/common/version.h"
#include "tools/devicesim/fleet.h"
#include "tools/devicesim/model.h"
#include "tools/devicesim/mqtt.h"

namespace {

namespace ds = ::firegrid::devicesim;
namespace sv1 = ::firegrid::monitoring::v1;
namespace log = ::firegrid::log;

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

struct Config {
  std::string mqtt_host;
  int mqtt_port = 0;
  std::string credentials_dir;
  std::string fleet_file;
  bool demo = false;
  int demo_buildings = 0;
  bool print_clients = false;
  std::string format;
  absl::Duration tick;
  ds::SimOptions sim;
  int64_t seed = 0;
  std::string fire_alarm;
  std::string low_pressure;
  std::string trigger_dir;
  bool once = false;
  absl::Duration duration;
  std::string client_id_prefix;
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::StatusOr<std::string> PasswordOf(const Config& c, const std::string& user) {
  if (c.credentials_dir.empty()) return std::string();
  absl::StatusOr<std::string> p = ReadFile(absl::StrCat(c.credentials_dir, "/passwords/", user));
  if (!p.ok()) {
    return absl::NotFoundError(
        absl::StrCat(p.status().message(), " (deploy/mqtt-credentials.sh writes it)"));
  }
  return std::string(absl::StripTrailingAsciiWhitespace(*p));
}

absl::StatusOr<std::string> Encode(const google::protobuf::Message& m, bool json) {
  if (!json) return m.SerializeAsString();
  std::string out;
  auto st = google::protobuf::util::MessageToJsonString(m, &out);
  if (!st.ok()) return absl::InternalError(std::string(st.message()));
  return out;
}

// Applies and removes the trigger files of --trigger-dir.
void ReadTriggers(const std::string& dir, ds::SimFleet& fleet, absl::Time now) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  }
  closedir(d);
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(dir, "/", name);
    absl::StatusOr<std::string> body = ReadFile(path);
    std::remove(path.c_str());
    if (!body.ok()) continue;
    absl::StatusOr<ds::Trigger> t = ds::ParseTrigger(absl::StripAsciiWhitespace(*body));
    absl::Status s = t.ok() ? fleet.Apply(name, *t, now) : t.status();
    if (s.ok()) {
      log::Info("trigger applied",
                {{"device_id", name}, {"trigger", std::string(absl::StripAsciiWhitespace(*body))}});
    } else {
      log::Warn("trigger refused", {{"device_id", name}, {"error", std::string(s.message())}});
    }
  }
}

bool Notable(const sv1::Signal& s) {
  const sv1::StateBits& b = s.state();
  return b.fire_alarm() || b.fault() || s.sequence() == 1;
}

int Run(const Config& c) {
  std::vector<ds::SimDevice> devices;
  if (c.demo == !c.fleet_file.empty()) {
    std::cerr << "error: give exactly one of --demo and --fleet-file\n";
    return 2;
  }
  if (c.demo) {
    devices = ds::DemoFleet(c.demo_buildings);
  } else {
    absl::StatusOr<std::string> text = ReadFile(c.fleet_file);
    absl::StatusOr<std::vector<ds::SimDevice>> parsed =
        text.ok() ? ds::ParseFleet(*text)
                  : absl::StatusOr<std::vector<ds::SimDevice>>(text.status());
    if (!parsed.ok()) {
      std::cerr << "error: " << parsed.status().message() << "\n";
      return 2;
    }
    devices = std::move(*parsed);
  }
  if (c.print_clients) {
    std::cout << ds::ClientsOf(devices);
    return 0;
  }
  if (c.format != "binary" && c.format != "json") {
    std::cerr << "error: --format is binary or json, not \"" << c.format << "\"\n";
    return 2;
  }
  const bool json = c.format == "json";
  const absl::Time start = absl::Now();
  ds::SimOptions sim = c.sim;
  sim.seed = static_cast<uint64_t>(c.seed);
  ds::SimFleet fleet(devices, sim, start);
  for (auto [list, trigger] : {std::pair{&c.fire_alarm, ds::Trigger::kFireAlarm},
                               std::pair{&c.low_pressure, ds::Trigger::kLowPressure}}) {
    for (absl::string_view id : absl::StrSplit(*list, ',', absl::SkipWhitespace())) {
      absl::Status s = fleet.Apply(std::string(absl::StripAsciiWhitespace(id)), trigger, start);
      if (!s.ok()) {
        std::cerr << "error: " << s.message() << "\n";
        return 2;
      }
    }
  }

  // One connection per gateway and per device without one; the MQTT user is its id.
  std::map<std::string, std::unique_ptr<ds::MqttConnection>> connections;  // by topic
  std::map<std::string, std::string> topic_of_device;
  for (const ds::SimDevice& d : devices) {
    const bool gateway = !d.gateway_id.empty();
    const std::string user = gateway ? d.gateway_id : d.device_id;
    const std::string topic = gateway ? absl::StrCat("fg/v1/g/", user, "/signals")
                                      : absl::StrCat("fg/v1/d/", user, "/signal");
    topic_of_device[d.device_id] = topic;
    if (connections.count(topic)) continue;
    absl::StatusOr<std::string> password = PasswordOf(c, user);
    if (!password.ok()) {
      std::cerr << "error: " << password.status().message() << "\n";
      return 1;
    }
    ds::MqttConnection::Options o;
    o.host = c.mqtt_host;
    o.port = c.mqtt_port;
    o.client_id = absl::StrCat(c.client_id_prefix, user);
    o.username = user;
    o.password = *password;
    absl::StatusOr<std::unique_ptr<ds::MqttConnection>> conn = ds::MqttConnection::Connect(o);
    if (!conn.ok()) {
      std::cerr << "error: " << user << ": " << conn.status().message() << "\n";
      return 1;
    }
    connections[topic] = std::move(*conn);
  }
  log::Info("devicesim connected", {{"devices", devices.size()},
                                    {"connections", connections.size()},
                                    {"mqtt", absl::StrCat(c.mqtt_host, ":", c.mqtt_port)},
                                    {"format", c.format}});

  int64_t signals = 0, messages = 0, errors = 0;
  absl::Time next_summary = start + absl::Minutes(1);
  for (absl::Time now = start; !g_stop; now = absl::Now()) {
    if (!c.trigger_dir.empty()) ReadTriggers(c.trigger_dir, fleet, now);
    std::map<std::string, sv1::SignalBatch> batches;  // gateway topics
    for (sv1::Signal& s : fleet.Tick(now)) {
      if (Notable(s)) {
        log::Info("signal", {{"device_id", s.device_id()},
                             {"boot_epoch", s.boot_epoch()},
                             {"sequence", s.sequence()},
                             {"fire_alarm", s.state().fire_alarm()},
                             {"fault", s.state().fault()},
                             {"point", s.point()}});
      }
      ++signals;
      const std::string& topic = topic_of_device[s.device_id()];
      if (absl::StrContains(topic, "/g/")) {
        *batches[topic].add_signals() = std::move(s);
        continue;
      }
      absl::StatusOr<std::string> payload = Encode(s, json);
      absl::Status st =
          payload.ok() ? connections[topic]->Publish(topic, *payload) : payload.status();
      if (st.ok())
        ++messages;
      else
        ++errors;
    }
    for (const auto& [topic, batch] : batches) {
      absl::StatusOr<std::string> payload = Encode(batch, json);
      absl::Status st =
          payload.ok() ? connections[topic]->Publish(topic, *payload) : payload.status();
      if (st.ok()) {
        ++messages;
      } else {
        ++errors;
        log::Warn("publish failed", {{"topic", topic}, {"error", std::string(st.message())}});
      }
    }
    if (c.once) break;
    if (c.duration > absl::ZeroDuration() && now - start >= c.duration) break;
    if (now >= next_summary) {
      log::Info("devicesim summary",
                {{"signals", signals}, {"messages", messages}, {"errors", errors}});
      next_summary = now + absl::Minutes(1);
    }
    // Paces the ticks (the simulated devices report on a timetable).
    for (absl::Time until = now + c.tick; !g_stop && absl::Now() < until;) {
      absl::SleepFor(std::min(absl::Milliseconds(100), until - absl::Now()));
    }
  }
  bool all_acked = true;
  for (auto& [topic, conn] : connections) {
    if (!conn->WaitAcked(absl::Seconds(10))) {
      all_acked = false;
      log::Warn("not acknowledged", {{"topic", topic},
                                     {"published", conn->published()},
                                     {"acknowledged", conn->acknowledged()}});
    }
  }
  log::Info("devicesim done", {{"signals", signals},
                               {"messages", messages},
                               {"errors", errors},
                               {"all_acknowledged", all_acked}});
  return all_acked && errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  firegrid::ConfigBinder b("firegrid-devicesim");
  b.String("mqtt-host", &c.mqtt_host, "127.0.0.1", "MQTT broker host");
  b.Int("mqtt-port", &c.mqtt_port, 1883, "MQTT broker port", 1, 65535);
  b.String("credentials-dir", &c.credentials_dir, ".state/mqtt",
           "where deploy/mqtt-credentials.sh put the passwords (passwords/<gateway or device>); "
           "empty: connect without credentials");
  b.String("fleet-file", &c.fleet_file, "",
           "devices to play, one a line: device_id,type,gateway_id,heartbeat_seconds");
  b.Bool("demo", &c.demo, false, "play the demo fleet (the devices the demo loader registers)");
  b.Int("demo-buildings", &c.demo_buildings, 12, "demo buildings with devices", 1, 300);
  b.Bool("print-clients", &c.print_clients, false,
         "print the fleet's MQTT clients (gateway ID / device ID lines) and exit");
  b.String("format", &c.format, "binary", "payload encoding: binary (protobuf) or json");
  b.Duration("tick", &c.tick, absl::Seconds(1), "how often the fleet is advanced",
             absl::Milliseconds(10), absl::Minutes(10));
  b.Duration("fault-every", &c.sim.fault_every, absl::Minutes(10),
             "mean time between faults somewhere in the fleet (0: none)");
  b.Duration("fault-duration", &c.sim.fault_duration, absl::Minutes(3), "how long a fault lasts");
  b.Duration("fire-alarm-every", &c.sim.fire_alarm_every, absl::Minutes(45),
             "mean time between fire alarms somewhere in the fleet (0: none)");
  b.Duration("fire-alarm-duration", &c.sim.fire_alarm_duration, absl::Minutes(1),
             "how long a device shows a fire alarm before it is reset");
  b.Duration("reboot-every", &c.sim.reboot_every, absl::Hours(2),
             "mean time between device reboots in the fleet (0: none)");
  b.Int("seed", &c.seed, 1, "random seed");
  b.String("fire-alarm", &c.fire_alarm, "",
           "devices (comma-separated) that report a fire alarm at once");
  b.String("low-pressure", &c.low_pressure, "",
           "pressure or level devices (comma-separated) that drop below their limit and stay");
  b.String("trigger-dir", &c.trigger_dir, "",
           "directory polled every tick for trigger files (named after a device, holding "
           "fire_alarm, low_pressure, fault, restore or reboot)");
  b.Bool("once", &c.once, false, "report every device once, wait for the acknowledgements, exit");
  b.Duration("duration", &c.duration, absl::ZeroDuration(),
             "stop after this long (0: run until signalled)");
  b.String("client-id-prefix", &c.client_id_prefix, "sim-", "MQTT client id = prefix + user");
  firegrid::ParseToolFlagsOrExit(b, argc, argv, "firegrid-devicesim");
  firegrid::log::Init("devicesim");
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  return Run(c);
}
