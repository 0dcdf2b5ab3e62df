#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "firegrid/hazards/v1/hazards.pb.h"

namespace firegrid::gateway::open311 {

// The Open311 services: one per hazard category the public may report (the catalogue lives in
// services_table.cc, the one place to change it). A service's code is its HazardCategory name
// without the prefix, in lower case: HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED → "fire_access_occupied".

struct AttributeValue {
  std::string key;
  std::string name;
};

// A GeoReport v2 attribute (service definition, `metadata=true`): sent as attribute[<code>].
struct ServiceAttribute {
  std::string code;
  std::string datatype;  // "string" or "singlevaluelist"
  bool required = false;
  std::string description;
  std::vector<AttributeValue> values;  // singlevaluelist only
  size_t max_bytes = 100;              // string only
};

struct ServiceEntry {
  ::firegrid::hazards::v1::HazardCategory category;
  std::string code;
  std::string name;         // Chinese
  std::string description;  // Chinese, then English
  std::string keywords;     // comma-separated
  bool is_public = false;   // offered to the public channels
  std::vector<ServiceAttribute> attributes;
};

// Every category (the public ones first, in the order offered); names for all, so that a hazard
// moved to a category the public cannot choose (ChangeCategory) still reads well.
const std::vector<ServiceEntry>& AllServices();

// The public service with this code, or null.
const ServiceEntry* FindPublicService(absl::string_view code);

// The entry of a category (a generic one for an unknown category).
const ServiceEntry& ServiceOfCategory(::firegrid::hazards::v1::HazardCategory category);

// "fire_access_occupied" for HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED.
std::string ServiceCodeOf(::firegrid::hazards::v1::HazardCategory category);

}  // namespace firegrid::gateway::open311
