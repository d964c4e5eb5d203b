// `meldpunt recluster` really applies changed rules (the other recluster tests replay under
// the rules the reports were folded with, so a recluster that changed nothing would pass
// them). A copy of the Chicago pack widens graffiti's radius from 25 m to 200 m; the
// replay must fold the graffiti reports as the new rule says, keep the first cluster's id
// and status, drop the emptied clusters, leave other categories alone, honour --category,
// and change nothing when run again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, writeFile, readdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, api, meldpunt, CITY_DIR, offset7, metresFrom } from './lib.mjs';

const P = { lon: -87.6350, lat: 41.8850 };
const at = (east, north = 0) => offset7(P, north, east);

let srv;
let dispatcher;
let packDir;
const r = {}; // name -> { report, cluster } as posted

/** A copy of the Chicago pack with category code's fields changed. */
async function packWith(code, fields) {
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-pack-'));
  for (const f of await readdir(CITY_DIR)) {
    if (f !== 'categories.json') await symlink(path.join(CITY_DIR, f), path.join(dir, f));
  }
  const cats = JSON.parse(await readFile(path.join(CITY_DIR, 'categories.json'), 'utf8'));
  const list = Array.isArray(cats) ? cats : cats.categories;
  const c = list.find((x) => x.code === code);
  assert.ok(c, `no category ${code}`);
  Object.assign(c, fields);
  await writeFile(path.join(dir, 'categories.json'), JSON.stringify(cats, null, 1));
  return dir;
}

async function post(name, category, p) {
  const res = await api(srv.url, 'POST', '/api/v1/reports', { json: { category, lat: p.lat, lon: p.lon } });
  assert.equal(res.status, 201, res.text);
  r[name] = res.body;
}

const clusterOf = async (name) => (await api(srv.url, 'GET', `/api/v1/reports/${r[name].report.id}`)).body.properties.cluster_id;
const recluster = async (...extra) => {
  const { stdout } = await meldpunt(['recluster', '--db', srv.db, '--city', packDir, ...extra]);
  return Object.fromEntries(stdout.trim().split('\n').map((l) => l.split(': ')));
};

before(async () => {
  srv = await startServer();
  dispatcher = await srv.user('dana', 'dispatcher');
  packDir = await packWith('graffiti', { radius_m: 200 });
  // graffiti (point rule, 25 m today): four jobs of one report each.
  await post('g0', 'graffiti', at(0));
  await post('g100', 'graffiti', at(100));
  await post('g150', 'graffiti', at(150));
  await post('g600', 'graffiti', at(600));
  // potholes (street rule, rules unchanged): two jobs 600 m apart.
  await post('p0', 'pothole', at(0, 300));
  await post('p600', 'pothole', at(0, 900));
  const ack = await api(srv.url, 'POST', `/api/v1/clusters/${r.g0.cluster.id}/status`,
    { json: { status: 'acknowledged' }, token: dispatcher });
  assert.equal(ack.status, 200, ack.text);
});
after(async () => {
  await srv.cleanup();
  await rm(packDir, { recursive: true, force: true });
});

test('a wider graffiti radius folds the reports as the new rule says', async () => {
  const ids = Object.fromEntries(Object.keys(r).map((k) => [k, r[k].cluster.id]));
  assert.equal(new Set(Object.values(ids)).size, 6, 'six jobs under the pack as shipped');

  // Another category first: nothing to change there.
  const potholes = await recluster('--category', 'pothole');
  assert.equal(potholes.reports, '2');
  assert.equal(potholes['reports moved'], '0');
  assert.equal(await clusterOf('g100'), ids.g100, '--category pothole left graffiti alone');

  const g = await recluster('--category', 'graffiti');
  assert.equal(g.reports, '4');
  assert.equal(g['clusters before'], '4');
  assert.equal(g['clusters after'], '2');
  assert.equal(g['reports moved'], '2');
  // 200 m from the centre: g100 joins g0 (centre 50 m), g150 joins (100 m from it);
  // g600 is 517 m from the new centre: its own job still.
  assert.equal(await clusterOf('g0'), ids.g0, 'the first report keeps its cluster id');
  assert.equal(await clusterOf('g100'), ids.g0);
  assert.equal(await clusterOf('g150'), ids.g0);
  assert.equal(await clusterOf('g600'), ids.g600);
  const c = (await api(srv.url, 'GET', `/api/v1/clusters/${ids.g0}`)).body;
  assert.equal(c.properties.report_count, 3);
  assert.equal(c.properties.status, 'acknowledged', 'and its status');
  const { east } = metresFrom(P, c.geometry.coordinates);
  assert.ok(Math.abs(east - 250 / 3) < 0.5, `centre ${east} m east, the mean of 0, 100 and 150`);
  for (const gone of [ids.g100, ids.g150]) {
    assert.equal((await api(srv.url, 'GET', `/api/v1/clusters/${gone}`)).status, 404, `cluster ${gone} emptied`);
  }
  const moved = (await api(srv.url, 'GET', `/api/v1/reports/${r.g100.report.id}`)).body.properties;
  assert.equal(moved.status, 'acknowledged', 'a moved report takes its new job\'s status');
  assert.equal(await clusterOf('p0'), ids.p0);
  assert.equal(await clusterOf('p600'), ids.p600);

  // Everything again under the same rules: nothing left to move.
  const all = await recluster();
  assert.equal(all.reports, '6');
  assert.equal(all['reports moved'], '0');
  assert.equal(all['clusters before'], all['clusters after']);
});

test('the pack as shipped undoes the wider radius', async () => {
  const ids = Object.fromEntries(Object.keys(r).map((k) => [k, r[k].cluster.id]));
  const { stdout } = await meldpunt(['recluster', '--db', srv.db, '--city', CITY_DIR, '--category', 'graffiti']);
  assert.match(stdout, /^reports moved: 2$/m);
  assert.match(stdout, /^clusters after: 4$/m);
  assert.equal(await clusterOf('g0'), ids.g0);
  const apart = new Set([await clusterOf('g0'), await clusterOf('g100'), await clusterOf('g150'), await clusterOf('g600')]);
  assert.equal(apart.size, 4, 'four jobs again');
  // Ids that left the server are never handed out again: the split-off jobs get new ones.
  for (const name of ['g100', 'g150']) {
    const id = await clusterOf(name);
    assert.ok(id > Math.max(...Object.values(ids)), `${name} in a new cluster ${id}`);
  }
});
