// Radio filters: the hash params <-> /api/ws subscribe messages (tr-engine.md §1.3-1.4).
// Pure: no DOM, no network. Talkgroups are integers on the wire, as the protocol requires.

export const CHANNELS = ['calls', 'units', 'rates', 'recorders'];

/** Parse `{system, talkgroup}` hash params; talkgroup may be a comma-separated list. */
export function parseFilters(params = {}) {
  const system = String(params.system || '').trim();
  const raw = String(params.talkgroup || '').trim();
  const talkgroups = [];
  let error = '';
  for (const part of raw ? raw.split(',') : []) {
    const text = part.trim();
    if (!/^\d{1,15}$/.test(text)) {
      error = `talkgroup: "${text}" is not a whole number`;
      continue;
    }
    const tg = Number(text);
    if (!talkgroups.includes(tg)) talkgroups.push(tg);
  }
  return { system, talkgroups, error };
}

/** The hash params that reproduce `filters` (empty ones left out). */
export function filterParams(filters) {
  const out = {};
  if (filters.system) out.system = filters.system;
  if (filters.talkgroups.length) out.talkgroup = filters.talkgroups.join(',');
  return out;
}

export function sameFilters(a, b) {
  return a.system === b.system && a.talkgroups.join(',') === b.talkgroups.join(',');
}

/** The first message on a fresh connection: channels plus the current filters. */
export function subscribeAll(filters, channels = CHANNELS) {
  const msg = { action: 'subscribe', channels };
  if (filters.system) msg.systems = [filters.system];
  if (filters.talkgroups.length) msg.talkgroups = filters.talkgroups;
  return msg;
}

/** Messages that move a live connection from `old` filters to `next` ones: subscribe only
 * adds and unsubscribe only removes (per-connection sets), so send both differences. */
export function changeMessages(old, next) {
  const oldSys = old.system ? [old.system] : [];
  const newSys = next.system ? [next.system] : [];
  const gone = (a, b) => a.filter((x) => !b.includes(x));
  const out = [];
  const unsub = { action: 'unsubscribe' };
  const sub = { action: 'subscribe' };
  const sysOut = gone(oldSys, newSys);
  const sysIn = gone(newSys, oldSys);
  const tgOut = gone(old.talkgroups, next.talkgroups);
  const tgIn = gone(next.talkgroups, old.talkgroups);
  // Narrow first: adding the new values before removing the old keeps the set non-empty,
  // so the connection never briefly receives every system.
  if (sysIn.length) sub.systems = sysIn;
  if (tgIn.length) sub.talkgroups = tgIn;
  if (sysOut.length) unsub.systems = sysOut;
  if (tgOut.length) unsub.talkgroups = tgOut;
  if (sysIn.length || tgIn.length) out.push(sub);
  if (sysOut.length || tgOut.length) out.push(unsub);
  return out;
}

/** Does an event's data pass the filters the way the server decides (§1.7 steps 5-6)?
 * Used only for REST snapshots, which the server does not filter; live events are already
 * filtered by the server. */
export function passes(filters, data) {
  if (filters.system && typeof data.system === 'string' && data.system !== filters.system) {
    return false;
  }
  if (filters.talkgroups.length && typeof data.talkgroup === 'number') {
    return filters.talkgroups.includes(data.talkgroup);
  }
  return true;
}
