// The dispatcher page: the incoming queue, a cluster with its reports and why they were folded
// together, merge and split, status and assignment, and a form for reports taken by phone,
// e-mail or at the counter (same duplicate check as the public form). Talks to the JSON API with
// the dispatcher's bearer token; nothing is cached beyond the page.

const TOKEN_KEY = 'meldpunt.staff.token';
const $ = (id) => document.getElementById(id);

let token = null;
let me = null;
let config = null;
let categories = [];
let crews = [];
let current = null; // the cluster shown in the detail
let detailMap = null;
let detailLayer = null;
let intakeMap = null;
let intakeMarker = null;
let intakePoint = null;
const blobUrls = [];

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(path, { method = 'GET', json, raw = false, withToken = token } = {}) {
  const headers = { Accept: 'application/json' };
  if (withToken) headers.Authorization = `Bearer ${withToken}`;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body });
  } catch (err) {
    throw new HttpError(0, 'network', `No connection (${err.message}).`);
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
    if (res.status === 401 && withToken === token && me) signOut('Your sign-in is no longer valid.');
    throw new HttpError(res.status, e.code || `http_${res.status}`, e.message || res.statusText);
  }
  return data;
}

function say(text, kind = 'info') {
  const el = $('message');
  el.textContent = text;
  el.dataset.kind = kind;
}

function el(tag, { cls, text, attrs } = {}, ...children) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

const STATUS_TEXT = {
  new: 'New', acknowledged: 'Acknowledged', scheduled: 'Scheduled', in_progress: 'In progress',
  fixed: 'Fixed', closed: 'Closed', not_responsible: 'Not our responsibility', reopened: 'Reopened',
};

function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const tz = config && config.city ? config.city.timezone : undefined;
  try {
    return d.toLocaleString('en-US', { timeZone: tz, dateStyle: 'medium', timeStyle: 'short' });
  } catch {
    return iso;
  }
}

function categoryName(code) {
  const c = categories.find((x) => x.code === code);
  if (!c) return code;
  return typeof c.name === 'string' ? c.name : (c.name && (c.name.en || c.name.nl)) || code;
}

// ---- sign in ----

async function signIn(candidate) {
  const who = await call('/api/v1/me', { withToken: candidate });
  if (!['dispatcher', 'admin'].includes(who.role)) {
    throw new HttpError(403, 'forbidden', who.role === 'crew'
      ? 'Crews use the crew page at /crew.' : 'This token is not a dispatcher or admin account.');
  }
  token = candidate;
  me = who;
  try {
    sessionStorage.setItem(TOKEN_KEY, candidate);
  } catch {
    // the token lives as long as the page
  }
  $('who-name').textContent = `${who.name} · ${who.role}`;
  $('who').hidden = false;
  $('tabs').hidden = false;
  $('signin').hidden = true;
  await loadLookups();
  showTab('queue');
  await loadQueue();
}

function signOut(reason) {
  token = null;
  me = null;
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing stored
  }
  for (const id of ['who', 'tabs', 'queue-view', 'intake-view', 'detail']) $(id).hidden = true;
  $('signin').hidden = false;
  $('token').value = '';
  $('signin-error').textContent = reason || '';
  $('signin-error').hidden = !reason;
  say('');
}

async function loadLookups() {
  if (config) return;
  config = await call('/api/v1/config', { withToken: null });
  const cats = await call('/api/v1/categories', { withToken: null });
  categories = cats.categories || [];
  const staff = await call('/api/v1/staff/crews');
  crews = staff.crews.filter((c) => !c.disabled);
  const fill = (select, items) => {
    for (const [value, label] of items) select.append(el('option', { text: label, attrs: { value } }));
  };
  fill($('f-department'), staff.departments.map((d) => [d, d]));
  fill($('a-department'), staff.departments.map((d) => [d, d]));
  fill($('a-crew'), crews.map((c) => [c.name, `${c.name} (${c.department})`]));
  const catItems = categories.map((c) => [c.code, categoryName(c.code)]);
  fill($('f-category'), catItems);
  fill($('i-category'), catItems);
}

// ---- queue ----

async function loadQueue() {
  const q = new URLSearchParams({ status: $('f-status').value, limit: '200' });
  if ($('f-department').value) q.set('department', $('f-department').value);
  if ($('f-category').value) q.set('category', $('f-category').value);
  const data = await call(`/api/v1/staff/queue?${q}`);
  const list = $('queue');
  list.replaceChildren();
  for (const c of data.clusters) {
    const facts = [c.district_name, `${c.report_count} report${c.report_count === 1 ? '' : 's'}`,
      `${Math.floor(c.age_days)} d`, `P${c.priority}`, c.department || '—'];
    const btn = el('button', { cls: 'queue-item', attrs: { type: 'button', 'data-cluster-id': String(c.cluster_id) } },
      el('span', { cls: 'q-title', text: `#${c.cluster_id} ${c.category_name}` }),
      el('span', { cls: 'q-place', text: c.address || c.location || '' }),
      el('span', { cls: 'q-facts', text: facts.filter(Boolean).join(' · ') }));
    if (c.overdue) btn.append(el('span', { cls: 'badge overdue', text: 'overdue' }));
    if (c.status !== 'new') btn.append(el('span', { cls: 'badge', text: STATUS_TEXT[c.status] || c.status }));
    btn.addEventListener('click', () => openDetail(c.cluster_id));
    list.append(el('li', {}, btn));
  }
  $('queue-count').textContent = data.total > data.count
    ? `Showing the oldest ${data.count} of ${data.total}.` : `${data.count} cluster${data.count === 1 ? '' : 's'}.`;
}

// ---- detail ----

function joinText(r) {
  const j = r.join_reason;
  if (!j) return 'no reasoning stored';
  switch (j.kind) {
    case 'new': return 'started this cluster';
    case 'same_as': return `the reporter said it is the same (${Math.round(j.distance_m)} m away)`;
    case 'staff': return 'moved here by staff';
    case 'nearest': {
      const along = j.along_m !== undefined && j.along_m >= 0 ? `, ${Math.round(j.along_m)} m along the street` : '';
      return `joined: ${j.distance_m.toFixed(1)} m from the centre${along} (${j.rule} rule, limit ${Math.round(j.radius_m)} m, ${Math.round(j.age_s / 86400)} d after the last report)`;
    }
    default: return j.kind;
  }
}

function fact(dl, term, value) {
  dl.append(el('dt', { text: term }), el('dd', { text: value }));
}

async function openDetail(id) {
  const data = await call(`/api/v1/staff/clusters/${id}`);
  current = data;
  const c = data.cluster;
  for (const b of document.querySelectorAll('.queue-item')) b.classList.toggle('selected', b.dataset.clusterId === String(id));
  $('detail').hidden = false;
  $('detail').dataset.clusterId = String(id);
  $('detail-title').textContent = `#${c.cluster_id} ${c.category_name} — ${STATUS_TEXT[c.status] || c.status}`;
  $('detail-place').textContent = [c.address, c.location, c.district_name].filter(Boolean).join(' · ');
  const dl = $('detail-facts');
  dl.replaceChildren();
  fact(dl, 'Reports', c.report_count);
  fact(dl, 'First report', when(c.first_at));
  fact(dl, 'Department', `${c.department || '—'} (${c.route_rule === 'manual' ? 'assigned' : `rule: ${c.route_rule}`})`);
  fact(dl, 'Crew', c.crew || '—');
  fact(dl, 'Priority', `${c.priority} (${c.priority_rule})`);
  fact(dl, 'Due', `${when(c.due_at)}${c.overdue ? ' — OVERDUE' : ''} (${c.service_days} working days)`);

  const sel = $('s-status');
  sel.replaceChildren(...c.actions.map((a) => el('option', { text: STATUS_TEXT[a] || a, attrs: { value: a } })));
  $('status-form').querySelector('button').disabled = !c.actions.length;
  $('s-note').value = '';
  $('s-public').checked = false;
  $('a-department').value = c.route_rule === 'manual' ? (c.department || '') : '';
  $('a-crew').value = c.crew || '';
  $('a-priority').value = c.priority_rule === 'manual' ? String(c.priority) : '';
  $('m-into').value = '';

  const reports = $('detail-reports');
  reports.replaceChildren();
  for (const r of data.reports) {
    const li = el('li', { attrs: { 'data-report-id': String(r.id) } },
      el('div', { cls: 'r-head', text: `Report ${r.id} · ${when(r.created_at)} · by ${r.channel}` }),
      el('div', { cls: 'r-desc', text: r.description || '(no description)' }),
      el('div', { cls: 'r-why', text: joinText(r) }));
    if (r.address) li.append(el('div', { cls: 'r-addr', text: r.address }));
    if (r.contact && (r.contact.name || r.contact.email || r.contact.phone)) {
      li.append(el('div', { cls: 'r-contact', text: `Contact: ${[r.contact.name, r.contact.email, r.contact.phone].filter(Boolean).join(', ')}` }));
    }
    if (data.reports.length > 1) {
      const split = el('button', { text: 'Split off into a new cluster', attrs: { type: 'button', class: 'small' } });
      split.addEventListener('click', () => moveReport(r.id));
      li.append(split);
    }
    reports.append(li);
  }
  const hist = $('detail-history');
  hist.replaceChildren();
  for (const h of data.history) {
    const li = el('li', { text: `${when(h.at)} — ${STATUS_TEXT[h.status] || h.status}${h.actor ? ` by ${h.actor}` : ''}` });
    if (h.note) li.append(el('div', { cls: h.note_public ? 'note public' : 'note internal', text: `${h.note_public ? 'Public' : 'Internal'} note: ${h.note}` }));
    hist.append(li);
  }
  const audit = $('detail-audit');
  audit.replaceChildren(...data.audit.map((a) => el('li', { text: `${when(a.at)} ${a.user}: ${a.action} ${JSON.stringify(a.detail)}` })));
  await showPhotos(data.photos);
  showDetailMap(data);
}

async function showPhotos(photos) {
  while (blobUrls.length) URL.revokeObjectURL(blobUrls.pop());
  const box = $('detail-photos');
  box.replaceChildren();
  if (!photos.length) return;
  box.append(el('h3', { text: 'Crew photos' }));
  for (const p of photos) {
    try {
      const blob = await call(p.thumb_url, { raw: true });
      const url = URL.createObjectURL(blob);
      blobUrls.push(url);
      box.append(el('figure', {}, el('img', { attrs: { src: url, alt: `Photo by ${p.actor}, ${STATUS_TEXT[p.status] || p.status}` } }),
        el('figcaption', { text: `${when(p.at)} · ${p.actor}` })));
    } catch {
      box.append(el('p', { cls: 'hint', text: `Photo ${p.id} could not be loaded.` }));
    }
  }
}

function baseMap(elId) {
  const c = config.city;
  const m = L.map(elId, { center: [c.center[1], c.center[0]], zoom: c.zoom, minZoom: 9 });
  m.attributionControl.setPrefix(false);
  if (config.tiles && config.tiles.url) {
    L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution || '', maxZoom: config.tiles.max_zoom || 19 }).addTo(m);
  } else {
    $(elId).classList.add('no-tiles');
    call('/api/v1/districts', { withToken: null }).then((d) => {
      L.geoJSON(d, { interactive: false, style: { className: 'district', weight: 1 } }).addTo(m);
    }).catch(() => {});
  }
  return m;
}

function showDetailMap(data) {
  if (!detailMap) detailMap = baseMap('detail-map');
  if (detailLayer) detailLayer.remove();
  detailLayer = L.layerGroup().addTo(detailMap);
  const pts = data.reports.map((r) => [r.lat, r.lon]);
  for (const r of data.reports) {
    L.circleMarker([r.lat, r.lon], { radius: 7, className: 'report-dot' }).bindTooltip(`Report ${r.id}`).addTo(detailLayer);
  }
  L.circleMarker([data.cluster.lat, data.cluster.lon], { radius: 11, className: 'cluster-ring' }).addTo(detailLayer);
  detailMap.invalidateSize();
  if (pts.length) detailMap.fitBounds(L.latLngBounds(pts).pad(0.5), { maxZoom: 18 });
}

async function refreshAfter(text) {
  say(text, 'ok');
  const id = current && current.cluster.cluster_id;
  await loadQueue();
  if (id) {
    try {
      await openDetail(id);
    } catch {
      $('detail').hidden = true; // merged away
    }
  }
}

async function moveReport(reportId) {
  try {
    const r = await call(`/api/v1/reports/${reportId}/move`, { method: 'POST', json: { to: null } });
    const landed = r && r.cluster && (r.cluster.id || r.cluster.cluster_id);
    await refreshAfter(`Report ${reportId} moved${landed ? ` to cluster ${landed}` : ''}.`);
  } catch (err) {
    say(`Could not move report ${reportId}: ${err.message}`, 'error');
  }
}

// ---- intake ----

function setupIntakeMap() {
  if (intakeMap) {
    intakeMap.invalidateSize();
    return;
  }
  intakeMap = baseMap('intake-map');
  intakeMap.on('click', (e) => {
    intakePoint = { lat: e.latlng.lat, lon: e.latlng.lng };
    if (intakeMarker) intakeMarker.setLatLng(e.latlng);
    else intakeMarker = L.circleMarker(e.latlng, { radius: 9, className: 'intake-pin' }).addTo(intakeMap);
    $('i-where').textContent = `Location: ${intakePoint.lat.toFixed(6)}, ${intakePoint.lon.toFixed(6)}`;
    checkNearby();
  });
}

async function checkNearby() {
  const box = $('i-nearby');
  box.replaceChildren();
  if (!intakePoint || !$('i-category').value) return;
  try {
    const q = new URLSearchParams({ lat: intakePoint.lat.toFixed(7), lon: intakePoint.lon.toFixed(7), category: $('i-category').value });
    const n = await call(`/api/v1/nearby?${q}`, { withToken: null });
    if (n.would_join) {
      const c = n.clusters.find((x) => x.id === n.would_join);
      box.append(el('p', { cls: 'would-join', text: `Duplicate check: this will join cluster #${n.would_join}${c ? ` (${c.report_count} reports, ${Math.round(c.distance_m)} m away, ${STATUS_TEXT[c.status] || c.status})` : ''}.` }));
    } else {
      box.append(el('p', { text: `Duplicate check: no open cluster within ${Math.round(n.radius_m)} m — this starts a new one.` }));
    }
  } catch (err) {
    box.append(el('p', { cls: 'error', text: `Duplicate check failed: ${err.message}` }));
  }
}

async function submitIntake(e) {
  e.preventDefault();
  const out = $('intake-result');
  out.dataset.kind = 'error';
  if (!intakePoint) {
    out.textContent = 'Click the map to place the report first.';
    return;
  }
  const contact = { name: $('i-name').value.trim(), email: $('i-email').value.trim(), phone: $('i-phone').value.trim() };
  const body = {
    category: $('i-category').value,
    lat: Number(intakePoint.lat.toFixed(7)),
    lon: Number(intakePoint.lon.toFixed(7)),
    channel: $('i-channel').value,
  };
  if ($('i-address').value.trim()) body.address = $('i-address').value.trim();
  if ($('i-description').value.trim()) body.description = $('i-description').value.trim();
  if (contact.name || contact.email || contact.phone) {
    body.contact = Object.fromEntries(Object.entries(contact).filter(([, v]) => v));
  }
  try {
    const r = await call('/api/v1/reports', { method: 'POST', json: body });
    out.dataset.kind = 'ok';
    out.textContent = r.joined
      ? `Report ${r.report.id} saved; it joined cluster #${r.cluster.id} (now ${r.cluster.report_count} reports).`
      : `Report ${r.report.id} saved as new cluster #${r.cluster.id}.`;
    out.dataset.clusterId = String(r.cluster.id);
    for (const id of ['i-address', 'i-description', 'i-name', 'i-email', 'i-phone']) $(id).value = '';
    $('i-nearby').replaceChildren();
  } catch (err) {
    out.textContent = `Not saved: ${err.message}`;
  }
}

// ---- wiring ----

function showTab(name) {
  const queue = name === 'queue';
  $('queue-view').hidden = !queue;
  $('intake-view').hidden = queue;
  $('tab-queue').setAttribute('aria-pressed', String(queue));
  $('tab-intake').setAttribute('aria-pressed', String(!queue));
  if (!queue) setupIntakeMap();
  else if (detailMap) detailMap.invalidateSize();
}

function bind() {
  $('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = $('token').value.trim();
    $('signin-error').hidden = true;
    try {
      await signIn(value);
    } catch (err) {
      $('signin-error').textContent = err.status === 401 ? 'This token is not valid.' : err.message;
      $('signin-error').hidden = false;
    }
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('tab-queue').addEventListener('click', () => showTab('queue'));
  $('tab-intake').addEventListener('click', () => showTab('intake'));
  $('queue-filters').addEventListener('submit', (e) => {
    e.preventDefault();
    loadQueue().catch((err) => say(`Could not load the queue: ${err.message}`, 'error'));
  });
  for (const id of ['f-status', 'f-department', 'f-category']) {
    $(id).addEventListener('change', () => loadQueue().catch((err) => say(err.message, 'error')));
  }
  $('status-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const id = current.cluster.cluster_id;
    const status = $('s-status').value;
    try {
      await call(`/api/v1/clusters/${id}/status`, {
        method: 'POST',
        json: { status, note: $('s-note').value.trim() || null, note_public: $('s-public').checked },
      });
      await refreshAfter(`Cluster #${id} is now ${STATUS_TEXT[status] || status}.`);
    } catch (err) {
      say(`Status not changed: ${err.message}`, 'error');
    }
  });
  $('assign-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const id = current.cluster.cluster_id;
    const pr = $('a-priority').value;
    const json = {
      department: $('a-department').value || null,
      crew: $('a-crew').value || null,
      priority: pr ? Number(pr) : null,
    };
    try {
      await call(`/api/v1/clusters/${id}/assign`, { method: 'POST', json });
      await refreshAfter(`Cluster #${id} assigned.`);
    } catch (err) {
      say(`Not assigned: ${err.message}`, 'error');
    }
  });
  $('merge-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const id = current.cluster.cluster_id;
    const into = Number($('m-into').value);
    if (!Number.isInteger(into) || into <= 0 || into === id) {
      say('Give the number of another cluster to merge into.', 'error');
      return;
    }
    try {
      await call(`/api/v1/clusters/${id}/merge`, { method: 'POST', json: { into } });
      say(`Cluster #${id} merged into #${into}.`, 'ok');
      await loadQueue();
      await openDetail(into);
    } catch (err) {
      say(`Not merged: ${err.message}`, 'error');
    }
  });
  $('intake-form').addEventListener('submit', submitIntake);
  $('i-category').addEventListener('change', checkNearby);
}

async function main() {
  bind();
  let saved = null;
  try {
    saved = sessionStorage.getItem(TOKEN_KEY);
  } catch {
    saved = null;
  }
  if (saved) {
    try {
      await signIn(saved);
      return;
    } catch {
      // fall through to the form
    }
  }
  signOut();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
