#include "tests/support/devbroker.h"

#include <librdkafka/rdkafkacpp.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#ifndef FIREGRID_DEVBROKER_PATH
#error "FIREGRID_DEVBROKER_PATH must name the firegrid-devbroker binary"
#endif

namespace firegrid::testing {
namespace {

constexpr char kBootstrapPrefix[] = "devbroker bootstrap=";

std::unique_ptr<RdKafka::KafkaConsumer> NewReader(const std::string& bootstrap) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  conf->set("bootstrap.servers", bootstrap, err);
  conf->set("group.id", "firegrid-test-reader", err);  // required; never joined (assign only)
  conf->set("enable.auto.commit", "false", err);
  conf->set("enable.partition.eof", "false", err);
  return std::unique_ptr<RdKafka::KafkaConsumer>(RdKafka::KafkaConsumer::create(conf.get(), err));
}

int PartitionCount(RdKafka::Handle* handle, const std::string& topic) {
  std::string err;
  std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(handle, topic, nullptr, err));
  RdKafka::Metadata* md = nullptr;
  if (t == nullptr || handle->metadata(false, t.get(), &md, 5000) != RdKafka::ERR_NO_ERROR) {
    return -1;
  }
  std::unique_ptr<RdKafka::Metadata> owned(md);
  for (const RdKafka::TopicMetadata* tm : *md->topics()) {
    if (tm->topic() == topic && tm->err() == RdKafka::ERR_NO_ERROR) {
      return static_cast<int>(tm->partitions()->size());
    }
  }
  return -1;
}

}  // namespace

DevBroker::~DevBroker() { Stop().IgnoreError(); }

absl::Status DevBroker::Start(int brokers) {
  SubprocessOptions o;
  o.argv = {FIREGRID_DEVBROKER_PATH, absl::StrCat("--brokers=", brokers),
            absl::StrCat("--control-file=", dir_.path(), "/control")};
  o.log_dir = dir_.path();
  o.name = "devbroker";
  if (absl::Status s = process_.Start(o); !s.ok()) return s;
  absl::StatusOr<std::string> line =
      WaitForLineInFile(process_.stdout_path(), kBootstrapPrefix, absl::Seconds(15));
  if (!line.ok()) return line.status();
  bootstrap_ = line->substr(line->find(kBootstrapPrefix) + sizeof(kBootstrapPrefix) - 1);
  return absl::OkStatus();
}

absl::Status DevBroker::Await(const char* msg, int count) {
  std::regex pattern(absl::StrCat("\"count\":", count, ",.*\"msg\":\"", msg, "\""));
  return WaitForLineInFile(process_.stderr_path(), pattern, absl::Seconds(10)).status();
}

absl::Status DevBroker::Down() {
  if (absl::Status s = process_.Signal(SIGUSR1); !s.ok()) return s;
  return Await("brokers down", ++downs_);
}

absl::Status DevBroker::Up() {
  if (absl::Status s = process_.Signal(SIGUSR2); !s.ok()) return s;
  return Await("brokers up", ++ups_);
}

absl::Status DevBroker::Inject(const std::string& commands) {
  const std::string path = absl::StrCat(dir_.path(), "/control");
  {
    std::ofstream out(path + ".tmp", std::ios::trunc);
    out << commands;
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path, ".tmp"));
  }
  if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename to ", path));
  }
  if (absl::Status s = process_.Signal(SIGHUP); !s.ok()) return s;
  std::regex pattern(absl::StrCat("\"count\":", ++controls_, ",.*\"msg\":\"control applied\""));
  absl::StatusOr<std::string> line =
      WaitForLineInFile(process_.stderr_path(), pattern, absl::Seconds(10));
  if (!line.ok()) return line.status();
  if (line->find("\"ok\":true") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("the broker did not apply it: ", *line));
  }
  return absl::OkStatus();
}

absl::Status DevBroker::Stop() {
  if (!process_.running()) return absl::OkStatus();
  return process_.Stop().status();
}

std::vector<events::ReceivedMessage> ReadTopic(const std::string& bootstrap,
                                               const std::string& topic, size_t want,
                                               absl::Duration timeout) {
  std::vector<events::ReceivedMessage> out;
  std::unique_ptr<RdKafka::KafkaConsumer> reader = NewReader(bootstrap);
  if (reader == nullptr) return out;
  int partitions = PartitionCount(reader.get(), topic);
  std::vector<RdKafka::TopicPartition*> assignment;
  for (int p = 0; p < partitions; ++p) {
    assignment.push_back(
        RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  reader->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  absl::Time deadline = absl::Now() + timeout;
  while (out.size() < want && absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(reader->consume(100));
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    out.push_back(events::ReceivedFrom(*m));
  }
  reader->close();
  return out;
}

absl::StatusOr<std::vector<events::ReceivedMessage>> ReadTopicToEnd(const std::string& bootstrap,
                                                                    const std::string& topic,
                                                                    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::unique_ptr<RdKafka::KafkaConsumer> reader = NewReader(bootstrap);
  if (reader == nullptr) return absl::UnavailableError("cannot create a Kafka reader");
  const int partitions = PartitionCount(reader.get(), topic);
  if (partitions < 0) {
    reader->close();
    return absl::UnavailableError(absl::StrCat("no metadata for ", topic));
  }
  // The end of each partition as the call begins; a partition is done once its message at
  // end - 1 has arrived (offsets have no gaps here: no transactions, no compaction).
  std::vector<int64_t> end(partitions, 0);
  std::vector<int64_t> next(partitions, 0);
  std::vector<RdKafka::TopicPartition*> assignment;
  int unfinished = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0;
    if (reader->query_watermark_offsets(topic, p, &low, &end[p], 5000) != RdKafka::ERR_NO_ERROR) {
      RdKafka::TopicPartition::destroy(assignment);
      reader->close();
      return absl::UnavailableError(absl::StrCat("no watermarks for ", topic, "/", p));
    }
    next[p] = low;
    if (end[p] > low) {
      ++unfinished;
      assignment.push_back(RdKafka::TopicPartition::create(topic, p, low));
    }
  }
  std::vector<events::ReceivedMessage> out;
  if (unfinished == 0) {
    reader->close();
    return out;
  }
  reader->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  while (unfinished > 0 && absl::Now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(reader->consume(100));
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    const int p = m->partition();
    if (p < 0 || p >= partitions || m->offset() >= end[p]) continue;
    out.push_back(events::ReceivedFrom(*m));
    next[p] = m->offset() + 1;
    if (next[p] == end[p]) --unfinished;
  }
  reader->close();
  if (unfinished > 0) {
    std::string missing;
    for (int p = 0; p < partitions; ++p) {
      if (next[p] < end[p]) absl::StrAppend(&missing, " ", p, "@", next[p], "..", end[p] - 1);
    }
    return absl::DeadlineExceededError(
        absl::StrCat("read ", out.size(), " messages of ", topic, " in ",
                     absl::FormatDuration(timeout), "; still missing (partition@offsets):",
                     missing));
  }
  return out;
}

namespace {

// The sum over the topic's partitions of what `of` makes of each one's low and high
// watermarks; -1 on error.
int64_t SumOverPartitions(const std::string& bootstrap, const std::string& topic,
                          int64_t (*of)(int64_t low, int64_t high)) {
  std::unique_ptr<RdKafka::KafkaConsumer> reader = NewReader(bootstrap);
  if (reader == nullptr) return -1;
  int partitions = PartitionCount(reader.get(), topic);
  if (partitions < 0) return -1;
  int64_t total = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    if (reader->query_watermark_offsets(topic, p, &low, &high, 5000) != RdKafka::ERR_NO_ERROR) {
      return -1;
    }
    total += of(low, high);
  }
  reader->close();
  return total;
}

}  // namespace

int64_t CountMessages(const std::string& bootstrap, const std::string& topic) {
  return SumOverPartitions(bootstrap, topic, [](int64_t low, int64_t high) { return high - low; });
}

int64_t RemovedMessages(const std::string& bootstrap, const std::string& topic) {
  return SumOverPartitions(bootstrap, topic, [](int64_t low, int64_t) { return low; });
}

}  // namespace firegrid::testing
