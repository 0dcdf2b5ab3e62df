// Hermetic tests of the webhook destination policy: the address classifier over IPv4/IPv6
// literals in every numeric form, and resolution through an injected resolver. Nothing here
// connects anywhere or asks DNS: the resolver is a table, and numeric hosts never reach it.
#include "services/notify/webhook_destination.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firegrid::notify {
namespace {

using ::testing::HasSubstr;

struct HostCase {
  const char* name;  // test name suffix
  const char* host;  // as written in a URL's host (IPv6 without brackets)
  AddressScope scope;
  const char* canonical;  // the address it denotes
};

class ClassifyHostTest : public ::testing::TestWithParam<HostCase> {};

TEST_P(ClassifyHostTest, NumericHostDenotesAddressOfScope) {
  const HostCase& c = GetParam();
  std::optional<IpAddress> a = ParseNumericHost(c.host);
  ASSERT_TRUE(a.has_value()) << c.host;
  EXPECT_EQ(a->ToString(), c.canonical) << c.host;
  EXPECT_EQ(AddressScopeName(ClassifyAddress(*a)), AddressScopeName(c.scope)) << c.host;
}

const HostCase kHostCases[] = {
    // Loopback in every spelling inet_aton accepts.
    {"Loopback", "127.0.0.1", AddressScope::kLoopback, "127.0.0.1"},
    {"LoopbackDecimal", "2130706433", AddressScope::kLoopback, "127.0.0.1"},
    {"LoopbackHexParts", "0x7f.1", AddressScope::kLoopback, "127.0.0.1"},
    {"LoopbackHexWhole", "0x7f000001", AddressScope::kLoopback, "127.0.0.1"},
    {"LoopbackOctal", "0177.0.0.1", AddressScope::kLoopback, "127.0.0.1"},
    {"LoopbackShort", "127.1", AddressScope::kLoopback, "127.0.0.1"},
    {"LoopbackOtherHost", "127.255.0.9", AddressScope::kLoopback, "127.255.0.9"},
    {"V6Loopback", "::1", AddressScope::kLoopback, "::1"},
    {"V6MappedLoopback", "::ffff:127.0.0.1", AddressScope::kLoopback, "::ffff:127.0.0.1"},
    {"V6MappedLoopbackHex", "::ffff:7f00:1", AddressScope::kLoopback, "::ffff:127.0.0.1"},
    {"V6CompatibleLoopback", "::127.0.0.1", AddressScope::kLoopback, "::127.0.0.1"},
    // Unspecified.
    {"Unspecified", "0.0.0.0", AddressScope::kUnspecified, "0.0.0.0"},
    {"UnspecifiedZero", "0", AddressScope::kUnspecified, "0.0.0.0"},
    {"ThisNetwork", "0.1.2.3", AddressScope::kUnspecified, "0.1.2.3"},
    {"V6Unspecified", "::", AddressScope::kUnspecified, "::"},
    // Private.
    {"Rfc1918Ten", "10.0.0.1", AddressScope::kPrivate, "10.0.0.1"},
    {"Rfc1918TenDecimal", "167772161", AddressScope::kPrivate, "10.0.0.1"},
    {"Rfc1918OneSevenTwo", "172.16.0.1", AddressScope::kPrivate, "172.16.0.1"},
    {"Rfc1918OneSevenTwoTop", "172.31.255.255", AddressScope::kPrivate, "172.31.255.255"},
    {"Rfc1918OneNineTwo", "192.168.1.1", AddressScope::kPrivate, "192.168.1.1"},
    {"V6MappedPrivate", "::ffff:10.0.0.1", AddressScope::kPrivate, "::ffff:10.0.0.1"},
    {"V6UniqueLocal", "fd00::1", AddressScope::kPrivate, "fd00::1"},
    {"V6UniqueLocalFc", "fc00::1", AddressScope::kPrivate, "fc00::1"},
    {"V6SiteLocal", "fec0::1", AddressScope::kPrivate, "fec0::1"},
    {"V6Nat64OfPrivate", "64:ff9b::a00:1", AddressScope::kPrivate, "64:ff9b::a00:1"},
    {"V6SixToFourOfPrivate", "2002:c0a8:101::1", AddressScope::kPrivate, "2002:c0a8:101::1"},
    // Shared address space (CGNAT).
    {"Cgnat", "100.64.0.1", AddressScope::kSharedCgnat, "100.64.0.1"},
    {"CgnatTop", "100.127.255.254", AddressScope::kSharedCgnat, "100.127.255.254"},
    // Link-local: the cloud metadata endpoint.
    {"Metadata", "169.254.169.254", AddressScope::kLinkLocal, "169.254.169.254"},
    {"MetadataDecimal", "2852039166", AddressScope::kLinkLocal, "169.254.169.254"},
    {"V6LinkLocal", "fe80::1", AddressScope::kLinkLocal, "fe80::1"},
    {"V6MappedMetadata", "::ffff:169.254.169.254", AddressScope::kLinkLocal,
     "::ffff:169.254.169.254"},
    // Multicast.
    {"Multicast", "224.0.0.1", AddressScope::kMulticast, "224.0.0.1"},
    {"MulticastTop", "239.255.255.250", AddressScope::kMulticast, "239.255.255.250"},
    {"V6Multicast", "ff02::1", AddressScope::kMulticast, "ff02::1"},
    // Other special-purpose ranges.
    {"Broadcast", "255.255.255.255", AddressScope::kReserved, "255.255.255.255"},
    {"ClassE", "240.0.0.1", AddressScope::kReserved, "240.0.0.1"},
    {"TestNet1", "192.0.2.1", AddressScope::kReserved, "192.0.2.1"},
    {"TestNet3", "203.0.113.9", AddressScope::kReserved, "203.0.113.9"},
    {"Benchmarking", "198.18.0.1", AddressScope::kReserved, "198.18.0.1"},
    {"IetfAssignments", "192.0.0.8", AddressScope::kReserved, "192.0.0.8"},
    {"V6Documentation", "2001:db8::1", AddressScope::kReserved, "2001:db8::1"},
    {"V6Teredo", "2001::1", AddressScope::kReserved, "2001::1"},
    {"V6Unassigned", "4000::1", AddressScope::kReserved, "4000::1"},
    // Global: the neighbours of the refused ranges stay allowed.
    {"Global", "93.184.216.34", AddressScope::kGlobal, "93.184.216.34"},
    {"GlobalBelowCgnat", "100.63.255.255", AddressScope::kGlobal, "100.63.255.255"},
    {"GlobalAboveCgnat", "100.128.0.0", AddressScope::kGlobal, "100.128.0.0"},
    {"GlobalBelowOneSevenTwo", "172.15.255.255", AddressScope::kGlobal, "172.15.255.255"},
    {"GlobalAboveOneSevenTwo", "172.32.0.0", AddressScope::kGlobal, "172.32.0.0"},
    {"GlobalOneNineTwoOneSixNine", "192.169.0.1", AddressScope::kGlobal, "192.169.0.1"},
    {"GlobalBelowMulticast", "223.255.255.255", AddressScope::kGlobal, "223.255.255.255"},
    {"GlobalDecimal", "1572395042", AddressScope::kGlobal, "93.184.216.34"},
    {"V6Global", "2400:cb00::1", AddressScope::kGlobal, "2400:cb00::1"},
    {"V6MappedGlobal", "::ffff:93.184.216.34", AddressScope::kGlobal, "::ffff:93.184.216.34"},
    {"V6SixToFourOfGlobal", "2002:5db8:d822::1", AddressScope::kGlobal, "2002:5db8:d822::1"},
};

INSTANTIATE_TEST_SUITE_P(Hosts, ClassifyHostTest, ::testing::ValuesIn(kHostCases),
                         [](const ::testing::TestParamInfo<HostCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(ParseNumericHostTest, NamesAreNotNumericHosts) {
  for (const char* name : {"hooks.example.gov.cn", "localhost", "deadbeef", "0x7f.example",
                           "1.2.3.4.5", "256.1.1.1.1", "", "fe80::1%eth0"}) {
    EXPECT_FALSE(ParseNumericHost(name).has_value()) << name;
  }
}

TEST(CheckAddressTest, LoopbackIsAllowedOnlyWithTheLocalFlagAndNothingElseIs) {
  DestinationPolicy local;
  local.allow_loopback = true;
  EXPECT_EQ(CheckAddress(IpAddress::V4(127, 0, 0, 1), {}).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckAddress(IpAddress::V4(127, 0, 0, 1), local).ok());
  EXPECT_TRUE(CheckAddress(*ParseNumericHost("::1"), local).ok());
  for (const char* host :
       {"10.0.0.1", "169.254.169.254", "0.0.0.0", "::", "fd00::1", "224.0.0.1", "100.64.0.1"}) {
    EXPECT_EQ(CheckAddress(*ParseNumericHost(host), local).code(),
              absl::StatusCode::kPermissionDenied)
        << host;
  }
  EXPECT_TRUE(CheckAddress(IpAddress::V4(93, 184, 216, 34), {}).ok());
}

// A resolver that answers from a table and counts the questions.
class TableResolver {
 public:
  explicit TableResolver(std::map<std::string, std::vector<IpAddress>> table)
      : table_(std::move(table)) {}
  Resolver resolver() {
    return [this](const std::string& host) -> absl::StatusOr<std::vector<IpAddress>> {
      ++questions_;
      auto it = table_.find(host);
      if (it == table_.end()) return absl::NotFoundError(absl::StrCat(host, ": unknown"));
      return it->second;
    };
  }
  int questions() const { return questions_; }

 private:
  std::map<std::string, std::vector<IpAddress>> table_;
  int questions_ = 0;
};

TEST(ResolveDestinationTest, NameResolvingToAPrivateAddressIsRefused) {
  TableResolver dns({{"hooks.example.gov.cn", {IpAddress::V4(10, 0, 0, 1)}}});
  auto r = ResolveDestination("hooks.example.gov.cn", {}, dns.resolver());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("10.0.0.1"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("private"));
  EXPECT_EQ(dns.questions(), 1);
}

TEST(ResolveDestinationTest, OneRefusedAddressAmongGlobalOnesRefusesTheName) {
  TableResolver dns({{"rebind.example",
                      {IpAddress::V4(93, 184, 216, 34), *ParseNumericHost("::ffff:127.0.0.1")}}});
  auto r = ResolveDestination("rebind.example", {}, dns.resolver());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("loopback"));
}

TEST(ResolveDestinationTest, NameResolvingToGlobalAddressesYieldsTheFirstToConnectTo) {
  TableResolver dns({{"hooks.example.gov.cn",
                      {IpAddress::V4(93, 184, 216, 34), *ParseNumericHost("2400:cb00::1")}}});
  auto r = ResolveDestination("hooks.example.gov.cn", {}, dns.resolver());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ToString(), "93.184.216.34");
}

TEST(ResolveDestinationTest, NumericHostsAreJudgedWithoutAskingTheResolver) {
  TableResolver dns(std::map<std::string, std::vector<IpAddress>>{});
  for (const char* host : {"2130706433", "0x7f.1", "169.254.169.254", "::1", "10.0.0.1"}) {
    EXPECT_EQ(ResolveDestination(host, {}, dns.resolver()).status().code(),
              absl::StatusCode::kPermissionDenied)
        << host;
  }
  EXPECT_TRUE(ResolveDestination("93.184.216.34", {}, dns.resolver()).ok());
  EXPECT_EQ(dns.questions(), 0);
}

TEST(ResolveDestinationTest, ResolverFailureAndEmptyAnswerAreErrors) {
  TableResolver dns(
      std::map<std::string, std::vector<IpAddress>>{{"empty.example", std::vector<IpAddress>()}});
  EXPECT_EQ(ResolveDestination("nowhere.example", {}, dns.resolver()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ResolveDestination("empty.example", {}, dns.resolver()).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace firegrid::notify
