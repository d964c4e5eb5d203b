// Exports for analysts (issue 6): GET /api/v1/export and `meldpunt export` as RFC 7946
// GeoJSON, RFC 8142 GeoJSON text sequences and RFC 4180 CSV. Every export is parsed back and
// checked for structure, coordinate order and row counts against the reports API; public
// exports carry public fields only, staff exports add internal fields but never contacts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { startServer, api, meldpunt, CITY_DIR, LOOP, offset } from './lib.mjs';

const PUBLIC_REPORT = ['id', 'category', 'category_name', 'status', 'created_at', 'updated_at',
  'fixed_at', 'district', 'location', 'address', 'description'];
const INTERNAL_REPORT = ['district_code', 'cluster_id', 'channel', 'external_id', 'join_reason'];
const PUBLIC_CLUSTER = ['id', 'category', 'category_name', 'status', 'report_count', 'first_at',
  'last_at', 'fixed_at', 'updated_at', 'district', 'location'];
// Chicago's bounding box (city.json), a little wider: lon is about -87.5..-88, lat 41.6..42.1.
const inChicago = ([lon, lat]) => lon > -88.0 && lon < -87.5 && lat > 41.6 && lat < 42.05;

const CONTACT = { name: 'Henrietta Quill', email: 'hq.reporter@example.org', phone: '+1 312 555 0199' };
const TRICKY = 'Hole, "deep"\nnear the bus stop; call me at 312-555-0123 or mail hq@example.org';

let srv;
let dispatcher;
let crew;
let tricky; // the report with contact data and awkward text

before(async () => {
  srv = await startServer({ demo: true });
  dispatcher = await srv.user('dana', 'dispatcher');
  crew = await srv.user('carl', 'crew', 'streets');
  const p = offset(LOOP, 15, -20);
  let r = await api(srv.url, 'POST', '/api/v1/reports', { json: {
    category: 'pothole', lat: p.lat, lon: p.lon, description: TRICKY, address: '=HYPERLINK("x")',
    contact: CONTACT,
  } });
  assert.equal(r.status, 201, r.text);
  tricky = r.body.report.id;
  // A second, plain report elsewhere, so that filters have something to tell apart.
  const q = offset(LOOP, 2500, -1800);
  r = await api(srv.url, 'POST', '/api/v1/reports', { json: { category: 'graffiti', lat: q.lat, lon: q.lon } });
  assert.equal(r.status, 201, r.text);
});
after(async () => { await srv.cleanup(); });

/** Counts what the paged listing API returns for the same filters. */
async function listCount(what, params = {}) {
  let n = 0;
  let cursor = null;
  for (;;) {
    const q = new URLSearchParams({ ...params, limit: '5000' });
    if (cursor) q.set('cursor', cursor);
    const r = await api(srv.url, 'GET', `/api/v1/${what}?${q}`);
    assert.equal(r.status, 200, r.text);
    n += r.body.features.length;
    cursor = r.body.next_cursor;
    if (!cursor) return n;
  }
}

/** GET /api/v1/export; text keeps a byte order mark (fetch's res.text() would drop it). */
async function exportRaw(params, token) {
  const q = new URLSearchParams(params);
  const res = await fetch(`${srv.url}/api/v1/export?${q}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  let body;
  try { body = JSON.parse(text); } catch { body = undefined; }
  return { status: res.status, headers: res.headers, text, bytes, body };
}

/** A strict RFC 4180 parser: CRLF records, quoted fields with "" escapes. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++;
        assert.ok(i >= text.length || text[i] === ',' || text[i] === '\r', `junk after quote at ${i}`);
        continue;
      }
      field += c; i++;
      continue;
    }
    if (c === '"') {
      assert.equal(field, '', `quote inside an unquoted field at ${i}`);
      quoted = true; i++;
    } else if (c === ',') {
      row.push(field); field = ''; i++;
    } else if (c === '\r') {
      assert.equal(text[i + 1], '\n', `bare CR at ${i}`);
      row.push(field); rows.push(row); row = []; field = ''; i += 2;
    } else {
      assert.notEqual(c, '\n', `bare LF at ${i}`);
      field += c; i++;
    }
  }
  assert.equal(quoted, false, 'unterminated quoted field');
  assert.equal(field, '', 'the last record lacks its CRLF');
  assert.equal(row.length, 0);
  return rows;
}

function checkFeature(f, what, keys) {
  assert.equal(f.type, 'Feature');
  assert.equal(f.geometry.type, 'Point');
  assert.equal(f.geometry.coordinates.length, 2);
  assert.ok(inChicago(f.geometry.coordinates), `lon, lat order: ${f.geometry.coordinates}`);
  assert.equal(typeof f.id, 'number');
  assert.equal(f.properties.id, f.id);
  assert.deepEqual(Object.keys(f.properties), keys, `${what} properties`);
  for (const c of f.geometry.coordinates) {
    assert.ok(String(c).split('.')[1] === undefined || String(c).split('.')[1].length <= 7, `${c}: 7 decimals at most`);
  }
}

function assertNoContacts(text) {
  for (const v of [CONTACT.name, CONTACT.email, CONTACT.phone, 'hq@example.org', '312-555-0123', 'contact']) {
    assert.ok(!text.includes(v), `the export contains ${v}`);
  }
}

test('GeoJSON export: an RFC 7946 FeatureCollection of every report, lon/lat, public fields only', async () => {
  const r = await exportRaw({ format: 'geojson' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'application/geo+json');
  assert.match(r.headers.get('content-disposition'), /^attachment; filename="meldpunt-reports-\d{8}\.geojson"$/);
  assert.equal(r.headers.get('content-length'), null, 'streamed, not buffered');
  const fc = JSON.parse(r.text);
  assert.deepEqual(Object.keys(fc), ['type', 'features']);
  assert.equal(fc.type, 'FeatureCollection');
  assert.equal(fc.features.length, await listCount('reports'));
  assert.ok(fc.features.length > 900);
  let last = 0;
  for (const f of fc.features) {
    checkFeature(f, 'report', PUBLIC_REPORT);
    assert.ok(f.id > last, 'ids ascend');
    last = f.id;
    assert.match(f.properties.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
  assertNoContacts(r.text);
  const t = fc.features.find((f) => f.id === tricky);
  assert.equal(t.properties.description.includes('[hidden]'), true, 'typed contacts are masked');
  assert.ok(t.properties.description.startsWith('Hole, "deep"\nnear the bus stop'));
  // Fixed reports carry their fix time; open ones none.
  const fixed = fc.features.filter((f) => f.properties.status === 'fixed');
  assert.ok(fixed.length > 100);
  for (const f of fixed) assert.match(f.properties.fixed_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  for (const f of fc.features.filter((x) => x.properties.status === 'new')) assert.equal(f.properties.fixed_at, null);
  // Same positions as the reports API.
  const one = await api(srv.url, 'GET', `/api/v1/reports/${fc.features[0].id}`);
  assert.deepEqual(one.body.geometry.coordinates, fc.features[0].geometry.coordinates);
});

test('GeoJSON text sequence: RS before and LF after each Feature (RFC 8142)', async () => {
  const r = await exportRaw({ format: 'geojsonseq', what: 'clusters' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'application/geo+json-seq');
  assert.equal(r.text[0], '\x1e');
  const records = r.text.split('\x1e').slice(1);
  assert.equal(records.length, await listCount('clusters'));
  for (const rec of records) {
    assert.ok(rec.endsWith('\n'), 'each record ends with LF');
    assert.equal(rec.indexOf('\n'), rec.length - 1, 'one line per record');
    checkFeature(JSON.parse(rec), 'cluster', PUBLIC_CLUSTER);
  }
});

test('CSV export: BOM, header, RFC 4180 quoting, numeric lon/lat, formula injection defused', async () => {
  const r = await exportRaw({ format: 'csv' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8; header=present');
  assert.ok(r.text.startsWith('\ufeff'), 'UTF-8 byte order mark for spreadsheets');
  const rows = parseCsv(r.text.slice(1));
  assert.deepEqual(rows[0], [...PUBLIC_REPORT, 'lon', 'lat']);
  assert.equal(rows.length - 1, await listCount('reports'));
  const col = Object.fromEntries(rows[0].map((h, i) => [h, i]));
  for (const row of rows.slice(1)) {
    assert.equal(row.length, rows[0].length);
    assert.match(row[col.lon], /^-\d+(\.\d{1,7})?$/);
    assert.match(row[col.lat], /^\d+(\.\d{1,7})?$/);
    assert.ok(inChicago([Number(row[col.lon]), Number(row[col.lat])]));
  }
  const t = rows.find((row) => row[col.id] === String(tricky));
  assert.ok(t[col.description].startsWith('Hole, "deep"\nnear the bus stop'), 'commas, quotes and newlines survive');
  assert.equal(t[col.address], '\'=HYPERLINK("x")', 'a formula is written as text');
  assertNoContacts(r.text);
  // The same rows, the same order as the GeoJSON export.
  const g = JSON.parse((await exportRaw({ format: 'geojson' })).text);
  assert.deepEqual(rows.slice(1).map((row) => Number(row[col.id])), g.features.map((f) => f.id));
});

test('filters: category, status, district, time range and bbox select what the reports API selects', async () => {
  const sets = [
    { category: 'pothole' },
    { category: 'street_light_out,graffiti' },
    { status: 'open' },
    { status: 'fixed' },
    { district: '32' },
    { since: '2021-01-01T12:00:00Z', until: '2021-01-02T00:00:00Z' },
    { bbox: '-87.70,41.85,-87.60,41.95' },
    { category: 'pothole', bbox: '-87.70,41.85,-87.60,41.95', status: 'open' },
  ];
  for (const filters of sets) {
    const want = await listCount('reports', filters);
    const g = await exportRaw({ format: 'geojson', ...filters });
    assert.equal(g.status, 200, g.text);
    const fc = JSON.parse(g.text);
    assert.equal(fc.features.length, want, JSON.stringify(filters));
    const c = await exportRaw({ format: 'csv', ...filters });
    assert.equal(parseCsv(c.text.slice(1)).length - 1, want, `csv ${JSON.stringify(filters)}`);
    if (filters.category === 'pothole') for (const f of fc.features) assert.equal(f.properties.category, 'pothole');
    if (filters.bbox) {
      for (const f of fc.features) {
        const [lon, lat] = f.geometry.coordinates;
        assert.ok(lon >= -87.70 && lon <= -87.60 && lat >= 41.85 && lat <= 41.95);
      }
    }
  }
  const some = JSON.parse((await exportRaw({ format: 'geojson', category: 'pothole' })).text);
  assert.ok(some.features.length > 0 && some.features.length < 100, 'the filter filters');
  const cl = JSON.parse((await exportRaw({ what: 'clusters', status: 'open' })).text);
  assert.equal(cl.features.length, await listCount('clusters', { status: 'open' }));
});

test('staff exports add internal fields, never contacts; a wrong token is refused', async () => {
  const r = await exportRaw({ format: 'geojson' }, dispatcher);
  assert.equal(r.status, 200, r.text);
  const fc = JSON.parse(r.text);
  for (const f of fc.features) checkFeature(f, 'report', [...PUBLIC_REPORT, ...INTERNAL_REPORT]);
  assertNoContacts(r.text);
  const demo = fc.features.find((f) => f.properties.external_id);
  assert.match(demo.properties.external_id, /^SR21-/);
  assert.equal(typeof demo.properties.join_reason, 'object');
  const t = fc.features.find((f) => f.id === tricky);
  assert.equal(t.properties.channel, 'web');
  assert.ok(t.properties.cluster_id > 0);
  assert.ok(t.properties.description.includes('[hidden]'), 'typed contacts stay masked for staff');

  const csv = await exportRaw({ format: 'csv', what: 'clusters' }, dispatcher);
  assert.deepEqual(parseCsv(csv.text.slice(1))[0], [...PUBLIC_CLUSTER, 'lon', 'lat', 'district_code']);
  const seq = await exportRaw({ format: 'geojsonseq' }, dispatcher);
  assertNoContacts(seq.text);

  // Crew are staff but not analysts: public fields.
  const c = JSON.parse((await exportRaw({ format: 'geojson' }, crew)).text);
  checkFeature(c.features[0], 'report', PUBLIC_REPORT);
  const bad = await exportRaw({ format: 'geojson' }, 'mp_not-a-real-token');
  assert.equal(bad.status, 401);
});

test('bad requests get a clear 400', async () => {
  const cases = [
    [{ format: 'xml' }, /format must be geojson, geojsonseq or csv/],
    [{ what: 'people' }, /what must be reports or clusters/],
    [{ colour: 'red' }, /unknown query parameter 'colour'/],
    [{ bbox: '1,2,3' }, /bbox/],
    [{ category: 'nope' }, /unknown category 'nope'/],
    [{ status: 'lost' }, /unknown status 'lost'/],
    [{ since: 'yesterday' }, /since must be an ISO 8601/],
    [{ limit: '5' }, /unknown query parameter 'limit'/],
  ];
  for (const [params, message] of cases) {
    const r = await exportRaw(params);
    assert.equal(r.status, 400, JSON.stringify(params));
    assert.match(r.body.error.message, message);
  }
  const post = await api(srv.url, 'POST', '/api/v1/export', { json: {} });
  assert.equal(post.status, 405);
});

test('a download streams: the first bytes arrive before the client reads the rest', async () => {
  const res = await fetch(`${srv.url}/api/v1/export?format=geojsonseq`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('transfer-encoding'), 'chunked');
  const reader = res.body.getReader();
  const { value } = await reader.read();
  assert.equal(value[0], 0x1e);
  await reader.cancel(); // the server must cope with a client that leaves early
  const again = await api(srv.url, 'GET', '/healthz');
  assert.equal(again.status, 200);
});

test('meldpunt export writes the same bytes as the API, to stdout or a file', async () => {
  const env = { MELDPUNT_TILE_URL: '' };
  for (const format of ['geojson', 'geojsonseq', 'csv']) {
    const http = await exportRaw({ format, what: 'clusters', category: 'pothole,graffiti' });
    const { stdout } = await meldpunt(['export', '--db', srv.db, '--city', CITY_DIR, '--format', format,
      '--what', 'clusters', '--category', 'pothole,graffiti'], { env });
    assert.equal(stdout, http.text, format);
  }
  const out = path.join(srv.dir, 'out.csv');
  const { stderr } = await meldpunt(['export', '--db', srv.db, '--city', CITY_DIR, '--format', 'csv',
    '--internal', '--status', 'open', '--output', out], { env });
  assert.match(stderr, /\d+ reports written to /);
  const rows = parseCsv((await readFile(out, 'utf8')).slice(1));
  assert.deepEqual(rows[0], [...PUBLIC_REPORT, 'lon', 'lat', ...INTERNAL_REPORT]);
  assert.equal(rows.length - 1, await listCount('reports', { status: 'open' }));
  assertNoContacts(await readFile(out, 'utf8'));
  assert.ok((await stat(out)).size > 1000);

  await assert.rejects(meldpunt(['export', '--db', srv.db, '--city', CITY_DIR, '--format', 'xml'], { env }),
    (e) => e.code === 2 && /format must be geojson/.test(e.stderr));
  await assert.rejects(meldpunt(['export', '--db', path.join(srv.dir, 'missing.sqlite'), '--city', CITY_DIR], { env }),
    (e) => e.code === 1 && /no database at/.test(e.stderr));
  await assert.rejects(meldpunt(['export', '--db', srv.db, '--city', CITY_DIR, '--district', 'Atlantis'], { env }),
    (e) => e.code === 2 && /unknown district/.test(e.stderr));
});
