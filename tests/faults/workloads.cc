#include "tests/faults/workloads.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "firegrid/buildings/v1/buildings.grpc.pb.h"
#include "firegrid/buildings/v1/events.pb.h"
#include "firegrid/credit/v1/credit.grpc.pb.h"
#include "firegrid/credit/v1/events.pb.h"
#include "firegrid/credit/v1/history.pb.h"
#include "firegrid/hazards/v1/events.pb.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "firegrid/monitoring/v1/events.pb.h"
#include "firegrid/monitoring/v1/monitoring.grpc.pb.h"
#include "firegrid/notify/v1/notify.grpc.pb.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "libs/common/ids.h"
#include "libs/events/envelope.h"
#include "libs/events/producer.h"
#include "libs/events/topics.h"
#include "nlohmann/json.hpp"
#include "tests/faults/report.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace firegrid::faults {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;
namespace cv1 = ::firegrid::credit::v1;
namespace mv1 = ::firegrid::monitoring::v1;
namespace nv1 = ::firegrid::notify::v1;

constexpr char kCommunity[] = "500109001002";

std::string WriteName(const std::string& key) { return "fault " + key; }

// What the acknowledged writes (key → id) must have left behind: the names their keys gave
// (WriteName) and the ids their clients were answered with.
struct Must {
  std::set<std::string> names;
  std::set<std::string> ids;
};
Must MustOf(const std::map<std::string, std::string>& acknowledged) {
  Must m;
  for (const auto& [key, id] : acknowledged) {
    m.names.insert(WriteName(key));
    m.ids.insert(id);
  }
  return m;
}

// The `Message` in field "data" of every hash matching `pattern`, read from Redis directly.
template <class Message>
std::vector<Message> Stored(Stack& stack, const std::string& pattern) {
  absl::StatusOr<std::vector<std::string>> stored = HashFields(stack.store(), pattern, "data");
  EXPECT_TRUE(stored.ok()) << stored.status();
  std::vector<Message> out;
  for (const std::string& bytes : stored.value_or(std::vector<std::string>{})) {
    Message m;
    EXPECT_TRUE(m.ParseFromString(bytes))
        << "undecodable " << Message::descriptor()->full_name() << " under " << pattern;
    out.push_back(std::move(m));
  }
  return out;
}

// The distinct event ids of each `Payload` event on `topic`, by what `id_of` finds in it.
template <class Payload>
std::map<std::string, std::set<std::string>> EventIdsBy(
    const std::vector<events::v1::Envelope>& events,
    const std::function<std::string(const Payload&)>& id_of) {
  std::map<std::string, std::set<std::string>> out;
  const std::string type = Payload::descriptor()->full_name();
  for (const events::v1::Envelope& e : events) {
    if (e.type() != type) continue;
    Payload p;
    EXPECT_TRUE(e.payload().UnpackTo(&p)) << "undecodable " << type << " " << e.event_id();
    out[id_of(p)].insert(e.event_id());
  }
  return out;
}

// Polls the topic until every id of `must` has an event (or `timeout`), then compares: an
// acknowledged write without its event is lost, one with two event ids applied twice.
template <class Payload>
Verdict CheckEvents(Stack& stack, absl::string_view topic, const std::set<std::string>& must,
                    const std::function<std::string(const Payload&)>& id_of, absl::Duration timeout,
                    int64_t* events_read) {
  std::map<std::string, std::set<std::string>> ids;
  testing::WaitUntil(
      [&] {
        std::vector<events::v1::Envelope> events =
            ReadEvents(stack.broker().bootstrap(), std::string(topic));
        *events_read = static_cast<int64_t>(events.size());
        ids = EventIdsBy<Payload>(events, id_of);
        for (const std::string& id : must) {
          if (ids.count(id) == 0) return false;
        }
        return true;
      },
      timeout);
  std::map<std::string, int> applied;
  for (const auto& [id, event_ids] : ids) applied[id] = static_cast<int>(event_ids.size());
  return Compare(must, applied, absl::StrCat(Payload::descriptor()->name(), " event of"));
}

class Buildings : public Workload {
 public:
  std::string target() const override { return "buildings"; }
  std::string write_name() const override { return "CreateBuilding"; }
  std::vector<std::string> services() const override { return {"buildings"}; }

  void SetUp(Stack& stack) override {
    stub_ = bv1::BuildingService::NewStub(stack.Channel("buildings"));
    admin_ = stack.tokens().Make(auth::Role::kDistrictAdmin, "500109", "admin");
    testing::RegisterCommunityBuilding(*stub_, admin_);  // the org units
  }

  Attempt Write(Stack&, const std::string& key) override {
    bv1::CreateBuildingRequest req;
    req.set_request_id(key);
    bv1::Building* b = req.mutable_building();
    b->set_name(WriteName(key));
    b->set_tier_path(kCommunity);
    b->mutable_location()->set_latitude(29.82);
    b->mutable_location()->set_longitude(106.43);
    b->set_use(bv1::BUILDING_USE_RESIDENTIAL);
    b->set_height_m(30);
    b->set_floors_above_ground(10);
    bv1::Building out;
    Attempt a;
    a.status =
        stub_->CreateBuilding(testing::CallContext(admin_, absl::Seconds(5)).get(), req, &out);
    a.id = out.building_id();
    return a;
  }

  Checked Check(Stack& stack, const std::map<std::string, std::string>& acknowledged,
                absl::Duration timeout) override {
    Checked c;
    // The store: each acknowledged building stored (under the id the client got), and no
    // write stored twice (a retried create made a second building).
    const Must must = MustOf(acknowledged);
    std::map<std::string, int> by_name, by_id;
    std::map<std::string, std::vector<std::string>> ids_by_name;  // for the failure message
    for (const bv1::Building& b : Stored<bv1::Building>(stack, "fg:buildings:b:*")) {
      ++by_name[b.name()];
      ++by_id[b.building_id()];
      ids_by_name[b.name()].push_back(
          absl::StrCat(b.building_id(), " created ", b.created_at().seconds(), ".",
                       absl::StrFormat("%09d", b.created_at().nanos())));
    }
    Verdict named = Compare(must.names, by_name, "building named");
    for (const auto& [name, n] : by_name) {
      if (n < 2) continue;
      // Which buildings, when, and what the service logged of them.
      named.examples.push_back(absl::StrCat(name, ": ", absl::StrJoin(ids_by_name[name], ", ")));
      std::vector<std::string> ids;
      for (const std::string& entry : ids_by_name[name])
        ids.push_back(entry.substr(0, entry.find(' ')));
      for (const std::string& line :
           LogLinesMentioning(stack.service("buildings").stderr_path(), ids)) {
        named.examples.push_back("  log: " + line);
      }
    }
    c.Add(named);
    Verdict ids = Compare(must.ids, by_id, "building id");
    ids.duplicated = 0;  // ids are unique keys; counted by name above
    c.Add(ids);
    // The topic: one BuildingRegistered per acknowledged building, one event id each.
    int64_t events = 0;
    c.Add(CheckEvents<bv1::BuildingRegistered>(
        stack, events::kBuildingsTopic, must.ids,
        [](const bv1::BuildingRegistered& e) { return e.building().building_id(); }, timeout,
        &events));
    c.extra.push_back({"buildings stored", absl::StrCat(by_id.size())});
    c.extra.push_back({"events on the topic", absl::StrCat(events)});
    return c;
  }

 private:
  std::unique_ptr<bv1::BuildingService::Stub> stub_;
  std::string admin_;
};

class Hazards : public Workload {
 public:
  std::string target() const override { return "hazards"; }
  std::string write_name() const override { return "ReportHazard"; }
  std::vector<std::string> services() const override { return {"buildings", "hazards"}; }

  void SetUp(Stack& stack) override {
    auto bstub = bv1::BuildingService::NewStub(stack.Channel("buildings"));
    const std::string admin = stack.tokens().Make(auth::Role::kDistrictAdmin, "500109", "admin");
    building_ = testing::RegisterCommunityBuilding(*bstub, admin).building_id();
    stub_ = hv1::HazardService::NewStub(stack.Channel("hazards"));
    worker_ = stack.tokens().Make(auth::Role::kCommunityWorker, kCommunity, "grid-1");
    // The open hazard the writes duplicate, once hazards has learned the building (its event).
    Attempt first;
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          first = Write(stack, "primary");
          return first.status.ok();
        },
        absl::Seconds(60)))
        << first.status.error_message();
    primary_ = first.id;
  }

  Attempt Write(Stack&, const std::string& key) override {
    hv1::ReportHazardRequest req;
    req.set_building_id(building_);
    req.set_category(hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED);
    req.set_severity(hv1::SEVERITY_GENERAL);
    req.set_source(hv1::SOURCE_GRID_INSPECTION);
    req.set_description(WriteName(key));
    req.set_idempotency_key(key);
    hv1::ReportHazardResponse out;
    Attempt a;
    a.status =
        stub_->ReportHazard(testing::CallContext(worker_, absl::Seconds(5)).get(), req, &out);
    a.id = out.hazard().hazard_id();
    return a;
  }

  Checked Check(Stack& stack, const std::map<std::string, std::string>& acknowledged,
                absl::Duration timeout) override {
    Checked c;
    const Must must = MustOf(acknowledged);
    std::map<std::string, int> by_description;
    int linked = 0;    // reports stored as duplicates of the open hazard
    int counted = -1;  // the open hazard's duplicate_reports
    for (const hv1::Hazard& h : Stored<hv1::Hazard>(stack, "fg:hazards:h:*")) {
      ++by_description[h.description()];
      if (h.duplicate_of() == primary_) ++linked;
      if (h.hazard_id() == primary_) counted = h.duplicate_reports();
    }
    c.Add(Compare(must.names, by_description, "report"));
    // Each duplicate report counted on the open hazard exactly once: a count above the linked
    // reports is a report applied twice, below it one whose count was lost.
    Verdict count;
    if (counted > linked) {
      count.duplicated = counted - linked;
    } else if (counted < linked) {
      count.lost = linked - counted;
    }
    if (counted != linked) {
      count.examples.push_back(absl::StrCat("the open hazard counts ", counted,
                                            " duplicate reports; ", linked, " are linked to it"));
    }
    c.Add(count);
    int64_t events = 0;
    c.Add(CheckEvents<hv1::HazardReported>(
        stack, events::kHazardsTopic, must.ids,
        [](const hv1::HazardReported& e) { return e.hazard().hazard_id(); }, timeout, &events));
    c.extra.push_back({"reports stored", absl::StrCat(by_description.size())});
    c.extra.push_back({"duplicate reports counted", absl::StrCat(counted)});
    c.extra.push_back({"events on the topic", absl::StrCat(events)});
    return c;
  }

 private:
  std::unique_ptr<hv1::HazardService::Stub> stub_;
  std::string worker_;
  std::string building_;
  std::string primary_;
};

class Credit : public Workload {
 public:
  std::string target() const override { return "credit"; }
  std::string write_name() const override { return "RecordManual"; }
  std::vector<std::string> services() const override { return {"buildings", "credit"}; }

  void SetUp(Stack& stack) override {
    auto bstub = bv1::BuildingService::NewStub(stack.Channel("buildings"));
    admin_subject_ = "admin";
    admin_ = stack.tokens().Make(auth::Role::kDistrictAdmin, "500109", admin_subject_);
    const std::string building = testing::RegisterCommunityBuilding(*bstub, admin_).building_id();
    stub_ = cv1::CreditService::NewStub(stack.Channel("credit"));
    cv1::RegisterSubjectRequest reg;
    reg.mutable_party()->set_role(subjects::v1::PARTY_ROLE_MAINTENANCE_AGENCY);
    reg.mutable_party()->set_name("某消防技术服务有限公司");
    reg.mutable_party()->set_credit_code("91110000600037341L");  // a valid GB 32100 code
    reg.set_building_id(building);
    cv1::Subject subject;
    grpc::Status s;
    // Once credit has learned the building (its event).
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          s = stub_->RegisterSubject(testing::CallContext(admin_).get(), reg, &subject);
          return s.ok();
        },
        absl::Seconds(60)))
        << s.error_message();
    subject_ = subject.subject_id();
  }

  // Five drills (+2) and a blocked fire lane (−10) in every six writes of a thread: the score
  // wanders around its start instead of sticking at the top (where a record changes nothing and
  // is not published).
  Attempt Write(Stack&, const std::string& key) override {
    const bool violation = std::stoi(key.substr(key.find('-') + 1)) % 6 == 5;
    cv1::RecordManualRequest req;
    req.set_subject_id(subject_);
    req.set_rule_id(violation ? "violation.fire_lane_blocked" : "credit.drill");
    req.set_reason(WriteName(key));
    req.set_legal_basis(violation ? "《消防法》第六十条"
                                  : "《机关、团体、企业、事业单位消防安全管理规定》第四十条");
    req.set_request_id(key);
    cv1::LedgerRecord out;
    Attempt a;
    a.status =
        stub_->RecordManual(testing::CallContext(admin_, absl::Seconds(10)).get(), req, &out);
    a.id = out.record_id();
    return a;
  }

  Checked Check(Stack& stack, const std::map<std::string, std::string>& acknowledged,
                absl::Duration timeout) override {
    Checked c;
    std::set<std::string> must_facts, must_records;
    for (const auto& [key, id] : acknowledged) {
      must_facts.insert(absl::StrCat(admin_subject_, ":", key));  // the fact id of a request
      must_records.insert(id);
    }
    redis::Pool& store = stack.store();
    // The history: each acknowledged request one fact in the facts stream.
    std::map<std::string, int> facts;
    absl::StatusOr<redis::Reply> r = store.Command({"XRANGE", "fg:credit:facts", "-", "+"});
    EXPECT_TRUE(r.ok()) << r.status();
    int64_t stream_entries = 0;
    for (const redis::Reply& entry : r.ok() ? r->elements : std::vector<redis::Reply>{}) {
      ++stream_entries;
      const std::vector<redis::Reply>& fields = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str != "fact") continue;
        cv1::Fact f;
        EXPECT_TRUE(f.ParseFromString(fields[i + 1].str));
        if (f.has_manual()) ++facts[f.fact_id()];
      }
    }
    c.Add(Compare(must_facts, facts, "fact"));
    // The served state: each fact applied once — one ledger record per manual fact — and the
    // record the client got among them.
    absl::StatusOr<redis::Reply> serving = store.Command({"GET", "fg:credit:serving"});
    EXPECT_TRUE(serving.ok() && !serving->IsNil()) << "no serving rule-set version";
    const std::string version = serving.ok() ? serving->str : "";
    absl::StatusOr<redis::Reply> ledger = store.Command(
        {"LRANGE", absl::StrCat("fg:credit:g:", version, ":ledger:", subject_), "0", "-1"});
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    std::map<std::string, int> by_fact, by_record;
    std::set<std::string> changed;  // records that moved the score: each must be published
    for (const redis::Reply& bytes : ledger.ok() ? ledger->elements : std::vector<redis::Reply>{}) {
      cv1::LedgerRecord rec;
      EXPECT_TRUE(rec.ParseFromString(bytes.str));
      if (rec.cause().kind() != "manual") continue;
      ++by_fact[rec.cause().fact_id()];
      ++by_record[rec.record_id()];
      if (rec.delta() != 0) changed.insert(rec.record_id());
    }
    c.Add(Compare(must_facts, by_fact, "ledger record of fact"));
    Verdict records = Compare(must_records, by_record, "ledger record");
    records.duplicated = 0;  // record ids are unique by construction; counted by fact above
    c.Add(records);
    int64_t events = 0;
    c.Add(CheckEvents<cv1::ScoreChanged>(
        stack, events::kCreditTopic, changed,
        [](const cv1::ScoreChanged& e) { return e.record().record_id(); }, timeout, &events));
    c.extra.push_back({"facts in the history", absl::StrCat(stream_entries)});
    c.extra.push_back({"manual ledger records", absl::StrCat(by_record.size())});
    c.extra.push_back({"records that moved the score", absl::StrCat(changed.size())});
    c.extra.push_back({"events on the topic", absl::StrCat(events)});
    return c;
  }

 private:
  std::unique_ptr<cv1::CreditService::Stub> stub_;
  std::string admin_, admin_subject_, subject_;
};

class Notify : public Workload {
 public:
  std::string target() const override { return "notify"; }
  std::string write_name() const override { return "PushEvent"; }
  std::vector<std::string> services() const override { return {"notify"}; }

  void SetUp(Stack& stack) override {
    stub_ = nv1::NotifyService::NewStub(stack.Channel("notify"));
    service_ = stack.tokens().Make(auth::Role::kInternalService, "", "service:monitoring");
    // The duty staff of the micro fire station, watching its live stream through the restarts.
    auth::Principal duty;
    duty.role = auth::Role::kMicroStation;
    duty.tier_path = "500109001";
    duty.subject = "duty-1";
    duty.org_unit = kStation;
    subscriber_ =
        std::make_unique<ResumingSubscriber>(stack.Channel("notify"), stack.tokens().Make(duty));
  }

  Attempt Write(Stack&, const std::string& key) override {
    nv1::PushEventRequest req;
    req.set_envelope(events::SerializeEnvelope(FireAlarm(key)));
    nv1::PushEventResponse out;
    Attempt a;
    a.status = stub_->PushEvent(testing::CallContext(service_, absl::Seconds(5)).get(), req, &out);
    a.id = AlarmId(key);
    return a;
  }

  Checked Check(Stack& stack, const std::map<std::string, std::string>& acknowledged,
                absl::Duration timeout) override {
    Checked c;
    // Monitoring also publishes every alarm on its topic (at least once): the copies of the
    // acknowledged pushes must add nothing. A last alarm, on the topic only and in the same
    // partition (one building), tells when notify has consumed them all.
    std::vector<events::Message> copies;
    for (const auto& [key, id] : acknowledged) copies.push_back(OnTopic(FireAlarm(key)));
    copies.push_back(OnTopic(FireAlarm("last")));
    auto producer =
        events::KafkaProducer::Create({.bootstrap_servers = stack.broker().bootstrap()});
    EXPECT_TRUE(producer.ok()) << producer.status();
    if (producer.ok()) {
      for (const absl::Status& sent : (*producer)->SendBatch(copies, absl::Seconds(60))) {
        EXPECT_TRUE(sent.ok()) << sent;
      }
    }
    std::set<std::string> must;
    for (const auto& [key, id] : acknowledged) must.insert(id);
    must.insert(AlarmId("last"));
    std::map<std::string, std::map<std::string, int>> stored;  // recipient → alarm → count
    int64_t notifications = 0;
    const bool consumed = testing::WaitUntil(
        [&] {
          stored.clear();
          notifications = 0;
          for (const std::string& recipient : Recipients()) {
            absl::StatusOr<redis::Reply> r =
                stack.store().Command({"XRANGE", "fg:notify:inbox:" + recipient, "-", "+"});
            if (!r.ok()) return false;
            for (const redis::Reply& entry : r->elements) {
              const std::vector<redis::Reply>& fields = entry.elements[1].elements;
              for (size_t i = 0; i + 1 < fields.size(); i += 2) {
                if (fields[i].str != "n") continue;
                nv1::Notification n;
                EXPECT_TRUE(n.ParseFromString(fields[i + 1].str));
                if (n.kind() != nv1::KIND_FIRE_ALARM || !n.renotified_from().empty()) continue;
                ++stored[recipient][n.alarm_id()];
                ++notifications;
              }
            }
          }
          for (const std::string& recipient : Recipients()) {
            if (stored[recipient].count(AlarmId("last")) == 0) return false;
          }
          return true;
        },
        timeout);
    EXPECT_TRUE(consumed) << "notify did not consume the topic's copies";
    // Every acknowledged alarm stored once in each recipient's inbox.
    for (const std::string& recipient : Recipients()) {
      c.Add(Compare(must, stored[recipient], "fire alarm in " + recipient + " of"));
    }
    // The station's stream: every acknowledged alarm pushed to it, across the restarts, once
    // its repeats (a resubscription replays after the last cursor seen) are dropped by cursor.
    std::map<std::string, int> streamed;
    const bool all_streamed = testing::WaitUntil(
        [&] {
          streamed.clear();
          for (const nv1::Notification& n : subscriber_->Seen()) {
            if (n.kind() == nv1::KIND_FIRE_ALARM && n.renotified_from().empty()) {
              ++streamed[n.alarm_id()];
            }
          }
          for (const std::string& id : must) {
            if (streamed.count(id) == 0) return false;
          }
          return true;
        },
        timeout);
    EXPECT_TRUE(all_streamed) << "the station's stream did not get every alarm";
    c.Add(Compare(must, streamed, "fire alarm on the station's stream of"));
    c.extra.push_back({"recipients per alarm", absl::StrCat(Recipients().size())});
    c.extra.push_back({"stream repeats dropped by cursor", absl::StrCat(subscriber_->repeats())});
    c.extra.push_back({"resubscriptions", absl::StrCat(subscriber_->resubscribed())});
    c.extra.push_back({"notifications stored", absl::StrCat(notifications)});
    c.extra.push_back({"copies on the topic", absl::StrCat(copies.size())});
    return c;
  }

 private:
  static std::string AlarmId(const std::string& key) { return "alm_fault_" + key; }
  static std::vector<std::string> Recipients() {
    return {std::string("org:") + kStation, std::string("org:") + kCommunity,
            "org:500109.fire_rescue"};
  }

  // The AlarmRaised of write `key`, as monitoring hands it over: the same event id for every
  // retry of the write.
  events::Envelope FireAlarm(const std::string& key) {
    mv1::AlarmRaised e;
    mv1::Alarm* a = e.mutable_alarm();
    a->set_alarm_id(AlarmId(key));
    a->set_device_id("dev-panel-fault");
    a->set_type(mv1::ALARM_TYPE_FIRE);
    a->set_building_id("bld_fault01");
    a->set_building_name("朝阳大厦");
    a->set_tier_path(kCommunity);
    a->set_floor("12");
    a->set_point("1-012-034");
    mv1::StationRef* s = e.mutable_dispatch()->add_stations();
    s->set_station_id(kStation);
    s->set_name("朝阳社区微型消防站");
    s->set_phone("023-68000119");
    s->set_distance_m(320);
    for (const std::string& r : Recipients()) e.mutable_dispatch()->add_recipients(r);
    e.mutable_dispatch()->set_building_address("北碚区朝阳路 1 号");
    events::Envelope env =
        events::NewEnvelope(e, "monitoring", "bld_fault01", kCommunity, absl::Now(), ids_);
    env.set_event_id("evt_fault_" + key);
    return env;
  }

  static events::Message OnTopic(const events::Envelope& env) {
    return {std::string(events::kMonitoringTopic), env.building_id(),
            events::SerializeEnvelope(env)};
  }

  static constexpr char kStation[] = "mfs_fault01";

  std::unique_ptr<nv1::NotifyService::Stub> stub_;
  std::string service_;
  std::unique_ptr<ResumingSubscriber> subscriber_;
  RandomIdGenerator ids_;
};

class Monitoring : public Workload {
 public:
  std::string target() const override { return "monitoring"; }
  std::string write_name() const override { return "RegisterDevice"; }
  std::vector<std::string> services() const override { return {"buildings", "monitoring"}; }

  void SetUp(Stack& stack) override {
    auto bstub = bv1::BuildingService::NewStub(stack.Channel("buildings"));
    admin_ = stack.tokens().Make(auth::Role::kDistrictAdmin, "500109", "admin");
    building_ = testing::RegisterCommunityBuilding(*bstub, admin_).building_id();
    stub_ = mv1::MonitoringService::NewStub(stack.Channel("monitoring"));
    // The first device once monitoring has learned the building (its event).
    Attempt first;
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          first = Write(stack, "first");
          return first.status.ok();
        },
        absl::Seconds(60)))
        << first.status.error_message();
  }

  Attempt Write(Stack&, const std::string& key) override {
    mv1::RegisterDeviceRequest req;
    mv1::Device* d = req.mutable_device();
    d->set_device_id(DeviceId(key));
    d->set_type(mv1::DEVICE_TYPE_SMOKE_DETECTOR);
    d->set_model("JTY-GD-G3");
    d->set_building_id(building_);
    d->set_floor("12");
    d->set_point(WriteName(key));
    d->set_status(mv1::DEVICE_STATUS_IN_SERVICE);
    mv1::Device out;
    Attempt a;
    a.status =
        stub_->RegisterDevice(testing::CallContext(admin_, absl::Seconds(5)).get(), req, &out);
    // The device id is the write's key: ALREADY_EXISTS answers a retry whose first call was
    // applied (its answer lost in the crash), and the client takes it as done.
    if (a.status.error_code() == grpc::StatusCode::ALREADY_EXISTS) a.status = grpc::Status::OK;
    a.id = DeviceId(key);
    return a;
  }

  Checked Check(Stack& stack, const std::map<std::string, std::string>& acknowledged,
                absl::Duration timeout) override {
    Checked c;
    const Must must = MustOf(acknowledged);
    std::map<std::string, int> by_id;
    for (const mv1::Device& d : Stored<mv1::Device>(stack, "fg:monitoring:dev:*")) {
      ++by_id[d.device_id()];
    }
    c.Add(Compare(must.ids, by_id, "device"));
    int64_t events = 0;
    c.Add(CheckEvents<mv1::DeviceRegistered>(
        stack, events::kMonitoringTopic, must.ids,
        [](const mv1::DeviceRegistered& e) { return e.device().device_id(); }, timeout, &events));
    c.extra.push_back({"devices stored", absl::StrCat(by_id.size())});
    c.extra.push_back({"events on the topic", absl::StrCat(events)});
    return c;
  }

 private:
  static std::string DeviceId(const std::string& key) { return "fault-" + key; }

  std::unique_ptr<mv1::MonitoringService::Stub> stub_;
  std::string admin_;
  std::string building_;
};

class Gateway : public Buildings {
 public:
  std::string target() const override { return "gateway"; }
  std::string write_name() const override { return "CreateBuilding (JSON API)"; }
  std::vector<std::string> services() const override { return {"buildings", "gateway"}; }

  std::vector<std::string> Flags(const std::string& name, Stack& stack) override {
    if (name != "gateway") return {};
    // A fixed HTTP port, so that the restarted gateway is found where the clients call it.
    http_port_ = testing::FreeTcpPort();
    return {"--http-address=127.0.0.1", absl::StrCat("--http-port=", http_port_),
            "--evidence-dir=" + stack.dir() + "/evidence",
            "--buildings-addr=" + stack.service("buildings").grpc_address()};
  }

  void SetUp(Stack& stack) override {
    Buildings::SetUp(stack);
    admin_token_ = stack.tokens().Make(auth::Role::kDistrictAdmin, "500109", "admin");
  }

  Attempt Write(Stack&, const std::string& key) override {
    nlohmann::json building = {{"name", WriteName(key)},
                               {"tierPath", kCommunity},
                               {"location", {{"latitude", 29.82}, {"longitude", 106.43}}},
                               {"use", "BUILDING_USE_RESIDENTIAL"},
                               {"heightM", 30},
                               {"floorsAboveGround", 10}};
    httplib::Client client("127.0.0.1", http_port_);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(5, 0);
    auto r = client.Post("/api/v1/firegrid.buildings.v1.BuildingService/CreateBuilding",
                         {{"Authorization", "Bearer " + admin_token_}},
                         nlohmann::json({{"building", building}, {"requestId", key}}).dump(),
                         "application/json");
    Attempt a;
    if (!r) {  // the gateway is down: as UNAVAILABLE, retried
      a.status =
          grpc::Status(grpc::StatusCode::UNAVAILABLE, "HTTP: " + httplib::to_string(r.error()));
    } else if (r->status == 200) {
      a.id = nlohmann::json::parse(r->body, nullptr, false).value("buildingId", "");
      if (a.id.empty()) a.status = grpc::Status(grpc::StatusCode::INTERNAL, "no buildingId");
    } else if (r->status == 502 || r->status == 503) {
      a.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, absl::StrCat("HTTP ", r->status));
    } else if (r->status == 504) {
      a.status =
          grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, absl::StrCat("HTTP ", r->status));
    } else {
      a.status =
          grpc::Status(grpc::StatusCode::UNKNOWN, absl::StrCat("HTTP ", r->status, ": ", r->body));
    }
    return a;
  }

 private:
  int http_port_ = 0;
  std::string admin_token_;
};

}  // namespace

void Checked::Add(const Verdict& v) {
  lost += v.lost;
  duplicated += v.duplicated;
  examples.insert(examples.end(), v.examples.begin(), v.examples.end());
}

void CheckAndReport(Workload& workload, Stack& stack, const Load& load,
                    const std::string& experiment, int cycles, absl::Duration recovery_max,
                    const std::vector<std::pair<std::string, std::string>>& extra) {
  Checked checked = workload.Check(stack, load.Acknowledged(), absl::Seconds(90));
  Figures figures{.experiment = experiment,
                  .cycles = cycles,
                  .writes = load.writes(),
                  .acknowledged = load.acknowledged(),
                  .lost = checked.lost,
                  .duplicated = checked.duplicated,
                  .recovery_max = recovery_max,
                  .extra = checked.extra};
  figures.extra.insert(figures.extra.end(), extra.begin(), extra.end());
  figures.extra.push_back({"writes given up", absl::StrCat(load.writes() - load.acknowledged())});
  Report(figures);
  std::vector<std::string> failures;
  for (const auto& [what, n] : load.Failures()) failures.push_back(absl::StrCat(n, " × ", what));
  if (checked.lost > 0 || checked.duplicated > 0) {
    // What the clients saw of the writes they retried (a write applied twice is among them).
    for (const auto& [key, attempts] : load.Retried()) {
      checked.examples.push_back(
          absl::StrCat("retried ", key, ": ", absl::StrJoin(attempts, " | ")));
    }
  }
  EXPECT_EQ(checked.lost, 0) << absl::StrJoin(checked.examples, "\n");
  EXPECT_EQ(checked.duplicated, 0) << absl::StrJoin(checked.examples, "\n");
  EXPECT_TRUE(failures.empty()) << "writes failed for good:\n" << absl::StrJoin(failures, "\n");
}

std::unique_ptr<Workload> BuildingsWorkload() { return std::make_unique<Buildings>(); }
std::unique_ptr<Workload> HazardsWorkload() { return std::make_unique<Hazards>(); }
std::unique_ptr<Workload> CreditWorkload() { return std::make_unique<Credit>(); }
std::unique_ptr<Workload> NotifyWorkload() { return std::make_unique<Notify>(); }
std::unique_ptr<Workload> MonitoringWorkload() { return std::make_unique<Monitoring>(); }
std::unique_ptr<Workload> GatewayWorkload() { return std::make_unique<Gateway>(); }

}  // namespace firegrid::faults
