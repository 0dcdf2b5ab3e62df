#include "libs/redis/reply.h"

#include <hiredis/hiredis.h>

#include <string>

#include "gtest/gtest.h"
#include "libs/redis/reply_internal.h"

namespace firegrid::redis {
namespace {

TEST(ErrorReplyToStatus, CanonicalCodeNameBecomesThatCodeWithTheRestAsMessage) {
  absl::Status s = ErrorReplyToStatus("ABORTED version 3 != 2");
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(s.message(), "version 3 != 2");

  EXPECT_EQ(ErrorReplyToStatus("NOT_FOUND building bld_1").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReplyToStatus("FAILED_PRECONDITION x").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReplyToStatus("ALREADY_EXISTS dup").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrorReplyToStatus("INVALID_ARGUMENT f").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReplyToStatus("PERMISSION_DENIED p").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReplyToStatus("RESOURCE_EXHAUSTED r").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReplyToStatus("UNAVAILABLE u").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReplyToStatus("OUT_OF_RANGE o").code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ErrorReplyToStatus("UNAUTHENTICATED u").code(), absl::StatusCode::kUnauthenticated);
}

TEST(ErrorReplyToStatus, CodeNameAloneGivesAnEmptyMessage) {
  absl::Status s = ErrorReplyToStatus("NOT_FOUND");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "");
}

TEST(ErrorReplyToStatus, RedisStillLoadingItsDataAfterARestartIsUnavailableNotInternal) {
  absl::Status s = ErrorReplyToStatus("LOADING Redis is loading the dataset in memory");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("loading the dataset"), absl::string_view::npos);
  EXPECT_EQ(ErrorReplyToStatus("MASTERDOWN Link with MASTER is down").code(),
            absl::StatusCode::kUnavailable);
}

TEST(ErrorReplyToStatus, OtherRedisErrorsAreInternalAndKeepTheText) {
  absl::Status s = ErrorReplyToStatus("ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_NE(s.message().find("ERR wrong number of arguments"), absl::string_view::npos);
  EXPECT_EQ(ErrorReplyToStatus("WRONGTYPE Operation against a key").code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReplyToStatus("").code(), absl::StatusCode::kInternal);
}

TEST(ErrorReplyToStatus, OkAndLookalikesNeverMeanSuccess) {
  EXPECT_EQ(ErrorReplyToStatus("OK fine").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReplyToStatus("aborted lower case").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorReplyToStatus("ABORTEDX glued").code(), absl::StatusCode::kInternal);
}

// Parses RESP bytes with hiredis' own reader and converts the reply.
Reply Parse(const std::string& resp) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, resp.data(), resp.size());
  void* raw = nullptr;
  EXPECT_EQ(redisReaderGetReply(reader, &raw), REDIS_OK);
  Reply out = internal::FromHiredis(static_cast<redisReply*>(raw));
  if (raw != nullptr) freeReplyObject(raw);
  redisReaderFree(reader);
  return out;
}

TEST(FromHiredis, ConvertsEveryReplyType) {
  Reply s = Parse("$5\r\nhello\r\n");
  EXPECT_EQ(s.type, Reply::Type::kString);
  EXPECT_EQ(s.str, "hello");

  Reply st = Parse("+OK\r\n");
  EXPECT_EQ(st.type, Reply::Type::kStatus);
  EXPECT_EQ(st.str, "OK");

  Reply e = Parse("-ABORTED stale\r\n");
  EXPECT_TRUE(e.IsError());
  EXPECT_EQ(e.str, "ABORTED stale");

  Reply i = Parse(":-42\r\n");
  EXPECT_EQ(i.type, Reply::Type::kInteger);
  EXPECT_EQ(i.integer, -42);

  EXPECT_TRUE(Parse("$-1\r\n").IsNil());
  EXPECT_TRUE(Parse("*-1\r\n").IsNil());
  EXPECT_TRUE(internal::FromHiredis(nullptr).IsNil());
}

TEST(FromHiredis, CopiesBinaryStringsWithEmbeddedNulAndCrlf) {
  Reply s = Parse(std::string("$6\r\na\0b\r\nc\r\n", 13));
  EXPECT_EQ(s.str, std::string("a\0b\r\nc", 6));
}

TEST(FromHiredis, ConvertsNestedArrays) {
  Reply a = Parse("*3\r\n:1\r\n*2\r\n$1\r\nx\r\n$-1\r\n+PONG\r\n");
  ASSERT_EQ(a.type, Reply::Type::kArray);
  ASSERT_EQ(a.elements.size(), 3u);
  EXPECT_EQ(a.elements[0].integer, 1);
  ASSERT_EQ(a.elements[1].elements.size(), 2u);
  EXPECT_EQ(a.elements[1].elements[0].str, "x");
  EXPECT_TRUE(a.elements[1].elements[1].IsNil());
  EXPECT_EQ(a.elements[2].str, "PONG");

  Reply empty = Parse("*0\r\n");
  EXPECT_EQ(empty.type, Reply::Type::kArray);
  EXPECT_TRUE(empty.elements.empty());
}

}  // namespace
}  // namespace firegrid::redis
