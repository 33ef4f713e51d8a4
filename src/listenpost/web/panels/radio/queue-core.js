// Live audio queue policy: which calls are queued and played (Hold, Avoid). Pure, so the
// engine and the tests share one definition. Prefs are what localStorage keeps.

export const QUEUE_CAP = 500; // beyond it the oldest waiting call is dropped
export const AVOID_MINUTES = [30, 60, 120, 0]; // 0 = until cleared

export function defaultPrefs() {
  return { hold: null, avoids: [], paused: false };
}

/** Prefs read back from storage, tolerating anything malformed. */
export function readPrefs(raw) {
  const p = defaultPrefs();
  if (!raw || typeof raw !== 'object') return p;
  const h = raw.hold;
  if (h && (h.kind === 'talkgroup' || h.kind === 'system') && typeof h.system === 'string') {
    p.hold = { kind: h.kind, system: h.system, talkgroup: Number(h.talkgroup) || 0, alpha: String(h.alpha || '') };
  }
  if (Array.isArray(raw.avoids)) {
    p.avoids = raw.avoids
      .filter((a) => a && typeof a.system === 'string' && Number.isInteger(a.talkgroup))
      .map((a) => ({ system: a.system, talkgroup: a.talkgroup, alpha: String(a.alpha || ''), until: Number.isFinite(a.until) ? a.until : null }));
  }
  p.paused = raw.paused === true;
  return p;
}

const sameTg = (a, b) => a.system === b.system && a.talkgroup === b.talkgroup;

export function activeAvoids(prefs, now) {
  return prefs.avoids.filter((a) => a.until == null || a.until > now);
}

export function isAvoided(prefs, call, now) {
  return activeAvoids(prefs, now).some((a) => sameTg(a, call));
}

export function isHeld(prefs, call) {
  const h = prefs.hold;
  if (!h) return true;
  if (h.kind === 'system') return call.system === h.system;
  return sameTg(h, call);
}

/** Whether a call may be queued or played now. */
export function admits(prefs, call, now) {
  return isHeld(prefs, call) && !isAvoided(prefs, call, now);
}

/** Avoid a call's talkgroup for `minutes` (0 = until cleared); replaces an earlier choice. */
export function avoid(prefs, call, minutes, now) {
  const until = minutes > 0 ? now + minutes * 60000 : null;
  const entry = { system: call.system, talkgroup: call.talkgroup, alpha: call.alpha || '', until };
  return { ...prefs, avoids: [...activeAvoids(prefs, now).filter((a) => !sameTg(a, call)), entry] };
}

export function clearAvoid(prefs, call, now) {
  return { ...prefs, avoids: activeAvoids(prefs, now).filter((a) => !sameTg(a, call)) };
}

/** Hold on a call's talkgroup or system; null releases it. */
export function hold(prefs, call, kind) {
  if (!call || !kind) return { ...prefs, hold: null };
  return { ...prefs, hold: { kind, system: call.system, talkgroup: call.talkgroup, alpha: call.alpha || '' } };
}

/** Add an arrived call to the queue (if admitted, not already there); returns the queue. */
export function enqueue(queue, prefs, call, now) {
  if (!admits(prefs, call, now) || queue.some((c) => c.id === call.id)) return queue;
  const next = [...queue, call];
  return next.length > QUEUE_CAP ? next.slice(next.length - QUEUE_CAP) : next;
}

/** The queue after a change of prefs: what is no longer admitted leaves it. */
export function prune(queue, prefs, now) {
  return queue.filter((c) => admits(prefs, c, now));
}

/** A queue entry from audio_available data. */
export function queuedCall(d) {
  return {
    id: d.call_id,
    system: d.system || '',
    talkgroup: d.talkgroup ?? 0,
    alpha: d.talkgroup_alpha_tag || '',
    duration: Number(d.duration) || 0,
  };
}
