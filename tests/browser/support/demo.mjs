// Demo data the browser tests act on, read and changed over gRPC with firegridctl.
import { randomUUID } from 'node:crypto';

// The registered buildings of a community (tier path), from the demo data.
export async function buildingsOf(stack, tierPath) {
  const out = await stack.ctlJson(['buildings', 'list', '--tier', tierPath, '--all']);
  return (out.buildings ?? []).map((b) => b.building_id);
}

// Reports a general hazard of `category` on `building` over gRPC (as the district admin) and
// returns its id. The idempotency key is fresh, and the category is one the building has no
// open hazard of (else the report is kept as a duplicate and routed to no one).
export async function reportHazard(stack, { building, category, description }) {
  const out = await stack.ctlJson([
    'hazards',
    'report',
    '--building',
    building,
    '--category',
    category,
    '--severity',
    'general',
    '--source',
    'grid_inspection',
    '--description',
    description,
    '--idempotency-key',
    randomUUID(),
  ]);
  const hazard = out.hazard ?? out;
  if (out.duplicate_of) throw new Error(`the report became a duplicate of ${out.duplicate_of}`);
  if (!hazard.hazard_id) throw new Error(`no hazard id in the report's answer: ${JSON.stringify(out)}`);
  return hazard.hazard_id;
}

// A building of `tierPath` with no open hazard of `category`, so that a report on it is routed.
export async function buildingWithoutOpen(stack, tierPath, category) {
  const open = await stack.ctlJson(['hazards', 'list', '--tier', tierPath, '--category', category, '--all']);
  const busy = new Set(
    (open.hazards ?? [])
      .filter((h) => !['closed', 'rejected', 'STATUS_CLOSED', 'STATUS_REJECTED'].includes(h.status))
      .map((h) => h.building_id),
  );
  const free = (await buildingsOf(stack, tierPath)).find((b) => !busy.has(b));
  if (!free) throw new Error(`every building of ${tierPath} has an open ${category} hazard`);
  return free;
}
