#include "services/credit/consumer.h"

#include "firegrid/buildings/v1/events.pb.h"
#include "services/credit/ingest.h"

namespace firegrid::credit {
namespace {

absl::Status Remember(const buildings::v1::Building& b, BuildingDirectory* directory) {
  return directory->Put(b.building_id(), BuildingDirectory::Entry{b.name(), b.tier_path()});
}

}  // namespace

absl::Status HandleEvent(const events::Envelope& envelope, CreditStore* store,
                         BuildingDirectory* directory) {
  if (envelope.payload().Is<buildings::v1::BuildingRegistered>()) {
    auto e = events::Unpack<buildings::v1::BuildingRegistered>(envelope);
    if (!e.ok()) return e.status();
    if (absl::Status s = Remember(e->building(), directory); !s.ok()) return s;
  } else if (envelope.payload().Is<buildings::v1::BuildingUpdated>()) {
    auto e = events::Unpack<buildings::v1::BuildingUpdated>(envelope);
    if (!e.ok()) return e.status();
    if (absl::Status s = Remember(e->building(), directory); !s.ok()) return s;
  }
  std::optional<v1::Fact> fact = FactFromEnvelope(envelope);
  if (!fact.has_value()) return absl::OkStatus();
  return store->AppendFact(*fact).status();
}

}  // namespace firegrid::credit
