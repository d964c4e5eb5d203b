// Issue 15, many servers on one database. (1) Three `meldpunt serve` on one PostgreSQL database,
// 300 reports of 50 defects posted concurrently (each defect's six reports a metre or two apart,
// spread over the three servers) end in exactly the clusters that one server makes when the
// same reports are posted to it one by one in the order they were committed (report ids are
// handed out in commit order: writers take the database's write lock first). Runs on the
// throwaway cluster of tests/pg/cluster.sh (MELDPUNT_TEST_ENGINE=pg). (2) kill -9 of one of two
// servers under write load loses no 201 and the other keeps serving. (3) A report stored through
// one server is in the other's (cached) map and grid answers within a second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, newDatabase, dbQuery, startServer, ENGINE_PG, LOOP, offset } from '../api/lib.mjs';
import { writeLoad, lost201, startServers } from './load.mjs';

assert.ok(ENGINE_PG, 'run with MELDPUNT_TEST_ENGINE=pg and MELDPUNT_TEST_PG_DIR (CTest does)');

const ENV = { MELDPUNT_PG_EXPERIMENTAL: '1' };
const DEFECTS = 50;
const PER_DEFECT = 6;
const IN_FLIGHT = 48; // requests open at once, over the three servers

// Defect k: 300 m from every other (beyond any category's radius and along-street reach),
// north and west of the Loop; its reports within 1.5 m of it. Deterministic jitter.
function reportsOf() {
  let seed = 15;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const rounds = Array.from({ length: PER_DEFECT }, () => []);
  for (let k = 0; k < DEFECTS; k++) {
    const at = offset(LOOP, (k % 10) * 300, -Math.floor(k / 10) * 300);
    for (let j = 0; j < PER_DEFECT; j++) {
      const p = offset(at, (rnd() - 0.5) * 3, (rnd() - 0.5) * 3);
      rounds[j].push({ tag: `d${k}r${j}`, category: k % 2 ? 'graffiti' : 'pothole', lat: p.lat, lon: p.lon });
    }
  }
  // Report j of every defect before report j + 1 of any; shuffled within a round.
  for (const round of rounds) {
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [round[i], round[j]] = [round[j], round[i]];
    }
  }
  return rounds.flat();
}

function post(url, r) {
  return api(url, 'POST', '/api/v1/reports',
    { json: { category: r.category, lat: r.lat, lon: r.lon, description: r.tag } });
}

// The partition of tags into clusters in db, as sorted lists of tags.
function partition(db) {
  return dbQuery(db, "SELECT string_agg(description, ',' ORDER BY description) FROM reports"
    + ' GROUP BY cluster_id ORDER BY 1').split('\n');
}

test('three servers, one database: 300 concurrent reports of 50 defects make 50 clusters, as one server would', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-multi-'));
  const { db, drop } = newDatabase(dir);
  const servers = [];
  const replayDir = await mkdtemp(path.join(tmpdir(), 'meldpunt-multi-'));
  const replayDb = newDatabase(replayDir);
  let single;
  try {
    await startServers(servers, 3, { db, env: ENV });
    const reports = reportsOf();
    const answers = new Array(reports.length);
    let next = 0;
    const t0 = Date.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < reports.length) {
        const i = next++;
        answers[i] = await post(servers[i % 3].url, reports[i]);
      }
    }));
    const ms = Date.now() - t0;
    for (const [i, a] of answers.entries()) assert.equal(a.status, 201, `${reports[i].tag}: ${a.text}`);
    console.log(`# 300 reports over 3 servers in ${ms} ms`);

    assert.equal(dbQuery(db, 'SELECT count(*) FROM reports'), String(DEFECTS * PER_DEFECT));
    assert.equal(dbQuery(db, 'SELECT count(*) FROM clusters'), String(DEFECTS));
    // Each cluster holds one defect's six reports, and its count was not lost to a race.
    const groups = partition(db);
    assert.equal(groups.length, DEFECTS);
    for (const g of groups) {
      const tags = g.split(',');
      assert.equal(tags.length, PER_DEFECT, g);
      assert.equal(new Set(tags.map((t) => t.split('r')[0])).size, 1, g);
    }
    assert.equal(dbQuery(db, 'SELECT count(*) FROM clusters c WHERE report_count <>'
      + ' (SELECT count(*) FROM reports r WHERE r.cluster_id = c.id)'), '0');
    // Every answer named the cluster its report is in.
    const inDb = new Map(dbQuery(db, 'SELECT description, cluster_id FROM reports').split('\n')
      .map((l) => l.split('|')));
    for (const [i, a] of answers.entries()) assert.equal(String(a.body.cluster.id), inDb.get(reports[i].tag));

    // One server, the same reports one at a time in commit (id) order: the same partition.
    single = await startServer({ db: replayDb.db, env: ENV });
    const order = dbQuery(db, 'SELECT description FROM reports ORDER BY id').split('\n');
    const byTag = new Map(reports.map((r) => [r.tag, r]));
    for (const tag of order) assert.equal((await post(single.url, byTag.get(tag))).status, 201);
    assert.deepEqual(partition(replayDb.db), groups);
  } finally {
    for (const s of servers) await s.cleanup();
    if (single) await single.cleanup();
    drop();
    replayDb.drop();
    await rm(dir, { recursive: true, force: true });
    await rm(replayDir, { recursive: true, force: true });
  }
});

test('kill -9 one of two servers under write load: every 201 is stored, the other keeps serving', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-multi-'));
  const { db, drop } = newDatabase(dir);
  const servers = [];
  let load;
  try {
    await startServers(servers, 2, { db, env: ENV });
    load = writeLoad(servers, { prefix: 'k' });
    const { answers } = load;
    await sleep(1500);
    await servers[0].kill();
    const killedAt = Date.now();
    await sleep(2000);
    await load.stop();

    // The survivor answered 201 to everything, also after the other died.
    const survivor = answers.filter((a) => a.server === 1);
    assert.deepEqual(survivor.filter((a) => a.status !== 201).map((a) => `${a.status} ${a.text}`), []);
    assert.ok(survivor.filter((a) => a.at > killedAt + 500).length >= 4, 'the survivor kept serving');
    // Every 201 of either server is stored under the id it answered.
    const stored = new Map(dbQuery(db, "SELECT description, id FROM reports WHERE description LIKE 'k%'")
      .split('\n').filter(Boolean).map((l) => l.split('|')));
    assert.deepEqual(lost201(answers, stored), []);
    const ok = answers.filter((a) => a.status === 201);
    console.log(`# kill -9: ${ok.length} 201 (${ok.filter((a) => a.server === 0).length} from the killed server),`
      + ` ${answers.length - ok.length} failed on the killed server, ${stored.size} stored`);
  } finally {
    if (load) await load.stop();
    for (const s of servers) await s.cleanup();
    drop();
    await rm(dir, { recursive: true, force: true });
  }
});

// A report stored through server A is in server B's map answers within one second, although B
// answered (and cached) the same box before: answer caches follow the database's change counter,
// not what the server itself wrote.
test('a report stored through one server is in the other\'s map answers within a second', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-fresh-'));
  const { db, drop } = newDatabase(dir);
  const servers = [];
  try {
    await startServers(servers, 2, { db, env: ENV });
    const [a, b] = servers;
    const box = [LOOP.lon - 0.01, LOOP.lat - 0.01, LOOP.lon + 0.01, LOOP.lat + 0.01].join(',');
    const map = `/api/v1/clusters?bbox=${box}`;
    const grid = `/api/v1/clusters/grid?bbox=${box}&zoom=14`;
    const count = (r) => {
      assert.equal(r.status, 200, r.text);
      return JSON.parse(r.text).features.length;
    };
    const cells = (r) => {
      assert.equal(r.status, 200, r.text);
      return JSON.parse(r.text).features.reduce((n, f) => n + (f.properties.count ?? f.properties.clusters ?? 1), 0);
    };
    // B answers the box twice (the second from its cache), the grid too.
    assert.equal(count(await api(b.url, 'GET', map)), 0);
    assert.equal(count(await api(b.url, 'GET', map)), 0);
    const etag = (await api(b.url, 'GET', map)).headers.get('etag');
    assert.equal(cells(await api(b.url, 'GET', grid)), 0);

    const r = await post(a.url, { category: 'pothole', lat: LOOP.lat, lon: LOOP.lon, tag: 'fresh' });
    assert.equal(r.status, 201, r.text);
    const stored = Date.now();
    let seenMap = -1;
    let seenGrid = -1;
    while (Date.now() - stored < 3000 && (seenMap < 0 || seenGrid < 0)) {
      if (seenMap < 0 && count(await api(b.url, 'GET', map)) === 1) seenMap = Date.now() - stored;
      if (seenGrid < 0 && cells(await api(b.url, 'GET', grid)) > 0) seenGrid = Date.now() - stored;
      await sleep(50);
    }
    console.log(`# server B saw A's report after ${seenMap} ms (map), ${seenGrid} ms (grid)`);
    assert.ok(seenMap >= 0 && seenMap <= 1000, `map answer of B after ${seenMap} ms`);
    assert.ok(seenGrid >= 0 && seenGrid <= 1000, `grid answer of B after ${seenGrid} ms`);
    // The old ETag no longer matches: no 304 for a changed answer.
    if (etag) {
      const again = await api(b.url, 'GET', map, { headers: { 'If-None-Match': etag } });
      assert.equal(again.status, 200, 'a changed answer is not 304');
    }
  } finally {
    for (const s of servers) await s.cleanup();
    drop();
    await rm(dir, { recursive: true, force: true });
  }
});

// Two servers on one database behind contrib/nginx/meldpunt.conf (one `server` line each):
// kill -9 of one under write load through nginx. nginx sends what the dead server never got
// to the other, so clients see at most the requests that were inside the killed server when it
// died fail (502), nothing after; every 201 is stored.
test('two servers behind nginx: kill -9 of one under load, nginx carries on with the other', async () => {
  const { startNginx } = await import('../api/nginx.mjs');
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-lb-'));
  const { db, drop } = newDatabase(dir);
  const servers = [];
  let proxy;
  let load;
  try {
    // Behind the proxy every client is 127.0.0.1: believe its X-Forwarded-For, and leave
    // the write limit to the proxy (README "Scale out").
    const env = { ...ENV, MELDPUNT_TRUSTED_PROXIES: '127.0.0.1', MELDPUNT_RATE_WRITES: '0' };
    await startServers(servers, 2, { db, env });
    proxy = await startNginx(servers.map((s) => s.url));
    const workers = 8;
    load = writeLoad([{ url: proxy.url }], { workers, prefix: 'n' });
    const { answers } = load;
    await sleep(1500);
    await servers[0].kill();
    const killedAt = Date.now();
    await sleep(2500);
    await load.stop();

    const failed = answers.filter((a) => a.status !== 201);
    assert.ok(failed.length <= workers, `${failed.length} failed: ${failed.map((a) => `${a.status} ${a.text}`).join(' | ')}`);
    assert.deepEqual(failed.filter((a) => a.status !== 502 && a.status !== 0).map((a) => `${a.status} ${a.text}`), []);
    assert.deepEqual(failed.filter((a) => a.at > killedAt + 1000).map((a) => a.tag), [], 'nothing fails once nginx knows');
    const after = answers.filter((a) => a.at > killedAt + 500 && a.status === 201);
    assert.ok(after.length >= 10, `${after.length} reports stored through nginx after the kill`);
    const stored = new Map(dbQuery(db, "SELECT description, id FROM reports WHERE description LIKE 'n%'")
      .split('\n').filter(Boolean).map((l) => l.split('|')));
    assert.deepEqual(lost201(answers, stored), []);
    console.log(`# nginx, kill -9 of one of two servers: ${answers.length - failed.length} 201,`
      + ` ${failed.length} failed (in the killed server), ${after.length} 201 after the kill`);
  } finally {
    if (load) await load.stop();
    if (proxy) await proxy.stop();
    for (const s of servers) await s.cleanup();
    drop();
    await rm(dir, { recursive: true, force: true });
  }
});
