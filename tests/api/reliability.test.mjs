// Reliability (issue 8, part 1 and the disk-full part of 2): nothing that was
// acknowledged is ever lost.
//
// - kill -9 loop: rounds of concurrent writers, SIGKILL at a random moment,
//   restart; every report that got a 201 must be there, identical, in the
//   cluster its 201 named; the database passes integrity_check after every
//   crash and its cluster counts agree with its reports.
// - SIGTERM drains: requests in flight (one still sending its body) get
//   their answers and the process exits 0.
// - `meldpunt backup` under write load: a consistent, verified copy holding
//   every report acknowledged before it started, without restarts.
// - disk full (a small tmpfs: needs root, fails without): writes get 503
//   "unavailable" with Retry-After, reads keep working, writes work again
//   once there is room, nothing acknowledged is lost, integrity_check ok.
//   SQLite: the database file on a 3 MB tmpfs. PostgreSQL: the database's
//   tables and indexes in a tablespace on a 16 MB tmpfs (the WAL stays where
//   it is: a full WAL disk is a PANIC and a restart of PostgreSQL, which
//   tests/pg/restart.test.mjs covers as an outage).
//
// MELDPUNT_KILL_ROUNDS (default 20) and MELDPUNT_KILL_SEED change the loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, open, stat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { api, startServer, meldpunt, LOOP, offset, dbQuery, ENGINE_PG } from './lib.mjs';

const ROUNDS = Number(process.env.MELDPUNT_KILL_ROUNDS || 20);
const WRITERS = 8;
// Writes are not rate-limited here: the test needs many writes from one IP.
const ENV = { MELDPUNT_RATE_WRITES: '0' };

// A small deterministic PRNG (mulberry32) so a failing seed can be replayed.
const SEED = Number(process.env.MELDPUNT_KILL_SEED || Date.now() % 2147483647);
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A few places in the Loop, each with its own category: reports within a
// few metres of one another fold into clusters, so clusters grow under load.
const SITES = [
  { cat: 'pothole', p: LOOP },
  { cat: 'graffiti', p: offset(LOOP, 300, 0) },
  { cat: 'street_light_out', p: offset(LOOP, 0, 300) },
  { cat: 'pothole', p: offset(LOOP, -400, 200) },
  { cat: 'sidewalk_damage', p: offset(LOOP, 150, -250) },
  { cat: 'illegal_dumping', p: offset(LOOP, -200, -300) },
];
const r7 = (v) => Math.round(v * 1e7) / 1e7;

/** Reads a database: a file read-only (recovery must not hide anything), or a PostgreSQL URL. */
function sqlite(db, sql) {
  if (db.startsWith('postgresql://')) return dbQuery(db, sql);
  return execFileSync('sqlite3', [`file:${db}?mode=ro`, sql], { encoding: 'utf8' }).trim();
}

/**
 * Checks a database: integrity and foreign keys (a file; PostgreSQL checks its own pages and
 * keys on every write), cluster counts (both).
 */
function checkDatabase(db, label) {
  if (!db.startsWith('postgresql://')) {
    assert.equal(sqlite(db, 'PRAGMA integrity_check'), 'ok', `${label}: integrity_check`);
    assert.equal(sqlite(db, 'PRAGMA foreign_key_check'), '', `${label}: foreign_key_check`);
  }
  assert.equal(sqlite(db, 'SELECT count(*) FROM clusters c WHERE report_count <>'
    + ' (SELECT count(*) FROM reports r WHERE r.cluster_id = c.id)'), '0',
  `${label}: every cluster's report_count matches its reports`);
  assert.equal(sqlite(db, 'SELECT count(*) FROM reports r LEFT JOIN clusters c'
    + ' ON c.id = r.cluster_id WHERE c.id IS NULL'), '0', `${label}: no report without its cluster`);
}

/**
 * Runs `n` writer loops against url until state.stop or the server dies.
 * Every fully received 201 is pushed to acked as { id, cluster, body }.
 */
function writers(url, n, acked, state, rand) {
  const loops = [];
  for (let w = 0; w < n; w++) {
    loops.push((async () => {
      for (let k = 0; !state.stop; k++) {
        // Mostly a few busy places (reports fold into growing clusters),
        // some anywhere west of the lake within a few km (new clusters).
        const site = SITES[Math.floor(rand() * SITES.length)];
        const p = rand() < 0.25 ? offset(LOOP, (rand() - 0.5) * 4000, -3000 + rand() * 3500)
          : offset(site.p, (rand() - 0.5) * 8, (rand() - 0.5) * 8);
        const body = {
          category: site.cat, lat: r7(p.lat), lon: r7(p.lon),
          description: `round ${state.round} writer ${w} #${k}: gat in de weg, straße ✓`,
        };
        let res;
        let text;
        try {
          res = await fetch(`${url}/api/v1/reports`, {
            method: 'POST', headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(body), signal: AbortSignal.timeout(15000),
          });
          text = await res.text();
        } catch (e) {
          // After the kill a refused or cut connection is the expected end;
          // before it, it is a failure.
          if (!state.killed) state.errors.push(`writer ${w}: ${e.cause?.code || e.message}`);
          return;
        }
        if (res.status === 201) {
          const j = JSON.parse(text);
          acked.push({ id: j.report.id, cluster: j.cluster.id, body });
        } else {
          state.errors.push(`writer ${w}: HTTP ${res.status} ${text.slice(0, 200)}`);
        }
      }
    })());
  }
  return Promise.all(loops);
}

/** Every acknowledged report is there, identical, in its cluster. */
async function verify(url, acked, label) {
  const byCluster = new Map();
  let next = 0;
  const worker = async () => {
    while (next < acked.length) {
      const a = acked[next++];
      const r = await api(url, 'GET', `/api/v1/reports/${a.id}`);
      assert.equal(r.status, 200, `${label}: acknowledged report ${a.id} is missing (${r.text})`);
      const p = r.body.properties;
      assert.equal(p.category, a.body.category, `${label}: report ${a.id} category`);
      assert.equal(p.description, a.body.description, `${label}: report ${a.id} description`);
      assert.deepEqual(r.body.geometry.coordinates, [a.body.lon, a.body.lat],
        `${label}: report ${a.id} position`);
      assert.equal(p.cluster_id, a.cluster, `${label}: report ${a.id} is in cluster ${a.cluster}`);
      if (!byCluster.has(a.cluster)) byCluster.set(a.cluster, []);
      byCluster.get(a.cluster).push(a.id);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  for (const [cid, ids] of byCluster) {
    const c = await api(url, 'GET', `/api/v1/clusters/${cid}`);
    assert.equal(c.status, 200, `${label}: cluster ${cid}`);
    const members = new Set(c.body.properties.reports.map((x) => x.id));
    assert.equal(c.body.properties.report_count, members.size, `${label}: cluster ${cid} count`);
    for (const id of ids) assert.ok(members.has(id), `${label}: report ${id} listed in cluster ${cid}`);
  }
}

test(`kill -9 under concurrent writes, ${ROUNDS} rounds: nothing acknowledged is lost`, { timeout: 600000 }, async () => {
  const rand = rng(SEED);
  const server = await startServer({ env: ENV });
  const all = [];
  const perRound = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      if (round > 1) await server.start();
      const acked = [];
      const state = { stop: false, killed: false, round, errors: [] };
      const load = writers(server.url, WRITERS, acked, state, rand);
      const delay = 100 + Math.floor(rand() * 500);
      await new Promise((r) => setTimeout(r, delay));
      state.killed = true;
      const exit = await server.kill();
      await load;
      assert.equal(exit.signal, 'SIGKILL', `round ${round}: the server was killed, not exited`);
      assert.deepEqual(state.errors, [], `round ${round}: errors before the kill (seed ${SEED})`);
      // The crashed file as it is (read-only: recovery must not hide anything).
      checkDatabase(server.db, `round ${round} after SIGKILL`);
      await server.start();
      await verify(server.url, acked, `round ${round} (seed ${SEED}, kill after ${delay} ms)`);
      all.push(...acked);
      perRound.push(acked.length);
      await server.kill();
    }
    await server.start();
    await verify(server.url, all, 'final');
    const st = await server.stop();
    assert.equal(st.code, 0, 'clean exit on SIGTERM');
    checkDatabase(server.db, 'final');
    const ids = new Set(all.map((a) => a.id));
    assert.equal(ids.size, all.length, 'no id was acknowledged twice');
    const clusters = new Set(all.map((a) => a.cluster));
    console.log(`kill loop: seed ${SEED}, ${ROUNDS} rounds, ${all.length} acknowledged reports `
      + `(per round ${perRound.join(' ')}) in ${clusters.size} clusters, all present`);
    assert.ok(perRound.filter((n) => n > 0).length >= ROUNDS / 2,
      'most rounds acknowledged writes before the kill');
  } finally {
    await server.cleanup();
  }
});

/**
 * Opens a connection and sends the first part of a raw HTTP request; the
 * rest goes when finish() is called. Resolves finish() with all the server
 * sent back until it closed the connection.
 */
function partialRequest(url, head, rest) {
  const u = new URL(url);
  const sock = net.connect(Number(u.port), u.hostname);
  let data = '';
  sock.setEncoding('utf8');
  sock.on('data', (d) => { data += d; });
  sock.on('error', (e) => { data += `\n[socket error ${e.code}]`; });
  const closed = new Promise((resolve) => sock.on('close', () => resolve(data)));
  return {
    sent: once(sock, 'connect').then(() => new Promise((r) => sock.write(head, r))),
    finish: () => { sock.write(rest); return closed; },
  };
}

test('SIGTERM lets in-flight requests finish and exits 0', { timeout: 120000 }, async () => {
  const server = await startServer({ env: ENV });
  try {
    const host = new URL(server.url).host;
    const inflight = [];
    // Reports whose bodies are half sent, and reads whose headers are half
    // sent, when the signal comes: the server has accepted all of them.
    for (let i = 0; i < 12; i++) {
      const p = offset(LOOP, i * 40, 0);
      const body = JSON.stringify({ category: 'graffiti', lat: r7(p.lat), lon: r7(p.lon), description: `in flight ${i}` });
      const head = `POST /api/v1/reports HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n`
        + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
      const half = Math.floor(body.length / 2);
      inflight.push({ kind: 'post', req: partialRequest(server.url, head + body.slice(0, half), body.slice(half)) });
      inflight.push({ kind: 'get', req: partialRequest(server.url,
        `GET /api/v1/reports?limit=200 HTTP/1.1\r\nHost: ${host}\r\n`, 'Connection: close\r\n\r\n') });
    }
    await Promise.all(inflight.map((x) => x.req.sent));
    await new Promise((r) => setTimeout(r, 300));
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const answers = await Promise.all(inflight.map((x) => x.req.finish()));
    const exit = await server.exited;
    answers.forEach((raw, i) => {
      const want = inflight[i].kind === 'post' ? 201 : 200;
      assert.match(raw, new RegExp(`^HTTP/1\\.[01] ${want} `),
        `in-flight ${inflight[i].kind} ${i} got its answer: ${raw.slice(0, 300)}`);
    });
    assert.equal(exit.code, 0, `exit status (${exit.signal || ''}) log:\n${server.log()}`);
    // What was acknowledged was stored.
    assert.equal(sqlite(server.db, "SELECT count(*) FROM reports WHERE description LIKE 'in flight %'"), '12');
    checkDatabase(server.db, 'after SIGTERM');
  } finally {
    await server.cleanup();
  }
});

test('meldpunt backup while serving under write load', {
  timeout: 300000, skip: ENGINE_PG && "SQLite's online backup; on PostgreSQL it is refused (next test): pg_dump or PITR",
}, async () => {
  const server = await startServer({ demo: true, env: ENV });
  const out = path.join(server.dir, 'backup.sqlite');
  try {
    const acked = [];
    const state = { stop: false, killed: false, round: 'backup', errors: [] };
    const load = writers(server.url, 4, acked, state, rng(SEED + 1));
    await new Promise((r) => setTimeout(r, 400));
    const before = acked.slice();
    // Small steps with pauses: the copy takes long enough to overlap many commits.
    const { stdout } = await meldpunt(['backup', '--db', server.db, '--pages', '8', '--sleep-ms', '15', out], { env: ENV });
    const during = acked.length - before.length;
    await new Promise((r) => setTimeout(r, 200));
    state.stop = true;
    await load;
    assert.deepEqual(state.errors, []);
    assert.match(stdout, /^restarts: 0$/m, 'the snapshot held: the copy never started over');
    assert.match(stdout, /^verified: yes$/m);
    const steps = Number(/^steps: (\d+)$/m.exec(stdout)[1]);
    assert.ok(steps > 10, `the copy was taken in small steps (${steps})`);
    assert.ok(before.length > 0 && during > 0,
      `writes were acknowledged before (${before.length}) and during (${during}) the backup`);
    // A standalone, consistent file.
    assert.equal(execFileSync('sqlite3', [out, 'PRAGMA journal_mode']).toString().trim(), 'delete');
    checkDatabase(out, 'backup');
    const copied = new Set(sqlite(out, 'SELECT id FROM reports').split('\n').map(Number));
    for (const a of before) assert.ok(copied.has(a.id), `report ${a.id} (acknowledged before the backup) is in the copy`);
    assert.ok(copied.size >= 934 + before.length, 'the demo data and the new reports');
    console.log(`backup: ${before.length} writes acknowledged before, ${during} during the copy; `
      + `copy has ${copied.size} reports; ${stdout.replace(/\n/g, ', ')}`);
    // The copy serves.
    const copy = await startServer({ db: out, env: ENV });
    try {
      const r = await api(copy.url, 'GET', `/api/v1/reports/${before[0].id}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.properties.description, before[0].body.description);
    } finally {
      await copy.cleanup();
    }
    // Refusals are clear and harmless.
    await assert.rejects(meldpunt(['backup', '--db', server.db, server.db]), /is the database itself/);
    await assert.rejects(meldpunt(['backup', '--db', path.join(server.dir, 'nope.sqlite'), out]), /no database at/);
  } finally {
    await server.cleanup();
  }
});

test('meldpunt backup refuses a PostgreSQL database and names pg_dump', {
  skip: !ENGINE_PG && 'SQLite is backed up by meldpunt backup (the test above)',
}, async () => {
  const server = await startServer({ env: ENV });
  try {
    await assert.rejects(meldpunt(['backup', '--db', server.db, path.join(server.dir, 'backup.sqlite')]),
      /meldpunt backup: the database is PostgreSQL: back it up with pg_dump or continuous archiving \(PITR\), not meldpunt backup/);
    assert.equal(existsSync(path.join(server.dir, 'backup.sqlite')), false, 'no file written');
  } finally {
    await server.cleanup();
  }
});

/**
 * PostgreSQL: every table and index of server's database but PostGIS's spatial_ref_sys moved
 * to a new tablespace in folder ts (owned by the cluster's user, as PostgreSQL requires), with
 * the server stopped meanwhile. Returns the tablespace's drop(), for after the database's.
 */
async function onTablespace(server, ts) {
  const data = statSync(path.join(process.env.MELDPUNT_TEST_PG_DIR, 'data'));
  mkdirSync(ts, { mode: 0o700 });
  chownSync(ts, data.uid, data.gid);
  const name = `mp_full_${process.pid}`;
  const admin = server.db.replace(/\/[a-z0-9_]+\?/, '/postgres?');
  await server.stop();
  dbQuery(admin, `CREATE TABLESPACE ${name} LOCATION '${ts}'`);
  dbQuery(server.db, `DO $$ DECLARE t record; BEGIN
    FOR t IN SELECT tablename AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys' LOOP
      EXECUTE format('ALTER TABLE %I SET TABLESPACE ${name}', t.n); END LOOP;
    FOR t IN SELECT indexname AS n FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys' LOOP
      EXECUTE format('ALTER INDEX %I SET TABLESPACE ${name}', t.n); END LOOP; END $$`);
  assert.equal(dbQuery(server.db, `SELECT count(*) FROM pg_tables WHERE tablename = 'reports' AND tablespace = '${name}'`), '1');
  await server.start();
  return () => dbQuery(admin, `DROP TABLESPACE IF EXISTS ${name}`);
}

test('disk full: writes get 503, reads keep working, nothing is corrupted', { timeout: 300000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-full-'));
  const size = ENGINE_PG ? '16m' : '3m';
  // A prerequisite, not an option: a skipped test would count as passed. `make test`
  // runs as root (README), which may mount a tmpfs.
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    assert.fail(`the disk-full test needs to mount a ${size} tmpfs (root, or CAP_SYS_ADMIN): ${String(e.stderr || e.message).trim()}`);
  }
  let db = path.join(dir, 'full.sqlite');
  let server;
  let dropTablespace;
  const filler = path.join(dir, 'filler');
  try {
    server = await startServer({ db: ENGINE_PG ? undefined : db, env: ENV });
    if (ENGINE_PG) {
      db = server.db;
      dropTablespace = await onTablespace(server, path.join(dir, 'ts'));
    }
    const acked = [];
    const post = async (i, desc) => {
      const p = offset(LOOP, (i % 40) * 30, Math.floor(i / 40) * 30);
      const body = { category: 'pothole', lat: r7(p.lat), lon: r7(p.lon), description: desc || `report ${i} ${'x'.repeat(1500)}` };
      const r = await api(server.url, 'POST', '/api/v1/reports', { json: body });
      if (r.status === 201) acked.push({ id: r.body.report.id, cluster: r.body.cluster.id, body });
      return r;
    };
    for (let i = 0; i < 5; i++) assert.equal((await post(i)).status, 201);

    // Fill the file system to the last byte.
    const fh = await open(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) await fh.write(chunk);
    } catch (e) {
      assert.equal(e.code, 'ENOSPC');
    }
    try {
      for (;;) await fh.write(chunk, 0, 512);
    } catch { /* full */ }
    await fh.close();

    // Keep writing until the database needs a page it cannot get (the WAL
    // may have room left for a few commits).
    let refused;
    for (let i = 5; i < 400 && !refused; i++) {
      const r = await post(i);
      if (r.status !== 201) refused = r;
    }
    assert.ok(refused, 'a write was refused once the disk was full');
    assert.equal(refused.status, 503, `disk full answers 503: ${refused.text}`);
    assert.equal(refused.body.error.code, 'unavailable');
    assert.match(refused.body.error.message, /try again/i);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1, 'with Retry-After');
    assert.doesNotMatch(refused.text, /sqlite|SQL|postgres|disk I\/O|database or disk|could not extend|space left/i,
      'no library text');

    // Reads keep working.
    assert.equal((await api(server.url, 'GET', `/api/v1/reports/${acked[0].id}`)).status, 200);
    const list = await api(server.url, 'GET', '/api/v1/reports?limit=5');
    assert.equal(list.status, 200);
    assert.equal((await api(server.url, 'GET', '/healthz')).status, 200);

    // Room again: writes work again without a restart.
    await unlink(filler);
    let ok;
    for (let i = 0; i < 20 && !ok; i++) {
      const r = await post(1000 + i, `after the disk was freed ${i}`);
      if (r.status === 201) ok = r;
      else await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(ok, 'writes succeed again once there is space');
    await verify(server.url, acked, 'disk full');
    const st = await server.stop();
    assert.equal(st.code, 0);
    checkDatabase(db, 'after disk full');
    const bytes = ENGINE_PG ? dbQuery(db, 'SELECT pg_database_size(current_database())') : (await stat(db)).size;
    console.log(`disk full: ${acked.length} acknowledged, refused with ${refused.status} `
      + `${refused.body.error.code}; database ${bytes} bytes`);
  } finally {
    if (server) await server.kill();
    if (server && ENGINE_PG) await server.cleanup(); // the database, before its tablespace
    if (dropTablespace) dropTablespace();
    try { execFileSync('umount', ['-l', dir]); } catch { /* already gone */ }
    await rm(dir, { recursive: true, force: true });
    if (server) await rm(server.dir, { recursive: true, force: true });
  }
});
