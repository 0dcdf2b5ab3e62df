// Webhook signatures: HMAC-SHA256 against the RFC 4231 vectors and the header format.
#include "services/notify/webhook_signing.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::notify {
namespace {

TEST(WebhookSignatureTest, HmacSha256MatchesRfc4231TestVectors) {
  // RFC 4231 test case 1: key = 20 bytes of 0x0b, data = "Hi There".
  EXPECT_EQ(HmacSha256Hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // RFC 4231 test case 2: key = "Jefe".
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignatureTest, SignatureHeaderIsSha256PrefixedLowercaseHex) {
  EXPECT_EQ(WebhookSignature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignatureTest, SignatureDependsOnSecretAndEveryBodyByte) {
  const std::string body = R"({"notificationId":"ntf_1"})";
  const std::string sig = WebhookSignature("0123456789abcdef", body);
  EXPECT_NE(sig, WebhookSignature("0123456789abcdeg", body));
  EXPECT_NE(sig, WebhookSignature("0123456789abcdef", body + " "));
}

}  // namespace
}  // namespace firegrid::notify
