#include "tools/firegridctl/enums.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "libs/common/proto_json.h"

namespace firegrid::ctl {

std::string EnumPrefix(const google::protobuf::EnumDescriptor* type) {
  return firegrid::EnumPrefix(type);
}

absl::StatusOr<int> ParseEnumNumber(const google::protobuf::EnumDescriptor* type,
                                    absl::string_view text) {
  std::string wanted =
      absl::AsciiStrToUpper(absl::StrReplaceAll(absl::StripAsciiWhitespace(text), {{"-", "_"}}));
  const std::string prefix = EnumPrefix(type);
  for (int i = 0; i < type->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* v = type->value(i);
    if (v->number() == 0 || wanted.empty()) continue;
    // The full name or any tail of it that starts at a word of the prefix:
    // BUILDING_CLASS_I, CLASS_I and I all name BUILDING_CLASS_I.
    const std::string& name = v->name();
    for (size_t start = 0; start <= prefix.size() && start < name.size();) {
      if (name.compare(start, std::string::npos, wanted) == 0) return v->number();
      size_t next = name.find('_', start);
      if (next == std::string::npos || next >= prefix.size()) break;
      start = next + 1;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown ", type->name(), " \"", text, "\"; one of: ", EnumLabels(type)));
}

std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int number) {
  return firegrid::EnumLabel(type, number);
}

std::string EnumLabels(const google::protobuf::EnumDescriptor* type) {
  std::string out;
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() == 0) continue;
    if (!out.empty()) out += ", ";
    out += EnumLabel(type, type->value(i)->number());
  }
  return out;
}

}  // namespace firegrid::ctl
