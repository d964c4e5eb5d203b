// The citizen map page: what is already reported (map-reports.js, also as a list), filters and
// legend (filters.js), the report form with its pin and duplicate hint (report-form.js, pin.js,
// dup-hint.js), the panels they live in (panels.js), the reports sent from this browser
// (mine.js) and the city's streets when there are no tiles (streets-layer.js). This module
// starts them and ties them together; the map view lives in the URL.

import { getConfig, getDistricts, getServiceArea } from './api.js';
import { loadCategories } from './categories.js';
import { $ } from './dom.js';
import { initFilters, renderFilters, renderLegend } from './filters.js';
import { t, applyTranslations, bindLanguageSwitch, onLangChange } from './i18n.js';
import {
  initReports, refresh, scheduleRefresh, clearMarkers, setMapStatus, renderList, focusOpener,
} from './map-reports.js';
import { createMap, bindTilesSwitch, districtName } from './mapkit.js';
import { renderMine } from './mine.js';
import { initPanels, openPanel, openPanelName } from './panels.js';
import { initPin, pinLatLng, placePin } from './pin.js';
import { scheduleNearby } from './dup-hint.js';
import { initForm, renderForm, formDone, prepareReport, resetForm } from './report-form.js';
import { initStreets } from './streets-layer.js';
import { loadWorkflow } from './workflow.js';

const page = { kit: null };

async function start() {
  applyTranslations(document);
  bindLanguageSwitch($('lang-switch'));
  let config;
  try {
    [config] = await Promise.all([getConfig(), loadCategories(), loadWorkflow()]);
  } catch (err) {
    setMapStatus(t('map.error', { message: err.message }), true);
    return;
  }
  $('city-name').textContent = config.city.name || '';
  // A municipality's own map in a region: its name leads the title.
  if (config.region) document.title = `${config.city.name} · ${document.title}`;

  const view = viewFromHash();
  const kit = createMap($('map'), config, {
    districts: getDistricts().catch(() => null),
    serviceArea: getServiceArea().catch(() => null),
  });
  page.kit = kit;
  const map = kit.map;
  if (view) map.setView(view.center, view.zoom, { animate: false });
  window.addEventListener('hashchange', () => {
    const next = viewFromHash();
    if (next) map.setView(next.center, next.zoom, { animate: false });
  });

  const renderTiles = bindTilesSwitch($('tiles-switch'), $('tiles-note'), kit);
  renderTiles();
  const streets = initStreets(map, { wanted: () => !kit.tilesOn() });
  $('tiles-switch').addEventListener('click', streets.refresh);
  onLangChange(() => {
    renderTiles();
    renderAll();
  });

  initReports(map, config, { onReportHere: reportHere });
  // Keyboard users have no hover: while the map itself has focus, the district under the
  // crosshair shows its label.
  const container = map.getContainer();
  const labelCentre = () => kit.labelAt(document.activeElement === container ? map.getCenter() : null);
  container.addEventListener('focus', labelCentre);
  container.addEventListener('blur', labelCentre);
  // The alerts page starts around the map's centre.
  const alertsHere = () => {
    const c = map.getCenter();
    $('alerts-link').href = `/alerts.html?lat=${c.lat.toFixed(6)}&lon=${c.lng.toFixed(6)}`;
  };
  alertsHere();
  map.on('moveend', () => {
    scheduleRefresh();
    renderCentre();
    alertsHere();
    writeHash();
    if (document.activeElement === container) labelCentre();
  });
  map.on('click', (e) => onMapClick(e.latlng));
  kit.ready.then(renderCentre);

  initPanels(map, {
    pinLatLng,
    onOpen: (name) => {
      if (name === 'list') renderList();
      if (name === 'mine') renderMine();
    },
    onPopupClosed: focusOpener,
  });
  // "Report a problem without the map": the form, at its street corner search.
  $('skip-report').addEventListener('click', (e) => {
    e.preventDefault();
    if (formDone()) resetForm();
    openPanel('report', $('open-report'), { focus: false });
    $('corner').focus();
  });
  initFilters({ onChange: refresh });
  initPin(kit, { onMove: scheduleNearby });
  initForm(config, {
    onSent: () => {
      renderMine();
      refresh();
    },
  });
  renderAll(); // draws the reports too
}

/** Every text and every marker again (at the start, and when the language changes). */
function renderAll() {
  renderFilters();
  renderLegend();
  renderForm();
  renderMine();
  renderCentre();
  if (page.kit) {
    page.kit.map.closePopup();
    clearMarkers();
    refresh();
  }
}

function renderCentre() {
  const out = $('map-centre');
  if (!page.kit) return;
  const d = page.kit.districtAt(page.kit.map.getCenter());
  if (d) out.textContent = t('map.centre', { name: districtName(d) });
  else out.textContent = page.kit.hasDistricts() ? t('map.centre_outside') : '';
}

function onMapClick(latlng) {
  if (formDone()) resetForm();
  const wasOpen = openPanelName() === 'report';
  placePin(latlng);
  if (!wasOpen) openPanel('report', $('open-report'), { focus: false });
}

/** "I see this too": a new report at this cluster, of its category; the dup check offers it. */
function reportHere(latlng, category) {
  page.kit.map.closePopup();
  prepareReport(category);
  openPanel('report', $('open-report'));
  placePin(latlng, { pan: true });
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
  const c = page.kit.map.getCenter();
  const hash = `#${page.kit.map.getZoom()}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`;
  history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
}

start();
