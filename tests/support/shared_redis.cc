#include "tests/support/shared_redis.h"

#include "gtest/gtest.h"

namespace firegrid::testing {

RedisServer& SharedRedisServer() {
  static RedisServer* server = [] {
    auto* s = new RedisServer();
    absl::Status st = s->Start();
    if (!st.ok()) ADD_FAILURE() << "shared redis-server: " << st;
    return s;
  }();
  return *server;
}

std::unique_ptr<redis::Pool> NewSharedRedisPool(int size) {
  redis::PoolOptions o;
  o.port = SharedRedisServer().port();
  o.size = size;
  return redis::Pool::Create(o);
}

}  // namespace firegrid::testing
