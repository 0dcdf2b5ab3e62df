#include "services/buildings/csv_encoding.h"

#include <errno.h>
#include <iconv.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "libs/common/status.h"
#include "services/buildings/validate.h"

namespace firegrid::buildings {
namespace {

constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

int LineAt(absl::string_view bytes, size_t offset) {
  return 1 + static_cast<int>(std::count(bytes.begin(), bytes.begin() + offset, '\n'));
}

// Converts GB18030 to UTF-8 with glibc iconv; on failure sets *bad to the offset of the first
// byte that does not decode.
bool Gb18030ToUtf8(absl::string_view in, std::string* out, size_t* bad) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    *bad = 0;
    return false;
  }
  out->clear();
  char* src = const_cast<char*>(in.data());
  size_t src_left = in.size();
  char buf[4096];
  bool ok = true;
  while (src_left > 0) {
    char* dst = buf;
    size_t dst_left = sizeof(buf);
    const size_t r = iconv(cd, &src, &src_left, &dst, &dst_left);
    out->append(buf, dst - buf);
    if (r == static_cast<size_t>(-1) && errno != E2BIG) {  // EILSEQ or EINVAL (truncated)
      *bad = in.size() - src_left;
      ok = false;
      break;
    }
  }
  iconv_close(cd);
  return ok;
}

// The offset of the first byte where `s` stops being UTF-8 (s.size() when it does not).
size_t FirstNonUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size() || !ValidUtf8(s.substr(i, n))) break;
    i += n;
  }
  return i;
}

}  // namespace

std::string DetectImportEncoding(absl::string_view bytes) {
  if (absl::StartsWith(bytes, kUtf8Bom)) return "UTF-8 with BOM";
  if (ValidUtf8(bytes)) return "UTF-8";
  return "GB18030";
}

absl::StatusOr<std::string> DecodeImportText(absl::string_view bytes) {
  if (absl::StartsWith(bytes, "\xFF\xFE") || absl::StartsWith(bytes, "\xFE\xFF")) {
    return InvalidField("content",
                        absl::StrCat("is encoded as ", bytes[0] == '\xFF' ? "UTF-16LE" : "UTF-16BE",
                                     "; save it as CSV in UTF-8 or GB18030"));
  }
  if (absl::ConsumePrefix(&bytes, kUtf8Bom)) {
    if (ValidUtf8(bytes)) return std::string(bytes);
    const size_t at = FirstNonUtf8(bytes);
    return InvalidField(
        "content", absl::StrFormat("starts with a UTF-8 byte-order mark but is not UTF-8 "
                                   "(byte 0x%02X on line %d)",
                                   at < bytes.size() ? static_cast<unsigned char>(bytes[at]) : 0,
                                   LineAt(bytes, at)));
  }
  if (ValidUtf8(bytes)) return std::string(bytes);
  std::string text;
  size_t bad = 0;
  if (Gb18030ToUtf8(bytes, &text, &bad)) return text;
  const size_t at = FirstNonUtf8(bytes);
  return InvalidField(
      "content",
      absl::StrFormat("is neither UTF-8 (byte 0x%02X on line %d) nor GB18030 (byte 0x%02X on "
                      "line %d); save it as CSV in UTF-8 or GB18030",
                      at < bytes.size() ? static_cast<unsigned char>(bytes[at]) : 0,
                      LineAt(bytes, at),
                      bad < bytes.size() ? static_cast<unsigned char>(bytes[bad]) : 0,
                      LineAt(bytes, std::min(bad, bytes.size()))));
}

}  // namespace firegrid::buildings
