#include "libs/subjects/personal_data.h"

#include <string>

#include "gtest/gtest.h"
#include "libs/subjects/party.h"

namespace firegrid::subjects {
namespace {

TEST(MaskPhone, KeepsFirstThreeAndLastFourDigitsOfAMobileNumber) {
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
}

TEST(MaskPhone, KeepsSeparatorsAndMasksOnlyDigits) {
  EXPECT_EQ(MaskPhone("023-6123-4567"), "023-****-4567");
  EXPECT_EQ(MaskPhone("+86 138 1234 5678"), "+86 1** **** 5678");
}

TEST(MaskPhone, MasksShortNumbersWhole) {
  EXPECT_EQ(MaskPhone("119"), "***");
  EXPECT_EQ(MaskPhone("1234567"), "*******");
  EXPECT_EQ(MaskPhone(""), "");
}

TEST(MaskPhone, IsIdempotent) {
  EXPECT_EQ(MaskPhone(MaskPhone("13812345678")), "138****5678");
}

TEST(MaskName, KeepsTheFirstCharacterOfAChineseName) {
  EXPECT_EQ(MaskName("张三"), "张*");
  EXPECT_EQ(MaskName("欧阳修文"), "欧***");
  EXPECT_EQ(MaskName("Li Lei"), "L*****");
  EXPECT_EQ(MaskName(""), "");
  EXPECT_EQ(MaskName(MaskName("张三")), "张*");
}

TEST(MaskContact, MasksTheLocalPartOfAnEmailAddress) {
  EXPECT_EQ(MaskContact("zhang@example.org"), "z****@example.org");
}

TEST(MaskContact, MasksAnythingElseAsAPhoneNumber) {
  EXPECT_EQ(MaskContact("138-0000-1234"), "138-****-1234");
  EXPECT_EQ(MaskContact("13900000000"), "139****0000");
}

TEST(Masking, NoMaskedValueContainsTheMiddleOfTheOriginal) {
  const std::string phone = "13812345678";
  EXPECT_EQ(MaskPhone(phone).find("1234"), std::string::npos);
  EXPECT_EQ(MaskPersonId("50010919800101123X").find("19800101"), std::string::npos);
}

}  // namespace
}  // namespace firegrid::subjects
