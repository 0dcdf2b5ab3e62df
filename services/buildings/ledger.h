#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "firegrid/buildings/v1/buildings.pb.h"
#include "services/buildings/store.h"

namespace firegrid::buildings {

// What the ledger counts for one building (its responsibility's filing state must be computed).
struct Completeness {
  bool filed = false;
  bool has_lanes = false;     // any fire lane or rescue site recorded
  bool lanes_marked = false;  // has_lanes and every one has lines, name and sign
  bool has_indoor_hydrant = false;
  bool hydrant_with_water = false;
  bool complete() const {
    return filed && lanes_marked && (!has_indoor_hydrant || hydrant_with_water);
  }
};
Completeness CompletenessOf(const firegrid::buildings::v1::Building& b);

// The ledger of `tier_path` over `buildings` (all under it), with one row per community or
// village; `names` maps org-unit codes to names.
firegrid::buildings::v1::Ledger ComputeLedger(
    const std::string& tier_path, const std::vector<firegrid::buildings::v1::Building>& buildings,
    const std::map<std::string, std::string>& names, absl::Time now);

// The ledger figures `b` (with its read-time filing state) counts in: the names of the
// LedgerCounts count fields whose ListBuildings filter it passes.
std::vector<std::string> LedgerFiguresOf(const firegrid::buildings::v1::Building& b);

// The ledger of `tier_path` from maintained counters (Store::CountedLedger): what
// ComputeLedger gives over the same buildings.
firegrid::buildings::v1::Ledger LedgerFromTally(const std::string& tier_path,
                                                const LedgerTally& tally,
                                                const std::map<std::string, std::string>& names,
                                                absl::Time now);

// One CSV row per building, header first.
std::string LedgerCsv(const std::vector<firegrid::buildings::v1::Building>& buildings,
                      const std::map<std::string, std::string>& names);

// Short names of enum values as used in CSV and the CLI: "class_i", "residential", "filed".
std::string ShortEnumName(const google::protobuf::EnumDescriptor* d, int value);

}  // namespace firegrid::buildings
