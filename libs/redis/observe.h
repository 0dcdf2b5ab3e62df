#pragma once

#include <functional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace firegrid::redis {

// Called after every Pool::Command (with the command name upper-cased, e.g. "EVALSHA"),
// Pool::Pipeline ("PIPELINE") and Pool::Converse (the name it was given, e.g. "MULTI" for an
// atomic write, retries included) of every pool in the process, with how long it took, failed or
// not; for a latency histogram. Dedicated connections (blocking reads) are not observed.
using CommandObserver = std::function<void(absl::string_view command, absl::Duration elapsed)>;

// Replaces the process-wide observer (nullptr: none). Must be cheap and thread-safe; set it at
// startup, before commands run concurrently with the change.
void SetCommandObserver(CommandObserver observer);

}  // namespace firegrid::redis
