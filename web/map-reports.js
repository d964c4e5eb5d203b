// What is already reported, on the citizen map: grid cells with counts when zoomed out, one
// symbol per cluster (by status group and size) when zoomed in, and a cluster's popup with its
// history and reports. The symbols take clicks and taps but not the keyboard's focus (a
// hundred tab stops on a map help nobody): the same reports are a list in the "List" panel,
// whose entries open the popups.

import { getCluster, getClusters } from './api.js';
import { categoryName } from './categories.js';
import { $, el } from './dom.js';
import { categoriesFiltered, selectedCategories, selectedStatuses } from './filters.js';
import { t, timeAgo, formatDateTime, reportCount } from './i18n.js';
import { districtName, statusSymbol, symbolSize } from './mapkit.js';
import { statusName, statusGroup } from './workflow.js';

const L = window.L;

/** From this zoom level up the map shows single clusters; below it, grid cells with counts. */
export const CLUSTERS_FROM_ZOOM = 15;
const CLUSTER_LIMIT = 500;
const REFRESH_DELAY_MS = 250;

const reports = {
  map: null,
  layer: null,
  timezone: undefined,
  markers: new Map(), // key -> { marker, sig }
  mode: null, // 'grid' | 'clusters'
  timer: 0,
  abort: null,
  popupByKeyboard: false,
  opener: null, // the cluster id of the list entry that opened the popup: it gets the focus back
  listSig: '', // what the list shows, to redraw it only when that changed
  onReportHere: () => {},
};

/** Entries of the list panel: the nearest to the map centre first, at most this many. */
const LIST_SHOWN = 50;

/** `onReportHere(latlng, category)` runs for "I see this too" in a cluster's popup. */
export function initReports(map, config, { onReportHere }) {
  Object.assign(reports, { map, timezone: config.city.timezone, onReportHere });
  reports.layer = L.layerGroup().addTo(map);
  map.on('popupopen', () => document.body.classList.add('has-popup'));
  map.on('popupclose', () => {
    document.body.classList.remove('has-popup');
    // Closed with its button or by a click on the map: the focus would be lost with it.
    setTimeout(() => {
      if (document.activeElement === document.body) focusOpener();
    });
  });
}

/** After a popup closed: the list entry that opened it takes the focus back. */
export function focusOpener() {
  const id = reports.opener;
  reports.opener = null;
  const entry = id && $('list-items').querySelector(`[data-entry-cluster="${CSS.escape(id)}"]`);
  if (entry) entry.focus();
}

export function setMapStatus(text, isError = false) {
  const p = $('map-status');
  p.textContent = text;
  p.classList.toggle('is-error', isError);
}

export function scheduleRefresh() {
  clearTimeout(reports.timer);
  reports.timer = setTimeout(refresh, REFRESH_DELAY_MS);
}

export function clearMarkers() {
  reports.layer.clearLayers();
  reports.markers.clear();
  reports.mode = null;
  renderList();
}

/** Asks for what is in view with the current filters and draws it. */
export async function refresh() {
  clearTimeout(reports.timer);
  if (reports.abort) reports.abort.abort();
  const map = reports.map;
  const categories = selectedCategories();
  const statuses = selectedStatuses();
  if (!categories.length || !statuses.length) {
    reports.abort = null;
    clearMarkers();
    setMapStatus(t('map.loaded_none'));
    return;
  }
  const ctrl = new AbortController();
  reports.abort = ctrl;
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
      categories: categoriesFiltered() ? categories : undefined,
      statuses,
      signal: ctrl.signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') return;
    setMapStatus(t('map.error', { message: err.message }), true);
    return;
  }
  if (reports.abort !== ctrl) return;
  reports.abort = null;
  const features = (data && data.features) || [];
  drawFeatures(features, grid ? 'grid' : 'clusters');
  renderList();
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
  if (reports.mode !== mode) clearMarkers();
  reports.mode = mode;
  const seen = new Set();
  for (const f of features) {
    if (!f.geometry || f.geometry.type !== 'Point') continue;
    const p = f.properties || {};
    const key = mode === 'grid' ? `g:${(p.cell || f.geometry.coordinates).join(',')}` : `c:${p.id ?? f.id}`;
    const sig = mode === 'grid'
      ? `${p.count}/${p.reports}/${f.geometry.coordinates.join(',')}`
      : `${p.status}/${p.report_count}/${p.last_at}/${f.geometry.coordinates.join(',')}`;
    seen.add(key);
    const old = reports.markers.get(key);
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
    reports.markers.set(key, { marker, sig });
    marker.addTo(reports.layer);
  }
  for (const [key, { marker }] of reports.markers) {
    if (!seen.has(key)) {
      reports.layer.removeLayer(marker);
      reports.markers.delete(key);
    }
  }
}

const latLngOf = (f) => L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);

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
  return L.divIcon({ html: el('span', { class: 'grid-count', text: label }), className: 'grid-icon', iconSize: [size, size] });
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
  // A picture with a name, not a control: the keyboard reaches the same report in the list.
  icon.setAttribute('role', 'img');
}

function zoomIntoCell(marker) {
  const cell = marker.feature.properties.cell;
  if (Array.isArray(cell) && cell.length === 4) {
    reports.map.fitBounds([[cell[1], cell[0]], [cell[3], cell[2]]], { maxZoom: CLUSTERS_FROM_ZOOM + 1 });
  } else {
    reports.map.setView(marker.getLatLng(), Math.min(reports.map.getZoom() + 2, CLUSTERS_FROM_ZOOM));
  }
}

function gridMarker(f) {
  const marker = L.marker(latLngOf(f), { icon: gridIcon(f.properties), keyboard: false, riseOnHover: true });
  marker.kind = 'grid';
  marker.feature = f;
  marker.on('click', () => zoomIntoCell(marker));
  marker.on('add', () => labelMarker(marker));
  return marker;
}

function clusterMarker(f) {
  const marker = L.marker(latLngOf(f), { icon: clusterIcon(f.properties), keyboard: false, riseOnHover: true });
  marker.kind = 'cluster';
  marker.feature = f;
  // The content is built once per opening (a content function would be called again by
  // every popup.update(), and each call fetches the details).
  marker.bindPopup('', { maxWidth: 320, minWidth: 220, autoPanPadding: [24, 24] });
  marker.on('popupopen', (e) => {
    e.popup.setContent(popupContent(marker));
    if (reports.popupByKeyboard) {
      reports.popupByKeyboard = false;
      const title = e.popup.getElement() && e.popup.getElement().querySelector('.popup-title');
      if (title) title.focus();
    }
  });
  marker.on('add', () => labelMarker(marker));
  return marker;
}

/* ---------- the same reports as a list (the "List" panel) ---------- */

function listEntryText(marker) {
  const p = marker.feature.properties || {};
  if (marker.kind === 'grid') return t('grid.label', { count: p.count, reports: p.reports ?? p.count });
  const where = p.location || (p.district && districtName({ properties: p.district })) || '';
  return [categoryName(p.category), statusName(p.status), reportCount(p.report_count || 1), where]
    .filter(Boolean).join(' · ');
}

/** Opens a cluster's popup from the list (focus into it), or zooms into a grid cell. */
function openFromList(marker) {
  if (marker.kind === 'grid') {
    zoomIntoCell(marker);
    return;
  }
  reports.opener = String(marker.feature.properties.id ?? marker.feature.id);
  reports.popupByKeyboard = true;
  if (!reports.map.getBounds().contains(marker.getLatLng())) reports.map.panTo(marker.getLatLng());
  marker.openPopup();
}

/** The list panel: what the map shows now, nearest to the map centre first. */
export function renderList() {
  const list = $('list-items');
  if (!list || !reports.map) return;
  const centre = reports.map.getCenter();
  const all = [...reports.markers.entries()].map(([key, { marker }]) => ({ key, marker }))
    .sort((a, b) => centre.distanceTo(a.marker.getLatLng()) - centre.distanceTo(b.marker.getLatLng()));
  const shown = all.slice(0, LIST_SHOWN);
  let status;
  if (!all.length) status = t('list.none');
  else if (reports.mode === 'grid') status = t('list.grid', { count: all.length });
  else if (all.length > shown.length) status = t('list.some', { count: shown.length, total: all.length });
  else status = all.length === 1 ? t('list.one') : t('list.all', { count: all.length });
  $('list-status').textContent = status;
  const sig = `${t('list.title')}|${shown.map(({ key, marker }) => `${key}:${listEntryText(marker)}`).join('|')}`;
  if (sig === reports.listSig) return;
  reports.listSig = sig;
  const focused = list.contains(document.activeElement) ? document.activeElement.dataset.entryCluster : null;
  list.replaceChildren(...shown.map(({ key, marker }) => {
    const p = marker.feature.properties || {};
    const group = marker.kind === 'grid' ? null : statusGroup(p.status);
    const button = el('button', {
      type: 'button',
      class: 'list-entry',
      // Not data-kind / data-cluster-id: those mark the symbols on the map.
      dataset: marker.kind === 'grid' ? { entry: 'grid' } : { entry: 'cluster', entryCluster: String(p.id ?? marker.feature.id) },
      text: listEntryText(marker),
    });
    // The marker of this key when clicked: a refresh may have drawn it anew.
    button.addEventListener('click', () => {
      const now = reports.markers.get(key);
      if (now) openFromList(now.marker);
    });
    return el('li', {}, group ? statusSymbol(group, 20, 1) : el('span', { class: 'grid-icon legend-grid', 'aria-hidden': 'true' }), button);
  }));
  if (focused) list.querySelector(`[data-entry-cluster="${CSS.escape(focused)}"]`)?.focus();
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
      onclick: () => reports.onReportHere(marker.getLatLng(), p.category),
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
        el('time', { datetime: h.at, title: formatDateTime(h.at, reports.timezone), text: timeAgo(h.at) }),
        ' ', statusLine(h.status, 14),
        h.note ? el('span', { class: 'history-note', text: h.note }) : null))));
  }
  const list = dp.reports || [];
  if (list.length) {
    out.push(el('h4', { text: t('popup.reports') }), el('ul', { class: 'popup-reports' },
      list.slice(0, 10).map((r) => el('li', {},
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
