// Duplicate folding as staff and citizens see it (issue 3): street-aware matching, reasons,
// the nearby hint, same_as / not_same_as, staff corrections with roles, re-clustering that
// honours corrections and equals insert-by-insert folding, and the evaluation command.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, meldpunt, CITY_DIR, SHARED_DIR, dbQuery, ENGINE_PG } from './lib.mjs';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';

// Metres to degrees at Chicago's latitude (41.9 N), good to 0.1% over 200 m.
const M_LAT = 1 / 111320;
const M_LON = 1 / (111320 * Math.cos((41.9 * Math.PI) / 180));
const east = (p, m) => ({ lon: p.lon + m * M_LON, lat: p.lat });
const north = (p, m) => ({ lon: p.lon, lat: p.lat + m * M_LAT });
// Intersections taken from geodata/chicago/streets.tsv.
const FULLERTON_KEDZIE = { lon: -87.70722, lat: 41.92472 }; // W FULLERTON AVE x N KEDZIE BLVD
const MADISON_ABERDEEN = { lon: -87.65436, lat: 41.88167 }; // W MADISON ST x N ABERDEEN ST

let srv;
let admin;
let dispatcher;
let crew;

before(async () => {
  srv = await startServer();
  admin = await srv.user('boss', 'admin');
  dispatcher = await srv.user('dana', 'dispatcher');
  crew = await srv.user('carl', 'crew', 'streets');
});
after(async () => { await srv.cleanup(); });

async function report(category, p, extra = {}) {
  const r = await api(srv.url, 'POST', '/api/v1/reports', { json: { category, lat: p.lat, lon: p.lon, ...extra } });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function cluster(id) {
  const r = await api(srv.url, 'GET', `/api/v1/clusters/${id}`);
  return r;
}

test('a pothole reported along the same street 90 m away joins; the reasons say why', async () => {
  const a = await report('pothole', east(FULLERTON_KEDZIE, 40), { address: '3200 W Fullerton Ave' });
  const b = await report('pothole', east(FULLERTON_KEDZIE, 130));
  assert.equal(a.joined, false);
  assert.equal(b.joined, true, 'same street, 90 m along: one job');
  assert.equal(b.cluster.id, a.cluster.id);
  assert.equal(b.cluster.report_count, 2);
  assert.match(b.report.location, /^W FULLERTON AVE near /);
  const c = await cluster(a.cluster.id);
  assert.equal(c.status, 200);
  const second = c.body.properties.reports.find((r) => r.id === b.report.id);
  assert.equal(second.join_reason.kind, 'nearest');
  // Potholes follow the address rule; without a house number on the second
  // report it is the street rule, measured along the street from the pins.
  assert.equal(second.join_reason.rule, 'address');
  assert.equal(second.join_reason.evidence, 'along_pins');
  assert.equal(second.join_reason.limit_m, 100);
  assert.equal(second.join_reason.limit_numbers, null);
  assert.equal(second.join_reason.street_match, true);
  assert.ok(Math.abs(second.join_reason.along_street_m - 90) < 3, JSON.stringify(second.join_reason));
  assert.ok(second.join_reason.distance_m > 15, 'beyond the across-street radius');
});

test('potholes with house numbers: the numbers decide, whatever the pins say', async () => {
  // 1610 W Division St lies at -87.66774 by Chicago's address grid.
  const at1610 = { lon: -87.66774, lat: 41.90335 };
  const a = await report('pothole', at1610, { address: '1610 W Division St' });
  // 40 numbers on (about 80 m), pinned 150 m off: one job by its address.
  const c = await report('pothole', east(at1610, -150), { address: '1650 W DIVISION ST Apt 2' });
  assert.equal(c.joined, true);
  assert.equal(c.cluster.id, a.cluster.id);
  // 70 numbers beyond the cluster's span (1610-1650), pinned 5 m from the
  // first: another pothole.
  const d = await report('pothole', east(at1610, 5), { address: '1720 W Division St' });
  assert.equal(d.joined, false);
  const got = await cluster(a.cluster.id);
  const reason = got.body.properties.reports.find((r) => r.id === c.report.id).join_reason;
  assert.equal(reason.evidence, 'address_span', JSON.stringify(reason));
  assert.equal(reason.number_gap, 40);
  assert.equal(reason.limit_numbers, 50);
  assert.equal(reason.limit_m, null);
  assert.ok(reason.distance_m > 140, JSON.stringify(reason));
  // The location is where the number lies, not where the pin is.
  assert.match(c.report.location, /^W DIVISION ST near N MARSHFIELD AVE/);
});

test('two potholes on cross streets about 28 m apart are two jobs', async () => {
  const onAberdeen = await report('pothole', north(MADISON_ABERDEEN, 20));
  const onMadison = await report('pothole', east(MADISON_ABERDEEN, 20));
  assert.notEqual(onMadison.cluster.id, onAberdeen.cluster.id);
  assert.equal(onMadison.joined, false);
  const near = await api(srv.url, 'GET',
    `/api/v1/nearby?lat=${onMadison.report.lat}&lon=${onMadison.report.lon}&category=pothole`);
  assert.equal(near.status, 200);
  assert.equal(near.body.street, 'W MADISON ST');
  const other = near.body.clusters.find((c) => c.id === onAberdeen.cluster.id);
  assert.ok(other, 'the cross-street report is shown as close by');
  assert.equal(other.matches, false);
  assert.equal(other.same_street, false);
  assert.ok(other.distance_m > 25 && other.distance_m < 32, `distance ${other.distance_m}`);
});

test('street lights follow the point rule: a dark pole seen from a cross street is one job', async () => {
  const p = { lon: -87.6298, lat: 41.8781 };
  const a = await report('street_light_out', north(p, 20));
  const b = await report('street_light_out', east(p, 20));
  assert.equal(b.joined, true);
  assert.equal(b.cluster.id, a.cluster.id);
});

test('nearby lists what a report would join, nearest first, with distances', async () => {
  const p = { lon: -87.6400, lat: 41.8900 };
  const a = await report('graffiti', p);
  const b = await report('graffiti', east(p, 60)); // beyond 25 m: its own cluster
  assert.notEqual(a.cluster.id, b.cluster.id);
  const q = east(p, 10);
  const near = await api(srv.url, 'GET', `/api/v1/nearby?lat=${q.lat}&lon=${q.lon}&category=graffiti`);
  assert.equal(near.status, 200);
  assert.equal(near.body.would_join, a.cluster.id);
  const ids = near.body.clusters.map((c) => c.id);
  assert.deepEqual(ids.slice(0, 2), [a.cluster.id, b.cluster.id]);
  const d = near.body.clusters.map((c) => c.distance_m);
  assert.ok(Math.abs(d[0] - 10) < 0.5 && Math.abs(d[1] - 50) < 0.5, JSON.stringify(d));
  assert.deepEqual(near.body.clusters.map((c) => c.matches).slice(0, 2), [true, false]);
  const bad = await api(srv.url, 'GET', `/api/v1/nearby?lat=${q.lat}&lon=${q.lon}&category=nope`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'unknown_category');
});

test('same_as adds a report to a cluster; not_same_as keeps it out', async () => {
  const p = { lon: -87.6500, lat: 41.9000 };
  const a = await report('illegal_dumping', p);
  const far = await report('illegal_dumping', east(p, 300), { same_as: a.cluster.id });
  assert.equal(far.joined, true);
  assert.equal(far.cluster.id, a.cluster.id);
  const close = await report('illegal_dumping', east(p, 5), { not_same_as: [a.cluster.id] });
  assert.equal(close.joined, false);
  assert.notEqual(close.cluster.id, a.cluster.id);
  const wrong = await api(srv.url, 'POST', '/api/v1/reports',
    { json: { category: 'graffiti', lat: p.lat, lon: p.lon, same_as: a.cluster.id } });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.body.error.code, 'category_mismatch');
});

test('staff merge clusters and move reports; roles are enforced; corrections survive recluster', async () => {
  const p = { lon: -87.6600, lat: 41.9100 };
  const a1 = await report('abandoned_vehicle', p);
  const a2 = await report('abandoned_vehicle', east(p, 5));
  const b1 = await report('abandoned_vehicle', east(p, 400));
  assert.equal(a2.cluster.id, a1.cluster.id);
  assert.notEqual(b1.cluster.id, a1.cluster.id);
  const from = b1.cluster.id;
  const into = a1.cluster.id;

  const anon = await api(srv.url, 'POST', `/api/v1/clusters/${from}/merge`, { json: { into } });
  assert.equal(anon.status, 401);
  assert.equal(anon.body.error.code, 'unauthorized');
  const byCrew = await api(srv.url, 'POST', `/api/v1/clusters/${from}/merge`, { json: { into }, token: crew });
  assert.equal(byCrew.status, 403);
  const mismatch = await report('graffiti', east(p, 800));
  const mm = await api(srv.url, 'POST', `/api/v1/clusters/${mismatch.cluster.id}/merge`,
    { json: { into }, token: dispatcher });
  assert.equal(mm.status, 409);
  assert.equal(mm.body.error.code, 'category_mismatch');

  // 400 m apart, farther than the category's 25 m: the merge says why (issue 18).
  const merged = await api(srv.url, 'POST', `/api/v1/clusters/${from}/merge`,
    { json: { into, reason: 'one car, reported twice' }, token: dispatcher });
  assert.equal(merged.status, 200, merged.text);
  assert.equal(merged.body.cluster.id, into);
  assert.equal(merged.body.cluster.report_count, 3);
  // Both were new: the merged job stays new (it once came back with an empty status).
  assert.equal(merged.body.cluster.status, 'new');
  assert.equal((await cluster(into)).body.properties.status, 'new');
  assert.equal((await cluster(from)).status, 404);
  const moved = await api(srv.url, 'GET', `/api/v1/reports/${b1.report.id}`);
  assert.equal(moved.body.properties.cluster_id, into);
  // The centre follows its members: the mean of 0, 5 and 400 m east.
  const c = await cluster(into);
  const [lon] = c.body.geometry.coordinates;
  assert.ok(Math.abs((lon - p.lon) / M_LON - 135) < 1, `centre ${(lon - p.lon) / M_LON} m east`);

  // Move the 5 m report out into a cluster of its own, then check who did it.
  const out = await api(srv.url, 'POST', `/api/v1/reports/${a2.report.id}/move`, { json: { to: null }, token: admin });
  assert.equal(out.status, 200, out.text);
  assert.notEqual(out.body.cluster.id, into);
  assert.equal(out.body.cluster.report_count, 1);
  assert.equal((await cluster(into)).body.properties.report_count, 2);
  const same = await api(srv.url, 'POST', `/api/v1/reports/${a2.report.id}/move`,
    { json: { to: out.body.cluster.id }, token: admin });
  assert.equal(same.status, 400);
  // Every correction is logged with who and when (read straight from the database).
  const log = [dbQuery(srv.db, "SELECT kind || ':' || actor FROM corrections ORDER BY id"),
    dbQuery(srv.db, "SELECT action || ':' || user_name FROM audit WHERE action IN ('merge', 'move') ORDER BY id")];
  assert.equal(log.join('\n'), 'merge:dana\nmove:boss\nmerge:dana\nmove:boss');

  // Replaying the reports must keep both corrections although the rules alone would
  // fold the 5 m report back and keep the 400 m one apart.
  const { stdout } = await meldpunt(['recluster', '--db', srv.db, '--city', CITY_DIR]);
  assert.match(stdout, /constraints: [1-9]/);
  const a2now = await api(srv.url, 'GET', `/api/v1/reports/${a2.report.id}`);
  const b1now = await api(srv.url, 'GET', `/api/v1/reports/${b1.report.id}`);
  const a1now = await api(srv.url, 'GET', `/api/v1/reports/${a1.report.id}`);
  assert.equal(b1now.body.properties.cluster_id, a1now.body.properties.cluster_id, 'merge kept');
  assert.notEqual(a2now.body.properties.cluster_id, a1now.body.properties.cluster_id, 'move kept');
});

test('a merge into a closed job takes the open status of the merged one', async () => {
  const p = { lon: -87.6700, lat: 41.9200 };
  const closed = await report('abandoned_vehicle', p);
  const open = await report('abandoned_vehicle', east(p, 600));
  assert.notEqual(open.cluster.id, closed.cluster.id);
  const done = await api(srv.url, 'POST', `/api/v1/clusters/${closed.cluster.id}/status`,
    { json: { status: 'closed', note: 'towed already' }, token: dispatcher });
  assert.equal(done.status, 200, done.text);
  const merged = await api(srv.url, 'POST', `/api/v1/clusters/${open.cluster.id}/merge`,
    { json: { into: closed.cluster.id, reason: 'the car was moved, not towed' }, token: dispatcher });
  assert.equal(merged.status, 200, merged.text);
  assert.equal(merged.body.cluster.status, 'new', 'a new report in it: the job is open again');
  assert.equal((await cluster(closed.cluster.id)).body.properties.status, 'new');
});

test('schema 8 repairs clusters an old merge left with an empty status', {
  skip: ENGINE_PG && 'repairs an old SQLite file (PRAGMA user_version 7); PostgreSQL starts at schema 10 and has no such files',
}, async () => {
  const fresh = await startServer();
  try {
    const disp = await fresh.user('dora', 'dispatcher');
    const post = async (pt) => (await api(fresh.url, 'POST', '/api/v1/reports',
      { json: { category: 'graffiti', lat: pt.lat, lon: pt.lon } })).body;
    const acked = await post({ lat: 41.8800, lon: -87.6300 });
    const plain = await post({ lat: 41.8900, lon: -87.6300 });
    const st = await api(fresh.url, 'POST', `/api/v1/clusters/${acked.cluster.id}/status`,
      { json: { status: 'acknowledged' }, token: disp });
    assert.equal(st.status, 200, st.text);
    await fresh.stop();
    // What the old merge left behind, on a database of schema 7.
    const sql = (q) => new Promise((resolve, reject) => execFile('sqlite3', [fresh.db, q],
      (err, out) => (err ? reject(err) : resolve(out.trim()))));
    await sql(`UPDATE clusters SET status = '' WHERE id IN (${acked.cluster.id}, ${plain.cluster.id});
      UPDATE reports SET status = '' WHERE cluster_id IN (${acked.cluster.id}, ${plain.cluster.id});
      PRAGMA user_version = 7;`);
    await fresh.start();
    assert.equal((await api(fresh.url, 'GET', '/healthz')).body.schema, 14);
    const status = async (id) => (await api(fresh.url, 'GET', `/api/v1/clusters/${id}`)).body.properties.status;
    assert.equal(await status(acked.cluster.id), 'acknowledged', 'the last status of its history');
    assert.equal(await status(plain.cluster.id), 'new', 'no history status: new');
    const rep = await api(fresh.url, 'GET', `/api/v1/reports/${acked.report.id}`);
    assert.equal(rep.body.properties.status, 'acknowledged', 'reports follow their cluster');
    assert.equal(await sql("SELECT count(*) FROM clusters WHERE status = ''"), '0');
    assert.equal(await sql("SELECT count(*) FROM report_map WHERE status = ''"), '0');
  } finally {
    await fresh.cleanup();
  }
});

test('inserting one by one and replaying give the same clusters', async () => {
  const fresh = await startServer();
  try {
    // A fixed pseudo-random city block: 80 reports in 4 categories around 5 spots.
    let seed = 42;
    const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    const spots = [[-87.6298, 41.8781], [-87.6310, 41.8790], [-87.7072, 41.9247], [-87.6544, 41.8817], [-87.6270, 41.8800]];
    const cats = ['pothole', 'street_light_out', 'graffiti', 'speeding'];
    const placed = [];
    for (let i = 0; i < 80; i++) {
      const [lon, lat] = spots[Math.floor(rnd() * spots.length)];
      const p = { lon: lon + (rnd() - 0.5) * 120 * M_LON, lat: lat + (rnd() - 0.5) * 120 * M_LAT };
      const r = await api(fresh.url, 'POST', '/api/v1/reports',
        { json: { category: cats[Math.floor(rnd() * cats.length)], lat: p.lat, lon: p.lon } });
      assert.equal(r.status, 201, r.text);
      placed.push([r.body.report.id, r.body.cluster.id]);
    }
    const joined = new Set(placed.map(([, c]) => c));
    assert.ok(joined.size < 70 && joined.size > 10, `a real mix of joins: ${joined.size} clusters`);
    const { stdout } = await meldpunt(['recluster', '--db', fresh.db, '--city', CITY_DIR]);
    assert.match(stdout, /reports: 80\n/);
    assert.match(stdout, /reports moved: 0\n/);
    for (const [id, clusterId] of placed) {
      const r = await api(fresh.url, 'GET', `/api/v1/reports/${id}`);
      assert.equal(r.body.properties.cluster_id, clusterId, `report ${id}`);
    }
  } finally {
    await fresh.cleanup();
  }
});

test('eval-duplicates scores the city pack rules above plain point rules on Chicago data', async (t) => {
  const file = path.join(SHARED_DIR, 'data', 'chicago', 'chicago_311_2021-01-01_02.csv');
  assert.ok(existsSync(file), `the shared Chicago data (${file}) is a prerequisite of the suite`);
  const { stdout } = await meldpunt(['eval-duplicates', '--city', CITY_DIR, '--format', 'chicago311', '--baselines', file]);
  t.diagnostic(`\n${stdout}`);
  // The rule rows: from the header to the first blank line (per-category tables follow).
  const rows = stdout.split('\n\n')[0].trim().split('\n').slice(1).map((l) => {
    const m = /^(.*?)\s{2,}(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\/(\d+)/.exec(l);
    assert.ok(m, `row: ${l}`);
    return { name: m[1].trim(), f1: Number(m[7]), pairF1: Number(m[10]), kept: Number(m[11]), pairs: Number(m[12]) };
  });
  const [ours, wide, narrow] = rows;
  assert.match(ours.name, /city pack/);
  assert.ok(ours.f1 > wide.f1 && ours.f1 > narrow.f1, JSON.stringify(rows));
  assert.ok(ours.pairF1 > wide.pairF1 && ours.pairF1 > narrow.pairF1, JSON.stringify(rows));
  // Floor set from the measured 61 of 62 city duplicate links kept.
  assert.ok(ours.kept / ours.pairs >= 0.9, `${ours.kept}/${ours.pairs}`);
});
