// The URL hash holds the panel and its filters: `#/<panel>?k=v`, `#/<panel>/<id>?k=v`
// (params.id), with aliases for shareable links (`#/events/<id>` → sound, `#/calls/<id>` → radio).
// Tokens never go here.

export const ALIASES = { events: 'sound', calls: 'radio' };
const LINK_NAME = { sound: 'events', radio: 'calls' }; // used when params.id is set

export function parse(hash = location.hash) {
  const raw = hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  const [first = '', ...rest] = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = Object.fromEntries(new URLSearchParams(query));
  if (rest.length) params.id = rest.join('/');
  return { panel: ALIASES[first] || first, params };
}

export function format(panel, params = {}) {
  const { id, ...rest } = params;
  const clean = Object.entries(rest).filter(([, v]) => v !== undefined && v !== null && v !== '');
  const query = new URLSearchParams(clean).toString();
  const name = id ? (LINK_NAME[panel] || panel) + '/' + encodeURIComponent(id) : panel;
  return '#/' + name + (query ? '?' + query : '');
}
