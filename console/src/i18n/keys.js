// Consistency of the language modules: every language has exactly the keys of zh-CN, and every
// enum value the console shows has a label. Used by `npm run check` and test/i18n.test.js.
import { LANGUAGES } from './index.js';
import { ALL_ENUMS, ROLES } from '../enums.js';
import { AUDIT_ACTIONS, LEDGER_KPIS, METRICS } from '../fields.js';
import { HAZARD_ACTIONS } from '../hazard_actions.js';
import { OIDC_OUTCOMES } from '../api.js';

// Keys built at run time from a list (`prefix` + each name).
const FAMILIES = [
  ['enum.', ALL_ENUMS], ['role.', ROLES], ['ledger.kpi.', LEDGER_KPIS],
  ['figures.metric.', METRICS], ['audit.', AUDIT_ACTIONS], ['hazard.action.', HAZARD_ACTIONS],
  ['inbox.stream.', ['connecting', 'live', 'offline']],
  ['signin.oidc.', OIDC_OUTCOMES],
  ['nav.', ['inbox', 'hazards', 'ledger', 'figures', 'credit', 'alarms', 'map']],
];

// The prefixes of those families (a key under one is used though no source names it whole).
export const FAMILY_PREFIXES = FAMILIES.map(([prefix]) => prefix);

export function missingKeys() {
  const problems = [];
  const reference = LANGUAGES['zh-CN'];
  for (const [name, dict] of Object.entries(LANGUAGES)) {
    for (const k of Object.keys(reference)) {
      if (!(k in dict)) problems.push(`${name}: missing key ${k}`);
      else if (typeof dict[k] !== 'string' || dict[k] === '') problems.push(`${name}: empty ${k}`);
    }
    for (const k of Object.keys(dict)) {
      if (!(k in reference)) problems.push(`${name}: key ${k} not in zh-CN`);
    }
  }
  for (const [prefix, names] of FAMILIES) {
    for (const n of names) {
      if (!(`${prefix}${n}` in reference)) problems.push(`zh-CN: no label ${prefix}${n}`);
    }
  }
  return problems;
}
