// Issue 15, a full disk on PostgreSQL where it hurts most: the WAL. (A full disk under the
// tables, with the WAL elsewhere, is tests/api/reliability.test.mjs "disk full", on both
// engines: writes get 503, reads go on.) When PostgreSQL cannot create its next WAL segment
// it PANICs: every session ends, crash recovery starts, and recovery itself needs a new
// segment, so the postmaster gives up and stays down, also after space returns, until it is
// started again (by hand, or by its service manager). What meldpunt must do meanwhile: answer
// 503 with Retry-After (no other status), lose no 201 (synchronous_commit is on in meldpunt's
// sessions, so a 201 is in the WAL before it is sent), and reconnect on its own once
// PostgreSQL is back.
// A cluster of its own (tests/pg/cluster.sh start), its pg_wal on a 64 MB tmpfs: needs root
// (make test runs as root), fails without.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { appendFile, open, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, dbQuery, ENGINE_PG, LOOP, SOURCE_DIR } from '../api/lib.mjs';
import { writeLoad, lost201, startServers } from './load.mjs';

assert.ok(ENGINE_PG, 'run with MELDPUNT_TEST_ENGINE=pg and MELDPUNT_TEST_PG_DIR (CTest does)');

const SCRIPT = path.join(SOURCE_DIR, 'tests', 'pg', 'cluster.sh');
const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
const PG_DIR = `${process.env.MELDPUNT_TEST_PG_DIR}-walfull`;
const SEGMENT = 16 * 1024 * 1024;
const cluster = (...args) => execFileSync(SCRIPT, [...args], { encoding: 'utf8' }).trim();
const running = () => {
  try {
    const owner = statSync(path.join(PG_DIR, 'data'));
    execFileSync(path.join(PG_BIN, 'pg_ctl'), ['status', '--pgdata', path.join(PG_DIR, 'data')],
      { stdio: 'ignore', uid: owner.uid, gid: owner.gid });
    return true;
  } catch {
    return false;
  }
};

/** The cluster stopped, its pg_wal moved to a tmpfs at PG_DIR/walfs (symlinked, as
 * initdb --waldir makes it), old segments removed rather than recycled. */
async function walOnTmpfs(walfs) {
  cluster('down', PG_DIR);
  const data = path.join(PG_DIR, 'data');
  const owner = statSync(data);
  mkdirSync(walfs);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', walfs], { stdio: ['ignore', 'ignore', 'pipe'] });
  chownSync(walfs, owner.uid, owner.gid);
  execFileSync('cp', ['-a', path.join(data, 'pg_wal'), walfs]);
  await rm(path.join(data, 'pg_wal'), { recursive: true });
  symlinkSync(path.join(walfs, 'pg_wal'), path.join(data, 'pg_wal'));
  await appendFile(path.join(data, 'postgresql.conf'), 'wal_recycle = off\nmin_wal_size = 32MB\n');
  cluster('up', PG_DIR);
}

/** Fills the tmpfs to its last byte (no new segment can be made) and then the WAL up to
 * about 256 kB before the end of its last segment file, with logical messages: the next few
 * hundred reports need a segment that cannot be made. */
async function fillWal(db, filler) {
  dbQuery(db, 'CHECKPOINT'); // old segments removed now, not later (their room is not for WAL)
  const fh = await open(filler, 'w');
  const chunk = Buffer.alloc(1024 * 1024, 1);
  try {
    for (;;) await fh.write(chunk);
  } catch (e) {
    assert.equal(e.code, 'ENOSPC');
  }
  try {
    for (;;) await fh.write(chunk, 0, 4096);
  } catch { /* full */ }
  await fh.close();
  for (;;) {
    const [name, offset] = dbQuery(db, 'SELECT * FROM pg_walfile_name_offset(pg_current_wal_insert_lsn())').split('|');
    // The last segment file there is (a checkpoint may have made the next one in advance).
    const last = dbQuery(db, "SELECT max(name) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'");
    const room = SEGMENT - Number(offset);
    if (name === last && room < 512 * 1024) break;
    const size = name === last ? Math.min(1024 * 1024, room - 256 * 1024) : 1024 * 1024;
    dbQuery(db, `SELECT pg_logical_emit_message(false, 'meldpunt-test', repeat('w', ${size}))`);
  }
}

test('the WAL disk full: PostgreSQL PANICs and stays down; 503 with Retry-After meanwhile, no 201 lost, reconnect', {
  timeout: 300000,
}, async () => {
  cluster('start', PG_DIR);
  const walfs = path.join(PG_DIR, 'walfs');
  const filler = path.join(walfs, 'filler');
  const servers = [];
  let load;
  try {
    await walOnTmpfs(walfs);
    const db = cluster('create', PG_DIR, 'walfull_db');
    await startServers(servers, 1, { db, env: { MELDPUNT_PG_EXPERIMENTAL: '1' } });
    await fillWal(db, filler);
    load = writeLoad(servers);
    const { answers } = load;

    // The load reaches the end of the segment: PostgreSQL PANICs, recovery fails, it stays down.
    const t0 = Date.now();
    while (running() && Date.now() - t0 < 120000) await sleep(250);
    assert.equal(running(), false, 'PostgreSQL stopped once it could not write its WAL');
    const downAt = Date.now();
    await sleep(1500);
    assert.equal(running(), false, 'and stays down: recovery needs a WAL segment too');
    const refused = await api(servers[0].url, 'POST', '/api/v1/reports',
      { json: { category: 'graffiti', lat: LOOP.lat, lon: LOOP.lon, description: 'while the WAL is full' } });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.body.error.code, 'unavailable');
    assert.match(refused.headers.get('retry-after') || '', /^\d+$/);
    assert.doesNotMatch(refused.text, /postgres|PANIC|SQL|space left|pg_wal/i, 'no library text');

    // Room again, and PostgreSQL started (as its service manager would): recovery replays the
    // WAL, and the server reconnects on its own.
    await unlink(filler);
    cluster('up', PG_DIR);
    const upAt = Date.now();
    await sleep(3000);
    await load.stop();

    const other = answers.filter((a) => a.status !== 201 && a.status !== 503);
    assert.deepEqual(other.map((a) => `${a.status} ${a.text}`), [], 'only 201 and 503');
    for (const a of answers.filter((x) => x.status === 503)) assert.match(a.retryAfter || '', /^\d+$/);
    assert.ok(answers.some((a) => a.status === 503 && a.at > downAt && a.at < upAt), 'a 503 while down');
    const late = answers.filter((a) => a.at > upAt + 2000);
    assert.ok(late.length >= 4, `${late.length} answers after the restart`);
    assert.deepEqual(late.filter((a) => a.status !== 201).map((a) => a.text), [], 'reconnected');
    const ok = answers.filter((a) => a.status === 201);
    const stored = new Map(dbQuery(db, "SELECT description, id FROM reports WHERE description LIKE 'r%'")
      .split('\n').filter(Boolean).map((l) => l.split('|')));
    assert.deepEqual(lost201(answers, stored), [], 'every 201 is stored');
    const before = ok.filter((a) => a.at < downAt).length;
    console.log(`${answers.length} answers: ${ok.length} 201 (${before} before PostgreSQL went down),`
      + ` ${answers.length - ok.length} 503; ${stored.size} stored`);
  } finally {
    if (load) await load.stop();
    for (const s of servers) await s.cleanup();
    try { cluster('down', PG_DIR); } catch { /* already down */ }
    try { execFileSync('umount', ['-l', walfs]); } catch { /* not mounted */ }
    cluster('stop', PG_DIR);
  }
});
