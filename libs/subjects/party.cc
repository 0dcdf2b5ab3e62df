#include "libs/subjects/party.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "libs/common/status.h"

namespace firegrid::subjects {
namespace {

// GB 32100-2015 character set: the digits and 21 upper-case letters (no I, O, S, V, Z).
constexpr absl::string_view kCreditCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr int kCreditCodeWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

int CreditCodeValue(char c) {
  const size_t pos = kCreditCodeChars.find(c);
  return pos == absl::string_view::npos ? -1 : static_cast<int>(pos);
}

// GB 11643-1999 (ISO 7064 MOD 11-2).
constexpr int kPersonIdWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr absl::string_view kPersonIdChecks = "10X98765432";

size_t CharCount(absl::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

char CreditCodeCheckCharacter(absl::string_view first17) {
  if (first17.size() != 17) return '\0';
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    const int v = CreditCodeValue(first17[i]);
    if (v < 0) return '\0';
    sum += v * kCreditCodeWeights[i];
  }
  const int check = (31 - sum % 31) % 31;
  return kCreditCodeChars[check];
}

absl::Status ValidateCreditCode(absl::string_view code, absl::string_view field) {
  if (code.size() != 18) {
    return InvalidField(field, absl::StrFormat("a unified social credit code has 18 characters, "
                                               "not %d",
                                               static_cast<int>(CharCount(code))));
  }
  for (size_t i = 0; i < code.size(); ++i) {
    if (CreditCodeValue(code[i]) < 0) {
      return InvalidField(
          field, absl::StrFormat("character %d (%s) is not in the credit code's character set "
                                 "(digits and upper-case letters except I, O, S, V, Z)",
                                 static_cast<int>(i + 1),
                                 std::isprint(static_cast<unsigned char>(code[i]))
                                     ? std::string(1, code[i])
                                     : absl::StrFormat("byte 0x%02X", static_cast<unsigned char>(code[i]))));
    }
  }
  for (size_t i = 2; i < 8; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(code[i]))) {
      return InvalidField(field, absl::StrFormat("characters 3-8 are the administrative-division "
                                                 "code and must be digits; character %d is %c",
                                                 static_cast<int>(i + 1), code[i]));
    }
  }
  const char want = CreditCodeCheckCharacter(code.substr(0, 17));
  if (code[17] != want) {
    return InvalidField(field, absl::StrFormat("check character is %c, but the first 17 "
                                               "characters give %c (GB 32100)",
                                               code[17], want));
  }
  return absl::OkStatus();
}

char PersonIdCheckCharacter(absl::string_view first17) {
  if (first17.size() != 17) return '\0';
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(first17[i]))) return '\0';
    sum += (first17[i] - '0') * kPersonIdWeights[i];
  }
  return kPersonIdChecks[sum % 11];
}

absl::Status ValidatePersonId(absl::string_view id, absl::string_view field) {
  if (id.size() != 18) {
    return InvalidField(field, absl::StrFormat("a resident identity number has 18 characters, "
                                               "not %d",
                                               static_cast<int>(CharCount(id))));
  }
  for (size_t i = 0; i < 17; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(id[i]))) {
      return InvalidField(field, absl::StrFormat("characters 1-17 must be digits; character %d "
                                                 "is not",
                                                 static_cast<int>(i + 1)));
    }
  }
  if (!absl::ascii_isdigit(static_cast<unsigned char>(id[17])) && id[17] != 'X') {
    return InvalidField(field, "the check character (18th) must be a digit or X");
  }
  const int year = std::stoi(std::string(id.substr(6, 4)));
  const int month = std::stoi(std::string(id.substr(10, 2)));
  const int day = std::stoi(std::string(id.substr(12, 2)));
  const absl::CivilDay date(year, month, day);
  if (year < 1800 || date.year() != year || date.month() != month || date.day() != day) {
    return InvalidField(field, "characters 7-14 are not a valid birth date (YYYYMMDD)");
  }
  const char want = PersonIdCheckCharacter(id.substr(0, 17));
  if (id[17] != want) {
    // The digits before are not repeated: the message may be logged.
    return InvalidField(field, absl::StrFormat("check character is %c, but the first 17 digits "
                                               "give %c (GB 11643)",
                                               id[17], want));
  }
  return absl::OkStatus();
}

std::string MaskPersonId(absl::string_view id) {
  if (id.empty()) return "";
  if (id.size() < 10) return std::string(id.size(), '*');
  return absl::StrCat(id.substr(0, 6), std::string(id.size() - 10, '*'), id.substr(id.size() - 4));
}

v1::SubjectType SubjectTypeOf(v1::PartyRole role) {
  switch (role) {
    case v1::PARTY_ROLE_OWNER:
      return v1::SUBJECT_TYPE_OWNER;
    case v1::PARTY_ROLE_OCCUPANT:
      return v1::SUBJECT_TYPE_USER;
    case v1::PARTY_ROLE_MANAGEMENT_UNIT:
    case v1::PARTY_ROLE_PROPERTY_COMPANY:
      return v1::SUBJECT_TYPE_MANAGER;
    case v1::PARTY_ROLE_MAINTENANCE_AGENCY:
      return v1::SUBJECT_TYPE_SERVICE_AGENCY;
    case v1::PARTY_ROLE_BUILDER:
      return v1::SUBJECT_TYPE_BUILDER;
    default:
      return v1::SUBJECT_TYPE_UNSPECIFIED;
  }
}

absl::string_view SubjectTypeName(v1::SubjectType type) {
  switch (type) {
    case v1::SUBJECT_TYPE_OWNER:
      return "owner";
    case v1::SUBJECT_TYPE_USER:
      return "user";
    case v1::SUBJECT_TYPE_MANAGER:
      return "manager";
    case v1::SUBJECT_TYPE_SERVICE_AGENCY:
      return "service_agency";
    case v1::SUBJECT_TYPE_BUILDER:
      return "builder";
    default:
      return "";
  }
}

v1::SubjectType ParseSubjectType(absl::string_view name) {
  for (v1::SubjectType t :
       {v1::SUBJECT_TYPE_OWNER, v1::SUBJECT_TYPE_USER, v1::SUBJECT_TYPE_MANAGER,
        v1::SUBJECT_TYPE_SERVICE_AGENCY, v1::SUBJECT_TYPE_BUILDER}) {
    if (SubjectTypeName(t) == name) return t;
  }
  return v1::SUBJECT_TYPE_UNSPECIFIED;
}

void NormalizeParty(v1::Party* party) {
  party->set_name(std::string(absl::StripAsciiWhitespace(party->name())));
  party->set_credit_code(absl::AsciiStrToUpper(absl::StripAsciiWhitespace(party->credit_code())));
  party->set_person_id(absl::AsciiStrToUpper(absl::StripAsciiWhitespace(party->person_id())));
  party->set_account_subject(std::string(absl::StripAsciiWhitespace(party->account_subject())));
}

absl::Status ValidateParty(const v1::Party& party, absl::string_view prefix) {
  const auto f = [&](absl::string_view name) { return absl::StrCat(prefix, ".", name); };
  if (party.role() == v1::PARTY_ROLE_UNSPECIFIED || !v1::PartyRole_IsValid(party.role())) {
    return InvalidField(f("role"), "required: owner, occupant, management unit, property "
                                   "company, maintenance agency or builder");
  }
  const size_t name_chars = CharCount(party.name());
  if (name_chars == 0) return InvalidField(f("name"), "required");
  if (name_chars > 200) return InvalidField(f("name"), "at most 200 characters");
  const bool org = !party.credit_code().empty();
  const bool person = !party.person_id().empty();
  if (org == person) {
    return InvalidField(f("credit_code"),
                        org ? "give a credit code (organisation) or a person id, not both"
                            : "required: an organisation's unified social credit code, or "
                              "person_id for a natural person");
  }
  if (org) FG_RETURN_IF_ERROR(ValidateCreditCode(party.credit_code(), f("credit_code")));
  if (person) FG_RETURN_IF_ERROR(ValidatePersonId(party.person_id(), f("person_id")));
  if (party.account_subject().size() > 128) {
    return InvalidField(f("account_subject"), "at most 128 characters");
  }
  return absl::OkStatus();
}

void MaskParty(v1::Party* party) {
  if (!party->person_id().empty()) party->set_person_id(MaskPersonId(party->person_id()));
}

}  // namespace firegrid::subjects
