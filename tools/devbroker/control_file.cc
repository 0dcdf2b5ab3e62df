#include "tools/devbroker/control_file.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace firegrid::devbroker {

absl::StatusOr<std::vector<ControlCommand>> ParseControlFile(absl::string_view text) {
  std::vector<ControlCommand> out;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> w = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("control file line ", number, " '", line, "': ", why));
    };
    ControlCommand c;
    if (w[0] == "rtt") {
      c.kind = ControlCommand::Kind::kRtt;
      if (w.size() != 2 || !absl::SimpleAtoi(w[1], &c.rtt_ms) || c.rtt_ms < 0 ||
          c.rtt_ms > 600000) {
        return bad("want rtt <ms> (0..600000)");
      }
    } else if (w[0] == "errors") {
      c.kind = ControlCommand::Kind::kErrors;
      int api_key = 0;
      if (w.size() != 4 || !absl::SimpleAtoi(w[1], &api_key) || api_key < 0 || api_key > 100 ||
          !absl::SimpleAtoi(w[2], &c.count) || c.count < 1 || c.count > 100000 ||
          !absl::SimpleAtoi(w[3], &c.error_code)) {
        return bad("want errors <api key 0..100> <count 1..100000> <error code>");
      }
      c.api_key = static_cast<int16_t>(api_key);
    } else {
      return bad("unknown command (rtt, errors)");
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace firegrid::devbroker
