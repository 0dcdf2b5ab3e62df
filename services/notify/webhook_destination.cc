#include "services/notify/webhook_destination.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace firegrid::notify {
namespace {

// Whether the first `bits` bits of `a` equal those of `prefix`.
bool InPrefix(const unsigned char* a, std::initializer_list<unsigned char> prefix, int bits) {
  int i = 0;
  for (unsigned char p : prefix) {
    if (bits <= 0) break;
    const int take = std::min(bits, 8);
    const unsigned char mask = static_cast<unsigned char>(0xff << (8 - take));
    if ((a[i] & mask) != (p & mask)) return false;
    bits -= take;
    ++i;
  }
  return true;
}

AddressScope ClassifyV4(const unsigned char* a) {
  struct Range {
    std::initializer_list<unsigned char> prefix;
    int bits;
    AddressScope scope;
  };
  // IANA IPv4 special-purpose registry (RFC 6890 and successors), the ones not globally reachable.
  static const Range kRanges[] = {
      {{0}, 8, AddressScope::kUnspecified},
      {{10}, 8, AddressScope::kPrivate},
      {{100, 64}, 10, AddressScope::kSharedCgnat},
      {{127}, 8, AddressScope::kLoopback},
      {{169, 254}, 16, AddressScope::kLinkLocal},
      {{172, 16}, 12, AddressScope::kPrivate},
      {{192, 0, 0}, 24, AddressScope::kReserved},    // IETF protocol assignments
      {{192, 0, 2}, 24, AddressScope::kReserved},    // TEST-NET-1
      {{192, 88, 99}, 24, AddressScope::kReserved},  // 6to4 relay anycast (deprecated)
      {{192, 168}, 16, AddressScope::kPrivate},
      {{198, 18}, 15, AddressScope::kReserved},       // benchmarking
      {{198, 51, 100}, 24, AddressScope::kReserved},  // TEST-NET-2
      {{203, 0, 113}, 24, AddressScope::kReserved},   // TEST-NET-3
      {{224}, 4, AddressScope::kMulticast},
      {{240}, 4, AddressScope::kReserved},  // incl. 255.255.255.255
  };
  for (const Range& r : kRanges) {
    if (InPrefix(a, r.prefix, r.bits)) return r.scope;
  }
  return AddressScope::kGlobal;
}

AddressScope ClassifyV6(const unsigned char* a) {
  static const unsigned char kZero[16] = {};
  // ::/96 (unspecified, loopback, IPv4-compatible) and ::ffff:0:0/96 (IPv4-mapped).
  if (std::memcmp(a, kZero, 10) == 0) {
    const bool mapped = a[10] == 0xff && a[11] == 0xff;
    const bool zero96 = a[10] == 0 && a[11] == 0;
    if (zero96 && std::memcmp(a + 12, kZero, 3) == 0 && a[15] <= 1) {
      return a[15] == 0 ? AddressScope::kUnspecified : AddressScope::kLoopback;
    }
    if (mapped || zero96) return ClassifyV4(a + 12);
  }
  // NAT64 64:ff9b::/96: the IPv4 address it translates to.
  if (InPrefix(a, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) return ClassifyV4(a + 12);
  if (InPrefix(a, {0xff}, 8)) return AddressScope::kMulticast;
  if (InPrefix(a, {0xfe, 0x80}, 10)) return AddressScope::kLinkLocal;
  if (InPrefix(a, {0xfe, 0xc0}, 10)) return AddressScope::kPrivate;  // site-local (deprecated)
  if (InPrefix(a, {0xfc}, 7)) return AddressScope::kPrivate;         // unique local
  // Global unicast is 2000::/3; everything else is unassigned or special.
  if (!InPrefix(a, {0x20}, 3)) return AddressScope::kReserved;
  // 6to4 2002::/16: the IPv4 address in bits 16..47.
  if (InPrefix(a, {0x20, 0x02}, 16)) return ClassifyV4(a + 2);
  if (InPrefix(a, {0x20, 0x01, 0x0d, 0xb8}, 32)) return AddressScope::kReserved;  // documentation
  if (InPrefix(a, {0x3f, 0xff}, 20)) return AddressScope::kReserved;              // documentation
  // 2001::/23 IETF protocol assignments (Teredo 2001::/32, ORCHID, benchmarking 2001:2::/48 …);
  // a few anycast services in it are global, none that a webhook needs.
  if (InPrefix(a, {0x20, 0x01, 0x00}, 23)) return AddressScope::kReserved;
  return AddressScope::kGlobal;
}

}  // namespace

IpAddress IpAddress::V4(unsigned char a, unsigned char b, unsigned char c, unsigned char d) {
  IpAddress out;
  out.bytes[0] = a;
  out.bytes[1] = b;
  out.bytes[2] = c;
  out.bytes[3] = d;
  return out;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf)) == nullptr) return "?";
  return buf;
}

absl::string_view AddressScopeName(AddressScope scope) {
  switch (scope) {
    case AddressScope::kGlobal:
      return "global";
    case AddressScope::kUnspecified:
      return "unspecified";
    case AddressScope::kLoopback:
      return "loopback";
    case AddressScope::kPrivate:
      return "private";
    case AddressScope::kSharedCgnat:
      return "shared (CGNAT)";
    case AddressScope::kLinkLocal:
      return "link-local";
    case AddressScope::kMulticast:
      return "multicast";
    case AddressScope::kReserved:
      return "reserved";
  }
  return "reserved";
}

AddressScope ClassifyAddress(const IpAddress& address) {
  return address.v6 ? ClassifyV6(address.bytes.data()) : ClassifyV4(address.bytes.data());
}

std::optional<IpAddress> ParseNumericHost(absl::string_view host) {
  if (host.empty() || host.size() > 64) return std::nullopt;
  const std::string text(host);
  IpAddress out;
  if (text.find(':') != std::string::npos) {
    in6_addr a6;
    if (inet_pton(AF_INET6, text.c_str(), &a6) != 1) return std::nullopt;
    out.v6 = true;
    std::memcpy(out.bytes.data(), &a6, 16);
    return out;
  }
  // inet_aton's forms (what getaddrinfo would also take as a number): 1 to 4 parts, each
  // decimal, 0x hex or 0 octal. Only digits, dots and x/hex letters can be such a literal.
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != '.' && c != 'x' && c != 'X') {
      return std::nullopt;
    }
  }
  in_addr a4;
  if (inet_aton(text.c_str(), &a4) == 0) return std::nullopt;
  std::memcpy(out.bytes.data(), &a4, 4);
  return out;
}

Resolver SystemResolver() {
  return [](const std::string& host) -> absl::StatusOr<std::vector<IpAddress>> {
    addrinfo hints;
    std::memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &result);
    if (rc != 0) {
      const std::string why = gai_strerror(rc);
      if (rc == EAI_NONAME) return absl::NotFoundError(absl::StrCat(host, ": ", why));
      return absl::UnavailableError(absl::StrCat(host, ": ", why));
    }
    std::vector<IpAddress> out;
    for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
      IpAddress a;
      if (ai->ai_family == AF_INET) {
        std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, 4);
      } else if (ai->ai_family == AF_INET6) {
        a.v6 = true;
        std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, 16);
      } else {
        continue;
      }
      if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
    freeaddrinfo(result);
    return out;
  };
}

absl::Status CheckAddress(const IpAddress& address, const DestinationPolicy& policy) {
  const AddressScope scope = ClassifyAddress(address);
  if (scope == AddressScope::kGlobal) return absl::OkStatus();
  if (scope == AddressScope::kLoopback && policy.allow_loopback) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("destination ", address.ToString(), " is ",
                                                  AddressScopeName(scope),
                                                  ", not a global address"));
}

absl::StatusOr<IpAddress> ResolveDestination(const std::string& host,
                                             const DestinationPolicy& policy,
                                             const Resolver& resolver) {
  if (std::optional<IpAddress> literal = ParseNumericHost(host)) {
    absl::Status st = CheckAddress(*literal, policy);
    if (!st.ok()) return absl::PermissionDeniedError(absl::StrCat(host, ": ", st.message()));
    return *literal;
  }
  absl::StatusOr<std::vector<IpAddress>> addresses = resolver(host);
  if (!addresses.ok()) return addresses.status();
  if (addresses->empty()) return absl::NotFoundError(absl::StrCat(host, ": no address"));
  for (const IpAddress& a : *addresses) {
    absl::Status st = CheckAddress(a, policy);
    if (!st.ok()) {
      return absl::PermissionDeniedError(
          absl::StrCat(host, " resolves to ", a.ToString(), ": ", st.message()));
    }
  }
  return addresses->front();
}

}  // namespace firegrid::notify
