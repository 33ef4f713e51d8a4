// Composite rules: list, create, edit, enable/disable, delete. The form is checked by the
// server only (novalidate): a 422's message names the field (`window_seconds: …`) and is
// shown next to that field.
import { dateTime } from '../lib/format.js';

export const title = 'Rules';
const FIELDS = ['id', 'name', 'description', 'window_seconds', 'min_events', 'group_by',
  'include_label_ids', 'include_mic_ids', 'enabled'];

export function mount(root, ctx) {
  const { el } = ctx;
  const tbody = el('tbody', { id: 'rule-rows' });
  const status = el('span', { class: 'muted', id: 'rules-status' });
  const formError = el('p', { class: 'error', id: 'rule-form-error', role: 'alert' });
  const inputs = {};
  const errors = {};
  let editing = null; // rule id being edited, or null for a new rule

  function row(name, label, input, hint) {
    inputs[name] = input;
    errors[name] = el('span', { class: 'field-error', id: `rule-${name}-error`, role: 'alert' });
    input.setAttribute('aria-describedby', errors[name].id);
    return el('div', { class: 'form-row', dataset: { field: name } },
      el('label', { for: input.id }, label), input, hint ? el('small', { class: 'muted' }, hint) : null,
      errors[name]);
  }
  const text = (name, attrs = {}) => el('input', { id: `rule-${name}`, name, ...attrs });
  const heading = el('h2', {}, 'New rule');
  const submit = el('button', { type: 'submit', id: 'rule-submit' }, 'Create rule');
  const form = el('form', { class: 'card rule-form', id: 'rule-form', novalidate: true,
    onsubmit: save },
  heading,
  row('id', 'Id (optional)', text('id', { placeholder: 'generated' })),
  row('name', 'Name', text('name')),
  row('description', 'Description', text('description')),
  row('window_seconds', 'Window (seconds)', text('window_seconds', { type: 'number', step: 'any' })),
  row('min_events', 'Min events', text('min_events', { type: 'number', step: 1 })),
  row('group_by', 'Group by', text('group_by', { value: 'label_id' }), 'label_id, mic_id, edge_id'),
  row('include_label_ids', 'Labels', text('include_label_ids', { placeholder: 'all' }),
    'comma-separated label ids; empty: all'),
  row('include_mic_ids', 'Mics', text('include_mic_ids', { placeholder: 'all' }),
    'comma-separated mic ids; empty: all'),
  row('enabled', 'Enabled', el('input', { type: 'checkbox', id: 'rule-enabled', name: 'enabled',
    checked: true })),
  formError,
  el('div', { class: 'toolbar' }, submit,
    el('button', { type: 'button', onclick: () => reset() }, 'Clear')));
  root.append(el('div', { class: 'split rules' },
    el('div', {}, el('div', { class: 'toolbar' }, el('h2', {}, 'Composite rules'), status),
      el('div', { class: 'scroll' }, el('table', { id: 'rule-table' },
        el('thead', {}, el('tr', {}, ['Name', 'Window', 'Min', 'Group by', 'Labels', 'Mics',
          'Updated', ''].map((h) => el('th', { scope: 'col' }, h)))), tbody))),
    form));

  function clearErrors() {
    for (const e of Object.values(errors)) e.textContent = '';
    for (const i of Object.values(inputs)) i.removeAttribute('aria-invalid');
    formError.textContent = '';
  }

  function reset(rule = null) {
    editing = rule?.id || null;
    clearErrors();
    heading.textContent = rule ? `Edit rule ${rule.name}` : 'New rule';
    submit.textContent = rule ? 'Save rule' : 'Create rule';
    inputs.id.disabled = Boolean(rule);
    for (const name of FIELDS) {
      const v = rule ? rule[name] : { group_by: 'label_id', enabled: true }[name];
      if (name === 'enabled') inputs.enabled.checked = v !== false;
      else inputs[name].value = Array.isArray(v) ? v.join(', ') : (v ?? '');
    }
  }

  function list(value) {
    const items = value.split(',').map((s) => s.trim()).filter(Boolean);
    return items.length ? items : null;
  }

  function body() {
    const num = (v) => (v.trim() === '' ? undefined : Number(v));
    const out = {
      name: inputs.name.value, description: inputs.description.value || null,
      window_seconds: num(inputs.window_seconds.value), min_events: num(inputs.min_events.value),
      group_by: inputs.group_by.value.trim() || 'label_id',
      include_label_ids: list(inputs.include_label_ids.value),
      include_mic_ids: list(inputs.include_mic_ids.value), enabled: inputs.enabled.checked,
    };
    if (!editing && inputs.id.value.trim()) out.id = inputs.id.value.trim();
    return out;
  }

  function showError(err) {
    const message = err.message || String(err);
    let placed = false;
    for (const part of message.split('; ')) {
      const m = /^(?:body\.)?([a-z_]+)[.[:\s]/.exec(part);
      const name = m && errors[m[1]] ? m[1] : (err.status === 409 ? 'id' : null);
      if (name) {
        errors[name].textContent = part;
        inputs[name].setAttribute('aria-invalid', 'true');
        if (!placed) inputs[name].focus();
        placed = true;
      }
    }
    if (!placed) formError.textContent = message;
  }

  async function save(ev) {
    ev.preventDefault();
    clearErrors();
    try {
      if (editing) {
        await ctx.api(`/api/v1/composite-rules/${encodeURIComponent(editing)}`,
          { method: 'PATCH', body: body() });
      } else {
        await ctx.api('/api/v1/composite-rules', { method: 'POST', body: body() });
      }
      status.textContent = editing ? 'saved' : 'created';
      reset();
      load();
    } catch (err) {
      showError(err);
    }
  }

  async function act(rule, method, payload, done) {
    try {
      await ctx.api(`/api/v1/composite-rules/${encodeURIComponent(rule.id)}`,
        { method, body: payload });
      status.textContent = done;
      load();
    } catch (err) {
      status.textContent = err.message;
    }
  }

  function ruleRow(rule) {
    const del = el('button', { type: 'button', class: 'danger', onclick: () => {
      if (del.dataset.armed) act(rule, 'DELETE', undefined, `deleted ${rule.name}`);
      else { del.dataset.armed = '1'; del.textContent = 'Confirm delete'; }
    } }, 'Delete');
    const both = (v) => {
      if (!v || !v.length) return 'all';
      const shown = v.slice(0, 2).join(', ');
      return v.length > 2 ? el('span', { title: v.join(', ') }, `${shown} +${v.length - 2}`) : shown;
    };
    return el('tr', { dataset: { rule: rule.id, enabled: String(rule.enabled) } },
      el('td', {}, el('strong', {}, rule.name), rule.description
        ? el('div', { class: 'muted' }, rule.description) : null),
      el('td', { class: 'num' }, `${rule.window_seconds} s`),
      el('td', { class: 'num' }, rule.min_events), el('td', {}, rule.group_by),
      el('td', {}, both(rule.include_label_ids)), el('td', {}, both(rule.include_mic_ids)),
      el('td', {}, dateTime(rule.updated_at)),
      el('td', { class: 'actions' },
        el('button', { type: 'button', class: 'toggle', 'aria-pressed': String(rule.enabled),
          onclick: () => act(rule, 'PATCH', { enabled: !rule.enabled },
            `${rule.enabled ? 'disabled' : 'enabled'} ${rule.name}`) },
        rule.enabled ? 'Disable' : 'Enable'),
        el('button', { type: 'button', class: 'edit', onclick: () => {
          reset(rule); inputs.name.focus();
        } }, 'Edit'),
        del));
  }

  async function load() {
    try {
      const rules = await ctx.all('/api/v1/composite-rules');
      tbody.replaceChildren(...rules.map(ruleRow));
      if (!rules.length) tbody.append(el('tr', {}, el('td', { colspan: 8, class: 'muted' },
        'No rules yet: create one with the form.')));
    } catch (err) {
      status.textContent = `could not load rules: ${err.message}`;
    }
  }

  return { route() { load(); } }; // loaded when shown, fresh each time
}
