// Mics: status and per-label thresholds, edited in place. A confidence change is sent in the
// bare-number form (`{"thresholds": {"<label>": 0.7}}`), a sound level in the object form
// (`{"thresholds": {"<label>": {"sound_level_ge": 65}}}`); clearing a field sends null.
import { dateTime, labelName } from '../lib/format.js';

export const title = 'Mics';

export function mount(root, ctx) {
  const { el } = ctx;
  const tbody = el('tbody', { id: 'mic-rows' });
  const status = el('span', { class: 'muted', id: 'mics-status' });
  root.append(
    el('div', { class: 'toolbar' }, el('h2', {}, 'Microphones'),
      el('button', { type: 'button', onclick: () => load() }, 'Reload'), status),
    el('div', { class: 'scroll' }, el('table', { id: 'mic-table' },
      el('thead', {}, el('tr', {}, ['Name', 'Id', 'Status', 'Connected', 'Edge', 'Location',
        'Reported', 'Thresholds'].map((h) => el('th', { scope: 'col' }, h)))),
      tbody)));
  let labels = [];
  const open = new Set(); // mic ids whose threshold editor is expanded

  async function load() {
    status.textContent = 'loading…';
    try {
      const [lab, mics] = await Promise.all([
        labels.length ? null : ctx.api('/api/v1/labels'), ctx.all('/api/v1/mics')]);
      if (lab) labels = lab.data || [];
      tbody.replaceChildren(...mics.flatMap(rows));
      status.textContent = `${mics.length} mics`;
    } catch (err) {
      status.textContent = `could not load mics: ${err.message}`;
    }
  }

  async function patch(micId, body, note) {
    note.textContent = 'saving…';
    note.className = 'field-note muted';
    try {
      const res = await ctx.api(`/api/v1/mics/${encodeURIComponent(micId)}`,
        { method: 'PATCH', body });
      note.textContent = 'saved';
      note.className = 'field-note ok';
      return res.data || res;
    } catch (err) {
      note.textContent = err.message;
      note.className = 'field-note error';
      return null;
    }
  }

  function rows(mic) {
    const note = el('span', { class: 'field-note', role: 'status' });
    const statusSel = el('select', { 'aria-label': `status of ${mic.name}`, name: 'status',
      onchange: () => patch(mic.id, { status: statusSel.value }, note) },
    ['active', 'inactive'].map((s) => el('option', { value: s }, s)));
    statusSel.value = mic.status;
    const editor = el('tr', { class: 'thresholds', hidden: !open.has(mic.id),
      dataset: { mic: mic.id } }, el('td', { colspan: 8 }, thresholdTable(mic)));
    const count = Object.keys(mic.thresholds || {}).length;
    const toggle = el('button', { type: 'button', 'aria-expanded': String(open.has(mic.id)),
      onclick: () => {
        const show = editor.hidden;
        editor.hidden = !show;
        toggle.setAttribute('aria-expanded', String(show));
        if (show) open.add(mic.id); else open.delete(mic.id);
      } }, `Edit (${count} set)`);
    const loc = mic.location ? `${mic.location.latitude}, ${mic.location.longitude}` : '';
    return [el('tr', { dataset: { mic: mic.id } },
      el('td', {}, mic.name), el('td', {}, el('code', {}, mic.id)),
      el('td', {}, statusSel, ' ', note), el('td', {}, mic.connected ? 'yes' : 'no'),
      el('td', {}, mic.edge_id || ''), el('td', {}, loc), el('td', {}, dateTime(mic.reported_at)),
      el('td', {}, toggle)), editor];
  }

  function thresholdTable(mic) {
    const lang = ctx.store.get('lang', 'en');
    return el('table', { class: 'threshold-table' },
      el('thead', {}, el('tr', {}, ['Label', 'Confidence ≥ (0–1)', 'Sound level ≥ (dB)']
        .map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, labels.map((label) => {
        const t = mic.thresholds?.[label.id] || {};
        return el('tr', { dataset: { label: label.id } },
          el('th', { scope: 'row' }, labelName(label, lang)),
          el('td', {}, field(mic, label, 'confidence', t.confidence, 0, 1, 0.01)),
          el('td', {}, field(mic, label, 'sound_level_ge', t.sound_level_ge, 0, 200, 1)));
      })));
  }

  function field(mic, label, name, value, min, max, step) {
    const note = el('span', { class: 'field-note', role: 'status' });
    const input = el('input', { type: 'number', name, min, max, step, inputmode: 'decimal',
      value: value ?? '', 'aria-label': `${name} threshold for ${label.id} on ${mic.name}`,
      onchange: async () => {
        const raw = input.value.trim();
        const number = raw === '' ? null : Number(raw);
        // confidence: the bare-number form; sound level (or clearing): the object form
        const entry = name === 'confidence' && number !== null ? number : { [name]: number };
        const after = await patch(mic.id, { thresholds: { [label.id]: entry } }, note);
        if (after) mic.thresholds = after.thresholds;
      } });
    return [input, ' ', note];
  }

  return { route() { load(); } }; // loaded when shown, fresh each time
}
