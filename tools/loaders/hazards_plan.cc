#include "tools/loaders/hazards_plan.h"

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"

namespace firegrid::loaders {
namespace {

using Category = hv1::HazardCategory;

struct Slot {
  HazardGoal goal;
  HazardReporter reporter;
  // Zero: the category rotation picks one.
  Category category = hv1::HAZARD_CATEGORY_UNSPECIFIED;
  hv1::Source source = hv1::SOURCE_UNSPECIFIED;  // zero: from the reporter
  hv1::Severity severity = hv1::SEVERITY_GENERAL;
  bool named_tip_off = false;
  bool anonymous_tip_off = false;
};

using G = HazardGoal;
using R = HazardReporter;

// The states the demo shows, in report order.
const std::vector<Slot>& Slots() {
  static const auto* kSlots = new std::vector<Slot>{
      {G::kClosed, R::kGridWorker},
      {G::kReported, R::kGridWorker},
      {G::kAssigned, R::kGridWorker},
      {G::kRectifying, R::kGridWorker},
      {G::kVerified, R::kGridWorker},
      {G::kSubmitted, R::kStreetOfficer},
      {G::kClosed, R::kFireInspector},
      {G::kReported, R::kGridWorker},
      {G::kClosedAfterRework, R::kGridWorker},
      {G::kAssigned, R::kStreetOfficer},
      {G::kRectifying, R::kGridWorker},
      {G::kReported, R::kGridWorker},
      {G::kVerified, R::kFireInspector},
      {G::kClosed, R::kGridWorker},
      {G::kSubmitted, R::kGridWorker},
      {G::kReworking, R::kGridWorker},
      {G::kReported, R::kStreetOfficer},
      {G::kAssigned, R::kGridWorker},
      {G::kClosed, R::kGridWorker},
      {G::kRectifying, R::kFireInspector},
      {G::kVerified, R::kGridWorker},
      {G::kRejected, R::kGridWorker},
      {G::kSubmitted, R::kGridWorker},
      {G::kClosed, R::kStreetOfficer},
      {G::kAssigned, R::kGridWorker},
      {G::kRectifying, R::kGridWorker},
      {G::kReported, R::kGridWorker},
      {G::kClosed, R::kGridWorker},
      {G::kVerified, R::kStreetOfficer},
      {G::kSubmitted, R::kGridWorker},
      {G::kClosed, R::kGridWorker},
      {G::kAssigned, R::kFireInspector},
      {G::kRectifying, R::kGridWorker},
      {G::kReported, R::kGridWorker},
      {G::kClosed, R::kGridWorker},
      // A major hazard (GB 35181): three reviewers confirm it, then it is assigned.
      {G::kAssigned, R::kGridWorker, hv1::HAZARD_CATEGORY_EVACUATION_BLOCKED,
       hv1::SOURCE_UNSPECIFIED, hv1::SEVERITY_MAJOR},
      // A named public tip-off, verified: the reporter earns the reward.
      {G::kVerified, R::kGridWorker, hv1::HAZARD_CATEGORY_GAS_ELECTRICAL,
       hv1::SOURCE_PUBLIC_TIP_OFF, hv1::SEVERITY_GENERAL, true},
      // An anonymous public tip-off, awaiting verification.
      {G::kReported, R::kGridWorker, hv1::HAZARD_CATEGORY_COMBUSTIBLE_STRUCTURE,
       hv1::SOURCE_PUBLIC_TIP_OFF, hv1::SEVERITY_GENERAL, false, true},
      // An IoT alarm from the electrical fire monitoring system.
      {G::kVerified, R::kDistrictAdmin, hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT, hv1::SOURCE_IOT},
      {G::kClosed, R::kFireInspector, hv1::HAZARD_CATEGORY_CONTROL_ROOM_UNMANNED},
  };
  return *kSlots;
}

// Slot whose hazard is reported a second time (it stays open: REPORTED).
constexpr size_t kDuplicatedSlot = 1;

// The categories people report, in rotation; fire-access categories come from campaigns.
const std::vector<Category>& Rotation() {
  static const auto* kRotation = new std::vector<Category>{
      hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT,       hv1::HAZARD_CATEGORY_GAS_ELECTRICAL,
      hv1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER,   hv1::HAZARD_CATEGORY_EVACUATION_BLOCKED,
      hv1::HAZARD_CATEGORY_COMBUSTIBLE_STRUCTURE,     hv1::HAZARD_CATEGORY_OLD_BUILDING_FACILITIES,
      hv1::HAZARD_CATEGORY_MUNICIPAL_HYDRANT,         hv1::HAZARD_CATEGORY_CONTROL_ROOM_UNMANNED,
      hv1::HAZARD_CATEGORY_RESPONSIBILITY_NOT_FILED,  hv1::HAZARD_CATEGORY_CONSTRUCTION_SITE,
      hv1::HAZARD_CATEGORY_BUILDER_PRODUCT_VIOLATION,
  };
  return *kRotation;
}

std::string Description(Category c, size_t variant) {
  static const auto* kText = new std::map<Category, std::vector<std::string>>{
      {hv1::HAZARD_CATEGORY_MUNICIPAL_HYDRANT,
       {"楼栋东侧市政消火栓被车辆撞损，漏水", "小区入口市政消火栓阀门关闭，无法出水"}},
      {hv1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER,
       {"室内消火栓打开无水，屋顶消防水箱液位为零", "3至12层室内消火栓压力不足，水带缺失"}},
      {hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT,
       {"火灾自动报警控制器显示多处故障，未及时维修", "自动喷水灭火系统末端试水装置无压力"}},
      {hv1::HAZARD_CATEGORY_COMBUSTIBLE_STRUCTURE,
       {"二层以上住户加装可燃雨棚和金属防盗窗，影响逃生", "楼顶违规搭建彩钢板房"}},
      {hv1::HAZARD_CATEGORY_OLD_BUILDING_FACILITIES,
       {"消防管网锈蚀漏水，应急照明损坏", "疏散指示标志和应急照明大面积损坏"}},
      {hv1::HAZARD_CATEGORY_GAS_ELECTRICAL,
       {"楼道内电动自行车违规停放充电，私拉电线", "底层商铺燃气软管老化，未安装燃气报警装置"}},
      {hv1::HAZARD_CATEGORY_CONSTRUCTION_SITE,
       {"外立面改造施工现场动火作业无人监护，未配灭火器", "装修材料堆放占用疏散楼梯"}},
      {hv1::HAZARD_CATEGORY_BUILDER_PRODUCT_VIOLATION,
       {"防火门闭门器缺失，产品无合格证明", "管道井使用不合格防火封堵材料"}},
      {hv1::HAZARD_CATEGORY_RESPONSIBILITY_NOT_FILED,
       {"楼栋未确定消防安全管理单位和责任人，未报街道备案", "消防安全责任人变更后未重新备案"}},
      {hv1::HAZARD_CATEGORY_EVACUATION_BLOCKED,
       {"安全出口上锁，疏散通道堆放杂物", "疏散楼梯间防火门常开并堆放货物"}},
      {hv1::HAZARD_CATEGORY_CONTROL_ROOM_UNMANNED,
       {"消防控制室夜间无人值班，值班记录缺失", "消防控制室值班人员无证上岗，仅一人值守"}},
  };
  auto it = kText->find(c);
  if (it == kText->end()) return "巡查发现火灾隐患";
  return it->second[variant % it->second.size()];
}

bool HasFacility(const PlannedBuilding& b, bv1::FacilityKind kind, bv1::FacilityStatus status) {
  for (const bv1::Facility& f : b.facilities) {
    if ((kind == bv1::FACILITY_KIND_UNSPECIFIED || f.kind() == kind) && f.status() == status) {
      return true;
    }
  }
  return false;
}

bool IsPublic(const bv1::Building& b) { return b.use() != bv1::BUILDING_USE_RESIDENTIAL; }

// Whether the building is a plausible place for a hazard of this category.
bool Fits(const PlannedBuilding& p, Category c) {
  const bv1::Building& b = p.building;
  switch (c) {
    case hv1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER:
      return HasFacility(p, bv1::FACILITY_KIND_INDOOR_HYDRANT, bv1::FACILITY_STATUS_NO_WATER);
    case hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT:
      return HasFacility(p, bv1::FACILITY_KIND_UNSPECIFIED, bv1::FACILITY_STATUS_FAULT);
    case hv1::HAZARD_CATEGORY_COMBUSTIBLE_STRUCTURE:
      return b.use() == bv1::BUILDING_USE_RESIDENTIAL;
    case hv1::HAZARD_CATEGORY_OLD_BUILDING_FACILITIES:
      return b.old_residential();
    case hv1::HAZARD_CATEGORY_GAS_ELECTRICAL:
      return b.use() == bv1::BUILDING_USE_RESIDENTIAL || b.use() == bv1::BUILDING_USE_MIXED;
    case hv1::HAZARD_CATEGORY_BUILDER_PRODUCT_VIOLATION:
      return b.year_built() >= 2012;
    case hv1::HAZARD_CATEGORY_RESPONSIBILITY_NOT_FILED:
      // No chain at all, or the latest change of it not filed with the street.
      return p.chain_steps.empty() || !p.chain_steps.back().filing_sequence.has_value();
    case hv1::HAZARD_CATEGORY_EVACUATION_BLOCKED:
      return IsPublic(b);
    case hv1::HAZARD_CATEGORY_CONTROL_ROOM_UNMANNED:
      return b.height_m() > 50 || (IsPublic(b) && b.height_m() > 24);
    default:
      return true;
  }
}

// 64 hex digits derived from `seed` (SplitMix64), for content-hash evidence.
std::string FakeSha256(const std::string& seed) {
  uint64_t state = 1469598103934665603ULL;
  for (unsigned char ch : seed) state = (state ^ ch) * 1099511628211ULL;
  std::string out;
  for (int i = 0; i < 4; ++i) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(z));
    out += buf;
  }
  return out;
}

hv1::Source DefaultSource(HazardReporter r) {
  switch (r) {
    case HazardReporter::kFireInspector:
      return hv1::SOURCE_FIRE_INSPECTION;
    case HazardReporter::kDistrictAdmin:
      return hv1::SOURCE_IOT;
    default:
      return hv1::SOURCE_GRID_INSPECTION;
  }
}

}  // namespace

std::vector<PlannedHazard> PlanBeibeiHazards(const DemoDataset& dataset) {
  // Buildings per street, in dataset order; streets in code order.
  std::map<std::string, std::vector<const PlannedBuilding*>> by_street;
  for (const PlannedBuilding& p : dataset.buildings) {
    const std::string& tier = p.building.tier_path();
    if (tier.size() < 9) continue;
    by_street[tier.substr(0, 9)].push_back(&p);
  }
  std::vector<const std::vector<const PlannedBuilding*>*> streets;
  for (const auto& [code, buildings] : by_street) streets.push_back(&buildings);
  std::map<std::string, std::string> unit_names;
  for (const bv1::OrgUnit& u : dataset.org_units) unit_names[u.code()] = u.name();

  std::set<std::string> used;  // building request ids with a planned hazard
  // The next unused building that fits `c`, looking in street `first` and then the following
  // streets; when none fits, the first unused one from there. nullptr when all are used.
  auto pick = [&](size_t first, Category c) -> const PlannedBuilding* {
    const PlannedBuilding* fallback = nullptr;
    for (size_t k = 0; k < streets.size(); ++k) {
      for (const PlannedBuilding* p : *streets[(first + k) % streets.size()]) {
        if (used.count(p->request_id)) continue;
        if (Fits(*p, c)) return p;
        if (fallback == nullptr) fallback = p;
      }
    }
    return fallback;
  };

  std::vector<PlannedHazard> plan;
  if (streets.empty()) return plan;
  const std::vector<Slot>& slots = Slots();
  size_t rotation = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    const Slot& slot = slots[i];
    const Category category = slot.category != hv1::HAZARD_CATEGORY_UNSPECIFIED
                                  ? slot.category
                                  : Rotation()[rotation++ % Rotation().size()];
    const PlannedBuilding* building = pick(i % streets.size(), category);
    if (building == nullptr) break;
    used.insert(building->request_id);

    PlannedHazard h;
    char key[48];
    std::snprintf(key, sizeof(key), "demo-hazard-%03zu", i + 1);
    h.idempotency_key = key;
    h.building_request_id = building->request_id;
    h.community = building->building.tier_path();
    h.reporter = slot.reporter;
    h.goal = slot.goal;
    hv1::ReportHazardRequest& r = h.report;
    r.set_category(category);
    r.set_severity(slot.severity);
    r.set_source(slot.source != hv1::SOURCE_UNSPECIFIED ? slot.source
                                                        : DefaultSource(slot.reporter));
    std::string description = Description(category, i / Rotation().size());
    if (category == hv1::HAZARD_CATEGORY_RESPONSIBILITY_NOT_FILED) {
      description = Description(category, building->chain_steps.empty() ? 0 : 1);
    }
    if (r.source() == hv1::SOURCE_IOT) {
      description = absl::StrCat("电气火灾监控系统报警：", description);
    } else if (r.source() == hv1::SOURCE_PUBLIC_TIP_OFF) {
      description = absl::StrCat("群众举报：", description);
    }
    r.set_description(description);
    hv1::Evidence* e = r.add_evidence();
    if (r.source() == hv1::SOURCE_IOT) {
      e->set_uri(absl::StrCat("sha256:", FakeSha256(h.idempotency_key)));
      e->set_description("报警记录导出");
    } else {
      e->set_uri(
          absl::StrCat("https://files.firegrid.example/demo/", h.idempotency_key, "/report-1.jpg"));
      e->set_description("现场照片");
    }
    if (slot.named_tip_off) {
      r.mutable_reporter()->set_name("刘先生");
      r.mutable_reporter()->set_contact("13983001234");
    } else if (slot.anonymous_tip_off) {
      r.mutable_reporter()->set_anonymous(true);
    }
    if (!building->chain_steps.empty()) {
      const bv1::ResponsibilityChain& chain = building->chain_steps.back().chain;
      h.responsible_party = chain.management_unit();
      h.responsible_subject = chain.manager().subject();
    }
    if (h.responsible_party.empty()) {
      auto it = unit_names.find(h.community);
      h.responsible_party = it == unit_names.end() ? absl::StrCat(building->building.name(), "业主")
                                                   : absl::StrCat(it->second, "居民委员会");
    }
    plan.push_back(std::move(h));
  }

  if (plan.size() > kDuplicatedSlot) {
    // The same building and category again, from the street officer who came by later.
    PlannedHazard dup = plan[kDuplicatedSlot];
    dup.idempotency_key = absl::StrCat(dup.idempotency_key, "-dup");
    dup.reporter = HazardReporter::kStreetOfficer;
    dup.goal = HazardGoal::kReported;
    dup.duplicate = true;
    dup.report.set_description(absl::StrCat("街道复查再次发现：", dup.report.description()));
    dup.report.mutable_evidence(0)->set_uri(
        absl::StrCat("https://files.firegrid.example/demo/", dup.idempotency_key, "/report-1.jpg"));
    plan.push_back(std::move(dup));
  }
  return plan;
}

}  // namespace firegrid::loaders
