#pragma once

#include <string>
#include <vector>

#include "firegrid/hazards/v1/hazards.pb.h"
#include "tools/loaders/beibei.h"

namespace firegrid::loaders {

namespace hv1 = ::firegrid::hazards::v1;

// How far the loader takes a planned hazard through the lifecycle
// (reported → verified | rejected → assigned → rectifying → submitted → closed).
enum class HazardGoal {
  kReported,           // awaiting verification
  kRejected,           // rejected by the street officer
  kVerified,           // verified (a major hazard: confirmed by three distinct reviewers)
  kAssigned,           // assigned by the street officer, deadline from the rules
  kRectifying,         // rectification started by the community worker
  kSubmitted,          // rectification submitted with evidence
  kClosed,             // review passed by the supervising department
  kReworking,          // review failed: rectifying again
  kClosedAfterRework,  // review failed, submitted again, then passed
};

// Who files the report. Every report is made by a principal in the building's scope.
enum class HazardReporter {
  kGridWorker,     // community_worker of the building's community (grid inspection)
  kStreetOfficer,  // street_officer of the building's street
  kFireInspector,  // department_officer of fire_rescue (fire inspection)
  kDistrictAdmin,  // district_admin (IoT alarms come from systems or district admins)
};

struct PlannedHazard {
  std::string idempotency_key;      // "demo-hazard-001"; per reporter, so a re-run is a no-op
  std::string building_request_id;  // the PlannedBuilding it concerns ("demo-beibei-0042")
  std::string community;            // the building's 12-digit community/village code
  // category, severity, source, description, evidence, reporter; no building_id, no key.
  hv1::ReportHazardRequest report;
  HazardReporter reporter = HazardReporter::kGridWorker;
  HazardGoal goal = HazardGoal::kReported;
  // The assignment: the building's management unit and its manager's subject, if any.
  std::string responsible_party;
  std::string responsible_subject;
  // A second report of an earlier planned hazard's building and category: the service links
  // it to that open hazard as a duplicate.
  bool duplicate = false;
};

// About 40 hazards on the dataset's buildings, spread over every street and town and over
// every category a person reports (fire-access categories are left to the campaign hazards the
// service raises from the buildings' fire-access assessments), in every state of the
// lifecycle: some only reported, some verified, assigned, rectifying, submitted, closed (one
// after a failed review), one rejected, one major hazard confirmed by three reviewers, a
// named public tip-off (verified, so it earns a reward), an anonymous one, an IoT alarm, a
// fire inspection, and one duplicate report. Each (building, category) pair occurs once,
// except for the duplicate. The same dataset always yields the same plan.
std::vector<PlannedHazard> PlanBeibeiHazards(const DemoDataset& dataset);

}  // namespace firegrid::loaders
