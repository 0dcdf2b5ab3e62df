#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "firegrid/hazards/v1/hazards.grpc.pb.h"
#include "libs/auth/principal.h"
#include "tools/loaders/hazards_plan.h"

namespace firegrid::loaders {

// The demo's people, one principal per role and place (dev tokens are minted for each):
//   grid-<community>   community_worker of a community: reports, starts and submits;
//   street-<street>    street_officer of a street: verifies, rejects, assigns, fails reviews;
//   dept-<slug>        department_officer of a district department: verifies and reviews what
//                      is routed to (or supervised by) it;
//   demo-loader        district_admin of 北碚区: IoT reports, the third major-hazard confirmation.
auth::Principal GridWorker(const std::string& community);
auth::Principal StreetOfficer(const std::string& street);
auth::Principal DepartmentOfficer(const std::string& department);
auth::Principal DistrictAdmin();

// What one run did with the planned hazards.
struct HazardSummary {
  int planned = 0;
  int reported_new = 0;  // reports this run filed (the rest existed under their keys)
  int duplicates = 0;    // reports linked to another open hazard
  int steps = 0;         // lifecycle calls made this run
  std::map<hv1::Status, int> by_status;  // where the planned hazards now stand (no duplicates)

  // "41 hazards (41 new, 1 linked as duplicate), 96 lifecycle steps; 7 reported, 6 verified, ...".
  std::string ToString() const;
};

// Loads planned hazards through the public HazardService API, idempotently: each report
// carries its idempotency key (a re-run gets the hazard back as it now is), and each lifecycle
// step runs only when the hazard's audit trail shows it has not been done, with the version
// the hazard has. Each call is made by the principal the role rules want for it.
//
// The hazards service learns buildings from Kafka events, asynchronously: a report that fails
// with NOT_FOUND (building not known yet) is retried until `wait_for_buildings` after Load
// began.
class HazardLoader {
 public:
  using TokenFor = std::function<std::string(const auth::Principal&)>;
  struct Options {
    absl::Duration timeout = absl::Seconds(10);  // deadline of each call
    absl::Duration wait_for_buildings = absl::Seconds(60);
    absl::Duration poll_interval = absl::Milliseconds(250);
  };

  // `token_for` mints the bearer token of a principal; `now` and `sleep` drive the wait for
  // buildings (fakes in tests).
  HazardLoader(
      hv1::HazardService::StubInterface* stub, TokenFor token_for, Options options,
      std::function<absl::Time()> now = [] { return absl::Now(); },
      std::function<void(absl::Duration)> sleep = [](absl::Duration d) { absl::SleepFor(d); });

  // `building_ids` maps the planned buildings' request ids to their building ids. Stops at the
  // first failed call, naming the hazard and the step.
  absl::StatusOr<HazardSummary> Load(const std::vector<PlannedHazard>& plan,
                                     const std::map<std::string, std::string>& building_ids);

 private:
  absl::StatusOr<hv1::ReportHazardResponse> Report(const PlannedHazard& planned,
                                                   const std::string& building_id,
                                                   absl::Time wait_until);
  absl::Status Advance(const PlannedHazard& planned, size_t index, hv1::Hazard h,
                       HazardSummary* summary);

  hv1::HazardService::StubInterface* stub_;
  TokenFor token_for_;
  Options options_;
  std::function<absl::Time()> now_;
  std::function<void(absl::Duration)> sleep_;
};

}  // namespace firegrid::loaders
