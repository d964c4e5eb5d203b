// The city's own streets on the citizen map when it has no tiles (no tile server, an intranet,
// an outage): from STREETS_FROM_ZOOM on, the lines of the city pack's street layer
// (GET /api/v1/streets), and from LABELS_FROM_ZOOM on their names along them, so that a pin
// can be placed on the right street. Lines are asked for in fixed cells of CELL degrees: the
// same cell is the same address, so the browser's cache answers an area seen before, and the
// cells seen last are kept here too. A line in two cells is drawn once.

import { getStreets } from './api.js';
import { el } from './dom.js';

const L = window.L;

export const STREETS_FROM_ZOOM = 16;
export const LABELS_FROM_ZOOM = 17;
const CELL = 0.01; // degrees: about 1 km; a phone's view at zoom 16 touches 2 to 4 cells
const KEPT_CELLS = 48;
const LABEL_SPACING_PX = 320; // one name per street in about this much screen

const streets = {
  map: null,
  wanted: () => false, // whether the streets are drawn now (tiles off)
  cells: new Map(), // key -> { features, at } (answers), or { pending: Promise }
  lines: new Map(), // line id -> polyline on the map
  lineLayer: null,
  labelLayer: null,
  generation: 0,
};

/**
 * Draws the street layer on `map` while `wanted()` is true (the page says: tiles are off).
 * Returns { refresh } for the page to call when `wanted()` may have changed.
 */
export function initStreets(map, { wanted }) {
  streets.map = map;
  streets.wanted = wanted;
  map.createPane('streets').classList.add('pane-streets');
  map.createPane('street-labels').classList.add('pane-street-labels');
  streets.lineLayer = L.layerGroup().addTo(map);
  streets.labelLayer = L.layerGroup().addTo(map);
  map.on('moveend', refresh);
  refresh();
  return { refresh };
}

const cellKey = (x, y) => `${x}/${y}`;

/** "minLon,minLat,maxLon,maxLat" of a cell, always spelled the same (one cache entry). */
function cellBbox(x, y) {
  const f = (v) => (v * CELL).toFixed(2);
  return `${f(x)},${f(y)},${f(x + 1)},${f(y + 1)}`;
}

function cellsInView() {
  const b = streets.map.getBounds();
  const out = [];
  for (let x = Math.floor(b.getWest() / CELL); x <= Math.floor(b.getEast() / CELL); x++) {
    for (let y = Math.floor(b.getSouth() / CELL); y <= Math.floor(b.getNorth() / CELL); y++) out.push([x, y]);
  }
  return out;
}

function load(x, y) {
  const key = cellKey(x, y);
  const known = streets.cells.get(key);
  if (known) {
    known.at = Date.now();
    return known.pending || Promise.resolve(known);
  }
  const pending = getStreets(cellBbox(x, y)).then((fc) => {
    const entry = { features: fc.features || [], at: Date.now() };
    streets.cells.set(key, entry);
    forgetOldCells();
    return entry;
  }, () => {
    streets.cells.delete(key); // asked again on the next move
    return { features: [] };
  });
  streets.cells.set(key, { pending, at: Date.now() });
  return pending;
}

function forgetOldCells() {
  if (streets.cells.size <= KEPT_CELLS) return;
  const old = [...streets.cells.entries()].filter(([, c]) => !c.pending).sort((a, b) => a[1].at - b[1].at);
  for (const [key] of old.slice(0, streets.cells.size - KEPT_CELLS)) streets.cells.delete(key);
}

/** Draws what the view needs: the lines of its cells (each once), and names at high zoom. */
export async function refresh() {
  const generation = ++streets.generation;
  const map = streets.map;
  if (!streets.wanted() || map.getZoom() < STREETS_FROM_ZOOM) {
    streets.lineLayer.clearLayers();
    streets.labelLayer.clearLayers();
    streets.lines.clear();
    map.getContainer().classList.remove('has-streets');
    return;
  }
  const entries = await Promise.all(cellsInView().map(([x, y]) => load(x, y)));
  if (generation !== streets.generation) return; // the map moved on meanwhile
  const wanted = new Map();
  for (const entry of entries) for (const f of entry.features) wanted.set(f.id, f);
  for (const [id, line] of streets.lines) {
    if (!wanted.has(id)) {
      streets.lineLayer.removeLayer(line);
      streets.lines.delete(id);
    }
  }
  for (const [id, f] of wanted) {
    if (streets.lines.has(id)) continue;
    const line = L.polyline(f.geometry.coordinates.map(([lon, lat]) => [lat, lon]), {
      pane: 'streets', className: 'street-line', interactive: false, weight: 5,
    });
    line.feature = f;
    streets.lines.set(id, line);
    streets.lineLayer.addLayer(line);
  }
  map.getContainer().classList.toggle('has-streets', streets.lines.size > 0);
  drawLabels();
}

/**
 * One name per street in every LABEL_SPACING_PX of screen, on its longest lines in view,
 * turned along the line (never upside down).
 */
function drawLabels() {
  const map = streets.map;
  streets.labelLayer.clearLayers();
  if (map.getZoom() < LABELS_FROM_ZOOM) return;
  const view = map.getBounds();
  const candidates = [];
  for (const line of streets.lines.values()) {
    const pts = line.getLatLngs();
    const a = map.latLngToLayerPoint(pts[0]);
    const b = map.latLngToLayerPoint(pts[pts.length - 1]);
    const length = a.distanceTo(b);
    const name = line.feature.properties.name || '';
    // A name needs room: about 7 px a letter at this size.
    if (!name || length < name.length * 7) continue;
    const mid = map.layerPointToLatLng(a.add(b).divideBy(2));
    if (!view.contains(mid)) continue;
    candidates.push({ name, mid, at: a.add(b).divideBy(2), length, angle: Math.atan2(b.y - a.y, b.x - a.x) });
  }
  candidates.sort((p, q) => q.length - p.length);
  const placed = [];
  for (const c of candidates) {
    if (placed.some((p) => p.name === c.name && p.at.distanceTo(c.at) < LABEL_SPACING_PX)) continue;
    placed.push(c);
    let deg = (c.angle * 180) / Math.PI;
    if (deg > 90) deg -= 180;
    if (deg < -90) deg += 180;
    const text = el('span', { class: 'street-label-text', text: c.name });
    text.style.transform = `rotate(${deg.toFixed(1)}deg)`;
    L.tooltip({
      pane: 'street-labels', permanent: true, direction: 'center', className: 'street-label', interactive: false,
    }).setLatLng(c.mid).setContent(text).addTo(streets.labelLayer);
  }
}
