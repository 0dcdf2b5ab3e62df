#include "bench/city_dataset.h"

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/time_util.h"
#include "libs/common/status.h"
#include "services/buildings/classify.h"
#include "services/buildings/fire_access.h"
#include "services/hazards/projection.h"
#include "services/hazards/routing.h"
#include "tools/loaders/beibei.h"

namespace firegrid::bench {
namespace {

namespace bv1 = ::firegrid::buildings::v1;
namespace hv1 = ::firegrid::hazards::v1;
using google::protobuf::util::TimeUtil;

// A small, fast generator seeded per object, so that an object's draws do not depend on which
// thread writes it (SplitMix64).
struct SplitMix {
  uint64_t state;
  uint64_t operator()() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

// Runs `write(first, last)` over [0, n) in chunks of `batch` on `writers` threads; the first
// error stops the others. Reports progress every ~10 %.
absl::Status InParallel(const CityOptions& o, const std::string& what, int n,
                        const std::function<absl::Status(int, int)>& write) {
  std::atomic<int> next{0};
  std::atomic<int> done{0};
  absl::Mutex mu;
  absl::Status first_error;
  std::atomic<int> reported{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < o.writers; ++t) {
    threads.emplace_back([&] {
      while (true) {
        const int first = next.fetch_add(o.batch);
        if (first >= n) return;
        const int last = std::min(n, first + o.batch);
        absl::Status s = write(first, last);
        if (!s.ok()) {
          absl::MutexLock lock(&mu);
          if (first_error.ok()) first_error = s;
          next = n;
          return;
        }
        const int total = done.fetch_add(last - first) + (last - first);
        const int decile = static_cast<int>(10LL * total / n);
        int seen = reported.load();
        if (decile > seen && reported.compare_exchange_strong(seen, decile) && o.progress) {
          const double secs = absl::ToDoubleSeconds(absl::Now() - start);
          o.progress(absl::StrFormat("%s: %d of %d (%.0f/s)", what, total, n,
                                     secs > 0 ? total / secs : 0.0));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return first_error;
}

// The stored form of a planned building, as the registry would store it after its create and
// its responsibility steps: id, times, derived class and fire access, the last chain and its
// filing — changed some time in the last 60 days and filed on time, late or not yet.
bv1::Building StoredBuilding(const loaders::PlannedBuilding& plan, int index,
                             const buildings::Rules& rules, absl::Time now, std::mt19937_64& rng) {
  bv1::Building b = plan.building;
  b.set_building_id(absl::StrFormat("bld_city%06d", index));
  const absl::Time created = now - absl::Hours(24 * (60 + static_cast<int>(rng() % 300)));
  *b.mutable_created_at() = Ts(created);
  for (const auto& f : plan.facilities) *b.add_facilities() = f;
  for (const auto& l : plan.fire_lanes) *b.add_fire_lanes() = l;
  for (const auto& s : plan.rescue_sites) *b.add_rescue_sites() = s;
  if (!plan.chain_steps.empty()) {
    const loaders::ChainStep& last = plan.chain_steps.back();
    auto* r = b.mutable_responsibility();
    *r->mutable_chain() = last.chain;
    const absl::Time changed = now - absl::Minutes(static_cast<int64_t>(rng() % (60 * 24 * 60)));
    *r->mutable_changed_at() = Ts(changed);
    if (last.filing_sequence.has_value()) {
      // Filed within 0–12 days of the change (the period is 5 working days): on time or late.
      absl::Time filed = changed + absl::Minutes(static_cast<int64_t>(rng() % (60 * 24 * 12)));
      if (filed > now) filed = now;
      r->mutable_filing()->set_document_number(
          absl::StrCat("北碚消备字〔2026〕", *last.filing_sequence, "号"));
      *r->mutable_filing()->mutable_filed_at() = Ts(filed);
      r->mutable_filing()->set_filed_with(b.tier_path().substr(0, 9));
    }
  }
  b.set_building_class(buildings::DeriveClass(b, rules));
  const bv1::FireAccessAssessment a = buildings::AssessFireAccess(b, rules, now);
  b.set_fire_access_compliant(a.compliant());
  b.set_fire_access_violations(a.violations_size());
  b.set_version(1 + static_cast<int64_t>(plan.chain_steps.size()));
  *b.mutable_updated_at() = Ts(now - absl::Hours(static_cast<int64_t>(rng() % 24)));
  return b;
}

const std::vector<hv1::HazardCategory>& Categories() {
  static const auto* kCategories = [] {
    auto* v = new std::vector<hv1::HazardCategory>;
    for (int c = 1; hv1::HazardCategory_IsValid(c); ++c) {
      v->push_back(static_cast<hv1::HazardCategory>(c));
    }
    return v;
  }();
  return *kCategories;
}

void Audit(hv1::Hazard* h, absl::Time at, const std::string& actor, const std::string& role,
           const std::string& action, hv1::Status from, hv1::Status to, const std::string& note) {
  auto* e = h->add_audit();
  *e->mutable_at() = Ts(at);
  e->set_actor(actor);
  e->set_role(role);
  e->set_action(action);
  e->set_from(from);
  e->set_to(to);
  e->set_note(note);
}

const char* const kDescriptions[] = {
    "消防车道被私家车占用，影响消防车通行",
    "楼道堆放杂物，疏散通道不畅",
    "室内消火栓箱内水带缺失",
    "电动自行车在楼道内充电",
    "安全出口指示灯损坏",
    "防火门常开，闭门器损坏",
    "消防控制室无人值班",
    "燃气管道老化有异味",
};

}  // namespace

absl::Status LoadCityBuildings(const CityOptions& o, buildings::Registry& registry,
                               buildings::RedisStore& store, CityCounts* counts) {
  if (o.progress)
    o.progress(absl::StrCat("generating ", o.buildings, " buildings (Beibei sample)"));
  const loaders::DemoDataset d = loaders::GenerateBeibei(o.seed, o.buildings);
  auth::Principal admin;
  admin.role = auth::Role::kDistrictAdmin;
  admin.tier_path = loaders::kBeibeiCode;
  admin.subject = "city-loader";
  for (const bv1::OrgUnit& u : d.org_units) {
    bv1::UpsertOrgUnitRequest req;
    *req.mutable_org_unit() = u;
    FG_RETURN_IF_ERROR(registry.UpsertOrgUnit(admin, req).status());
    ++counts->org_units;
    if (u.kind() == bv1::ORG_UNIT_KIND_STREET || u.kind() == bv1::ORG_UNIT_KIND_TOWN) {
      counts->streets.push_back(u.code());
    }
    if (u.kind() == bv1::ORG_UNIT_KIND_COMMUNITY || u.kind() == bv1::ORG_UNIT_KIND_VILLAGE) {
      counts->communities.push_back(u.code());
    }
  }
  const buildings::Rules rules = buildings::DefaultRules();
  FG_RETURN_IF_ERROR(
      InParallel(o, "buildings", static_cast<int>(d.buildings.size()), [&](int first, int last) {
        std::mt19937_64 rng(o.seed * 1000003 + first);
        std::vector<bv1::Building> batch;
        for (int i = first; i < last; ++i) {
          batch.push_back(StoredBuilding(d.buildings[i], i, rules, o.now, rng));
        }
        return store.CreateBuildings(batch, {}, {});
      }));
  counts->buildings = static_cast<int>(d.buildings.size());
  return absl::OkStatus();
}

absl::Status LoadCityHazards(const CityOptions& o, buildings::RedisStore& buildings_store,
                             const hazards::Rules& rules, hazards::HazardStore& store,
                             CityCounts* counts) {
  // The buildings as stored, and their projection in the hazards service.
  std::vector<hazards::BuildingView> views;
  std::string cursor;
  do {
    FG_ASSIGN_OR_RETURN(buildings::BuildingPage page,
                        buildings_store.ScanBuildings("", cursor, 1000));
    for (const auto& b : page.buildings) views.push_back(hazards::ViewOf(b));
    cursor = page.next_cursor;
  } while (!cursor.empty());
  if (views.empty()) return absl::FailedPreconditionError("no buildings to report hazards of");
  FG_RETURN_IF_ERROR(InParallel(
      o, "hazards' building projection", static_cast<int>(views.size()), [&](int first, int last) {
        for (int i = first; i < last; ++i) {
          FG_RETURN_IF_ERROR(store.PutBuilding(views[i], absl::StrCat("city-load-", i)));
        }
        return absl::OkStatus();
      }));

  // The plan of every hazard, drawn in order so that the same seed always gives the same
  // data: its building, category and state. At most one open hazard per (building, category),
  // as the service keeps it: a later open report of a pair is either its duplicate or, when
  // the draw says so, a hazard closed since.
  struct Plan {
    int building = 0;
    hv1::HazardCategory category = hv1::HAZARD_CATEGORY_UNSPECIFIED;
    hv1::Status status = hv1::STATUS_UNSPECIFIED;
    int duplicate_of = -1;  // the open hazard it repeats
  };
  std::vector<Plan> plans(o.hazards);
  {
    std::map<std::pair<int, int>, int> open_pairs;  // → the open hazard's index
    for (int i = 0; i < o.hazards; ++i) {
      SplitMix rng{o.seed * 7919 + static_cast<uint64_t>(i)};
      Plan& p = plans[i];
      // Buildings draw hazards unevenly: a quarter of the reports go to a tenth of them.
      p.building =
          static_cast<int>(rng() % 4 == 0 ? rng() % (views.size() / 10 + 1) : rng() % views.size());
      p.category = Categories()[rng() % Categories().size()];
      const int roll = static_cast<int>(rng() % 100);
      p.status = roll < 70   ? hv1::STATUS_CLOSED
                 : roll < 75 ? hv1::STATUS_REJECTED
                 : roll < 80 ? hv1::STATUS_REPORTED
                 : roll < 83 ? hv1::STATUS_VERIFIED
                 : roll < 89 ? hv1::STATUS_ASSIGNED
                 : roll < 96 ? hv1::STATUS_RECTIFYING
                             : hv1::STATUS_SUBMITTED;
      if (p.status == hv1::STATUS_CLOSED || p.status == hv1::STATUS_REJECTED) continue;
      auto [it, inserted] = open_pairs.try_emplace({p.building, static_cast<int>(p.category)}, i);
      if (inserted) continue;
      if (rng() % 2 == 0) {
        p.duplicate_of = it->second;
        p.status = hv1::STATUS_REPORTED;
      } else {
        p.status = hv1::STATUS_CLOSED;
      }
    }
  }
  std::atomic<int> open_count{0}, duplicates{0};
  FG_RETURN_IF_ERROR(InParallel(o, "hazards", o.hazards, [&](int first, int last) {
    hazards::HazardStore::Write w = store.NewWrite();
    for (int i = first; i < last; ++i) {
      const Plan& p = plans[i];
      SplitMix rng{(o.seed * 7919 + static_cast<uint64_t>(i)) ^ 0x5bd1e995u};
      const hazards::BuildingView& v = views[p.building];
      const hv1::HazardCategory cat = p.category;
      hv1::Hazard h;
      h.set_hazard_id(absl::StrFormat("hzd_city%08d", i));
      hazards::AttachBuilding(rules, v, cat, &h);
      h.set_category(cat);
      h.set_severity(rng() % 20 == 0 ? hv1::SEVERITY_MAJOR : hv1::SEVERITY_GENERAL);
      h.set_source(rng() % 3 == 0 ? hv1::SOURCE_PUBLIC_TIP_OFF : hv1::SOURCE_GRID_INSPECTION);
      h.set_description(kDescriptions[rng() % std::size(kDescriptions)]);
      h.add_evidence()->set_uri(absl::StrFormat("sha256:%064x", rng()));
      h.mutable_reporter()->set_name("网格员");
      h.mutable_reporter()->set_subject(absl::StrCat("grid-", v.tier_path));
      // Reported over the last year; most are closed by now.
      const absl::Time reported =
          o.now - absl::Minutes(static_cast<int64_t>(rng() % (365 * 24 * 60)));
      *h.mutable_reported_at() = Ts(reported);
      Audit(&h, reported, "grid", "community_worker", "report", hv1::STATUS_UNSPECIFIED,
            hv1::STATUS_REPORTED, "");
      hv1::Status status = p.status;
      const bool duplicate = p.duplicate_of >= 0;
      const bool open = status != hv1::STATUS_CLOSED && status != hv1::STATUS_REJECTED;
      const std::string lead =
          h.routing().lead_departments().empty() ? "" : h.routing().lead_departments(0);
      absl::Time t = reported + absl::Hours(2);
      if (duplicate) {
        h.set_duplicate_of(absl::StrFormat("hzd_city%08d", p.duplicate_of));
        ++duplicates;
      } else if (status == hv1::STATUS_REJECTED) {
        h.set_rejection_reason("经核实不属实");
        Audit(&h, t, "dept", "department_officer", "reject", hv1::STATUS_REPORTED, status,
              h.rejection_reason());
      } else if (status != hv1::STATUS_REPORTED) {
        Audit(&h, t, "dept", "department_officer", "verify", hv1::STATUS_REPORTED,
              hv1::STATUS_VERIFIED, "");
        if (status != hv1::STATUS_VERIFIED) {
          t += absl::Hours(4);
          auto* a = h.mutable_assignment();
          a->set_responsible_party("物业服务中心");
          a->set_supervising_department(lead);
          // Deadlines 3–30 days after assignment: open ones may be overdue by now.
          const absl::Time deadline = t + absl::Hours(24 * (3 + static_cast<int>(rng() % 28)));
          *a->mutable_deadline() = Ts(deadline);
          Audit(&h, t, "street", "street_officer", "assign", hv1::STATUS_VERIFIED,
                hv1::STATUS_ASSIGNED, "");
          if (status == hv1::STATUS_RECTIFYING || status == hv1::STATUS_SUBMITTED ||
              status == hv1::STATUS_CLOSED) {
            t += absl::Hours(24);
            Audit(&h, t, "mgr", "building_manager", "start", hv1::STATUS_ASSIGNED,
                  hv1::STATUS_RECTIFYING, "");
          }
          if (status == hv1::STATUS_SUBMITTED || status == hv1::STATUS_CLOSED) {
            t += absl::Hours(24 * (1 + static_cast<int>(rng() % 20)));
            h.add_rectification_evidence()->set_uri(absl::StrFormat("sha256:%064x", rng()));
            Audit(&h, t, "mgr", "building_manager", "submit", hv1::STATUS_RECTIFYING,
                  hv1::STATUS_SUBMITTED, "");
          }
          if (status == hv1::STATUS_CLOSED) {
            t += absl::Hours(24);
            if (t > o.now) t = o.now;
            *h.mutable_closed_at() = Ts(t);
            h.set_closed_on_time(t <= deadline);
            Audit(&h, t, "dept", "department_officer", "review_pass", hv1::STATUS_SUBMITTED,
                  hv1::STATUS_CLOSED, "");
          }
          if (open && deadline < o.now) h.set_overdue(true);
        }
      }
      h.set_status(status);
      h.set_version(h.audit_size());
      *h.mutable_updated_at() = Ts(std::min(t, o.now));
      w.Create(h);
      if (status != hv1::STATUS_CLOSED && status != hv1::STATUS_REJECTED && !duplicate) {
        w.ClaimOpen(h.building_id(), static_cast<int>(cat), h.hazard_id());
        ++open_count;
      }
    }
    return w.Commit();
  }));
  counts->hazards = o.hazards;
  counts->open_hazards = open_count;
  counts->duplicates = duplicates;
  return absl::OkStatus();
}

}  // namespace firegrid::bench
