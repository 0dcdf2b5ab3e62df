#include "libs/accounts/totp.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace firegrid::accounts {
namespace {

// RFC 4648 §10.
TEST(Base32, EncodesTheRfc4648TestVectorsWithoutPadding) {
  const std::vector<std::pair<std::string, std::string>> cases = {{"", ""},
                                                                  {"f", "MY"},
                                                                  {"fo", "MZXQ"},
                                                                  {"foo", "MZXW6"},
                                                                  {"foob", "MZXW6YQ"},
                                                                  {"fooba", "MZXW6YTB"},
                                                                  {"foobar", "MZXW6YTBOI"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base32Encode(plain), encoded) << plain;
    absl::StatusOr<std::string> back = Base32Decode(encoded);
    ASSERT_TRUE(back.ok()) << encoded;
    EXPECT_EQ(*back, plain);
  }
}

TEST(Base32, DecodesPaddedLowerCaseAndSpacedText) {
  EXPECT_EQ(*Base32Decode("MZXW6YTBOI======"), "foobar");
  EXPECT_EQ(*Base32Decode("mzxw 6ytb oi"), "foobar");
}

TEST(Base32, RefusesOtherCharactersAndImpossibleLengths) {
  EXPECT_FALSE(Base32Decode("MZXW1").ok());  // '1' is not in the alphabet
  EXPECT_FALSE(Base32Decode("M").ok());      // 1 symbol cannot end a group
  EXPECT_FALSE(Base32Decode("MZX").ok());
  EXPECT_FALSE(Base32Decode("MY==MY").ok());
}

// RFC 4226 Appendix D: secret "12345678901234567890", counters 0..9.
TEST(Hotp, MatchesTheRfc4226TestValues) {
  const std::string secret = "12345678901234567890";
  const char* want[] = {"755224", "287082", "359152", "969429", "338314",
                        "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t c = 0; c < 10; ++c) EXPECT_EQ(Hotp(secret, c), want[c]) << c;
}

// RFC 6238 Appendix B (SHA1, 8 digits).
TEST(Totp, MatchesTheRfc6238TestValues) {
  const std::string secret = "12345678901234567890";
  const std::vector<std::pair<int64_t, std::string>> cases = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& [t, code] : cases) {
    EXPECT_EQ(Hotp(secret, TotpStep(absl::FromUnixSeconds(t)), 8), code) << t;
  }
}

TEST(Totp, AcceptsTheCurrentCodeAndOneStepOfDriftEitherWay) {
  const std::string secret = "12345678901234567890";
  const absl::Time now = absl::FromUnixSeconds(1111111111);
  const uint64_t step = TotpStep(now);
  EXPECT_EQ(VerifyTotp(secret, Hotp(secret, step), now), step);
  EXPECT_EQ(VerifyTotp(secret, Hotp(secret, step - 1), now), step - 1);
  EXPECT_EQ(VerifyTotp(secret, Hotp(secret, step + 1), now), step + 1);
  EXPECT_FALSE(VerifyTotp(secret, Hotp(secret, step - 2), now).has_value());
  EXPECT_FALSE(VerifyTotp(secret, Hotp(secret, step + 2), now).has_value());
}

TEST(Totp, ACodeCannotBeUsedTwiceNorAnOlderOneAfterIt) {
  const std::string secret = "12345678901234567890";
  const absl::Time now = absl::FromUnixSeconds(1234567890);
  const uint64_t step = TotpStep(now);
  std::optional<uint64_t> used = VerifyTotp(secret, Hotp(secret, step), now);
  ASSERT_EQ(used, step);
  EXPECT_FALSE(VerifyTotp(secret, Hotp(secret, step), now, used).has_value());
  EXPECT_FALSE(VerifyTotp(secret, Hotp(secret, step - 1), now, used).has_value());
  EXPECT_EQ(VerifyTotp(secret, Hotp(secret, step + 1), now, used), step + 1);
}

TEST(Totp, RefusesCodesThatAreNotSixDigits) {
  const std::string secret = "12345678901234567890";
  const absl::Time now = absl::FromUnixSeconds(59);
  const std::string good = Hotp(secret, TotpStep(now));
  EXPECT_TRUE(VerifyTotp(secret, good, now).has_value());
  EXPECT_FALSE(VerifyTotp(secret, good.substr(0, 5), now).has_value());
  EXPECT_FALSE(VerifyTotp(secret, good + "0", now).has_value());
  EXPECT_FALSE(VerifyTotp(secret, "12a456", now).has_value());
}

TEST(Totp, NewSecretsAreTwentyRandomBytesAndEnrolThroughAnOtpauthUri) {
  const std::string a = NewTotpSecret();
  const std::string b = NewTotpSecret();
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a, b);
  EXPECT_EQ(TotpUri("firegrid", "王 伟", "foobar"),
            "otpauth://totp/firegrid:%E7%8E%8B%20%E4%BC%9F?secret=MZXW6YTBOI&issuer=firegrid"
            "&algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace firegrid::accounts
