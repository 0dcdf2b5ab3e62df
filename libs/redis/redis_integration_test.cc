// Against a real redis-server started by the test (tests/support).
#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/atomic_write_internal.h"
#include "libs/redis/counters.h"
#include "libs/redis/lex_index.h"
#include "libs/redis/pool.h"
#include "libs/redis/script.h"
#include "tests/support/redis_server.h"

namespace firegrid::redis {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Precondition = AtomicWrite::Precondition;

PoolOptions OptionsFor(const testing::RedisServer& server) {
  PoolOptions o;
  EXPECT_TRUE(ParseAddress(server.address(), &o).ok());
  o.initial_backoff = absl::Milliseconds(10);
  o.max_backoff = absl::Milliseconds(100);
  return o;
}

// One server shared by the tests of a suite; each test starts from an empty database.
class RedisTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new testing::RedisServer();
    absl::Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s;
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(server_->running());
    pool_ = Pool::Create(OptionsFor(*server_));
    ASSERT_TRUE(pool_->Command({"FLUSHALL"}).ok());
  }

  Reply Must(const std::vector<std::string>& args) {
    absl::StatusOr<Reply> r = pool_->Command(args);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : Reply{};
  }

  static testing::RedisServer* server_;
  std::unique_ptr<Pool> pool_;
};

testing::RedisServer* RedisTest::server_ = nullptr;

TEST_F(RedisTest, CommandsReturnTypedReplies) {
  EXPECT_TRUE(pool_->Ping().ok());
  Reply set = Must({"SET", "k", "v"});
  EXPECT_EQ(set.type, Reply::Type::kStatus);
  EXPECT_EQ(set.str, "OK");
  Reply get = Must({"GET", "k"});
  EXPECT_EQ(get.type, Reply::Type::kString);
  EXPECT_EQ(get.str, "v");
  EXPECT_TRUE(Must({"GET", "missing"}).IsNil());
  EXPECT_EQ(Must({"INCRBY", "n", "5"}).integer, 5);
  Must({"RPUSH", "l", "a", "b"});
  Reply range = Must({"LRANGE", "l", "0", "-1"});
  ASSERT_EQ(range.type, Reply::Type::kArray);
  ASSERT_EQ(range.elements.size(), 2u);
  EXPECT_EQ(range.elements[1].str, "b");
}

TEST_F(RedisTest, ValuesAndKeysAreBinarySafe) {
  std::string key("bin\0key\r\n", 9);
  std::string value;
  for (int i = 0; i < 256; ++i) value.push_back(static_cast<char>(i));
  value += std::string("\0\r\n$3\r\n", 7);
  Must({"SET", key, value});
  Reply get = Must({"GET", key});
  EXPECT_EQ(get.str, value);
  Must({"HSET", "h", std::string("f\0", 2), value});
  EXPECT_EQ(Must({"HGET", "h", std::string("f\0", 2)}).str, value);
  EXPECT_TRUE(Must({"HGET", "h", "f"}).IsNil());
}

TEST_F(RedisTest, ErrorRepliesMapToStatus) {
  Must({"SET", "s", "x"});
  absl::StatusOr<Reply> wrongtype = pool_->Command({"HGET", "s", "f"});
  EXPECT_EQ(wrongtype.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(wrongtype.status().message()), HasSubstr("WRONGTYPE"));
  absl::StatusOr<Reply> coded =
      pool_->Command({"EVAL", "return redis.error_reply('ABORTED version 3 != 2')", "0"});
  EXPECT_EQ(coded.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(coded.status().message(), "version 3 != 2");
  // The connection stays usable after error replies.
  EXPECT_TRUE(pool_->Ping().ok());
}

TEST_F(RedisTest, PipelineReturnsRepliesInOrderWithErrorsInline) {
  Must({"SET", "s", "x"});
  absl::StatusOr<std::vector<Reply>> replies =
      pool_->Pipeline({{"SET", "a", "1"}, {"INCR", "a"}, {"HGET", "s", "f"}, {"GET", "a"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 4u);
  EXPECT_EQ((*replies)[0].str, "OK");
  EXPECT_EQ((*replies)[1].integer, 2);
  EXPECT_TRUE((*replies)[2].IsError());
  EXPECT_THAT((*replies)[2].str, HasSubstr("WRONGTYPE"));
  EXPECT_EQ((*replies)[3].str, "2");
}

TEST_F(RedisTest, PipelineOfManyCommandsUsesOneRoundTrip) {
  std::vector<std::vector<std::string>> cmds;
  for (int i = 0; i < 1000; ++i) cmds.push_back({"RPUSH", "list", std::to_string(i)});
  absl::StatusOr<std::vector<Reply>> replies = pool_->Pipeline(cmds);
  ASSERT_TRUE(replies.ok());
  ASSERT_EQ(replies->size(), 1000u);
  EXPECT_EQ(replies->back().integer, 1000);
}

TEST_F(RedisTest, ScriptShaMatchesRedisAndLoadsOnFirstUse) {
  Script script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");
  EXPECT_EQ(Must({"SCRIPT", "EXISTS", script.sha1()}).elements[0].integer, 0);
  absl::StatusOr<Reply> r = script.Run(*pool_, {"counter"}, {"arg"});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->elements.size(), 3u);
  EXPECT_EQ(r->elements[0].str, "counter");
  EXPECT_EQ(r->elements[1].str, "arg");
  EXPECT_EQ(r->elements[2].integer, 1);
  EXPECT_EQ(Must({"SCRIPT", "EXISTS", script.sha1()}).elements[0].integer, 1);
  EXPECT_EQ(Must({"SCRIPT", "LOAD", script.source()}).str, script.sha1());
}

TEST_F(RedisTest, ScriptReloadsAfterScriptFlush) {
  Script script("return redis.call('INCR', KEYS[1])");
  ASSERT_EQ(script.Run(*pool_, {"c"}, {})->integer, 1);
  Must({"SCRIPT", "FLUSH"});
  EXPECT_EQ(Must({"SCRIPT", "EXISTS", script.sha1()}).elements[0].integer, 0);
  absl::StatusOr<Reply> again = script.Run(*pool_, {"c"}, {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->integer, 2);  // ran exactly once more
  EXPECT_EQ(Must({"SCRIPT", "EXISTS", script.sha1()}).elements[0].integer, 1);
}

TEST_F(RedisTest, ScriptErrorReplyBecomesTheNamedStatus) {
  Script script(
      "if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('NOT_FOUND no ' .. "
      "KEYS[1]) end return 1");
  absl::StatusOr<Reply> r = script.Run(*pool_, {"thing"}, {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "no thing");
  Script broken("return redis.call('NOSUCHCOMMAND')");
  EXPECT_EQ(broken.Run(*pool_, {}, {}).status().code(), absl::StatusCode::kInternal);
}

Precondition Pre(Precondition::Kind kind, std::string key, std::string field = "",
                 std::string value = "",
                 absl::StatusCode code = absl::StatusCode::kFailedPrecondition,
                 std::string message = "") {
  Precondition p;
  p.kind = kind;
  p.key = std::move(key);
  p.field = std::move(field);
  p.value = std::move(value);
  p.code_on_failure = code;
  p.message_on_failure = std::move(message);
  return p;
}

AtomicWrite VersionedUpdate(const std::string& expected_version, const std::string& new_version) {
  AtomicWrite w;
  w.preconditions.push_back(Pre(Precondition::Kind::kEquals, "bld:1", "version", expected_version,
                                absl::StatusCode::kAborted,
                                "bld:1 is not at version " + expected_version));
  w.commands = {{"HSET", "bld:1", "data", "payload-" + new_version, "version", new_version},
                {"SADD", "bld:index", "1"}};
  w.appends = {{"outbox", {{"type", "BuildingUpdated"}, {"version", new_version}}}};
  return w;
}

TEST_F(RedisTest, AtomicWriteAppliesCommandsAndStreamAppends) {
  Must({"HSET", "bld:1", "data", "payload-1", "version", "1"});
  absl::Status s = Execute(*pool_, VersionedUpdate("1", "2"));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Must({"HGET", "bld:1", "version"}).str, "2");
  EXPECT_EQ(Must({"HGET", "bld:1", "data"}).str, "payload-2");
  EXPECT_EQ(Must({"SISMEMBER", "bld:index", "1"}).integer, 1);
  Reply entries = Must({"XRANGE", "outbox", "-", "+"});
  ASSERT_EQ(entries.elements.size(), 1u);
  const Reply& fields = entries.elements[0].elements[1];
  ASSERT_EQ(fields.elements.size(), 4u);
  EXPECT_EQ(fields.elements[0].str, "type");
  EXPECT_EQ(fields.elements[1].str, "BuildingUpdated");
  EXPECT_EQ(fields.elements[3].str, "2");
}

TEST_F(RedisTest, AtomicWriteWithAFailedPreconditionWritesNothing) {
  Must({"HSET", "bld:1", "data", "payload-1", "version", "1"});
  AtomicWrite w = VersionedUpdate("0", "2");  // stale
  w.once_key = "once:evt-1";
  absl::Status s = Execute(*pool_, w);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(s.message(), "bld:1 is not at version 0");
  EXPECT_EQ(Must({"HGET", "bld:1", "version"}).str, "1");
  EXPECT_EQ(Must({"EXISTS", "bld:index", "outbox", "once:evt-1"}).integer, 0);
}

TEST_F(RedisTest, AtomicWriteLaterPreconditionFailureStillWritesNothing) {
  Must({"HSET", "bld:1", "data", "payload-1", "version", "1"});
  AtomicWrite w = VersionedUpdate("1", "2");  // this one holds
  w.preconditions.push_back(Pre(Precondition::Kind::kAbsent, "name:tower-a", "", "",
                                absl::StatusCode::kAlreadyExists, "name tower-a taken"));
  Must({"SET", "name:tower-a", "bld:9"});
  absl::Status s = Execute(*pool_, w);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "name tower-a taken");
  EXPECT_EQ(Must({"HGET", "bld:1", "version"}).str, "1");
  EXPECT_EQ(Must({"EXISTS", "bld:index", "outbox"}).integer, 0);
}

TEST_F(RedisTest, AtomicWritePreconditionKindsOnKeysAndHashFields) {
  Must({"SET", "plain", "v1"});
  Must({"HSET", "h", "f", "x"});
  auto run = [&](Precondition p) {
    AtomicWrite w;
    w.preconditions = {p};
    w.commands = {{"INCR", "applied"}};
    return Execute(*pool_, w).code();
  };
  using K = Precondition::Kind;
  const auto kOk = absl::StatusCode::kOk;
  const auto kFail = absl::StatusCode::kFailedPrecondition;
  EXPECT_EQ(run(Pre(K::kEquals, "plain", "", "v1")), kOk);
  EXPECT_EQ(run(Pre(K::kEquals, "plain", "", "v2")), kFail);
  EXPECT_EQ(run(Pre(K::kEquals, "nokey", "", "")), kFail);  // nil is not ""
  EXPECT_EQ(run(Pre(K::kExists, "plain")), kOk);
  EXPECT_EQ(run(Pre(K::kExists, "nokey")), kFail);
  EXPECT_EQ(run(Pre(K::kAbsent, "nokey")), kOk);
  EXPECT_EQ(run(Pre(K::kAbsent, "plain")), kFail);
  EXPECT_EQ(run(Pre(K::kEquals, "h", "f", "x")), kOk);
  EXPECT_EQ(run(Pre(K::kExists, "h", "f")), kOk);
  EXPECT_EQ(run(Pre(K::kExists, "h", "g")), kFail);
  EXPECT_EQ(run(Pre(K::kAbsent, "h", "g")), kOk);
  EXPECT_EQ(run(Pre(K::kAbsent, "h", "f")), kFail);
  EXPECT_EQ(Must({"GET", "applied"}).str, "6");  // one per kOk above
}

TEST_F(RedisTest, AtomicWriteOnceKeyMakesARepeatAlreadyExistsWithNoEffect) {
  AtomicWrite w;
  w.once_key = "consumed:evt-42";
  w.once_ttl = absl::Hours(1);
  w.commands = {{"INCRBY", "score:owner-1", "-5"}};
  w.appends = {{"outbox", {{"type", "ScoreChanged"}}}};
  ASSERT_TRUE(Execute(*pool_, w).ok());
  absl::Status again = Execute(*pool_, w);
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(again.message()), HasSubstr("consumed:evt-42"));
  EXPECT_EQ(Must({"GET", "score:owner-1"}).str, "-5");
  EXPECT_EQ(Must({"XLEN", "outbox"}).integer, 1);
  int64_t ttl_ms = Must({"PTTL", "consumed:evt-42"}).integer;
  EXPECT_GT(ttl_ms, 3500 * 1000);
  EXPECT_LE(ttl_ms, 3600 * 1000);
}

TEST_F(RedisTest, AtomicWriteWithAWrongTypeCommandWritesNothing) {
  Must({"SET", "str", "x"});
  AtomicWrite w;
  w.once_key = "once:1";
  w.commands = {{"SET", "first", "1"}, {"HSET", "str", "f", "v"}};
  w.appends = {{"outbox", {{"k", "v"}}}};
  absl::Status s = Execute(*pool_, w);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(s.message()), HasSubstr("HSET on str"));
  EXPECT_EQ(Must({"EXISTS", "first", "outbox", "once:1"}).integer, 0);

  // A key deleted or overwritten earlier in the same write may change type.
  AtomicWrite retype;
  retype.commands = {{"DEL", "str"}, {"HSET", "str", "f", "v"}};
  ASSERT_TRUE(Execute(*pool_, retype).ok());
  EXPECT_EQ(Must({"HGET", "str", "f"}).str, "v");
}

TEST_F(RedisTest, AtomicWriteCarriesBinaryValuesAndManyItems) {
  std::string bytes("\0\1\2\r\n\xff", 6);
  AtomicWrite w;
  for (int i = 0; i < 200; ++i) {
    w.commands.push_back({"HSET", "obj:" + std::to_string(i), "data", bytes + std::to_string(i)});
  }
  // One command with 20,001 arguments (a Lua script could not pass more than ~8,000).
  std::vector<std::string> wide = {"HSET", "wide"};
  for (int i = 0; i < 10000; ++i) {
    wide.push_back("f" + std::to_string(i));
    wide.push_back(bytes);
  }
  w.commands.push_back(std::move(wide));
  w.appends = {{"outbox", {{"payload", bytes}}}, {"outbox2", {{"a", "1"}, {"b", ""}}}};
  ASSERT_TRUE(Execute(*pool_, w).ok());
  EXPECT_EQ(Must({"HGET", "obj:199", "data"}).str, bytes + "199");
  EXPECT_EQ(Must({"HLEN", "wide"}).integer, 10000);
  Reply entry = Must({"XRANGE", "outbox", "-", "+"});
  EXPECT_EQ(entry.elements[0].elements[1].elements[1].str, bytes);
  EXPECT_EQ(Must({"XLEN", "outbox2"}).integer, 1);
}

TEST_F(RedisTest, AtomicWriteWhosePreconditionKeyChangesBeforeExecIsNotWrittenAndReadsAgain) {
  Must({"HSET", "bld:1", "data", "payload-1", "version", "1"});
  std::vector<int> attempts;
  // Another writer moves the building to version 2 after this write's reads found version 1.
  absl::Status s = internal::Execute(*pool_, VersionedUpdate("1", "2"), [&](int attempt) {
    attempts.push_back(attempt);
    Must({"HSET", "bld:1", "data", "payload-other", "version", "2"});
  });
  // The transaction was refused, and the second read found the precondition failing.
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(s.message(), "bld:1 is not at version 1");
  EXPECT_THAT(attempts, ElementsAre(1));
  EXPECT_EQ(Must({"HGET", "bld:1", "data"}).str, "payload-other");
  EXPECT_EQ(Must({"EXISTS", "bld:index", "outbox"}).integer, 0);
}

TEST_F(RedisTest, AtomicWriteThatLostTheRaceOnceIsWrittenOnceOnTheNextAttempt) {
  Must({"HSET", "bld:1", "data", "payload-1", "version", "1"});
  const int64_t conflicts_before = AtomicWriteConflicts();
  std::vector<int> attempts;
  // The first attempt's watched key is touched (the same value written again: still a change
  // for WATCH); the second attempt is left alone.
  absl::Status s = internal::Execute(*pool_, VersionedUpdate("1", "2"), [&](int attempt) {
    attempts.push_back(attempt);
    if (attempt == 1) Must({"HSET", "bld:1", "version", "1"});
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(attempts, ElementsAre(1, 2));
  EXPECT_EQ(AtomicWriteConflicts() - conflicts_before, 1);  // the conflicts metric counts it
  EXPECT_EQ(Must({"HGET", "bld:1", "version"}).str, "2");
  EXPECT_EQ(Must({"XLEN", "outbox"}).integer, 1);
}

TEST_F(RedisTest, AtomicWriteWhoseKeysChangeOnEveryAttemptGivesUpAbortedHavingWrittenNothing) {
  Must({"HSET", "bld:1", "data", "payload-1", "version", "1"});
  int attempts = 0;
  absl::Status s = internal::Execute(*pool_, VersionedUpdate("1", "2"), [&](int) {
    ++attempts;
    Must({"HSET", "bld:1", "version", "1"});
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(s.message()), HasSubstr("bld:1"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("10 attempts"));
  EXPECT_EQ(attempts, 10);
  EXPECT_EQ(Must({"HGET", "bld:1", "version"}).str, "1");
  EXPECT_EQ(Must({"EXISTS", "bld:index", "outbox"}).integer, 0);
}

TEST_F(RedisTest, AtomicWriteThatFailedItsPreconditionLeavesNoWatchOnThePooledConnection) {
  PoolOptions o = OptionsFor(*server_);
  o.size = 1;  // the next write gets the same connection
  std::unique_ptr<Pool> pool = Pool::Create(o);
  Must({"HSET", "bld:1", "data", "payload-1", "version", "1"});
  ASSERT_EQ(Execute(*pool, VersionedUpdate("0", "2")).code(), absl::StatusCode::kAborted);
  Must({"HSET", "bld:1", "version", "1"});  // had the watch stayed, this would spoil the next EXEC

  AtomicWrite other;
  other.commands = {{"INCR", "n"}};
  std::vector<int> attempts;
  ASSERT_TRUE(internal::Execute(*pool, other, [&](int a) { attempts.push_back(a); }).ok());
  EXPECT_THAT(attempts, ElementsAre(1));
  EXPECT_EQ(Must({"GET", "n"}).str, "1");
}

TEST_F(RedisTest, AtomicWriteCommandRefusedByRedisWritesNothing) {
  // A command Redis refuses while queuing (wrong number of arguments) aborts the transaction.
  AtomicWrite w;
  w.commands = {{"SET", "first", "1"}, {"HSET", "h", "field-without-value"}};
  w.appends = {{"outbox", {{"k", "v"}}}};
  absl::Status s = Execute(*pool_, w);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(s.message()), HasSubstr("HSET on h refused"));
  EXPECT_EQ(Must({"EXISTS", "first", "h", "outbox"}).integer, 0);
}

TEST_F(RedisTest, AtomicWriteOfAUserRefusedMultiWritesNothing) {
  // Without MULTI the commands pipelined after it would each run on their own: a refused MULTI
  // must stop the write before any of them is sent.
  Must({"ACL", "SETUSER", "fg-no-multi", "on", ">pw", "~*", "+@all", "-@transaction"});
  PoolOptions o = OptionsFor(*server_);
  o.user = "fg-no-multi";
  o.password = "pw";
  std::unique_ptr<Pool> pool = Pool::Create(o);
  AtomicWrite w;
  w.preconditions = {Pre(Precondition::Kind::kAbsent, "first")};
  w.commands = {{"SET", "first", "1"}, {"SET", "second", "2"}};
  absl::Status s = Execute(*pool, w);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("MULTI refused: NOPERM"));
  EXPECT_EQ(Must({"EXISTS", "first", "second"}).integer, 0);

  AtomicWrite bare;  // nothing to read: MULTI still goes first, alone
  bare.commands = {{"SET", "third", "3"}};
  EXPECT_EQ(Execute(*pool, bare).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(Must({"EXISTS", "third"}).integer, 0);
  Must({"ACL", "DELUSER", "fg-no-multi"});
}

TEST_F(RedisTest, ConcurrentCompareAndSetWritesLoseNoIncrement) {
  // Eight threads each add 1 to a counter 50 times by reading it and writing it back under an
  // equals precondition, retrying on ABORTED: every increment must land exactly once.
  Must({"SET", "counter", "0"});
  constexpr int kThreads = 8;
  constexpr int kEach = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::unique_ptr<Pool> pool = Pool::Create(OptionsFor(*server_));
      for (int i = 0; i < kEach; ++i) {
        for (;;) {
          absl::StatusOr<Reply> cur = pool->Command({"GET", "counter"});
          if (!cur.ok()) {
            ++failures;
            return;
          }
          AtomicWrite w;
          w.preconditions = {Pre(Precondition::Kind::kEquals, "counter", "", cur->str,
                                 absl::StatusCode::kAborted, "moved")};
          w.commands = {{"SET", "counter", std::to_string(std::stoi(cur->str) + 1)}};
          w.appends = {{"log", {{"from", cur->str}}}};
          absl::Status s = Execute(*pool, w);
          if (s.ok()) break;
          if (s.code() != absl::StatusCode::kAborted) {
            ++failures;
            return;
          }
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Must({"GET", "counter"}).str, std::to_string(kThreads * kEach));
  EXPECT_EQ(Must({"XLEN", "log"}).integer, kThreads * kEach);
}

TEST_F(RedisTest, EightThreadsShareASmallPool) {
  PoolOptions o = OptionsFor(*server_);
  o.size = 3;
  std::unique_ptr<Pool> pool = Pool::Create(o);
  constexpr int kThreads = 8;
  constexpr int kOps = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        if (!pool->Command({"INCR", "shared"}).ok()) ++failures;
        const std::string key = "t" + std::to_string(t);
        absl::StatusOr<std::vector<Reply>> p =
            pool->Pipeline({{"RPUSH", key, std::to_string(i)}, {"LLEN", key}});
        if (!p.ok() || (*p)[1].integer != i + 1) ++failures;
        AtomicWrite w;
        w.once_key = "once:" + key + ":" + std::to_string(i);
        w.commands = {{"INCR", "atomic"}};
        if (!Execute(*pool, w).ok()) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Must({"GET", "shared"}).str, std::to_string(kThreads * kOps));
  EXPECT_EQ(Must({"GET", "atomic"}).str, std::to_string(kThreads * kOps));
}

TEST_F(RedisTest, DedicatedConnectionBlocksWithoutStarvingThePool) {
  PoolOptions o = OptionsFor(*server_);
  o.size = 1;
  std::unique_ptr<Pool> pool = Pool::Create(o);
  std::unique_ptr<Pool::Dedicated> dedicated = pool->NewDedicated();
  absl::StatusOr<Reply> popped;
  std::thread waiter([&] {
    popped = dedicated->Command({"BLPOP", "jobs", "10"}, absl::Seconds(15));
  });
  // The only pooled connection remains free for other work while BLPOP blocks.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        absl::StatusOr<Reply> clients = pool->Command({"CLIENT", "LIST"});
        return clients.ok() && clients->str.find("cmd=blpop") != std::string::npos;
      },
      absl::Seconds(10)));
  ASSERT_TRUE(pool->Command({"RPUSH", "jobs", "job-1"}).ok());
  waiter.join();
  ASSERT_TRUE(popped.ok()) << popped.status();
  ASSERT_EQ(popped->elements.size(), 2u);
  EXPECT_EQ(popped->elements[1].str, "job-1");
}

TEST_F(RedisTest, CommandTimeoutDropsTheConnectionAndThePoolRecovers) {
  PoolOptions o = OptionsFor(*server_);
  o.size = 1;
  o.command_timeout = absl::Milliseconds(200);
  std::unique_ptr<Pool> pool = Pool::Create(o);
  absl::StatusOr<Reply> slow = pool->Command({"BLPOP", "never", "2"});
  EXPECT_EQ(slow.status().code(), absl::StatusCode::kUnavailable);
  // The late BLPOP reply must not be read as the answer to the next command.
  absl::StatusOr<Reply> next = pool->Command({"ECHO", "fresh"});
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->str, "fresh");

  std::unique_ptr<Pool::Dedicated> dedicated = pool->NewDedicated();
  EXPECT_EQ(dedicated->Command({"BLPOP", "never", "2"}, absl::Milliseconds(100)).status().code(),
            absl::StatusCode::kUnavailable);
  absl::StatusOr<Reply> echo = dedicated->Command({"ECHO", "again"}, absl::Seconds(1));
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(echo->str, "again");
}

TEST(RedisAuth, PoolAuthenticatesAndSelectsTheDatabase) {
  testing::RedisServerOptions server_options;
  server_options.password = "s3cret";
  testing::RedisServer server(server_options);
  ASSERT_TRUE(server.Start().ok());
  PoolOptions o = OptionsFor(server);
  o.password = "s3cret";
  o.db = 3;
  std::unique_ptr<Pool> pool = Pool::Create(o);
  ASSERT_TRUE(pool->Command({"SET", "k", "in-db-3"}).ok());
  PoolOptions o0 = o;
  o0.db = 0;
  std::unique_ptr<Pool> pool0 = Pool::Create(o0);
  absl::StatusOr<Reply> in0 = pool0->Command({"GET", "k"});
  ASSERT_TRUE(in0.ok()) << in0.status();
  EXPECT_TRUE(in0->IsNil());
  EXPECT_EQ(pool->Command({"GET", "k"})->str, "in-db-3");

  PoolOptions bad = o;
  bad.password = "wrong";
  absl::Status denied = Pool::Create(bad)->Ping();
  EXPECT_EQ(denied.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(denied.message()), HasSubstr("AUTH"));
}

TEST(RedisReplica, AtomicWriteOnAReplicaCutOffFromItsMasterIsUnavailableNotInternal) {
  // A replica told not to serve stale data answers reads MASTERDOWN while its master is gone
  // (here one that never was: a closed loopback port). A retry may succeed once it is back, so
  // the write must fail UNAVAILABLE, as a script's error reply did, not INTERNAL.
  testing::RedisServer server;
  ASSERT_TRUE(server.Start().ok());
  std::unique_ptr<Pool> pool = Pool::Create(OptionsFor(server));
  ASSERT_TRUE(pool->Command({"CONFIG", "SET", "replica-serve-stale-data", "no"}).ok());
  ASSERT_TRUE(pool->Command({"REPLICAOF", "127.0.0.1", "1"}).ok());
  AtomicWrite w;
  w.preconditions = {Pre(Precondition::Kind::kAbsent, "k")};
  w.commands = {{"SET", "k", "v"}};
  absl::Status s = Execute(*pool, w);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("MASTERDOWN"));
}

TEST(RedisRestart, PoolReconnectsAfterTheServerIsKilledAndRestarted) {
  testing::RedisServer server;
  ASSERT_TRUE(server.Start().ok());
  std::unique_ptr<Pool> pool = Pool::Create(OptionsFor(server));
  std::unique_ptr<Pool::Dedicated> dedicated = pool->NewDedicated();
  Script script("return redis.call('INCR', KEYS[1])");
  // Several connections in the pool, all about to go stale.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) ASSERT_TRUE(script.Run(*pool, {"n"}, {}).ok());
    });
  }
  for (std::thread& th : threads) th.join();
  ASSERT_TRUE(dedicated->Command({"PING"}, absl::Seconds(1)).ok());

  ASSERT_TRUE(server.Kill().ok());
  EXPECT_EQ(pool->Command({"GET", "n"}).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(pool->Ping().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(dedicated->Command({"PING"}, absl::Seconds(1)).status().code(),
            absl::StatusCode::kUnavailable);

  absl::Status restarted = server.Restart();
  ASSERT_TRUE(restarted.ok()) << restarted;
  ASSERT_TRUE(testing::WaitUntil([&] { return pool->Ping().ok(); }, absl::Seconds(10)));
  // Data survived through the AOF; the script cache did not, and is reloaded.
  absl::StatusOr<Reply> n = script.Run(*pool, {"n"}, {});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->integer, 201);
  // Every pooled connection works again (stale ones were dropped, not handed out).
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(pool->Ping().ok()) << i;
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return dedicated->Command({"PING"}, absl::Seconds(1)).ok(); }, absl::Seconds(10)));
}

}  // namespace
}  // namespace firegrid::redis

namespace firegrid::redis {
namespace {

TEST_F(RedisTest, LexIndexPagesThroughAPrefixInOrder) {
  for (const char* m : {"500109001001|b", "500109001001|a", "500109001002|c", "500109002001|d"}) {
    Must({"ZADD", "idx", "0", m});
  }
  auto first = ScanLexIndex(*pool_, "idx", "500109001", "", 2);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->ids, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(first->next_cursor, "500109001001|b");
  auto second = ScanLexIndex(*pool_, "idx", "500109001", first->next_cursor, 2);
  EXPECT_EQ(second->ids, (std::vector<std::string>{"c"}));
  EXPECT_TRUE(second->next_cursor.empty());
  EXPECT_TRUE(ScanLexIndex(*pool_, "idx", "500109003", "", 2)->ids.empty());
}

TEST_F(RedisTest, FetchValuesSkipsWhatIsGoneAndFailsOnErrors) {
  Must({"SET", "x", "1"});
  Must({"SET", "z", "3"});
  auto got = FetchValues(*pool_, {{"GET", "x"}, {"GET", "y"}, {"GET", "z"}});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, (std::vector<std::string>{"1", "3"}));
  Must({"RPUSH", "list", "a"});
  EXPECT_EQ(FetchValues(*pool_, {{"GET", "list"}}).status().code(), absl::StatusCode::kInternal);
}

// A Redis ACL user (as a secret gives it to a service): its pool authenticates as that user and
// may touch only its keys; a wrong password fails the connection.
TEST_F(RedisTest, APoolAuthenticatesAsAnAclUserAndGetsOnlyItsRights) {
  Must({"ACL", "SETUSER", "fg-hazards", "on", ">hazards-pw", "~fg:hazards:*", "+@all"});
  PoolOptions o = OptionsFor(*server_);
  o.user = "fg-hazards";
  o.password = "hazards-pw";
  auto pool = Pool::Create(o);
  EXPECT_TRUE(pool->Command({"SET", "fg:hazards:x", "1"}).ok());
  auto foreign = pool->Command({"SET", "fg:credit:x", "1"});
  EXPECT_FALSE(foreign.ok());
  EXPECT_THAT(std::string(foreign.status().message()), HasSubstr("NOPERM"));

  o.password = "wrong";
  auto refused = Pool::Create(o)->Command({"GET", "fg:hazards:x"});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("AUTH failed"));
  Must({"ACL", "DELUSER", "fg-hazards"});
}

// CheckCounters: the stored counters against a recount, writing nothing.
TEST_F(RedisTest, CheckCountersFindsACounterChangedByHandAndWritesNothing) {
  CounterSnapshot truth;
  truth.hashes["c:a"]["open"] = 2;
  truth.sets["c:due"]["h1"] = 10;
  auto recount = [&]() -> absl::StatusOr<CounterSnapshot> { return truth; };
  EXPECT_EQ(CheckCounters(*pool_, "c", recount).status().code(),
            absl::StatusCode::kFailedPrecondition);  // not built
  ASSERT_TRUE(RebuildCounters(*pool_, "c", recount).ok());
  auto same = CheckCounters(*pool_, "c", recount);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_TRUE(same->empty());

  Must({"HINCRBY", "c:a", "open", "5"});
  auto changed = CheckCounters(*pool_, "c", recount);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_THAT(*changed, ElementsAre(CounterDifference{"c:a", "open", "7", "2"}));
  EXPECT_EQ(Must({"HGET", "c:a", "open"}).str, "7");  // reported, not repaired
}

TEST_F(RedisTest, CheckCountersCountsAgainWhenARecordIsWrittenDuringTheRecount) {
  CounterSnapshot truth;
  truth.hashes["c:a"]["open"] = 1;
  ASSERT_TRUE(RebuildCounters(*pool_, "c", [&]() -> absl::StatusOr<CounterSnapshot> {
                return truth;
              }).ok());
  int recounts = 0;
  // The first recount counts the records before a write; the write (a second record: its
  // counter change and INCR <c>:gen) lands before the stored counters are read. Compared as
  // they are, the two would differ by that record: the check must see the race and count again.
  auto recount = [&]() -> absl::StatusOr<CounterSnapshot> {
    CounterSnapshot s;
    s.hashes["c:a"]["open"] = recounts == 0 ? 1 : 2;
    if (++recounts == 1) {
      Must({"HINCRBY", "c:a", "open", "1"});
      Must({"INCR", "c:gen"});
    }
    return s;
  };
  auto r = CheckCounters(*pool_, "c", recount);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(recounts, 2);
}

}  // namespace
}  // namespace firegrid::redis
