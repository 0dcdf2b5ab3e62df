#include "libs/auth/token_cache.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/auth/token.h"

namespace firegrid::auth {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);
const std::string kKey = "0123456789abcdef0123456789abcdef-hs256-test";

Principal Officer(std::string subject = "u-1001") {
  Principal p;
  p.subject = std::move(subject);
  p.role = Role::kStreetOfficer;
  p.org_unit = "500109001";
  p.tier_path = "500109001";
  return p;
}

std::string Sign(const Principal& p, absl::Duration ttl, absl::Time issued_at = kT0) {
  auto signer = TokenSigner::Hs256(kKey);
  EXPECT_TRUE(signer.ok()) << signer.status();
  auto token = (*signer)->Sign(p, issued_at, ttl);
  EXPECT_TRUE(token.ok()) << token.status();
  return *token;
}

std::unique_ptr<TokenVerifier> Verifier(VerifierOptions o = {}) {
  o.hs256_key = kKey;
  auto v = TokenVerifier::Create(std::move(o));
  EXPECT_TRUE(v.ok()) << v.status();
  return *std::move(v);
}

void ExpectUnauthenticated(const absl::StatusOr<Principal>& r, absl::string_view reason) {
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(std::string(reason)));
}

// The token is verified at kT0 and then used again well inside the cache's maximum age, so the
// later calls are answered from the cache: they must still honour exp with the leeway.
TEST(VerifiedTokenCache, ACachedTokenExpiresOnTime) {
  VerifierOptions o;
  o.leeway = absl::Seconds(30);
  auto v = Verifier(o);
  const std::string token = Sign(Officer(), absl::Seconds(60));  // exp = kT0 + 60s
  ASSERT_TRUE(v->Verify(token, kT0).ok());
  EXPECT_TRUE(v->Verify(token, kT0 + absl::Seconds(90)).ok());
  ExpectUnauthenticated(v->Verify(token, kT0 + absl::Seconds(91)), "token has expired");
  ExpectUnauthenticated(v->Verify(token, kT0 + absl::Seconds(120)), "token has expired");
}

TEST(VerifiedTokenCache, ATokenUsedByAClockBehindItsCachingIsJudgedAtThatClock) {
  // Cached at kT0 + 10 min, then presented by a clock that is back at kT0 - 1 min (a token is
  // used on another replica whose clock is behind): the fresh path and the cached path agree.
  VerifierOptions o;
  o.leeway = absl::ZeroDuration();
  auto v = Verifier(o);
  const std::string token = Sign(Officer(), absl::Hours(1));  // iat = kT0
  ASSERT_TRUE(v->Verify(token, kT0 + absl::Minutes(10)).ok());
  ExpectUnauthenticated(v->Verify(token, kT0 - absl::Minutes(1)), "issued in the future");
}

TEST(VerifiedTokenCache, ACachedTokenYieldsTheSamePrincipalAsAFreshVerification) {
  auto v = Verifier();
  const std::string token = Sign(Officer(), absl::Hours(1));
  auto fresh = v->Verify(token, kT0);
  auto cached = v->Verify(token, kT0 + absl::Seconds(1));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_EQ(cached->subject, fresh->subject);
  EXPECT_EQ(cached->role, fresh->role);
  EXPECT_EQ(cached->org_unit, fresh->org_unit);
  EXPECT_EQ(cached->tier_path, fresh->tier_path);
  EXPECT_EQ(cached->department, fresh->department);
  EXPECT_EQ(cached->expiry, kT0 + absl::Hours(1));
}

TEST(VerifiedTokenCache, ATokenWithOneByteChangedIsVerifiedAfreshAndRefused) {
  auto v = Verifier();
  const std::string token = Sign(Officer(), absl::Hours(1));
  ASSERT_TRUE(v->Verify(token, kT0).ok());
  // Every position of the token: header, payload, signature, the dots.
  for (size_t i = 0; i < token.size(); ++i) {
    std::string changed = token;
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(v->Verify(changed, kT0 + absl::Seconds(1)).ok()) << "byte " << i;
  }
  std::string longer = token + "A";
  EXPECT_FALSE(v->Verify(longer, kT0 + absl::Seconds(1)).ok());
  EXPECT_TRUE(v->Verify(token, kT0 + absl::Seconds(1)).ok());
}

TEST(VerifiedTokenCache, FindsAnEntryOnlyUntilItsMaximumAge) {
  VerifiedTokenCache cache(/*capacity=*/10, /*max_age=*/absl::Minutes(5));
  cache.Insert("token-a", {Officer(), {kT0 + absl::Hours(1), {}, kT0}}, kT0);
  EXPECT_TRUE(cache.Find("token-a", kT0 + absl::Minutes(5)).has_value());
  EXPECT_FALSE(cache.Find("token-a", kT0 + absl::Minutes(5) + absl::Seconds(1)).has_value());
  EXPECT_FALSE(cache.Find("token-a", kT0 - absl::Seconds(1)).has_value());  // clock went back
  EXPECT_FALSE(cache.Find("token-b", kT0).has_value());
  // Re-inserting renews it.
  cache.Insert("token-a", {Officer(), {kT0 + absl::Hours(1), {}, kT0}}, kT0 + absl::Minutes(6));
  EXPECT_TRUE(cache.Find("token-a", kT0 + absl::Minutes(10)).has_value());
  EXPECT_EQ(cache.size(), 1u);
}

TEST(VerifiedTokenCache, IsBoundedAndEvictsTheOldestFirst) {
  VerifiedTokenCache cache(/*capacity=*/3, /*max_age=*/absl::Minutes(5));
  for (int i = 0; i < 5; ++i) {
    cache.Insert(absl::StrCat("token-", i), {Officer(absl::StrCat("u-", i)), {kT0, {}, {}}}, kT0);
    EXPECT_LE(cache.size(), 3u);
  }
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.Find("token-0", kT0).has_value());
  EXPECT_FALSE(cache.Find("token-1", kT0).has_value());
  for (int i = 2; i < 5; ++i) {
    auto e = cache.Find(absl::StrCat("token-", i), kT0);
    ASSERT_TRUE(e.has_value()) << i;
    EXPECT_EQ(e->principal.subject, absl::StrCat("u-", i));
  }
}

TEST(VerifiedTokenCache, AVerifierKeepsAtMostItsCapacityAndStillVerifiesEvictedTokens) {
  VerifierOptions o;
  o.cache_capacity = 2;
  auto v = Verifier(o);
  std::vector<std::string> tokens;
  for (int i = 0; i < 4; ++i)
    tokens.push_back(Sign(Officer(absl::StrCat("u-", i)), absl::Hours(1)));
  for (const std::string& t : tokens) ASSERT_TRUE(v->Verify(t, kT0).ok());
  for (int i = 0; i < 4; ++i) {
    auto p = v->Verify(tokens[i], kT0 + absl::Seconds(1));
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->subject, absl::StrCat("u-", i));
  }
}

TEST(VerifiedTokenCache, CanBeTurnedOffAndRefusesANonPositiveMaximumAge) {
  VerifierOptions off;
  off.cache_capacity = 0;
  auto v = Verifier(off);
  const std::string token = Sign(Officer(), absl::Seconds(60));
  EXPECT_TRUE(v->Verify(token, kT0).ok());
  ExpectUnauthenticated(v->Verify(token, kT0 + absl::Seconds(91)), "token has expired");

  VerifierOptions bad;
  bad.hs256_key = kKey;
  bad.cache_max_age = absl::ZeroDuration();
  EXPECT_EQ(TokenVerifier::Create(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(VerifiedTokenCache, ServesConcurrentCallersConsistently) {
  VerifierOptions o;
  o.cache_capacity = 8;  // smaller than the number of tokens: inserts and evictions interleave
  auto v = Verifier(o);
  std::vector<std::string> tokens;
  for (int i = 0; i < 16; ++i) {
    tokens.push_back(Sign(Officer(absl::StrCat("u-", i)), absl::Hours(1)));
  }
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        const int i = (round * 7 + t) % 16;
        auto p = v->Verify(tokens[i], kT0 + absl::Seconds(round % 60));
        if (!p.ok() || p->subject != absl::StrCat("u-", i)) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace firegrid::auth
