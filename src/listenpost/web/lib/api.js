// REST calls with the Bearer token, and URLs for places where browsers cannot send headers.
import * as auth from './auth.js';

/** Parsed JSON of a call; throws an Error with .status and .detail (the server's `detail`). */
export async function api(path, { method = 'GET', body } = {}, retried = false) {
  const tok = auth.token();
  if (!tok) throw signedOut(method, path); // after sign-out nothing is sent (a sure 401)
  const headers = { Authorization: 'Bearer ' + tok };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401 && !retried) {
    const fresh = await auth.renew().catch(() => null);
    if (fresh) return api(path, { method, body }, true);
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!res.ok) {
    const detail = data && typeof data === 'object' ? data.detail : null;
    const err = new Error(detail?.message || `${method} ${path}: HTTP ${res.status}`);
    err.status = res.status;
    err.detail = detail;
    if (res.status === 401) auth.logout(err.message);
    throw err;
  }
  return data;
}

/** The error a call made while signed out rejects with, without reaching the network. */
function signedOut(method, path) {
  const err = new Error(`${method} ${path}: signed out`);
  err.status = 401;
  return err;
}

const WS_PATH = /^\/api\/(v\d+\/)?ws(\/|$)/;

/** Absolute URL carrying ?access_token= (WebSocket and audio); ws(s):// for the streams. */
export function url(path, params = {}) {
  const u = new URL(path, location.origin);
  if (WS_PATH.test(u.pathname)) u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  }
  const tok = auth.token();
  if (tok) u.searchParams.set('access_token', tok);
  return u.toString();
}

/** Every page of a paged listing (`results`), up to `limit` items. */
export async function all(path, limit = 1000) {
  const out = [];
  const sep = path.includes('?') ? '&' : '?';
  for (let page = 1; out.length < limit; page++) {
    const body = await api(`${path}${sep}size=100&page=${page}`);
    out.push(...(body.results || []));
    if (page >= (body.max_page || 0)) break;
  }
  return out;
}
