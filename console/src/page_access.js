// Which console pages a role can use: the one home for the navigation (only these entries) and
// the router (any other page reached by URL shows "not available for your role" and calls
// nothing). A page is listed for a role when the services answer the calls the page makes on
// opening for that role; the services still decide (services/*/authz_matrix_test.cc, their
// README role tables):
//
//   inbox     notify ListInbox, Subscribe: every role but public_channel
//   hazards   hazards ListHazards (#/hazards/<id>: GetHazard): district_admin, street_officer,
//             community_worker, department_officer (its department's), building_manager (the
//             buildings naming it), public_channel (its channel's reports); service_agency,
//             micro_station and iot_gateway are PERMISSION_DENIED (services/hazards/listing.cc)
//   ledger    buildings GetLedger, ListBuildings: district_admin, street_officer,
//             community_worker, department_officer (not building_manager: no GetLedger)
//   buildings a building's page (no navigation entry), buildings GetBuilding: the ledger's
//             roles and building_manager (the buildings naming it)
//   figures   hazards GetStatistics, GetStatisticsTrend: the ledger's roles
//   credit    credit ListBlacklist, ListRanking: the ledger's roles
//   alarms    monitoring ListAlarms by area: the ledger's roles and micro_station (a building
//             manager must name a building: INVALID_ARGUMENT building_id)
//   map       buildings ListBuildings, hazards ListHazards: the ledger's roles and
//             building_manager
//
// internal_service is a service's role, not a person's: it may call nearly everything, but
// without a tier path the console's unscoped requests fail (GetLedger, ListAlarms), so it gets
// what an unknown role gets.
//
// Fail closed: an unknown role, or a token without one (no JWT, no role claim), gets the inbox
// only — a role the console does not know may use nothing more than every caller's own inbox.
// The first page of a role's list is its home page (after sign-in, for an unknown route).

const AREA = Object.freeze(['inbox', 'hazards', 'ledger', 'buildings', 'figures', 'credit', 'alarms', 'map']);

export const FALLBACK_PAGES = Object.freeze(['inbox']);

export const PAGES_BY_ROLE = Object.freeze({
  district_admin: AREA,
  department_officer: AREA,
  street_officer: AREA,
  community_worker: AREA,
  building_manager: ['inbox', 'hazards', 'buildings', 'map'],
  micro_station: ['inbox', 'alarms'],
  service_agency: ['inbox'],
  iot_gateway: ['inbox'],
  internal_service: FALLBACK_PAGES,
  public_channel: ['hazards'],
});

// The pages `role` can use (own properties only: "constructor" is no role).
export function pagesFor(role) {
  const own = Object.prototype.hasOwnProperty.call(PAGES_BY_ROLE, role || '');
  return own ? PAGES_BY_ROLE[role] : FALLBACK_PAGES;
}

export function mayUse(role, page) {
  return pagesFor(role).includes(page);
}

export function homePage(role) {
  return pagesFor(role)[0];
}
