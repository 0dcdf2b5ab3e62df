#pragma once

// Private to firegrid_redis (and its tests): conversion from hiredis replies.

#include "libs/redis/reply.h"

struct redisReply;

namespace firegrid::redis::internal {

// Deep-copies a hiredis reply (which dies with its context or with freeReplyObject).
// A null reply converts to kNil.
Reply FromHiredis(const redisReply* reply);

}  // namespace firegrid::redis::internal
