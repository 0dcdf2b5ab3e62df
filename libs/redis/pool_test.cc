#include "libs/redis/pool.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/observe.h"
#include "tests/support/ports.h"

namespace firegrid::redis {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseAddress, SplitsHostAndPortAndKeepsOtherOptions) {
  PoolOptions o;
  o.db = 3;
  ASSERT_TRUE(ParseAddress("redis.example:6380", &o).ok());
  EXPECT_EQ(o.host, "redis.example");
  EXPECT_EQ(o.port, 6380);
  EXPECT_EQ(o.db, 3);
}

TEST(ParseAddress, AcceptsBracketedIpv6) {
  PoolOptions o;
  ASSERT_TRUE(ParseAddress("[::1]:7000", &o).ok());
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 7000);
}

TEST(ParseAddress, RejectsMalformedAddressesWithoutChangingOptions) {
  for (const char* bad : {"", "localhost", ":6379", "host:", "host:abc", "host:0", "host:65536",
                          "host:-1", "[]:6379"}) {
    PoolOptions o;
    absl::Status s = ParseAddress(bad, &o);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(o.host, "127.0.0.1") << bad;
    EXPECT_EQ(o.port, 6379) << bad;
  }
}

// Answers every PING on every connection with +PONG; counts accepted connections.
class FakePongServer {
 public:
  bool Listen(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 16) != 0) {
      return false;
    }
    thread_ = std::thread([this] { Serve(); });
    return true;
  }
  ~FakePongServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int c : clients_) ::close(c);
    if (fd_ >= 0) ::close(fd_);
  }
  int accepted() const { return accepted_; }

 private:
  void Serve() {
    while (!stop_) {
      std::vector<pollfd> fds = {{fd_, POLLIN, 0}};
      for (int c : clients_) fds.push_back({c, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 10) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c >= 0) {
          clients_.push_back(c);
          ++accepted_;
        }
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        char buf[4096];
        ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
        if (n <= 0) continue;
        std::string data(buf, static_cast<size_t>(n));
        for (size_t pos = data.find("PING"); pos != std::string::npos;
             pos = data.find("PING", pos + 4)) {
          (void)!::write(fds[i].fd, "+PONG\r\n", 7);
        }
      }
    }
  }

  int fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> clients_;
};

PoolOptions ClosedPortOptions(int port) {
  PoolOptions o;
  o.port = port;
  o.size = 2;
  o.initial_backoff = absl::Milliseconds(50);
  o.max_backoff = absl::Milliseconds(400);
  return o;
}

TEST(PoolBackoff, ConnectFailureThenFailsFastUntilTheWindowEnds) {
  const int port = testing::FreeTcpPort();
  ASSERT_GT(port, 0);
  FakeClock clock;
  std::unique_ptr<Pool> pool = Pool::Create(ClosedPortOptions(port), &clock);

  absl::Status first = pool->Ping();
  EXPECT_EQ(first.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(first.message()), Not(HasSubstr("backing off")));

  // Redis comes up, but the pool does not try again before the window ends.
  FakePongServer server;
  ASSERT_TRUE(server.Listen(port));
  absl::Status during = pool->Ping();
  EXPECT_EQ(during.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(during.message()), HasSubstr("backing off"));
  clock.Advance(absl::Milliseconds(49));
  EXPECT_EQ(pool->Ping().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(pool->NewDedicated()->Command({"PING"}, absl::Seconds(1)).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(server.accepted(), 0);

  clock.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(pool->Ping().ok());
  EXPECT_EQ(server.accepted(), 1);
  // The connection is reused.
  EXPECT_TRUE(pool->Ping().ok());
  EXPECT_EQ(server.accepted(), 1);
}

TEST(PoolBackoff, RepeatedFailuresDoubleTheWindowUpToMax) {
  const int port = testing::FreeTcpPort();
  ASSERT_GT(port, 0);
  FakeClock clock;
  std::unique_ptr<Pool> pool = Pool::Create(ClosedPortOptions(port), &clock);
  ASSERT_EQ(pool->Ping().code(), absl::StatusCode::kUnavailable);  // window 50ms

  for (int window_ms : {50, 100, 200, 400, 400}) {
    clock.Advance(absl::Milliseconds(window_ms - 1));
    absl::Status fast = pool->Ping();
    EXPECT_THAT(std::string(fast.message()), HasSubstr("backing off")) << window_ms;
    clock.Advance(absl::Milliseconds(1));
    absl::Status attempt = pool->Ping();  // a real attempt, refused again
    EXPECT_EQ(attempt.code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(std::string(attempt.message()), Not(HasSubstr("backing off"))) << window_ms;
  }
}

TEST(PoolBackoff, FailsFastWithoutWaitingForTheConnectTimeout) {
  const int port = testing::FreeTcpPort();
  ASSERT_GT(port, 0);
  FakeClock clock;
  std::unique_ptr<Pool> pool = Pool::Create(ClosedPortOptions(port), &clock);
  ASSERT_FALSE(pool->Ping().ok());
  const absl::Time start = absl::Now();
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(pool->Ping().ok());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
}

TEST(Pool, ObserverSeesEveryCommandAndPipelineFailedOrNot) {
  const int port = testing::FreeTcpPort();
  ASSERT_GT(port, 0);
  std::vector<std::string> seen;
  SetCommandObserver([&](absl::string_view command, absl::Duration elapsed) {
    EXPECT_GE(elapsed, absl::ZeroDuration());
    seen.emplace_back(command);
  });
  std::unique_ptr<Pool> pool = Pool::Create(ClosedPortOptions(port));
  EXPECT_FALSE(pool->Command({"get", "k"}).ok());
  EXPECT_FALSE(pool->Pipeline({{"GET", "a"}, {"GET", "b"}}).ok());
  SetCommandObserver(nullptr);
  EXPECT_FALSE(pool->Command({"GET", "k"}).ok());  // no longer observed
  EXPECT_THAT(seen, ::testing::ElementsAre("GET", "PIPELINE"));
}

TEST(Pool, RejectsAnEmptyCommandWithoutConnecting) {
  std::unique_ptr<Pool> pool = Pool::Create(ClosedPortOptions(1));
  EXPECT_EQ(pool->Command({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pool->Pipeline({{"PING"}, {}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(pool->Pipeline({}).ok());
}

TEST(Pool, KeepsItsOptions) {
  PoolOptions o = ClosedPortOptions(1234);
  o.db = 2;
  std::unique_ptr<Pool> pool = Pool::Create(o);
  EXPECT_EQ(pool->options().port, 1234);
  EXPECT_EQ(pool->options().db, 2);
}

TEST(AtomicWriteValidation, MalformedWritesAreRejectedBeforeReachingRedis) {
  std::unique_ptr<Pool> pool = Pool::Create(ClosedPortOptions(1));
  AtomicWrite no_key;
  no_key.commands = {{"SET"}};
  EXPECT_EQ(Execute(*pool, no_key).code(), absl::StatusCode::kInvalidArgument);

  AtomicWrite empty_append;
  empty_append.appends = {{"outbox", {}}};
  EXPECT_EQ(Execute(*pool, empty_append).code(), absl::StatusCode::kInvalidArgument);

  AtomicWrite ok_code;
  ok_code.preconditions.resize(1);
  ok_code.preconditions[0].key = "k";
  ok_code.preconditions[0].code_on_failure = absl::StatusCode::kOk;
  EXPECT_EQ(Execute(*pool, ok_code).code(), absl::StatusCode::kInvalidArgument);

  AtomicWrite no_precondition_key;
  no_precondition_key.preconditions.resize(1);  // key left empty
  EXPECT_EQ(Execute(*pool, no_precondition_key).code(), absl::StatusCode::kInvalidArgument);
}

TEST(AtomicWriteValidation, AKeyGivenTwoTypesByTheWriteItselfIsRejectedBeforeReachingRedis) {
  std::unique_ptr<Pool> pool = Pool::Create(ClosedPortOptions(1));
  AtomicWrite hash_then_zset;
  hash_then_zset.commands = {{"HSET", "k", "f", "v"}, {"zadd", "k", "1", "m"}};
  absl::Status s = Execute(*pool, hash_then_zset);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "atomic write: ZADD on k, which this write made a hash");

  AtomicWrite set_then_stream;
  set_then_stream.commands = {{"SET", "k", "v"}};
  set_then_stream.appends = {{"k", {{"f", "v"}}}};
  EXPECT_EQ(Execute(*pool, set_then_stream).code(), absl::StatusCode::kInvalidArgument);

  // Deleted first, the key may take any type: this one gets as far as the (closed) port.
  AtomicWrite retyped;
  retyped.commands = {{"SET", "k", "v"}, {"DEL", "k"}, {"HSET", "k", "f", "v"}};
  EXPECT_EQ(Execute(*pool, retyped).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace firegrid::redis
