// The tenant isolation walk (issue 21 point 4): staff of Halle cannot read, change, merge into
// or export Vilvoorde's jobs or reporters through ANY route, on either storage engine; nor can
// Vilvoorde's staff Halle's, nor staff of both towns those of a third member (Dilbeek). One probe
// table (cases) is walked in each of these directions (DIRECTIONS); below, "Halle" stands for the
// probing accounts' town(s) and "Vilvoorde" for the other town whose objects are probed.
//
// The route table is read from server/router.c (as tests/replay/coverage.mjs reads it), and
// every route must have a case below: a route added later without one fails this test. A case
// is a list of probes; each probe is made with a Halle account (dispatcher, crew, admin or
// Open311 client) against Vilvoorde's ids, filters (municipality=vilvoorde, Vilvoorde's
// district, a box over Vilvoorde) or export/statistics/OGC/Open311 variants, and asserts
//   (a) the status of the rules: another municipality's object is 404 `not_found`, answered
//       exactly as a missing id (a twin call on id 999999 must get the same status and code);
//       an explicit municipality= outside the account's set is 403 `forbidden` (and its own
//       municipality is still answered); staff lists, exports, worklists and the queue answer
//       with the account's own municipalities only (and still show them); region-wide data
//       (webhooks, the outbox) is 403 for a municipal admin unless scoped; writes by Halle on
//       Vilvoorde's jobs (status, assign, merge, undo, move, intake, Open311) are refused;
//       public reads (report and job lists, items, photos, grid, nearby, statistics, feeds, OGC
//       items, Open311 reads) may either scope a token to its municipalities or ignore it: then
//       the answer must be the anonymous one byte for byte;
//   (b) no Vilvoorde report or job id, description, note, e-mail (also masked: the domain is
//       Vilvoorde's own), phone, reporter or crew name or photo bytes in the answer body;
//   (c) a write leaves Vilvoorde's rows as they were (the database itself, read with dbQuery,
//       SQLite or PostgreSQL);
//   (d) a positive control: the same call by Vilvoorde's or the region's account succeeds and,
//       for reads, shows the Vilvoorde data that the Halle call must not, so the walk is not
//       vacuous.
// Routes of the city pack itself (config, categories, districts, service area, automation,
// places and streets, OGC and Open311 metadata, /healthz, /metrics) hold no tenant data: they are
// walked with the Halle tokens for (b) only. The citizens' routes that a mailed secret opens
// (notify, kto, alerts) are scoped by that secret, not by a staff account: walked for (b).
// Public routes (no token) are walked too: they must never show contact data, internal notes,
// satisfaction answers or crew names of either town.
// Pages (/, /staff, /crew, /stats, /m/{slug}, /r/{id} and every web/*.html) are static files:
// their data comes from the JSON routes walked here, so the test asserts that no page carries
// any town's data.
//
// Failures are collected over the whole walk and reported together, one line a gap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { dbQuery, SOURCE_DIR, ENGINE_PG } from './lib.mjs';
import { setup, call, boxOf, CENTRE, DISTRICT, DISTRICT_NAME, TOWNS } from './tenancy_walk_fixture.mjs';

const ROUTER = path.join(SOURCE_DIR, 'server', 'router.c');
const RANGE = 'from=2020-01-01&to=2035-01-01';

/** The {"METHOD", "PATTERN", handler, ...} entries of router.c's routes[] table. */
function readRoutes() {
  const src = readFileSync(ROUTER, 'utf8');
  const start = src.indexOf('routes[] = {');
  assert.ok(start >= 0, 'router.c has a route table');
  const end = src.indexOf('};', start);
  return [...src.slice(start, end).matchAll(/\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,/g)].map((m) => `${m[1]} ${m[2]}`);
}

let W; // the fixture (tenancy_walk_fixture.mjs)
const gaps = [];
let tally; // what the walk saw in the current direction
const gap = (route, probe, what) => gaps.push(`${route} [${D.tag}: ${probe}]: ${what}`);

// The directions of the walk: the accounts with prefix p (W.tok's h_disp, h_crew, h_admin,
// h_client), which work for the towns `own`, probe the objects of the town `other`, whose own
// accounts (prefix c: v_disp, v_client) are the positive controls. Where a probe needs an object
// of the prober's own, it takes own[0]'s.
const DIRECTIONS = [
  { tag: 'halle>vilvoorde', p: 'h', c: 'v', own: ['halle'], other: 'vilvoorde' },
  { tag: 'vilvoorde>halle', p: 'v', c: 'h', own: ['vilvoorde'], other: 'halle' },
  { tag: 'halle+vilvoorde>dilbeek', p: 'hv', c: 'd', own: ['halle', 'vilvoorde'], other: 'dilbeek' },
];
let D; // the direction walked now, with its data: M (own[0]'s), O (other's), mine (every own town's)
const P = (role) => `${D.p}_${role}`; // a probing account
const C = (role) => `${D.c}_${role}`; // the other town's account
function walkAs(dir) {
  D = { ...dir, M: W.data[dir.own[0]], O: W.data[dir.other], mine: dir.own.map((t) => W.data[t]),
    TAG: dir.own.join('+').toUpperCase(), Other: DISTRICT_NAME[dir.other] };
  tally = { refused: 0, scoped: 0, ignored: 0, filters: 0, writes: 0, controls: 0 };
}

before(async () => {
  W = await setup();
  walkAs(DIRECTIONS[0]);
});
after(async () => {
  if (W) await W.cleanup();
});

// ---- what may not appear -------------------------------------------------------------------

const ID_HINTS = { reports: 'reports', clusters: 'clusters', candidates: 'clusters', messages: 'outbox',
  jobs: 'clusters', stops: 'clusters', answers: 'feedback', deliveries: 'deliveries' };
const REPORT_KEYS = new Set(['report_id', 'service_request_id', 'merged_from_report']);
const CLUSTER_KEYS = new Set(['cluster_id', 'merged', 'into', 'from_cluster', 'to_cluster', 'merged_with',
  'unmerged_from', 'merged_into']);

/** Ids of town d that appear in a JSON answer: by key names, by the list they are in, by links. */
function idsIn(body, d, kind) {
  const found = [];
  const sets = { reports: new Set(d.reports), clusters: new Set(d.clusters), outbox: new Set(d.outbox),
    deliveries: new Set(d.deliveries), feedback: new Set([d.feedback]) };
  const num = (v) => (typeof v === 'number' ? v : (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN));
  const walk = (node, hint) => {
    if (Array.isArray(node)) { for (const x of node) walk(x, hint); return; }
    if (!node || typeof node !== 'object') {
      if (typeof node === 'string') {
        for (const m of node.matchAll(/\/(?:r|reports|requests)\/(\d+)(?![\d])/g)) if (sets.reports.has(+m[1])) found.push(`report ${m[1]} (${node})`);
        for (const m of node.matchAll(/\/clusters\/(?:items\/)?(\d+)(?![\d])/g)) if (sets.clusters.has(+m[1])) found.push(`job ${m[1]} (${node})`);
      }
      return;
    }
    const own = node.type === 'Feature' ? kind : hint;
    if (own && sets[own] && sets[own].has(num(node.id))) found.push(`${own} id ${node.id}`);
    for (const [k, v] of Object.entries(node)) {
      if (REPORT_KEYS.has(k) && sets.reports.has(num(v))) found.push(`${k} ${v}`);
      if (CLUSTER_KEYS.has(k) && sets.clusters.has(num(v))) found.push(`${k} ${v}`);
      if (k === 'municipality' && (v === d.town || v?.id === d.town)) found.push(`municipality ${d.town}`);
      walk(v, ID_HINTS[k] || (k === 'features' ? kind : (k === 'properties' ? own : undefined)));
    }
  };
  walk(body, kind);
  return found;
}

/** Everything of town d in an answer; privateOnly: only what the public may never see. */
function leaks(res, d, { kind, privateOnly = false, textOnly = false } = {}) {
  const out = [];
  const strings = privateOnly ? d.markers : [...d.markers, ...d.publicMarkers];
  for (const s of strings) if (res.text.includes(s)) out.push(`'${s}'`);
  for (const p of d.photos) {
    if (privateOnly && !p.path.includes('/feedback/')) continue;
    if (res.buf.length >= p.buf.length && res.buf.includes(p.buf)) out.push(`the bytes of ${p.path}`);
  }
  if (privateOnly || textOnly) return out;
  if (res.body !== undefined) out.push(...idsIn(res.body, d, kind));
  if (d.coords.test(res.text) && !/^image\//.test(res.headers.get('content-type') || '')) out.push(`coordinates (${d.coords.exec(res.text)[0]}...)`);
  // XML (Open311) and feeds: the ids of requests and jobs.
  for (const m of res.text.matchAll(/<service_request_id>(\d+)<\/service_request_id>/g)) if (d.reports.includes(+m[1])) out.push(`service_request_id ${m[1]}`);
  for (const m of res.text.matchAll(/\/r\/(\d+)(?![\d])/g)) if (res.body === undefined && d.reports.includes(+m[1])) out.push(`/r/${m[1]}`);
  return [...new Set(out)];
}

// ---- Vilvoorde's rows, as the database holds them ------------------------------------------

function snapshot(d) {
  const VC = `(SELECT id FROM clusters WHERE municipality = '${d.town}')`;
  const VR = `(SELECT id FROM reports WHERE municipality = '${d.town}')`;
  const q = [
    `SELECT * FROM clusters WHERE municipality = '${d.town}' ORDER BY id`,
    `SELECT * FROM reports WHERE municipality = '${d.town}' ORDER BY id`,
    `SELECT * FROM history WHERE cluster_id IN ${VC} ORDER BY id`,
    `SELECT * FROM work_assignments WHERE cluster_id IN ${VC} ORDER BY cluster_id`,
    `SELECT * FROM work_notes WHERE cluster_id IN ${VC} ORDER BY id`,
    `SELECT id, cluster_id, at, status, actor FROM work_photos WHERE cluster_id IN ${VC} ORDER BY id`,
    `SELECT * FROM corrections WHERE from_cluster IN ${VC} OR to_cluster IN ${VC} OR report_id IN ${VR} ORDER BY id`,
    `SELECT id, from_cluster, into_cluster, at, actor, reason FROM merges WHERE from_cluster IN ${VC} OR into_cluster IN ${VC} ORDER BY id`,
    `SELECT id, satisfied, reasons, text, detailed_at FROM kto_answers WHERE cluster_id IN ${VC} ORDER BY id`,
    `SELECT count(*) FROM outbox WHERE cluster_id IN ${VC} OR report_id IN ${VR}`,
    `SELECT id, state, attempts FROM outbox WHERE channel = 'mail' AND (cluster_id IN ${VC} OR report_id IN ${VR}) AND state = 'failed' ORDER BY id`,
    'SELECT count(*) FROM webhooks WHERE deleted_at = 0',
  ];
  // One client process for all of them (a write probe takes two snapshots): each query's text,
  // then its rows. psql prints only a command's last result, so there it is one SELECT of
  // every query's rows as text.
  const label = (s) => `'${s.replaceAll("'", "''")}'`;
  if (ENGINE_PG)
    return dbQuery(W.srv.db, `SELECT concat_ws(E'\\n', ${q.map((s) => `${label(s)}, (SELECT string_agg(t::text, E'\\n') FROM (${s}) t)`).join(', ')})`);
  return dbQuery(W.srv.db, q.map((s) => `SELECT ${label(s)}; ${s};`).join('\n'));
}

// ---- probes ----------------------------------------------------------------------------------

/** Two turns of the event loop, so that connections the server closed while a synchronous
 * snapshot blocked it are seen closed (their next poll) before a request would reuse one. */
const loopTurns = async () => { for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r)); };

/** One probe: a call by `who` (a key of W.tok, or null for no token). Probes with a wrong
 * secret (alert confirmations, KTO links, Open311 keys) are failed sign-ins, and three walks
 * of them from one address outrun the failed-sign-in bucket (burst 10, 1 a second; http.c):
 * its 429 says nothing about scope, so the probe waits for the bucket and is asked again. */
async function send(pr) {
  const token = pr.who ? W.tok[pr.who] : undefined;
  const once = () => call(W.base, pr.method || 'GET', pr.path, { token, json: pr.json,
    form: typeof pr.form === 'function' ? pr.form() : pr.form, headers: { Accept: 'application/json', ...pr.headers } });
  let res = await once();
  for (let tries = 0; tries < 5 && res.status === 429 && /failed sign-ins/.test(res.body?.error?.message || ''); tries++) {
    const wait = Number(res.headers.get?.('retry-after') ?? res.headers['retry-after'] ?? 1) || 1;
    await new Promise((r) => setTimeout(r, wait * 1000 + 100));
    res = await once();
  }
  return res;
}
const statusOk = (want, got) => (Array.isArray(want) ? want.includes(got) : want === got);
const errCode = (res) => res.body?.error?.code;

/** A probe's name in a gap line: tokens of Open311 keys by their account's name. */
function labelOf(pr) {
  const p = pr.path.replace(/mp_[A-Za-z0-9_-]{43}/g, (t) => Object.keys(W.tok).find((k) => W.tok[k] === t) || 'mp_...');
  return `${pr.who || 'public'} ${pr.method || 'GET'} ${p}`;
}

async function runProbe(route, pr) {
  const label = labelOf(pr);
  // (d) first for filters whose meaning depends on whether the route takes them.
  let control;
  if (pr.control && pr.adaptive) control = await send({ ...pr, ...pr.control });
  let expect = pr.expect;
  let code = pr.code;
  if (pr.adaptive) {
    // A route without the filter refuses it (400), or refuses the account first (403).
    if (control.status === 400 && errCode(control) === 'unknown_parameter') { expect = [400, 403]; code = undefined; }
    else if (!statusOk([200], control.status)) gap(route, label, `control (${pr.control.who}) got ${control.status}: ${brief(control)}`);
    else {
      tally.filters++;
      // The filter works for one's own municipality: not every municipality= is refused.
      const mine = await send({ ...pr, path: pr.path.replace(`municipality=${D.other}`, `municipality=${D.own[0]}`) });
      if (mine.status !== 200) gap(route, label, `municipality=${D.own[0]} (its own) got ${mine.status}: ${brief(mine)}`);
    }
  }
  const before = pr.write ? snapshot(D.O) : null;
  if (pr.write) await loopTurns();
  const res = await send(pr);
  // The twin: the same call on an id that does not exist (999999). Another town's object must
  // be answered exactly so: the same status and error code (and for a route that answers a
  // missing id with an empty 200, the same body but for the id).
  const twin = pr.twin ? await send({ ...pr, ...pr.twin }) : null;
  const asMissing = twin && twin.status === res.status && errCode(twin) === errCode(res) &&
    (res.status >= 400 || twin.text.replaceAll('999999', String(pr.twinOf)) === res.text);
  // A public route may ignore the token: then the answer is the anonymous one, byte for byte,
  // and holds only what anyone may read (the public walk below checks that).
  let ignored = false;
  if (pr.pub) {
    const anon = await send(anonymous(pr));
    // (An OGC page and the statistics say when they were made: "timeStamp" and "generated_at"
    // may tick between the two calls.)
    const same = (a) => a.text.replace(/"(timeStamp|generated_at)":"[^"]*"/g, '"$1":""');
    ignored = anon.status === res.status && (anon.buf.equals(res.buf) || same(anon) === same(res));
  }
  // (a)
  if (ignored) { /* the public answer: (a) and (b) as for anyone */ } else if (!statusOk(expect, res.status) && !(asMissing && res.status < 400)) gap(route, label, `status ${res.status}, want ${JSON.stringify(expect)}: ${brief(res)}`);
  else if (code && res.status >= 400 && res.body?.error && errCode(res) !== code) gap(route, label, `error code ${errCode(res)}, want ${code}`);
  else if (twin && !asMissing) gap(route, label, `answers ${res.status} ${errCode(res) ?? ''}, a missing id ${twin.status} ${errCode(twin) ?? ''}: it tells that it exists`);
  // (b)
  // (An answer the same as a missing id's echoes only the id asked for.)
  const seen = asMissing || ignored ? [] : leaks(res, D.O, { kind: pr.kind, textOnly: pr.meta }).filter((l) => !(pr.ignore || []).some((x) => l.includes(x)));
  if (seen.length) gap(route, label, `shows ${D.Other}'s ${seen.slice(0, 6).join(', ')}`);
  if (pr.check && !ignored) { const why = pr.check(res); if (why) gap(route, label, why); }
  // Scoped, not emptied: an unfiltered list still shows Halle its own rows (each of its towns').
  if (pr.own && res.status === 200) for (const d of D.mine) if (!leaks(res, d, { kind: pr.kind }).length) gap(route, label, `shows none of ${DISTRICT_NAME[d.town]}'s own data`);
  // (c)
  if (pr.write) {
    const after = snapshot(D.O);
    await loopTurns();
    if (after !== before) gap(route, label, `changed ${D.Other}'s rows: ${firstDiff(before, after)}`);
  }
  // (d)
  if (pr.control && !pr.adaptive) {
    control = await send({ ...pr, ...pr.control });
    const want = pr.control.status ?? [200, 201, 204];
    if (!statusOk(want, control.status)) gap(route, label, `control (${pr.control.who || 'public'}) got ${control.status}, want ${JSON.stringify(want)}: ${brief(control)}`);
    else if (pr.control.shows && !leaks(control, D.O, { kind: pr.kind }).length && !(pr.control.showsIf && pr.control.showsIf(control)))
      gap(route, label, `control (${pr.control.who}) shows no ${D.Other} data: the probe is vacuous`);
    else if (pr.control.showsIf && !pr.control.showsIf(control)) gap(route, label, `control (${pr.control.who}) shows no ${D.Other} data: the probe is vacuous`);
    if (pr.control.then) await pr.control.then(control);
  }
  res.ignored = ignored;
  if (ignored) tally.ignored++;
  else if (res.status >= 400) tally.refused++;
  else tally.scoped++;
  if (pr.write) tally.writes++;
  if (control) tally.controls++;
  return res;
}

/** The probe without its credentials: no token, no Open311 api_key. */
function anonymous(pr) {
  return { ...pr, who: null, path: pr.path.replace(/([?&])api_key=[^&]*&?/, '$1').replace(/[?&]$/, '') };
}

// Routes anyone may read without a token. A staff token or a client's key there may either be
// ignored (the anonymous answer, nothing more) or scope the answer to the account's
// municipalities; both keep Vilvoorde's non-public data from Halle.
const PUBLIC_READS = new Set(['GET /api/v1/reports', 'GET /api/v1/reports/{id}', 'GET /api/v1/reports/{id}/photo',
  'GET /api/v1/reports/{id}/photo/thumb', 'GET /api/v1/reports/{id}/fix-photo', 'GET /api/v1/reports/{id}/fix-photo/thumb',
  'GET /api/v1/clusters', 'GET /api/v1/clusters/grid', 'GET /api/v1/clusters/{id}', 'GET /api/v1/nearby',
  'GET /api/v1/export', 'GET /api/v1/stats', 'GET /ogc/collections/reports/items', 'GET /ogc/collections/reports/items/{id}',
  'GET /ogc/collections/clusters/items', 'GET /ogc/collections/clusters/items/{id}', 'GET /feeds/reports.atom',
  'GET /open311/v2/requests.xml', 'GET /open311/v2/requests.json', 'GET /open311/v2/requests/*',
  'GET /open311/v2/servicerequestupdates.xml', 'GET /open311/v2/servicerequestupdates.json']);

/** An answer in a gap line: its start, or its type and size when it is not text. */
function brief(res) {
  const ct = res.headers.get('content-type') || '';
  if (/^(image|application\/octet)/.test(ct)) return `<${ct}, ${res.buf.length} bytes>`;
  return res.text.slice(0, 160).replace(/\s+/g, ' ');
}

/** Waits (up to 10 s) until sql answers want. */
async function settled(sql, want) {
  for (let i = 0; i < 100 && dbQuery(W.srv.db, sql) !== want; i++) await new Promise((r) => setTimeout(r, 100));
}

function firstDiff(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return `${x[i] ?? '(none)'} -> ${y[i] ?? '(none)'}`.slice(0, 240);
  return '?';
}

// ---- the cases -------------------------------------------------------------------------------

const NOT_FOUND = { expect: 404, code: 'not_found' };
const FORBIDDEN = { expect: 403, code: 'forbidden' };
// The helpers' accounts are the current direction's (D): P('disp') probes, C('disp') controls.
/** Another town's object: 404 for each Halle account; the owner's account reads it. */
const byId = (p, kind, whos = [P('disp')], ctl = C('disp')) => whos.map((who) => ({ who, path: p, kind, ...NOT_FOUND,
  twin: { path: p.replace(/\/(\d+)(?=[/?.]|$)/, '/999999') }, twinOf: /\/(\d+)(?=[/?.]|$)/.exec(p)[1],
  control: { who: ctl, status: 200, shows: true } }));
/** A list for a Halle account: 200 without Vilvoorde; the control account sees Vilvoorde in it. */
const list = (p, kind, whos = [P('disp')], ctl = 'r_admin', extra = {}) => whos.map((who) => ({ who, path: p, kind, expect: 200,
  own: !/bbox=|district=|lat=|municipality=|jurisdiction_id=|service_request_id=/.test(p), // unfiltered: Halle's own rows are there
  control: { who: ctl, status: 200, shows: true }, ...extra }));
/** An explicit municipality= outside the account's set: 403 where the route takes the filter. */
const outside = (p, kind, who = P('disp'), ctl = 'r_admin') => ({ who, path: p, kind, ...FORBIDDEN, adaptive: true, control: { who: ctl } });
/** The city pack's own documents: no tenant data, whoever asks. */
const meta = (paths, whos = [P('disp'), P('admin')]) => paths.flatMap((p) => whos.map((who) => ({ who, path: p, meta: true, expect: [200, 400, 404] })));
const join = (p, q) => `${p}${p.includes('?') ? '&' : '?'}${q}`;

function gridCount(body) {
  let n = 0;
  const walk = (x) => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) {
      if (['reports', 'clusters', 'count', 'report_count', 'cluster_count'].includes(k) && typeof v === 'number') n += v;
      else walk(v);
    }
  };
  walk(body?.features ?? body?.cells ?? body);
  return n;
}

function cases() {
  // O: the other town's objects; M: the probing town's own, where a probe names one: only jobs
  // that no direction's controls merge away or empty (CO, CE; CB and CD are gone after the walk
  // against that town, which comes first for Vilvoorde).
  const { M, O } = D;
  const VBOX = boxOf(D.other);
  const vp = CENTRE[D.other];
  const ll = `lat=${vp.lat}&lon=${vp.lon}`;
  const o311 = (key, q = '') => `api_key=${W.tok[key]}${q}`;
  const since = new Date(Date.now() - 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
  const until = new Date(Date.now() + 86400000).toISOString().replace(/\.\d+Z$/, 'Z');
  const jsonW = (who, p, json, extra = {}) => ({ who, method: 'POST', path: p, json, write: true, ...NOT_FOUND, ...extra });
  const exportsOf = [];
  for (const what of ['reports', 'clusters']) for (const format of ['csv', 'geojson', 'geojsonseq']) {
    const p = `/api/v1/export?format=${format}&what=${what}`;
    exportsOf.push(...list(p, what, [P('disp'), P('admin')]), ...list(`${p}&bbox=${VBOX}`, what),
      outside(`${p}&municipality=${D.other}`, what));
  }
  // What the probing accounts' own towns received, together.
  const ownTotal = async () => {
    let n = 0;
    for (const t of D.own) n += (await call(W.base, 'GET', `/api/v1/stats?municipality=${t}&${RANGE}`, { token: W.tok.r_admin })).body?.total?.received;
    return n;
  };
  const TAG = D.TAG;
  const OTAG = D.other.toUpperCase();
  const upd = (k) => `${D.tag}-${k}`; // Open311 update ids: new in every direction
  let hookMade = null;
  // The pack's own documents asked at their own address (OGC districts: the pack's boundaries,
  // public geodata, one feature per municipality).
  const self = Object.fromEntries([
    '/healthz',
    '/metrics',
    '/ogc',
    '/ogc/',
    '/ogc/api',
    '/ogc/conformance',
    '/ogc/collections',
    '/ogc/collections/reports',
    '/ogc/collections/reports/queryables',
    '/ogc/collections/clusters',
    '/ogc/collections/clusters/queryables',
    '/ogc/collections/districts',
    '/ogc/collections/districts/items',
    '/ogc/collections/districts/queryables',
    '/api/v1/automation',
    '/open311/v2/discovery.xml',
    '/open311/v2/discovery.json',
  ].map((p) => [`GET ${p}`, meta([p])]));
  return {
    ...self,
    'GET /api/v1/config': meta(['/api/v1/config', `/api/v1/config?municipality=${D.other}`]),
    'GET /api/v1/categories': meta([`/api/v1/categories?municipality=${D.other}`]),
    'GET /api/v1/districts': meta([`/api/v1/districts?municipality=${D.other}`]),
    'GET /api/v1/service-area': meta([`/api/v1/service-area?municipality=${D.other}`]),
    'GET /api/v1/reports': [
      ...list('/api/v1/reports', 'reports', [P('disp'), P('crew'), P('admin')]),
      ...list(`/api/v1/reports?bbox=${VBOX}`, 'reports'),
      { who: P('disp'), path: `/api/v1/reports?district=${DISTRICT[D.other]}`, kind: 'reports', expect: [200, 403], control: { who: 'r_admin', status: 200, shows: true } },
      outside(`/api/v1/reports?municipality=${D.other}`, 'reports'),
    ],
    'POST /api/v1/reports': [
      // Staff intake for a caller whose street is in Vilvoorde: not Halle's desk.
      { who: P('disp'), method: 'POST', path: '/api/v1/reports', write: true, expect: [403, 404],
        json: { category: 'graffiti', lat: vp.lat, lon: vp.lon, channel: 'phone', description: `${TAG}-INTAKE in ${D.Other}` },
        control: { who: C('disp'), status: 201 } },
      // "Me too" on Vilvoorde's job from Halle: no such job here (as for any other town's).
      { who: P('disp'), method: 'POST', path: '/api/v1/reports', write: true, expect: 400, code: 'unknown_cluster',
        json: { category: 'graffiti', lat: CENTRE[D.own[0]].lat, lon: CENTRE[D.own[0]].lon, same_as: O.CB, description: `${TAG} me too` } },
    ],
    'GET /api/v1/reports/{id}': byId(`/api/v1/reports/${O.a1}`, 'reports', [P('disp'), P('crew'), P('admin')]),
    'GET /api/v1/reports/{id}/photo': byId(`/api/v1/reports/${O.a1}/photo`, 'reports'),
    'GET /api/v1/reports/{id}/photo/thumb': byId(`/api/v1/reports/${O.a1}/photo/thumb`, 'reports'),
    'GET /api/v1/reports/{id}/fix-photo': byId(`/api/v1/reports/${O.a1}/fix-photo`, 'reports'),
    'GET /api/v1/reports/{id}/fix-photo/thumb': byId(`/api/v1/reports/${O.a1}/fix-photo/thumb`, 'reports'),
    'GET /api/v1/clusters': [
      ...list('/api/v1/clusters', 'clusters', [P('disp'), P('crew')]),
      ...list(`/api/v1/clusters?bbox=${VBOX}`, 'clusters'),
      outside(`/api/v1/clusters?municipality=${D.other}`, 'clusters'),
    ],
    'GET /api/v1/clusters/grid': [
      { who: P('disp'), path: `/api/v1/clusters/grid?bbox=${VBOX}&zoom=14`, expect: 200,
        check: (r) => (gridCount(r.body) ? `counts ${gridCount(r.body)} of ${D.Other}'s jobs/reports` : null),
        control: { who: 'r_admin', status: 200, showsIf: (r) => gridCount(r.body) > 0 } },
      outside(`/api/v1/clusters/grid?bbox=${VBOX}&zoom=14&municipality=${D.other}`),
    ],
    'GET /api/v1/clusters/{id}': byId(`/api/v1/clusters/${O.CA}`, 'clusters', [P('disp'), P('crew')]),
    'GET /api/v1/nearby': [{ who: P('disp'), path: `/api/v1/nearby?category=graffiti&lat=${O.a1lat ?? vp.lat}&lon=${vp.lon}`,
      expect: [200, 403], control: { who: C('disp'), status: 200, shows: true } }],
    'GET /api/v1/places': meta(['/api/v1/places?q=Grote%20Markt%201', `/api/v1/places?${ll}`]),
    'GET /api/v1/places/suggest': meta(['/api/v1/places/suggest?q=Grote']),
    'GET /api/v1/streets': meta([`/api/v1/streets?bbox=${vp.lon - 0.01},${vp.lat - 0.01},${vp.lon + 0.01},${vp.lat + 0.01}`]),
    'GET /api/v1/export': exportsOf,
    'GET /api/v1/stats': [
      outside(`/api/v1/stats?municipality=${D.other}&${RANGE}`),
      { who: P('disp'), path: `/api/v1/stats?group_by=municipality&${RANGE}`, expect: 200,
        check: (r) => (r.body?.groups?.some((g) => g.key === D.other) ? `a group for ${D.Other}` : null),
        control: { who: 'r_admin', status: 200, showsIf: (r) => r.body?.groups?.some((g) => g.key === D.other) } },
      { who: P('disp'), path: `/api/v1/stats?${RANGE}`, expect: 200, ownTotal,
        control: { who: 'r_admin', status: 200 } },
      { who: P('disp'), path: `/api/v1/stats?group_by=district&${RANGE}`, expect: 200,
        check: (r) => (r.body?.groups?.some((g) => g.key === DISTRICT[D.other]) ? `a group for district ${DISTRICT[D.other]} (${D.Other})` : null),
        control: { who: 'r_admin', status: 200, showsIf: (r) => r.body?.groups?.some((g) => g.key === DISTRICT[D.other]) } },
    ],
    'GET /ogc/collections/reports/items': [
      ...list('/ogc/collections/reports/items?limit=5000', 'reports', [P('disp'), P('admin')]),
      ...list(`/ogc/collections/reports/items?bbox=${VBOX}`, 'reports'),
      { who: P('disp'), path: `/ogc/collections/reports/items?district=${D.Other}`, kind: 'reports', expect: [200, 403], control: { who: 'r_admin', status: 200, shows: true } },
      outside(`/ogc/collections/reports/items?municipality=${D.other}`, 'reports'),
    ],
    'GET /ogc/collections/reports/items/{id}': byId(`/ogc/collections/reports/items/${O.a1}`, 'reports'),
    'GET /ogc/collections/clusters/items': [
      ...list('/ogc/collections/clusters/items?limit=5000', 'clusters', [P('disp'), P('admin')]),
      ...list(`/ogc/collections/clusters/items?bbox=${VBOX}`, 'clusters'),
      outside(`/ogc/collections/clusters/items?municipality=${D.other}`, 'clusters'),
    ],
    'GET /ogc/collections/clusters/items/{id}': byId(`/ogc/collections/clusters/items/${O.CA}`, 'clusters'),
    'GET /ogc/collections/districts/items/{id}': meta(['/ogc/collections/districts/items/1']),
    'POST /api/v1/clusters/{id}/merge': [
      jsonW(P('disp'), `/api/v1/clusters/${O.CD}/merge`, { into: O.CB, reason: `${TAG} merges ${D.Other}` }),
      // Into another town's job: 404 like a missing id (not 409, which would say it exists).
      jsonW(P('disp'), `/api/v1/clusters/${M.CO}/merge`, { into: O.CB, reason: `${TAG} into ${D.Other}` },
        { twin: { json: { into: 999999, reason: `${TAG} into nothing` } } }),
      jsonW(P('disp'), `/api/v1/clusters/${O.CD}/merge`, { into: M.CE, reason: `${D.Other} into ${TAG}` },
        { control: { who: C('disp'), path: `/api/v1/clusters/${O.CD}/merge`, json: { into: O.CE, reason: `${OTAG} control merge` }, status: 200 } }),
    ],
    'POST /api/v1/merges/{id}/undo': [jsonW(P('disp'), `/api/v1/merges/${O.merge}/undo`, {},
      { control: { who: C('disp'), status: 200 } })],
    'POST /api/v1/reports/{id}/move': [
      jsonW(P('disp'), `/api/v1/reports/${O.b1}/move`, { to: null }),
      jsonW(P('disp'), `/api/v1/reports/${M.b1}/move`, { to: O.CB }, { twin: { json: { to: 999999 } } }),
      jsonW(P('disp'), `/api/v1/reports/${O.b1}/move`, { to: M.CE },
        { control: { who: C('disp'), json: { to: null }, status: 200 } }),
    ],
    'GET /api/v1/me': [{ who: P('disp'), path: '/api/v1/me', expect: 200,
      check: (r) => (D.own.every((t) => r.text.includes(`"${t}"`)) && !r.text.includes(`"${D.other}"`) ? null
        : `does not report the set {${D.own}}: ${r.text.slice(0, 200)}`),
      control: { who: 'r_admin', status: 200 } }],
    'GET /api/v1/automation/evaluate': meta([`/api/v1/automation/evaluate?category=graffiti&${ll}&reports=3`]),
    'GET /api/v1/staff/queue': [
      ...list('/api/v1/staff/queue', 'clusters', [P('disp')], C('disp')),
      ...list('/api/v1/staff/queue?status=new,acknowledged,scheduled,in_progress,fixed,closed,reopened', 'clusters', [P('disp')], C('disp')),
      { who: P('disp'), path: `/api/v1/staff/queue?district=${DISTRICT[D.other]}`, kind: 'clusters', expect: [200, 403], control: { who: C('disp'), status: 200, shows: true } },
      outside(`/api/v1/staff/queue?municipality=${D.other}`, 'clusters', P('disp'), C('disp')),
    ],
    'GET /api/v1/staff/clusters/{id}': byId(`/api/v1/staff/clusters/${O.CA}`, 'clusters', [P('disp'), P('crew'), P('admin')]),
    'GET /api/v1/staff/clusters/{id}/merge-candidates': [
      ...byId(`/api/v1/staff/clusters/${O.CB}/merge-candidates`, 'clusters'),
      { who: P('disp'), path: `/api/v1/staff/clusters/${M.CE}/merge-candidates`, kind: 'clusters', expect: 200 },
    ],
    'GET /api/v1/staff/crews': list('/api/v1/staff/crews', undefined, [P('disp'), P('admin')], C('disp')),
    'GET /api/v1/staff/photos/{id}': byId(`/api/v1/staff/photos/${O.crewPhoto}`, undefined, [P('disp'), P('crew')]),
    'GET /api/v1/staff/photos/{id}/thumb': byId(`/api/v1/staff/photos/${O.crewPhoto}/thumb`, undefined, [P('disp'), P('crew')]),
    'POST /api/v1/clusters/{id}/status': [
      jsonW(P('disp'), `/api/v1/clusters/${O.CB}/status`, { status: 'acknowledged', note: `${TAG} was here`, note_public: false }),
      jsonW(P('crew'), `/api/v1/clusters/${O.CE}/status`, { status: 'in_progress' }),
      jsonW(P('disp'), `/api/v1/clusters/${O.CO}/status`, { status: 'acknowledged', note: `${TAG} was here` },
        { control: { who: C('disp'), status: 200 } }),
      // With a photo (a crew's multipart form).
      { who: P('crew'), method: 'POST', path: `/api/v1/clusters/${O.CB}/status`, write: true, ...NOT_FOUND,
        form: () => { const f = new FormData(); f.set('status', 'fixed'); f.set('photo', new Blob([M.photos[2].buf], { type: 'image/jpeg' }), 'x.jpg'); return f; } },
    ],
    'POST /api/v1/clusters/{id}/assign': [
      jsonW(P('disp'), `/api/v1/clusters/${O.CB}/assign`, { department: 'netheid', crew: M.crew, priority: 3 }),
      jsonW(P('disp'), `/api/v1/clusters/${O.CE}/assign`, { priority: 3 }, { control: { who: C('disp'), json: { priority: 2 }, status: 200 } }),
      // Halle's job to Vilvoorde's crew: not a crew of Halle's, refused as a crew that does not
      // exist (the name in the answer is the one sent).
      { who: P('disp'), method: 'POST', path: `/api/v1/clusters/${M.CE}/assign`, json: { crew: O.crew }, write: true, expect: [400, 404],
        ignore: [O.crew], twin: { json: { crew: 'no-such-crew-anywhere' } } },
    ],
    'GET /api/v1/worklist': [
      ...list(`/api/v1/worklist?bbox=${VBOX}`, 'clusters', [P('disp'), P('crew')], C('disp')),
      ...list(`/api/v1/worklist?bbox=${VBOX}&format=csv`, 'clusters', [P('disp')], C('disp')),
      ...list(`/api/v1/worklist?bbox=${VBOX}&format=gpx`, 'clusters', [P('disp')], C('disp')),
      { who: P('disp'), path: `/api/v1/worklist?district=${DISTRICT[D.other]}`, kind: 'clusters', expect: [200, 403], control: { who: C('disp'), status: 200, shows: true } },
      outside(`/api/v1/worklist?municipality=${D.other}&bbox=${VBOX}`, 'clusters', P('disp'), C('disp')),
    ],
    // Citizens' routes opened by a mailed secret (not by a staff account): nothing of either
    // town without the secret, whoever asks.
    'POST /api/v1/notify/unsubscribe': [{ who: P('disp'), method: 'POST', path: '/api/v1/notify/unsubscribe?t=mp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', expect: [400, 401, 404] }],
    'GET /api/v1/notify/unsubscribe': [{ who: P('disp'), path: '/api/v1/notify/unsubscribe?t=mp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', expect: [200, 302, 303, 400, 401, 404] }],
    'POST /api/v1/notify/signin': [{ who: P('disp'), method: 'POST', path: '/api/v1/notify/signin', json: { email: `a1.${D.other}@${D.other}-walk.example` }, expect: 202 }],
    'POST /api/v1/notify/session': [{ who: P('disp'), method: 'POST', path: '/api/v1/notify/session', json: { token: 'mp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, expect: [400, 401] }],
    'GET /api/v1/notify/mine': [{ who: P('disp'), path: '/api/v1/notify/mine', expect: [400, 401] }],
    'POST /api/v1/notify/stop': [{ who: P('disp'), method: 'POST', path: '/api/v1/notify/stop', json: { all: true }, expect: [400, 401] }],
    'POST /api/v1/alerts': [{ who: P('disp'), method: 'POST', path: '/api/v1/alerts', json: { email: 'walk.alert@example.org', lat: vp.lat, lon: vp.lon, radius_m: 500 }, expect: 202 }],
    'POST /api/v1/alerts/confirm': [{ who: P('disp'), method: 'POST', path: '/api/v1/alerts/confirm', json: { token: 'mp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, expect: [400, 401] }],
    'POST /api/v1/kto': [{ who: P('disp'), method: 'POST', path: '/api/v1/kto', json: { token: 'mp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', satisfied: true }, expect: [400, 401] }],
    'POST /api/v1/kto/details': [{ who: P('disp'), method: 'POST', path: '/api/v1/kto/details', json: { form_token: 'mp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', reasons: ['too_slow'] }, expect: [400, 401] }],
    'GET /api/v1/clusters/{id}/feedback': byId(`/api/v1/clusters/${O.CA}/feedback`, 'clusters', [P('disp'), P('admin')]),
    'GET /api/v1/feedback/{id}/photo': byId(`/api/v1/feedback/${O.feedback}/photo`),
    'GET /api/v1/feedback/{id}/photo/thumb': byId(`/api/v1/feedback/${O.feedback}/photo/thumb`),
    // The outbox: scoped to the admin's municipalities, or (simpler) for region-wide admins only.
    'GET /api/v1/outbox': [
      ...list('/api/v1/outbox?limit=500', undefined, [P('admin')], 'r_admin', { expect: [200, 403] }),
      ...list('/api/v1/outbox?state=sent&limit=500', undefined, [P('admin')], 'r_admin', { expect: [200, 403] }),
      outside(`/api/v1/outbox?municipality=${D.other}`, undefined, P('admin')),
    ],
    'GET /api/v1/outbox/{id}': byId(`/api/v1/outbox/${O.outbox[0]}`, undefined, [P('admin')], 'r_admin').map((p) => ({ ...p, expect: [403, 404], code: undefined })),
    'POST /api/v1/outbox/{id}/retry': [{ who: P('admin'), method: 'POST', path: `/api/v1/outbox/${O.failedMail}/retry`, write: true, expect: [403, 404],
      twin: { path: '/api/v1/outbox/999999/retry' },
      // The relay refuses it again at once; wait for that, so that later snapshots hold still.
      control: { who: 'r_admin', status: 200, then: () => settled(`SELECT state FROM outbox WHERE id = ${O.failedMail}`, 'failed') } }],
    'GET /feeds/reports.atom': [
      ...list('/feeds/reports.atom', 'reports', [P('disp')], C('disp')),
      ...list(`/feeds/reports.atom?${ll}&radius=3000`, 'reports', [P('disp')], C('disp')),
      { who: P('disp'), path: `/feeds/reports.atom?district=${DISTRICT[D.other]}`, kind: 'reports', expect: [200, 403], control: { who: C('disp'), status: 200, shows: true } },
    ],
    // Region-wide configuration: a municipality's admin may not touch it.
    'GET /api/v1/webhooks': [{ who: P('admin'), path: '/api/v1/webhooks', ...FORBIDDEN, control: { who: 'r_admin', status: 200 } }],
    'POST /api/v1/webhooks': [{ who: P('admin'), method: 'POST', path: '/api/v1/webhooks', write: true, ...FORBIDDEN,
      json: { url: W.receiver.url, secret: 'another-long-shared-secret', events: ['report.created'], contacts: true },
      control: { who: 'r_admin', status: 201, then: (r) => { hookMade = r.body?.id; } } }],
    'DELETE /api/v1/webhooks/{id}': [{ who: P('admin'), method: 'DELETE', get path() { return `/api/v1/webhooks/${hookMade ?? W.webhook}`; },
      write: true, ...FORBIDDEN, control: { who: 'r_admin', status: [200, 204] } }],
    'GET /api/v1/webhooks/{id}/deliveries': [{ who: P('admin'), path: `/api/v1/webhooks/${W.webhook}/deliveries?limit=500`, ...FORBIDDEN,
      control: { who: 'r_admin', status: 200, shows: true } }],
    'POST /api/v1/webhooks/deliveries/{id}/resend': [{ who: P('admin'), method: 'POST', path: `/api/v1/webhooks/deliveries/${O.deliveries[0]}/resend`,
      write: true, ...FORBIDDEN, control: { who: 'r_admin', status: 200 } }],
    'GET /open311/v2/services.xml': meta([`/open311/v2/services.xml?jurisdiction_id=${D.other}`]),
    'GET /open311/v2/services.json': meta([`/open311/v2/services.json?jurisdiction_id=${D.other}`]),
    'GET /open311/v2/services/*': meta([`/open311/v2/services/graffiti.json?jurisdiction_id=${D.other}`]),
    'GET /open311/v2/requests.xml': [
      ...list(`/open311/v2/requests.xml?${o311(P('client'))}`, 'reports', [null], null, { control: { who: null, path: `/open311/v2/requests.xml?${o311(C('client'))}`, status: 200, shows: true } }),
      { who: null, path: `/open311/v2/requests.xml?${o311(P('client'), `&jurisdiction_id=${D.other}`)}`, expect: 403,
        control: { who: null, path: `/open311/v2/requests.xml?${o311(C('client'), `&jurisdiction_id=${D.other}`)}`, status: 200, shows: true } },
    ],
    'GET /open311/v2/requests.json': [
      ...list(`/open311/v2/requests.json?${o311(P('client'))}`, 'reports', [null], null, { control: { who: null, path: `/open311/v2/requests.json?${o311(C('client'))}`, status: 200, shows: true } }),
      ...list(`/open311/v2/requests.json?${o311(P('client'), `&bbox=${VBOX}`)}`, 'reports', [null], null, { control: { who: null, path: `/open311/v2/requests.json?${o311(C('client'), `&bbox=${VBOX}`)}`, status: 200, shows: true } }),
      ...list(`/open311/v2/requests.json?${o311(P('client'), `&service_request_id=${O.reports.join(',')}`)}`, 'reports', [null], null,
        { expect: [200, 404], control: { who: null, path: `/open311/v2/requests.json?${o311(C('client'), `&service_request_id=${O.reports.join(',')}`)}`, status: 200, shows: true } }),
      { who: null, path: `/open311/v2/requests.json?${o311(P('client'), `&jurisdiction_id=${D.other}`)}`, expect: 403,
        control: { who: null, path: `/open311/v2/requests.json?${o311(C('client'), `&jurisdiction_id=${D.other}`)}`, status: 200, shows: true } },
    ],
    'POST /open311/v2/requests.xml': [{ who: null, method: 'POST', path: '/open311/v2/requests.xml', write: true, expect: 403,
      form: new URLSearchParams({ api_key: W.tok[P('client')], jurisdiction_id: D.other, service_code: 'graffiti', lat: String(vp.lat), long: String(vp.lon), description: `${TAG} posts in ${D.Other}` }),
      control: { who: null, form: new URLSearchParams({ api_key: W.tok[C('client')], jurisdiction_id: D.other, service_code: 'graffiti', lat: String(vp.lat), long: String(vp.lon), description: `${OTAG} control` }), status: 200 } }],
    'POST /open311/v2/requests.json': [{ who: null, method: 'POST', path: '/open311/v2/requests.json', write: true, expect: [403, 404],
      form: new URLSearchParams({ api_key: W.tok[P('client')], service_code: 'graffiti', lat: String(vp.lat), long: String(vp.lon), description: `${TAG} posts in ${D.Other}` }),
      control: { who: null, form: new URLSearchParams({ api_key: W.tok[C('client')], service_code: 'graffiti', lat: String(vp.lat), long: String(vp.lon), description: `${OTAG} control` }), status: 200 } }],
    'GET /open311/v2/requests/*': [
      { who: null, path: `/open311/v2/requests/${O.o311}.json?${o311(P('client'))}`, kind: 'reports', expect: 404,
        twin: { path: `/open311/v2/requests/999999.json?${o311(P('client'))}` },
        control: { who: null, path: `/open311/v2/requests/${O.o311}.json?${o311(C('client'))}`, status: 200, shows: true } },
      { who: null, path: `/open311/v2/requests/${O.a1}.xml?${o311(P('client'))}`, kind: 'reports', expect: 404,
        control: { who: null, path: `/open311/v2/requests/${O.a1}.xml?${o311(C('client'))}`, status: 200, shows: true } },
    ],
    'GET /open311/v2/tokens/*': meta(['/open311/v2/tokens/abc.json']),
    'GET /open311/v2/servicerequestupdates.xml': list(`/open311/v2/servicerequestupdates.xml?${o311(P('client'), `&start_date=${since}&end_date=${until}`)}`, 'reports', [null], null,
      { control: { who: null, path: `/open311/v2/servicerequestupdates.xml?${o311(C('client'), `&start_date=${since}&end_date=${until}`)}`, status: 200, shows: true } }),
    'GET /open311/v2/servicerequestupdates.json': list(`/open311/v2/servicerequestupdates.json?${o311(P('client'), `&start_date=${since}&end_date=${until}`)}`, 'reports', [null], null,
      { control: { who: null, path: `/open311/v2/servicerequestupdates.json?${o311(C('client'), `&start_date=${since}&end_date=${until}`)}`, status: 200, shows: true } }),
    'POST /open311/v2/servicerequestupdates.xml': [{ who: null, method: 'POST', path: '/open311/v2/servicerequestupdates.xml', write: true, expect: 404,
      form: new URLSearchParams({ api_key: W.tok[P('client')], service_request_id: String(O.o311), update_id: upd('p1'), updated_datetime: since, status: 'OPEN', description: `${TAG} comments on ${D.Other}` }),
      control: { who: null, form: new URLSearchParams({ api_key: W.tok[C('client')], service_request_id: String(O.o311), update_id: upd('c1'), updated_datetime: since, status: 'OPEN', description: `${OTAG} control` }), status: 200 } }],
    'POST /open311/v2/servicerequestupdates.json': [{ who: null, method: 'POST', path: '/open311/v2/servicerequestupdates.json', write: true, expect: 404,
      form: new URLSearchParams({ api_key: W.tok[P('client')], service_request_id: String(O.a1), update_id: upd('p2'), updated_datetime: since, status: 'OPEN', description: `${TAG} comments on ${D.Other}` }),
      control: { who: null, form: new URLSearchParams({ api_key: W.tok[C('client')], service_request_id: String(O.a1), update_id: upd('c2'), updated_datetime: since, status: 'OPEN', description: `${OTAG} control` }), status: 200 } }],
  };
}

// ---- the walk --------------------------------------------------------------------------------

test('the fixture: accounts of one municipality or of the region (meldpunt user add --municipality/--region)', () => {
  if (!W.scoped) gap('CLI', 'meldpunt user add --municipality', 'the option is refused: every account is region-wide');
  const towns = TOWNS.map((t) => W.data[t]);
  for (const town of towns) {
    assert.equal(town.reports.length, 7, town.town);
    assert.ok(town.photos.every((p) => p.buf.length > 100), `${town.town}: photos`);
  }
  // The towns' photos differ, so that bytes tell them apart.
  for (const [i, a] of towns.entries()) for (const b of towns.slice(i + 1))
    for (const p of b.photos) assert.ok(!a.photos.some((q) => q.buf.equals(p.buf)), `${b.town} ${p.path}: the same bytes as ${a.town}'s`);
});

test('every route of server/router.c has a case, and every case a route', () => {
  const routes = readRoutes();
  const table = cases();
  assert.ok(routes.length > 90, `${routes.length} routes`);
  const missing = routes.filter((r) => !(r in table));
  assert.deepEqual(missing, [], `routes without a tenancy case in ${path.basename(import.meta.url)}: add one`);
  const stale = Object.keys(table).filter((k) => !routes.includes(k));
  assert.deepEqual(stale, [], 'cases of routes router.c no longer has');
});

/** The walk in one direction: every probe of the table, reads first. */
async function walk(dir) {
  walkAs(dir);
  const from = gaps.length;
  const table = cases();
  let probes = 0;
  // Reads first, then writes (a write's control changes Vilvoorde's state), each in table order.
  const all = Object.entries(table).flatMap(([route, list]) => list.map((pr) => [route, pr]));
  const ordered = [...all.filter(([, pr]) => !pr.write && (pr.method || 'GET') === 'GET'), ...all.filter(([, pr]) => pr.write || (pr.method || 'GET') !== 'GET')];
  for (const [route, pr] of ordered) {
    const res = await runProbe(route, PUBLIC_READS.has(route) ? { ...pr, pub: true } : pr);
    probes++;
    if (pr.ownTotal && res.status === 200 && !res.ignored) {
      const want = await pr.ownTotal();
      if (res.body?.total?.received !== want) gap(route, `${pr.who} GET ${pr.path}`, `total.received ${res.body?.total?.received}, its own towns' is ${want}`);
    }
  }
  // Halle's own data stays visible to Halle (the scoping hides the other town, not one's own).
  for (const d of D.mine) {
    const own = await call(W.base, 'GET', `/api/v1/staff/clusters/${d.CA}`, { token: W.tok[P('disp')] });
    if (own.status !== 200 || !own.text.includes(d.markers.find((m) => m.includes('INTERNAL')))) gap('GET /api/v1/staff/clusters/{id}', `${P('disp')} own`, `${d.town}'s own job: ${own.status}`);
    const mine = await call(W.base, 'GET', '/api/v1/reports', { token: W.tok[P('disp')] });
    if (!d.publicMarkers.some((m) => mine.text.includes(m))) gap('GET /api/v1/reports', `${P('disp')} own`, `${d.town}'s own reports are not shown`);
  }
  process.stdout.write(`${D.tag}: ${probes} probes over ${Object.keys(table).length} routes (${ENGINE_PG ? 'PostgreSQL' : 'SQLite'}): ` +
    `${tally.refused} refused, ${tally.scoped} answered without ${D.Other}, ${tally.ignored} public answers (token ignored), ` +
    `${tally.writes} writes checked in the database, ${tally.controls} controls, ${tally.filters} municipality= filters\n`);
  // One line a route for /work/TENANCY-GAPS.md: the first gap and how many more.
  const mineGaps = gaps.slice(from);
  const byRoute = new Map();
  for (const g of mineGaps) {
    const route = g.slice(0, g.indexOf(' ['));
    byRoute.set(route, [...(byRoute.get(route) || []), g.slice(route.length + 1)]);
  }
  for (const [route, list] of byRoute)
    process.stdout.write(`GAP ${route}: ${list[0].slice(0, 200).replace(/\s+/g, ' ')}${list.length > 1 ? ` (+${list.length - 1} more)` : ''}\n`);
  assert.deepEqual(mineGaps, [], `${mineGaps.length} tenancy gaps (${D.tag}):\n${mineGaps.join('\n')}`);
}

test('the walk: Halle accounts against Vilvoorde over every route; Vilvoorde and the region as controls', () => walk(DIRECTIONS[0]));
test('the walk back: Vilvoorde accounts against Halle; Halle and the region as controls', () => walk(DIRECTIONS[1]));
test('the walk of two towns: Halle+Vilvoorde accounts against Dilbeek; Dilbeek and the region as controls', () => walk(DIRECTIONS[2]));

test('public routes (no token) never show contact data, internal notes, answers or crew names of any town', async () => {
  const found = [];
  const seen = new Set();
  // The paths of every direction's table (each town's ids and filters), each asked once.
  const rows = DIRECTIONS.flatMap((dir) => { walkAs(dir); return Object.entries(cases()); });
  for (const [route, list] of rows) {
    if (!route.startsWith('GET ')) continue;
    for (const pr of list) {
      // Without a token; Open311 keys stay (a client is not staff).
      if (seen.has(pr.path)) continue;
      seen.add(pr.path);
      const res = await call(W.base, 'GET', pr.path, { headers: { Accept: 'application/json' } });
      for (const d of TOWNS.map((t) => W.data[t])) {
        const l = leaks(res, d, { privateOnly: true });
        if (l.length) found.push(`${route} [public GET ${pr.path}]: shows ${d.town}'s ${l.join(', ')}`);
      }
    }
  }
  // A citizen's own new report: the answer does not echo the contact either.
  const r = await call(W.base, 'POST', '/api/v1/reports', { json: { category: 'graffiti', lat: CENTRE.vilvoorde.lat, lon: CENTRE.vilvoorde.lon,
    description: 'public walk', contact: { email: 'echo@vilvoorde-walk.example', phone: '0499887766' } } });
  assert.equal(r.status, 201, r.text);
  if (leaks(r, W.data.vilvoorde, { privateOnly: true }).length) found.push('POST /api/v1/reports [public]: echoes the contact');
  assert.deepEqual(found, []);
});

test('pages are static files: none carries data of any town', async () => {
  const towns = TOWNS.map((t) => W.data[t]);
  const pages = ['/', '/staff', '/crew', '/stats', ...TOWNS.map((t) => `/m/${t}`), ...towns.map((d) => `/r/${d.a1}`),
    ...readdirSync(path.join(SOURCE_DIR, 'web')).filter((f) => f.endsWith('.html')).map((f) => `/${f}`)];
  const found = [];
  for (const p of pages) {
    for (const who of [undefined, W.tok.h_disp, W.tok.r_admin]) {
      const res = await call(W.base, 'GET', p, { token: who, headers: { Accept: 'text/html' } });
      if (res.status !== 200) found.push(`${p}: ${res.status}`);
      for (const d of towns) {
        const l = leaks(res, d).filter((x) => !x.startsWith('report ')); // a page links its own /r/{id}
        if (l.length) found.push(`${p}: ${d.town}'s ${l.join(', ')}`);
      }
    }
  }
  assert.deepEqual(found, []);
});
