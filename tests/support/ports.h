#pragma once

namespace firegrid::testing {

// A TCP port on 127.0.0.1 that was free a moment ago: binds 127.0.0.1:0, reads the port the
// kernel chose, closes the socket. Another process may take it before the caller binds it, so
// callers that start servers should retry on failure. Returns -1 when no socket can be bound.
int FreeTcpPort();

}  // namespace firegrid::testing
