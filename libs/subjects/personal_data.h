#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace firegrid::subjects {

// The one home of how personal data (个人信息, PIPL) is masked, one function per data kind. Which
// field is of which kind, who may see it unmasked and how long it is kept: docs/privacy.md.
// Identity numbers: MaskPersonId (party.h). Every function is idempotent (masking a masked value
// gives it back) and never lengthens what it masks beyond the input's characters.

// A phone number: the first 3 and the last 4 digits kept, every other digit '*'
// ("13812345678" → "138****5678", "023-6123-4567" → "023-****-4567"); separators and a leading
// '+' stay. Numbers of fewer than 8 digits are masked whole (their digits '*'). "" stays "".
std::string MaskPhone(absl::string_view phone);

// A person's name: the first character (UTF-8) kept, every other character one '*'
// ("张三丰" → "张**", "Li Lei" → "L*****"). "" stays "".
std::string MaskName(absl::string_view name);

// A free-text contact (a tip-off reporter's phone or e-mail): an e-mail address keeps the first
// character of its local part and the domain ("zhang@example.org" → "z****@example.org");
// anything else is masked as a phone (MaskPhone). "" stays "".
std::string MaskContact(absl::string_view contact);

}  // namespace firegrid::subjects
