#include "libs/subjects/personal_data.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace firegrid::subjects {
namespace {

// The byte length of the UTF-8 character starting with `lead` (1 for a stray continuation byte).
size_t Utf8Length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

std::string MaskPhone(absl::string_view phone) {
  // A '*' counts as a digit (an already masked one), so that masking is idempotent.
  auto digit = [](char c) {
    return c == '*' || absl::ascii_isdigit(static_cast<unsigned char>(c));
  };
  int digits = 0;
  for (char c : phone) digits += digit(c) ? 1 : 0;
  std::string out(phone);
  int seen = 0;
  for (char& c : out) {
    if (!digit(c)) continue;
    ++seen;
    const bool keep = digits >= 8 && (seen <= 3 || seen > digits - 4);
    if (!keep) c = '*';
  }
  return out;
}

std::string MaskName(absl::string_view name) {
  if (name.empty()) return "";
  size_t first = std::min(Utf8Length(static_cast<unsigned char>(name[0])), name.size());
  std::string out(name.substr(0, first));
  for (size_t i = first; i < name.size(); i += Utf8Length(static_cast<unsigned char>(name[i]))) {
    out.push_back('*');
  }
  return out;
}

std::string MaskContact(absl::string_view contact) {
  const size_t at = contact.rfind('@');
  if (at == absl::string_view::npos) return MaskPhone(contact);
  if (at == 0) return std::string(contact);
  std::string out(1, contact[0]);
  out.append(at - 1, '*');
  out.append(contact.data() + at, contact.size() - at);
  return out;
}

}  // namespace firegrid::subjects
