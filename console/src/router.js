// Hash routes: "#/hazards/hzd_1?status=STATUS_REPORTED" → {parts: ["hazards", "hzd_1"],
// query: {status: "STATUS_REPORTED"}}.
import { useEffect, useState } from 'preact/hooks';

export function parseHash(hash) {
  const raw = (hash || '').replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = {};
  if (q >= 0) {
    for (const [k, v] of new URLSearchParams(raw.slice(q + 1))) query[k] = v;
  }
  const parts = path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  return { parts, query };
}

export function hashFor(parts, query = {}) {
  const path = parts.map((p) => encodeURIComponent(p)).join('/');
  const qs = new URLSearchParams(
    Object.entries(query).filter(([, v]) => v !== '' && v !== undefined && v !== null && v !== false),
  ).toString();
  return `#/${path}${qs ? `?${qs}` : ''}`;
}

export function navigate(parts, query) {
  const target = hashFor(parts, query);
  if (location.hash !== target) location.hash = target;
}

export function useRoute() {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
