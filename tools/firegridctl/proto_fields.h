#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace firegrid::ctl {

// Sets the singular scalar field at `path` ("height_m", "location.latitude") of `message` from
// text: numbers, booleans (true/false/yes/no/1/0), enum labels as ParseEnumNumber takes them,
// strings as given. Intermediate message fields are created. INVALID_ARGUMENT naming the path
// for an unknown field, a repeated or message-typed leaf, or a value that does not parse.
absl::Status SetFieldByPath(google::protobuf::Message* message, absl::string_view path,
                            absl::string_view value);

// Splits "field=value" at the first '='. INVALID_ARGUMENT without '=' or with an empty field.
absl::StatusOr<std::pair<std::string, std::string>> SplitAssignment(absl::string_view text);

// Table cells.
// "2024-05-01 14:03 +08:00" in China Standard Time (UTC+8, the users' zone), the zone shown;
// "" for an unset timestamp.
std::string FormatTime(const google::protobuf::Timestamp& ts);
// "2024-05-01" in China Standard Time; "" for an unset timestamp.
std::string FormatDate(const google::protobuf::Timestamp& ts);
// A date "YYYY-MM-DD" as midnight China Standard Time. INVALID_ARGUMENT otherwise.
absl::StatusOr<google::protobuf::Timestamp> ParseDate(absl::string_view text);
// Shortest decimal text with at most `decimals` places ("54", "54.5", "29.8213").
std::string FormatNumber(double value, int decimals = 2);
// "yes" / "no".
std::string YesNo(bool value);

}  // namespace firegrid::ctl
