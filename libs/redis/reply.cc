#include "libs/redis/reply.h"

#include <hiredis/hiredis.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "libs/redis/reply_internal.h"

namespace firegrid::redis {
namespace {

struct CodeName {
  absl::string_view name;
  absl::StatusCode code;
};

// Every canonical code but OK: an error reply never means success.
constexpr CodeName kCodeNames[] = {
    {"CANCELLED", absl::StatusCode::kCancelled},
    {"UNKNOWN", absl::StatusCode::kUnknown},
    {"INVALID_ARGUMENT", absl::StatusCode::kInvalidArgument},
    {"DEADLINE_EXCEEDED", absl::StatusCode::kDeadlineExceeded},
    {"NOT_FOUND", absl::StatusCode::kNotFound},
    {"ALREADY_EXISTS", absl::StatusCode::kAlreadyExists},
    {"PERMISSION_DENIED", absl::StatusCode::kPermissionDenied},
    {"RESOURCE_EXHAUSTED", absl::StatusCode::kResourceExhausted},
    {"FAILED_PRECONDITION", absl::StatusCode::kFailedPrecondition},
    {"ABORTED", absl::StatusCode::kAborted},
    {"OUT_OF_RANGE", absl::StatusCode::kOutOfRange},
    {"UNIMPLEMENTED", absl::StatusCode::kUnimplemented},
    {"INTERNAL", absl::StatusCode::kInternal},
    {"UNAVAILABLE", absl::StatusCode::kUnavailable},
    {"DATA_LOSS", absl::StatusCode::kDataLoss},
    {"UNAUTHENTICATED", absl::StatusCode::kUnauthenticated},
};

// Redis's own errors that say "not now" rather than "wrong": the server is loading its dataset
// after a restart (AOF/RDB), or is a replica cut off from its master. The call may succeed when
// retried, so they are UNAVAILABLE (which clients retry), not INTERNAL.
constexpr absl::string_view kTransientRedisErrors[] = {"LOADING", "MASTERDOWN"};

}  // namespace

absl::Status ErrorReplyToStatus(const std::string& error_text) {
  absl::string_view text(error_text);
  size_t space = text.find(' ');
  absl::string_view first = text.substr(0, space);
  for (const CodeName& c : kCodeNames) {
    if (first == c.name) {
      absl::string_view rest = space == absl::string_view::npos ? "" : text.substr(space + 1);
      return absl::Status(c.code, rest);
    }
  }
  for (absl::string_view transient : kTransientRedisErrors) {
    if (first == transient) return absl::UnavailableError(absl::StrCat("redis: ", text));
  }
  return absl::InternalError(absl::StrCat("redis: ", text));
}

namespace internal {

Reply FromHiredis(const redisReply* r) {
  Reply out;
  if (r == nullptr) return out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(FromHiredis(r->element[i]));
      break;
    case REDIS_REPLY_NIL:
    default:
      out.type = Reply::Type::kNil;
      break;
  }
  return out;
}

}  // namespace internal
}  // namespace firegrid::redis
