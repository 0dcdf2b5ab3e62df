// Field names the console shows as KPIs and chart metrics (proto3 JSON, lowerCamelCase); each
// has a label key in every language (`ledger.kpi.<name>`, `figures.metric.<name>`).

// LedgerCounts (buildings.proto), in the order shown.
export const LEDGER_KPIS = [
  'buildings', 'superHighRise', 'classI', 'classIi', 'notHighRise', 'responsibilityFiled',
  'responsibilityFiledPct', 'filedLate', 'filingPending', 'filingLate', 'filingMissing',
  'withLanes', 'lanesMarked', 'lanesMarkedPct', 'withIndoorHydrants', 'indoorHydrantsWithWater',
  'indoorHydrantsWithWaterPct', 'fireAccessNonCompliant', 'threeNos', 'oldResidential',
];

// StatisticsRow (hazards.proto) counts a chart can draw.
export const METRICS = ['open', 'overdue', 'reported', 'closed', 'closedOnTime', 'rejected'];

// Hazard audit actions (AuditEntry.action) with a label `audit.<action>`.
export const AUDIT_ACTIONS = [
  'report', 'verify', 'confirm', 'reject', 'assign', 'start', 'submit', 'review_pass',
  'review_fail', 'change_category', 'merge', 'unmerge', 'due_soon', 'overdue', 'escalate',
  'name_liable_party', 'device_alarm_cleared', 'match', 'done',
];
