// Consistency of the language modules: every language has exactly the keys of zh-CN, and every
// enum value the console shows has a label. Used by `npm run check` and test/i18n.test.js.
import { LANGUAGES } from './index.js';
import { ALL_ENUMS, ROLES } from '../enums.js';

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
  for (const e of ALL_ENUMS) {
    if (!(`enum.${e}` in reference)) problems.push(`zh-CN: no label enum.${e}`);
  }
  for (const r of ROLES) {
    if (!(`role.${r}` in reference)) problems.push(`zh-CN: no label role.${r}`);
  }
  return problems;
}
