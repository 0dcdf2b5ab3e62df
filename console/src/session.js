// The signed-in session: the access token, kept in memory and in sessionStorage (so that a
// reload of the tab keeps it; it dies with the tab). The refresh token never reaches script: it
// is an HttpOnly cookie the gateway sets on /api/v1/auth.
const STORAGE_KEY = 'firegrid.accessToken';

let token = null;
const listeners = new Set();

function storage() {
  try {
    return globalThis.sessionStorage || null;
  } catch {
    return null;
  }
}

export function loadSession() {
  const s = storage();
  token = s ? s.getItem(STORAGE_KEY) : null;
  return token;
}

export function accessToken() {
  return token;
}

export function setAccessToken(value) {
  token = value || null;
  const s = storage();
  if (s) {
    if (token) s.setItem(STORAGE_KEY, token);
    else s.removeItem(STORAGE_KEY);
  }
  for (const fn of listeners) fn(token);
}

export function clearSession() {
  setAccessToken(null);
}

export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function base64UrlDecode(part) {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const bin = atob(padded);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

// The claims of a JWT (not verified here: the gateway and the services verify it; the console
// only reads who it is for, to show it and to offer the actions the role may take).
export function decodeClaims(jwt) {
  if (!jwt) return null;
  const parts = jwt.split('.');
  if (parts.length !== 3) return null;
  try {
    const c = JSON.parse(base64UrlDecode(parts[1]));
    return {
      subject: c.sub || '',
      role: c.role || '',
      orgUnit: c.org_unit || '',
      tierPath: c.tier_path || '',
      department: c.department || '',
      exp: typeof c.exp === 'number' ? c.exp : 0,
    };
  } catch {
    return null;
  }
}

export function currentClaims() {
  return decodeClaims(token);
}
