#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace firegrid::redis {

// An owned copy of a hiredis reply (hiredis replies die with their context).
struct Reply {
  enum class Type { kNil, kInteger, kString, kStatus, kArray, kError };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;  // kString, kStatus and kError
  std::vector<Reply> elements;

  bool IsNil() const { return type == Type::kNil; }
  bool IsError() const { return type == Type::kError; }
};

// Maps a Redis error reply to a Status. A reply whose first word is a canonical status code
// name ("ABORTED version 3 != 2", "NOT_FOUND ...", "FAILED_PRECONDITION ...") becomes that code
// with the rest as message: Lua scripts signal domain outcomes this way. "LOADING ..." (the
// server is loading its data after a restart) and "MASTERDOWN ..." are UNAVAILABLE: retrying
// helps. Any other error reply (e.g. "ERR wrong number of arguments", "WRONGTYPE ...") is
// INTERNAL.
absl::Status ErrorReplyToStatus(const std::string& error_text);

}  // namespace firegrid::redis
