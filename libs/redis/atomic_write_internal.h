#pragma once

#include <functional>

#include "absl/status/status.h"
#include "libs/redis/atomic_write.h"
#include "libs/redis/pool.h"

namespace firegrid::redis::internal {

// redis::Execute, with `after_read` (when set) called between an attempt's reads and its
// transaction, with the attempt's number from 1: tests change a watched key there to make the
// attempt lose the race.
absl::Status Execute(Pool& pool, const AtomicWrite& write,
                     const std::function<void(int attempt)>& after_read);

}  // namespace firegrid::redis::internal
