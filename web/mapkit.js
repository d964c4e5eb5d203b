// Map pieces shared by the pages: the citizen basemap (tiles when the operator allows them and
// the user wants them, the city's districts otherwise), the service-area outline, the status
// group symbols, and the plainer map of the staff and crew pages. Leaflet is loaded as a
// classic script before the modules.

import { t, pick } from './i18n.js';
import { svg } from './dom.js';

const L = window.L;
const TILES_KEY = 'meldpunt.tiles';

/**
 * The symbol of a status group, drawn in a 40x40 box: open = circle, in progress = diamond
 * with a stripe, fixed = square with a check mark, not responsible = triangle with a bar.
 * Colours come from app.css (classes sym-open etc.), picked from the Okabe-Ito palette.
 */
export function statusSymbol(group, size, count) {
  const root = svg('svg', { viewBox: '0 0 40 40', width: size, height: size, 'aria-hidden': 'true', focusable: 'false' });
  root.classList.add('sym', `sym-${group}`);
  let shape;
  if (group === 'in_progress') {
    shape = svg('path', { d: 'M20 2 L38 20 L20 38 L2 20 Z' });
  } else if (group === 'fixed') {
    shape = svg('rect', { x: 4, y: 4, width: 32, height: 32, rx: 4 });
  } else if (group === 'not_responsible') {
    shape = svg('path', { d: 'M20 3 L38 36 L2 36 Z' });
  } else {
    shape = svg('circle', { cx: 20, cy: 20, r: 17 });
  }
  shape.classList.add('sym-shape');
  root.append(shape);
  if (count > 1) {
    const text = svg('text', { x: 20, y: group === 'not_responsible' ? 30 : 21, 'text-anchor': 'middle', 'dominant-baseline': 'central' });
    text.classList.add('sym-count');
    text.textContent = count > 99 ? '99+' : String(count);
    root.append(text);
  } else if (group === 'fixed') {
    const check = svg('path', { d: 'M11 21 L17 27 L29 13' });
    check.classList.add('sym-mark');
    root.append(check);
  } else if (group === 'in_progress') {
    const bar = svg('path', { d: 'M11 20 L29 20' });
    bar.classList.add('sym-mark');
    root.append(bar);
  } else if (group === 'not_responsible') {
    const bar = svg('path', { d: 'M12 28 L28 28' });
    bar.classList.add('sym-mark');
    root.append(bar);
  } else {
    const dot = svg('circle', { cx: 20, cy: 20, r: 4 });
    dot.classList.add('sym-dot');
    root.append(dot);
  }
  return root;
}

/** Symbol size in pixels for a cluster of `count` reports: grows with the logarithm, capped. */
export function symbolSize(count) {
  return Math.round(Math.min(52, 24 + 7 * Math.log2(Math.max(1, count))));
}

export function tilesAllowed(config) {
  return Boolean(config.tiles && config.tiles.url);
}

function tilesWanted() {
  try {
    return localStorage.getItem(TILES_KEY) !== 'off';
  } catch {
    return true;
  }
}

/**
 * Creates a Leaflet map in `el` with the basemap of `config`. Returns a small controller:
 * { map, setTiles(on), tilesOn(), districtAt(latlng), districts, ready } where `ready`
 * resolves once the districts and service area are drawn.
 */
export function createMap(el, config, options = {}) {
  const { districts: districtsPromise, serviceArea, interactiveDistricts = true, ...mapOptions } = options;
  const bounds = L.latLngBounds(
    [config.city.bbox[1], config.city.bbox[0]],
    [config.city.bbox[3], config.city.bbox[2]],
  );
  const maxZoom = (config.tiles && config.tiles.max_zoom) || 19;
  const map = L.map(el, {
    center: [config.city.center[1], config.city.center[0]],
    zoom: config.city.zoom,
    minZoom: 9,
    maxZoom,
    maxBounds: bounds.pad(0.5),
    keyboard: true,
    zoomControl: true,
    ...mapOptions,
  });
  map.attributionControl.setPrefix(false);

  const districtPane = map.createPane('districts');
  districtPane.classList.add('pane-districts');
  const tileLayer = tilesAllowed(config)
    ? L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution || '', maxZoom })
    : null;

  let on = false;
  let districtLayer = null;
  let districtFeatures = [];
  let areaFeatures = null; // the service area's features once loaded

  function setTiles(wanted) {
    on = Boolean(wanted && tileLayer);
    if (tileLayer) {
      if (on) tileLayer.addTo(map);
      else tileLayer.remove();
    }
    el.classList.toggle('tiles-off', !on);
    el.classList.toggle('tiles-on', on);
    try {
      if (tileLayer) localStorage.setItem(TILES_KEY, wanted ? 'on' : 'off');
    } catch {
      // not persisted
    }
  }

  // Colours live in app.css: .tiles-off/.tiles-on on the map element switch the districts
  // between a light basemap and thin outlines over the tiles.
  const districtStyle = { pane: 'districts', className: 'district', weight: 1, fill: true };

  const ready = Promise.all([districtsPromise, serviceArea]).then(([districts, area]) => {
    if (districts && districts.features) {
      districtFeatures = districts.features;
      districtLayer = L.geoJSON(districts, {
        style: districtStyle,
        interactive: interactiveDistricts,
        onEachFeature: (feature, layer) => {
          // The tooltip makes districts take clicks; hand them on so a tap still places the pin.
          layer.on('click', (e) => map.fire('click', { latlng: e.latlng, originalEvent: e.originalEvent }));
          // Its focus listeners make Chromium put every district shape in the Tab order; the
          // map itself labels the district under its centre for keyboard users (labelAt).
          layer.on('add', () => layer.getElement()?.setAttribute('tabindex', '-1'));
          // Below the pointer: the report pin stands above the point it marks, and a label
          // above the pointer would cover it.
          layer.bindTooltip(() => t('district.label', { name: districtName(feature) }), {
            sticky: true, className: 'district-tooltip', direction: 'bottom', offset: [0, 24],
          });
        },
      }).addTo(map);
    }
    if (area && area.features) {
      areaFeatures = area.features;
      L.geoJSON(area, {
        pane: 'districts',
        interactive: false,
        style: { className: 'service-area', weight: 3, fill: false },
      }).addTo(map);
    }
  });

  setTiles(tileLayer ? tilesWanted() : false);

  let labelled = null;

  /** Shows the label of the district at `latlng` (keyboard focus has no hover); null hides it. */
  function labelAt(latlng) {
    let layer = null;
    if (latlng && districtLayer) {
      districtLayer.eachLayer((l) => {
        if (!layer && containsPoint(l.feature.geometry, latlng.lng, latlng.lat)) layer = l;
      });
    }
    if (labelled && labelled !== layer) labelled.closeTooltip();
    labelled = layer;
    if (layer) layer.openTooltip(latlng);
  }

  return {
    map,
    bounds,
    labelAt,
    setTiles,
    tilesOn: () => on,
    hasTiles: () => Boolean(tileLayer),
    hasDistricts: () => districtFeatures.length > 0,
    districtAt: (latlng) => districtFeatures.find((f) => containsPoint(f.geometry, latlng.lng, latlng.lat)) || null,
    /** Whether latlng lies in the service area; null until the area has loaded. */
    inArea: (latlng) => (areaFeatures
      ? areaFeatures.some((f) => containsPoint(f.geometry, latlng.lng, latlng.lat))
      : null),
    ready,
  };
}

export function districtName(feature) {
  const p = feature.properties || {};
  return pick(p.name, p.code || '');
}

function ringContains(ring, x, y) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function polygonContains(rings, x, y) {
  if (!rings.length || !ringContains(rings[0], x, y)) return false;
  for (let i = 1; i < rings.length; i++) if (ringContains(rings[i], x, y)) return false;
  return true;
}

/** Whether a GeoJSON (Multi)Polygon contains lon x, lat y. */
export function containsPoint(geometry, x, y) {
  if (!geometry) return false;
  if (geometry.type === 'Polygon') return polygonContains(geometry.coordinates, x, y);
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.some((p) => polygonContains(p, x, y));
  return false;
}

/** Binds a visible on/off button to the tiles of a map made by createMap. */
export function bindTilesSwitch(button, note, kit) {
  const render = () => {
    if (!kit.hasTiles()) {
      button.disabled = true;
      button.setAttribute('aria-pressed', 'false');
      button.textContent = t('tiles.off');
      button.title = t('tiles.disabled');
      if (note) {
        note.textContent = t('tiles.disabled');
        note.hidden = false;
      }
      return;
    }
    button.disabled = false;
    button.setAttribute('aria-pressed', String(kit.tilesOn()));
    button.textContent = kit.tilesOn() ? t('tiles.on') : t('tiles.off');
    button.title = t('tiles.label');
    if (note) note.hidden = true;
  };
  button.addEventListener('click', () => {
    kit.setTiles(!kit.tilesOn());
    render();
  });
  return render;
}

/**
 * The plain map of the staff and crew pages on element `el`: tiles when the server has them
 * (else the class no-tiles on `el`), and the districts of `districts` (a promise of GeoJSON,
 * or null) as outlines that take no clicks.
 */
export function deskMap(el, config, { districts = null } = {}) {
  const c = config.city;
  const map = L.map(el, { center: [c.center[1], c.center[0]], zoom: c.zoom, minZoom: 9 });
  map.attributionControl.setPrefix(false);
  if (tilesAllowed(config)) {
    L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution || '', maxZoom: config.tiles.max_zoom || 19 }).addTo(map);
  } else {
    el.classList.add('no-tiles');
  }
  if (districts) {
    districts.then((d) => {
      L.geoJSON(d, { interactive: false, style: { className: 'district', weight: 1 } }).addTo(map);
    }, () => {});
  }
  return map;
}
