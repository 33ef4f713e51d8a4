// Small display helpers shared by the Radio and Queue panels.

export function tgLabel(alpha, talkgroup) {
  return alpha ? `${alpha} (${talkgroup})` : String(talkgroup);
}

export function unitLabel(tag, unit) {
  if (!unit) return '';
  return tag ? `${tag} (${unit})` : String(unit);
}

export function clock(ms) {
  return Number.isFinite(ms) ? new Date(ms).toLocaleTimeString() : '';
}

export function elapsed(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

export function seconds(value) {
  return value == null || value === '' ? '' : `${Number(value).toFixed(1)} s`;
}

export function mhz(hz) {
  return hz ? `${(hz / 1e6).toFixed(4)} MHz` : '';
}

export function minutesLeft(until, now) {
  if (until == null) return 'until cleared';
  return `${Math.max(1, Math.ceil((until - now) / 60000))} min left`;
}

/** Inject a panel stylesheet once. */
export function stylesheet(href) {
  if (document.querySelector(`link[href="${href}"]`)) return;
  document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href }));
}
