#include "libs/accounts/password.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::accounts {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Small parameters keep the tests fast; the algorithm and format are the production ones.
constexpr PasswordParams kFast{.memory_kib = 256, .passes = 1, .lanes = 1};

TEST(Password, AHashVerifiesItsPasswordAndNoOther) {
  absl::StatusOr<std::string> h = HashPassword("correct horse battery", kFast);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(*h, StartsWith("$argon2id$v=19$m=256,t=1,p=1$"));
  EXPECT_TRUE(VerifyPassword("correct horse battery", *h));
  EXPECT_FALSE(VerifyPassword("correct horse batterY", *h));
  EXPECT_FALSE(VerifyPassword("", *h));
}

TEST(Password, TheSamePasswordHashesDifferentlyEachTime) {
  EXPECT_NE(*HashPassword("correct horse battery", kFast),
            *HashPassword("correct horse battery", kFast));
}

TEST(Password, TheDefaultParametersAreMemoryHard) {
  absl::StatusOr<std::string> h = HashPassword("消防安全人人有责2026");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(*h, StartsWith("$argon2id$v=19$m=19456,t=2,p=1$"));
  EXPECT_TRUE(VerifyPassword("消防安全人人有责2026", *h));
  EXPECT_FALSE(NeedsRehash(*h));
}

TEST(Password, WeakerStoredParametersNeedARehash) {
  const std::string weak = *HashPassword("correct horse battery", kFast);
  EXPECT_TRUE(NeedsRehash(weak));
  EXPECT_FALSE(NeedsRehash(weak, kFast));
  EXPECT_TRUE(NeedsRehash("$2b$12$notargon"));
}

TEST(Password, MalformedOrForeignHashesVerifyNothing) {
  for (const char* bad : {"", "plain", "$argon2i$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
                          "$argon2id$v=16$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
                          "$argon2id$v=19$m=256,t=1$c2FsdHNhbHQ$aGFzaA"}) {
    EXPECT_FALSE(VerifyPassword("correct horse battery", bad)) << bad;
  }
}

TEST(Password, LengthAndEncodingAreCheckedNamingTheField) {
  for (const std::string& bad :
       {std::string("short"), std::string(129, 'a'), std::string("valid-but-\xff-byte")}) {
    absl::Status s = ValidatePassword(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr("password"));
    EXPECT_EQ(HashPassword(bad, kFast).status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(ValidatePassword("twelve bytes").ok());
}

}  // namespace
}  // namespace firegrid::accounts
