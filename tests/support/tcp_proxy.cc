#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace firegrid::testing {
namespace {

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL, 0) | O_NONBLOCK); }

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// Closes `fd` with an RST instead of a FIN.
void CloseWithReset(int fd) {
  linger l{};
  l.l_onoff = 1;
  l.l_linger = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  ::close(fd);
}

struct Chunk {
  absl::Time due;
  std::string bytes;
  size_t sent = 0;
};

// One direction of a connection: bytes read from `from`, waiting to be written to `to`.
struct Direction {
  int from = -1;
  int to = -1;
  std::deque<Chunk> queue;
  bool eof = false;   // `from` has no more to send
  bool shut = false;  // the eof was passed on (shutdown of `to`'s writing side)
};

}  // namespace

struct TcpProxy::Conn {
  int client = -1;
  int upstream = -1;
  Direction up;    // client → upstream
  Direction down;  // upstream → client
  bool dead = false;
};

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port) {
  std::unique_ptr<TcpProxy> p(new TcpProxy());
  p->target_port_ = target_port;
  p->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (p->listen_fd_ < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  int yes = 1;
  ::setsockopt(p->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  sockaddr_in addr = Loopback(0);
  if (::bind(p->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(p->listen_fd_, 128) != 0) {
    return absl::UnavailableError(absl::StrCat("bind/listen: ", strerror(errno)));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(p->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  p->port_ = ntohs(addr.sin_port);
  SetNonBlocking(p->listen_fd_);
  if (::pipe2(p->wake_, O_NONBLOCK | O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  p->thread_ = std::thread([raw = p.get()] { raw->Loop(); });
  return p;
}

TcpProxy::~TcpProxy() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (int fd : wake_) {
    if (fd >= 0) ::close(fd);
  }
}

void TcpProxy::Wake() {
  const char c = 1;
  (void)!::write(wake_[1], &c, 1);
}

void TcpProxy::SetLatency(absl::Duration latency) {
  absl::MutexLock lock(&mu_);
  latency_ = latency;
}

void TcpProxy::SetStalled(bool stalled) {
  {
    absl::MutexLock lock(&mu_);
    stalled_ = stalled;
  }
  Wake();
}

void TcpProxy::ResetAll() {
  {
    absl::MutexLock lock(&mu_);
    ++reset_requests_;
  }
  Wake();
}

void TcpProxy::Loop() {
  std::vector<std::unique_ptr<Conn>> conns;
  std::vector<int> pending_accept;  // accepted while stalled: connected upstream when resumed
  int resets_done = 0;
  auto close_conn = [&](Conn& c, bool reset) {
    if (c.dead) return;
    c.dead = true;
    open_.fetch_sub(1);  // before the peers can see the close
    if (reset) {
      CloseWithReset(c.client);
      CloseWithReset(c.upstream);
    } else {
      ::close(c.client);
      ::close(c.upstream);
    }
  };
  auto connect_upstream = [&](int client) {
    int up = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in target = Loopback(target_port_);
    if (up < 0 || ::connect(up, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
      if (up >= 0) ::close(up);
      CloseWithReset(client);
      return;
    }
    int yes = 1;
    ::setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    SetNonBlocking(up);
    SetNonBlocking(client);
    auto c = std::make_unique<Conn>();
    c->client = client;
    c->upstream = up;
    c->up.from = client;
    c->up.to = up;
    c->down.from = up;
    c->down.to = client;
    open_.fetch_add(1);
    conns.push_back(std::move(c));
  };

  char buf[64 * 1024];
  for (;;) {
    absl::Duration latency;
    bool stalled;
    int resets;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) break;
      latency = latency_;
      stalled = stalled_;
      resets = reset_requests_;
    }
    if (resets != resets_done) {
      resets_done = resets;
      for (auto& c : conns) close_conn(*c, /*reset=*/true);
      for (int fd : pending_accept) CloseWithReset(fd);
      pending_accept.clear();
    }
    if (!stalled) {
      for (int fd : pending_accept) connect_upstream(fd);
      pending_accept.clear();
    }
    const absl::Time now = absl::Now();

    // Deliver what is due, pass on ends of stream.
    absl::Time next_due = absl::InfiniteFuture();
    if (!stalled) {
      for (auto& c : conns) {
        for (Direction* d : {&c->up, &c->down}) {
          while (!c->dead && !d->queue.empty() && d->queue.front().due <= now) {
            Chunk& chunk = d->queue.front();
            const ssize_t n = ::send(d->to, chunk.bytes.data() + chunk.sent,
                                     chunk.bytes.size() - chunk.sent, MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            if (n <= 0) {
              close_conn(*c, /*reset=*/true);
              break;
            }
            chunk.sent += static_cast<size_t>(n);
            if (chunk.sent == chunk.bytes.size()) d->queue.pop_front();
          }
          if (c->dead) break;
          if (!d->queue.empty()) next_due = std::min(next_due, d->queue.front().due);
          if (d->eof && d->queue.empty() && !d->shut) {
            ::shutdown(d->to, SHUT_WR);
            d->shut = true;
          }
        }
        if (!c->dead && c->up.shut && c->down.shut) close_conn(*c, /*reset=*/false);
      }
    }
    std::erase_if(conns, [](const std::unique_ptr<Conn>& c) { return c->dead; });

    // Wait for input (none is read while stalled), room to write, a due chunk or a command.
    std::vector<pollfd> fds;
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    std::vector<std::pair<Conn*, Direction*>> owners;
    for (auto& c : conns) {
      for (Direction* d : {&c->up, &c->down}) {
        short events = 0;
        if (!stalled && !d->eof) events |= POLLIN;
        if (!stalled && !d->queue.empty() && d->queue.front().due <= now) {
          // A partly written chunk: wait for room on the other side.
          fds.push_back({d->to, POLLOUT, 0});
          owners.push_back({c.get(), nullptr});
        }
        if (events != 0) {
          fds.push_back({d->from, events, 0});
          owners.push_back({c.get(), d});
        }
      }
    }
    int timeout_ms = 100;
    if (next_due != absl::InfiniteFuture()) {
      timeout_ms = static_cast<int>(std::clamp<int64_t>(
          absl::ToInt64Milliseconds(absl::Ceil(next_due - absl::Now(), absl::Milliseconds(1))), 0,
          100));
    }
    ::poll(fds.data(), fds.size(), timeout_ms);
    if (fds[0].revents & POLLIN) {
      while (::read(wake_[0], buf, sizeof(buf)) > 0) {
      }
    }
    if (fds[1].revents & POLLIN) {
      for (;;) {
        const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) break;
        accepted_.fetch_add(1);
        if (stalled) {
          pending_accept.push_back(client);
        } else {
          connect_upstream(client);
        }
      }
    }
    const absl::Time read_at = absl::Now();
    for (size_t i = 2; i < fds.size(); ++i) {
      auto [c, d] = owners[i - 2];
      if (d == nullptr || c->dead || fds[i].revents == 0) continue;
      const ssize_t n = ::recv(d->from, buf, sizeof(buf), 0);
      if (n > 0) {
        d->queue.push_back(Chunk{read_at + latency, std::string(buf, static_cast<size_t>(n))});
      } else if (n == 0) {
        d->eof = true;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        close_conn(*c, /*reset=*/true);  // a reset from one peer is passed on to the other
      }
    }
  }
  for (auto& c : conns) close_conn(*c, /*reset=*/false);
  for (int fd : pending_accept) ::close(fd);
}

}  // namespace firegrid::testing
