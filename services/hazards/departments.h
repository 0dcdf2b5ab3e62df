#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "firegrid/config/v1/departments.pb.h"

namespace firegrid::hazards {

// The district's departments and utilities (config/departments.textproto): the one source of
// department ids for the hazards rules, the org units ("<district>.<slug>"), notify's recipients
// and its plan. See protos/firegrid/config/v1/departments.proto.
class Departments {
 public:
  using Entry = ::firegrid::config::v1::DepartmentEntry;

  // Slugs are [a-z0-9_]+ and unique; name and kind are required. Errors name the entry.
  static absl::StatusOr<Departments> Create(::firegrid::config::v1::DepartmentBook book);
  static absl::StatusOr<Departments> LoadFile(const std::string& path);
  // The copy of config/departments.textproto this binary was built with.
  static const Departments& Shipped();
  // `path` when non-empty, else Shipped().
  static absl::StatusOr<Departments> LoadFileOrShipped(const std::string& path);

  bool Contains(const std::string& slug) const { return index_.count(slug) > 0; }
  // nullptr for an unknown slug.
  const Entry* Find(const std::string& slug) const;
  // The name the plan uses, or the slug itself when unknown.
  std::string Name(const std::string& slug) const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
  std::map<std::string, size_t> index_;
};

// The org unit code of a department of a district: "<district>.<slug>".
std::string DepartmentOrgUnit(const std::string& district, const std::string& slug);

}  // namespace firegrid::hazards
