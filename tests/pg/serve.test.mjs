// `meldpunt serve` on a PostgreSQL URL. While the PostgreSQL engine lacked store operations
// (store_engine.h, MP_STORE_ENGINE_OPS) it refused to start without MELDPUNT_PG_EXPERIMENTAL=1;
// now that the engine has them all it starts without the opt-in and serves.
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

test('serve on a PostgreSQL URL needs no opt-in: the engine has every store operation', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-pg-'));
  const { db, drop } = newDatabase(dir);
  try {
    // A bad value of the opt-in is still refused before anything is opened.
    const bad = await serve(db, { MELDPUNT_PG_EXPERIMENTAL: 'yes' });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /MELDPUNT_PG_EXPERIMENTAL must be 0 or 1/);
    assert.equal(dbQuery(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'reports'"), '0');
  } finally {
    drop();
    await rm(dir, { recursive: true, force: true });
  }
  // Without the opt-in it starts, says nothing is missing, and serves.
  const srv = await startServer({ env: { MELDPUNT_PG_EXPERIMENTAL: '' } });
  try {
    assert.doesNotMatch(srv.log(), /lacks \d+ store operations|serving anyway/);
    const r = await api(srv.url, 'GET', '/api/v1/clusters?bbox=-87.7,41.8,-87.6,41.9');
    assert.equal(r.status, 200, r.text);
  } finally {
    await srv.cleanup();
  }
});

// Storing a report also writes the notification outbox (issue 16): its event is committed with
// it, and the outbox sender (which polls from the start) finds every operation it needs.
test('a report posted to a server on PostgreSQL is committed there, with its notification event', async () => {
  const srv = await startServer({ env: { MELDPUNT_PG_EXPERIMENTAL: '' } });
  try {
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
