#include "libs/common/proto_json.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace firegrid {
namespace {

using Json = nlohmann::ordered_json;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// The label for one JSON enum value, which the proto3 mapping writes as the value's name (or
// its number when the enum does not name it).
Json EnumValueToLabel(const google::protobuf::EnumDescriptor* type, const Json& value) {
  if (type->full_name() == "google.protobuf.NullValue") return value;
  if (value.is_string()) {
    const google::protobuf::EnumValueDescriptor* v =
        type->FindValueByName(value.get<std::string>());
    return v == nullptr ? value : Json(EnumLabel(type, v->number()));
  }
  if (value.is_number_integer()) return Json(EnumLabel(type, value.get<int>()));
  return value;
}

// The full value name for a label (or a full name, in any case); `value` when none matches.
Json EnumLabelToValue(const google::protobuf::EnumDescriptor* type, const Json& value) {
  if (!value.is_string()) return value;
  const std::string text = value.get<std::string>();
  if (type->FindValueByName(text) != nullptr) return value;
  const std::string lower = absl::AsciiStrToLower(text);
  for (int i = 0; i < type->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* v = type->value(i);
    if (EnumLabel(type, v->number()) == lower || absl::AsciiStrToLower(v->name()) == lower) {
      return Json(v->name());
    }
  }
  return value;
}

using EnumMapper = Json (*)(const google::protobuf::EnumDescriptor*, const Json&);

void MapEnums(const Descriptor* type, Json& json, EnumMapper map);

void MapValue(const FieldDescriptor* field, Json& value, EnumMapper map) {
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
    value = map(field->enum_type(), value);
  } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    MapEnums(field->message_type(), value, map);
  }
}

// Rewrites the enum values of `json`, the proto3 JSON of a message of `type`, in place. Fields
// are found by their .proto name or their lowerCamelCase JSON name.
void MapEnums(const Descriptor* type, Json& json, EnumMapper map) {
  // Well-known types have their own JSON forms (timestamps, durations, structs, wrappers).
  if (absl::StartsWith(type->full_name(), "google.protobuf.") || !json.is_object()) return;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    for (const std::string& key : {field->name(), field->json_name()}) {
      auto it = json.find(key);
      if (it == json.end()) continue;
      if (field->is_map()) {
        const FieldDescriptor* value_field = field->message_type()->map_value();
        if (!it->is_object()) break;
        for (auto& [k, value] : it->items()) MapValue(value_field, value, map);
      } else if (field->is_repeated()) {
        if (!it->is_array()) break;
        for (Json& element : *it) MapValue(field, element, map);
      } else {
        MapValue(field, *it, map);
      }
      break;
    }
  }
}

}  // namespace

std::string EnumPrefix(const google::protobuf::EnumDescriptor* type) {
  const google::protobuf::EnumValueDescriptor* zero = type->FindValueByNumber(0);
  if (zero == nullptr) return "";
  absl::string_view name = zero->name();
  if (!absl::ConsumeSuffix(&name, "UNSPECIFIED")) return "";
  return std::string(name);
}

std::string EnumLabel(const google::protobuf::EnumDescriptor* type, int number) {
  const google::protobuf::EnumValueDescriptor* v = type->FindValueByNumber(number);
  if (v == nullptr) return absl::StrCat(number);
  const std::string& name = v->name();
  const std::string prefix = EnumPrefix(type);
  size_t start = name.compare(0, prefix.size(), prefix) == 0 ? prefix.size() : 0;
  while (start > 1 && name.size() - start < 3) {
    size_t prev = name.rfind('_', start - 2);
    start = prev == std::string::npos ? 0 : prev + 1;
  }
  return absl::AsciiStrToLower(absl::string_view(name).substr(start));
}

absl::StatusOr<std::string> MessageToJson(const google::protobuf::Message& message,
                                          JsonStyle style) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = false;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  std::string proto_json;
  auto s = google::protobuf::util::MessageToJsonString(message, &proto_json, opts);
  if (!s.ok()) {
    return absl::InternalError(absl::StrCat("cannot print ", message.GetTypeName(),
                                            " as JSON: ", s.message().as_string()));
  }
  Json json = Json::parse(proto_json, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InternalError(absl::StrCat("cannot print ", message.GetTypeName(), " as JSON"));
  }
  MapEnums(message.GetDescriptor(), json, EnumValueToLabel);
  return json.dump(style.multiline ? 2 : -1);
}

absl::Status JsonToMessage(absl::string_view text, google::protobuf::Message* message) {
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat("not valid JSON for ", message->GetTypeName()));
  }
  MapEnums(message->GetDescriptor(), json, EnumLabelToValue);
  google::protobuf::util::JsonParseOptions opts;
  auto s = google::protobuf::util::JsonStringToMessage(json.dump(), message, opts);
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("not a valid ", message->GetTypeName(),
                                                   " in JSON: ", s.message().as_string()));
  }
  return absl::OkStatus();
}

}  // namespace firegrid
