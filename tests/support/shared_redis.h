#pragma once

#include <memory>

#include "libs/redis/pool.h"
#include "tests/support/redis_server.h"

namespace firegrid::testing {

// One redis-server per test binary, started on first use from the calling (main) thread; the
// process's exit takes it down with it. Tests share it and keep apart by key prefix. A failed
// start is reported as a test failure.
RedisServer& SharedRedisServer();

// A new connection pool on the shared server.
std::unique_ptr<redis::Pool> NewSharedRedisPool(int size = 8);

}  // namespace firegrid::testing
