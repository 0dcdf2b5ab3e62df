#include "libs/redis/lex_index.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "libs/common/status.h"

namespace firegrid::redis {

absl::StatusOr<LexPage> ScanLexIndex(Pool& pool, const std::string& index,
                                     const std::string& prefix, const std::string& cursor,
                                     int limit) {
  const std::string min = cursor.empty() ? "[" + prefix : "(" + cursor;
  const std::string max = "[" + prefix + "\xff";
  FG_ASSIGN_OR_RETURN(Reply r, pool.Command({"ZRANGEBYLEX", index, min, max, "LIMIT", "0",
                                             absl::StrCat(limit + 1)}));
  LexPage page;
  for (const auto& e : r.elements) {
    if (static_cast<int>(page.ids.size()) == limit) {
      page.next_cursor = r.elements[limit - 1].str;
      break;
    }
    const auto bar = e.str.find('|');
    page.ids.push_back(bar == std::string::npos ? e.str : e.str.substr(bar + 1));
  }
  return page;
}

absl::StatusOr<std::vector<std::string>> FetchValues(
    Pool& pool, const std::vector<std::vector<std::string>>& commands) {
  std::vector<std::string> out;
  if (commands.empty()) return out;
  FG_ASSIGN_OR_RETURN(std::vector<Reply> replies, pool.Pipeline(commands));
  out.reserve(replies.size());
  for (Reply& r : replies) {
    if (r.IsError()) return absl::InternalError(r.str);
    if (r.IsNil()) continue;
    out.push_back(std::move(r.str));  // the replies are not read again
  }
  return out;
}

}  // namespace firegrid::redis
