// `meldpunt serve` on a PostgreSQL URL while the PostgreSQL engine lacks store operations
// (store_engine.h, MP_STORE_ENGINE_OPS): it refuses to start unless MELDPUNT_PG_EXPERIMENTAL=1,
// names what is missing, and with the opt-in serves what the engine has (the write path).
// Runs on the throwaway cluster of tests/pg/cluster.sh (MELDPUNT_TEST_ENGINE=pg).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { api, newDatabase, dbQuery, startServer, ENGINE_PG, BINARY, SOURCE_DIR, CITY_DIR, LOOP } from '../api/lib.mjs';

assert.ok(ENGINE_PG, 'run with MELDPUNT_TEST_ENGINE=pg and MELDPUNT_TEST_PG_DIR (CTest does)');

/** Runs `meldpunt serve` on db and resolves { code, stderr } once it exits; a server that
 * starts instead is killed after 20 s (code null). */
function serve(db, env) {
  return new Promise((resolve) => {
    execFile(BINARY, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--city', CITY_DIR],
      { cwd: SOURCE_DIR, env: { ...process.env, ...env }, timeout: 20000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stderr }));
  });
}

test('serve refuses a PostgreSQL URL without the opt-in, lists what is missing, touches nothing', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-pg-'));
  const { db, drop } = newDatabase(dir);
  try {
    const err = await serve(db, { MELDPUNT_PG_EXPERIMENTAL: '' });
    assert.equal(err.code, 1, err.stderr);
    const m = /the PostgreSQL engine lacks (\d+) store operations: (.*)\n/.exec(err.stderr);
    assert.ok(m, err.stderr);
    const names = m[2].split(', ');
    assert.equal(names.length, Number(m[1]));
    // Staff operations are among them; what the engine has (its write path, the reads) is not.
    for (const op of ['users', 'work_set']) assert.ok(names.includes(op), op);
    for (const op of ['report_insert', 'cluster_candidates', 'history_add', 'photo_put', 'reports',
      'clusters', 'cluster_grid', 'export_next']) assert.ok(!names.includes(op), op);
    assert.match(err.stderr,
      /cannot start: the PostgreSQL engine lacks \d+ store operations \(listed above\); set MELDPUNT_PG_EXPERIMENTAL=1 to serve anyway/);
    // Refused before the database was opened: no schema was made.
    assert.equal(dbQuery(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'reports'"), '0');

    const bad = await serve(db, { MELDPUNT_PG_EXPERIMENTAL: 'yes' });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /MELDPUNT_PG_EXPERIMENTAL must be 0 or 1/);
  } finally {
    drop();
    await rm(dir, { recursive: true, force: true });
  }
});

// Storing a report also writes the notification outbox (issue 16): its event is committed with
// it, and the outbox sender (which polls from the start) finds every operation it needs.
test('with MELDPUNT_PG_EXPERIMENTAL=1 it serves: a posted report is committed to PostgreSQL', async () => {
  const srv = await startServer({ env: { MELDPUNT_PG_EXPERIMENTAL: '1' } });
  try {
    assert.match(srv.log(), /MELDPUNT_PG_EXPERIMENTAL=1: serving anyway/);
    const r = await api(srv.url, 'POST', '/api/v1/reports',
      { json: { category: 'pothole', lat: LOOP.lat, lon: LOOP.lon, description: 'deep' } });
    assert.equal(r.status, 201, r.text);
    assert.equal(dbQuery(srv.db, 'SELECT count(*), min(description) FROM reports'), '1|deep');
    assert.equal(dbQuery(srv.db, 'SELECT count(*), sum(report_count) FROM clusters'), '1|1');
    assert.equal(dbQuery(srv.db, "SELECT count(*), min(type) FROM notify_events"), '1|report.created');
    assert.doesNotMatch(srv.log(), /(notify|outbox|webhook|kto)_\w+ is not implemented/);
  } finally {
    await srv.cleanup();
  }
});
