// Managed WebSockets: one socket per URL however many panels listen, reconnect with backoff,
// and a shared indicator (one chip per stream) plus a note when a stream was interrupted.
import { url } from './api.js';
import * as auth from './auth.js';
import { el } from './dom.js';

const sockets = new Map(); // key -> Managed
const BACKOFF = [500, 1000, 2000, 4000, 8000, 15000];

class Managed {
  constructor(key, path, params, name) {
    Object.assign(this, { key, path, params, name, subs: new Set(), ws: null, tries: 0 });
    this.state = 'connecting';
    this.chip = el('span', { class: 'chip connecting', role: 'status', dataset: { stream: name } },
      name);
    document.getElementById('streams').append(this.chip);
    this.connect();
  }

  connect() {
    clearTimeout(this.retry);
    if (!auth.token()) { this.show('offline', 'signed out'); return; }
    this.show('connecting', 'connecting…');
    const ws = new WebSocket(url(this.path, this.params));
    this.ws = ws;
    ws.onopen = () => {
      this.tries = 0;
      if (this.lostAt) note(`${this.name} stream was interrupted at ${clock(this.lostAt)}; `
        + `reconnected at ${clock(new Date())}; the lists were reloaded.`);
      this.lostAt = null;
      this.show('live', 'live');
      for (const s of this.subs) s.onOpen?.(this);
    };
    ws.onmessage = (msg) => {
      if (msg.data === '' || msg.data === 'hello') return;
      let obj;
      try { obj = JSON.parse(msg.data); } catch { return; }
      for (const s of this.subs) s.onMessage?.(obj);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws || this.closed) return;
      this.ws = null;
      if (!this.lostAt) this.lostAt = new Date();
      const wait = BACKOFF[Math.min(this.tries++, BACKOFF.length - 1)] * (0.8 + Math.random() * 0.4);
      this.show('interrupted', `interrupted (${ev.code || 'no answer'}); retry in ${Math.round(wait / 1000)} s`);
      const again = () => this.connect();
      this.retry = setTimeout(ev.code === 1008 ? () => auth.renew().finally(again) : again, wait);
    };
  }

  show(state, text) {
    this.state = state;
    this.chip.className = 'chip ' + state;
    this.chip.title = `${this.name}: ${text}`;
    this.chip.dataset.state = state;
  }

  /** Reconnect now with the current token (renewed): the server closes a socket whose token
   * expires (1008), so each stream moves to the fresh token before that, quietly. */
  refresh() {
    if (this.state !== 'live') return;
    const old = this.ws;
    this.ws = null;
    old?.close(1000, 'token renewed');
    this.connect();
  }

  send(obj) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  drop(sub) {
    this.subs.delete(sub);
    if (this.subs.size) return;
    this.closed = true;
    clearTimeout(this.retry);
    this.ws?.close(1000);
    this.chip.remove();
    sockets.delete(this.key);
  }
}

function clock(d) { return d.toLocaleTimeString(); }

/** A visible note under the header until dismissed. */
export function note(text) {
  const box = document.getElementById('notes');
  const item = el('p', { class: 'note' }, text,
    el('button', { type: 'button', 'aria-label': 'dismiss', onclick: () => item.remove() }, '×'));
  box.append(item);
  while (box.children.length > 5) box.firstChild.remove();
}

/** Subscribe to a stream: {send(obj), close()}; onOpen runs on every (re)connection. */
export function stream(path, { onMessage, onOpen, name, params } = {}) {
  const key = path + '?' + new URLSearchParams(params || {}).toString();
  let managed = sockets.get(key);
  if (!managed) {
    managed = new Managed(key, path, params, name || path);
    sockets.set(key, managed);
  }
  const sub = { onMessage, onOpen };
  managed.subs.add(sub);
  if (managed.state === 'live') queueMicrotask(() => onOpen?.(managed));
  return { send: (obj) => managed.send(obj), close: () => managed.drop(sub) };
}

/** After a token renewal or a sign-out: reconnect or stop every stream. */
auth.onChange((tok) => {
  for (const m of sockets.values()) {
    if (!tok) {
      const old = m.ws;
      m.ws = null;
      old?.close(1000);
      m.show('offline', 'signed out');
    } else {
      m.refresh();
    }
  }
});

export function closeAll() {
  for (const m of [...sockets.values()]) { m.subs.clear(); m.drop(null); }
}
