#pragma once

// Where a webhook may send: the destination policy that keeps notify from being used to reach
// addresses inside the network it runs in (SSRF).
//
// A webhook URL's host is resolved (an IP literal in any form the C library accepts, e.g.
// "127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "[::ffff:127.0.0.1]", or a name through
// DNS) and EVERY resolved address must be a global unicast address. Refused: unspecified,
// loopback, private (RFC 1918, IPv6 ULA fc00::/7, site-local fec0::/10), shared CGNAT
// (100.64.0.0/10), link-local (169.254.0.0/16, fe80::/10: cloud metadata endpoints live there),
// multicast, broadcast, documentation, benchmarking and the other IANA special-purpose ranges;
// IPv4 embedded in IPv6 (mapped ::ffff:0:0/96, compatible ::/96, NAT64 64:ff9b::/96, 6to4
// 2002::/16) is judged by the IPv4 address. The connection then goes to the address that was
// checked (the HTTP client is given it; no second lookup), so a name that changes its answer
// between the check and the connect (DNS rebinding) cannot redirect it.
//
// Local runs and tests that POST to a receiver on 127.0.0.1 turn on allow_loopback
// (`--webhook-allow-loopback`); everything else stays refused even then.

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace firegrid::notify {

// An IPv4 or IPv6 address in network byte order.
struct IpAddress {
  bool v6 = false;
  std::array<unsigned char, 16> bytes{};  // IPv4: the first 4

  static IpAddress V4(unsigned char a, unsigned char b, unsigned char c, unsigned char d);
  // "192.0.2.1" or "2001:db8::1".
  std::string ToString() const;
  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.v6 == b.v6 && a.bytes == b.bytes;
  }
};

// What kind of destination an address is. Only kGlobal may be sent to (and kLoopback when the
// policy allows it).
enum class AddressScope {
  kGlobal,
  kUnspecified,  // 0.0.0.0/8, ::
  kLoopback,     // 127.0.0.0/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10
  kSharedCgnat,  // 100.64.0.0/10
  kLinkLocal,    // 169.254.0.0/16, fe80::/10
  kMulticast,    // 224.0.0.0/4, ff00::/8
  kReserved,     // broadcast, documentation, benchmarking, 240/4, other special-purpose ranges
};
absl::string_view AddressScopeName(AddressScope scope);

AddressScope ClassifyAddress(const IpAddress& address);

// The address a host written as an IP literal denotes, in every form inet_aton / inet_pton
// accept: dotted quad, fewer parts ("127.1"), a single number ("2130706433"), hex ("0x7f.1") and
// octal ("0177.0.0.1") parts; IPv6 without brackets ("::1", "::ffff:127.0.0.1"). nullopt when the
// host is a name.
std::optional<IpAddress> ParseNumericHost(absl::string_view host);

// Resolves a host name to its addresses (all of them). UNAVAILABLE / NOT_FOUND when it cannot.
using Resolver = std::function<absl::StatusOr<std::vector<IpAddress>>(const std::string& host)>;
// getaddrinfo(host, AF_UNSPEC, SOCK_STREAM).
Resolver SystemResolver();

struct DestinationPolicy {
  // Whether loopback addresses may be sent to (local runs and tests only).
  bool allow_loopback = false;
};

// PERMISSION_DENIED (the message names host, address and scope: for the log, not for the
// registrant) unless `address` may be sent to.
absl::Status CheckAddress(const IpAddress& address, const DestinationPolicy& policy);

// The address to connect to for `host`: a numeric host is checked as it is; a name is resolved
// with `resolver` and every address it resolves to is checked (one refused address refuses the
// host); the first address is returned for the connection. PERMISSION_DENIED when refused,
// the resolver's error when it fails, NOT_FOUND when it yields nothing.
absl::StatusOr<IpAddress> ResolveDestination(const std::string& host,
                                             const DestinationPolicy& policy,
                                             const Resolver& resolver);

}  // namespace firegrid::notify
