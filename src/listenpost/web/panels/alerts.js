// Alerts: the live list (/api/v1/ws/alerts) with acknowledge and resolve, and an editor for
// alert rules and targets (JSON, as the API takes it; a 422 names the field). Acknowledging,
// resolving and editing need an admin key: the server's 403 is shown next to the control.
import { time } from '../lib/format.js';

export const title = 'Alerts';
const CAP = 200;
const NEW_RULE = { name: 'Scream at the entrance', source: 'sound',
  match: { label_ids: ['scream_female'], min_confidence: 0.8 }, cooldown_seconds: 300,
  target_ids: [] };
const NEW_TARGET = { name: 'ops phone', kind: 'apprise', url: 'ntfys://ntfy.sh/your-topic' };

export function mount(root, ctx) {
  const { el } = ctx;
  const list = el('ol', { class: 'alerts', id: 'alert-list' });
  const count = el('span', { class: 'muted', id: 'alert-count' });
  const filter = el('select', { id: 'alert-state', 'aria-label': 'State',
    onchange: () => { items.clear(); list.replaceChildren(); reload(); } },
  ['open', 'new', 'acknowledged', 'resolved', 'all'].map((s) => el('option', { value: s }, s)));
  const items = new Map(); // id -> li
  let pending = [];
  let opened = false;

  function shown(a) {
    const want = filter.value;
    return want === 'all' || (want === 'open' ? a.state !== 'resolved' : a.state === want);
  }

  function describe(a) {
    const e = (a.events || [])[0] || {};
    if (e.kind === 'sound') return `${e.label_id} · mic ${e.mic_id} · ${Math.round(e.confidence * 100)} %`;
    if (e.kind === 'radio') return `${e.event} · ${e.system} · talkgroup ${e.talkgroup}`
      + (e.unit ? ` · unit ${e.unit}` : '') + (e.emergency ? ' · EMERGENCY' : '');
    if (e.kind === 'composite') return `composite ${e.composite_id}`;
    if (e.since) return `${e.kind} silent since ${time(e.since)}`;
    return '';
  }

  function item(a) {
    const note = el('span', { class: 'field-error', role: 'alert' });
    const act = (action) => async () => {
      note.textContent = '';
      try {
        apply(await ctx.api(`/api/v1/alerts/${encodeURIComponent(a.id)}/${action}`,
          { method: 'POST' }));
      } catch (err) { note.textContent = err.message; }
    };
    const who = a.state === 'resolved' ? `resolved by ${a.resolved_by}`
      : a.state === 'acknowledged' ? `acknowledged by ${a.acknowledged_by}` : '';
    return el('li', { class: `card alert state-${a.state}`,
      dataset: { id: a.id, state: a.state, rule: a.rule_id } },
    el('div', { class: 'row' },
      el('time', { datetime: a.created_at || '' }, time(a.created_at)),
      el('strong', { class: 'rule' }, a.rule?.name || a.rule_id),
      el('span', { class: 'badge state' }, a.state),
      a.repeat_count ? el('span', { class: 'repeats', title: 'folded by the cooldown' },
        `+${a.repeat_count}`) : null,
      el('span', { class: 'group' }, a.group_key ? el('code', {}, a.group_key) : a.source),
      el('span', { class: 'actions' },
        a.state === 'new' ? el('button', { type: 'button', class: 'ack', onclick: act('ack') },
          'Acknowledge') : null,
        a.state !== 'resolved' ? el('button', { type: 'button', class: 'resolve',
          onclick: act('resolve') }, 'Resolve') : null)),
    el('div', { class: 'muted' }, describe(a), who ? ` · ${who}` : ''), note);
  }

  function apply(a) {
    const old = items.get(a.id);
    if (!shown(a)) {
      if (old) { old.remove(); items.delete(a.id); }
      return;
    }
    const li = item(a);
    items.set(a.id, li);
    if (old) old.replaceWith(li);
    else list.prepend(li);
  }

  function flush() {
    for (const a of pending.splice(0)) if (a?.id) apply(a);
    while (list.children.length > CAP) {
      items.delete(list.lastElementChild.dataset.id);
      list.lastElementChild.remove();
    }
    count.textContent = `${list.children.length} shown (newest first)`;
  }

  async function reload() {
    const state = ['new', 'acknowledged', 'resolved'].includes(filter.value)
      ? `&state=${filter.value}` : '';
    try {
      const body = await ctx.api(`/api/v1/alerts?size=50${state}`);
      pending = [...(body.results || []).reverse(), ...pending];
      ctx.frame(flush);
    } catch (err) {
      count.textContent = `could not load alerts: ${err.message}`;
    }
  }

  // the editor: one JSON document per rule or target
  const kind = el('select', { id: 'alert-edit-kind', 'aria-label': 'Edit',
    onchange: () => choices() }, [['rule', 'Alert rules'], ['target', 'Targets']]
    .map(([v, t]) => el('option', { value: v }, t)));
  const pick = el('select', { id: 'alert-edit-item', 'aria-label': 'Item',
    onchange: () => open() });
  const text = el('textarea', { id: 'alert-edit-json', rows: 16, spellcheck: 'false',
    'aria-label': 'JSON', 'aria-describedby': 'alert-edit-error' });
  const error = el('p', { class: 'error', id: 'alert-edit-error', role: 'alert' });
  const saved = el('span', { class: 'muted', id: 'alert-edit-status' });
  let loaded = [];
  const path = () => (kind.value === 'rule' ? '/api/v1/alert-rules' : '/api/v1/alert-targets');

  async function choices(select = '') {
    error.textContent = '';
    try { loaded = await ctx.all(path()); } catch (err) { loaded = []; error.textContent = err.message; }
    pick.replaceChildren(el('option', { value: '' }, `New ${kind.value}`),
      ...loaded.map((r) => el('option', { value: r.id }, r.name)));
    pick.value = select;
    open();
  }

  function open() {
    const found = loaded.find((r) => r.id === pick.value);
    let doc = found ? { ...found } : (kind.value === 'rule' ? NEW_RULE : NEW_TARGET);
    if (found) {
      for (const k of ['id', 'created_at', 'updated_at', 'has_secret']) delete doc[k];
    }
    text.value = JSON.stringify(doc, null, 2);
    text.removeAttribute('aria-invalid');
  }

  async function save(ev) {
    ev.preventDefault();
    error.textContent = '';
    saved.textContent = '';
    let body;
    try { body = JSON.parse(text.value); } catch (err) {
      error.textContent = `not JSON: ${err.message}`;
      return;
    }
    try {
      const id = pick.value;
      const out = await ctx.api(id ? `${path()}/${encodeURIComponent(id)}` : path(),
        { method: id ? 'PATCH' : 'POST', body });
      saved.textContent = out.secret ? `saved; its secret (shown once): ${out.secret}` : 'saved';
      await choices(out.id);
    } catch (err) {
      error.textContent = err.message;
      text.setAttribute('aria-invalid', 'true');
    }
  }

  async function remove() {
    if (!pick.value) return;
    try {
      await ctx.api(`${path()}/${encodeURIComponent(pick.value)}`, { method: 'DELETE' });
      saved.textContent = 'deleted';
      await choices();
    } catch (err) { error.textContent = err.message; }
  }

  root.append(el('div', { class: 'split alerts-panel' },
    el('div', {}, el('div', { class: 'toolbar' }, el('h2', {}, 'Alerts'), filter, count),
      el('div', { class: 'scroll' }, list)),
    el('form', { class: 'card alert-editor', id: 'alert-editor', onsubmit: save },
      el('h2', {}, 'Rules and targets'),
      el('div', { class: 'toolbar' }, kind, pick),
      text, error,
      el('div', { class: 'toolbar' },
        el('button', { type: 'submit', id: 'alert-edit-save' }, 'Save'),
        el('button', { type: 'button', class: 'danger', id: 'alert-edit-delete',
          onclick: remove }, 'Delete'), saved),
      el('small', { class: 'muted' }, 'Fields: docs/alerts.md (the server names a bad one).'))));

  const live = ctx.stream('/api/v1/ws/alerts', {
    name: 'alerts',
    onMessage(a) { pending.push(a); ctx.frame(flush); },
    onOpen() { if (opened) reload(); opened = true; },
  });
  reload();
  return { route() { if (!pick.childElementCount) choices(); }, unmount() { live.close(); } };
}
