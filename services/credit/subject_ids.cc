#include "services/credit/subject_ids.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "libs/subjects/party.h"

namespace firegrid::credit {

namespace {

constexpr absl::string_view kOrgPrefix = "org:";
constexpr absl::string_view kPersonPrefix = "person:";
constexpr int kPersonHexChars = 24;  // 96 bits

}  // namespace

std::string SubjectIds::PersonId(absl::string_view identity_number) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(identity_number.data()), identity_number.size(), mac,
       &mac_len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(kPersonPrefix);
  id.reserve(kPersonPrefix.size() + kPersonHexChars);
  for (int i = 0; i < kPersonHexChars / 2; ++i) {
    id.push_back(kHex[mac[i] >> 4]);
    id.push_back(kHex[mac[i] & 0xf]);
  }
  return id;
}

std::string SubjectIds::IdOf(const subjects::v1::Party& party) const {
  if (!party.credit_code().empty()) {
    if (subjects::ValidateCreditCode(party.credit_code(), "credit_code").ok()) {
      return OrgId(party.credit_code());
    }
  } else if (!party.person_id().empty()) {
    // A masked number ("500109********123X") fails here and names no one.
    if (subjects::ValidatePersonId(party.person_id(), "person_id").ok()) {
      return PersonId(party.person_id());
    }
  } else {
    return "";
  }
  // Not normalised (lower case, blanks)? The same subject as its normal form, if that is valid.
  subjects::v1::Party normal = party;
  subjects::NormalizeParty(&normal);
  if (normal.credit_code() == party.credit_code() && normal.person_id() == party.person_id()) {
    return "";
  }
  return IdOf(normal);
}

bool SubjectIds::IsSubjectId(absl::string_view id) {
  if (absl::ConsumePrefix(&id, kOrgPrefix)) {
    return subjects::ValidateCreditCode(id, "subject_id").ok();
  }
  if (absl::ConsumePrefix(&id, kPersonPrefix)) {
    if (id.size() != kPersonHexChars) return false;
    for (char c : id) {
      if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
    }
    return true;
  }
  return false;
}

}  // namespace firegrid::credit
