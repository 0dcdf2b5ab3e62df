#include "services/gateway/open311/services_table.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace firegrid::gateway::open311 {
namespace {

namespace hv1 = ::firegrid::hazards::v1;

ServiceAttribute BuildingName() {
  return {.code = "building_name",
          .datatype = "string",
          .description = "楼栋名称 building name (e.g. 3 栋)"};
}

ServiceAttribute Floor() {
  return {.code = "floor",
          .datatype = "string",
          .description = "楼层或部位 floor or part of the building (e.g. 12F, B1)",
          .max_bytes = 50};
}

ServiceAttribute Choice(std::string code, std::string description,
                        std::vector<AttributeValue> values) {
  return {.code = std::move(code),
          .datatype = "singlevaluelist",
          .description = std::move(description),
          .values = std::move(values)};
}

std::vector<ServiceEntry> MakeTable() {
  std::vector<ServiceEntry> t = {
      {hv1::HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED,
       "",
       "消防车道被占用",
       "消防车道、消防车登高操作场地被占用或堵塞。Fire lane or fire engine rescue site occupied "
       "or blocked (parked vehicles, goods, stalls).",
       "消防车道,登高场地,占用,堵塞,fire lane,blocked,parking",
       true,
       {Choice("obstruction", "占用物 what blocks it",
               {{"vehicle", "车辆停放 parked vehicles"},
                {"goods", "堆放杂物 goods piled up"},
                {"stall", "摊位 stalls"},
                {"structure", "搭建设施 structures, barriers"},
                {"other", "其他 other"}}),
        BuildingName(), Floor()}},
      {hv1::HAZARD_CATEGORY_EVACUATION_BLOCKED,
       "",
       "疏散通道、安全出口堵塞",
       "疏散通道、楼梯间、安全出口被堵塞或锁闭。Evacuation route, staircase or emergency exit "
       "blocked or locked.",
       "疏散通道,安全出口,楼梯,锁闭,evacuation,exit,locked",
       true,
       {Choice("condition", "情况 condition",
               {{"blocked", "堵塞 blocked"}, {"locked", "锁闭 locked"}, {"other", "其他 other"}}),
        BuildingName(), Floor()}},
      {hv1::HAZARD_CATEGORY_FIRE_FACILITY_FAULT,
       "",
       "消防设施损坏",
       "火灾报警、自动喷水灭火、防排烟、防火门、应急照明等消防设施损坏或停用。Fire protection "
       "equipment broken or switched off (alarms, sprinklers, smoke control, fire doors, "
       "emergency lighting).",
       "消防设施,灭火器,防火门,应急照明,fire equipment,sprinkler,fire door",
       true,
       {Choice("facility", "设施 facility",
               {{"alarm", "火灾报警 fire alarm"},
                {"sprinkler", "自动喷水灭火 sprinklers"},
                {"extinguisher", "灭火器 extinguishers"},
                {"fire_door", "防火门 fire doors"},
                {"lighting", "应急照明、疏散指示 emergency lighting, exit signs"},
                {"smoke_control", "防排烟 smoke control"},
                {"other", "其他 other"}}),
        BuildingName(), Floor()}},
      {hv1::HAZARD_CATEGORY_GAS_ELECTRICAL,
       "",
       "电动自行车违规充电、电气燃气隐患",
       "电动自行车进楼入户或飞线充电，电气线路私拉乱接，燃气管道、器具隐患。Electric bikes "
       "parked or charged indoors or by trailing cables, unsafe wiring, gas pipes or appliances.",
       "电动自行车,充电,飞线,电线,燃气,e-bike,charging,wiring,gas",
       true,
       {Choice("kind", "类型 kind",
               {{"ebike_indoor", "电动自行车进楼入户充电 e-bike charged indoors"},
                {"flying_wire", "飞线充电 charging by trailing cable"},
                {"wiring", "电气线路私拉乱接 unsafe wiring"},
                {"gas", "燃气隐患 gas"},
                {"other", "其他 other"}}),
        BuildingName(), Floor()}},
      {hv1::HAZARD_CATEGORY_COMBUSTIBLE_STRUCTURE,
       "",
       "可燃搭建、易燃装饰",
       "违规搭建可燃雨棚、彩钢板房，封闭式防盗窗，易燃可燃装饰装修材料。Combustible "
       "canopies or sheds, closed anti-theft bars, flammable decoration materials.",
       "违章搭建,防盗窗,彩钢板,装修,combustible,decoration,anti-theft bars",
       true,
       {BuildingName(), Floor()}},
      {hv1::HAZARD_CATEGORY_MUNICIPAL_HYDRANT,
       "",
       "市政消火栓损坏",
       "市政消火栓损坏、被拆除、被圈占或阀门关闭。Street fire hydrant damaged, removed, "
       "enclosed or shut off.",
       "消火栓,市政,hydrant",
       true,
       {}},
      {hv1::HAZARD_CATEGORY_INDOOR_HYDRANT_NO_WATER,
       "",
       "室内消火栓无水",
       "楼内消火栓无水、水带水枪缺失。Indoor fire hydrant without water, hose or nozzle missing.",
       "室内消火栓,无水,indoor hydrant,no water",
       true,
       {BuildingName(), Floor()}},
      {hv1::HAZARD_CATEGORY_OLD_BUILDING_FACILITIES,
       "",
       "老旧楼宇消防设施缺失",
       "老旧小区、高层住宅消防设施缺失或年久失修。Old residential building with missing or "
       "worn-out fire facilities.",
       "老旧小区,老旧楼宇,old building",
       true,
       {BuildingName()}},
      {hv1::HAZARD_CATEGORY_CONSTRUCTION_SITE,
       "",
       "施工现场消防隐患",
       "施工现场违规动火、可燃材料堆放、消防设施缺失。Construction site: hot work without "
       "permit, combustible materials, missing fire equipment.",
       "施工,动火,电焊,construction,welding",
       true,
       {BuildingName(), Floor()}},
      {hv1::HAZARD_CATEGORY_CONTROL_ROOM_UNMANNED,
       "",
       "消防控制室无人值守",
       "消防控制室无人值班或值班人员无证。Fire control room unmanned or staffed without "
       "certificate.",
       "消防控制室,值班,control room",
       true,
       {BuildingName()}},
      // Not offered to the public (found by inspections or records), named for reading.
      {hv1::HAZARD_CATEGORY_FIRE_ACCESS_UNMARKED,
       "",
       "消防车道未标识",
       "消防车道、登高场地未划线、注名、立牌。Fire lane or rescue site not marked.",
       "",
       false,
       {}},
      {hv1::HAZARD_CATEGORY_FIRE_LANE_GEOMETRY,
       "",
       "消防车道不符合要求",
       "消防车道宽度、净高、坡度、转弯半径不符合要求。Fire lane geometry non-compliant.",
       "",
       false,
       {}},
      {hv1::HAZARD_CATEGORY_BUILDER_PRODUCT_VIOLATION,
       "",
       "建设单位、消防产品违法",
       "建设单位或消防产品违法违规。Builder or fire product violation.",
       "",
       false,
       {}},
      {hv1::HAZARD_CATEGORY_RESPONSIBILITY_NOT_FILED,
       "",
       "消防安全责任未落实",
       "未明确管理单位或消防安全责任人。No management unit or responsible person filed.",
       "",
       false,
       {}},
  };
  for (ServiceEntry& e : t) e.code = ServiceCodeOf(e.category);
  return t;
}

}  // namespace

std::string ServiceCodeOf(hv1::HazardCategory category) {
  absl::string_view name = hv1::HazardCategory_Name(category);
  absl::ConsumePrefix(&name, "HAZARD_CATEGORY_");
  return absl::AsciiStrToLower(name);
}

const std::vector<ServiceEntry>& AllServices() {
  static const auto* table = new std::vector<ServiceEntry>(MakeTable());
  return *table;
}

const ServiceEntry* FindPublicService(absl::string_view code) {
  for (const ServiceEntry& e : AllServices()) {
    if (e.is_public && e.code == code) return &e;
  }
  return nullptr;
}

const ServiceEntry& ServiceOfCategory(hv1::HazardCategory category) {
  for (const ServiceEntry& e : AllServices()) {
    if (e.category == category) return e;
  }
  static const auto* unknown = new ServiceEntry{hv1::HAZARD_CATEGORY_UNSPECIFIED,
                                                "other",
                                                "其他消防隐患",
                                                "其他消防隐患。Other fire hazard.",
                                                "",
                                                false,
                                                {}};
  return *unknown;
}

}  // namespace firegrid::gateway::open311
