#pragma once

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "firegrid/subjects/v1/subjects.pb.h"

namespace firegrid::credit {

// Credit subject ids: "org:<credit code>" for an organisation; "person:<24 lower-case hex>" for
// a person, the first 96 bits of HMAC-SHA256(key, identity number), so that the number itself
// is never an id, a key or a log field, and cannot be recovered by hashing every possible number
// without the key. The key is the service's (--person-key-file); every replica and every
// replay must use the same one.
class SubjectIds {
 public:
  explicit SubjectIds(std::string key) : key_(std::move(key)) {}

  // The id of a party (normalised first when it is not: lower-case codes, blanks); "" when it
  // has neither code nor person id, or the one it has is not valid (e.g. a masked identity
  // number).
  std::string IdOf(const subjects::v1::Party& party) const;
  // The id of a person by a (valid) identity number.
  std::string PersonId(absl::string_view identity_number) const;
  // The id for a bare organisation credit code.
  static std::string OrgId(absl::string_view credit_code) {
    return std::string("org:") + std::string(credit_code);
  }
  // True for the two id shapes above (not for bare credit codes).
  static bool IsSubjectId(absl::string_view id);

 private:
  std::string key_;
};

}  // namespace firegrid::credit
