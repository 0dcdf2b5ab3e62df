// Requests built from what the user chose (pure: tested without a browser).

// The ListHazards request of the filters in the hash (#/hazards?status=…&category=…).
export function listRequest(query, pageToken = '') {
  const req = { pageSize: 100 };
  if (query.status) req.statuses = [query.status];
  if (query.category) req.categories = [query.category];
  if (query.department) req.department = query.department;
  if (query.overdue === 'true') req.overdue = true;
  if (query.unmatched === 'true') req.unmatchedOnly = true;
  if (query.tier) req.tierPathPrefix = query.tier;
  if (query.building) req.buildingId = query.building;
  if (pageToken) req.pageToken = pageToken;
  return req;
}
