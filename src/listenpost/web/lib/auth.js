// The session: an API key is exchanged at /api/v1/auth/reissue for an access token, kept in
// sessionStorage (never in the URL). The key itself stays in this page's memory only, so the
// token can be renewed before `exp`; after a reload the token lasts until it expires, then the
// form asks for the key again.

const TOKEN = 'listenpost.token';
let apiKey = null;
let timer = null;
const listeners = new Set();

export function token() {
  const saved = sessionStorage.getItem(TOKEN);
  if (!saved) return null;
  return expiry(saved) * 1000 > Date.now() ? saved : null;
}

export function onChange(fn) { listeners.add(fn); }

function expiry(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return Number(JSON.parse(atob(part)).exp) || 0;
  } catch { return 0; }
}

/** Exchange a key; resolves to the token or throws an Error carrying the server's message. */
export async function login(key) {
  const res = await fetch('/api/v1/auth/reissue', { headers: { Authorization: 'Bearer ' + key } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(body?.detail?.message || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  apiKey = key;
  save(body.access_token);
  return body.access_token;
}

function save(jwt) {
  sessionStorage.setItem(TOKEN, jwt);
  schedule(jwt);
  for (const fn of listeners) fn(jwt);
}

function schedule(jwt) {
  clearTimeout(timer);
  const left = expiry(jwt) * 1000 - Date.now();
  // Renew at 80% of the lifetime left (at least 5 s before exp) while the key is known.
  const wait = Math.max(1000, Math.min(left * 0.8, left - 5000));
  timer = setTimeout(() => renew().catch(() => {}), wait);
}

/** A fresh token from the key held in memory; null when the key is not known (reloaded). */
export async function renew() {
  if (!apiKey) {
    const saved = token();
    if (saved) schedule(saved);
    else logout('Session expired: enter the API key again.');
    return null;
  }
  try {
    return await login(apiKey);
  } catch (err) {
    if (err.status === 401 || err.status === 403) logout(err.message);
    throw err;
  }
}

export function logout(reason) {
  clearTimeout(timer);
  apiKey = null;
  sessionStorage.removeItem(TOKEN);
  for (const fn of listeners) fn(null, reason);
}

export function resume() {
  const saved = token();
  if (saved) schedule(saved);
  return saved;
}
