#include "tools/firegridctl/enums.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace firegrid::ctl {

std::string EnumPrefix(const google::protobuf::EnumDescriptor* type) {
  const google::protobuf::EnumValueDescriptor* zero = type->FindValueByNumber(0);
  if (zero == nullptr) return "";
  absl::string_view name = zero->name();
  if (!absl::ConsumeSuffix(&name, "UNSPECIFIED")) return "";
  return std::string(name);
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
  const google::protobuf::EnumValueDescriptor* v = type->FindValueByNumber(number);
  if (v == nullptr) return absl::StrCat(number);
  // The value name without the prefix, keeping words of the prefix while the label is shorter
  // than three letters (BUILDING_CLASS_I -> "class_i", not "i").
  const std::string& name = v->name();
  const std::string prefix = EnumPrefix(type);
  size_t start = name.compare(0, prefix.size(), prefix) == 0 ? prefix.size() : 0;
  while (start > 1 && name.size() - start < 3) {
    size_t prev = name.rfind('_', start - 2);
    start = prev == std::string::npos ? 0 : prev + 1;
  }
  return absl::AsciiStrToLower(absl::string_view(name).substr(start));
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
