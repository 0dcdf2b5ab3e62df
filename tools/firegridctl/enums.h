#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/generated_enum_reflection.h"

namespace firegrid::ctl {

// Enum values on the command line are written without their type prefix and in lower case:
// "class_i" for BUILDING_CLASS_I, "sprinkler" for FACILITY_KIND_SPRINKLER: the one spelling of
// libs/common/proto_json.h, also used by --output json and the webhook bodies. The full name and
// any case are accepted too, as are dashes for underscores ("no-water"). The zero value
// (*_UNSPECIFIED) is never accepted.

// firegrid::EnumPrefix: the prefix shared by the enum's value names ("BUILDING_CLASS_").
std::string EnumPrefix(const google::protobuf::EnumDescriptor* type);

// The number of the value `text` names. INVALID_ARGUMENT listing the accepted labels otherwise.
absl::StatusOr<int> ParseEnumNumber(const google::protobuf::EnumDescriptor* type,
                                    absl::string_view text);

// firegrid::EnumLabel: the short lower-case label of a value ("class_i"); the number as text
// for unknown values.
std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int number);

// "residential, office, mall, ..." — the labels of every value but the zero value.
std::string EnumLabels(const google::protobuf::EnumDescriptor* type);

template <typename E>
absl::StatusOr<E> ParseEnum(absl::string_view text) {
  absl::StatusOr<int> n = ParseEnumNumber(google::protobuf::GetEnumDescriptor<E>(), text);
  if (!n.ok()) return n.status();
  return static_cast<E>(*n);
}

template <typename E>
std::string EnumLabel(E value) {
  return EnumLabel(google::protobuf::GetEnumDescriptor<E>(), static_cast<int>(value));
}

}  // namespace firegrid::ctl
