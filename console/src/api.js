// The gateway's JSON API: POST /api/v1/<package>.<Service>/<Method> with proto3 JSON, the access
// token as `Authorization: Bearer`. A 401 refreshes the token once (POST /api/v1/auth/refresh
// with the refresh cookie and the CSRF header) and retries; when that fails the session ends and
// the app shows the sign-in page.
import { accessToken, clearSession, setAccessToken } from './session.js';

export const SERVICES = {
  hazards: 'firegrid.hazards.v1.HazardService',
  buildings: 'firegrid.buildings.v1.BuildingService',
  notify: 'firegrid.notify.v1.NotifyService',
  credit: 'firegrid.credit.v1.CreditService',
  monitoring: 'firegrid.monitoring.v1.MonitoringService',
  accounts: 'firegrid.accounts.v1.AccountsService',
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
  }
}

async function errorFrom(res) {
  let code = '';
  let message = '';
  try {
    const body = await res.json();
    code = body.code || '';
    message = body.message || '';
  } catch {
    // not JSON (a proxy's page): the status says enough
  }
  return new ApiError(res.status, code, message);
}

let refreshing = null;

// Asks for a new access token with the refresh cookie. Single flight: concurrent 401s share one
// refresh (the refresh token is single use; two refreshes with it would revoke the sign-in).
export function refreshAccessToken() {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const res = await fetch('/api/v1/auth/refresh', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'X-Firegrid-CSRF': '1', 'Content-Type': 'application/json' },
          body: '{}',
        });
        if (!res.ok) return false;
        const body = await res.json();
        if (!body.accessToken) return false;
        setAccessToken(body.accessToken);
        return true;
      } catch {
        return false;
      }
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

// fetch with the bearer token; on 401 one refresh and one retry, then the session ends.
export async function authorizedFetch(url, init = {}) {
  const send = () => {
    const headers = new Headers(init.headers || {});
    const t = accessToken();
    if (t) headers.set('Authorization', `Bearer ${t}`);
    return fetch(url, { ...init, headers, credentials: 'same-origin' });
  };
  let res = await send();
  if (res.status === 401 && (await refreshAccessToken())) res = await send();
  if (res.status === 401) {
    clearSession();
    throw await errorFrom(res);
  }
  return res;
}

export async function call(service, method, request = {}) {
  const res = await authorizedFetch(`/api/v1/${SERVICES[service] || service}/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(request),
  });
  if (!res.ok) throw await errorFrom(res);
  return res.json();
}

// A call with a narrow-purpose token (the enrolment token of a first sign-in) instead of the
// session's; no refresh, the session is left alone.
export async function callWithToken(token, service, method, request = {}) {
  const res = await fetch(`/api/v1/${SERVICES[service] || service}/${method}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(request),
  });
  if (!res.ok) throw await errorFrom(res);
  return res.json();
}

async function authPost(path, body, extraHeaders = {}) {
  const res = await fetch(`/api/v1/auth/${path}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', ...extraHeaders },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await errorFrom(res);
  const text = await res.text();
  return text ? JSON.parse(text) : {};
}

// Password + TOTP sign-in. The answer carries the access token (or says which step is missing);
// the refresh token comes only as the HttpOnly cookie.
export async function signIn(username, password, totpCode) {
  const body = await authPost('sign-in', { username, password, totpCode });
  if (body.accessToken) setAccessToken(body.accessToken);
  return body;
}

// Development: a token (e.g. a demo token of deploy/run-local.sh) the gateway verifies like any
// other; sent as the bearer (and in the JSON body, for a gateway that reads it there), never in
// the URL.
export async function tokenSession(token) {
  const body = await authPost('token-session', { token }, { Authorization: `Bearer ${token}` });
  setAccessToken(body.accessToken || token);
  return body;
}

// What the gateway's OIDC callback reports in #/signin?oidc=<outcome> when sign-in did not
// complete ("done" when it did), and "failed" for anything else.
export const OIDC_OUTCOMES = ['denied', 'state', 'exchange', 'token', 'failed'];

// OpenID Connect: after the provider's redirect the gateway has redeemed the code and holds the
// access token in a one-time HttpOnly cookie; this takes it over (the token never was in a URL).
export async function oidcSession() {
  const body = await authPost('oidc/session', {}, { 'X-Firegrid-CSRF': '1' });
  if (body.accessToken) setAccessToken(body.accessToken);
  return body;
}

// Ends the session here; with an OpenID provider that names an end-session endpoint, the browser
// then goes there so that the provider's own session ends too.
export async function signOut() {
  let body = {};
  try {
    body = await authPost('sign-out', {}, { 'X-Firegrid-CSRF': '1' });
  } catch {
    // the session ends here whatever the gateway answers
  }
  clearSession();
  if (body && body.endSessionEndpoint) location.assign(body.endSessionEndpoint);
}

export async function authConfig() {
  try {
    const res = await fetch('/api/v1/auth/config', { credentials: 'same-origin' });
    if (!res.ok) return {};
    return await res.json();
  } catch {
    return {};
  }
}

// Uploads a photo or document as evidence; returns {uri: "sha256:<hex>", size, mediaType}.
export async function uploadEvidence(file) {
  const res = await authorizedFetch('/api/v1/evidence', {
    method: 'POST',
    headers: { 'Content-Type': file.type || 'application/octet-stream' },
    body: file,
  });
  if (!res.ok) throw await errorFrom(res);
  return res.json();
}
