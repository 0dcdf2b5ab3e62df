#include "libs/subjects/party.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::subjects {
namespace {

using ::testing::HasSubstr;

// Codes whose check characters are published (GB 32100's worked example and registered
// enterprises), and identity numbers of GB 11643's own examples.
TEST(CreditCode, AcceptsPublishedCodesWithTheirCheckCharacters) {
  for (const char* code : {"91350100M000100Y43", "91110000600037341L", "91440300708461136T"}) {
    EXPECT_TRUE(ValidateCreditCode(code, "c").ok()) << code;
  }
}

TEST(CreditCode, ComputesTheCheckCharacter) {
  EXPECT_EQ(CreditCodeCheckCharacter("91350100M000100Y4"), '3');
  EXPECT_EQ(CreditCodeCheckCharacter("91110000600037341"), 'L');
  EXPECT_EQ(CreditCodeCheckCharacter("9135010OM000100Y4"), '\0');  // O is not in the set
}

TEST(CreditCode, RejectsAWrongCheckCharacterSayingWhichItShouldBe) {
  absl::Status s = ValidateCreditCode("91500000202803299N", "party.credit_code");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("party.credit_code"));
  EXPECT_THAT(s.message(), HasSubstr("check character is N"));
  EXPECT_THAT(s.message(), HasSubstr("give 3"));
}

TEST(CreditCode, RejectsAWrongLength) {
  absl::Status s = ValidateCreditCode("91350100M000100Y4", "f");
  EXPECT_THAT(s.message(), HasSubstr("18 characters, not 17"));
  EXPECT_THAT(ValidateCreditCode("", "f").message(), HasSubstr("not 0"));
}

TEST(CreditCode, RejectsCharactersOutsideTheSetNamingThePosition) {
  // I, O, S, V, Z and lower case are not part of GB 32100's set.
  for (const char* code : {"91350100M000100I43", "91350100M000100O43", "91350100M000100S43",
                           "91350100M000100V43", "91350100M000100Z43", "91350100m000100Y43"}) {
    absl::Status s = ValidateCreditCode(code, "f");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << code;
    EXPECT_THAT(s.message(), HasSubstr("character set")) << code;
  }
  EXPECT_THAT(ValidateCreditCode("91350100M000100I43", "f").message(), HasSubstr("character 16"));
}

TEST(CreditCode, RequiresDigitsInTheDivisionCode) {
  // Valid check character for the string, but position 4 is a letter.
  std::string code = "913A0100M000100Y4";
  code += CreditCodeCheckCharacter(code);
  EXPECT_THAT(ValidateCreditCode(code, "f").message(), HasSubstr("administrative-division"));
}

TEST(PersonId, AcceptsTheStandardsExamples) {
  EXPECT_TRUE(ValidatePersonId("11010519491231002X", "p").ok());
  EXPECT_TRUE(ValidatePersonId("440524188001010014", "p").ok());
  EXPECT_EQ(PersonIdCheckCharacter("11010519491231002"), 'X');
}

TEST(PersonId, RejectsAWrongCheckCharacterLengthOrDate) {
  EXPECT_THAT(ValidatePersonId("110105194912310021", "p").message(), HasSubstr("check character"));
  EXPECT_THAT(ValidatePersonId("11010519491231002", "p").message(), HasSubstr("18 characters"));
  EXPECT_THAT(ValidatePersonId("11010519491331002X", "p").message(), HasSubstr("birth date"));
  EXPECT_THAT(ValidatePersonId("1101051949123100AX", "p").message(), HasSubstr("digits"));
  EXPECT_THAT(ValidatePersonId("11010519491231002Y", "p").message(), HasSubstr("digit or X"));
}

TEST(PersonId, ErrorsNeverRepeatTheNumber) {
  absl::Status s = ValidatePersonId("110105194912310021", "p");
  EXPECT_THAT(std::string(s.message()), ::testing::Not(HasSubstr("1101051949")));
}

TEST(PersonId, MaskKeepsTheFirstSixAndLastFour) {
  EXPECT_EQ(MaskPersonId("11010519491231002X"), "110105********002X");
  EXPECT_EQ(MaskPersonId("12345"), "*****");
  EXPECT_EQ(MaskPersonId(""), "");
}

TEST(Party, NeedsRoleNameAndExactlyOneIdentifier) {
  v1::Party p;
  EXPECT_THAT(ValidateParty(p, "building.parties[0]").message(),
              HasSubstr("building.parties[0].role"));
  p.set_role(v1::PARTY_ROLE_OWNER);
  EXPECT_THAT(ValidateParty(p, "x").message(), HasSubstr("x.name"));
  p.set_name("重庆某置业有限公司");
  EXPECT_THAT(ValidateParty(p, "x").message(), HasSubstr("x.credit_code: required"));
  p.set_credit_code("91350100M000100Y43");
  EXPECT_TRUE(ValidateParty(p, "x").ok());
  p.set_person_id("11010519491231002X");
  EXPECT_THAT(ValidateParty(p, "x").message(), HasSubstr("not both"));
  p.clear_credit_code();
  EXPECT_TRUE(ValidateParty(p, "x").ok());
  p.set_person_id("110105194912310021");
  EXPECT_THAT(ValidateParty(p, "x").message(), HasSubstr("x.person_id"));
}

TEST(Party, NormalizeUpperCasesCodesAndMaskHidesPersons) {
  v1::Party p;
  p.set_role(v1::PARTY_ROLE_OCCUPANT);
  p.set_name(" 张三 ");
  p.set_person_id("11010519491231002x");
  NormalizeParty(&p);
  EXPECT_EQ(p.name(), "张三");
  EXPECT_TRUE(ValidateParty(p, "x").ok());
  MaskParty(&p);
  EXPECT_EQ(p.person_id(), "110105********002X");
}

TEST(SubjectTypes, FollowTheRoleAndRoundTripTheirNames) {
  EXPECT_EQ(SubjectTypeOf(v1::PARTY_ROLE_PROPERTY_COMPANY), v1::SUBJECT_TYPE_MANAGER);
  EXPECT_EQ(SubjectTypeOf(v1::PARTY_ROLE_MANAGEMENT_UNIT), v1::SUBJECT_TYPE_MANAGER);
  EXPECT_EQ(SubjectTypeOf(v1::PARTY_ROLE_OCCUPANT), v1::SUBJECT_TYPE_USER);
  EXPECT_EQ(SubjectTypeOf(v1::PARTY_ROLE_MAINTENANCE_AGENCY), v1::SUBJECT_TYPE_SERVICE_AGENCY);
  for (auto t : {v1::SUBJECT_TYPE_OWNER, v1::SUBJECT_TYPE_USER, v1::SUBJECT_TYPE_MANAGER,
                 v1::SUBJECT_TYPE_SERVICE_AGENCY, v1::SUBJECT_TYPE_BUILDER}) {
    EXPECT_EQ(ParseSubjectType(SubjectTypeName(t)), t);
  }
  EXPECT_EQ(ParseSubjectType("agency"), v1::SUBJECT_TYPE_UNSPECIFIED);
}

}  // namespace
}  // namespace firegrid::subjects
