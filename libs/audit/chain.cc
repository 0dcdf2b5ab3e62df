#include "libs/audit/chain.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace firegrid::audit {
namespace {

std::string DeterministicBytes(const AuditRecord& record) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    record.SerializeToCodedStream(&coded);
  }
  return out;
}

}  // namespace

std::string HashRecord(const AuditRecord& record) {
  AuditRecord unhashed = record;
  unhashed.clear_hash();
  const std::string input = absl::StrCat(record.prev_hash(), "\n", DeterministicBytes(unhashed));
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::Status VerifyLink(const AuditRecord* previous, const AuditRecord& record) {
  if (HashRecord(record) != record.hash()) {
    return absl::DataLossError(
        absl::StrCat("record ", record.sequence(), " does not match its hash (altered)"));
  }
  if (previous == nullptr) return absl::OkStatus();
  if (record.sequence() != previous->sequence() + 1) {
    return absl::DataLossError(absl::StrCat("record ", previous->sequence() + 1, " is missing (",
                                            previous->sequence(), " is followed by ",
                                            record.sequence(), ")"));
  }
  if (record.prev_hash() != previous->hash()) {
    return absl::DataLossError(absl::StrCat("record ", record.sequence(),
                                            " does not link to record ", previous->sequence()));
  }
  return absl::OkStatus();
}

}  // namespace firegrid::audit
