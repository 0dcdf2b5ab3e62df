// Which hazard actions the console offers to whom, mirroring the hazards service's rules
// (services/hazards/lifecycle.cc: Authorize and CheckState; services/hazards/README.md). The
// service still decides: a refusal it answers is shown as it is.
//
//   verify, reject, assign: district_admin, street_officer, department_officer of a lead
//     department; verify/reject from REPORTED, assign from VERIFIED;
//   start (ASSIGNED), submit (RECTIFYING): district_admin, street_officer, community_worker,
//     building_manager named by the assignment or the building;
//   review (SUBMITTED): district_admin, street_officer, department_officer of the supervising
//     department, never the one who submitted;
//   match (REPORTED, a public report not yet matched to a building): district_admin,
//     street_officer (hazards.proto MatchPublicReport); until it is matched such a report can
//     only be matched or rejected (it has no routing yet);
//   nothing on a hazard that duplicates another.

const STATE_OF = {
  match: 'STATUS_REPORTED',
  verify: 'STATUS_REPORTED',
  reject: 'STATUS_REPORTED',
  assign: 'STATUS_VERIFIED',
  start: 'STATUS_ASSIGNED',
  submit: 'STATUS_RECTIFYING',
  review: 'STATUS_SUBMITTED',
};

export const HAZARD_ACTIONS = Object.keys(STATE_OF);

function namesManager(claims, hazard) {
  if (!claims.subject) return false;
  const a = hazard.assignment || {};
  return a.responsibleSubject === claims.subject ||
    (hazard.buildingSubjects || []).includes(claims.subject);
}

function roleMay(claims, hazard, action) {
  const role = claims.role;
  const adminOrStreet = role === 'district_admin' || role === 'street_officer';
  const routing = hazard.routing || {};
  if (hazard.unmatched && action !== 'match' && action !== 'reject') return false;
  switch (action) {
    case 'match':
      return !!hazard.unmatched && adminOrStreet;
    case 'verify':
    case 'reject':
    case 'assign':
      return adminOrStreet || (role === 'department_officer' && !!claims.department &&
        (routing.leadDepartments || []).includes(claims.department));
    case 'start':
    case 'submit':
      return adminOrStreet || role === 'community_worker' ||
        (role === 'building_manager' && namesManager(claims, hazard));
    case 'review': {
      const supervising = role === 'department_officer' && !!claims.department &&
        (hazard.assignment || {}).supervisingDepartment === claims.department;
      if (!adminOrStreet && !supervising) return false;
      const audit = hazard.audit || [];
      for (let i = audit.length - 1; i >= 0; i--) {
        if (audit[i].action === 'submit') return audit[i].actor !== claims.subject;
      }
      return true;
    }
    default:
      return false;
  }
}

// The actions the caller may take on the hazard now, in lifecycle order.
export function allowedHazardActions(claims, hazard) {
  if (!claims || !hazard || hazard.duplicateOf) return [];
  return HAZARD_ACTIONS.filter(
    (a) => hazard.status === STATE_OF[a] && roleMay(claims, hazard, a));
}
