// Tenants that stay apart (issue 21 point 4), on the Halle-Vilvoorde region pack: accounts
// belong to municipalities or to the whole region (the command line), the principal carries
// them (GET /api/v1/me), and every staff read and write is limited to them: an object of
// another municipality answers as a missing one (404), a list holds only one's own, an
// explicit municipality= outside them is refused (403), configuration without a municipality
// is for region-wide accounts only. tests/api/tenancy_walk.test.mjs walks every route.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, meldpunt, dbQuery, REGION_DIR } from './lib.mjs';

let server;
let base;
const tok = {};
const cli = (...args) => meldpunt(['user', ...args, '--db', server.db, '--city', REGION_DIR]);

const HALLE = { lat: 50.7345, lon: 4.2370 };
const VILVOORDE = { lat: 50.9280, lon: 4.4250 };

before(async () => {
  server = await startServer({ city: REGION_DIR });
  base = server.url;
  tok.halle = await server.user('disp-halle', 'dispatcher', undefined, 'halle');
  tok.vilvoorde = await server.user('disp-vilvoorde', 'dispatcher', undefined, 'vilvoorde');
  tok.both = await server.user('disp-both', 'dispatcher', undefined, 'vilvoorde,halle');
  tok.region = await server.user('disp-region', 'dispatcher', undefined, 'region');
});

after(async () => {
  if (server) await server.cleanup();
});

test('user add in a region pack needs --municipality or --region; unknown ids are refused', async () => {
  await assert.rejects(cli('add', 'nobody', '--role', 'dispatcher'),
    (e) => /this region has 35 municipalities: give --municipality a\[,b\.\.\.\] or --region/.test(e.stderr));
  await assert.rejects(cli('add', 'nobody', '--role', 'dispatcher', '--municipality', 'halle,gent'),
    (e) => /no municipality 'gent' in this region; members: .*halle/.test(e.stderr) &&
      /the municipalities of this region: .*vilvoorde/.test(e.stderr));
  await assert.rejects(cli('add', 'nobody', '--role', 'dispatcher', '--municipality', 'halle', '--region'),
    (e) => /not both/.test(e.stderr));
  const { stdout } = await cli('list');
  assert.equal(stdout.includes('nobody'), false, 'a refused account is not created');
  assert.match(stdout, /disp-both\s+dispatcher\s+-\s+active\s+halle,vilvoorde\n/);
  assert.match(stdout, /disp-halle\s+dispatcher\s+-\s+active\s+halle\n/);
  assert.match(stdout, /disp-region\s+dispatcher\s+-\s+active\s+region\n/);
});

test('GET /api/v1/me carries the municipalities; user scope changes them and is audited', async () => {
  let r = await api(base, 'GET', '/api/v1/me', { token: tok.both });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { name: 'disp-both', role: 'dispatcher', department: null,
    region_wide: false, municipalities: ['halle', 'vilvoorde'] });
  r = await api(base, 'GET', '/api/v1/me', { token: tok.region });
  assert.equal(r.body.region_wide, true);
  assert.equal(r.body.municipalities, null);

  await cli('add', 'disp-moving', '--role', 'dispatcher', '--municipality', 'asse');
  await cli('scope', 'disp-moving', '--municipality', 'beersel,halle');
  const { stdout } = await cli('token', 'disp-moving');
  r = await api(base, 'GET', '/api/v1/me', { token: stdout.trim() });
  assert.deepEqual(r.body.municipalities, ['beersel', 'halle']);
  await cli('scope', 'disp-moving', '--region');
  r = await api(base, 'GET', '/api/v1/me', { token: stdout.trim() });
  assert.equal(r.body.region_wide, true);
  await assert.rejects(cli('scope', 'disp-moving'), (e) => /needs --municipality/.test(e.stderr));
  await assert.rejects(cli('scope', 'ghost', '--region'), (e) => /no account named ghost/.test(e.stderr));
  const audit = dbQuery(server.db, "SELECT action || ' ' || detail FROM audit WHERE detail LIKE '%disp-moving%' ORDER BY id");
  assert.deepEqual(audit.split('\n'), [
    'add {"user":"disp-moving","municipalities":"asse"}',
    'scope {"user":"disp-moving","municipalities":"beersel,halle"}',
    'scope {"user":"disp-moving","municipalities":"region"}',
  ]);
});

// Jobs: two in Halle (far enough apart not to fold) and one in Vilvoorde, same category.
const HALLE_2 = { lat: 50.7390, lon: 4.2450 };
const jobs = {};
const report = (p, extra = {}) =>
  api(base, 'POST', '/api/v1/reports', { json: { category: 'sluikstort', lat: p.lat, lon: p.lon, ...extra } });

async function setUpJobs() {
  if (jobs.halle) return jobs;
  for (const [k, p] of [['halle', HALLE], ['halle2', HALLE_2], ['vilvoorde', VILVOORDE]]) {
    const r = await report(p, { description: `tenancy ${k}`, contact: { email: `${k}@example.org` } });
    assert.equal(r.status, 201, r.text);
    jobs[k] = { cluster: r.body.cluster.id, report: r.body.report.id };
  }
  assert.notEqual(jobs.halle.cluster, jobs.halle2.cluster);
  return jobs;
}

/** The answer to a missing id of the same route, with id swapped for the missing one. */
async function sameAsMissing(method, pathOf, id, opts) {
  const foreign = await api(base, method, pathOf(id), opts);
  const missing = await api(base, method, pathOf(999999), opts);
  assert.equal(foreign.status, 404, `${method} ${pathOf(id)}: ${foreign.text}`);
  assert.equal(missing.status, 404, missing.text);
  assert.equal(foreign.body.error.code, 'not_found');
  assert.equal(foreign.body.error.message, missing.body.error.message.replaceAll('999999', String(id)),
    'another municipality\'s object answers word for word as a missing one');
  return foreign;
}

test('a Halle dispatcher cannot see or change a Vilvoorde job: 404 as for a missing id', async () => {
  const j = await setUpJobs();
  const h = { token: tok.halle };
  const v = j.vilvoorde.cluster;
  await sameAsMissing('GET', (id) => `/api/v1/staff/clusters/${id}`, v, h);
  await sameAsMissing('GET', (id) => `/api/v1/staff/clusters/${id}/merge-candidates`, v, h);
  await sameAsMissing('POST', (id) => `/api/v1/clusters/${id}/status`, v, { ...h, json: { status: 'acknowledged' } });
  await sameAsMissing('POST', (id) => `/api/v1/clusters/${id}/assign`, v, { ...h, json: { priority: 1 } });
  // Merging either way, and moving the Vilvoorde report, find nothing to work on.
  await sameAsMissing('POST', (id) => `/api/v1/clusters/${id}/merge`, v, { ...h, json: { into: j.halle.cluster } });
  const into = await api(base, 'POST', `/api/v1/clusters/${j.halle.cluster}/merge`, { ...h, json: { into: v } });
  assert.equal(into.status, 404, into.text);
  assert.equal(into.body.error.message, `there is no cluster ${v}`);
  await sameAsMissing('POST', (id) => `/api/v1/reports/${id}/move`, j.vilvoorde.report, { ...h, json: { to: null } });
  // Nothing changed: Vilvoorde's own dispatcher sees its job as it was.
  const own = await api(base, 'GET', `/api/v1/staff/clusters/${v}`, { token: tok.vilvoorde });
  assert.equal(own.status, 200, own.text);
  assert.equal(own.body.status ?? own.body.cluster?.status, 'new');
  // The Halle dispatcher works on Halle's job as before.
  const mine = await api(base, 'GET', `/api/v1/staff/clusters/${j.halle.cluster}`, h);
  assert.equal(mine.status, 200, mine.text);
});

test('across two of one\'s own municipalities a merge or move keeps its 409 municipality_mismatch', async () => {
  const j = await setUpJobs();
  const r = await api(base, 'POST', `/api/v1/clusters/${j.vilvoorde.cluster}/merge`,
    { token: tok.both, json: { into: j.halle.cluster, reason: 'test' } });
  assert.equal(r.status, 409, r.text);
  assert.equal(r.body.error.code, 'municipality_mismatch');
  const m = await api(base, 'POST', `/api/v1/reports/${j.vilvoorde.report}/move`,
    { token: tok.both, json: { to: j.halle.cluster } });
  assert.equal(m.status, 409, m.text);
  assert.equal(m.body.error.code, 'municipality_mismatch');
});

test('the queue and the worklist hold only one\'s municipalities; municipality= outside them is 403', async () => {
  const j = await setUpJobs();
  const ids = (r) => r.body.clusters.map((c) => c.cluster_id);
  const q = async (token, extra = '') => api(base, 'GET', `/api/v1/staff/queue?limit=500${extra}`, { token });
  let r = await q(tok.halle);
  assert.equal(r.status, 200, r.text);
  assert.ok(ids(r).includes(j.halle.cluster));
  assert.equal(ids(r).includes(j.vilvoorde.cluster), false, 'the Vilvoorde job is not in Halle\'s queue');
  r = await q(tok.region);
  assert.ok(ids(r).includes(j.halle.cluster) && ids(r).includes(j.vilvoorde.cluster));
  r = await q(tok.both, '&municipality=vilvoorde');
  assert.deepEqual(ids(r).includes(j.halle.cluster), false);
  assert.ok(ids(r).includes(j.vilvoorde.cluster));
  r = await q(tok.halle, '&municipality=vilvoorde');
  assert.equal(r.status, 403, r.text);
  assert.equal(r.body.error.code, 'forbidden');
  assert.equal(r.body.error.message, "municipality 'vilvoorde' is not one of this account's (halle)");

  const w = await api(base, 'GET', '/api/v1/worklist', { token: tok.halle });
  assert.equal(w.status, 200, w.text);
  const wl = w.body.features.map((f) => f.properties.cluster_id);
  assert.ok(wl.includes(j.halle.cluster), w.text);
  assert.equal(wl.includes(j.vilvoorde.cluster), false);
  const wf = await api(base, 'GET', '/api/v1/worklist?municipality=vilvoorde', { token: tok.halle });
  assert.equal(wf.status, 403, wf.text);
});

test('an export with a token holds only one\'s municipalities; municipality= outside them is 403', async () => {
  const j = await setUpJobs();
  const exp = (token, q = '') => api(base, 'GET', `/api/v1/export?what=clusters&format=geojson${q}`, { token });
  const idsOf = (r) => JSON.parse(r.text).features.map((f) => f.properties.id ?? f.id);
  let r = await exp(tok.halle);
  assert.equal(r.status, 200, r.text);
  assert.ok(idsOf(r).includes(j.halle.cluster));
  assert.equal(idsOf(r).includes(j.vilvoorde.cluster), false, 'Vilvoorde\'s jobs are not in Halle\'s export');
  r = await exp(tok.region);
  assert.ok(idsOf(r).includes(j.vilvoorde.cluster) && idsOf(r).includes(j.halle.cluster));
  r = await exp(tok.halle, '&municipality=vilvoorde');
  assert.equal(r.status, 403, r.text);
  assert.equal(r.body.error.message, "municipality 'vilvoorde' is not one of this account's (halle)");
  const rep = await api(base, 'GET', '/api/v1/export?what=reports&format=csv', { token: tok.halle });
  assert.equal(rep.status, 200, rep.text);
  assert.equal(rep.text.includes('tenancy vilvoorde'), false, 'nor its reports');
  assert.ok(rep.text.includes('tenancy halle'));
});

/** RFC 4180 records (quoted fields, "" escapes, CRLF) of a CSV text without its BOM. */
function csvRecords(text) {
  const rows = [];
  let row = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(f); rows.push(row); row = []; f = ''; i++;
    } else f += c;
  }
  return rows;
}

test('exports of a region name each row\'s municipality (CSV column, GeoJSON property), with a token or without', async () => {
  const j = await setUpJobs();
  const PUB = { reports: ['id', 'category', 'category_name', 'status', 'created_at', 'updated_at', 'fixed_at', 'district',
    'location', 'address', 'description'], clusters: ['id', 'category', 'category_name', 'status', 'report_count', 'first_at',
    'last_at', 'fixed_at', 'updated_at', 'district', 'location'] };
  const STAFF = { reports: ['district_code', 'cluster_id', 'channel', 'external_id', 'join_reason'], clusters: ['district_code'] };
  const want = { reports: { [j.halle.report]: 'halle', [j.vilvoorde.report]: 'vilvoorde' },
    clusters: { [j.halle.cluster]: 'halle', [j.vilvoorde.cluster]: 'vilvoorde' } };
  for (const what of ['reports', 'clusters']) {
    for (const [who, token] of [['public', undefined], ['region', tok.region], ['halle', tok.halle]]) {
      const get = async (format) => {
        const r = await fetch(`${base}/api/v1/export?what=${what}&format=${format}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
        assert.equal(r.status, 200, `${who} ${what} ${format}`);
        return Buffer.from(await r.arrayBuffer()).toString('utf8');
      };
      const label = `${who} ${what}`;
      // CSV: the column after lon and lat, before the staff columns.
      const [head, ...rows] = csvRecords((await get('csv')).replace(/^\uFEFF/, ''));
      assert.deepEqual(head, [...PUB[what], 'lon', 'lat', 'municipality', ...(token ? STAFF[what] : [])], label);
      const col = head.indexOf('municipality');
      const byId = Object.fromEntries(rows.map((r) => [r[0], r[col]]));
      // GeoJSON and its text sequence: the property after the public ones, as OGC features have it.
      const fc = JSON.parse(await get('geojson')).features;
      const seq = (await get('geojsonseq')).split('\x1e').filter(Boolean).map((t) => JSON.parse(t));
      for (const features of [fc, seq]) {
        assert.equal(features.length, rows.length, label);
        for (const f of features) {
          assert.deepEqual(Object.keys(f.properties), [...PUB[what], 'municipality', ...(token ? STAFF[what] : [])], label);
          assert.equal(f.properties.municipality, byId[String(f.id)], `${label} ${f.id}: CSV and GeoJSON agree`);
        }
      }
      for (const [id, m] of Object.entries(want[what])) {
        if (who === 'halle' && m !== 'halle') assert.equal(byId[id], undefined, `${label}: not Halle's`);
        else assert.equal(byId[id], m, `${label} ${id}`);
      }
      assert.ok(rows.every((r) => /^[a-z-]+$/.test(r[col])), `${label}: every row has its member's id`);
    }
  }
  // meldpunt export writes the same bytes as the API (the municipality too).
  const api = await fetch(`${base}/api/v1/export?what=clusters&format=csv`);
  const http = Buffer.from(await api.arrayBuffer()).toString('utf8');
  const { stdout } = await meldpunt(['export', '--db', server.db, '--city', REGION_DIR, '--format', 'csv', '--what', 'clusters'],
    { env: { MELDPUNT_TILE_URL: '' } });
  assert.equal(stdout, http);
  assert.ok(http.includes(',halle'), 'the CLI export has the column too');
});

test('feedback, merges and Open311 updates of another municipality answer as missing ones', async () => {
  const j = await setUpJobs();
  // Feedback about a cluster of another municipality: none, as for a cluster that does not exist.
  const fb = await api(base, 'GET', `/api/v1/clusters/${j.vilvoorde.cluster}/feedback`, { token: tok.halle });
  const fbMissing = await api(base, 'GET', '/api/v1/clusters/999999/feedback', { token: tok.halle });
  assert.equal(fb.status, 200, fb.text);
  assert.deepEqual(fb.body.answers, fbMissing.body.answers);

  // Undoing a Vilvoorde merge from Halle: not found.
  const v2 = await report({ lat: VILVOORDE.lat + 0.004, lon: VILVOORDE.lon }, { description: 'tenancy vilvoorde 2' });
  assert.equal(v2.status, 201, v2.text);
  const merged = await api(base, 'POST', `/api/v1/clusters/${v2.body.cluster.id}/merge`,
    { token: tok.vilvoorde, json: { into: j.vilvoorde.cluster, reason: 'same pile' } });
  assert.equal(merged.status, 200, merged.text);
  await sameAsMissing('POST', (id) => `/api/v1/merges/${id}/undo`, merged.body.merge_id ?? merged.body.merge.id,
    { token: tok.halle });

  // Open311: a Halle client's update of a Vilvoorde request.
  const key = await server.user('fms-halle', 'client', undefined, 'halle');
  const post = (id) => api(base, 'POST', '/open311/v2/servicerequestupdates.json', { form: new URLSearchParams({
    api_key: key, service_request_id: String(id), update_id: `u-${id}`, updated_datetime: '2026-12-07T10:00:00+01:00',
    status: 'OPEN', description: 'seen again' }) });
  const foreign = await post(j.vilvoorde.report);
  const missing = await post(999999);
  assert.equal(foreign.status, 404, foreign.text);
  assert.equal(foreign.text, missing.text.replaceAll('999999', String(j.vilvoorde.report)));
  const own = await post(j.halle.report);
  assert.equal(own.status, 200, own.text);
});

test('undoing a merge whose surviving job is gone: 409 moved_on for its town\'s staff as for the region\'s, 404 for another town', async () => {
  // Three Halle jobs 500 m apart (no folding): A into B, then B into C, so that A's merge has
  // lost its surviving job B.
  const ids = [];
  for (const dlat of [-0.0060, -0.0105, -0.0150]) {
    const r = await report({ lat: HALLE.lat + dlat, lon: HALLE.lon }, { description: `tenancy halle gone ${dlat}` });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.municipality.id, 'halle');
    ids.push(r.body.cluster.id);
  }
  assert.equal(new Set(ids).size, 3, 'three jobs');
  const merge = async (from, into) => {
    const r = await api(base, 'POST', `/api/v1/clusters/${from}/merge`, { token: tok.halle, json: { into, reason: 'one pile' } });
    assert.equal(r.status, 200, r.text);
    return r.body.merge_id;
  };
  const first = await merge(ids[0], ids[1]);
  await merge(ids[1], ids[2]);
  const undo = (token, id = first) => api(base, 'POST', `/api/v1/merges/${id}/undo`, { token, json: {} });
  const region = await undo(tok.region);
  assert.equal(region.status, 409, region.text);
  assert.equal(region.body.error.code, 'moved_on');
  assert.equal(region.body.error.message,
    `cluster ${ids[1]} no longer exists: its reports have moved on since the merge, which cannot be undone`);
  // Halle's own desk, and a desk of Halle and Vilvoorde: the same answer, word for word.
  for (const token of [tok.halle, tok.both]) {
    const r = await undo(token);
    assert.equal(r.status, 409, r.text);
    assert.deepEqual(r.body.error, region.body.error);
  }
  // Vilvoorde's desk: exactly a missing merge.
  const foreign = await undo(tok.vilvoorde);
  const missing = await undo(tok.vilvoorde, 999999);
  assert.equal(foreign.status, 404, foreign.text);
  assert.equal(foreign.body.error.code, 'not_found');
  assert.equal(foreign.body.error.message, `there is no merge ${first}`);
  assert.equal(foreign.body.error.message, missing.body.error.message.replaceAll('999999', String(first)));
  // Nothing was undone by any of them.
  assert.equal(dbQuery(server.db, `SELECT count(*) FROM merges WHERE id = ${first} AND undone_at IS NULL`), '1');
});

test('the outbox and webhooks carry every municipality: region-wide admins only', async () => {
  const admin = await server.user('admin-halle', 'admin', undefined, 'halle');
  const boss = await server.user('admin-region', 'admin', undefined, 'region');
  for (const [method, p, json] of [['GET', '/api/v1/outbox'], ['GET', '/api/v1/webhooks'],
    ['POST', '/api/v1/webhooks', { url: 'https://example.org/hook', events: ['report.created'] }],
    ['GET', '/api/v1/outbox/1'], ['POST', '/api/v1/outbox/1/retry']]) {
    const r = await api(base, method, p, { token: admin, json });
    assert.equal(r.status, 403, `${method} ${p}: ${r.text}`);
    assert.equal(r.body.error.code, 'forbidden');
    assert.match(r.body.error.message, /applies to the whole region: only a region-wide account may use it/);
  }
  const ok = await api(base, 'GET', '/api/v1/outbox', { token: boss });
  assert.equal(ok.status, 200, ok.text);
  const hooks = await api(base, 'GET', '/api/v1/webhooks', { token: boss });
  assert.equal(hooks.status, 200, hooks.text);
});

test('crews offered and assignable are those of the job\'s municipality', async () => {
  const j = await setUpJobs();
  await server.user('crew-halle', 'crew', 'wegen', 'halle');
  await server.user('crew-vilvoorde', 'crew', 'wegen', 'vilvoorde');
  const names = async (token) => (await api(base, 'GET', '/api/v1/staff/crews', { token })).body.crews.map((c) => c.name);
  const halleSees = await names(tok.halle);
  assert.ok(halleSees.includes('crew-halle'));
  assert.equal(halleSees.includes('crew-vilvoorde'), false);
  assert.ok((await names(tok.region)).includes('crew-vilvoorde'));
  const r = await api(base, 'POST', `/api/v1/clusters/${j.halle.cluster}/assign`,
    { token: tok.both, json: { crew: 'crew-vilvoorde' } });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.error.code, 'unknown_crew');
});

test('staff and API clients record reports in their own municipalities only', async () => {
  const before = dbQuery(server.db, 'SELECT count(*) FROM reports');
  const r = await api(base, 'POST', '/api/v1/reports', { token: tok.halle,
    json: { category: 'sluikstort', lat: VILVOORDE.lat, lon: VILVOORDE.lon, channel: 'phone', description: 'by phone' } });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.body.error.message, 'the point lies in Vilvoorde, which is not one of this account\'s municipalities');
  const key = await server.user('fms-halle-2', 'client', undefined, 'halle');
  const o = await api(base, 'POST', '/open311/v2/requests.json', { form: new URLSearchParams({
    api_key: key, service_code: 'sluikstort', lat: String(VILVOORDE.lat), long: String(VILVOORDE.lon),
    description: 'via FixMyStreet' }) });
  assert.equal(o.status, 403, o.text);
  assert.match(o.text, /the point lies in Vilvoorde, which is not one of this account's municipalities/);
  assert.equal(dbQuery(server.db, 'SELECT count(*) FROM reports'), before, 'nothing stored');
  const own = await api(base, 'POST', '/api/v1/reports', { token: tok.halle,
    json: { category: 'sluikstort', lat: HALLE.lat + 0.01, lon: HALLE.lon, channel: 'phone', description: 'by phone' } });
  assert.equal(own.status, 201, own.text);
});
