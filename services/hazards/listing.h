#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "firegrid/hazards/v1/hazards.pb.h"
#include "libs/auth/principal.h"
#include "services/hazards/rules.h"

namespace firegrid::hazards {

// ListHazards: who may list what, and which hazards a listing's filters keep.

// The part of the index a listing scans.
struct ListScope {
  std::string tier_prefix;  // the request's prefix, or the caller's tier path
  std::string department;   // "" = every department; a department officer's own department
};

// Checks the request (prefix digits, page size in [0, 500], known statuses, categories,
// sources and department, a channel name, valid reported_after / reported_before times with
// after < before) and the caller (the roles that see no hazard — service agencies, micro
// stations, IoT gateways — may not list; department officers list their own department; everyone but building managers within
// their tier) and returns the scope to scan.
absl::StatusOr<ListScope> ResolveListScope(const auth::Principal& p,
                                           const v1::ListHazardsRequest& req, const Rules& rules);

// What a page token is bound to (libs/common/page_token.h): the scope and every filter, so that
// a token is refused by any other listing. The page size may change from page to page.
std::string ListingKey(const ListScope& scope, const v1::ListHazardsRequest& req);

// Whether the listing keeps `h`: visible to the caller (a public channel: its own channel's
// reports), not a duplicate unless asked for, and matching the building, status, category,
// overdue (at `now`), source, unmatched, channel and reported-time filters (reported_after
// inclusive, reported_before exclusive).
bool MatchesListing(const auth::Principal& p, const v1::ListHazardsRequest& req,
                    const v1::Hazard& h, absl::Time now);

// How many index entries a listing reads in its `round`-th read (0: the first) for a page of
// `page_size`: the page itself first, since usually every hazard in the scope matches and one
// read of the page's records answers; then twice as many each round, up to
// kMaxListScanChunk, while the filters reject hazards.
inline constexpr int kMaxListScanChunk = 500;
int ListScanChunk(int page_size, int round);

}  // namespace firegrid::hazards
