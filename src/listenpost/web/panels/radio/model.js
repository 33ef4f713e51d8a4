// The Radio panel's state and how each /api/ws event changes it. Pure: the panel renders
// what `apply` marks dirty once per animation frame. Every list is capped.

export const CAPS = { active: 200, recent: 100, units: 200, rates: 360 };

export function emptyState() {
  return {
    active: new Map(), // call_id -> active call
    recent: [], // newest first
    recorders: new Map(), // recorder id -> recorder
    units: [], // unit events, newest first
    rates: new Map(), // system -> {t: [unix s], v: [decode rate]}
  };
}

const toMs = (iso) => (iso ? Date.parse(iso) : NaN);

/** An active call from a call_start event (`at` = envelope time, ms) or a REST call. */
export function activeCall(d, at) {
  return {
    id: d.call_id ?? d.id,
    system: d.system || '',
    talkgroup: d.talkgroup ?? 0,
    alpha: d.talkgroup_alpha_tag || '',
    unit: d.unit ?? 0,
    unitTag: d.unit_alpha_tag || '',
    emergency: !!d.emergency,
    encrypted: !!d.encrypted,
    freq: d.freq ?? 0,
    startMs: Number.isFinite(toMs(d.start_time)) ? toMs(d.start_time) : at,
  };
}

/** A recent call from REST (`/api/v1/calls`) or from call_end / audio_available data; a
 * field the event does not carry is null, so merging keeps what an earlier event said. */
export function recentCall(d) {
  const start = toMs(d.start_time);
  return {
    id: d.call_id ?? d.id,
    system: d.system || null,
    talkgroup: d.talkgroup ?? null,
    alpha: d.talkgroup_alpha_tag || null,
    unit: d.unit || null,
    unitTag: d.unit_alpha_tag || null,
    duration: d.duration ?? null,
    startMs: Number.isFinite(start) ? start : null,
    audio: Boolean(d.audio_url || d.audio_size),
    emergency: d.emergency ?? null,
    encrypted: d.encrypted ?? null,
  };
}

export function recorder(d) {
  return {
    id: d.recorder_id ?? d.id,
    src: d.src_num ?? 0,
    rec: d.rec_num ?? 0,
    type: d.rec_type || '',
    stateType: d.rec_state_type || String(d.state ?? ''),
    freq: d.freq ?? 0,
    count: d.count ?? 0,
    tg: d.tgid ?? null,
    tgAlpha: d.tg_alpha_tag || '',
    unit: d.unit_id ?? null,
  };
}

export function unitEvent(d, at) {
  return {
    atMs: Number.isFinite(toMs(d.time)) ? toMs(d.time) : at,
    system: d.system || '',
    unit: d.unit ?? 0,
    unitTag: d.unit_tag ?? d.unit_alpha_tag ?? '',
    type: d.event_type || '',
    talkgroup: d.talkgroup ?? 0,
    target: d.target_unit ?? null,
  };
}

/** Merge a recent call (upsert by id, moved to the top), keeping the cap. */
export function upsertRecent(state, call) {
  const i = state.recent.findIndex((c) => c.id === call.id);
  let merged = call;
  if (i >= 0) {
    const old = state.recent[i];
    merged = { ...old };
    for (const [k, v] of Object.entries(call)) if (v != null) merged[k] = v;
    merged.audio = old.audio || call.audio;
    state.recent.splice(i, 1);
  }
  state.recent.unshift(merged);
  if (state.recent.length > CAPS.recent) state.recent.length = CAPS.recent;
}

export function addRate(state, system, t, v) {
  let s = state.rates.get(system);
  if (!s) state.rates.set(system, (s = { t: [], v: [] }));
  // Keep time order (a REST backfill may land after live points).
  let i = s.t.length;
  while (i > 0 && s.t[i - 1] > t) i--;
  s.t.splice(i, 0, t);
  s.v.splice(i, 0, v);
  if (s.t.length > CAPS.rates) {
    s.t.splice(0, s.t.length - CAPS.rates);
    s.v.splice(0, s.v.length - CAPS.rates);
  }
}

export function addUnitEvent(state, ev) {
  state.units.unshift(ev);
  if (state.units.length > CAPS.units) state.units.length = CAPS.units;
}

/** Apply one envelope `{event, timestamp, data}`; returns the names of the sections it
 * changed (`active`, `recent`, `recorders`, `units`, `rates`). */
export function apply(state, msg) {
  const d = msg.data || {};
  const at = (msg.timestamp ? msg.timestamp * 1000 : Date.now());
  switch (msg.event) {
    case 'call_start': {
      if (state.active.size >= CAPS.active && !state.active.has(d.call_id)) {
        state.active.delete(state.active.keys().next().value); // drop the oldest
      }
      state.active.set(d.call_id, activeCall(d, at));
      return ['active'];
    }
    case 'call_end': {
      const was = state.active.get(d.call_id);
      state.active.delete(d.call_id);
      const call = recentCall(d);
      if (was) {
        call.startMs = was.startMs;
        call.alpha ??= was.alpha;
        call.unit ??= was.unit;
        call.unitTag ??= was.unitTag;
      }
      upsertRecent(state, call);
      return ['active', 'recent'];
    }
    case 'audio_available':
      upsertRecent(state, { ...recentCall(d), audio: true });
      return ['recent'];
    case 'recorder_update': {
      const r = recorder(d);
      state.recorders.set(r.id, { ...r, changedAt: Date.now() }); // this browser's clock: it times the highlight
      return ['recorders'];
    }
    case 'unit_event':
      addUnitEvent(state, unitEvent(d, at));
      return ['units'];
    case 'rate_update':
      addRate(state, d.system || '', at / 1000, Number(d.decode_rate) || 0);
      return ['rates'];
    default:
      return [];
  }
}
