#include "libs/common/status.h"

#include "gtest/gtest.h"

namespace firegrid {
namespace {

TEST(ToGrpcStatus, MapsClientErrorsWithTheirMessages) {
  grpc::Status s = ToGrpcStatus(InvalidField("building.height_m", "must be > 0"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "building.height_m: must be > 0");
  EXPECT_EQ(ToGrpcStatus(absl::NotFoundError("no building b_1")).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ToGrpcStatus(absl::AbortedError("stale")).error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ToGrpcStatus(absl::PermissionDeniedError("x")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ToGrpcStatus(absl::UnauthenticatedError("x")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(ToGrpcStatus, StripsInternalDetail) {
  grpc::Status s = ToGrpcStatus(absl::InternalError("redis: ERR wrong number of args at 10.0.0.5"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(s.error_message(), "internal error");
  EXPECT_EQ(ToGrpcStatus(absl::UnknownError("secret")).error_message(), "internal error");
  EXPECT_EQ(ToGrpcStatus(absl::DataLossError("secret")).error_message(), "internal error");
}

TEST(FromGrpcStatus, RoundTripsCodes) {
  absl::Status s = FromGrpcStatus(grpc::Status(grpc::StatusCode::ABORTED, "v"));
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(s.message(), "v");
}

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::Status UseMacros(int x, int* out) {
  FG_ASSIGN_OR_RETURN(int h, Half(x));
  FG_RETURN_IF_ERROR(h > 100 ? absl::OutOfRangeError("big") : absl::OkStatus());
  *out = h;
  return absl::OkStatus();
}

TEST(StatusMacros, PropagateErrorsAndValues) {
  int out = 0;
  EXPECT_TRUE(UseMacros(8, &out).ok());
  EXPECT_EQ(out, 4);
  EXPECT_EQ(UseMacros(3, &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UseMacros(400, &out).code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace firegrid
