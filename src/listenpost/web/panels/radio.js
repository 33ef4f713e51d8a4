// Radio, live: active calls, recent calls with a player, decode rate per system, recorder
// states and a unit activity log, over tr-engine's /api/ws. The system/talkgroup filters are
// sent as subscribe/unsubscribe messages (the server filters; the page hides nothing).
// Deep links: #/radio?system=<short name>&talkgroup=<id>[,<id>…], #/calls/<id>.

import * as F from './radio/filters.js';
import * as M from './radio/model.js';
import { rateChart } from './radio/chart.js';
import { callDetail } from './radio/detail.js';
import * as V from './radio/rows.js';
import { stylesheet } from './radio/format.js';

export const title = 'Radio';

export function mount(root, ctx) {
  const { el } = ctx;
  stylesheet('/ui/panels/radio/radio.css');
  let state = M.emptyState();
  let filters = F.parseFilters({});
  let subscribed = null; // the filters the live connection has, null before it opens
  let generation = 0; // REST loads from before a filter change are discarded
  const dirty = new Set();
  let newUnits = 0;
  let scheduled = false;

  const systemInput = el('input', { id: 'radio-system', name: 'system', list: 'radio-systems', placeholder: 'all systems', autocomplete: 'off' });
  const tgInput = el('input', { id: 'radio-talkgroup', name: 'talkgroup', inputmode: 'numeric', placeholder: 'all talkgroups', autocomplete: 'off' });
  const systemsList = el('datalist', { id: 'radio-systems' });
  const filterError = el('span', { id: 'radio-filter-error', class: 'error', role: 'alert' });
  const form = el('form', { class: 'toolbar radio-filters', onsubmit: (e) => { e.preventDefault(); submit(); } },
    el('label', null, 'System ', systemInput), systemsList,
    el('label', null, 'Talkgroup ', tgInput),
    el('button', { type: 'submit' }, 'Apply'),
    el('button', { type: 'button', id: 'radio-clear', onclick: () => ctx.go('radio', {}) }, 'Clear'),
    filterError);
  const detailBox = el('section', { id: 'call-detail', class: 'card', hidden: true });
  const activeBody = el('tbody', { id: 'active-calls' });
  const activeCount = el('span', { class: 'count' });
  const recentBody = el('tbody', { id: 'recent-calls' });
  const player = el('audio', { id: 'radio-player', controls: true, preload: 'none' });
  const playing = el('span', { id: 'radio-playing', class: 'muted' });
  const chartBox = el('div', { id: 'rate-chart', class: 'rate-chart', dataset: { points: '0' } });
  const recBody = el('tbody', { id: 'recorders' });
  const unitBody = el('tbody', { id: 'unit-log' });
  const table = (head, body) => el('div', { class: 'table-wrap' },
    el('table', null, el('thead', null, el('tr', null, head.map((h) => el('th', { scope: 'col' }, h)))), body));

  root.append(el('section', { class: 'radio' },
    el('h2', null, 'Radio, live'), form, detailBox,
    el('div', { class: 'radio-grid' },
      el('section', null, el('h3', null, 'Active calls ', activeCount),
        table(['System', 'Talkgroup', 'Unit', 'Elapsed', '', 'Freq'], activeBody)),
      el('section', null, el('h3', null, 'Decode rate'), chartBox)),
    el('section', null, el('h3', null, 'Recent calls'), el('div', { class: 'player' }, player, playing),
      table(['Start', 'System', 'Talkgroup', 'Unit', 'Length', '', ''], recentBody)),
    el('div', { class: 'radio-grid' },
      el('section', null, el('h3', null, 'Recorders'), table(['Recorder', 'Type', 'State', 'Freq', 'Talkgroup', 'Calls'], recBody)),
      el('section', null, el('h3', null, 'Unit activity'), table(['Time', 'System', 'Unit', 'Event', 'Talkgroup'], unitBody)))));

  const chart = rateChart(chartBox);
  const rows = V.rowBuilders(el, {
    play: (call) => {
      player.src = ctx.url(`/api/v1/calls/${call.id}/audio`);
      player.dataset.callId = call.id;
      playing.textContent = `Call ${call.id}`;
      player.play().catch(() => {}); // a blocked autoplay leaves the controls to the user
    },
    open: (call) => ctx.go('radio', { ...F.filterParams(filters), id: call.id }),
  });

  function mark(...sections) {
    for (const s of sections) dirty.add(s);
    if (!scheduled) { scheduled = true; ctx.frame(render); }
  }

  function render() {
    scheduled = false;
    const now = Date.now();
    if (dirty.has('active')) {
      const calls = [...state.active.values()].sort((a, b) => b.startMs - a.startMs);
      activeBody.replaceChildren(...calls.map((c) => rows.active(c, now)));
      activeCount.textContent = `(${calls.length})`;
    }
    if (dirty.has('recent')) recentBody.replaceChildren(...state.recent.map(rows.recent));
    if (dirty.has('recorders')) {
      const recs = [...state.recorders.values()].sort((a, b) => a.src - b.src || a.rec - b.rec);
      recBody.replaceChildren(...recs.map((r) => rows.recorder(r, now)));
    }
    if (dirty.has('units')) {
      if (newUnits >= M.CAPS.units || newUnits === 0) {
        unitBody.replaceChildren(...state.units.map(rows.unit));
      } else {
        unitBody.prepend(...state.units.slice(0, newUnits).map(rows.unit));
        while (unitBody.children.length > M.CAPS.units) unitBody.lastChild.remove();
      }
      newUnits = 0;
    }
    if (dirty.has('rates')) chart.update(state.rates);
    dirty.clear();
  }

  function tickElapsed() {
    const now = Date.now();
    for (const cell of activeBody.querySelectorAll('.elapsed')) V.tick(cell, now);
  }

  function onMessage(msg) {
    if (!msg || msg.event === 'subscribed' || msg.event === 'unsubscribed') return;
    if (msg.event === 'error') {
      filterError.textContent = msg.data?.message || 'the server refused the filter';
      return;
    }
    if (seen && msg.event === 'call_start') seen.started.add(msg.data?.call_id);
    if (seen && msg.event === 'call_end') seen.ended.add(msg.data?.call_id);
    const changed = M.apply(state, msg);
    if (changed.includes('units')) newUnits++;
    if (changed.includes('recorders')) setTimeout(() => mark('recorders'), 3100); // unhighlight
    if (changed.length) mark(...changed);
  }

  const stream = ctx.stream('/api/ws', {
    name: 'Radio',
    params: { view: 'radio' }, // its own connection: filters are per connection
    onOpen: (s) => {
      s.send(F.subscribeAll(filters));
      subscribed = filters;
      load();
    },
    onMessage,
  });

  // Calls started or ended live while a REST snapshot is on its way: the snapshot may have
  // been taken before them, so it must neither drop the ones started nor revive the ended.
  let seen = null;

  async function load() {
    const gen = ++generation;
    seen = { started: new Set(), ended: new Set() };
    const during = seen;
    const f = filters;
    const get = (path) => ctx.api(path).catch((err) => {
      if (gen === generation) filterError.textContent = err.message;
      return null;
    });
    const q = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null)).toString();
    const tgs = f.talkgroups.length ? f.talkgroups : [null];
    const perTg = (path, size) => Promise.all(tgs.map((tg) => get(`${path}?${q({ size, system: f.system, talkgroup: tg })}`)))
      .then((pages) => pages.flatMap((page) => page?.results || []));
    const [active, recorders, rates, systems, recent, units] = await Promise.all([
      get('/api/v1/calls/active'),
      get('/api/v1/recorders?size=100'),
      get(`/api/v1/stats/rates?${q({ size: 100, system: f.system })}`),
      get('/api/v1/systems?size=100'),
      perTg('/api/v1/calls', 50),
      perTg('/api/v1/unit-events', 100),
    ]);
    if (gen !== generation) return;
    const at = Date.now();
    if (active) { // the tracker's list is the truth after a (re)connection: calls may have ended
      const next = new Map(active.data.filter((c) => F.passes(f, c) && !during.ended.has(c.id))
        .map((c) => [c.id, M.activeCall(c, at)]));
      for (const id of during.started) if (state.active.has(id)) next.set(id, state.active.get(id));
      state.active = next;
    }
    seen = null;
    for (const r of recorders?.results || []) {
      if (!state.recorders.has(r.id)) state.recorders.set(r.id, { ...M.recorder(r), changedAt: 0 });
    }
    for (const r of rates?.results || []) M.addRate(state, r.system, Date.parse(r.time) / 1000, r.decode_rate);
    const calls = recent.map(M.recentCall).sort((a, b) => a.startMs - b.startMs);
    for (const c of calls) if (!state.recent.some((r) => r.id === c.id)) M.upsertRecent(state, c);
    state.recent.sort((a, b) => (b.startMs ?? Infinity) - (a.startMs ?? Infinity)); // live ones too
    if (!state.units.length) { // live events since the connection opened win over a backfill
      const log = units.sort((a, b) => a.id - b.id).slice(-M.CAPS.units);
      for (const u of log) M.addUnitEvent(state, M.unitEvent(u, at));
    }
    systemsList.replaceChildren(...(systems?.results || []).map((s) => el('option', { value: s.short_name })));
    mark('active', 'recent', 'recorders', 'rates', 'units');
  }

  function applyFilters(next) {
    if (subscribed) for (const m of F.changeMessages(subscribed, next)) stream.send(m);
    if (subscribed) subscribed = next;
    filters = next;
    state = M.emptyState();
    newUnits = 0;
    mark('active', 'recent', 'recorders', 'rates', 'units');
    load();
  }

  function submit() {
    const next = F.parseFilters({ system: systemInput.value, talkgroup: tgInput.value });
    if (next.error) {
      filterError.textContent = next.error;
      tgInput.focus();
      return;
    }
    ctx.go('radio', F.filterParams(next));
  }

  const ticker = setInterval(() => ctx.frame(tickElapsed), 1000);
  const detail = callDetail(detailBox, ctx, () => ctx.go('radio', F.filterParams(filters)));

  return {
    route(params = {}) {
      const next = F.parseFilters(params);
      filterError.textContent = next.error;
      systemInput.value = next.system;
      tgInput.value = next.talkgroups.join(',');
      if (!F.sameFilters(next, filters)) applyFilters(next);
      detail.show(params.id || null);
    },
    unmount() {
      clearInterval(ticker);
      stream.close();
      chart.destroy();
      player.pause();
      detail.close();
    },
  };
}
