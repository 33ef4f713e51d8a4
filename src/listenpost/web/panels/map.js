// Map of mics at their latitude/longitude (Leaflet, vendored). Markers pulse on each event and
// are coloured by activity in the last 5 minutes. With no tile URL (LISTENPOST_MAP_TILES) the
// base is a plain graticule with a scale bar, so nothing is fetched from anywhere.

export const title = 'Map';
const LEAFLET = '/ui/vendor/leaflet-1.9.4/';
const WINDOW_MS = 5 * 60 * 1000;
const LEVELS = [[20, 'busy', '#cf222e'], [5, 'active', '#d4a72c'], [1, 'recent', '#2da44e'],
  [0, 'quiet', '#8c959f']];
const STEPS = [60, 30, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002];

export function mount(root, ctx) {
  const { el } = ctx;
  const box = el('div', { class: 'map', id: 'mic-map', role: 'application',
    'aria-label': 'Map of microphones' });
  const side = el('ul', { class: 'mic-list', id: 'map-mics', 'aria-label': 'Microphones' });
  const missing = el('p', { class: 'muted', id: 'map-missing' });
  root.append(el('div', { class: 'map-wrap' }, box,
    el('div', { class: 'map-side' }, legend(el), side, missing)));
  if (!document.querySelector(`link[href="${LEAFLET}leaflet.css"]`)) {
    document.head.append(el('link', { rel: 'stylesheet', href: LEAFLET + 'leaflet.css' }));
  }
  const markers = new Map(); // mic id -> {marker, mic, hits: number[], item}
  const pulsing = new Set();
  let L = null;
  let map = null;
  let grid = null;
  let fitted = false;
  let seeded = false;

  const ready = Promise.all([import(LEAFLET + 'leaflet-src.esm.js'), ctx.api('/ui/config.json')])
    .then(([leaflet, config]) => {
      L = leaflet;
      map = L.map(box, { attributionControl: Boolean(config.map_tiles), worldCopyJump: true });
      if (config.map_tiles) {
        L.tileLayer(config.map_tiles, { maxZoom: 19 }).addTo(map);
      } else {
        box.classList.add('plain');
        grid = L.layerGroup().addTo(map);
        map.on('moveend zoomend', drawGrid);
      }
      L.control.scale({ imperial: false }).addTo(map);
      map.setView([20, 0], 2);
    });

  function drawGrid() {
    grid.clearLayers();
    const b = map.getBounds();
    const span = Math.max(b.getEast() - b.getWest(), b.getNorth() - b.getSouth());
    const step = [...STEPS].reverse().find((s) => span / s <= 12) || STEPS[0];
    const style = { color: '#8c959f', weight: 0.6, opacity: 0.6, interactive: false };
    const south = Math.max(-85, b.getSouth()), north = Math.min(85, b.getNorth());
    for (let x = Math.ceil(b.getWest() / step) * step; x <= b.getEast(); x += step) {
      L.polyline([[south, x], [north, x]], style).addTo(grid);
    }
    for (let y = Math.ceil(south / step) * step; y <= north; y += step) {
      L.polyline([[y, b.getWest()], [y, b.getEast()]], style).addTo(grid);
    }
  }

  function position(mic) {
    const lat = Number(mic.location?.latitude), lon = Number(mic.location?.longitude);
    return Number.isFinite(lat) && Number.isFinite(lon) ? [lat, lon] : null;
  }

  function place(mic) {
    const at = position(mic);
    if (!at) return false;
    const known = markers.get(mic.id);
    if (known) {
      known.marker.setLatLng(at);
      known.mic = { ...known.mic, ...mic };
      return true;
    }
    const marker = L.circleMarker(at, { radius: 9, weight: 2, fillOpacity: 0.85,
      color: '#fff', fillColor: LEVELS[3][2] }).addTo(map);
    marker.bindTooltip(mic.name || mic.id, { permanent: true, direction: 'right', offset: [10, 0] });
    marker.getElement()?.setAttribute('data-mic', mic.id);
    const item = el('li', { dataset: { mic: mic.id } }, el('button', { type: 'button',
      onclick: () => { map.setView(at, Math.max(map.getZoom(), 15)); marker.openTooltip(); } },
    mic.name || mic.id), el('span', { class: 'muted level' }, 'quiet'));
    side.append(item);
    markers.set(mic.id, { marker, mic, hits: [], item });
    return true;
  }

  async function recent() {
    // Activity before the page opened: events of the last 5 minutes, oldest first.
    const since = new Date(Date.now() - WINDOW_MS).toISOString();
    const events = await ctx.all(`/api/v1/events?start=${encodeURIComponent(since)}`, 2000);
    for (const ev of events.reverse()) {
      const m = markers.get(ev.mic?.id);
      if (m) m.hits.push(Date.parse(ev.created_at) || Date.now());
    }
    ctx.frame(() => recolour());
  }

  async function refresh() {
    const mics = await ctx.all('/api/v1/mics');
    await ready;
    const placed = mics.filter(place);
    if (!seeded) { seeded = true; await recent(); }
    const off = mics.length - placed.length;
    missing.textContent = off ? `${off} mic(s) have no location.` : '';
    if (!fitted && placed.length && box.offsetWidth) { // a hidden map has no size to fit
      fitted = true;
      const bounds = L.latLngBounds(placed.map(position));
      map.fitBounds(bounds.pad(0.2), { maxZoom: 16 });
    }
  }

  function level(count) {
    return LEVELS.find(([min]) => count >= min);
  }

  function recolour(now = Date.now()) {
    for (const m of markers.values()) {
      while (m.hits.length && m.hits[0] < now - WINDOW_MS) m.hits.shift();
      const [, name, colour] = level(m.hits.length);
      if (m.level !== name) {
        m.level = name;
        m.marker.setStyle({ fillColor: colour });
        m.item.lastChild.textContent = `${name} (${m.hits.length} in 5 min)`;
      } else if (name !== 'quiet') {
        m.item.lastChild.textContent = `${name} (${m.hits.length} in 5 min)`;
      }
    }
  }

  function flush() {
    if (!map) return;
    if (root.hidden) { pulsing.clear(); return; } // counted in hits; coloured when shown
    for (const id of pulsing) {
      const path = markers.get(id)?.marker.getElement();
      path?.animate?.([{ strokeWidth: 2, strokeOpacity: 1 }, { strokeWidth: 18, strokeOpacity: 0 }],
        { duration: 700, easing: 'ease-out' });
      path?.setAttribute('data-pulses', String(Number(path.getAttribute('data-pulses') || 0) + 1));
    }
    pulsing.clear();
    recolour();
  }

  const live = ctx.stream('/api/v1/ws', {
    name: 'sound',
    onMessage(ev) {
      const id = ev.mic?.id;
      if (!id || !map) return;
      if (!markers.has(id) && !place({ id, name: ev.mic.name, location: ev.mic.location })) return;
      markers.get(id).hits.push(Date.now());
      pulsing.add(id);
      ctx.frame(flush);
    },
  });
  const timer = setInterval(() => { if (!root.hidden) ctx.frame(() => recolour()); }, 5000);
  refresh().catch((err) => { missing.textContent = `could not load mics: ${err.message}`; });

  return {
    route() {
      ready.then(() => {
        map.invalidateSize();
        recolour();
        refresh().catch(() => {});
      });
    },
    unmount() { live.close(); clearInterval(timer); map?.remove(); },
  };
}

function legend(el) {
  return el('ul', { class: 'legend', 'aria-label': 'Activity in the last 5 minutes' },
    LEVELS.map(([min, name, colour]) => el('li', {},
      el('span', { class: 'dot', style: `background:${colour}` }), `${name} (≥${min})`)));
}
