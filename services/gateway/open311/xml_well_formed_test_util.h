#pragma once

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "services/gateway/open311/render.h"

namespace firegrid::gateway::open311 {

// For tests: "" when `xml` is a well-formed document of the kind render.cc writes (the XML
// declaration, one root element, nested elements without attributes, text with the five
// predefined entities only, UTF-8 without control characters but tab and line breaks); else
// what is wrong. Independent of the writer: it reads the text back.
inline std::string XmlWellFormedness(absl::string_view xml) {
  constexpr absl::string_view kDecl = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";
  if (!absl::ConsumePrefix(&xml, kDecl)) return "no XML declaration";
  if (!IsValidUtf8(xml)) return "not UTF-8";
  std::vector<std::string> open;
  bool root_done = false;
  auto name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  };
  for (size_t i = 0; i < xml.size();) {
    const char c = xml[i];
    if (c == '<') {
      if (root_done) return "content after the root element";
      const size_t end = xml.find('>', i);
      if (end == absl::string_view::npos) return "unterminated tag";
      absl::string_view tag = xml.substr(i + 1, end - i - 1);
      const bool closing = absl::ConsumePrefix(&tag, "/");
      const bool empty = !closing && absl::ConsumeSuffix(&tag, "/");
      if (tag.empty() ||
          !(absl::ascii_isalpha(static_cast<unsigned char>(tag[0])) || tag[0] == '_')) {
        return absl::StrCat("bad tag <", tag, ">");
      }
      for (char t : tag) {
        if (!name_char(t)) return absl::StrCat("bad tag name ", tag);
      }
      if (closing) {
        if (open.empty() || open.back() != tag) return absl::StrCat("mismatched </", tag, ">");
        open.pop_back();
        if (open.empty()) root_done = true;
      } else if (empty) {
        if (open.empty()) root_done = true;
      } else {
        open.emplace_back(tag);
      }
      i = end + 1;
      continue;
    }
    if (open.empty()) return "text outside the root element";
    if (c == '>') return "raw > in text";
    if (c == '&') {
      const size_t semi = xml.find(';', i);
      if (semi == absl::string_view::npos) return "unterminated entity";
      const absl::string_view entity = xml.substr(i, semi - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
          entity != "&apos;") {
        return absl::StrCat("unknown entity ", entity);
      }
      i = semi + 1;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      return "control character";
    }
    ++i;
  }
  if (!open.empty()) return absl::StrCat("unclosed <", open.back(), ">");
  if (!root_done) return "no root element";
  return "";
}

}  // namespace firegrid::gateway::open311
