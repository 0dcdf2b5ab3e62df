// firegrid-devbroker: librdkafka's built-in mock Kafka cluster on loopback, with firegrid's
// topics, for local runs and tests. Data lives in memory only.
//
//   firegrid-devbroker [--brokers=1] [--topics-file=FILE] [--bootstrap-file=FILE]
//                      [--control-file=FILE]
//   firegrid-devbroker --help | --version
//
// Prints exactly one line on stdout, "devbroker bootstrap=<host:port,...>", once the topics
// exist. SIGUSR1 takes every broker down (connections dropped and refused), SIGUSR2 brings them
// back; SIGHUP injects the faults --control-file lists (latency, request errors:
// control_file.h); SIGTERM / SIGINT stop it. Logs (JSON) go to stderr.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "libs/common/config.h"
#include "libs/common/logging.h"
#include "libs/common/version.h"
#include "tools/devbroker/control_file.h"
#include "tools/devbroker/topics_file.h"

namespace firegrid::devbroker {
namespace {

struct Config {
  int brokers = 1;
  std::string topics_file;
  std::string bootstrap_file;
  std::string control_file;
};

absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    out.close();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

// Sets all brokers down or up. Tries "all brokers" (-1) first, then each broker id.
bool SetBrokers(rd_kafka_mock_cluster_t* cluster, int brokers, bool up) {
  auto set = [&](int32_t id) {
    return up ? rd_kafka_mock_broker_set_up(cluster, id)
              : rd_kafka_mock_broker_set_down(cluster, id);
  };
  if (set(-1) == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
  bool ok = true;
  for (int32_t id = 1; id <= brokers; ++id) ok = set(id) == RD_KAFKA_RESP_ERR_NO_ERROR && ok;
  return ok;
}

// Reads `path` (--control-file) and injects its faults (control_file.h).
absl::Status ApplyControlFile(rd_kafka_mock_cluster_t* cluster, const std::string& path) {
  if (path.empty()) return absl::FailedPreconditionError("SIGHUP without --control-file");
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::vector<ControlCommand>> commands = ParseControlFile(text.str());
  if (!commands.ok()) return commands.status();
  for (const ControlCommand& c : *commands) {
    if (c.kind == ControlCommand::Kind::kRtt) {
      rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_rtt(cluster, -1, c.rtt_ms);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return absl::InternalError(absl::StrCat("rtt: ", rd_kafka_err2str(err)));
      }
    } else {
      std::vector<rd_kafka_resp_err_t> errors(static_cast<size_t>(c.count),
                                              static_cast<rd_kafka_resp_err_t>(c.error_code));
      rd_kafka_mock_push_request_errors_array(cluster, c.api_key, errors.size(), errors.data());
    }
  }
  return absl::OkStatus();
}

int Run(int argc, char** argv) {
  if (VersionRequested(argc, argv)) {
    std::cout << VersionLine("firegrid-devbroker") << "\n";
    return 0;
  }
  log::Init("devbroker");
  Config config;
  ConfigBinder binder("firegrid-devbroker");
  binder.Int("brokers", &config.brokers, 1, "number of mock brokers", 1, 9);
  binder.String("topics-file", &config.topics_file, "",
                "extra topics, one \"<name> [partitions]\" per line (each gets a .dlq)");
  binder.String("bootstrap-file", &config.bootstrap_file, "",
                "also write the bootstrap servers to this file");
  binder.String("control-file", &config.control_file, "",
                "on SIGHUP, inject the faults this file lists (rtt <ms>; errors <api key> "
                "<count> <error code>; README.md)");
  absl::Status parsed = binder.Parse(argc, argv, ConfigBinder::ProcessEnv());
  if (ConfigBinder::IsHelp(parsed)) {
    std::cout << binder.Usage() << kVersionFlagUsage;
    return 0;
  }
  if (!parsed.ok()) {
    std::cerr << parsed.message() << "\n" << binder.Usage();
    return 2;
  }

  std::vector<events::TopicSpec> extra;
  if (!config.topics_file.empty()) {
    std::ifstream in(config.topics_file);
    if (!in) {
      log::Error("cannot read the topics file", {{"path", config.topics_file}});
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<std::vector<events::TopicSpec>> specs = ParseTopicsFile(text.str());
    if (!specs.ok()) {
      log::Error("bad topics file",
                 {{"path", config.topics_file}, {"error", std::string(specs.status().message())}});
      return 2;
    }
    extra = *std::move(specs);
  }

  // Block the signals we handle before librdkafka starts threads (they inherit the mask), so
  // they all arrive at sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only owns the mock cluster; it never connects anywhere.
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  rd_kafka_t* owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (owner == nullptr) {
    log::Error("cannot create the librdkafka handle", {{"error", errstr}});
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(owner, config.brokers);
  if (cluster == nullptr) {
    log::Error("cannot create the mock cluster", {});
    rd_kafka_destroy(owner);
    return 1;
  }
  const int replication = std::min(config.brokers, 3);
  for (const events::TopicSpec& t : MergeTopics(extra)) {
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(cluster, t.name.c_str(), t.partitions, replication);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::Error("cannot create topic", {{"topic", t.name}, {"error", rd_kafka_err2str(err)}});
      rd_kafka_mock_cluster_destroy(cluster);
      rd_kafka_destroy(owner);
      return 1;
    }
    log::Info("topic created", {{"topic", t.name}, {"partitions", t.partitions}});
  }
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  if (!config.bootstrap_file.empty()) {
    absl::Status written = WriteFileAtomically(config.bootstrap_file, bootstrap + "\n");
    if (!written.ok()) {
      log::Error("cannot write the bootstrap file",
                 {{"path", config.bootstrap_file}, {"error", std::string(written.message())}});
      rd_kafka_mock_cluster_destroy(cluster);
      rd_kafka_destroy(owner);
      return 1;
    }
  }
  std::cout << "devbroker bootstrap=" << bootstrap << std::endl;  // endl flushes
  log::Info("serving", {{"bootstrap", bootstrap}, {"brokers", config.brokers}});

  int downs = 0, ups = 0, controls = 0;
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGUSR1) {
      bool ok = SetBrokers(cluster, config.brokers, /*up=*/false);
      log::Info("brokers down", {{"count", ++downs}, {"ok", ok}});
    } else if (sig == SIGUSR2) {
      bool ok = SetBrokers(cluster, config.brokers, /*up=*/true);
      log::Info("brokers up", {{"count", ++ups}, {"ok", ok}});
    } else if (sig == SIGHUP) {
      absl::Status applied = ApplyControlFile(cluster, config.control_file);
      log::Info(
          "control applied",
          {{"count", ++controls}, {"ok", applied.ok()}, {"error", std::string(applied.message())}});
    } else {
      log::Info("stopping", {{"signal", sig}});
      break;
    }
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(owner);
  return 0;
}

}  // namespace
}  // namespace firegrid::devbroker

int main(int argc, char** argv) { return firegrid::devbroker::Run(argc, argv); }
