// `meldpunt copy-store FROM TO` (issue 15 point 4): a SQLite database filled through the real
// API is copied to PostgreSQL and back to a new SQLite file; every step verifies counts and
// checksums of every table, the copies answer the same JSON as the original, new rows get ids
// above every id the original ever gave, a changed row in the target is found by
// --verify-only, and a target that holds rows is refused.
// Runs on the throwaway cluster of tests/pg/cluster.sh (MELDPUNT_TEST_ENGINE=pg).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import {
  api, newDatabase, dbQuery, startServer, postReportWithPhoto, offset, ENGINE_PG, BINARY,
  SOURCE_DIR, LOOP,
} from '../api/lib.mjs';

assert.ok(ENGINE_PG, 'run with MELDPUNT_TEST_ENGINE=pg and MELDPUNT_TEST_PG_DIR (CTest does)');

let dir;
let pg;
let srcDb;
let backDb;
const tok = {};
const ids = {};

/** Runs `meldpunt copy-store ...args`; resolves { code, stdout, stderr } (never rejects). */
function copyStore(...args) {
  return new Promise((resolve) => {
    execFile(BINARY, ['copy-store', ...args], { cwd: SOURCE_DIR, timeout: 300000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

/** The verification table of copy-store's output: { table: { rows, sum, next, ok } }. */
function table(stdout) {
  const out = {};
  for (const line of stdout.split('\n').slice(1)) {
    const m = /^(\w+)\s+(\S+)\s+([0-9a-f]{16}!?)\s+(\S+)\s+(ok|MISMATCH)$/.exec(line);
    if (m) out[m[1]] = { rows: m[2], sum: m[3], next: m[4], ok: m[5] === 'ok' };
  }
  return out;
}

const post = (srv, p, json, token = tok.admin) => api(srv.url, 'POST', p, { json, token });

/** Fills a server's database through the API: reports (some with photos and contact data,
 * some joining others), status changes with notes, an assignment, a staff merge, a move,
 * an area alert, a webhook. */
async function fill(srv) {
  tok.admin = await srv.user('copy-admin', 'admin');
  tok.disp = await srv.user('copy-disp', 'dispatcher');
  const made = [];
  for (let k = 0; k < 12; k++) {
    const p = offset(LOOP, 400 * (k % 4), -400 * Math.floor(k / 4));
    const r = await api(srv.url, 'POST', '/api/v1/reports', {
      json: { category: k % 2 ? 'graffiti' : 'pothole', lat: p.lat, lon: p.lon, description: `hole ${k} é`,
        contact: k % 3 === 0 ? { name: 'R. Porter', email: `r${k}@example.net` } : undefined } });
    assert.equal(r.status, 201, r.text);
    made.push(r.body);
    // A second report of the same defect joins its cluster.
    const same = await api(srv.url, 'POST', '/api/v1/reports', {
      json: { category: k % 2 ? 'graffiti' : 'pothole', lat: p.lat, lon: p.lon, description: 'again' } });
    assert.equal(same.status, 201, same.text);
  }
  for (let k = 0; k < 3; k++) {
    const ph = await postReportWithPhoto(srv.url);
    assert.equal(ph.status, 201, ph.text);
    ids.photo = ph.body.report.id;
  }
  const c = made.map((m) => m.cluster.id);
  ids.report = made[0].report.id;
  ids.cluster = c[0];
  assert.equal((await post(srv, `/api/v1/clusters/${c[0]}/status`, { status: 'acknowledged', note: 'on it', note_public: true })).status, 200);
  assert.equal((await post(srv, `/api/v1/clusters/${c[2]}/status`, { status: 'acknowledged', note: 'internal', note_public: false })).status, 200);
  assert.equal((await post(srv, `/api/v1/clusters/${c[0]}/assign`, { department: 'streets' })).status, 200);
  // Two pothole jobs 400 m apart merged by staff (the merged cluster's id is gone), one report
  // moved out again to a job of its own.
  const merged = await post(srv, `/api/v1/clusters/${c[2]}/merge`, { into: c[0], reason: 'one road' });
  assert.equal(merged.status, 200, merged.text);
  ids.gone = c[2];
  const moved = await post(srv, `/api/v1/reports/${made[4].report.id}/move`, { to: null }, tok.disp);
  assert.equal(moved.status, 200, moved.text);
  const alert = await api(srv.url, 'POST', '/api/v1/alerts', { json: { email: 'n@example.net', lat: LOOP.lat, lon: LOOP.lon, radius_m: 500 } });
  assert.equal(alert.status, 202, alert.text);
  const hook = await post(srv, '/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-20-chars', events: ['report.created'] });
  assert.equal(hook.status, 201, hook.text);
}

/** The answers that must not differ between the original and a copy. */
async function reads(srv) {
  const bbox = `${LOOP.lon - 0.05},${LOOP.lat - 0.05},${LOOP.lon + 0.05},${LOOP.lat + 0.05}`;
  const out = {};
  for (const [name, p, token] of [
    ['clusters', `/api/v1/clusters?bbox=${bbox}`],
    ['reports', `/api/v1/reports?bbox=${bbox}&limit=100`],
    ['grid', `/api/v1/clusters/grid?bbox=${bbox}&zoom=12`],
    ['report', `/api/v1/reports/${ids.report}`],
    ['photo report', `/api/v1/reports/${ids.photo}`],
    ['photo', `/api/v1/reports/${ids.photo}/photo`],
    ['cluster', `/api/v1/clusters/${ids.cluster}`],
    ['staff', `/api/v1/staff/clusters/${ids.cluster}`, tok.admin],
    ['export', '/api/v1/export?format=geojson', tok.admin],
    ['stats', '/api/v1/stats?from=2020-01-01&to=2040-01-01'],
  ]) {
    const r = await api(srv.url, 'GET', p, { token });
    assert.equal(r.status, 200, `${name}: ${r.text}`);
    out[name] = r.text.replaceAll(srv.url, 'BASE').replace(/"generated_at":"[^"]*"/, '');
  }
  return out;
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-copy-'));
  srcDb = path.join(dir, 'source.sqlite');
  backDb = path.join(dir, 'back.sqlite');
  pg = newDatabase(dir);
});
after(async () => {
  pg?.drop();
  await rm(dir, { recursive: true, force: true });
});

// PostgreSQL's derived rows (map table and grid pyramid, kept by triggers: schema 14) are
// exactly what its reports, clusters and photos say, both ways round.
function expectDerivedExact(db, when) {
  const map = 'SELECT r.id, r.municipality, trunc((r.lat + 90) * 1000)::integer, r.lon, r.lat,'
    + ' r.cluster_id, c.report_count, r.created_at, r.updated_at,'
    + ' EXISTS (SELECT 1 FROM photos p WHERE p.report_id = r.id), r.category, r.status, r.district,'
    + ' r.channel, r.description, r.address, r.location FROM reports r'
    + ' JOIN clusters c ON c.id = r.cluster_id AND c.municipality = r.municipality';
  const grid = 'SELECT l.level::integer, trunc((c.lon + 180) / l.side)::bigint,'
    + ' trunc((c.lat + 90) / l.side)::bigint, c.category, c.status, c.municipality,'
    + ' count(*)::integer, sum(c.report_count)::integer, round(sum(c.lon)::numeric, 9),'
    + ' round(sum(c.lat)::numeric, 9) FROM clusters c CROSS JOIN (VALUES (10, 0.087890625::float8),'
    + ' (12, 0.02197265625::float8), (14, 0.0054931640625::float8)) l(level, side) GROUP BY 1, 2, 3, 4, 5, 6';
  const cells = 'SELECT level::integer, gx, gy, category, status, municipality, clusters, reports,'
    + ' round(sum_lon::numeric, 9), round(sum_lat::numeric, 9) FROM grid_cells WHERE clusters <> 0';
  assert.ok(Number(dbQuery(db, 'SELECT count(*) FROM report_map')) > 0, when);
  for (const [x, y] of [[map, 'SELECT * FROM report_map'], ['SELECT * FROM report_map', map],
    [grid, cells], [cells, grid]]) {
    assert.equal(dbQuery(db, `SELECT count(*) FROM (${x} EXCEPT ${y}) d`), '0', `${when}: ${x} EXCEPT ${y}`);
  }
}

test('SQLite -> PostgreSQL -> SQLite keeps every table, id counters and answers', async () => {
  const src = await startServer({ db: srcDb });
  let original;
  try {
    await fill(src);
    original = await reads(src);
  } finally {
    await src.stop();
  }
  // What the fill must have reached, so that the checksums below cover real rows.
  const count = (t) => Number(dbQuery(srcDb, `SELECT count(*) FROM ${t}`));
  for (const t of ['reports', 'clusters', 'history', 'photos', 'users', 'audit', 'corrections',
    'merges', 'merge_rows', 'work_assignments', 'notify_events', 'notify_subs', 'outbox',
    'alert_subs', 'webhooks']) assert.ok(count(t) > 0, `the fill wrote no ${t}`);

  const there = await copyStore(srcDb, pg.db);
  // Every table either engine has is copied, but what the target derives or keeps itself: a
  // table a new schema version adds fails here until copystore_tables.c lists it.
  const own = ['change_counter', 'grid_cells', 'report_map', 'schema_parts', 'schema_migrations',
    'spatial_ref_sys'];
  const listed = Object.keys(table(there.stdout)).sort();
  const sqliteTables = dbQuery(srcDb, "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
    + " AND name NOT LIKE 'sqlite%' AND name NOT LIKE '%geometry_columns%' AND name NOT LIKE 'spatial%' AND name NOT GLOB '*_rtree_*'"
    + " AND name NOT IN ('data_licenses', 'sql_statements_log') ORDER BY name").split('\n');
  assert.deepEqual(listed, sqliteTables.filter((t) => !own.includes(t)).sort());
  const pgTables = dbQuery(pg.db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").split('\n');
  assert.deepEqual(listed, pgTables.filter((t) => !own.includes(t)).sort());
  assert.equal(there.code, 0, there.stdout + there.stderr);
  const a = table(there.stdout);
  assert.match(there.stdout, /^verified: \d+ tables/m);
  assert.equal(a.reports.rows, String(count('reports')));
  assert.equal(a.photos.rows, String(count('photos')));
  assert.ok(Object.values(a).every((x) => x.ok), there.stdout);
  // The merged cluster's id was given once: the counter continues above it.
  assert.ok(Number(a.clusters.next) > ids.gone, there.stdout);

  // The change counter's triggers, off while their tables were filled, are on again, and the
  // counter moved (answer caches of servers on the target revalidate).
  assert.equal(dbQuery(pg.db, "SELECT count(*) FROM pg_trigger WHERE tgname IN ('reports_changed', 'clusters_changed') AND tgenabled = 'O'"), '2');
  assert.ok(Number(dbQuery(pg.db, 'SELECT n FROM change_counter')) > 0);
  expectDerivedExact(pg.db, 'after the copy');

  const back = await copyStore(pg.db, backDb);
  assert.equal(back.code, 0, back.stdout + back.stderr);
  const b = table(back.stdout);
  assert.deepEqual(Object.keys(b), Object.keys(a));
  for (const t of Object.keys(a)) assert.deepEqual(b[t], a[t], `${t} after the round trip`);
  // The rows SQLite derives (map table, grid pyramid, cells) are rebuilt exactly.
  for (const q of [
    'SELECT strip, lon, id, lat, category, status, district, created_at, cluster_id, cluster_count, rec FROM report_map ORDER BY strip, lon, id',
    // (Sums of coordinates: the original added and took away as clusters moved, the copy
    // adds each cluster once; they may differ in the last bits.)
    'SELECT level, gx, gy, category, status, clusters, reports, round(sum_lon, 9), round(sum_lat, 9)'
      + ' FROM grid_cells WHERE clusters <> 0 ORDER BY 1, 2, 3, 4, 5',
    'SELECT id, cell FROM clusters ORDER BY id',
    "SELECT name, seq FROM sqlite_sequence WHERE name IN ('clusters', 'reports', 'history', 'users', 'audit', 'outbox') ORDER BY name",
  ]) assert.equal(dbQuery(backDb, q), dbQuery(srcDb, q), q);

  // Servers on both copies answer as the original did; the staff token works there too.
  for (const db of [pg.db, backDb]) {
    const srv = await startServer({ db });
    try {
      const got = await reads(srv);
      for (const k of Object.keys(original)) {
        const at = [...original[k]].findIndex((ch, i) => got[k][i] !== ch);
        assert.equal(got[k], original[k], `${k} on ${db} differs at ${at}: ${got[k].slice(at - 80, at + 80)}`);
      }
      const r = await api(srv.url, 'POST', '/api/v1/reports', { json: { category: 'pothole', lat: LOOP.lat + 0.03, lon: LOOP.lon, description: 'new' } });
      assert.equal(r.status, 201, r.text);
      assert.ok(r.body.report.id > count('reports') && r.body.cluster.id > ids.gone, r.text);
      assert.ok(r.body.cluster.id >= Number(a.clusters.next), r.text);
      // The same spot again joins that cluster (its count and centre change: the grid
      // pyramid's in-place update).
      const again = await api(srv.url, 'POST', '/api/v1/reports', { json: { category: 'pothole', lat: LOOP.lat + 0.03, lon: LOOP.lon + 0.00001, description: 'again' } });
      assert.equal(again.status, 201, again.text);
      assert.equal(again.body.cluster.id, r.body.cluster.id, again.text);
    } finally {
      await srv.stop();
    }
  }
  // ... and stay so through a server's writes (the reports just posted, and their cluster).
  expectDerivedExact(pg.db, 'after a report through the server');
});

test('a target that holds rows is refused, --force replaces them', async () => {
  const r = await copyStore(srcDb, backDb);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /the target is not empty: table clusters holds \d+ rows \(copy into a new database, or give --force/);
  const f = await copyStore('--force', srcDb, backDb);
  assert.equal(f.code, 0, f.stdout + f.stderr);
  // The row the server on the copy added is gone; its ids stay given.
  assert.equal(dbQuery(backDb, 'SELECT count(*) FROM reports'), dbQuery(srcDb, 'SELECT count(*) FROM reports'));
  assert.ok(Number(table(f.stdout).reports.next) > Number(dbQuery(srcDb, 'SELECT max(id) FROM reports')) + 1, f.stdout);
});

test('--verify-only finds a changed row in the target, and only there', async () => {
  const fresh = newDatabase(dir);
  try {
    assert.equal((await copyStore(srcDb, fresh.db)).code, 0);
    const same = await copyStore('--verify-only', srcDb, fresh.db);
    assert.equal(same.code, 0, same.stdout + same.stderr);
    dbQuery(fresh.db, `UPDATE history SET note = 'changed' WHERE id = (SELECT min(id) FROM history)`);
    const bad = await copyStore('--verify-only', srcDb, fresh.db);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    const t = table(bad.stdout);
    assert.equal(t.history.ok, false, bad.stdout);
    assert.equal(t.history.rows, dbQuery(srcDb, 'SELECT count(*) FROM history'));
    assert.deepEqual(Object.entries(t).filter(([, x]) => !x.ok).map(([k]) => k), ['history']);
    assert.match(bad.stdout, /^MISMATCH: \d+ tables/m);
  } finally {
    fresh.drop();
  }
});

test('bad command lines are refused', async () => {
  const one = await copyStore(srcDb);
  assert.equal(one.code, 2);
  assert.match(one.stderr, /usage: meldpunt copy-store/);
  const same = await copyStore(srcDb, srcDb);
  assert.equal(same.code, 2);
  assert.match(same.stderr, /FROM and TO are the same database/);
  const missing = await copyStore(path.join(dir, 'nope.sqlite'), path.join(dir, 'x.sqlite'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot open the source/);
});

test('a column the table list does not know stops the copy before anything is written', async () => {
  const grown = path.join(dir, 'grown.sqlite');
  await copyFile(srcDb, grown);
  dbQuery(grown, 'ALTER TABLE reports ADD COLUMN region TEXT');
  const target = path.join(dir, 'never.sqlite');
  const r = await copyStore(grown, target);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /table reports of the source has a column region that copy-store does not know \(add it to server\/copystore_tables\.c\)/);
});
