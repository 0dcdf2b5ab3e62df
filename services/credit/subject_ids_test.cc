#include "services/credit/subject_ids.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::credit {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

subjects::v1::Party Person(const std::string& id) {
  subjects::v1::Party p;
  p.set_role(subjects::v1::PARTY_ROLE_OCCUPANT);
  p.set_name("张三");
  p.set_person_id(id);
  return p;
}

TEST(SubjectIdsTest, OrganisationIdIsItsCreditCode) {
  subjects::v1::Party p;
  p.set_credit_code("91350100M000100Y43");
  EXPECT_EQ(SubjectIds("k").IdOf(p), "org:91350100M000100Y43");
  EXPECT_TRUE(SubjectIds::IsSubjectId("org:91350100M000100Y43"));
}

TEST(SubjectIdsTest, PersonIdIsAKeyedHashNeverContainingTheNumber) {
  const std::string number = "11010519491231002X";
  const std::string id = SubjectIds("key-1").IdOf(Person(number));
  EXPECT_THAT(id, MatchesRegex("person:[0-9a-f]{24}"));
  EXPECT_THAT(id, Not(HasSubstr("11010519491231")));
  EXPECT_THAT(id, Not(HasSubstr("002X")));
  EXPECT_TRUE(SubjectIds::IsSubjectId(id));
}

TEST(SubjectIdsTest, PersonIdIsStableForOneKey) {
  EXPECT_EQ(SubjectIds("key-1").IdOf(Person("11010519491231002X")),
            SubjectIds("key-1").IdOf(Person("11010519491231002X")));
}

TEST(SubjectIdsTest, PersonIdDependsOnTheKeyAndTheNumber) {
  const std::string a = SubjectIds("key-1").IdOf(Person("11010519491231002X"));
  EXPECT_NE(a, SubjectIds("key-2").IdOf(Person("11010519491231002X")));
  EXPECT_NE(a, SubjectIds("key-1").IdOf(Person("440524188001010014")));
}

TEST(SubjectIdsTest, MaskedOrInvalidIdentifiersNameNoOne) {
  SubjectIds ids("k");
  EXPECT_EQ(ids.IdOf(Person("110105********002X")), "");
  subjects::v1::Party bad_code;
  bad_code.set_credit_code("91350100M000100Y44");  // wrong check character
  EXPECT_EQ(ids.IdOf(bad_code), "");
  EXPECT_EQ(ids.IdOf(subjects::v1::Party()), "");
}

TEST(SubjectIdsTest, UnnormalisedIdentifiersNameTheSameSubject) {
  SubjectIds ids("k");
  subjects::v1::Party lower;
  lower.set_credit_code(" 91350100m000100y43");
  EXPECT_EQ(ids.IdOf(lower), "org:91350100M000100Y43");
  EXPECT_EQ(ids.IdOf(Person("11010519491231002x")), ids.IdOf(Person("11010519491231002X")));
}

TEST(SubjectIdsTest, BareCodesAndOtherShapesAreNotSubjectIds) {
  EXPECT_FALSE(SubjectIds::IsSubjectId("91350100M000100Y43"));
  EXPECT_FALSE(SubjectIds::IsSubjectId("person:ABCDEF0123456789abcdef01"));
  EXPECT_FALSE(SubjectIds::IsSubjectId("person:0123"));
  EXPECT_FALSE(SubjectIds::IsSubjectId("org:91350100M000100Y44"));
}

}  // namespace
}  // namespace firegrid::credit
