#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace firegrid {

// Opaque page tokens for every List RPC. A token carries the store's cursor (e.g. the last
// index member read) bound to the listing it came from (the caller's scope plus the filters), so
// that a token is refused by any other listing and clients cannot read or build one: they see
// only URL-safe base64, never the cursor's separators.
//
//   std::string listing = absl::StrCat(scope, "\n", FiltersKey(req));
//   FG_ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(req.page_token(), listing));
//   ...
//   resp.set_next_page_token(EncodePageToken(listing, next_cursor));  // "" when no more
//
// Format (version 1): base64url(no padding) of 0x01 | 8-byte FNV-1a-64 of `listing` | cursor.
// Not a secret: the binding is a guard against mixing listings, not an access control (every
// page is still authorised on its own).

// "" for an empty cursor (no further page).
std::string EncodePageToken(absl::string_view listing, absl::string_view cursor);

// The cursor inside `token` ("" for an empty token: the first page). INVALID_ARGUMENT
// "page_token: ..." when the token does not decode or belongs to another listing.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view listing);

}  // namespace firegrid
