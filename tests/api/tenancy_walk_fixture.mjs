// The fixture of the tenant isolation walk (tests/api/tenancy_walk.test.mjs, issue 21 point 4):
// a server on the Halle-Vilvoorde region pack with a real SMTP sink and a webhook receiver that
// always fails, staff of one municipality, of two (Halle and Vilvoorde) and of the whole region,
// and the same life of jobs in Halle, in Vilvoorde and in a third member (Dilbeek), made through
// the real API: reports with photos, contact e-mails,
// phone numbers and descriptions that name their town, a "me too", clusters with internal and
// public notes, an assignment, a crew's photo, a fix, a satisfaction answer with a photo, a
// merge, a move, an Open311 request and a client's update, queued and sent mail, webhook
// deliveries. Every one of them is remembered with its markers (strings and photo bytes that
// may appear only in answers for that municipality). Halle is seeded first, then Vilvoorde, then
// Dilbeek, so that the towns' ids do not interleave (reports 1-7, 8-14 and 15-21, jobs 1-6, 7-12
// and 13-18) and an id in an answer names its town.
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, meldpunt, api, dbQuery, offset, REGION_DIR, SOURCE_DIR } from './lib.mjs';
import { startSink, links } from '../notify/mail.mjs';
import { makePng } from '../e2e/png.mjs';

export const TOWNS = ['halle', 'vilvoorde', 'dilbeek'];
// The prefix of each town's accounts in tok (h_disp, v_crew, d_client, ...); hv_* work for
// Halle and Vilvoorde both.
export const PREFIX = { halle: 'h', vilvoorde: 'v', dilbeek: 'd' };
// Well inside each town (tests/api/region.test.mjs uses the same centres for Halle and
// Vilvoorde; Dilbeek's lies over 2 km from its border along the line); the jobs lie on a line
// east of them, 400 m apart (graffiti folds within 15 m), inside the town up to 2 km. The
// latitudes differ in their second decimal, also from the other towns' boxes (boxOf).
export const CENTRE = { halle: { lat: 50.7345, lon: 4.2370 }, vilvoorde: { lat: 50.9280, lon: 4.4250 },
  dilbeek: { lat: 50.8557, lon: 4.2229 } };
/** A box around a town's jobs (all within 2 km east of its centre). */
export function boxOf(town) {
  const c = CENTRE[town];
  return [c.lon - 0.01, c.lat - 0.01, c.lon + 0.035, c.lat + 0.01].map((v) => v.toFixed(4)).join(',');
}
export const DISTRICT = { halle: '23027', vilvoorde: '23088', dilbeek: '23016' };
export const DISTRICT_NAME = { halle: 'Halle', vilvoorde: 'Vilvoorde', dilbeek: 'Dilbeek' };
const PHONE = { halle: '0470112233', vilvoorde: '0499887766', dilbeek: '0488554433' };
// A different source image per town and use, so that the bytes the server serves (re-encoded)
// tell the towns apart: fixture files for Halle and Vilvoorde, PNGs of three sizes made here for
// Dilbeek (the fixtures hold no third set of distinct pictures).
const PHOTOS = {
  halle: { report: 'gray.jpg', crew: 'alpha_text.png', kto: 'interlaced.png' },
  vilvoorde: { report: 'progressive.jpg', crew: 'gps_orient6.jpg', kto: 'palette_trns.png' },
  dilbeek: { report: [40, 24], crew: [44, 28], kto: [48, 32] },
};
const photoFile = (f) => path.join(SOURCE_DIR, 'tests', 'fixtures', 'photos', f);
const mime = (f) => (f.endsWith('.png') ? 'image/png' : 'image/jpeg');

/** A town's photo for a use: a Blob and a file name. */
async function photoOf(town, use) {
  const f = PHOTOS[town][use];
  if (Array.isArray(f)) return { blob: new Blob([makePng(...f)], { type: 'image/png' }), name: `${town}-${use}.png` };
  return { blob: new Blob([await readFile(photoFile(f))], { type: mime(f) }), name: f };
}

/**
 * Creates an account through the command line: `user add NAME --role R [--department D]
 * (--municipality a,b | --region)`. A binary without tenancy refuses the option; the account
 * is then made without it (region-wide in effect), so that the walk runs and shows what leaks
 * instead of stopping here. Returns { token, scoped } (scoped: whether the option was taken).
 */
async function addUser(srv, env, name, role, { department, towns } = {}) {
  const args = ['user', 'add', name, '--role', role, '--db', srv.db, '--city', REGION_DIR];
  if (department) args.push('--department', department);
  const scope = towns ? ['--municipality', towns.join(',')] : ['--region'];
  try {
    const { stdout } = await meldpunt([...args, ...scope], { env });
    return { token: stdout.trim().split('\n').pop().trim(), scoped: true };
  } catch (e) {
    if (!/municipality|region|unknown|usage|option/i.test(`${e.stderr}${e.stdout}`)) throw e;
    const { stdout } = await meldpunt(args, { env });
    return { token: stdout.trim().split('\n').pop().trim(), scoped: false };
  }
}

/** A receiver that answers every webhook delivery 500, so that deliveries fail (and can be resent). */
async function failingReceiver() {
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.statusCode = 500; res.end('no'); }); });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, stop: () => new Promise((ok) => server.close(ok)) };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** RFC 4180 rows (a BOM, quoted fields) as objects keyed by the header. */
function csvRows(text) {
  const rows = [];
  let row = [];
  let f = '';
  let q = false;
  const t = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < t.length; i++) {
    const ch = t[i];
    if (q) {
      if (ch === '"' && t[i + 1] === '"') { f += '"'; i++; } else if (ch === '"') q = false; else f += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(f); f = ''; } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && t[i + 1] === '\n') i++;
      row.push(f); f = ''; rows.push(row); row = [];
    } else f += ch;
  }
  if (f || row.length) { row.push(f); rows.push(row); }
  const [head, ...rest] = rows;
  return head ? rest.filter((r) => r.length > 1).map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]]))) : [];
}

// A kept-alive connection the server closed while this process was busy (MELDPUNT_HEAD_TIMEOUT,
// 10 s, passed during synchronous database reads on a loaded machine) fails before any answer.
const STALE = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);
/** What a failed fetch was and why (the cause undici gives), keys masked. */
function fetchError(method, p, e, what) {
  const c = e.cause;
  const why = c ? `${c.code ?? c.name ?? ''} ${c.message ?? ''}`.trim() : 'no cause given';
  return new Error(`${method} ${p.replace(/mp_[A-Za-z0-9_-]{43}/g, 'mp_...')}: ${e.message}${what} (${why})`, { cause: e });
}

/** Raw fetch: { status, headers, buf, text, body (JSON when JSON) }. */
export async function call(base, method, p, { token, json, form, headers = {} } = {}) {
  const h = { ...headers };
  let payload;
  if (json !== undefined) { h['Content-Type'] = 'application/json'; payload = JSON.stringify(json); }
  if (form !== undefined) payload = form;
  if (token) h.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(base + p, { method, headers: h, body: payload });
  } catch (e) {
    // Sent once more on a new connection, writes too: the walk compares the other town's rows
    // before and after every write, so a write that did land the first time is caught either way.
    if (!STALE.has(e.cause?.code)) throw fetchError(method, p, e, '');
    try {
      res = await fetch(base + p, { method, headers: h, body: payload });
    } catch (again) {
      throw fetchError(method, p, again, ` (sent twice; first: ${e.cause?.code})`);
    }
  }
  const buf = Buffer.from(await res.arrayBuffer());
  const text = buf.toString('utf8');
  let body;
  const ct = res.headers.get('content-type') || '';
  if (ct.includes('json-seq')) body = { features: text.split(/[\x1e\n]+/).filter((l) => l.trim()).map((l) => JSON.parse(l)) };
  else if (ct.includes('json')) { try { body = JSON.parse(text); } catch { body = undefined; } }
  else if (ct.includes('csv')) body = { features: csvRows(text).map((r) => ({ type: 'Feature', id: r.id, properties: r })) };
  return { status: res.status, headers: res.headers, buf, text, body };
}

/**
 * Starts everything and seeds both towns. Returns
 * { srv, sink, receiver, base, tok: {h_disp, h_crew, h_admin, h_client, v_disp, v_crew,
 *   v_client, v_admin, d_disp, d_crew, d_client, hv_disp, hv_crew, hv_admin, hv_client, r_admin},
 *   scoped, data: {halle, vilvoorde, dilbeek}, cleanup() }.
 * data[town]: ids (reports, clusters, merge, crewPhoto, feedback, outbox, deliveries, o311,
 * update), markers (private strings; public strings), photos (Buffers), crew (name).
 */
export async function setup() {
  const started = [];
  try {
    return await setupIn(started);
  } catch (e) {
    for (const stop of started.reverse()) await stop().catch(() => {});
    throw e;
  }
}

async function setupIn(started) {
  const sink = await startSink();
  started.push(() => sink.stop());
  const receiver = await failingReceiver();
  started.push(() => receiver.stop());
  const env = { MELDPUNT_SMTP_URL: sink.url, MELDPUNT_SMTP_TLS: 'none', MELDPUNT_MAIL_FROM: 'walk@halle-vilvoorde.example',
    MELDPUNT_MAIL_RETRY: '1', MELDPUNT_WEBHOOK_RETRY: '1', MELDPUNT_WEBHOOK_GIVE_UP: '3' };
  const srv = await startServer({ city: REGION_DIR, env });
  started.push(() => srv.cleanup());
  const childEnv = { MELDPUNT_TILE_URL: '', ...env };
  const base = srv.url;
  const tok = {};
  const scoped = [];
  const accounts = [
    ['h_disp', 'halle-dispatcher', 'dispatcher', { towns: ['halle'] }],
    ['h_crew', 'halle-crew-netheid', 'crew', { department: 'netheid', towns: ['halle'] }],
    ['h_admin', 'halle-admin', 'admin', { towns: ['halle'] }],
    ['h_client', 'halle-open311-client', 'client', { towns: ['halle'] }],
    ['v_disp', 'vilvoorde-dispatcher', 'dispatcher', { towns: ['vilvoorde'] }],
    ['v_crew', 'vilvoorde-crew-netheid', 'crew', { department: 'netheid', towns: ['vilvoorde'] }],
    ['v_client', 'vilvoorde-open311-client', 'client', { towns: ['vilvoorde'] }],
    ['v_admin', 'vilvoorde-admin', 'admin', { towns: ['vilvoorde'] }],
    ['d_disp', 'dilbeek-dispatcher', 'dispatcher', { towns: ['dilbeek'] }],
    ['d_crew', 'dilbeek-crew-netheid', 'crew', { department: 'netheid', towns: ['dilbeek'] }],
    ['d_client', 'dilbeek-open311-client', 'client', { towns: ['dilbeek'] }],
    // Of two towns (names that hold no town's account name: those are markers).
    ['hv_disp', 'twotowns-dispatcher', 'dispatcher', { towns: ['halle', 'vilvoorde'] }],
    ['hv_crew', 'twotowns-crew-netheid', 'crew', { department: 'netheid', towns: ['halle', 'vilvoorde'] }],
    ['hv_admin', 'twotowns-admin', 'admin', { towns: ['halle', 'vilvoorde'] }],
    ['hv_client', 'twotowns-open311-client', 'client', { towns: ['halle', 'vilvoorde'] }],
    ['r_admin', 'region-admin', 'admin', {}],
  ];
  for (const [key, name, role, o] of accounts) {
    const u = await addUser(srv, childEnv, name, role, o);
    tok[key] = u.token;
    scoped.push(u.scoped);
    assert.match(u.token, /^mp_[A-Za-z0-9_-]{43}$/, `${name}: ${u.token}`);
  }
  // The webhook first, so that every change of both towns queues a delivery (region-wide
  // configuration: the region admin's).
  const hook = await call(base, 'POST', '/api/v1/webhooks', { token: tok.r_admin, json: {
    url: receiver.url, secret: 'a-long-shared-secret-for-the-walk', contacts: true,
    events: ['report.created', 'cluster.status_changed', 'cluster.merged', 'report.moved', 'cluster.public_note'] } });
  assert.equal(hook.status, 201, hook.text);

  const data = {};
  for (const town of TOWNS) {
    const p = PREFIX[town];
    data[town] = await seedTown(base, srv, sink, town, { disp: tok[`${p}_disp`], crew: tok[`${p}_crew`],
      client: tok[`${p}_client`], admin: tok.r_admin, crewName: accounts.find((a) => a[0] === `${p}_crew`)[1],
      dispName: accounts.find((a) => a[0] === `${p}_disp`)[1] });
  }
  // Webhook deliveries fail after MELDPUNT_WEBHOOK_GIVE_UP (3 s): wait for one of each town.
  for (const town of TOWNS) {
    const d = data[town];
    const ids = () => dbQuery(srv.db, `SELECT id FROM outbox WHERE channel = 'webhook' AND state = 'failed' AND cluster_id IN (${d.clusters.join(',')}) ORDER BY id`)
      .split('\n').filter(Boolean).map(Number);
    for (let i = 0; i < 100 && !ids().length; i++) await sleep(200);
    d.deliveries = ids();
    assert.ok(d.deliveries.length, `${town}: a failed webhook delivery`);
  }
  return {
    srv, sink, receiver, base, tok, data, env: childEnv,
    scoped: scoped.every(Boolean), webhook: hook.body.id,
    cleanup: async () => { await srv.cleanup(); await sink.stop(); await receiver.stop(); },
  };
}

async function seedTown(base, srv, sink, town, who) {
  const TAG = town.toUpperCase();
  const domain = `${town}-walk.example`;
  const c = CENTRE[town];
  const at = (east) => { const q = offset(c, 0, east); return { lat: +q.lat.toFixed(6), lon: +q.lon.toFixed(6) }; };
  const d = { town, reports: [], clusters: [], markers: [], publicMarkers: [], photos: [], crew: who.crewName,
    // Every job of the town lies on its centre's latitude (50.73 or 50.92 to two decimals, cut), which
    // no other town's data in the fixture shares: a coordinate of the town in any format.
    coords: new RegExp(`(?<![\\d.])${String(c.lat).slice(0, 5).replace('.', '\\.')}\\d`) };
  const email = (k) => `${k}.${town}@${domain}`;
  const priv = (...s) => d.markers.push(...s);
  const pub = (...s) => d.publicMarkers.push(...s);
  priv(domain, `${TAG} Reporter`, PHONE[town], who.crewName, who.dispName);

  const json = async (body, token) => {
    const r = await api(base, 'POST', '/api/v1/reports', { token, headers: { 'Accept-Language': 'en' }, json: body });
    assert.equal(r.status, 201, `${town}: ${r.text}`);
    assert.equal(r.body.municipality.id, town, r.text);
    return r.body;
  };
  const desc = (k) => { const s = `${TAG}-WALK-${k} tag sprayed on the wall`; pub(s); return s; };
  // a1: web form with a photo, an address and a phone number.
  const form = new FormData();
  const p0 = at(0);
  for (const [k, v] of Object.entries({ category: 'graffiti', lat: String(p0.lat), lon: String(p0.lon),
    description: desc('A1'), contact_name: `${TAG} Reporter One`, contact_email: email('a1'),
    contact_phone: PHONE[town] })) form.set(k, v);
  const rp = await photoOf(town, 'report');
  form.set('photo', rp.blob, rp.name);
  const a1r = await api(base, 'POST', '/api/v1/reports', { form, headers: { 'Accept-Language': 'en' } });
  assert.equal(a1r.status, 201, a1r.text);
  assert.equal(a1r.body.municipality.id, town);
  const a1 = a1r.body;
  const CA = a1.cluster.id;
  const a2 = await json({ category: 'graffiti', ...at(5), description: desc('A2'), same_as: CA,
    contact: { name: `${TAG} Reporter Two`, email: email('a2') } });
  assert.equal(a2.cluster.id, CA);
  const b1 = await json({ category: 'graffiti', ...at(400), description: desc('B1'), contact: { name: `${TAG} Reporter Three`, email: email('b1') } });
  const c1 = await json({ category: 'graffiti', ...at(800), description: desc('C1'), contact: { email: email('c1') } });
  const d1 = await json({ category: 'graffiti', ...at(1200), description: desc('D1'), contact: { email: email('d1') } });
  // Its reporter's mailbox refuses mail (the sink answers 550 to "reject..."): a failed message.
  const f1 = await json({ category: 'graffiti', ...at(1200), description: desc('F1'), same_as: d1.cluster.id,
    contact: { email: `reject.${town}@${domain}` } });
  // Open311 with the town's own client.
  const o = await api(base, 'POST', '/open311/v2/requests.json', { form: new URLSearchParams({
    api_key: who.client, jurisdiction_id: town, service_code: 'graffiti', ...(({ lat, lon }) => ({ lat: String(lat), long: String(lon) }))(at(1600)),
    description: desc('O311'), email: email('o311'), first_name: TAG, last_name: 'Reporter Open311' }) });
  assert.equal(o.status, 200, o.text);
  const o311 = Number(o.body[0].service_request_id);
  const CO = (await api(base, 'GET', `/api/v1/reports/${o311}`)).body.properties.cluster_id;
  assert.ok(Number.isInteger(CO), `${town}: the Open311 request's job`);
  const updText = `${TAG}-WALK-UPDATE still there`;
  pub(updText);
  const u = await api(base, 'POST', '/open311/v2/servicerequestupdates.json', { form: new URLSearchParams({
    api_key: who.client, service_request_id: String(o311), update_id: `fms-${town}-1`,
    updated_datetime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), status: 'OPEN', description: updText }) });
  assert.equal(u.status, 200, u.text);

  const status = async (cluster, body, token = who.disp) => {
    const r = await api(base, 'POST', `/api/v1/clusters/${cluster}/status`, { token, json: body });
    assert.equal(r.status, 200, `${town} ${JSON.stringify(body)}: ${r.text}`);
    return r.body;
  };
  const internal = `${TAG}-WALK-INTERNAL note for the desk`;
  const publicNote = `${TAG}-WALK-PUBLIC note for citizens`;
  priv(internal);
  pub(publicNote);
  await status(CA, { status: 'acknowledged', note: internal, note_public: false });
  await status(CA, { status: 'scheduled', note: publicNote, note_public: true });
  const as = await api(base, 'POST', `/api/v1/clusters/${CA}/assign`, { token: who.disp,
    json: { department: 'netheid', crew: who.crewName, priority: 1 } });
  assert.equal(as.status, 200, as.text);
  await status(CA, { status: 'in_progress' }, who.crew);
  const cp = await photoOf(town, 'crew');
  const fix = new FormData();
  fix.set('status', 'fixed');
  fix.set('note', `${TAG}-WALK-CREW cleaned`);
  priv(`${TAG}-WALK-CREW cleaned`); // a crew's note on a fix is internal unless made public
  fix.set('photo', cp.blob, cp.name);
  const fx = await api(base, 'POST', `/api/v1/clusters/${CA}/status`, { token: who.crew, form: fix });
  assert.equal(fx.status, 200, fx.text);
  const crewPhoto = fx.body.photo_id;
  assert.ok(Number.isInteger(crewPhoto), fx.text);
  // The satisfaction check of a1's reporter: "not satisfied", with a text and a photo.
  const mails = await sink.waitFor((ms) => ms.some((m) => m.envelope.rcpt_tos.includes(email('a1')) && links(m.text).some((l) => l.includes('/kto.html?'))),
    { what: `${town}: the satisfaction mail` });
  const mail = mails.find((m) => m.envelope.rcpt_tos.includes(email('a1')) && links(m.text).some((l) => l.includes('/kto.html?')));
  const kt = new URL(links(mail.text).find((l) => l.includes('/kto.html?'))).searchParams.get('t');
  const ans = await api(base, 'POST', '/api/v1/kto', { json: { token: kt, satisfied: false } });
  assert.equal(ans.status, 200, ans.text);
  const ktoText = `${TAG}-WALK-KTO it took far too long`;
  priv(ktoText);
  const kp = await photoOf(town, 'kto');
  const det = new FormData();
  det.set('form_token', ans.body.form_token);
  det.set('reasons', 'too_slow');
  det.set('text', ktoText);
  det.set('photo', kp.blob, kp.name);
  const dr = await api(base, 'POST', '/api/v1/kto/details', { form: det });
  assert.equal(dr.status, 200, dr.text);
  const fb = await api(base, 'GET', `/api/v1/clusters/${CA}/feedback`, { token: who.disp });
  assert.equal(fb.status, 200, fb.text);
  const feedback = Number(/\/api\/v1\/feedback\/(\d+)\/photo/.exec(fb.body.answers[0].photo)[1]);
  // A merge (C1's job into B1's, beyond the radius: a reason) and a move (A2 out of its job).
  const reason = `${TAG}-WALK-MERGE one wall seen from two streets`;
  priv(reason);
  const mg = await api(base, 'POST', `/api/v1/clusters/${c1.cluster.id}/merge`, { token: who.disp,
    json: { into: b1.cluster.id, reason } });
  assert.equal(mg.status, 200, mg.text);
  const mv = await api(base, 'POST', `/api/v1/reports/${a2.report.id}/move`, { token: who.disp, json: { to: null } });
  assert.equal(mv.status, 200, mv.text);
  const CE = mv.body.cluster.id;
  assert.ok(Number.isInteger(CE), mv.text);

  d.reports = [a1.report.id, a2.report.id, b1.report.id, c1.report.id, d1.report.id, f1.report.id, o311];
  d.clusters = [CA, b1.cluster.id, c1.cluster.id, d1.cluster.id, CO, CE];
  Object.assign(d, { a1: a1.report.id, a2: a2.report.id, b1: b1.report.id, c1: c1.report.id, d1: d1.report.id,
    o311, CA, CB: b1.cluster.id, CC: c1.cluster.id, CD: d1.cluster.id, CO, CE,
    merge: mg.body.merge_id, crewPhoto, feedback });
  // Mail queued for this town (confirmations, status mail, satisfaction): its outbox rows.
  d.outbox = dbQuery(srv.db, `SELECT id FROM outbox WHERE channel = 'mail' AND report_id IN (${d.reports.join(',')}) ORDER BY id`)
    .split('\n').filter(Boolean).map(Number);
  assert.ok(d.outbox.length >= 5, `${town}: outbox rows ${d.outbox}`);
  const failed = () => dbQuery(srv.db, `SELECT id FROM outbox WHERE channel = 'mail' AND state = 'failed' AND report_id = ${f1.report.id}`);
  for (let i = 0; i < 100 && !failed(); i++) await sleep(100);
  d.failedMail = Number(failed().split('\n')[0]);
  assert.ok(d.failedMail > 0, `${town}: the refused confirmation failed`);
  // The bytes the server serves for this town's photos (the region admin sees all).
  const bytes = async (p) => {
    const r = await call(base, 'GET', p, { token: who.admin });
    assert.equal(r.status, 200, `${p}: ${r.text.slice(0, 200)}`);
    return r.buf;
  };
  for (const p of [`/api/v1/reports/${d.a1}/photo`, `/api/v1/reports/${d.a1}/photo/thumb`,
    `/api/v1/staff/photos/${crewPhoto}`, `/api/v1/staff/photos/${crewPhoto}/thumb`,
    `/api/v1/reports/${d.a1}/fix-photo`, `/api/v1/reports/${d.a1}/fix-photo/thumb`,
    `/api/v1/feedback/${feedback}/photo`, `/api/v1/feedback/${feedback}/photo/thumb`]) d.photos.push({ path: p, buf: await bytes(p) });
  return d;
}
