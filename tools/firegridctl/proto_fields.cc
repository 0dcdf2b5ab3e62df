#include "tools/firegridctl/proto_fields.h"

#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "tools/firegridctl/args.h"
#include "tools/firegridctl/enums.h"

namespace firegrid::ctl {
namespace {

using google::protobuf::FieldDescriptor;

absl::TimeZone ChinaTime() { return absl::FixedTimeZone(8 * 60 * 60); }

absl::Time ToAbsl(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

absl::Status PathError(absl::string_view path, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("--set ", path, ": ", why));
}

}  // namespace

absl::Status SetFieldByPath(google::protobuf::Message* message, absl::string_view path,
                            absl::string_view value) {
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  google::protobuf::Message* m = message;
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(parts[i]);
    if (f == nullptr) {
      return PathError(path,
                       absl::StrCat("no field \"", parts[i], "\" in ", m->GetDescriptor()->name()));
    }
    if (f->is_repeated()) return PathError(path, "repeated fields cannot be set here");
    const google::protobuf::Reflection* r = m->GetReflection();
    const bool last = i + 1 == parts.size();
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (last) {
        return PathError(path, absl::StrCat("is a message; set its fields, e.g. ", path, ".",
                                            f->message_type()->field(0)->name()));
      }
      m = r->MutableMessage(m, f);
      continue;
    }
    if (!last) return PathError(path, absl::StrCat(parts[i], " is not a message"));
    auto fail = [&](const absl::Status& s) { return PathError(path, s.message()); };
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        r->SetString(m, f, std::string(value));
        break;
      case FieldDescriptor::CPPTYPE_BOOL: {
        absl::StatusOr<bool> b = ParseBool(value);
        if (!b.ok()) return fail(b.status());
        r->SetBool(m, f, *b);
        break;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        absl::StatusOr<double> d = ParseDouble(value);
        if (!d.ok()) return fail(d.status());
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
          r->SetDouble(m, f, *d);
        } else {
          r->SetFloat(m, f, static_cast<float>(*d));
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64: {
        absl::StatusOr<int64_t> n = ParseInt(value);
        if (!n.ok()) return fail(n.status());
        const bool is32 = f->cpp_type() == FieldDescriptor::CPPTYPE_INT32 ||
                          f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32;
        const bool is_unsigned = f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32 ||
                                 f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
        if ((is32 && (*n > INT32_MAX || *n < INT32_MIN)) || (is_unsigned && *n < 0)) {
          return PathError(path, "out of range");
        }
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT32) r->SetInt32(m, f, *n);
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT64) r->SetInt64(m, f, *n);
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32) r->SetUInt32(m, f, *n);
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64) r->SetUInt64(m, f, *n);
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        absl::StatusOr<int> n = ParseEnumNumber(f->enum_type(), value);
        if (!n.ok()) return fail(n.status());
        r->SetEnumValue(m, f, *n);
        break;
      }
      default:
        return PathError(path, "unsupported field type");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<std::string, std::string>> SplitAssignment(absl::string_view text) {
  size_t eq = text.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrCat("--set wants field=value, got \"", text, "\""));
  }
  return std::make_pair(std::string(absl::StripAsciiWhitespace(text.substr(0, eq))),
                        std::string(text.substr(eq + 1)));
}

std::string FormatTime(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%d %H:%M %Ez", ToAbsl(ts), ChinaTime());
}

std::string FormatDate(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%d", ToAbsl(ts), ChinaTime());
}

absl::StatusOr<google::protobuf::Timestamp> ParseDate(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", absl::StripAsciiWhitespace(text), ChinaTime(), &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat("not a date YYYY-MM-DD: \"", text, "\""));
  }
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

std::string FormatNumber(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string YesNo(bool value) { return value ? "yes" : "no"; }

}  // namespace firegrid::ctl
