#pragma once

// Helpers shared by the registry_*.cc files (the parts of Registry); not for other users.

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"

namespace firegrid::buildings::internal {

inline constexpr char kProducer[] = "buildings";
// How many buildings or org units one store scan reads.
inline constexpr int kScanChunk = 500;

inline google::protobuf::Timestamp Ts(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
inline absl::Time FromTs(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(ts));
}

}  // namespace firegrid::buildings::internal
