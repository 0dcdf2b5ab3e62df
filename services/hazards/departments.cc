#include "services/hazards/departments.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "libs/common/status.h"

namespace firegrid::hazards {

// Generated from config/departments.textproto (departments_shipped.cc.in).
extern const char kShippedDepartmentsText[];

namespace {

bool IsSlug(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

absl::StatusOr<Departments> Parse(const std::string& text, const std::string& source) {
  ::firegrid::config::v1::DepartmentBook book;
  if (!google::protobuf::TextFormat::ParseFromString(text, &book)) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not a valid DepartmentBook"));
  }
  auto d = Departments::Create(std::move(book));
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(source, ": ", d.status().message()));
  return d;
}

}  // namespace

absl::StatusOr<Departments> Departments::Create(::firegrid::config::v1::DepartmentBook book) {
  Departments d;
  for (int i = 0; i < book.departments_size(); ++i) {
    const Entry& e = book.departments(i);
    const std::string where = absl::StrCat("departments[", i, "]");
    if (!IsSlug(e.slug())) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".slug: '", e.slug(), "' is not [a-z0-9_]+ (at most 64)"));
    }
    if (e.name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".name: required (", e.slug(), ")"));
    }
    if (e.kind() == ::firegrid::config::v1::DEPARTMENT_KIND_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".kind: required (", e.slug(), ")"));
    }
    if (!d.index_.emplace(e.slug(), d.entries_.size()).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".slug: '", e.slug(), "' twice"));
    }
    d.entries_.push_back(e);
  }
  if (d.entries_.empty()) return absl::InvalidArgumentError("departments: none listed");
  return d;
}

absl::StatusOr<Departments> Departments::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path);
}

const Departments& Departments::Shipped() {
  static const Departments* shipped = [] {
    auto d = Parse(kShippedDepartmentsText, "config/departments.textproto (built in)");
    // The build's own file: a broken one fails its unit test before it ships.
    return new Departments(d.ok() ? *std::move(d) : Departments());
  }();
  return *shipped;
}

absl::StatusOr<Departments> Departments::LoadFileOrShipped(const std::string& path) {
  if (path.empty())
    return Parse(kShippedDepartmentsText, "config/departments.textproto (built in)");
  return LoadFile(path);
}

const Departments::Entry* Departments::Find(const std::string& slug) const {
  auto it = index_.find(slug);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

std::string Departments::Name(const std::string& slug) const {
  const Entry* e = Find(slug);
  return e == nullptr ? slug : e->name();
}

std::string DepartmentOrgUnit(const std::string& district, const std::string& slug) {
  return absl::StrCat(district, ".", slug);
}

}  // namespace firegrid::hazards
