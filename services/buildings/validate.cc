#include "services/buildings/validate.h"

#include <cmath>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/common/status.h"
#include "libs/subjects/party.h"

namespace firegrid::buildings {

bool ValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    int n;
    if (c < 0x80) {
      n = 0;
    } else if ((c >> 5) == 6) {
      n = 1;
    } else if ((c >> 4) == 14) {
      n = 2;
    } else if ((c >> 3) == 30) {
      n = 3;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (int k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n + 1;
  }
  return true;
}

namespace {

bool ValidSlug(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

absl::Status ValidatePerson(const v1::Person& p, const std::string& field, bool required) {
  FG_RETURN_IF_ERROR(ValidateText(p.name(), field + ".name", required, 100));
  if (!p.phone().empty()) {
    if (p.phone().size() < 5 || p.phone().size() > 20) {
      return InvalidField(field + ".phone", "must be 5 to 20 characters");
    }
    for (char c : p.phone()) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != ' ') {
        return InvalidField(field + ".phone", "may hold digits, '+', '-' and spaces only");
      }
    }
  } else if (required) {
    return InvalidField(field + ".phone", "is required");
  }
  if (p.subject().size() > 128) return InvalidField(field + ".subject", "at most 128 bytes");
  return absl::OkStatus();
}

absl::Status NonNegativeFinite(double v, const std::string& field, double max) {
  if (!std::isfinite(v) || v < 0 || v > max) {
    return InvalidField(field, absl::StrCat("must be a number in [0, ", max, "]"));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsDivisionCode(const std::string& code) { return DivisionLevel(code) > 0; }

int DivisionLevel(const std::string& code) {
  for (char c : code) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return 0;
  }
  switch (code.size()) {
    case 6:
      return 1;
    case 9:
      return 2;
    case 12:
      return 3;
    default:
      return 0;
  }
}

absl::Status ValidateText(const std::string& value, const std::string& field, bool required,
                          size_t max_bytes) {
  if (required && absl::StripAsciiWhitespace(value).empty()) {
    return InvalidField(field, "is required");
  }
  if (value.size() > max_bytes) {
    return InvalidField(field, absl::StrCat("at most ", max_bytes, " bytes"));
  }
  if (!ValidUtf8(value)) return InvalidField(field, "is not valid UTF-8");
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) return InvalidField(field, "must not hold control characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateOrgUnitShape(const v1::OrgUnit& u) {
  FG_RETURN_IF_ERROR(ValidateText(u.name(), "org_unit.name", true, 200));
  FG_RETURN_IF_ERROR(ValidateText(u.contact_phone(), "org_unit.contact_phone", false, 20));
  if (!u.tier_path().empty()) return InvalidField("org_unit.tier_path", "is server-owned");
  const int level = DivisionLevel(u.code());
  switch (u.kind()) {
    case v1::ORG_UNIT_KIND_DISTRICT:
      if (level != 1) return InvalidField("org_unit.code", "a district has a 6-digit code");
      if (!u.parent_code().empty()) {
        return InvalidField("org_unit.parent_code", "a district has no parent");
      }
      return absl::OkStatus();
    case v1::ORG_UNIT_KIND_STREET:
    case v1::ORG_UNIT_KIND_TOWN:
      if (level != 2) return InvalidField("org_unit.code", "a street or town has a 9-digit code");
      if (u.parent_code() != u.code().substr(0, 6)) {
        return InvalidField("org_unit.parent_code",
                            "must be the district code the code begins with");
      }
      return absl::OkStatus();
    case v1::ORG_UNIT_KIND_COMMUNITY:
    case v1::ORG_UNIT_KIND_VILLAGE:
      if (level != 3) {
        return InvalidField("org_unit.code", "a community or village has a 12-digit code");
      }
      if (u.parent_code() != u.code().substr(0, 9)) {
        return InvalidField("org_unit.parent_code",
                            "must be the street or town code the code begins with");
      }
      return absl::OkStatus();
    case v1::ORG_UNIT_KIND_DEPARTMENT:
    case v1::ORG_UNIT_KIND_ENTERPRISE: {
      if (!IsDivisionCode(u.parent_code())) {
        return InvalidField("org_unit.parent_code", "must be a district, street or community code");
      }
      const std::string prefix = u.parent_code() + ".";
      if (u.code().rfind(prefix, 0) != 0 || !ValidSlug(u.code().substr(prefix.size()), 64)) {
        return InvalidField("org_unit.code",
                            "must be '<parent code>.<slug>' with a slug of [a-z0-9_-]");
      }
      return absl::OkStatus();
    }
    default:
      return InvalidField("org_unit.kind", "is required");
  }
}

absl::Status ValidateLocation(const v1::GeoPoint& p, const std::string& field) {
  if (!std::isfinite(p.latitude()) || p.latitude() < -85.05 || p.latitude() > 85.05) {
    return InvalidField(field + ".latitude", "must be in [-85.05, 85.05]");
  }
  if (!std::isfinite(p.longitude()) || p.longitude() < -180 || p.longitude() > 180) {
    return InvalidField(field + ".longitude", "must be in [-180, 180]");
  }
  if (p.latitude() == 0 && p.longitude() == 0) return InvalidField(field, "is required");
  return absl::OkStatus();
}

absl::Status ValidateBuildingFields(const v1::Building& b, const std::string& prefix,
                                    absl::Time now) {
  FG_RETURN_IF_ERROR(ValidateText(b.name(), prefix + "name", true, 300));
  FG_RETURN_IF_ERROR(ValidateText(b.address(), prefix + "address", false, 600));
  if (DivisionLevel(b.tier_path()) != 3) {
    return InvalidField(prefix + "tier_path",
                        "must be the 12-digit code of a community or village");
  }
  if (!b.has_location()) return InvalidField(prefix + "location", "is required");
  FG_RETURN_IF_ERROR(ValidateLocation(b.location(), prefix + "location"));
  if (b.use() == v1::BUILDING_USE_UNSPECIFIED || !v1::BuildingUse_IsValid(b.use())) {
    return InvalidField(prefix + "use", "is required");
  }
  if (!std::isfinite(b.height_m()) || b.height_m() <= 0 || b.height_m() > 1000) {
    return InvalidField(prefix + "height_m", "must be in (0, 1000]");
  }
  if (b.floors_above_ground() < 1 || b.floors_above_ground() > 200) {
    return InvalidField(prefix + "floors_above_ground", "must be in [1, 200]");
  }
  if (b.floors_below_ground() < 0 || b.floors_below_ground() > 20) {
    return InvalidField(prefix + "floors_below_ground", "must be in [0, 20]");
  }
  const int this_year = absl::ToCivilYear(now, absl::UTCTimeZone()).year();
  if (b.year_built() != 0 && (b.year_built() < 1900 || b.year_built() > this_year)) {
    return InvalidField(prefix + "year_built", absl::StrCat("must be in [1900, ", this_year, "]"));
  }
  return absl::OkStatus();
}

absl::Status NormalizeAndValidateParties(
    google::protobuf::RepeatedPtrField<firegrid::subjects::v1::Party>* parties,
    const std::string& prefix) {
  if (parties->size() > kMaxParties) {
    return InvalidField(prefix + "parties", absl::StrCat("at most ", kMaxParties, " parties"));
  }
  std::map<std::string, int> seen;  // role and code → index
  for (int i = 0; i < parties->size(); ++i) {
    firegrid::subjects::v1::Party* party = parties->Mutable(i);
    const std::string field = absl::StrCat(prefix, "parties[", i, "]");
    subjects::NormalizeParty(party);
    FG_RETURN_IF_ERROR(subjects::ValidateParty(*party, field));
    const std::string key =
        absl::StrCat(party->role(), party->credit_code().empty() ? " id " : " org ",
                     party->credit_code().empty() ? party->person_id() : party->credit_code());
    auto [first, fresh] = seen.emplace(key, i);
    if (!fresh) {
      return InvalidField(field, absl::StrCat("names the same party in the same role as parties[",
                                              first->second, "]"));
    }
  }
  return absl::OkStatus();
}

absl::Status RejectServerOwnedFields(const v1::Building& b, const std::string& prefix) {
  auto owned = [&](const char* field) {
    return InvalidField(prefix + field, "is server-owned and cannot be set");
  };
  if (!b.building_id().empty()) return owned("building_id");
  if (b.building_class() != v1::BUILDING_CLASS_UNSPECIFIED) {
    return InvalidField(prefix + "building_class",
                        "is derived from height and use and cannot be set");
  }
  if (b.has_responsibility()) return owned("responsibility");
  if (!b.facilities().empty()) return owned("facilities");
  if (!b.fire_lanes().empty()) return owned("fire_lanes");
  if (!b.rescue_sites().empty()) return owned("rescue_sites");
  if (b.fire_access_compliant()) return owned("fire_access_compliant");
  if (b.fire_access_violations() != 0) return owned("fire_access_violations");
  if (b.version() != 0) return owned("version");
  if (b.has_created_at()) return owned("created_at");
  if (b.has_updated_at()) return owned("updated_at");
  return absl::OkStatus();
}

absl::Status ValidateChain(const v1::ResponsibilityChain& c, bool three_nos,
                           const std::string& prefix) {
  FG_RETURN_IF_ERROR(ValidateText(c.management_unit(), prefix + "management_unit", true, 200));
  FG_RETURN_IF_ERROR(ValidatePerson(c.responsible_person(), prefix + "responsible_person", true));
  FG_RETURN_IF_ERROR(ValidatePerson(c.manager(), prefix + "manager", true));
  FG_RETURN_IF_ERROR(ValidatePerson(c.building_head(), prefix + "building_head", true));
  FG_RETURN_IF_ERROR(
      ValidateText(c.property_company(), prefix + "property_company", !three_nos, 200));
  return absl::OkStatus();
}

absl::Status ValidateFireAccess(const v1::SetFireAccessRequest& req) {
  if (req.fire_lanes_size() > 50) return InvalidField("fire_lanes", "at most 50");
  if (req.rescue_sites_size() > 50) return InvalidField("rescue_sites", "at most 50");
  std::set<std::string> ids;
  for (int i = 0; i < req.fire_lanes_size(); ++i) {
    const auto& l = req.fire_lanes(i);
    const std::string f = absl::StrCat("fire_lanes[", i, "].");
    if (!ValidSlug(l.lane_id(), 40))
      return InvalidField(f + "lane_id", "must be 1-40 of [a-z0-9_-]");
    if (!ids.insert(l.lane_id()).second) return InvalidField(f + "lane_id", "is not unique");
    FG_RETURN_IF_ERROR(ValidateText(l.name(), f + "name", false, 200));
    FG_RETURN_IF_ERROR(NonNegativeFinite(l.clear_width_m(), f + "clear_width_m", 100));
    FG_RETURN_IF_ERROR(NonNegativeFinite(l.clear_height_m(), f + "clear_height_m", 100));
    FG_RETURN_IF_ERROR(NonNegativeFinite(l.slope_percent(), f + "slope_percent", 100));
    FG_RETURN_IF_ERROR(NonNegativeFinite(l.turning_radius_m(), f + "turning_radius_m", 1000));
    FG_RETURN_IF_ERROR(NonNegativeFinite(l.load_capacity_t(), f + "load_capacity_t", 1000));
    FG_RETURN_IF_ERROR(NonNegativeFinite(l.length_m(), f + "length_m", 100000));
  }
  ids.clear();
  for (int i = 0; i < req.rescue_sites_size(); ++i) {
    const auto& s = req.rescue_sites(i);
    const std::string f = absl::StrCat("rescue_sites[", i, "].");
    if (!ValidSlug(s.site_id(), 40))
      return InvalidField(f + "site_id", "must be 1-40 of [a-z0-9_-]");
    if (!ids.insert(s.site_id()).second) return InvalidField(f + "site_id", "is not unique");
    FG_RETURN_IF_ERROR(ValidateText(s.name(), f + "name", false, 200));
    FG_RETURN_IF_ERROR(NonNegativeFinite(s.length_m(), f + "length_m", 1000));
    FG_RETURN_IF_ERROR(NonNegativeFinite(s.width_m(), f + "width_m", 1000));
    FG_RETURN_IF_ERROR(NonNegativeFinite(s.slope_percent(), f + "slope_percent", 100));
    FG_RETURN_IF_ERROR(NonNegativeFinite(s.load_capacity_t(), f + "load_capacity_t", 1000));
  }
  return absl::OkStatus();
}

bool IsUpdatablePath(const std::string& path) {
  static const std::set<std::string>* kPaths = new std::set<std::string>{"name",
                                                                         "address",
                                                                         "tier_path",
                                                                         "location",
                                                                         "use",
                                                                         "height_m",
                                                                         "floors_above_ground",
                                                                         "floors_below_ground",
                                                                         "large_mixed_use",
                                                                         "three_nos",
                                                                         "old_residential",
                                                                         "year_built",
                                                                         "parties"};
  return kPaths->count(path) > 0;
}

}  // namespace firegrid::buildings
