// Issue 15, PostgreSQL going away under load: two servers on one database while reports keep
// coming; PostgreSQL is restarted (pg_ctl restart -m fast), then stopped for a while and
// started again. While it is down the servers answer 503 with Retry-After; they reconnect on
// their own; every 201 is in the database afterwards; no other status is ever answered.
// A cluster of its own (tests/pg/cluster.sh start), so that stopping it disturbs no other test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, dbQuery, ENGINE_PG, LOOP, SOURCE_DIR } from '../api/lib.mjs';
import { writeLoad, lost201, startServers } from './load.mjs';
import path from 'node:path';

assert.ok(ENGINE_PG, 'run with MELDPUNT_TEST_ENGINE=pg and MELDPUNT_TEST_PG_DIR (CTest does)');

const SCRIPT = path.join(SOURCE_DIR, 'tests', 'pg', 'cluster.sh');
const PG_DIR = `${process.env.MELDPUNT_TEST_PG_DIR}-restart`;
const cluster = (...args) => execFileSync(SCRIPT, [...args], { encoding: 'utf8' }).trim();

test('PostgreSQL restarts and stops under load: 503 with Retry-After while down, reconnect, no 201 lost', async () => {
  cluster('start', PG_DIR);
  const servers = [];
  let load;
  try {
    const db = cluster('create', PG_DIR, 'restart_db');
    await startServers(servers, 2, { db, env: { MELDPUNT_PG_EXPERIMENTAL: '1' } });
    load = writeLoad(servers);
    const { answers } = load;

    await sleep(1000);
    cluster('restart', PG_DIR); // pg_ctl restart -m fast: every connection is ended
    await sleep(1000);
    cluster('down', PG_DIR);
    const downAt = Date.now();
    await sleep(1500);
    // While it is down, a report is refused with 503 and Retry-After, by both servers.
    for (const s of servers) {
      const a = await api(s.url, 'POST', '/api/v1/reports',
        { json: { category: 'graffiti', lat: LOOP.lat, lon: LOOP.lon, description: 'while down' } });
      assert.equal(a.status, 503, a.text);
      assert.match(a.headers.get('retry-after') || '', /^\d+$/);
    }
    cluster('up', PG_DIR);
    const upAt = Date.now();
    await sleep(2500);
    await load.stop();

    // Only 201 or 503, 503 always with Retry-After; some of each.
    const other = answers.filter((a) => a.status !== 201 && a.status !== 503);
    assert.deepEqual(other.map((a) => `${a.status} ${a.text}`), []);
    assert.ok(answers.some((a) => a.status === 503 && a.at > downAt && a.at < upAt), 'a 503 while down');
    for (const a of answers.filter((x) => x.status === 503)) assert.match(a.retryAfter || '', /^\d+$/);
    // Reconnected on their own: the last second of load was all 201, on both servers.
    const late = answers.filter((a) => a.at > upAt + 1500);
    assert.ok(late.length >= 4, `${late.length} answers after the restart`);
    assert.deepEqual(late.filter((a) => a.status !== 201).map((a) => a.text), []);
    // Every 201 is in the database, with the answer's id.
    const ok = answers.filter((a) => a.status === 201);
    const stored = new Map(dbQuery(db, "SELECT description, id FROM reports WHERE description LIKE 'r%'")
      .split('\n').filter(Boolean).map((l) => l.split('|')));
    assert.deepEqual(lost201(answers, stored), []);
    console.log(`# ${answers.length} answers: ${ok.length} 201, ${answers.length - ok.length} 503;`
      + ` ${stored.size} stored (a 503 whose commit went through may be stored too)`);
  } finally {
    if (load) await load.stop();
    for (const s of servers) await s.cleanup();
    cluster('stop', PG_DIR);
  }
});
