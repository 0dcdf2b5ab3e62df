#include "services/hazards/departments.h"

#include <fstream>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::hazards {
namespace {

using ::firegrid::config::v1::DepartmentBook;
using ::testing::HasSubstr;

TEST(Departments, TheShippedFileLoadsAndItsBuiltInCopyIsTheSameFile) {
  auto from_file = Departments::LoadFile(FIREGRID_DEPARTMENTS);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  auto built_in = Departments::LoadFileOrShipped("");
  ASSERT_TRUE(built_in.ok()) << built_in.status();
  ASSERT_EQ(from_file->entries().size(), Departments::Shipped().entries().size());
  for (const auto& e : from_file->entries()) {
    const auto* shipped = Departments::Shipped().Find(e.slug());
    ASSERT_NE(shipped, nullptr) << e.slug();
    EXPECT_EQ(shipped->name(), e.name());
  }
}

TEST(Departments, UtilitiesAreEnterprisesUnderTheSlugsTheRoutingUses) {
  for (const char* slug : {"gas_company", "power_company", "water_company"}) {
    const auto* e = Departments::Shipped().Find(slug);
    ASSERT_NE(e, nullptr) << slug;
    EXPECT_EQ(e->kind(), ::firegrid::config::v1::DEPARTMENT_KIND_ENTERPRISE) << slug;
  }
  EXPECT_EQ(Departments::Shipped().Name("gas_company"), "供气企业");
  EXPECT_EQ(DepartmentOrgUnit("500109", "gas_company"), "500109.gas_company");
}

TEST(Departments, RefusesBadSlugsDuplicatesAndMissingFieldsNamingTheEntry) {
  auto make = [](const std::string& slug, const std::string& name) {
    DepartmentBook b;
    auto* e = b.add_departments();
    e->set_slug(slug);
    e->set_name(name);
    e->set_kind(::firegrid::config::v1::DEPARTMENT_KIND_DEPARTMENT);
    return b;
  };
  EXPECT_THAT(Departments::Create(make("Gas Co", "x")).status().message(), HasSubstr("Gas Co"));
  EXPECT_THAT(Departments::Create(make("gas", "")).status().message(),
              HasSubstr("departments[0].name"));
  DepartmentBook twice = make("gas", "x");
  *twice.add_departments() = twice.departments(0);
  EXPECT_THAT(Departments::Create(twice).status().message(), HasSubstr("'gas' twice"));
  DepartmentBook no_kind = make("gas", "x");
  no_kind.mutable_departments(0)->clear_kind();
  EXPECT_THAT(Departments::Create(no_kind).status().message(), HasSubstr("kind"));
}

// docs/domain.md's department table lists exactly the departments file's slugs and names.
TEST(Departments, TheDomainDocsTableMatchesTheFile) {
  std::ifstream in(FIREGRID_DOMAIN_DOC);
  ASSERT_TRUE(in) << FIREGRID_DOMAIN_DOC;
  std::map<std::string, std::string> documented;  // slug → name
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## Departments";
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    const size_t end = line.find('`', 3);
    const std::string slug = line.substr(3, end - 3);
    const size_t cell = line.find("| ", end) + 2;
    documented[slug] = line.substr(cell, line.find(' ', cell) - cell);
  }
  std::map<std::string, std::string> shipped;
  for (const auto& e : Departments::Shipped().entries()) shipped[e.slug()] = e.name();
  EXPECT_EQ(documented, shipped);
}

}  // namespace
}  // namespace firegrid::hazards
