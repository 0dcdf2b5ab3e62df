// Poison messages on every consumed topic: hazards, credit, monitoring and notify (every service
// that runs a consumer) with redis-server and the dev broker. On each topic, each kind of poison
// is published followed by a good event with the same key (so the same partition, handled after
// it). Then:
// - every poison that is not an event (not a protobuf, empty, no event id, a type that
//   disagrees with its payload, too large to be carried in a dead letter) is dead-lettered by
//   every consumer group of its topic, with a reason, and listed by that service's
//   DeadLetterService;
// - a decodable envelope the consumer cannot use (an unknown event type, a known type whose
//   payload does not decode, a key that is not its building) does not stop it either: it is
//   ignored or dead-lettered;
// - every consumer keeps going: its lag on every partition drains to 0 and no good event is
//   dead-lettered, so every good event was handled; the good buildings events are applied
//   (hazards' building projection has each one).
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/credit/v1/events.pb.h"
#include "firegrid/events/v1/dead_letters.grpc.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "firegrid/monitoring/v1/events.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "libs/common/ids.h"
#include "libs/events/envelope.h"
#include "libs/events/producer.h"
#include "libs/events/topics.h"
#include "libs/redis/pool.h"
#include "tests/e2e/e2e_support.h"
#include "tests/faults/report.h"
#include "tests/support/devbroker.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace cv1 = ::firegrid::credit::v1;
namespace dv1 = ::firegrid::events::v1;
namespace hv1 = ::firegrid::hazards::v1;
namespace mv1 = ::firegrid::monitoring::v1;

constexpr char kCommunity[] = "500109001002";
constexpr absl::Duration kDrain = absl::Seconds(90);

// Who consumes what (the services' main.cc): consumer group → topics.
const std::map<std::string, std::vector<std::string>>& GroupTopics() {
  static const auto* m = new std::map<std::string, std::vector<std::string>>{
      {"hazards", {std::string(events::kBuildingsTopic)}},
      {"credit", {std::string(events::kHazardsTopic), std::string(events::kBuildingsTopic)}},
      {"monitoring", {std::string(events::kBuildingsTopic)}},
      {"notify",
       {std::string(events::kHazardsTopic), std::string(events::kBuildingsTopic),
        std::string(events::kCreditTopic), std::string(events::kMonitoringTopic)}},
  };
  return *m;
}

std::vector<std::string> ConsumedTopics() {
  std::set<std::string> out;
  for (const auto& [group, topics] : GroupTopics()) out.insert(topics.begin(), topics.end());
  return {out.begin(), out.end()};
}

std::vector<std::string> GroupsOf(const std::string& topic) {
  std::vector<std::string> out;
  for (const auto& [group, topics] : GroupTopics()) {
    for (const auto& t : topics) {
      if (t == topic) out.push_back(group);
    }
  }
  return out;
}

struct Poison {
  std::string kind;
  std::string key;
  std::string value;
  bool must_dead_letter;  // not an event: every group must dead-letter it
};

class PoisonFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    key_file_ = testing::WriteKeyFile(dir_.path());
    const std::string cfg = FIREGRID_CONFIG_DIR;
    auto service = [&](const char* bin, const char* name, std::vector<std::string> flags) {
      return testing::PollingService(bin, name, std::move(flags), redis_.address(),
                                     broker_.bootstrap(), key_file_, dir_.path());
    };
    services_["hazards"] = service(FIREGRID_HAZARDS_BIN, "hazards",
                                   {"--rules-file=" + cfg + "/hazards_rules.textproto",
                                    "--guidance-file=" + cfg + "/hazards_guidance.textproto"});
    services_["notify"] =
        service(FIREGRID_NOTIFY_BIN, "notify", {"--plan-file=" + cfg + "/plan_tasks.textproto"});
    services_["credit"] =
        service(FIREGRID_CREDIT_BIN, "credit", {"--rules-file=" + cfg + "/credit_rules.textproto"});
    for (const char* name : {"hazards", "notify", "credit"}) {
      absl::Status st = services_[name]->Start();
      ASSERT_TRUE(st.ok()) << name << ": " << st;
    }
    services_["monitoring"] =
        service(FIREGRID_MONITORING_BIN, "monitoring",
                {"--rules-file=" + cfg + "/monitoring_rules.textproto", "--mqtt=false",
                 "--hazards-addr=" + services_["hazards"]->grpc_address(),
                 "--notify-addr=" + services_["notify"]->grpc_address()});
    absl::Status st = services_["monitoring"]->Start();
    ASSERT_TRUE(st.ok()) << "monitoring: " << st;
    admin_ = tokens_.Make(auth::Role::kDistrictAdmin, "500109", "u-poison-admin");
    auto producer = events::KafkaProducer::Create({.bootstrap_servers = broker_.bootstrap()});
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = *std::move(producer);
    redis::PoolOptions po;
    ASSERT_TRUE(redis::ParseAddress(redis_.address(), &po).ok());
    pool_ = redis::Pool::Create(po);
  }

  void TearDown() override {
    for (auto& [name, s] : services_) {
      if (s != nullptr && s->running()) {
        auto code = s->Stop();
        EXPECT_TRUE(code.ok() && *code == 0)
            << name << " did not drain cleanly: " << testing::WhyNotClean(code, *s);
      }
    }
  }

  absl::Status Publish(const std::string& topic, const std::string& key, const std::string& value) {
    auto sent = producer_->SendBatch({{topic, key, value}}, absl::Seconds(30));
    return sent[0];
  }

  events::Envelope Wrap(const google::protobuf::Message& payload, const std::string& producer,
                        const std::string& key) {
    return events::NewEnvelope(payload, producer, key, kCommunity, absl::Now(), ids_);
  }

  // A good event of `topic` for building `key`, which every consumer of the topic handles.
  events::Envelope Good(const std::string& topic, const std::string& key) {
    if (topic == events::kBuildingsTopic) {
      bv1::BuildingRegistered e;
      bv1::Building* b = e.mutable_building();
      b->set_building_id(key);
      b->set_name("嘉陵大厦");
      b->set_tier_path(kCommunity);
      b->set_use(bv1::BUILDING_USE_RESIDENTIAL);
      b->set_version(1);
      return Wrap(e, "buildings", key);
    }
    if (topic == events::kHazardsTopic) {
      hv1::HazardReported e;
      hv1::Hazard* h = e.mutable_hazard();
      h->set_hazard_id("hzd_" + key);
      h->set_building_id(key);
      h->set_building_name("嘉陵大厦");
      h->set_tier_path(kCommunity);
      h->set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
      h->set_severity(hv1::SEVERITY_GENERAL);
      h->set_status(hv1::STATUS_REPORTED);
      h->set_description("消防车道被占用");
      return Wrap(e, "hazards", key);
    }
    if (topic == events::kCreditTopic) {
      cv1::ScoreChanged e;
      e.mutable_subject()->set_subject_id("org:91350100M000100Y43");
      e.mutable_subject()->set_name("嘉陵物业");
      e.mutable_subject()->add_tier_paths(kCommunity);
      e.set_score_before(100);
      return Wrap(e, "credit", key);
    }
    mv1::AlarmRaised e;
    mv1::Alarm* a = e.mutable_alarm();
    a->set_alarm_id("alm_" + key);
    a->set_device_id("dev-" + key);
    a->set_type(mv1::ALARM_TYPE_FAULT);
    a->set_building_id(key);
    a->set_building_name("嘉陵大厦");
    a->set_tier_path(kCommunity);
    return Wrap(e, "monitoring", key);
  }

  // The poisons of one topic, for building keys made from `prefix`.
  std::vector<Poison> Poisons(const std::string& topic, const std::string& prefix) {
    std::vector<Poison> out;
    auto key = [&](const std::string& kind) { return absl::StrCat(prefix, "_", kind); };
    out.push_back({"not_protobuf", key("not_protobuf"), "\xff\xfe\xfd this is no protobuf", true});
    out.push_back({"empty", key("empty"), "", true});
    {
      events::Envelope e = Good(topic, key("no_event_id"));
      e.clear_event_id();
      out.push_back({"no_event_id", key("no_event_id"), events::SerializeEnvelope(e), true});
    }
    {
      // An envelope of another schema version: its type names v2, its payload is v1.
      events::Envelope e = Good(topic, key("other_version"));
      std::string type = e.type();
      absl::StrReplaceAll({{".v1.", ".v2."}}, &type);
      e.set_type(type);
      out.push_back({"other_version", key("other_version"), events::SerializeEnvelope(e), true});
    }
    {
      // Too large to be carried in a dead letter: the original fits the broker's limit (1 MB),
      // the original wrapped in a DeadLetter does not.
      std::string big(999'900 - key("oversized").size(), '\xee');
      out.push_back({"oversized", key("oversized"), big, true});
    }
    {
      google::protobuf::StringValue unknown;
      unknown.set_value("an event type no consumer knows");
      out.push_back({"unknown_type", key("unknown_type"),
                     events::SerializeEnvelope(Wrap(unknown, "buildings", key("unknown_type"))),
                     false});
    }
    {
      // The topic's own event type, with payload bytes that do not decode as it.
      events::Envelope e = Good(topic, key("bad_payload"));
      e.mutable_payload()->set_value("\xff\xff\xff\xff not the payload");
      out.push_back({"bad_payload", key("bad_payload"), events::SerializeEnvelope(e), false});
    }
    {
      // A good event under a key that is not its building.
      events::Envelope e = Good(topic, key("wrong_key") + "_other");
      out.push_back({"wrong_key", key("wrong_key"), events::SerializeEnvelope(e), false});
    }
    return out;
  }

  // Every dead letter of `group`'s service on `topic`.
  std::vector<dv1::DeadLetterEntry> DeadLetters(const std::string& group,
                                                const std::string& topic) {
    auto stub = dv1::DeadLetterService::NewStub(
        grpc::CreateChannel(services_[group]->grpc_address(), grpc::InsecureChannelCredentials()));
    std::vector<dv1::DeadLetterEntry> out;
    dv1::ListDeadLettersRequest req;
    req.set_topic(topic);
    req.set_page_size(500);
    do {
      dv1::ListDeadLettersResponse resp;
      grpc::Status s = stub->ListDeadLetters(testing::CallContext(admin_).get(), req, &resp);
      if (!s.ok()) {
        ADD_FAILURE() << group << " " << topic << ": " << s.error_message();
        return out;
      }
      out.insert(out.end(), resp.dead_letters().begin(), resp.dead_letters().end());
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty());
    return out;
  }

  // The sum of a service's firegrid_consumer_lag samples, -1 when it reports none.
  int64_t Lag(const std::string& group) {
    absl::StatusOr<std::string> metrics =
        testing::HttpGet(services_[group]->metrics_port(), "/metrics");
    if (!metrics.ok()) return -1;
    int64_t sum = 0;
    int samples = 0;
    for (absl::string_view line : absl::StrSplit(*metrics, '\n')) {
      if (!absl::StartsWith(line, "firegrid_consumer_lag{")) continue;
      double v = 0;
      if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) {
        sum += static_cast<int64_t>(v);
        ++samples;
      }
    }
    return samples == 0 ? -1 : sum;
  }

  int64_t ProjectionVersion(const std::string& building) {
    auto r = pool_->Command({"HGET", absl::StrCat("fg:hazards:bld:", building), "version"});
    if (!r.ok() || r->IsNil()) return -1;
    int64_t v = -1;
    return absl::SimpleAtoi(r->str, &v) ? v : -1;
  }

  testing::TempDir dir_{"poison-faults"};
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::string key_file_;
  std::map<std::string, std::unique_ptr<testing::ServiceProcess>> services_;
  std::unique_ptr<events::KafkaProducer> producer_;
  std::unique_ptr<redis::Pool> pool_;
  testing::DevTokens tokens_;
  std::string admin_;
  RandomIdGenerator ids_;
};

TEST_F(PoisonFaults, EveryConsumerDeadLettersPoisonWithItsReasonAndKeepsApplyingGoodEvents) {
  const int cycles = faults::Cycles(1);
  struct Sent {
    std::string topic;
    Poison poison;
  };
  std::vector<Sent> poisons;
  std::map<std::string, std::vector<events::Envelope>> good;  // by topic
  for (int cycle = 0; cycle < cycles; ++cycle) {
    for (const std::string& topic : ConsumedTopics()) {
      const std::string prefix =
          absl::StrCat("bld_p", cycle, "_", topic.substr(9, topic.find(".events") - 9));
      for (Poison& p : Poisons(topic, prefix)) {
        absl::Status s = Publish(topic, p.key, p.value);
        ASSERT_TRUE(s.ok()) << p.kind << " on " << topic << ": " << s;
        // The good event after it, in the same partition (same key).
        events::Envelope g = Good(topic, p.key);
        s = Publish(topic, p.key, events::SerializeEnvelope(g));
        ASSERT_TRUE(s.ok()) << "good event on " << topic << ": " << s;
        good[topic].push_back(g);
        poisons.push_back({topic, std::move(p)});
      }
    }
  }
  const absl::Time sent = absl::Now();

  // Every poison that is no event is dead-lettered by every group of its topic. Matched by key
  // and reason; the record's own offset is in the entry.
  int64_t expected_letters = 0;
  for (const Sent& s : poisons) {
    if (s.poison.must_dead_letter) expected_letters += GroupsOf(s.topic).size();
  }
  auto dead_lettered_poison = [&](bool report) {
    int64_t found = 0;
    for (const auto& [group, topics] : GroupTopics()) {
      for (const std::string& topic : topics) {
        std::vector<dv1::DeadLetterEntry> letters = DeadLetters(group, topic);
        for (const Sent& s : poisons) {
          if (s.topic != topic || !s.poison.must_dead_letter) continue;
          bool hit = false;
          for (const auto& l : letters) {
            hit = hit || (l.key() == s.poison.key && !l.reason().empty() && l.event_id().empty());
          }
          if (hit) {
            ++found;
          } else if (report) {
            ADD_FAILURE() << group << " did not dead-letter " << s.poison.kind << " on " << topic;
          }
        }
      }
    }
    return found;
  };
  ASSERT_TRUE(
      testing::WaitUntil([&] { return dead_lettered_poison(false) == expected_letters; }, kDrain))
      << dead_lettered_poison(true) << " of " << expected_letters << " dead letters";

  // Every consumer drains its partitions: nothing holds a partition (an oversized dead letter
  // retried for ever would).
  for (const auto& [group, topics] : GroupTopics()) {
    EXPECT_TRUE(testing::WaitUntil([&] { return Lag(group) == 0; }, kDrain))
        << group << " lag stays " << Lag(group);
  }
  const absl::Duration drained = absl::Now() - sent;

  // No good event was dead-lettered: with the lag at 0, every one was handled.
  int64_t good_sent = 0, good_dead = 0, poison_dead = 0, other_letters = 0;
  int64_t oversized_without_value = 0;
  std::map<std::string, int64_t> letters_by_kind;
  for (const auto& [topic, events] : good) good_sent += events.size();
  for (const auto& [group, topics] : GroupTopics()) {
    for (const std::string& topic : topics) {
      std::set<std::string> good_ids;
      for (const auto& e : good[topic]) good_ids.insert(e.event_id());
      for (const auto& l : DeadLetters(group, topic)) {
        if (good_ids.count(l.event_id()) > 0) {
          ++good_dead;
          ADD_FAILURE() << group << " dead-lettered a good event of " << topic << ": "
                        << l.reason();
          continue;
        }
        bool is_poison = false;
        for (const Sent& s : poisons) {
          if (s.topic == topic && s.poison.key == l.key()) {
            is_poison = true;
            ++letters_by_kind[s.poison.kind];
            // The broker refused the oversized record wrapped in a dead letter: it went without
            // its value (else the partition would be held for good).
            if (s.poison.kind == "oversized") {
              EXPECT_GT(l.omitted_value_bytes(), 999'000) << group << " " << topic;
              if (l.omitted_value_bytes() > 0) ++oversized_without_value;
            }
          }
        }
        is_poison ? ++poison_dead : ++other_letters;
      }
    }
  }
  EXPECT_EQ(other_letters, 0);

  // The good buildings events are applied: hazards' projection has every building.
  int64_t projected = 0;
  for (const auto& e : good[std::string(events::kBuildingsTopic)]) {
    if (ProjectionVersion(e.building_id()) == 1) ++projected;
  }
  EXPECT_EQ(projected, static_cast<int64_t>(good[std::string(events::kBuildingsTopic)].size()));

  faults::Figures f;
  f.experiment = "poison messages on every consumed topic";
  f.cycles = cycles;
  f.writes = static_cast<int64_t>(poisons.size()) + good_sent;
  f.acknowledged = f.writes;
  f.lost = good_dead;  // a good event not applied
  f.duplicated = 0;
  f.recovery_max = drained;
  f.extra = {{"topics", absl::StrCat(ConsumedTopics().size())},
             {"consumer groups", absl::StrCat(GroupTopics().size())},
             {"poison sent", absl::StrCat(poisons.size())},
             {"dead letters expected (undecodable × groups)", absl::StrCat(expected_letters)},
             {"poison dead letters", absl::StrCat(poison_dead)},
             {"oversized dead-lettered without their value", absl::StrCat(oversized_without_value)},
             {"good sent", absl::StrCat(good_sent)},
             {"good dead-lettered", absl::StrCat(good_dead)},
             {"good buildings events applied (hazards)", absl::StrCat(projected)}};
  for (const auto& [kind, n] : letters_by_kind) {
    f.extra.push_back({absl::StrCat("dead letters: ", kind), absl::StrCat(n)});
  }
  faults::Report(f);
}

}  // namespace
}  // namespace firegrid
