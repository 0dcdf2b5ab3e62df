// Fault experiment: a consumer that falls behind the topic's retention. The real firegrid-hazards
// (consumer group "hazards" on the buildings topic) applies a building's first version and
// stops; meanwhile ~8 MiB of later versions of the same building go to its partition, past the
// dev broker's ~5 MiB per partition, so the group's committed offset falls off the log. Started
// again, hazards must not skip silently: an ERROR line naming topic, partition, committed offset
// and log start, firegrid.consumers NOT_SERVING (the service itself still SERVING),
// firegrid_consumer_retention_gap_events equal to what the broker dropped, and the building's
// projection left as it was. The runbook's step (--kafka-skip-retention-gap) then goes on from the
// log start: the last version is applied, firegrid.consumers SERVING again.
// Figures: per cycle the events that fell off the log (gap), how many of them were reported
// (lost = gap − reported: events skipped without an alert, must be 0), time to detect after the
// restart, time to recover with the flag.
#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "gtest/gtest.h"
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

constexpr int kOverflowEvents = 40;      // × 200 KiB: past the ~5 MiB per partition
constexpr size_t kPadding = 200 * 1024;  // in the building's name
constexpr char kHealthName[] = "firegrid.consumers";

class RetentionFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = testing::WriteKeyFile(dir_.path());
    ASSERT_TRUE(redis_.Start().ok());
    ASSERT_TRUE(broker_.Start().ok());
    redis::PoolOptions po;
    po.port = redis_.port();
    pool_ = redis::Pool::Create(po);
    events::ProducerOptions o;
    o.bootstrap_servers = broker_.bootstrap();
    o.client_id = "retention-faults";
    auto p = events::KafkaProducer::Create(o);
    ASSERT_TRUE(p.ok()) << p.status();
    producer_ = *std::move(p);
  }

  void TearDown() override {
    if (hazards_ != nullptr && hazards_->running()) (void)hazards_->Stop();
  }

  void StartHazards(bool skip_gap) {
    const std::string cfg = FIREGRID_CONFIG_DIR;
    std::vector<std::string> flags = {"--rules-file=" + cfg + "/hazards_rules.textproto",
                                      "--guidance-file=" + cfg + "/hazards_guidance.textproto"};
    if (skip_gap) flags.push_back("--kafka-skip-retention-gap");
    hazards_ = testing::PollingService(FIREGRID_HAZARDS_BIN, "hazards", flags, redis_.address(),
                                       broker_.bootstrap(), key_file_, dir_.path());
    absl::Status s = hazards_->Start();
    ASSERT_TRUE(s.ok()) << s;
  }

  // Sends version `version` of the building (its name padded to `name_size`); true when acked.
  bool SendVersion(const std::string& building, int64_t version, size_t name_size) {
    bv1::BuildingUpdated payload;
    bv1::Building* b = payload.mutable_building();
    b->set_building_id(building);
    b->set_version(version);
    b->set_tier_path("500109/500109001/500109001002");
    b->set_name(std::string(name_size, 'n'));
    events::Envelope e =
        events::NewEnvelope(payload, "buildings", building, "500109001002", absl::Now(), ids_);
    std::vector<absl::Status> sent = producer_->SendBatch(
        {{std::string(events::kBuildingsTopic), building, events::SerializeEnvelope(e)}},
        absl::Seconds(10));
    return sent.size() == 1 && sent[0].ok();
  }

  int64_t AppliedVersion(const std::string& building) {
    auto r = pool_->Command({"HGET", absl::StrCat("fg:hazards:bld:", building), "version"});
    int64_t v = -1;
    if (r.ok() && !r->IsNil()) (void)absl::SimpleAtoi(r->str, &v);
    return v;
  }

  bool HealthIs(const std::string& name, int status) {
    absl::StatusOr<int> h = testing::CheckHealth(hazards_->grpc_address(), name);
    return h.ok() && *h == status;
  }

  // The firegrid_consumer_retention_gap_events sample with stopped="<stopped>" (-1: none).
  int64_t GapMetric(bool stopped) {
    absl::StatusOr<std::string> body = testing::HttpGet(hazards_->metrics_port(), "/metrics");
    if (!body.ok()) return -1;
    const std::string want = absl::StrCat("stopped=\"", stopped ? "true" : "false", "\"");
    for (absl::string_view line : absl::StrSplit(*body, '\n')) {
      if (!absl::StartsWith(line, "firegrid_consumer_retention_gap_events{") ||
          line.find(want) == absl::string_view::npos) {
        continue;
      }
      double v = 0;
      if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) return static_cast<int64_t>(v);
    }
    return -1;
  }

  bool StderrHas(const std::string& text) {
    std::ifstream in(hazards_->stderr_path());
    std::stringstream s;
    s << in.rdbuf();
    return s.str().find(text) != std::string::npos;
  }

  testing::TempDir dir_{"firegrid-retention-faults"};
  std::string key_file_;
  testing::RedisServer redis_;
  testing::DevBroker broker_;
  std::unique_ptr<redis::Pool> pool_;
  std::unique_ptr<events::KafkaProducer> producer_;
  std::unique_ptr<testing::ServiceProcess> hazards_;
  RandomIdGenerator ids_;
};

TEST_F(RetentionFaults, ConsumerBehindTheRetentionAlertsAndStopsThenRecoversWithTheRunbookFlag) {
  const int cycles = faults::Cycles(1);
  faults::Figures f;
  f.experiment =
      "hazards' consumer behind the buildings topic's retention (dev broker, ~5 MiB "
      "per partition)";
  int64_t gap_total = 0, reported_total = 0;
  absl::Duration detect_max, recover_max;
  const std::string building = "bld_retention";
  int64_t version = 0;

  StartHazards(/*skip_gap=*/false);
  ++version;
  ++f.writes;
  ASSERT_TRUE(SendVersion(building, version, 16));
  ++f.acknowledged;
  ASSERT_TRUE(
      testing::WaitUntil([&] { return AppliedVersion(building) == version; }, absl::Seconds(60)));

  for (int cycle = 0; cycle < cycles; ++cycle) {
    const int64_t applied = AppliedVersion(building);
    ASSERT_TRUE(hazards_->Stop().ok());  // commits what it applied
    const int64_t before =
        testing::CountMessages(broker_.bootstrap(), std::string(events::kBuildingsTopic));
    for (int i = 0; i < kOverflowEvents; ++i) {
      ++version;
      ++f.writes;
      ASSERT_TRUE(SendVersion(building, version, kPadding));
      ++f.acknowledged;
    }
    const int64_t after =
        testing::CountMessages(broker_.bootstrap(), std::string(events::kBuildingsTopic));
    // Everything on the topic is this building's, on one partition, and the group had processed
    // all of it but the kOverflowEvents just sent: those not on the log any more are the gap.
    (void)before;
    const int64_t dropped = kOverflowEvents - std::min<int64_t>(after, kOverflowEvents);
    ASSERT_GT(dropped, 0) << "the log did not overflow";
    // What the other experiments' ReadEvents refuses to count as lost: the broker says so.
    EXPECT_GE(testing::RemovedMessages(broker_.bootstrap(), std::string(events::kBuildingsTopic)),
              dropped);

    const absl::Time restarted = absl::Now();
    StartHazards(/*skip_gap=*/false);
    ASSERT_TRUE(testing::WaitUntil([&] { return HealthIs(kHealthName, 2); }, absl::Seconds(60)))
        << "firegrid.consumers never NOT_SERVING";
    detect_max = std::max(detect_max, absl::Now() - restarted);
    EXPECT_TRUE(HealthIs("", 1)) << "the service itself must stay SERVING";
    ASSERT_TRUE(
        testing::WaitUntil([&] { return GapMetric(/*stopped=*/true) >= 0; }, absl::Seconds(10)));
    const int64_t reported = GapMetric(/*stopped=*/true);
    EXPECT_TRUE(StderrHas("committed offset is no longer on the log"));
    EXPECT_TRUE(StderrHas("\"log_start\""));
    // Stopped, not skipped: the projection still holds what was applied before.
    EXPECT_EQ(AppliedVersion(building), applied);
    gap_total += dropped;
    reported_total += reported;
    EXPECT_EQ(reported, dropped);

    // Runbook step 4: restart with --kafka-skip-retention-gap.
    ASSERT_TRUE(hazards_->Stop().ok());
    const absl::Time recovering = absl::Now();
    StartHazards(/*skip_gap=*/true);
    ASSERT_TRUE(
        testing::WaitUntil([&] { return AppliedVersion(building) == version; }, absl::Seconds(120)))
        << "applied " << AppliedVersion(building) << " of " << version;
    ASSERT_TRUE(testing::WaitUntil([&] { return HealthIs(kHealthName, 1); }, absl::Seconds(10)));
    recover_max = std::max(recover_max, absl::Now() - recovering);
    EXPECT_EQ(GapMetric(/*stopped=*/false), dropped);
  }
  f.cycles = cycles;
  f.lost = std::max<int64_t>(0, gap_total - reported_total);  // dropped without an alert
  f.recovery_max = recover_max;
  f.extra = {
      {"events behind the retention", absl::StrCat(gap_total)},
      {"reported as a gap", absl::StrCat(reported_total)},
      {"detected after restart (max)", absl::FormatDuration(detect_max)},
      {"recovered with --kafka-skip-retention-gap (max)", absl::FormatDuration(recover_max)}};
  faults::Report(f);
  EXPECT_EQ(f.lost, 0);
}

}  // namespace
}  // namespace firegrid
