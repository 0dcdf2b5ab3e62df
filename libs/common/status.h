#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace firegrid {

// The one mapping from absl::Status to grpc::Status at the API boundary.
// Codes map one to one. Messages of INTERNAL, UNKNOWN and DATA_LOSS errors carry internal
// detail (Redis replies, broker errors); they are logged and replaced by a generic message so
// that nothing internal leaks to clients.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The reverse mapping, for clients of other firegrid services.
absl::Status FromGrpcStatus(const grpc::Status& status);

// INVALID_ARGUMENT naming the offending request field, e.g. "building.height_m: must be > 0".
absl::Status InvalidField(absl::string_view field, absl::string_view problem);

// Returns early from the enclosing function when `expr` yields a non-OK absl::Status.
#define FG_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status fg_status_ = (expr);      \
    if (!fg_status_.ok()) return fg_status_; \
  } while (0)

#define FG_STATUS_CONCAT_INNER_(a, b) a##b
#define FG_STATUS_CONCAT_(a, b) FG_STATUS_CONCAT_INNER_(a, b)

// FG_ASSIGN_OR_RETURN(auto x, StatusOrExpr()); returns the error status when not OK.
#define FG_ASSIGN_OR_RETURN(lhs, expr) \
  FG_ASSIGN_OR_RETURN_IMPL_(FG_STATUS_CONCAT_(fg_statusor_, __LINE__), lhs, expr)
#define FG_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

}  // namespace firegrid
