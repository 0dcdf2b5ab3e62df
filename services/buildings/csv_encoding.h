#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace firegrid::buildings {

// The text encodings an import file may have (docs/csv-import.md): UTF-8 with or without a
// byte-order mark, or GB18030 (which includes GBK and GB2312: what Excel on a Chinese Windows PC
// writes as "CSV"). Returns the text as UTF-8 without a byte-order mark; INVALID_ARGUMENT on
// "content" naming the encoding found (UTF-16 by its byte-order mark) or the first byte that is
// neither UTF-8 nor GB18030, with its line.
absl::StatusOr<std::string> DecodeImportText(absl::string_view bytes);

// The name of the encoding DecodeImportText found: "UTF-8", "UTF-8 with BOM" or "GB18030".
std::string DetectImportEncoding(absl::string_view bytes);

}  // namespace firegrid::buildings
