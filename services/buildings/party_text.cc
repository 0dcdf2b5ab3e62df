#include "services/buildings/party_text.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace firegrid::buildings {
namespace {

namespace sv1 = ::firegrid::subjects::v1;

// Splits at unescaped `seps`, removing the escapes; parts trimmed.
std::vector<std::string> SplitEscaped(absl::string_view text, absl::string_view seps) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      parts.back().push_back(text[++i]);
    } else if (seps.find(c) != absl::string_view::npos) {
      parts.emplace_back();
    } else {
      parts.back().push_back(c);
    }
  }
  for (auto& p : parts) p = std::string(absl::StripAsciiWhitespace(p));
  return parts;
}

std::string Escape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ':' || c == ';' || c == '\\' || c == '\n' || c == '\r') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

const std::vector<std::pair<std::string, sv1::PartyRole>>& RoleAliases() {
  static const auto* kAliases = new std::vector<std::pair<std::string, sv1::PartyRole>>{
      {"产权人", sv1::PARTY_ROLE_OWNER},
      {"使用人", sv1::PARTY_ROLE_OCCUPANT},
      {"管理单位", sv1::PARTY_ROLE_MANAGEMENT_UNIT},
      {"物业", sv1::PARTY_ROLE_PROPERTY_COMPANY},
      {"维保单位", sv1::PARTY_ROLE_MAINTENANCE_AGENCY},
      {"建设单位", sv1::PARTY_ROLE_BUILDER},
  };
  return *kAliases;
}

absl::StatusOr<sv1::PartyRole> ParseRole(const std::string& text) {
  std::string name = absl::AsciiStrToUpper(text);
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  sv1::PartyRole role;
  if ((sv1::PartyRole_Parse("PARTY_ROLE_" + name, &role) || sv1::PartyRole_Parse(name, &role)) &&
      role != sv1::PARTY_ROLE_UNSPECIFIED) {
    return role;
  }
  for (const auto& [alias, r] : RoleAliases()) {
    if (alias == text) return r;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown role '", text,
      "' (owner, occupant, management_unit, property_company, maintenance_agency, builder)"));
}

}  // namespace

std::string PartyRoleLabel(sv1::PartyRole role) {
  if (role == sv1::PARTY_ROLE_UNSPECIFIED || !sv1::PartyRole_IsValid(role)) return "";
  return absl::AsciiStrToLower(sv1::PartyRole_Name(role).substr(sizeof("PARTY_ROLE_") - 1));
}

absl::StatusOr<sv1::Party> ParsePartyText(absl::string_view text) {
  const std::vector<std::string> parts = SplitEscaped(text, ":");
  const bool person = parts.size() >= 3 && absl::AsciiStrToLower(parts[2]) == "id";
  const size_t min = person ? 4 : 3;
  if (parts.size() < min || parts.size() > min + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "want ROLE:NAME:CREDIT_CODE or ROLE:NAME:id:IDENTITY_NUMBER (and optionally :ACCOUNT), "
        "got \"",
        text, "\""));
  }
  sv1::Party p;
  absl::StatusOr<sv1::PartyRole> role = ParseRole(parts[0]);
  if (!role.ok()) return role.status();
  p.set_role(*role);
  p.set_name(parts[1]);
  if (person) {
    p.set_person_id(parts[3]);
  } else {
    p.set_credit_code(parts[2]);
  }
  if (parts.size() == min + 1) p.set_account_subject(parts[min]);
  return p;
}

absl::StatusOr<std::vector<sv1::Party>> ParsePartiesText(absl::string_view text) {
  std::vector<sv1::Party> out;
  // Entries split at unescaped separators; each entry keeps its escapes for ParsePartyText.
  std::vector<std::string> entries(1);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      entries.back().push_back(c);
      entries.back().push_back(text[++i]);
    } else if (c == ';' || c == '\n' || c == '\r') {
      entries.emplace_back();
    } else {
      entries.back().push_back(c);
    }
  }
  int n = 0;
  for (const std::string& entry : entries) {
    if (absl::StripAsciiWhitespace(entry).empty()) continue;
    ++n;
    absl::StatusOr<sv1::Party> p = ParsePartyText(entry);
    if (!p.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("entry ", n, ": ", p.status().message()));
    }
    out.push_back(*std::move(p));
  }
  return out;
}

std::string PartyText(const sv1::Party& p) {
  std::string out = absl::StrCat(PartyRoleLabel(p.role()), ":", Escape(p.name()), ":");
  if (!p.person_id().empty()) {
    absl::StrAppend(&out, "id:", Escape(p.person_id()));
  } else {
    absl::StrAppend(&out, Escape(p.credit_code()));
  }
  if (!p.account_subject().empty()) absl::StrAppend(&out, ":", Escape(p.account_subject()));
  return out;
}

std::string PartiesText(const google::protobuf::RepeatedPtrField<sv1::Party>& parties) {
  std::vector<std::string> entries;
  for (const auto& p : parties) entries.push_back(PartyText(p));
  return absl::StrJoin(entries, "; ");
}

}  // namespace firegrid::buildings
