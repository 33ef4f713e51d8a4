// The dashboard shell: login, navigation, hash router, and the context handed to each panel.
// Panels are ES modules under /ui/panels/<name>.js exporting `title` and `mount(root, ctx)`
// (docs/dashboard.md, "Panel interface"). Add a panel by adding its name here.
import { all, api, url } from './lib/api.js';
import * as auth from './lib/auth.js';
import { el, frame, store } from './lib/dom.js';
import { format, parse } from './lib/router.js';
import { closeAll, note, stream } from './lib/streams.js';

const PANELS = [
  'sound',
  'composites',
  'alerts',
  'map',
  'mics',
  'rules',
  'radio',
  'queue',
];

const $ = (id) => document.getElementById(id);
const modules = new Map(); // name -> module
const mounted = new Map(); // name -> {section, handle}
let current = null;

const ctx = {
  api, url, stream, frame, store, el, all, note,
  token: auth.token,
  get params() { return parse().params; },
  go(panel, params = {}) {
    const hash = format(panel, params);
    if (panel === current) {
      history.replaceState(null, '', hash);
      route();
    } else {
      location.hash = hash;
    }
  },
};

async function load() {
  await Promise.all(PANELS.map(async (name) => {
    try {
      modules.set(name, await import(`./panels/${name}.js`));
    } catch (err) {
      console.warn(`panel ${name} failed to load`, err);
    }
  }));
  const nav = $('nav');
  for (const name of PANELS) {
    const mod = modules.get(name);
    if (mod) nav.append(el('a', { href: '#/' + name, dataset: { panel: name } }, mod.title || name));
  }
}

function start() {
  $('login').hidden = true;
  $('main').hidden = false;
  $('logout').hidden = false;
  for (const name of PANELS) {
    const mod = modules.get(name);
    if (!mod || mounted.has(name)) continue;
    const section = el('section', { class: 'panel', id: 'panel-' + name, hidden: true,
      'aria-label': mod.title || name });
    $('main').append(section);
    let handle = {};
    try {
      handle = mod.mount(section, ctx) || {};
    } catch (err) {
      console.warn(`panel ${name} failed to mount`, err);
      section.append(el('p', { class: 'error' }, `This panel failed to start: ${err.message}`));
    }
    mounted.set(name, { section, handle });
  }
  route();
}

function stop(reason) {
  for (const { section, handle } of mounted.values()) {
    try { handle.unmount?.(); } catch (err) { console.warn(err); }
    section.remove();
  }
  mounted.clear();
  closeAll();
  current = null;
  $('main').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = reason || '';
  $('api_key').focus();
}

function route() {
  if (!mounted.size) return;
  let { panel, params } = parse();
  if (!mounted.has(panel)) {
    panel = PANELS.find((n) => mounted.has(n));
    history.replaceState(null, '', format(panel, {}));
    params = {};
  }
  if (panel !== current) {
    for (const [name, { section }] of mounted) section.hidden = name !== panel;
    for (const link of $('nav').children) {
      if (link.dataset.panel === panel) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    current = panel;
    document.title = `listenpost · ${modules.get(panel)?.title || panel}`;
  }
  try {
    mounted.get(panel).handle.route?.(params);
  } catch (err) {
    console.warn(`panel ${panel} route failed`, err);
  }
}

function wireLogin() {
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const field = $('api_key');
    const error = $('login-error');
    error.textContent = '';
    field.removeAttribute('aria-invalid');
    try {
      await auth.login(field.value.trim());
      field.value = '';
      start();
    } catch (err) {
      error.textContent = err.message;
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  });
  $('logout').addEventListener('click', () => auth.logout('Signed out.'));
  auth.onChange((tok, reason) => { if (!tok && mounted.size) stop(reason); });
}

async function boot() {
  wireLogin();
  await load();
  window.addEventListener('hashchange', route);
  if (auth.resume()) start();
  else stop('');
}

boot();
