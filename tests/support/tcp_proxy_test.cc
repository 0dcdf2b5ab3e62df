#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace firegrid::testing {
namespace {

// An echo server on 127.0.0.1:<free port>: every connection gets back what it sends.
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;  // the listener was shut down
        workers_.emplace_back([c] {
          char buf[4096];
          for (;;) {
            const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
            if (n <= 0) break;
            if (::send(c, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
          }
          ::close(c);
        });
      }
    });
  }
  ~EchoServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    for (auto& w : workers_) w.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::vector<std::thread> workers_;
};

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads `size` bytes within `timeout`; what arrived (shorter on timeout, end or error, with
// `error` set to errno for an error).
std::string ReadFor(int fd, size_t size, absl::Duration timeout, int* error = nullptr) {
  std::string out;
  const absl::Time deadline = absl::Now() + timeout;
  while (out.size() < size) {
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && error != nullptr) *error = errno;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

bool Send(int fd, const std::string& s) {
  return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
}

TEST(TcpProxy, ForwardsBytesBothWays) {
  EchoServer echo;
  auto proxy = TcpProxy::Start(echo.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  const int fd = Connect((*proxy)->port());
  ASSERT_GE(fd, 0);
  const std::string big(200 * 1024, 'x');
  ASSERT_TRUE(Send(fd, "hello"));
  EXPECT_EQ(ReadFor(fd, 5, absl::Seconds(5)), "hello");
  std::thread writer([&] { Send(fd, big); });
  EXPECT_EQ(ReadFor(fd, big.size(), absl::Seconds(10)).size(), big.size());
  writer.join();
  EXPECT_EQ((*proxy)->accepted(), 1);
  ::close(fd);
}

TEST(TcpProxy, LatencyDelaysEachDirection) {
  EchoServer echo;
  auto proxy = TcpProxy::Start(echo.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  (*proxy)->SetLatency(absl::Milliseconds(150));
  const int fd = Connect((*proxy)->port());
  ASSERT_GE(fd, 0);
  const absl::Time start = absl::Now();
  ASSERT_TRUE(Send(fd, "ping"));
  EXPECT_EQ(ReadFor(fd, 4, absl::Seconds(5)), "ping");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));  // there and back
  (*proxy)->SetLatency(absl::ZeroDuration());
  ::close(fd);
}

TEST(TcpProxy, AStallHoldsTheBytesUntilResumedNewConnectionsIncluded) {
  EchoServer echo;
  auto proxy = TcpProxy::Start(echo.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  const int fd = Connect((*proxy)->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(Send(fd, "a"));
  ASSERT_EQ(ReadFor(fd, 1, absl::Seconds(5)), "a");
  (*proxy)->SetStalled(true);
  ASSERT_TRUE(Send(fd, "held"));
  const int later = Connect((*proxy)->port());  // the listener still accepts
  ASSERT_GE(later, 0);
  ASSERT_TRUE(Send(later, "too"));
  EXPECT_EQ(ReadFor(fd, 4, absl::Milliseconds(300)), "");
  EXPECT_EQ(ReadFor(later, 3, absl::Milliseconds(100)), "");
  (*proxy)->SetStalled(false);
  EXPECT_EQ(ReadFor(fd, 4, absl::Seconds(5)), "held");
  EXPECT_EQ(ReadFor(later, 3, absl::Seconds(5)), "too");
  ::close(fd);
  ::close(later);
}

TEST(TcpProxy, ResetAllResetsLiveConnectionsAndLaterOnesWork) {
  EchoServer echo;
  auto proxy = TcpProxy::Start(echo.port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  const int fd = Connect((*proxy)->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(Send(fd, "x"));
  ASSERT_EQ(ReadFor(fd, 1, absl::Seconds(5)), "x");
  ASSERT_EQ((*proxy)->open(), 1);
  (*proxy)->ResetAll();
  int error = 0;
  EXPECT_EQ(ReadFor(fd, 1, absl::Seconds(5), &error), "");
  EXPECT_EQ(error, ECONNRESET);
  EXPECT_EQ((*proxy)->open(), 0);
  ::close(fd);

  const int again = Connect((*proxy)->port());
  ASSERT_GE(again, 0);
  ASSERT_TRUE(Send(again, "back"));
  EXPECT_EQ(ReadFor(again, 4, absl::Seconds(5)), "back");
  ::close(again);
}

}  // namespace
}  // namespace firegrid::testing
