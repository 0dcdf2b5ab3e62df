// Display helpers: times in China Standard Time, numbers, departments and tiers.
import departments from 'firegrid:departments';
import { lang, t } from './i18n/index.js';

export function formatTime(ts) {
  if (!ts) return '—';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return d.toLocaleString(lang(), {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hour12: false,
  });
}

export function formatDate(ts) {
  if (!ts) return '—';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return d.toLocaleDateString(lang(), { timeZone: 'Asia/Shanghai' });
}

// A number from proto3 JSON (int64 arrive as strings); undefined stays undefined.
export function num(v) {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function formatNumber(v, suffix = '') {
  const n = num(v);
  if (n === undefined) return '—';
  return `${n.toLocaleString(lang())}${suffix}`;
}

// The department's name from config/departments.textproto (built in); the slug in English or
// when unknown.
export function departmentName(slug) {
  if (!slug) return '—';
  if (slug === 'streets') return t('dept.streets');
  if (lang() === 'zh-CN' && departments[slug]) return departments[slug];
  return slug;
}

export const DEPARTMENT_SLUGS = Object.keys(departments);

// End of the given day (YYYY-MM-DD) in China Standard Time, as an RFC 3339 timestamp.
export function endOfDayCst(date) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return '';
  return new Date(`${date}T23:59:59+08:00`).toISOString();
}
