// The citizen map page: what is already reported (grid cells when zoomed out, clusters when
// zoomed in), filters, and the report form with its duplicate check.

import {
  getConfig, getCategories, getDistricts, getServiceArea, getClusters, getCluster, getNearby,
  postReport, getPlace,
} from './api.js';
import {
  t, pick, lang, applyTranslations, bindLanguageSwitch, onLangChange, timeAgo, formatDistance,
  formatBytes, formatDateTime, reportCount, statusName, hasKey,
} from './i18n.js';
import {
  createMap, bindTilesSwitch, statusSymbol, statusGroup, symbolSize, districtName, STATUS_GROUPS,
} from './mapkit.js';

const L = window.L;

/** From this zoom level up the map shows single clusters; below it, grid cells with counts. */
const CLUSTERS_FROM_ZOOM = 15;
const CLUSTER_LIMIT = 500;
const REFRESH_DELAY_MS = 250;
const NEARBY_DELAY_MS = 300;
const NEARBY_SHOWN = 5;
const PIN_ZOOM = 17;
const MINE_KEY = 'meldpunt.mine';
const MINE_KEPT = 20;
const DEFAULT_GROUPS = ['open', 'in_progress', 'fixed'];

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

const state = {
  config: null,
  kit: null,
  map: null,
  layer: null,
  categories: [],
  byCode: new Map(),
  groups: new Set(DEFAULT_GROUPS),
  hiddenCategories: new Set(),
  markers: new Map(), // key -> { marker, sig }
  mode: null, // 'grid' | 'clusters'
  refreshTimer: 0,
  refreshAbort: null,
  pin: null,
  nearby: null, // { key, clusters, wouldJoin }
  nearbyPending: null, // { key, promise, abort }
  nearbyTimer: 0,
  dupChoice: null, // { same_as } | { not_same_as: [...] }
  photo: null,
  sending: false,
  openPanel: null,
  opener: null,
  done: null, // the last POST answer while the confirmation is shown
  popupByKeyboard: false,
};

/* ---------- start ---------- */

async function start() {
  applyTranslations(document);
  bindLanguageSwitch($('lang-switch'));
  let config;
  let categories;
  try {
    [config, categories] = await Promise.all([getConfig(), getCategories()]);
  } catch (err) {
    setMapStatus(t('map.error', { message: err.message }), true);
    return;
  }
  state.config = config;
  state.categories = categories.categories || [];
  for (const c of state.categories) state.byCode.set(c.code, c);
  $('city-name').textContent = config.city.name || '';

  const view = viewFromHash();
  const kit = createMap($('map'), config, {
    districts: getDistricts().catch(() => null),
    serviceArea: getServiceArea().catch(() => null),
  });
  state.kit = kit;
  state.map = kit.map;
  if (view) kit.map.setView(view.center, view.zoom, { animate: false });
  window.addEventListener('hashchange', () => {
    const next = viewFromHash();
    if (next) kit.map.setView(next.center, next.zoom, { animate: false });
  });

  const renderTiles = bindTilesSwitch($('tiles-switch'), $('tiles-note'), kit);
  renderTiles();
  onLangChange(() => {
    renderTiles();
    renderAll();
  });

  state.layer = L.layerGroup().addTo(kit.map);
  // Keyboard users have no hover: while the map itself has focus, the district under the
  // crosshair shows its label.
  const container = kit.map.getContainer();
  const labelCentre = () => kit.labelAt(document.activeElement === container ? kit.map.getCenter() : null);
  container.addEventListener('focus', labelCentre);
  container.addEventListener('blur', labelCentre);
  kit.map.on('moveend', () => {
    scheduleRefresh();
    renderCentre();
    writeHash();
    if (document.activeElement === container) labelCentre();
  });
  kit.map.on('click', (e) => onMapClick(e.latlng));
  kit.map.on('popupopen', onPopupOpen);
  kit.map.on('popupclose', () => document.body.classList.remove('has-popup'));
  kit.ready.then(renderCentre);

  bindPanels();
  bindForm();
  renderAll(); // draws the reports too
}

function renderAll() {
  renderFilters();
  renderLegend();
  renderCategorySelect();
  renderCounter();
  renderPhotoHint();
  renderLocation();
  renderDup();
  renderDone();
  renderMine();
  renderCentre();
  if (state.map) {
    state.map.closePopup();
    clearMarkers();
    refresh();
  }
}

/* ---------- the map view in the URL: #zoom/lat/lon ---------- */

function viewFromHash() {
  const m = /^#(\d{1,2})\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(location.hash);
  if (!m) return null;
  const zoom = Number(m[1]);
  const lat = Number(m[2]);
  const lon = Number(m[3]);
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return { zoom, center: [lat, lon] };
}

function writeHash() {
  const c = state.map.getCenter();
  const hash = `#${state.map.getZoom()}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`;
  history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
}

/* ---------- what is already reported ---------- */

function setMapStatus(text, isError = false) {
  const p = $('map-status');
  p.textContent = text;
  p.classList.toggle('is-error', isError);
}

function selectedStatuses() {
  return [...state.groups].flatMap((g) => STATUS_GROUPS[g]);
}

function selectedCategories() {
  return state.categories.map((c) => c.code).filter((c) => !state.hiddenCategories.has(c));
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(refresh, REFRESH_DELAY_MS);
}

function clearMarkers() {
  state.layer.clearLayers();
  state.markers.clear();
  state.mode = null;
}

async function refresh() {
  clearTimeout(state.refreshTimer);
  if (state.refreshAbort) state.refreshAbort.abort();
  const map = state.map;
  const categories = selectedCategories();
  const statuses = selectedStatuses();
  if (!categories.length || !statuses.length) {
    state.refreshAbort = null;
    clearMarkers();
    setMapStatus(t('map.loaded_none'));
    return;
  }
  const ctrl = new AbortController();
  state.refreshAbort = ctrl;
  const zoom = map.getZoom();
  const grid = zoom < CLUSTERS_FROM_ZOOM;
  const b = map.getBounds();
  const bbox = [
    Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()),
    Math.min(180, b.getEast()), Math.min(90, b.getNorth()),
  ];
  let data;
  try {
    data = await getClusters({
      bbox,
      zoom,
      grid,
      limit: CLUSTER_LIMIT,
      categories: state.hiddenCategories.size ? categories : undefined,
      statuses,
      signal: ctrl.signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') return;
    setMapStatus(t('map.error', { message: err.message }), true);
    return;
  }
  if (state.refreshAbort !== ctrl) return;
  state.refreshAbort = null;
  const features = (data && data.features) || [];
  drawFeatures(features, grid ? 'grid' : 'clusters');
  if (!features.length) {
    setMapStatus(t('map.loaded_none'));
  } else if (grid) {
    const count = features.reduce((n, f) => n + (f.properties.reports ?? f.properties.count ?? 0), 0);
    setMapStatus(t('map.loaded_grid', { count, cells: features.length }));
  } else {
    const text = features.length === 1 ? t('map.loaded_clusters_one') : t('map.loaded_clusters', { count: features.length });
    const more = Boolean(data.next_cursor) || features.length >= CLUSTER_LIMIT;
    setMapStatus(more ? `${text} ${t('map.too_many', { count: features.length })}` : text);
  }
}

/**
 * Updates the markers in place: a marker whose cluster did not change is kept, so an open
 * popup survives the refresh that its own auto-pan triggers.
 */
function drawFeatures(features, mode) {
  if (state.mode !== mode) clearMarkers();
  state.mode = mode;
  const seen = new Set();
  for (const f of features) {
    if (!f.geometry || f.geometry.type !== 'Point') continue;
    const p = f.properties || {};
    const key = mode === 'grid' ? `g:${(p.cell || f.geometry.coordinates).join(',')}` : `c:${p.id ?? f.id}`;
    const sig = mode === 'grid'
      ? `${p.count}/${p.reports}/${f.geometry.coordinates.join(',')}`
      : `${p.status}/${p.report_count}/${p.last_at}/${f.geometry.coordinates.join(',')}`;
    seen.add(key);
    const old = state.markers.get(key);
    if (old && old.sig === sig) continue;
    if (old) {
      const wasOpen = old.marker.isPopupOpen && old.marker.isPopupOpen();
      old.marker.setLatLng(latLngOf(f));
      old.marker.setIcon(mode === 'grid' ? gridIcon(p) : clusterIcon(p));
      old.marker.feature = f;
      labelMarker(old.marker);
      if (wasOpen) old.marker.getPopup().setContent(popupContent(old.marker));
      old.sig = sig;
      continue;
    }
    const marker = mode === 'grid' ? gridMarker(f) : clusterMarker(f);
    state.markers.set(key, { marker, sig });
    marker.addTo(state.layer);
  }
  for (const [key, { marker }] of state.markers) {
    if (!seen.has(key)) {
      state.layer.removeLayer(marker);
      state.markers.delete(key);
    }
  }
}

const latLngOf = (f) => L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);

function categoryName(code) {
  const c = state.byCode.get(code);
  return c ? pick(c.name, code) : code;
}

function clusterIcon(p) {
  const count = p.report_count || 1;
  const size = symbolSize(count);
  const group = statusGroup(p.status);
  return L.divIcon({
    html: statusSymbol(group, size, count),
    className: `cluster-icon cluster-${group}`,
    iconSize: [size, size],
    popupAnchor: [0, -size / 2],
  });
}

function gridIcon(p) {
  const size = Math.round(Math.min(46, 26 + 4 * Math.log2(Math.max(1, p.reports || p.count || 1))));
  const label = p.count > 999 ? `${Math.round(p.count / 1000)}k` : String(p.count);
  const div = document.createElement('span');
  div.className = 'grid-count';
  div.textContent = label;
  return L.divIcon({ html: div, className: 'grid-icon', iconSize: [size, size] });
}

function labelMarker(marker) {
  const icon = marker.getElement();
  if (!icon) return;
  const f = marker.feature;
  const p = f.properties || {};
  if (marker.kind === 'grid') {
    icon.setAttribute('aria-label', t('grid.label', { count: p.count, reports: p.reports ?? p.count }));
    icon.dataset.kind = 'grid';
    icon.dataset.count = String(p.count);
    icon.dataset.reports = String(p.reports ?? p.count);
  } else {
    icon.setAttribute('aria-label', t('cluster.label', {
      category: categoryName(p.category),
      status: statusName(p.status),
      reports: reportCount(p.report_count || 1),
    }));
    icon.dataset.kind = 'cluster';
    icon.dataset.clusterId = String(p.id ?? f.id);
    icon.dataset.count = String(p.report_count || 1);
    icon.dataset.status = p.status;
  }
  icon.title = icon.getAttribute('aria-label');
}

function gridMarker(f) {
  const marker = L.marker(latLngOf(f), { icon: gridIcon(f.properties), keyboard: true, riseOnHover: true });
  marker.kind = 'grid';
  marker.feature = f;
  const zoomIn = () => {
    const cell = f.properties.cell;
    if (Array.isArray(cell) && cell.length === 4) {
      state.map.fitBounds([[cell[1], cell[0]], [cell[3], cell[2]]], { maxZoom: CLUSTERS_FROM_ZOOM + 1 });
    } else {
      state.map.setView(marker.getLatLng(), Math.min(state.map.getZoom() + 2, CLUSTERS_FROM_ZOOM));
    }
  };
  marker.on('click', zoomIn);
  marker.on('keypress', (e) => {
    if (e.originalEvent.key === 'Enter' || e.originalEvent.key === ' ') zoomIn();
  });
  marker.on('add', () => labelMarker(marker));
  return marker;
}

function clusterMarker(f) {
  const marker = L.marker(latLngOf(f), { icon: clusterIcon(f.properties), keyboard: true, riseOnHover: true });
  marker.kind = 'cluster';
  marker.feature = f;
  // The content is built once per opening (a content function would be called again by
  // every popup.update(), and each call fetches the details).
  // Registered before bindPopup so the flag is set when the popup opens on Enter.
  marker.on('keypress', (e) => {
    if (e.originalEvent.key === 'Enter') state.popupByKeyboard = true;
  });
  marker.bindPopup('', { maxWidth: 320, minWidth: 220, autoPanPadding: [24, 24] });
  marker.on('popupopen', (e) => {
    e.popup.setContent(popupContent(marker));
    if (state.popupByKeyboard) {
      state.popupByKeyboard = false;
      const title = e.popup.getElement() && e.popup.getElement().querySelector('.popup-title');
      if (title) title.focus();
    }
  });
  marker.on('add', () => labelMarker(marker));
  return marker;
}

function statusLine(status, size = 18) {
  return el('span', { class: 'status-line' }, statusSymbol(statusGroup(status), size, 1),
    el('span', { text: statusName(status) }));
}

function popupContent(marker) {
  const f = marker.feature;
  const p = f.properties || {};
  const id = p.id ?? f.id;
  const count = p.report_count || 1;
  const history = el('div', { class: 'popup-more', text: t('popup.loading') });
  const ago = el('p', { class: 'popup-age' }, t('popup.first', { ago: timeAgo(p.first_at) }),
    p.last_at && p.last_at !== p.first_at ? `, ${t('popup.last', { ago: timeAgo(p.last_at) })}` : '');
  const where = [p.location, p.district && districtName({ properties: p.district })].filter(Boolean).join(' · ');
  const root = el('div', { class: 'popup', dataset: { clusterId: String(id) } },
    el('h3', { class: 'popup-title', tabindex: '-1', text: categoryName(p.category) }),
    el('p', { class: 'popup-status' }, statusLine(p.status)),
    el('p', { class: 'popup-count', dataset: { count: String(count) }, text: reportCount(count) }),
    ago,
    where ? el('p', { class: 'popup-where', text: where }) : null,
    history,
    el('button', {
      type: 'button',
      class: 'secondary small',
      text: t('action.report_here'),
      onclick: () => reportHere(marker),
    }));
  const ctrl = new AbortController();
  marker.once('popupclose', () => ctrl.abort());
  getCluster(id, ctrl.signal).then((detail) => {
    const dp = detail.properties || {};
    history.replaceChildren(...popupDetails(dp));
    root.querySelector('.popup-status').replaceChildren(statusLine(dp.status || p.status));
    const n = dp.report_count || count;
    const countEl = root.querySelector('.popup-count');
    countEl.textContent = reportCount(n);
    countEl.dataset.count = String(n);
    const popup = marker.getPopup();
    if (popup && popup.isOpen()) {
      // update() re-attaches the content, which drops the focus; give it back.
      const focused = root.contains(document.activeElement) ? document.activeElement : null;
      popup.update();
      if (focused) focused.focus({ preventScroll: true });
    }
  }).catch((err) => {
    if (err.name !== 'AbortError') history.textContent = err.message;
  });
  return root;
}

function popupDetails(dp) {
  const out = [];
  const history = dp.history || [];
  if (history.length) {
    out.push(el('h4', { text: t('popup.history') }), el('ol', { class: 'history' },
      history.map((h) => el('li', {},
        el('time', { datetime: h.at, title: formatDateTime(h.at, state.config.city.timezone), text: timeAgo(h.at) }),
        ' ', statusLine(h.status, 14),
        h.note ? el('span', { class: 'history-note', text: h.note }) : null))));
  }
  const reports = dp.reports || [];
  if (reports.length) {
    out.push(el('h4', { text: t('popup.reports') }), el('ul', { class: 'popup-reports' },
      reports.slice(0, 10).map((r) => el('li', {},
        r.photo && r.photo.thumb_url
          ? el('img', { src: r.photo.thumb_url, alt: '', class: 'thumb', width: '48', height: '48', loading: 'lazy' })
          : null,
        el('span', {},
          el('a', { href: `/r/${encodeURIComponent(r.id)}`, text: timeAgo(r.created_at) }),
          ' ',
          el('span', { class: 'popup-desc', text: truncate(r.description) || t('popup.no_description') }))))));
  }
  return out;
}

function truncate(text, max = 120) {
  if (!text) return '';
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

function onPopupOpen() {
  document.body.classList.add('has-popup');
}

/** "I see this too": a new report at this cluster, of its category; the dup check offers it. */
function reportHere(marker) {
  const p = marker.feature.properties || {};
  state.map.closePopup();
  if (state.done) resetForm();
  if (p.category && state.byCode.has(p.category)) $('category').value = p.category;
  renderCategoryDescription();
  openPanel('report', $('open-report'));
  placePin(marker.getLatLng(), { pan: true });
}

/* ---------- filters and legend ---------- */

function renderFilters() {
  const statusList = $('status-filters');
  statusList.replaceChildren(...Object.keys(STATUS_GROUPS).map((g) => {
    const id = `filter-status-${g}`;
    return el('li', {},
      el('input', {
        type: 'checkbox', id, value: g, checked: state.groups.has(g),
        onchange: (e) => {
          if (e.target.checked) state.groups.add(g);
          else state.groups.delete(g);
          refresh();
        },
      }),
      el('label', { for: id }, statusSymbol(g, 20, 1), el('span', { text: t(`legend.${g}`) })));
  }));

  const box = $('category-filters');
  const groups = groupCategories();
  box.replaceChildren(...groups.map(([group, cats]) => el('div', { class: 'category-group' },
    groups.length > 1 ? el('p', { class: 'group-name', text: groupName(group) }) : null,
    el('ul', { class: 'check-list' }, cats.map((c) => {
      const id = `filter-category-${c.code}`;
      return el('li', {},
        el('input', {
          type: 'checkbox', id, value: c.code, checked: !state.hiddenCategories.has(c.code),
          onchange: (e) => {
            if (e.target.checked) state.hiddenCategories.delete(c.code);
            else state.hiddenCategories.add(c.code);
            refresh();
          },
        }),
        el('label', { for: id, text: pick(c.name, c.code) }));
    })))));
}

function groupCategories() {
  const groups = new Map();
  for (const c of state.categories) {
    const g = c.group || '';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(c);
  }
  for (const list of groups.values()) list.sort((a, b) => pick(a.name, a.code).localeCompare(pick(b.name, b.code), lang()));
  return [...groups.entries()];
}

function groupName(code) {
  if (!code) return '';
  if (hasKey(`group.${code}`)) return t(`group.${code}`);
  const words = code.replace(/[_-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function setAllCategories(on) {
  state.hiddenCategories = on ? new Set() : new Set(state.categories.map((c) => c.code));
  renderFilters();
  refresh();
}

function renderLegend() {
  const groups = Object.keys(STATUS_GROUPS);
  $('legend-list').replaceChildren(
    ...groups.map((g) => el('li', {}, statusSymbol(g, 22, 1), el('span', { text: t(`legend.${g}`) }))),
    el('li', {}, el('span', { class: 'grid-icon legend-grid' }, el('span', { class: 'grid-count', text: '12' })),
      el('span', { text: t('legend.area') })));
  $('legend-mini').replaceChildren(...DEFAULT_GROUPS.map((g) => el('li', {}, statusSymbol(g, 16, 1),
    el('span', { text: t(`legend.${g}`) }))));
}

function renderCentre() {
  const out = $('map-centre');
  if (!state.kit) return;
  const d = state.kit.districtAt(state.map.getCenter());
  if (d) out.textContent = t('map.centre', { name: districtName(d) });
  else out.textContent = state.kit.hasDistricts() ? t('map.centre_outside') : '';
}

/* ---------- panels ---------- */

function bindPanels() {
  $('open-report').addEventListener('click', () => togglePanel('report', $('open-report')));
  $('open-filters').addEventListener('click', () => togglePanel('filters', $('open-filters')));
  for (const b of document.querySelectorAll('.panel-close')) b.addEventListener('click', () => closePanel());
  $('categories-all').addEventListener('click', () => setAllCategories(true));
  $('categories-none').addEventListener('click', () => setAllCategories(false));
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    const popup = state.map && state.map._popup;
    if (popup && state.map.hasLayer(popup)) {
      const source = popup._source;
      state.map.closePopup();
      const icon = source && source.getElement && source.getElement();
      if (icon && document.contains(icon)) icon.focus();
      e.preventDefault();
      return;
    }
    if (state.openPanel) {
      closePanel();
      e.preventDefault();
    }
  });
}

const panelOf = (name) => $(name === 'report' ? 'report-panel' : 'filters-panel');
const buttonOf = (name) => $(name === 'report' ? 'open-report' : 'open-filters');

function togglePanel(name, opener) {
  if (state.openPanel === name) closePanel();
  else openPanel(name, opener);
}

function openPanel(name, opener, { focus = true } = {}) {
  if (state.openPanel && state.openPanel !== name) closePanel({ restoreFocus: false });
  const panel = panelOf(name);
  const wasOpen = state.openPanel === name;
  panel.hidden = false;
  state.openPanel = name;
  if (!wasOpen) state.opener = opener || buttonOf(name);
  buttonOf(name).setAttribute('aria-expanded', 'true');
  document.body.classList.add('has-panel', `has-${name}-panel`);
  relayout({ centrePin: !wasOpen });
  if (focus) {
    const heading = name === 'report' && !$('done').hidden ? $('done-title') : panel.querySelector('h2');
    heading.focus({ preventScroll: true });
  }
}

function closePanel({ restoreFocus = true } = {}) {
  const name = state.openPanel;
  if (!name) return;
  panelOf(name).hidden = true;
  buttonOf(name).setAttribute('aria-expanded', 'false');
  document.body.classList.remove('has-panel', `has-${name}-panel`);
  state.openPanel = null;
  relayout();
  if (restoreFocus && state.opener && document.contains(state.opener)) state.opener.focus();
  state.opener = null;
}

/**
 * A panel takes room from the map; tell Leaflet, keeping the map centre where it was. When the
 * report panel opens, the pin moves to the centre of what is left of the map, under the crosshair.
 */
function relayout({ centrePin = false } = {}) {
  if (!state.map) return;
  state.map.invalidateSize({ pan: true, animate: false });
  if (state.pin && (centrePin || !state.map.getBounds().pad(-0.1).contains(state.pin.getLatLng()))) {
    state.map.panTo(state.pin.getLatLng(), { animate: false });
  }
}

/* ---------- the report form ---------- */

function bindForm() {
  const form = $('report-form');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  $('form-place-centre').addEventListener('click', () => placePin(state.map.getCenter()));
  $('form-my-location').addEventListener('click', useMyLocation);
  $('corner-find').addEventListener('click', findCorner);
  $('corner').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { // search, do not submit the report
      e.preventDefault();
      findCorner();
    }
  });
  $('category').addEventListener('change', () => {
    clearFieldError('category');
    renderCategoryDescription();
    scheduleNearby();
  });
  $('description').addEventListener('input', () => {
    renderCounter();
    if (descriptionLength() > 0) clearFieldError('description');
  });
  $('photo').addEventListener('change', onPhotoChange);
  $('photo-remove').addEventListener('click', () => {
    $('photo').value = '';
    onPhotoChange();
    $('photo').focus();
  });
  $('contact-email').addEventListener('input', () => clearFieldError('contact-email'));
  $('dup-other').addEventListener('click', () => {
    const ids = state.nearby ? state.nearby.clusters.slice(0, NEARBY_SHOWN).map((c) => c.id) : [];
    state.dupChoice = { not_same_as: ids };
    renderDupChoice();
    submit();
  });
  $('done-another').addEventListener('click', () => {
    resetForm();
    $('report-title').focus();
  });
}

function descriptionMax() {
  return (state.config && state.config.limits && state.config.limits.description_max) || 2000;
}

function photoMax() {
  return (state.config && state.config.limits && state.config.limits.photo_max_bytes) || 8 * 1024 * 1024;
}

const descriptionLength = () => [...$('description').value].length;

function renderCounter() {
  const count = descriptionLength();
  const max = descriptionMax();
  const over = count > max;
  const p = $('description-count');
  p.textContent = t(over ? 'form.chars_over' : 'form.chars', { count, max });
  p.classList.toggle('is-over', over);
  // Only going over the limit is announced; every keystroke would be noise.
  p.setAttribute('aria-live', over ? 'assertive' : 'off');
  if (over) $('description').setAttribute('aria-invalid', 'true');
  else if ($('description-error').hidden) $('description').removeAttribute('aria-invalid');
}

function renderPhotoHint() {
  $('photo-hint').textContent = t('form.photo_hint', { size: formatBytes(photoMax()) });
}

function renderCategorySelect() {
  const select = $('category');
  const value = select.value;
  const first = el('option', { value: '', text: t('form.category_choose') });
  const groups = groupCategories();
  const options = groups.map(([group, cats]) => {
    const opts = cats.map((c) => el('option', { value: c.code, text: pick(c.name, c.code) }));
    return groups.length > 1 && group ? el('optgroup', { label: groupName(group) }, opts) : opts;
  });
  select.replaceChildren(first, ...options.flat());
  select.value = state.byCode.has(value) ? value : '';
  renderCategoryDescription();
}

function renderCategoryDescription() {
  const c = state.byCode.get($('category').value);
  const p = $('category-description');
  const text = c ? pick(c.description, '') : '';
  p.textContent = text;
  p.hidden = !text;
}

function onMapClick(latlng) {
  if (state.done) resetForm();
  const wasOpen = state.openPanel === 'report';
  placePin(latlng);
  if (!wasOpen) openPanel('report', $('open-report'), { focus: false });
}

function placePin(latlng, { pan = false } = {}) {
  const ll = L.latLng(latlng.lat, latlng.lng);
  if (!state.pin) {
    state.pin = L.marker(ll, {
      draggable: true,
      autoPan: true,
      keyboard: true,
      title: t('pin.label'),
      alt: t('pin.label'),
      zIndexOffset: 1000,
    }).addTo(state.map);
    state.pin.on('dragend', () => {
      renderLocation();
      scheduleNearby();
    });
    state.pin.getElement().classList.add('report-pin');
  } else {
    state.pin.setLatLng(ll);
  }
  if (pan) state.map.setView(ll, Math.max(state.map.getZoom(), PIN_ZOOM));
  $('location-error').hidden = true;
  renderLocation();
  scheduleNearby();
}

function removePin() {
  if (state.pin) state.pin.remove();
  state.pin = null;
}

function renderLocation() {
  const p = $('location-text');
  if (state.pin) {
    const ll = state.pin.getLatLng();
    const fmt = new Intl.NumberFormat(lang(), { minimumFractionDigits: 5, maximumFractionDigits: 5 });
    let text = t('form.location_set', { lat: fmt.format(ll.lat), lon: fmt.format(ll.lng) });
    const d = state.kit && state.kit.districtAt(ll);
    if (d) text = `${districtName(d)}. ${text}`;
    p.textContent = text;
    p.classList.add('is-set');
    const el2 = state.pin.getElement();
    if (el2) {
      el2.title = t('pin.label');
      el2.alt = t('pin.label');
    }
  } else {
    p.textContent = t('form.location_none');
    p.classList.remove('is-set');
  }
}

function useMyLocation() {
  const status = $('location-error');
  if (!navigator.geolocation) {
    showFieldError('location', t('form.geo_unsupported'));
    return;
  }
  status.hidden = true;
  setFormStatus(t('form.locating'));
  navigator.geolocation.getCurrentPosition((pos) => {
    setFormStatus('');
    placePin({ lat: pos.coords.latitude, lng: pos.coords.longitude }, { pan: true });
  }, (err) => {
    setFormStatus('');
    showFieldError('location', t('form.geo_error', { message: err.message }));
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
}

/** Places the pin on a corner typed as two crossing streets (the server's street layer). */
async function findCorner() {
  const q = $('corner').value.trim();
  if (!q) {
    showFieldError('location', t('form.corner_empty'));
    $('corner').focus();
    return;
  }
  $('location-error').hidden = true;
  setFormStatus(t('form.corner_searching'));
  try {
    const place = await getPlace(q);
    setFormStatus('');
    const [lon, lat] = place.geometry.coordinates;
    placePin({ lat, lng: lon }, { pan: true });
    if (!$('address').value.trim()) $('address').value = place.properties.label;
  } catch (err) {
    setFormStatus('');
    showFieldError('location', err.status === 404
      ? t('form.corner_not_found', { q })
      : t('form.corner_error', { message: err.message }));
  }
}

function onPhotoChange() {
  const input = $('photo');
  const file = input.files && input.files[0];
  clearFieldError('photo');
  const preview = $('photo-preview');
  const img = $('photo-preview-img');
  state.photo = null;
  preview.hidden = true;
  img.removeAttribute('src');
  if (!file) return;
  state.photo = file;
  if (file.size > photoMax()) {
    showFieldError('photo', t('form.photo_too_large', { size: formatBytes(photoMax()) }));
    return;
  }
  preview.hidden = false;
  // A data: URL, because the page's CSP allows data: images but not blob: ones.
  const reader = new FileReader();
  reader.onload = () => {
    if (state.photo !== file) return;
    img.onerror = () => {
      img.removeAttribute('src');
      img.hidden = true;
    };
    img.hidden = false;
    img.src = String(reader.result);
  };
  reader.readAsDataURL(file);
}

/* ---------- the duplicate check ---------- */

function nearbyKey() {
  const category = $('category').value;
  if (!state.pin || !category) return null;
  const ll = state.pin.getLatLng();
  return `${ll.lat.toFixed(7)},${ll.lng.toFixed(7)},${category}`;
}

function scheduleNearby() {
  clearTimeout(state.nearbyTimer);
  const key = nearbyKey();
  if (state.nearby && state.nearby.key !== key) {
    state.nearby = null;
    state.dupChoice = null;
    renderDup();
  }
  if (!key) return;
  state.nearbyTimer = setTimeout(() => {
    loadNearby().catch(() => {}); // shown again, with its error, when the form is sent
  }, NEARBY_DELAY_MS);
}

/** The nearby clusters for the current pin and category; one request per place and category. */
function loadNearby() {
  const key = nearbyKey();
  if (!key) return Promise.resolve(null);
  if (state.nearby && state.nearby.key === key) return Promise.resolve(state.nearby);
  if (state.nearbyPending && state.nearbyPending.key === key) return state.nearbyPending.promise;
  if (state.nearbyPending) state.nearbyPending.abort.abort();
  const abort = new AbortController();
  const ll = state.pin.getLatLng();
  const promise = getNearby({ lat: ll.lat, lon: ll.lng, category: $('category').value, signal: abort.signal })
    .then((data) => {
      if (state.nearbyPending && state.nearbyPending.promise === promise) state.nearbyPending = null;
      if (nearbyKey() !== key) return null;
      const clusters = (data.clusters || []).filter((c) => !c.category || c.category === $('category').value);
      state.nearby = { key, clusters, wouldJoin: data.would_join ?? null };
      renderDup();
      if (clusters.length && !state.sending) {
        setFormStatus(clusters.length === 1 ? t('dup.found_one') : t('dup.found_many', { count: clusters.length }), 'dup');
      }
      return state.nearby;
    }, (err) => {
      if (state.nearbyPending && state.nearbyPending.promise === promise) state.nearbyPending = null;
      throw err;
    });
  state.nearbyPending = { key, promise, abort };
  return promise;
}

function renderDup() {
  const box = $('dup');
  const list = $('dup-list');
  const nearby = state.nearby;
  if (!nearby || !nearby.clusters.length || state.done) {
    box.hidden = true;
    list.replaceChildren();
    if ($('form-status').dataset.kind === 'dup') setFormStatus('');
    return;
  }
  const clusters = nearby.clusters.slice(0, NEARBY_SHOWN);
  if (nearby.wouldJoin !== null) {
    const i = clusters.findIndex((c) => String(c.id) === String(nearby.wouldJoin));
    if (i > 0) clusters.unshift(...clusters.splice(i, 1));
  }
  list.replaceChildren(...clusters.map((c) => {
    const count = c.report_count || 1;
    const likely = nearby.wouldJoin !== null && String(c.id) === String(nearby.wouldJoin);
    const chosen = state.dupChoice && String(state.dupChoice.same_as) === String(c.id);
    return el('li', { class: `dup-item${likely ? ' is-likely' : ''}${chosen ? ' is-chosen' : ''}`, dataset: { clusterId: String(c.id) } },
      el('div', { class: 'dup-symbol' }, statusSymbol(statusGroup(c.status), symbolSize(count), count)),
      el('div', { class: 'dup-text' },
        likely ? el('p', { class: 'dup-likely', text: t('dup.likely') }) : null,
        el('p', { class: 'dup-summary', text: t(count === 1 ? 'dup.one' : 'dup.many', { count, distance: formatDistance(c.distance_m || 0) }) }),
        el('p', { class: 'dup-meta' },
          `${categoryName(c.category || $('category').value)} · ${statusName(c.status)} · ${t('popup.first', { ago: timeAgo(c.first_at) })}`,
          c.location ? ` · ${c.location}` : ''),
        el('button', {
          type: 'button',
          class: 'primary small dup-same',
          dataset: { sameAs: String(c.id) },
          'aria-describedby': `dup-summary-${c.id}`,
          text: t('dup.same'),
          onclick: () => {
            state.dupChoice = { same_as: c.id };
            renderDupChoice();
            submit();
          },
        })));
  }));
  // Tie each button to its own summary for screen readers.
  for (const li of list.children) {
    const summary = li.querySelector('.dup-summary');
    summary.id = `dup-summary-${li.dataset.clusterId}`;
  }
  box.hidden = false;
  renderDupChoice();
}

function renderDupChoice() {
  const p = $('dup-choice');
  const c = state.dupChoice;
  if (!c) p.textContent = '';
  else if (c.same_as !== undefined) p.textContent = t('dup.joined', { id: c.same_as });
  else p.textContent = t('dup.separate');
  for (const li of $('dup-list').children) {
    li.classList.toggle('is-chosen', Boolean(c && String(c.same_as) === li.dataset.clusterId));
  }
}

/* ---------- sending ---------- */

const FIELD_INPUT = {
  location: 'form-place-centre',
  category: 'category',
  description: 'description',
  photo: 'photo',
  'contact-email': 'contact-email',
};

function showFieldError(field, message) {
  const p = $(`${field}-error`);
  p.textContent = message;
  p.hidden = false;
  const input = $(FIELD_INPUT[field]);
  if (input && field !== 'location') input.setAttribute('aria-invalid', 'true');
}

function clearFieldError(field) {
  const p = $(`${field}-error`);
  p.hidden = true;
  p.textContent = '';
  const input = $(FIELD_INPUT[field]);
  if (input) input.removeAttribute('aria-invalid');
}

function clearErrors() {
  for (const f of Object.keys(FIELD_INPUT)) clearFieldError(f);
  $('form-error').hidden = true;
  $('form-error').textContent = '';
}

/** The polite status line of the form; `kind` marks text that belongs to one feature. */
function setFormStatus(text, kind = '') {
  const p = $('form-status');
  p.textContent = text;
  p.dataset.kind = kind;
}

function showFormError(text) {
  const p = $('form-error');
  p.textContent = text;
  p.hidden = false;
}

/** Checks what can be checked here; returns the first field in error, or null. */
function validate() {
  const errors = [];
  if (!state.pin) errors.push(['location', t('form.need_pin')]);
  if (!$('category').value) errors.push(['category', t('form.need_category')]);
  const count = descriptionLength();
  // Adding one's report to an existing one needs no words; a new problem does.
  const joining = Boolean(state.dupChoice && state.dupChoice.same_as !== undefined);
  if (!$('description').value.trim() && !joining) errors.push(['description', t('form.need_description')]);
  else if (count > descriptionMax()) errors.push(['description', t('form.chars_over', { count, max: descriptionMax() })]);
  if (state.photo && state.photo.size > photoMax()) errors.push(['photo', t('form.photo_too_large', { size: formatBytes(photoMax()) })]);
  const email = $('contact-email');
  if (email.value && !email.checkValidity()) errors.push(['contact-email', email.validationMessage]);
  for (const [field, message] of errors) showFieldError(field, message);
  if (!errors.length) return null;
  if (errors.some(([f]) => f === 'contact-email')) $('contact-email').closest('details').open = true;
  return errors[0][0];
}

async function submit() {
  if (state.sending) return;
  clearErrors();
  const bad = validate();
  if (bad) {
    showFormError(t('form.fix_errors'));
    $(FIELD_INPUT[bad]).focus();
    return;
  }
  state.sending = true;
  $('submit').disabled = true;
  try {
    if (!state.dupChoice) {
      setFormStatus(t('form.checking'));
      let nearby = null;
      try {
        nearby = await loadNearby();
      } catch {
        nearby = null; // the server still joins obvious duplicates itself
      }
      if (nearby && nearby.clusters.length) {
        setFormStatus('');
        $('dup-choice').textContent = t('dup.choose');
        $('dup-title').focus({ preventScroll: true });
        $('dup').scrollIntoView({ block: 'start' });
        return;
      }
    }
    setFormStatus(t('form.sending'));
    const answer = await postReport(payload(), state.photo);
    setFormStatus('');
    onSent(answer);
  } catch (err) {
    setFormStatus('');
    showSendError(err);
  } finally {
    state.sending = false;
    $('submit').disabled = false;
  }
}

function payload() {
  const ll = state.pin.getLatLng();
  const round = (v) => Math.round(v * 1e7) / 1e7;
  const out = {
    category: $('category').value,
    lat: round(ll.lat),
    lon: round(ll.lng),
    description: $('description').value.trim(),
  };
  const address = $('address').value.trim();
  if (address) out.address = address;
  const contact = {};
  for (const [k, id] of [['name', 'contact-name'], ['email', 'contact-email'], ['phone', 'contact-phone']]) {
    const v = $(id).value.trim();
    if (v) contact[k] = v;
  }
  if (Object.keys(contact).length) out.contact = contact;
  if (state.dupChoice && state.dupChoice.same_as !== undefined) out.same_as = state.dupChoice.same_as;
  if (state.dupChoice && state.dupChoice.not_same_as && state.dupChoice.not_same_as.length) {
    out.not_same_as = state.dupChoice.not_same_as;
  }
  return out;
}

const PHOTO_CODES = new Set(['unsupported_media_type', 'photo_too_large', 'invalid_photo']);
const LOCATION_CODES = new Set(['out_of_area', 'out_of_range']);

function showSendError(err) {
  const code = err.code || '';
  const server = err.message || '';
  let field = null;
  let text = server;
  if (code === 'network') {
    showFormError(t('form.error_network'));
    return;
  }
  if (PHOTO_CODES.has(code) || (err.status === 413 && state.photo)) {
    field = 'photo';
    text = hasKey(`error.photo.${code}`) ? t(`error.photo.${code}`) : t('error.photo.photo_too_large');
  } else if (LOCATION_CODES.has(code)) {
    field = 'location';
    text = t(`error.${code}`);
  } else if (code === 'unknown_category') {
    field = 'category';
    text = t('error.unknown_category');
  } else if (err.status === 429) {
    text = t('error.rate_limited');
  } else if (err.status === 413) {
    text = t('error.too_large');
  } else if (code === 'missing_field' || code === 'invalid_field') {
    const m = /description|category|email|lat|lon/.exec(server);
    field = m ? ({ description: 'description', category: 'category', email: 'contact-email', lat: 'location', lon: 'location' })[m[0]] : null;
  }
  const detail = server && server !== text ? `${text} (${server})` : text;
  if (field) {
    if (field === 'contact-email') $('contact-email').closest('details').open = true;
    showFieldError(field, detail);
  }
  showFormError(t('form.error', { message: detail }));
  if (field) $(FIELD_INPUT[field]).focus();
}

function onSent(answer) {
  state.done = answer;
  const r = answer.report || {};
  saveMine(r);
  removePin();
  state.nearby = null;
  state.dupChoice = null;
  renderDup();
  $('report-form').hidden = true;
  $('done').hidden = false;
  document.body.classList.add('report-done');
  renderDone();
  renderMine();
  $('done-title').focus();
  refresh();
}

function renderDone() {
  const answer = state.done;
  if (!answer) return;
  const r = answer.report || {};
  const count = (answer.cluster && answer.cluster.report_count) || 1;
  $('done-text').textContent = answer.joined
    ? t('done.joined', { id: r.id, count })
    : t('done.new', { id: r.id });
  const district = r.district && districtName({ properties: r.district });
  $('done-summary').textContent = [categoryName(r.category), r.address, district, statusName(r.status)]
    .filter(Boolean).join(' · ');
  const link = $('done-link');
  link.href = r.url || `/r/${encodeURIComponent(r.id)}`;
  link.dataset.reportId = String(r.id);
}

function resetForm() {
  state.done = null;
  document.body.classList.remove('report-done');
  $('report-form').reset();
  $('report-form').hidden = false;
  $('done').hidden = true;
  clearErrors();
  onPhotoChange();
  removePin();
  state.nearby = null;
  state.dupChoice = null;
  renderDup();
  renderCounter();
  renderLocation();
  renderCategoryDescription();
}

/* ---------- the reports made from this browser ---------- */

function loadMine() {
  try {
    const list = JSON.parse(localStorage.getItem(MINE_KEY) || '[]');
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

function saveMine(r) {
  if (r.id === undefined) return;
  const list = loadMine().filter((m) => String(m.id) !== String(r.id));
  list.unshift({ id: r.id, category: r.category, created_at: r.created_at, url: r.url });
  try {
    localStorage.setItem(MINE_KEY, JSON.stringify(list.slice(0, MINE_KEPT)));
  } catch {
    // storage full or blocked: the confirmation link still works
  }
}

function renderMine() {
  const list = loadMine();
  $('mine-none').hidden = list.length > 0;
  $('mine-list').replaceChildren(...list.map((m) => el('li', {},
    el('a', { href: m.url || `/r/${encodeURIComponent(m.id)}`, text: `${categoryName(m.category)} (${m.id})` }),
    m.created_at ? ` · ${timeAgo(m.created_at)}` : '')));
}

start();
