#pragma once

#include "absl/status/status.h"
#include "libs/events/envelope.h"
#include "services/credit/directory.h"
#include "services/credit/store.h"

namespace firegrid::credit {

// The consumer of the hazards and buildings topics: keeps the building directory (name and
// community of each building) and appends the fact an event adds to the credit history
// (ingest.h). Idempotent: a redelivered event finds its fact already in the history.
absl::Status HandleEvent(const events::Envelope& envelope, CreditStore* store,
                         BuildingDirectory* directory);

}  // namespace firegrid::credit
