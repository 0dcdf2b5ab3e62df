// Languages: zh-CN first (the default), English. One module per language with the same keys
// (test/i18n.test.js and `npm run check` compare them); every text the console shows goes
// through t(key, params). The choice is kept in localStorage.
import zhCN from './zh-CN.js';
import en from './en.js';

export const LANGUAGES = { 'zh-CN': zhCN, en };
const STORAGE_KEY = 'firegrid.lang';

function stored() {
  try {
    return globalThis.localStorage ? globalThis.localStorage.getItem(STORAGE_KEY) : null;
  } catch {
    return null;
  }
}

let current = LANGUAGES[stored()] ? stored() : 'zh-CN';

export function lang() {
  return current;
}

export function setLang(l) {
  if (!LANGUAGES[l]) return;
  current = l;
  try {
    globalThis.localStorage && globalThis.localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // private mode: the choice lasts for the page only
  }
  if (globalThis.document) globalThis.document.documentElement.lang = l;
}

// The text of `key` in the current language with {name} placeholders filled from params.
export function t(key, params) {
  let s = LANGUAGES[current][key];
  if (s === undefined) s = LANGUAGES['zh-CN'][key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

// The label of a proto enum value (e.g. "STATUS_REPORTED"); the name itself when unknown.
export function enumLabel(name) {
  if (!name) return '—';
  const key = `enum.${name}`;
  return LANGUAGES[current][key] !== undefined ? t(key) : name;
}
