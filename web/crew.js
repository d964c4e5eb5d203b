// The crew page: sign in with a token, pick a district or draw an area, pull the worklist in
// driving order, see it on the map and as a printable list, and mark jobs in progress or fixed
// (with a note and a photo) from a phone. Talks only to the JSON API with a bearer token.

import { getConfig, getDistricts, getStaffCluster, getWorklist, postStatus } from './api.js';
import { categoryName, loadCategories } from './categories.js';
import { $, el } from './dom.js';
import {
  t, pick, applyTranslations, bindLanguageSwitch, onLangChange, formatDistance, errorText, reportCount,
} from './i18n.js';
import { deskMap } from './mapkit.js';
import { startSession, roleName } from './session.js';
import { isOpen, loadWorkflow, movesFrom, statusName } from './workflow.js';

const L = window.L;

/** The two moves a crew makes from its list (the workflow allows them to crews). */
const START = 'in_progress';
const FIXED = 'fixed';

const state = {
  map: null,
  routeLayer: null,
  areaLayer: null,
  startLayer: null,
  drawing: false,
  corners: [],
  area: null, // GeoJSON Polygon drawn by the crew, or null
  start: null, // { lonlat: [lon, lat], how: 'here' | 'centre' } or null
  last: null, // the last worklist (GeoJSON)
  message: null, // { key, vars, kind } of the status line, redrawn on a language change
  markers: new Map(), // cluster id -> Leaflet marker
  who: null, // the signed-in account (GET /api/v1/me)
};

function say(key, vars = {}, kind = 'info') {
  state.message = { key, vars, kind };
  renderMessage();
}

function renderMessage() {
  const m = state.message;
  $('message').textContent = m ? t(m.key, m.vars) : '';
  $('message').dataset.kind = m ? m.kind : 'info';
}

/* ---------- signing in ---------- */

startSession({
  storageKey: 'meldpunt.crew.token',
  refuse: (who) => (['crew', 'dispatcher', 'admin'].includes(who.role) ? null : t('crew.refuse')),
  whoText: (who) => `${who.name} · ${who.department || roleName(who.role)}`,
  onSignIn: async (who) => {
    state.who = who;
    $('work').hidden = false;
    await setupMap();
    say('crew.signed_in', { name: who.name });
  },
  onSignOut: () => {
    $('work').hidden = true;
    $('token').focus();
  },
});

/* ---------- the map and the area ---------- */

async function setupMap() {
  if (state.map) {
    state.map.invalidateSize();
    return;
  }
  const [config] = await Promise.all([getConfig(), loadWorkflow(), loadCategories()]);
  const districts = getDistricts();
  state.map = deskMap($('map'), config, { districts });
  const select = $('district');
  const features = [...(await districts).features]
    .sort((a, b) => pick(a.properties.name).localeCompare(pick(b.properties.name)));
  select.append(...features.map((f) => el('option', { value: f.properties.code, text: pick(f.properties.name) })));
  state.map.on('click', (e) => {
    if (!state.drawing) return;
    state.corners.push([e.latlng.lng, e.latlng.lat]);
    drawArea(false);
  });
}

function drawArea(closed) {
  if (state.areaLayer) state.areaLayer.remove();
  state.areaLayer = null;
  if (!state.corners.length) return;
  const latlngs = state.corners.map(([lon, lat]) => [lat, lon]);
  state.areaLayer = closed || state.corners.length > 2
    ? L.polygon(latlngs, { className: closed ? 'area' : 'area drawing', weight: 2, interactive: false })
    : L.polyline(latlngs, { className: 'area drawing', weight: 2, interactive: false });
  state.areaLayer.addTo(state.map);
}

function setDrawing(on) {
  state.drawing = on;
  $('draw').hidden = on;
  $('draw-done').hidden = !on;
  $('draw-hint').hidden = !on;
  $('map').classList.toggle('drawing', on);
}

function finishDrawing() {
  setDrawing(false);
  if (state.corners.length < 3) {
    state.corners = [];
    drawArea(false);
    say('crew.area_too_small', {}, 'error');
    return;
  }
  state.area = { type: 'Polygon', coordinates: [[...state.corners, state.corners[0]]] };
  drawArea(true);
  $('draw-clear').hidden = false;
  say('crew.area_set');
}

function clearArea() {
  state.corners = [];
  state.area = null;
  drawArea(false);
  setDrawing(false);
  $('draw-clear').hidden = true;
}

function setStart(start) {
  state.start = start;
  if (state.startLayer) state.startLayer.remove();
  state.startLayer = null;
  $('start-clear').hidden = !start;
  renderStart();
  if (start && state.map) {
    const [lon, lat] = start.lonlat;
    state.startLayer = L.circleMarker([lat, lon], { radius: 8, className: 'start-marker' }).addTo(state.map);
  }
}

function renderStart() {
  const s = state.start;
  $('start-text').textContent = s
    ? t('crew.start_at', { place: t(`crew.start_${s.how}_text`), lat: s.lonlat[1].toFixed(5), lon: s.lonlat[0].toFixed(5) })
    : t('crew.start_none');
}

/* ---------- the worklist ---------- */

function params() {
  const p = {};
  if (state.area) p.within = JSON.stringify(state.area);
  else if ($('district').value) p.district = $('district').value;
  if (state.start) p.start = `${state.start.lonlat[0].toFixed(7)},${state.start.lonlat[1].toFixed(7)}`;
  return p;
}

function fmtAge(days) {
  if (days < 1) return t('crew.age_today');
  const d = Math.floor(days);
  return d === 1 ? t('crew.age_one') : t('crew.age_many', { days: d });
}

const jobTitle = (p) => `${p.stop}. ${categoryName(p.category, p.category_name)}`;

/**
 * Why a job on the list offers this crew no button: another department's job, no department
 * yet, or a status only the office moves on (a new job waits to be acknowledged). Null when
 * the crew has a move to make.
 */
function whyNoAction(p) {
  if (p.actions.includes(START) || p.actions.includes(FIXED)) return null;
  const who = state.who;
  if (who && who.role === 'crew') {
    if (!p.department) return t('crew.why_no_department');
    if (p.department !== who.department) return t('crew.why_other_department', { department: p.department });
  }
  const moves = movesFrom(p.status);
  if (moves.some((m) => m.crew)) return p.actions.length ? null : t('crew.why_none');
  // Only the office moves it on: name the first open status it can go to.
  const next = moves.find((m) => isOpen(m.to)) || moves[0];
  return next ? t('crew.why_waiting', { status: statusName(next.to) }) : t('crew.why_none');
}

/** geo: opens the phone's navigation app; the web map works everywhere else. */
function navigationLinks(li, p) {
  const lat = p.lat.toFixed(6);
  const lon = p.lon.toFixed(6);
  const nav = li.querySelector('.act-nav');
  nav.href = `geo:${lat},${lon}?q=${lat},${lon}`;
  nav.setAttribute('aria-label', t('crew.navigate_label', { stop: p.stop }));
  const maps = li.querySelector('.act-maps');
  maps.href = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=18/${lat}/${lon}`;
  maps.setAttribute('aria-label', t('crew.open_maps_label', { stop: p.stop }));
}

function renderList(fc) {
  const tpl = $('job-template');
  $('jobs').replaceChildren(...fc.features.map((f) => {
    const p = f.properties;
    const li = tpl.content.firstElementChild.cloneNode(true);
    applyTranslations(li);
    li.dataset.clusterId = String(f.id);
    li.dataset.status = p.status;
    li.classList.toggle('overdue', p.overdue);
    li.querySelector('.stop').textContent = String(p.stop);
    li.querySelector('.job-title').textContent = jobTitle(p);
    li.querySelector('.job-place').textContent = p.address || p.location || `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}`;
    const bits = [statusName(p.status), reportCount(p.report_count), fmtAge(p.age_days), t('crew.priority', { priority: p.priority })];
    if (p.overdue) bits.push(t('crew.overdue'));
    if (p.leg_m) bits.push(t('crew.leg', { distance: formatDistance(p.leg_m) }));
    li.querySelector('.job-meta').textContent = bits.join(' · ');
    const startBtn = li.querySelector('.act-start');
    const fixedBtn = li.querySelector('.act-fixed');
    startBtn.hidden = !p.actions.includes(START);
    fixedBtn.hidden = !p.actions.includes(FIXED);
    const why = whyNoAction(p);
    li.querySelector('.job-why').textContent = why || '';
    li.querySelector('.job-why').hidden = !why;
    navigationLinks(li, p);
    const details = li.querySelector('.job-details');
    details.addEventListener('toggle', () => {
      if (details.open) showReports(f.id, details.querySelector('.job-reports'));
    });
    startBtn.setAttribute('aria-label', t('crew.act_start_label', { stop: p.stop }));
    fixedBtn.setAttribute('aria-label', t('crew.act_fixed_label', { stop: p.stop }));
    startBtn.addEventListener('click', () => changeStatus(f, START, null, startBtn));
    const form = li.querySelector('.fix-form');
    fixedBtn.addEventListener('click', () => {
      form.hidden = false;
      form.querySelector('textarea').focus();
    });
    li.querySelector('.act-zoom').addEventListener('click', () => {
      state.map.setView([f.geometry.coordinates[1], f.geometry.coordinates[0]], 17);
      state.markers.get(f.id)?.openPopup();
    });
    form.querySelector('.fix-cancel').addEventListener('click', () => { form.hidden = true; });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      changeStatus(f, FIXED, new FormData(form), form.querySelector('button[type=submit]'));
    });
    return li;
  }));
}

/**
 * What the citizens reported of a job: each report's description and photo (thumbnail, full
 * size on tap), read from the job's staff view (a crew reads its own department's jobs only).
 */
async function showReports(id, list) {
  list.replaceChildren(el('li', { class: 'hint', text: t('crew.details_loading') }));
  try {
    const view = await getStaffCluster(id);
    list.replaceChildren(...view.reports.map((r) => {
      const photo = `/api/v1/reports/${encodeURIComponent(r.id)}/photo`;
      return el('li', { dataset: { reportId: String(r.id) } },
        el('p', { class: 'job-desc', text: r.description || t('crew.no_description') }),
        r.has_photo ? el('a', { class: 'job-photo', href: photo, target: '_blank', rel: 'noopener', 'aria-label': t('crew.photo_open', { id: r.id }) },
          el('img', { src: `${photo}/thumb`, alt: t('crew.photo_alt', { id: r.id }), loading: 'lazy' })) : null);
    }));
  } catch (err) {
    list.replaceChildren(el('li', { class: 'error', text: t('crew.details_failed', { message: errorText(err) }) }));
  }
}

function renderMap(fc, { fit = true } = {}) {
  if (state.routeLayer) state.routeLayer.remove();
  state.markers.clear();
  state.routeLayer = L.layerGroup().addTo(state.map);
  const line = fc.route.coordinates.map(([lon, lat]) => [lat, lon]);
  if (line.length > 1) L.polyline(line, { className: 'route-line', weight: 4, interactive: false }).addTo(state.routeLayer);
  for (const f of fc.features) {
    const p = f.properties;
    const icon = L.divIcon({
      className: `stop-icon${p.overdue ? ' overdue' : ''}${p.status === START ? ' busy' : ''}`,
      html: el('span', { text: p.stop }),
      iconSize: [28, 28],
      iconAnchor: [14, 14],
    });
    const m = L.marker([f.geometry.coordinates[1], f.geometry.coordinates[0]], {
      icon, title: jobTitle(p), keyboard: true,
    }).addTo(state.routeLayer);
    m.bindPopup(el('div', {}, el('strong', { text: jobTitle(p) }),
      el('div', { text: p.address || p.location || '' })));
    state.markers.set(f.id, m);
  }
  if (fit && fc.features.length) {
    state.map.fitBounds(L.latLngBounds(line.length ? line : fc.features.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]])).pad(0.15));
  }
}

function renderSummary() {
  const fc = state.last;
  if (!fc) return;
  const dept = fc.department ? t('crew.for_department', { department: fc.department }) : '';
  $('summary').textContent = fc.count
    ? t(fc.count === 1 ? 'crew.summary_one' : 'crew.summary_many', { count: fc.count, dept, length: formatDistance(fc.route_length_m) })
    : t('crew.summary_none', { dept });
}

async function loadWorklist({ quiet = false } = {}) {
  if (!quiet) say('crew.loading');
  const fc = await getWorklist(params());
  state.last = fc;
  renderMap(fc);
  renderList(fc);
  renderSummary();
  for (const id of ['print', 'dl-gpx', 'dl-csv']) $(id).disabled = !fc.count;
  if (!quiet) say(fc.count ? 'crew.loaded' : 'crew.loaded_none', { count: fc.count });
  return fc;
}

async function changeStatus(feature, status, form, button) {
  const p = feature.properties;
  const stop = { stop: p.stop, category: categoryName(p.category, p.category_name) };
  button.disabled = true;
  try {
    if (form) {
      const body = new FormData();
      body.set('status', status);
      const note = String(form.get('note') || '').trim();
      if (note) body.set('note', note);
      body.set('note_public', form.get('note_public') ? 'true' : 'false');
      const photo = form.get('photo');
      if (photo && photo.size) body.set('photo', photo, photo.name || 'photo.jpg');
      await postStatus(feature.id, body);
    } else {
      await postStatus(feature.id, { status });
    }
    await loadWorklist({ quiet: true });
    say(status === FIXED ? 'crew.done_fixed' : 'crew.done_started', stop, 'ok');
  } catch (err) {
    say('crew.update_failed', { stop: p.stop, message: errorText(err) }, 'error');
    button.disabled = false;
  }
}

async function download(format) {
  try {
    const blob = await getWorklist(params(), format);
    const a = el('a', { href: URL.createObjectURL(blob), download: `worklist.${format}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (err) {
    say('crew.download_failed', { message: errorText(err) }, 'error');
  }
}

/* ---------- wiring ---------- */

function start() {
  applyTranslations(document);
  bindLanguageSwitch($('lang-switch'));
  renderStart();
  onLangChange(() => {
    renderStart();
    renderMessage();
    if (state.last) {
      renderMap(state.last, { fit: false });
      renderList(state.last);
      renderSummary();
    }
  });
  $('area-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (state.drawing) finishDrawing();
    try {
      await loadWorklist();
    } catch (err) {
      say('crew.load_failed', { message: errorText(err) }, 'error');
    }
  });
  $('district').addEventListener('change', () => {
    if ($('district').value) clearArea();
  });
  $('draw').addEventListener('click', () => {
    clearArea();
    $('district').value = '';
    setDrawing(true);
  });
  $('draw-done').addEventListener('click', finishDrawing);
  $('draw-clear').addEventListener('click', clearArea);
  $('start-here').addEventListener('click', () => {
    if (!navigator.geolocation) {
      say('crew.no_geolocation', {}, 'error');
      return;
    }
    say('crew.locating');
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setStart({ lonlat: [pos.coords.longitude, pos.coords.latitude], how: 'here' });
        say('crew.start_set_here');
      },
      (err) => say('crew.no_location', { message: err.message }, 'error'),
      { enableHighAccuracy: true, timeout: 15000 },
    );
  });
  $('start-centre').addEventListener('click', () => {
    const c = state.map.getCenter();
    setStart({ lonlat: [c.lng, c.lat], how: 'centre' });
  });
  $('start-clear').addEventListener('click', () => setStart(null));
  $('print').addEventListener('click', () => window.print());
  $('dl-gpx').addEventListener('click', () => download('gpx'));
  $('dl-csv').addEventListener('click', () => download('csv'));
}

start();
