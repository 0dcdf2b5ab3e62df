#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace firegrid::credit {

// The checks of the credit calls' free-text and list fields: INVALID_ARGUMENT naming the field.

// Required (not only white space), at most 2,000 characters.
absl::Status RequireText(absl::string_view field, const std::string& value);
// A request id of at most 128 bytes (empty: none).
absl::Status CheckRequestId(const std::string& id);
// At most 20 items, each an http(s) URL or "sha256:<64 lower-case hex>"; at least one when
// `required`.
absl::Status CheckEvidence(const google::protobuf::RepeatedPtrField<std::string>& evidence,
                           bool required);

}  // namespace firegrid::credit
