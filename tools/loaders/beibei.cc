#include "tools/loaders/beibei.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "libs/subjects/party.h"
#include "services/hazards/departments.h"

namespace firegrid::loaders {
namespace {

// SplitMix64: small, fast and the same on every platform (std:: distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Range(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  int Int(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(double p) { return Uniform() < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Next() % v.size()];
  }

 private:
  uint64_t state_;
};

double Round(double v, int decimals) {
  const double f = std::pow(10.0, decimals);
  return std::round(v * f) / f;
}

struct CommunitySeed {
  const char* suffix;  // 3 digits: 001-199 residents' committees, 200-399 villages
  const char* name;
};

struct StreetSeed {
  const char* suffix;  // 3 digits: 001-099 streets, 100-199 towns
  const char* name;
  const char* short_name;
  bool town;
  double lat, lon;
  std::vector<const char*> roads;
  std::vector<CommunitySeed> communities;
  int weight;  // how many buildings it gets, relatively
};

const std::vector<StreetSeed>& Streets() {
  static const auto* kStreets = new std::vector<StreetSeed>{
      {"001",
       "天生街道",
       "天生",
       false,
       29.8262,
       106.4352,
       {"天生路", "云华路", "丽园路", "嘉陵二村"},
       {{"001", "天生社区"},
        {"002", "新星社区"},
        {"003", "云华社区"},
        {"004", "丽苑社区"},
        {"005", "西师社区"}},
       5},
      {"002",
       "朝阳街道",
       "朝阳",
       false,
       29.8305,
       106.4418,
       {"中山路", "碚峡路", "新华路", "北京路"},
       {{"001", "朝阳社区"},
        {"002", "中山路社区"},
        {"003", "碚峡路社区"},
        {"004", "新华社区"},
        {"005", "北泉社区"},
        {"006", "缙云社区"}},
       6},
      {"003",
       "北温泉街道",
       "北温泉",
       false,
       29.8512,
       106.4216,
       {"温泉路", "金华路"},
       {{"001", "北温泉社区"}, {"002", "金华社区"}, {"003", "缙泉社区"}, {"004", "三花石社区"}},
       3},
      {"004",
       "东阳街道",
       "东阳",
       false,
       29.8488,
       106.4651,
       {"东阳路", "嘉陵路"},
       {{"001", "东阳社区"}, {"002", "嘉陵社区"}, {"003", "龙滩子社区"}, {"004", "毛背沱社区"}},
       3},
      {"005",
       "龙凤桥街道",
       "龙凤桥",
       false,
       29.8031,
       106.4587,
       {"龙凤大道", "龙车路"},
       {{"001", "龙凤社区"}, {"002", "龙车社区"}, {"003", "双凤社区"}},
       3},
      {"006",
       "歇马街道",
       "歇马",
       false,
       29.7643,
       106.3879,
       {"歇马路", "卫星湖路"},
       {{"001", "歇马社区"}, {"002", "卫星湖社区"}, {"003", "虎头社区"}, {"201", "大磨滩村"}},
       2},
      {"007",
       "蔡家岗街道",
       "蔡家岗",
       false,
       29.7321,
       106.4733,
       {"蔡家大道", "同兴路", "嘉运大道"},
       {{"001", "蔡家岗社区"},
        {"002", "同兴社区"},
        {"003", "嘉运社区"},
        {"004", "凤栖社区"},
        {"005", "蔡家社区"}},
       5},
      {"008",
       "水土街道",
       "水土",
       false,
       29.7712,
       106.5487,
       {"水土大道", "云汉大道", "方正大道"},
       {{"001", "水土社区"}, {"002", "云汉社区"}, {"003", "方正社区"}, {"201", "高岩村"}},
       3},
      {"100",
       "澄江镇",
       "澄江",
       true,
       29.8702,
       106.3911,
       {"澄江路", "运河路"},
       {{"001", "澄江社区"}, {"201", "运河村"}, {"202", "缙云村"}, {"203", "柏林村"}},
       1},
      {"101",
       "童家溪镇",
       "童家溪",
       true,
       29.7102,
       106.4412,
       {"童家溪大道", "同兴北路"},
       {{"001", "童家溪社区"}, {"002", "同兴北社区"}, {"201", "五星村"}},
       2},
      {"102",
       "施家梁镇",
       "施家梁",
       true,
       29.7508,
       106.5013,
       {"施家梁路"},
       {{"001", "施家梁社区"}, {"201", "金兴村"}, {"202", "新庄村"}},
       1},
      {"103",
       "静观镇",
       "静观",
       true,
       29.9297,
       106.5205,
       {"静观路", "素心路"},
       {{"001", "静观社区"}, {"201", "素心村"}, {"202", "塔坪村"}, {"203", "万全村"}},
       1},
  };
  return *kStreets;
}

const std::vector<std::string>& EstateNames() {
  static const auto* kNames = new std::vector<std::string>{
      "嘉陵", "缙云", "北泉", "碚城", "温泉", "翰林", "锦绣", "滨江", "山水", "云华",
      "兰亭", "同兴", "嘉运", "天生", "蔡家", "金华", "龙凤", "凤栖", "澄江", "朝阳"};
  return *kNames;
}

const std::vector<std::string>& Surnames() {
  static const auto* kNames =
      new std::vector<std::string>{"张", "王", "李", "刘", "陈", "杨", "黄", "赵", "周", "吴",
                                   "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"};
  return *kNames;
}

const std::vector<std::string>& GivenNames() {
  static const auto* kNames = new std::vector<std::string>{
      "伟", "芳", "娜", "敏", "静", "丽",   "强", "磊", "军", "洋",   "勇",   "艳",
      "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建国", "红梅"};
  return *kNames;
}

bv1::Person NewPerson(Rng& rng, int index, bool with_subject) {
  bv1::Person p;
  p.set_name(rng.Pick(Surnames()) + rng.Pick(GivenNames()));
  char phone[16];
  std::snprintf(phone, sizeof(phone), "1%d%08d", rng.Pick(std::vector<int>{33, 35, 38, 39, 58, 87}),
                static_cast<int>(rng.Next() % 100000000));
  p.set_phone(phone);
  if (with_subject) p.set_subject(absl::StrCat("mgr_", index));
  return p;
}

// ----- Parties (credit subjects)

namespace sv1 = ::firegrid::subjects::v1;

// FNV-1a: the same organisation name always gets the same credit code, on every platform.
uint64_t NameHash(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// A unified social credit code for an organisation of Beibei: `kind` (registration authority and
// category: "91" enterprise, "12" public institution, "55" residents' committee, "54" villagers'
// committee), the district code, nine characters derived from the name, and the GB 32100 check
// character.
std::string CreditCode(const std::string& kind, const std::string& name) {
  static constexpr char kChars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  std::string code = absl::StrCat(kind, kBeibeiCode, kind == "91" ? "MA" : "");
  uint64_t h = NameHash(name);
  while (code.size() < 17) {
    code.push_back(kChars[h % 31]);
    h /= 31;
  }
  code.push_back(subjects::CreditCodeCheckCharacter(code));
  return code;
}

// A resident identity number of someone registered in Beibei: address code, birth date
// (1950–2000), sequence, GB 11643 check character.
std::string PersonId(Rng& rng) {
  char first17[18];
  std::snprintf(first17, sizeof(first17), "%s%04d%02d%02d%03d", kBeibeiCode, rng.Int(1950, 2000),
                rng.Int(1, 12), rng.Int(1, 28), rng.Int(1, 999));
  return std::string(first17) + subjects::PersonIdCheckCharacter(first17);
}

sv1::Party OrgParty(sv1::PartyRole role, const std::string& name, const std::string& kind) {
  sv1::Party p;
  p.set_role(role);
  p.set_name(name);
  p.set_credit_code(CreditCode(kind, name));
  return p;
}

// The fire technical service agencies 消防技术服务机构 of the demo: a handful, each maintaining
// many buildings.
const std::vector<std::string>& Agencies() {
  static const auto* kNames = new std::vector<std::string>{
      "重庆消安消防技术服务有限公司", "重庆缙云消防设施检测有限公司", "重庆嘉陵消防工程有限公司",
      "重庆北泉消防技术服务有限公司", "重庆渝安消防设施维护有限公司"};
  return *kNames;
}

// The owner of a building by its use: the developer of housing and commercial buildings, the
// institution itself for hospitals, schools and care homes.
sv1::Party OwnerOf(bv1::BuildingUse use, const std::string& estate) {
  switch (use) {
    case bv1::BUILDING_USE_HOSPITAL:
      return OrgParty(sv1::PARTY_ROLE_OWNER, absl::StrCat("北碚区", estate, "医院"), "12");
    case bv1::BUILDING_USE_SCHOOL:
      return OrgParty(sv1::PARTY_ROLE_OWNER, absl::StrCat("重庆市北碚区", estate, "中学"), "12");
    case bv1::BUILDING_USE_ELDERLY_CARE:
      return OrgParty(sv1::PARTY_ROLE_OWNER, absl::StrCat("北碚区", estate, "颐养中心"), "12");
    case bv1::BUILDING_USE_SCENIC:
    case bv1::BUILDING_USE_OTHER_PUBLIC:
      return OrgParty(sv1::PARTY_ROLE_OWNER,
                      absl::StrCat("重庆北碚", estate, "文化旅游发展有限公司"), "91");
    default:
      return OrgParty(sv1::PARTY_ROLE_OWNER, absl::StrCat("重庆", estate, "置业有限公司"), "91");
  }
}

// Every building: an owner and a management unit (the chain's, when it has one); a property
// company unless it is a three-nos building (which by definition has none); about 60% a
// maintenance agency; about 40% one to three occupants, shops by credit code and residents or
// tenants by identity number. Drawn from `rng`, which serves the parties only, so that they do
// not change the rest of the dataset.
void PlanParties(Rng& rng, const std::string& estate, const std::string& community, bool village,
                 PlannedBuilding* p) {
  bv1::Building& b = p->building;
  *b.add_parties() = OwnerOf(b.use(), estate);
  const std::string company = absl::StrCat("重庆", estate, "物业服务有限公司");
  // A three-nos building is managed by its community's committee (named as its chain names it).
  std::string unit = b.three_nos() ? absl::StrCat(community, "居民委员会") : company;
  if (!p->chain_steps.empty()) unit = p->chain_steps.front().chain.management_unit();
  const bool committee = unit != company;
  *b.add_parties() =
      OrgParty(sv1::PARTY_ROLE_MANAGEMENT_UNIT, unit, committee ? (village ? "54" : "55") : "91");
  if (!b.three_nos()) *b.add_parties() = OrgParty(sv1::PARTY_ROLE_PROPERTY_COMPANY, company, "91");
  if (rng.Chance(0.6)) {
    *b.add_parties() = OrgParty(sv1::PARTY_ROLE_MAINTENANCE_AGENCY, rng.Pick(Agencies()), "91");
  }
  if (!rng.Chance(0.4)) return;
  static const std::vector<std::string> kShops = {"便利店", "药房", "餐馆", "超市", "茶楼"};
  const int n = rng.Int(1, 3);
  for (int k = 0; k < n; ++k) {
    if (rng.Chance(0.5)) {
      *b.add_parties() = OrgParty(sv1::PARTY_ROLE_OCCUPANT,
                                  absl::StrCat(estate, rng.Pick(kShops), k + 1, "号店"), "92");
    } else {
      sv1::Party person;
      person.set_role(sv1::PARTY_ROLE_OCCUPANT);
      person.set_name(rng.Pick(Surnames()) + rng.Pick(GivenNames()));
      person.set_person_id(PersonId(rng));
      *b.add_parties() = std::move(person);
    }
  }
}

bv1::BuildingUse PickUse(Rng& rng) {
  const double r = rng.Uniform();
  struct W {
    double upto;
    bv1::BuildingUse use;
  };
  static const W kWeights[] = {
      {0.52, bv1::BUILDING_USE_RESIDENTIAL}, {0.64, bv1::BUILDING_USE_MIXED},
      {0.74, bv1::BUILDING_USE_OFFICE},      {0.79, bv1::BUILDING_USE_MALL},
      {0.84, bv1::BUILDING_USE_HOTEL},       {0.87, bv1::BUILDING_USE_HOSPITAL},
      {0.90, bv1::BUILDING_USE_SCHOOL},      {0.93, bv1::BUILDING_USE_ELDERLY_CARE},
      {0.94, bv1::BUILDING_USE_SCENIC},      {0.97, bv1::BUILDING_USE_INDUSTRIAL},
      {1.01, bv1::BUILDING_USE_OTHER_PUBLIC}};
  for (const W& w : kWeights) {
    if (r < w.upto) return w.use;
  }
  return bv1::BUILDING_USE_RESIDENTIAL;
}

// Heights spread over the GB 50016 bands (docs/domain.md) so that every class occurs:
// residential 27 / 54 / 100 m, public 24 / 50 / 100 m.
double PickHeight(Rng& rng, bool residential) {
  const double r = rng.Uniform();
  const double low = residential ? 27 : 24;
  const double mid = residential ? 54 : 50;
  if (r < 0.12) return Round(rng.Range(10, low - 0.5), 1);
  if (r < 0.55) return Round(rng.Range(low + 0.5, mid - 0.5), 1);
  if (r < 0.90) return Round(rng.Range(mid + 0.5, 99.5), 1);
  return Round(rng.Range(100.5, 160), 1);
}

std::string BuildingName(Rng& rng, bv1::BuildingUse use, const std::string& estate, int number) {
  switch (use) {
    case bv1::BUILDING_USE_RESIDENTIAL:
      return absl::StrCat(estate, rng.Chance(0.5) ? "花园" : "小区", number, "栋");
    case bv1::BUILDING_USE_MIXED:
      return absl::StrCat(estate, "商住楼", number, "栋");
    case bv1::BUILDING_USE_OFFICE:
      return absl::StrCat(estate, "大厦", number, "号楼");
    case bv1::BUILDING_USE_MALL:
      return absl::StrCat(estate, "广场");
    case bv1::BUILDING_USE_HOTEL:
      return absl::StrCat(estate, "酒店");
    case bv1::BUILDING_USE_HOSPITAL:
      return absl::StrCat("北碚区", estate, "医院住院楼");
    case bv1::BUILDING_USE_SCHOOL:
      return absl::StrCat(estate, "中学教学楼");
    case bv1::BUILDING_USE_ELDERLY_CARE:
      return absl::StrCat(estate, "颐养中心");
    case bv1::BUILDING_USE_SCENIC:
      return absl::StrCat(estate, "观景塔");
    case bv1::BUILDING_USE_INDUSTRIAL:
      return absl::StrCat(estate, "科技园", number, "号厂房");
    default:
      return absl::StrCat(estate, "文化中心");
  }
}

bool IsPublic(bv1::BuildingUse use) { return use != bv1::BUILDING_USE_RESIDENTIAL; }

bv1::Facility NewFacility(bv1::FacilityKind kind, bv1::FacilityStatus status) {
  bv1::Facility f;
  f.set_kind(kind);
  f.set_status(status);
  switch (status) {
    case bv1::FACILITY_STATUS_FAULT:
      f.set_note("巡查发现故障，已通知维保单位");
      break;
    case bv1::FACILITY_STATUS_NO_WATER:
      f.set_note("屋顶消防水箱无水，管网压力为零");
      break;
    case bv1::FACILITY_STATUS_UNDER_REPAIR:
      f.set_note("维保单位检修中");
      break;
    case bv1::FACILITY_STATUS_DISABLED:
      f.set_note("系统总阀关闭");
      break;
    case bv1::FACILITY_STATUS_NOT_INSTALLED:
      f.set_note("建成时未设置");
      break;
    default:
      break;
  }
  return f;
}

bv1::FacilityStatus PickStatus(Rng& rng, double fault, double repair, double disabled) {
  const double r = rng.Uniform();
  if (r < fault) return bv1::FACILITY_STATUS_FAULT;
  if (r < fault + repair) return bv1::FACILITY_STATUS_UNDER_REPAIR;
  if (r < fault + repair + disabled) return bv1::FACILITY_STATUS_DISABLED;
  return bv1::FACILITY_STATUS_NORMAL;
}

std::vector<bv1::Facility> PlanFacilities(Rng& rng, const bv1::Building& b) {
  std::vector<bv1::Facility> out;
  const bool high_rise = b.height_m() > (IsPublic(b.use()) ? 24 : 27);
  const bool tall = b.height_m() > 50;
  out.push_back(NewFacility(bv1::FACILITY_KIND_FIRE_ALARM, PickStatus(rng, 0.08, 0.04, 0)));
  // Indoor hydrant systems: task 26 wants them all with water; old buildings often are not.
  const double dry = b.old_residential() ? 0.45 : 0.12;
  bv1::FacilityStatus hydrant =
      rng.Chance(dry) ? bv1::FACILITY_STATUS_NO_WATER : PickStatus(rng, 0.0, 0.04, 0.03);
  out.push_back(NewFacility(bv1::FACILITY_KIND_INDOOR_HYDRANT, hydrant));
  if (IsPublic(b.use()) || tall) {
    bv1::FacilityStatus s =
        b.old_residential() ? bv1::FACILITY_STATUS_NOT_INSTALLED : PickStatus(rng, 0.08, 0.0, 0.04);
    out.push_back(NewFacility(bv1::FACILITY_KIND_SPRINKLER, s));
  }
  if (high_rise && tall) {
    out.push_back(NewFacility(bv1::FACILITY_KIND_SMOKE_CONTROL, PickStatus(rng, 0.10, 0, 0)));
  }
  if (rng.Chance(0.4)) {
    out.push_back(
        NewFacility(bv1::FACILITY_KIND_ELECTRICAL_MONITORING, PickStatus(rng, 0.05, 0, 0)));
  }
  if ((b.use() == bv1::BUILDING_USE_HOSPITAL || b.use() == bv1::BUILDING_USE_MALL) &&
      rng.Chance(0.5)) {
    out.push_back(NewFacility(bv1::FACILITY_KIND_GAS_SUPPRESSION, PickStatus(rng, 0.05, 0, 0)));
  }
  if (rng.Chance(0.3)) {
    out.push_back(NewFacility(bv1::FACILITY_KIND_FIRE_SEPARATION, PickStatus(rng, 0.08, 0, 0)));
  }
  return out;
}

void FullMarking(bv1::Marking* m) {
  m->set_lines_painted(true);
  m->set_name_marked(true);
  m->set_sign_installed(true);
}

// Lanes and sites; about 30% of the buildings get one defect (docs/domain.md).
void PlanFireAccess(Rng& rng, PlannedBuilding* p) {
  const bv1::Building& b = p->building;
  const bool tall = b.height_m() > 50;
  const bool high_rise = b.height_m() > (IsPublic(b.use()) ? 24 : 27);
  const int lanes = high_rise && rng.Chance(0.5) ? 2 : 1;
  static const char* kLaneIds[] = {"north", "south"};
  static const char* kLaneNames[] = {"北侧消防车道", "南侧消防车道"};
  for (int i = 0; i < lanes; ++i) {
    bv1::FireLane l;
    l.set_lane_id(kLaneIds[i]);
    l.set_name(kLaneNames[i]);
    l.set_clear_width_m(Round(rng.Range(4.0, 7.0), 1));
    l.set_clear_height_m(Round(rng.Range(4.5, 6.0), 1));
    l.set_slope_percent(Round(rng.Range(0, 7.0), 1));
    l.set_turning_radius_m(Round(tall ? rng.Range(18, 22) : rng.Range(12, 20), 0));
    l.set_load_capacity_t(Round(rng.Range(35, 60), 0));
    l.set_length_m(Round(rng.Range(40, 220), 0));
    FullMarking(l.mutable_marking());
    p->fire_lanes.push_back(l);
  }
  if (high_rise) {
    bv1::RescueSite s;
    s.set_site_id("main");
    s.set_name("登高操作场地");
    s.set_length_m(Round(tall ? rng.Range(20, 30) : rng.Range(15, 30), 0));
    s.set_width_m(Round(rng.Range(10, 15), 0));
    s.set_slope_percent(Round(rng.Range(0, 2.5), 1));
    s.set_load_capacity_t(Round(rng.Range(40, 70), 0));
    FullMarking(s.mutable_marking());
    p->rescue_sites.push_back(s);
  }
  if (!rng.Chance(0.30)) return;
  bv1::FireLane& lane = p->fire_lanes.front();
  switch (rng.Int(0, 6)) {
    case 0:
      lane.set_clear_width_m(Round(rng.Range(3.0, 3.8), 1));
      break;  // narrow
    case 1:
      lane.set_slope_percent(Round(rng.Range(9, 13), 1));
      break;  // steep
    case 2:
      lane.set_clear_height_m(Round(rng.Range(3.2, 3.9), 1));
      break;  // low clearance
    case 3:
      lane.mutable_marking()->set_sign_installed(false);
      break;  // unmarked
    case 4:
      lane.mutable_marking()->set_lines_painted(false);
      lane.mutable_marking()->set_name_marked(false);
      break;
    case 5:
      lane.set_occupied(true);
      break;  // parked cars, stalls
    default:
      if (!p->rescue_sites.empty()) {
        p->rescue_sites.front().set_occupied(true);  // taken over
      } else {
        lane.set_occupied(true);
      }
  }
}

}  // namespace

DemoDataset GenerateBeibei(uint64_t seed, int building_count) {
  Rng rng(seed);
  DemoDataset d;

  bv1::OrgUnit district;
  district.set_code(kBeibeiCode);
  district.set_name("北碚区");
  district.set_kind(bv1::ORG_UNIT_KIND_DISTRICT);
  district.set_contact_phone("023-68862119");
  d.org_units.push_back(district);

  struct Community {
    std::string code;
    std::string name;
    const StreetSeed* street;
    double lat, lon;
  };
  std::vector<Community> communities;
  for (const StreetSeed& s : Streets()) {
    bv1::OrgUnit street;
    street.set_code(absl::StrCat(kBeibeiCode, s.suffix));
    street.set_name(s.name);
    street.set_kind(s.town ? bv1::ORG_UNIT_KIND_TOWN : bv1::ORG_UNIT_KIND_STREET);
    street.set_parent_code(kBeibeiCode);
    d.org_units.push_back(street);
  }
  for (const StreetSeed& s : Streets()) {
    const std::string street_code = absl::StrCat(kBeibeiCode, s.suffix);
    for (const CommunitySeed& c : s.communities) {
      bv1::OrgUnit unit;
      unit.set_code(street_code + c.suffix);
      unit.set_name(c.name);
      unit.set_kind(c.suffix[0] == '2' ? bv1::ORG_UNIT_KIND_VILLAGE : bv1::ORG_UNIT_KIND_COMMUNITY);
      unit.set_parent_code(street_code);
      d.org_units.push_back(unit);
      // Community centres within about 1.5 km of the street office.
      communities.push_back({unit.code(), unit.name(), &s, s.lat + rng.Range(-0.012, 0.012),
                             s.lon + rng.Range(-0.014, 0.014)});
    }
  }
  // The departments and utilities: one org unit "<district>.<slug>" per entry of
  // config/departments.textproto, the slugs the hazards routing and notify use.
  for (const auto& e : hazards::Departments::Shipped().entries()) {
    bv1::OrgUnit unit;
    unit.set_code(hazards::DepartmentOrgUnit(kBeibeiCode, e.slug()));
    unit.set_name(e.full_name().empty() ? e.name() : e.full_name());
    unit.set_kind(e.kind() == config::v1::DEPARTMENT_KIND_ENTERPRISE
                      ? bv1::ORG_UNIT_KIND_ENTERPRISE
                      : bv1::ORG_UNIT_KIND_DEPARTMENT);
    unit.set_parent_code(kBeibeiCode);
    d.org_units.push_back(unit);
  }

  // Buildings: communities of the urban streets get more (weight), villages fewer.
  std::vector<const Community*> slots;
  for (const Community& c : communities) {
    const bool village = c.code[9] == '2';
    const int w = village ? 1 : c.street->weight;
    for (int i = 0; i < w; ++i) slots.push_back(&c);
  }
  int filing_sequence = 0;
  Rng party_rng(seed ^ 0x5041525449455321ULL);  // "PARTIES!": its own stream
  for (int i = 0; i < building_count; ++i) {
    // The first buildings visit every community once; the rest follow the weights.
    const Community& c =
        i < static_cast<int>(communities.size()) ? communities[i] : *rng.Pick(slots);
    PlannedBuilding p;
    char rid[32];
    std::snprintf(rid, sizeof(rid), "demo-beibei-%04d", i + 1);
    p.request_id = rid;
    p.street_name = c.street->short_name;
    bv1::Building& b = p.building;
    // The first eight buildings cover each height band for residential and public use, the
    // next eleven every use; the rest are drawn by weight.
    bv1::BuildingUse use;
    if (i < 4) {
      use = bv1::BUILDING_USE_RESIDENTIAL;
    } else if (i < 8) {
      use = bv1::BUILDING_USE_OFFICE;
    } else if (i < 19) {
      use = static_cast<bv1::BuildingUse>(i - 7);
    } else {
      use = PickUse(rng);
    }
    const std::string estate = rng.Pick(EstateNames());
    b.set_name(BuildingName(rng, use, estate, rng.Int(1, 30)));
    b.set_address(absl::StrCat(
        "重庆市北碚区",
        rng.Pick(std::vector<std::string>(c.street->roads.begin(), c.street->roads.end())),
        rng.Int(1, 399), "号"));
    b.set_tier_path(c.code);
    b.mutable_location()->set_latitude(Round(c.lat + rng.Range(-0.004, 0.004), 6));
    b.mutable_location()->set_longitude(Round(c.lon + rng.Range(-0.005, 0.005), 6));
    b.set_use(use);
    const bool residential = use == bv1::BUILDING_USE_RESIDENTIAL;
    double height = PickHeight(rng, residential);
    if (i < 8) {
      static const double kBands[] = {18, 45, 80, 130, 15, 40, 70, 150};
      height = kBands[i % 8] + rng.Range(0, 5);
      height = Round(height, 1);
    }
    b.set_height_m(height);
    const double storey = residential ? 2.95 : 3.9;
    b.set_floors_above_ground(std::max(1, static_cast<int>(std::lround(height / storey))));
    b.set_floors_below_ground(height > 50 ? rng.Int(1, 3) : rng.Int(0, 1));
    b.set_year_built(rng.Int(1988, 2021));
    b.set_old_residential(residential && b.year_built() < 2000 && height > 27);
    b.set_three_nos(b.old_residential() && rng.Chance(0.35));
    b.set_large_mixed_use((use == bv1::BUILDING_USE_MIXED || use == bv1::BUILDING_USE_MALL) &&
                          rng.Chance(0.25));

    // 户籍化: about 70% filed, 12% filed then changed, 8% recorded but never filed, 10% nothing.
    const double r = rng.Uniform();
    if (r < 0.90) {
      ChainStep first;
      bv1::ResponsibilityChain& chain = first.chain;
      if (b.three_nos()) {
        chain.set_management_unit(absl::StrCat(c.name, "居民委员会"));
      } else {
        const std::string company = absl::StrCat("重庆", estate, "物业服务有限公司");
        chain.set_management_unit(company);
        chain.set_property_company(company);
      }
      *chain.mutable_responsible_person() = NewPerson(rng, i + 1, false);
      *chain.mutable_manager() = NewPerson(rng, i + 1, rng.Chance(0.25));
      *chain.mutable_building_head() = NewPerson(rng, i + 1, false);
      if (r < 0.82) first.filing_sequence = ++filing_sequence;
      p.chain_steps.push_back(first);
      if (r >= 0.70 && r < 0.82) {
        ChainStep change = first;  // the manager moved on; not filed yet
        change.filing_sequence.reset();
        *change.chain.mutable_manager() = NewPerson(rng, i + 1, false);
        if (change.chain.manager().name() == first.chain.manager().name()) {
          change.chain.mutable_manager()->set_name(change.chain.manager().name() + "新");
        }
        p.chain_steps.push_back(change);
      }
    }
    PlanParties(party_rng, estate, c.name, c.code[9] == '2', &p);
    p.facilities = PlanFacilities(rng, b);
    PlanFireAccess(rng, &p);
    d.buildings.push_back(std::move(p));
  }

  // Municipal hydrants: two or three near each community centre.
  for (const Community& c : communities) {
    const int n = rng.Int(2, 3);
    for (int k = 0; k < n; ++k) {
      bv1::Hydrant h;
      h.set_tier_path(c.code);
      h.mutable_location()->set_latitude(Round(c.lat + rng.Range(-0.003, 0.003), 6));
      h.mutable_location()->set_longitude(Round(c.lon + rng.Range(-0.003, 0.003), 6));
      const double r = rng.Uniform();
      if (r < 0.85) {
        h.set_status(bv1::HYDRANT_STATUS_IN_SERVICE);
      } else if (r < 0.90) {
        h.set_status(bv1::HYDRANT_STATUS_DAMAGED);
        h.set_note("栓体被车辆撞损");
      } else if (r < 0.94) {
        h.set_status(bv1::HYDRANT_STATUS_VALVE_SHUT);
        h.set_note("阀门关闭未备案");
      } else if (r < 0.98) {
        h.set_status(bv1::HYDRANT_STATUS_LOW_PRESSURE);
        h.set_note("出水压力不足");
      } else {
        h.set_status(bv1::HYDRANT_STATUS_REMOVED);
        h.set_note("道路施工拆除");
      }
      h.set_maintainer("北碚区自来水有限公司");
      d.hydrants.push_back(h);
    }
  }

  // Micro fire stations: one per community or village, and one at each hospital and mall.
  for (const Community& c : communities) {
    bv1::MicroStation s;
    s.set_name(absl::StrCat(c.name, "微型消防站"));
    s.set_tier_path(c.code);
    s.mutable_location()->set_latitude(Round(c.lat + rng.Range(-0.001, 0.001), 6));
    s.mutable_location()->set_longitude(Round(c.lon + rng.Range(-0.001, 0.001), 6));
    s.set_staff(rng.Int(3, 8));
    s.set_on_duty_24h(rng.Chance(0.6));
    char phone[16];
    std::snprintf(phone, sizeof(phone), "023-6%07d", static_cast<int>(rng.Next() % 10000000));
    s.set_phone(phone);
    d.stations.push_back(s);
  }
  for (const PlannedBuilding& p : d.buildings) {
    const bv1::BuildingUse use = p.building.use();
    if (use != bv1::BUILDING_USE_HOSPITAL && use != bv1::BUILDING_USE_MALL) continue;
    bv1::MicroStation s;
    s.set_name(absl::StrCat(p.building.name(), "微型消防站"));
    s.set_tier_path(p.building.tier_path());
    s.mutable_location()->set_latitude(p.building.location().latitude() + 0.0002);
    s.mutable_location()->set_longitude(p.building.location().longitude());
    s.set_staff(rng.Int(6, 12));
    s.set_on_duty_24h(true);
    d.stations.push_back(s);
  }
  return d;
}

}  // namespace firegrid::loaders
