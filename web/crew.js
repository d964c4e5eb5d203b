// The crew page: sign in with a token, pick a district or draw an area, pull the worklist in
// driving order, see it on the map and as a printable list, and mark jobs in progress or fixed
// (with a note and a photo) from a phone. Talks only to the JSON API with a bearer token.

const TOKEN_KEY = 'meldpunt.crew.token';
const $ = (id) => document.getElementById(id);

let token = null;
let me = null;
let config = null;
let map = null;
let routeLayer = null;
let areaLayer = null;
let startLayer = null;
let drawing = false;
let corners = [];
let area = null; // GeoJSON Polygon drawn by the crew, or null
let start = null; // [lon, lat] or null
let last = null; // the last worklist (GeoJSON)
const markers = new Map(); // cluster id -> Leaflet marker

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function keepToken(value, remember) {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(TOKEN_KEY);
    if (value) (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, value);
  } catch {
    // private mode: the token lives as long as the page
  }
}

async function call(path, { method = 'GET', json, form, raw = false, withToken = token } = {}) {
  const headers = { Accept: 'application/json' };
  if (withToken) headers.Authorization = `Bearer ${withToken}`;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body });
  } catch (err) {
    throw new HttpError(0, 'network', `No connection (${err.message}). Try again.`);
  }
  if (res.ok && raw) return res.blob();
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    if (res.status === 401 && withToken === token && me) signOut('Your sign-in is no longer valid. Please sign in again.');
    throw new HttpError(res.status, e.code || `http_${res.status}`, e.message || res.statusText);
  }
  return data;
}

function say(text, kind = 'info') {
  const el = $('message');
  el.textContent = text;
  el.dataset.kind = kind;
}

// ---- sign in ----

async function signIn(candidate, remember) {
  const who = await call('/api/v1/me', { withToken: candidate });
  if (!['crew', 'dispatcher', 'admin'].includes(who.role)) {
    throw new HttpError(403, 'forbidden', 'This token is not a crew or staff account.');
  }
  token = candidate;
  me = who;
  keepToken(candidate, remember);
  $('who-name').textContent = `${who.name} · ${who.department || who.role}`;
  $('who').hidden = false;
  $('signin').hidden = true;
  $('work').hidden = false;
  await setupMap();
  say(`Signed in as ${who.name}. Pick a district or draw an area, then “Get worklist”.`);
}

function signOut(reason) {
  token = null;
  me = null;
  keepToken(null);
  $('who').hidden = true;
  $('work').hidden = true;
  $('signin').hidden = false;
  $('token').value = '';
  const err = $('signin-error');
  err.textContent = reason || '';
  err.hidden = !reason;
  $('token').focus();
}

// ---- map ----

async function setupMap() {
  if (map) {
    map.invalidateSize();
    return;
  }
  config = await call('/api/v1/config', { withToken: null });
  const c = config.city;
  map = L.map('map', { center: [c.center[1], c.center[0]], zoom: c.zoom, minZoom: 9 });
  map.attributionControl.setPrefix(false);
  if (config.tiles && config.tiles.url) {
    L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution || '', maxZoom: config.tiles.max_zoom || 19 }).addTo(map);
  } else {
    $('map').classList.add('no-tiles');
  }
  const districts = await call('/api/v1/districts', { withToken: null });
  L.geoJSON(districts, { interactive: false, style: { className: 'district', weight: 1 } }).addTo(map);
  const select = $('district');
  const sorted = [...districts.features].sort((a, b) => a.properties.name.localeCompare(b.properties.name));
  for (const f of sorted) {
    const o = document.createElement('option');
    o.value = f.properties.code;
    o.textContent = f.properties.name;
    select.append(o);
  }
  map.on('click', (e) => {
    if (!drawing) return;
    corners.push([e.latlng.lng, e.latlng.lat]);
    drawArea(false);
  });
}

function drawArea(closed) {
  if (areaLayer) areaLayer.remove();
  areaLayer = null;
  if (!corners.length) return;
  const latlngs = corners.map(([lon, lat]) => [lat, lon]);
  areaLayer = closed || corners.length > 2
    ? L.polygon(latlngs, { className: closed ? 'area' : 'area drawing', weight: 2, interactive: false })
    : L.polyline(latlngs, { className: 'area drawing', weight: 2, interactive: false });
  areaLayer.addTo(map);
}

function setDrawing(on) {
  drawing = on;
  $('draw').hidden = on;
  $('draw-done').hidden = !on;
  $('draw-hint').hidden = !on;
  $('map').classList.toggle('drawing', on);
}

function setStart(lonlat, text) {
  start = lonlat;
  if (startLayer) startLayer.remove();
  startLayer = null;
  $('start-clear').hidden = !lonlat;
  $('start-text').textContent = lonlat ? `Start: ${text} (${lonlat[1].toFixed(5)}, ${lonlat[0].toFixed(5)}).`
    : 'Start: wherever the route is shortest.';
  if (lonlat && map) {
    startLayer = L.circleMarker([lonlat[1], lonlat[0]], { radius: 8, className: 'start-marker' }).addTo(map);
  }
}

// ---- worklist ----

function query(format) {
  const q = new URLSearchParams();
  if (area) q.set('within', JSON.stringify(area));
  else if ($('district').value) q.set('district', $('district').value);
  if (start) q.set('start', `${start[0].toFixed(7)},${start[1].toFixed(7)}`);
  if (format) q.set('format', format);
  return `/api/v1/worklist?${q}`;
}

function fmtKm(m) {
  return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`;
}

function fmtAge(days) {
  if (days < 1) return 'today';
  const d = Math.floor(days);
  return d === 1 ? '1 day old' : `${d} days old`;
}

const STATUS_TEXT = {
  new: 'New', acknowledged: 'Acknowledged', scheduled: 'Scheduled', in_progress: 'In progress',
  reopened: 'Reopened', fixed: 'Fixed', closed: 'Closed', not_responsible: 'Not ours',
};

function renderList(fc) {
  const list = $('jobs');
  list.replaceChildren();
  const tpl = $('job-template');
  for (const f of fc.features) {
    const p = f.properties;
    const li = tpl.content.firstElementChild.cloneNode(true);
    li.dataset.clusterId = String(f.id);
    li.dataset.status = p.status;
    li.classList.toggle('overdue', p.overdue);
    li.querySelector('.stop').textContent = String(p.stop);
    li.querySelector('.job-title').textContent = `${p.stop}. ${p.category_name}`;
    li.querySelector('.job-place').textContent = p.address || p.location || `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}`;
    const bits = [STATUS_TEXT[p.status] || p.status, `${p.report_count} report${p.report_count === 1 ? '' : 's'}`,
      fmtAge(p.age_days), `priority ${p.priority}`];
    if (p.overdue) bits.push('OVERDUE');
    if (p.leg_m) bits.push(`${fmtKm(p.leg_m)} from the previous stop`);
    li.querySelector('.job-meta').textContent = bits.join(' · ');
    const startBtn = li.querySelector('.act-start');
    const fixedBtn = li.querySelector('.act-fixed');
    startBtn.hidden = !p.actions.includes('in_progress');
    fixedBtn.hidden = !p.actions.includes('fixed');
    startBtn.setAttribute('aria-label', `Start work on stop ${p.stop}`);
    fixedBtn.setAttribute('aria-label', `Mark stop ${p.stop} fixed`);
    startBtn.addEventListener('click', () => changeStatus(f, 'in_progress', null, startBtn));
    fixedBtn.addEventListener('click', () => {
      const form = li.querySelector('.fix-form');
      form.hidden = false;
      form.querySelector('textarea').focus();
    });
    li.querySelector('.act-zoom').addEventListener('click', () => {
      map.setView([f.geometry.coordinates[1], f.geometry.coordinates[0]], 17);
      markers.get(f.id)?.openPopup();
    });
    const form = li.querySelector('.fix-form');
    form.querySelector('.fix-cancel').addEventListener('click', () => { form.hidden = true; });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      changeStatus(f, 'fixed', new FormData(form), form.querySelector('button[type=submit]'));
    });
    list.append(li);
  }
}

function renderMap(fc) {
  if (routeLayer) routeLayer.remove();
  markers.clear();
  routeLayer = L.layerGroup().addTo(map);
  const line = fc.route.coordinates.map(([lon, lat]) => [lat, lon]);
  if (line.length > 1) L.polyline(line, { className: 'route-line', weight: 4, interactive: false }).addTo(routeLayer);
  for (const f of fc.features) {
    const p = f.properties;
    const icon = L.divIcon({
      className: `stop-icon${p.overdue ? ' overdue' : ''}${p.status === 'in_progress' ? ' busy' : ''}`,
      html: `<span>${p.stop}</span>`,
      iconSize: [28, 28],
      iconAnchor: [14, 14],
    });
    const m = L.marker([f.geometry.coordinates[1], f.geometry.coordinates[0]], {
      icon, title: `${p.stop}. ${p.category_name}`, keyboard: true,
    }).addTo(routeLayer);
    const pop = document.createElement('div');
    const h = document.createElement('strong');
    h.textContent = `${p.stop}. ${p.category_name}`;
    const place = document.createElement('div');
    place.textContent = p.address || p.location || '';
    pop.append(h, place);
    m.bindPopup(pop);
    markers.set(f.id, m);
  }
  if (fc.features.length) {
    map.fitBounds(L.latLngBounds(line.length ? line : fc.features.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]])).pad(0.15));
  }
}

async function loadWorklist({ quiet = false } = {}) {
  if (!quiet) say('Loading the worklist…');
  const fc = await call(query());
  last = fc;
  renderMap(fc);
  renderList(fc);
  const dept = fc.department ? ` for ${fc.department}` : '';
  $('summary').textContent = fc.count
    ? `${fc.count} job${fc.count === 1 ? '' : 's'}${dept}, route ${fmtKm(fc.route_length_m)}.`
    : `No open jobs${dept} in this area.`;
  for (const id of ['print', 'dl-gpx', 'dl-csv']) $(id).disabled = !fc.count;
  if (!quiet) say(fc.count ? `Worklist loaded: ${fc.count} jobs.` : 'No open jobs in this area.');
  return fc;
}

async function changeStatus(feature, status, form, button) {
  const p = feature.properties;
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
      await call(`/api/v1/clusters/${feature.id}/status`, { method: 'POST', form: body });
    } else {
      await call(`/api/v1/clusters/${feature.id}/status`, { method: 'POST', json: { status } });
    }
    await loadWorklist({ quiet: true });
    say(status === 'fixed' ? `Stop ${p.stop} (${p.category_name}) marked fixed. It has left the list.`
      : `Stop ${p.stop} (${p.category_name}) is now in progress.`, 'ok');
  } catch (err) {
    say(`Could not update stop ${p.stop}: ${err.message}`, 'error');
    button.disabled = false;
  }
}

async function download(format) {
  try {
    const blob = await call(query(format), { raw: true });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `worklist.${format}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (err) {
    say(`Download failed: ${err.message}`, 'error');
  }
}

// ---- wiring ----

function bind() {
  $('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = $('token').value.trim();
    const err = $('signin-error');
    err.hidden = true;
    if (!value) {
      err.textContent = 'Enter your token.';
      err.hidden = false;
      return;
    }
    try {
      await signIn(value, $('remember').checked);
    } catch (ex) {
      err.textContent = ex.status === 401 ? 'This token is not valid.' : ex.message;
      err.hidden = false;
    }
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('area-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (drawing) finishDrawing();
    try {
      await loadWorklist();
    } catch (err) {
      say(`Could not load the worklist: ${err.message}`, 'error');
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
      say('This device cannot tell its location.', 'error');
      return;
    }
    say('Finding your location…');
    navigator.geolocation.getCurrentPosition(
      (pos) => { setStart([pos.coords.longitude, pos.coords.latitude], 'your location'); say('Start set to your location.'); },
      (err) => say(`No location: ${err.message}`, 'error'),
      { enableHighAccuracy: true, timeout: 15000 },
    );
  });
  $('start-centre').addEventListener('click', () => {
    const c = map.getCenter();
    setStart([c.lng, c.lat], 'map centre');
  });
  $('start-clear').addEventListener('click', () => setStart(null));
  $('print').addEventListener('click', () => window.print());
  $('dl-gpx').addEventListener('click', () => download('gpx'));
  $('dl-csv').addEventListener('click', () => download('csv'));
}

function finishDrawing() {
  setDrawing(false);
  if (corners.length < 3) {
    corners = [];
    drawArea(false);
    say('An area needs at least three corners.', 'error');
    return;
  }
  area = { type: 'Polygon', coordinates: [[...corners, corners[0]]] };
  drawArea(true);
  $('draw-clear').hidden = false;
  say('Area set. “Get worklist” shows the jobs inside it.');
}

function clearArea() {
  corners = [];
  area = null;
  drawArea(false);
  setDrawing(false);
  $('draw-clear').hidden = true;
}

async function main() {
  bind();
  const saved = storedToken();
  if (saved) {
    try {
      await signIn(saved, Boolean(localStorage.getItem(TOKEN_KEY)));
      return;
    } catch {
      keepToken(null);
    }
  }
  signOut();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
