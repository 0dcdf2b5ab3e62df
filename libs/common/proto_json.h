#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace firegrid {

// One spelling per enum value wherever firegrid writes one for people or other systems: CLI
// flags and tables, `firegridctl --output json`, CSV and webhook bodies. The spelling is the
// value name without the enum's prefix, in lower case: "class_i" for BUILDING_CLASS_I,
// "submitted" for HAZARD_STATUS_SUBMITTED. Words of the prefix are kept while the label is
// shorter than three letters (BUILDING_CLASS_I -> "class_i", not "i").

// The prefix shared by the enum's value names: the zero value's name without "UNSPECIFIED"
// ("BUILDING_CLASS_"), or "" when the enum has no such value.
std::string EnumPrefix(const google::protobuf::EnumDescriptor* type);

// The label of a value ("class_i"); the number as text for a number the enum does not name.
std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int number);

struct JsonStyle {
  bool multiline = true;  // indented, one field per line; false: one line
};

// `message` as JSON: the .proto field names, every field (defaults included), enum values as
// EnumLabel, timestamps in RFC 3339, 64-bit integers as strings (the proto3 JSON mapping
// otherwise). INTERNAL when the message cannot be printed.
absl::StatusOr<std::string> MessageToJson(const google::protobuf::Message& message,
                                          JsonStyle style = {});

// Parses `json` into `message` (the proto3 JSON mapping; field names as in the .proto or in
// lowerCamelCase), accepting enum values as EnumLabel writes them as well as by their full
// names. INVALID_ARGUMENT naming the problem for malformed JSON or unknown fields and values.
absl::Status JsonToMessage(absl::string_view json, google::protobuf::Message* message);

}  // namespace firegrid
