// Issue 19, points 3 and 4: exports that do not pin the WAL and keep a pace and a length; a
// cost budget for public reads (the grid's cells, a per-client limit of expensive reads).
//
// The export tests need an export larger than the kernel's socket buffers, so that a client
// that stops reading really leaves the server half-way: the demo reports get 16 KiB
// descriptions (about 15 MB of GeoJSON), written with sqlite3 or psql (dbQuery) while the
// server is down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { startServer, api, LOOP, offset, dbQuery, ENGINE_PG } from './lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const walSize = async (db) => { try { return (await stat(`${db}-wal`)).size; } catch { return 0; } };
const PSQL = path.join(process.env.PG_BIN || '/usr/lib/postgresql/15/bin', 'psql');

/**
 * PostgreSQL: old versions of 300 report rows made now (an UPDATE that commits), then VACUUM
 * (VERBOSE) of reports. Returns the dead row versions of reports VACUUM could not remove: a
 * snapshot older than the UPDATE that some session still holds keeps them (as it would keep
 * every row changed while it lasts, and the table grows).
 */
function deadKept(db) {
  dbQuery(db, 'UPDATE reports SET updated_at = updated_at WHERE id IN (SELECT id FROM reports ORDER BY id LIMIT 300)');
  const v = spawnSync(PSQL, ['--no-psqlrc', '--dbname', db, '--command', 'VACUUM (VERBOSE) reports'],
    { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  // The table's own line comes before its TOAST table's.
  const m = /tuples: (\d+) removed, (\d+) remain, (\d+) are dead but not yet removable/.exec(v.stderr);
  assert.ok(m, `VACUUM VERBOSE said: ${v.stderr}`);
  return Number(m[3]);
}

/** PostgreSQL: a psql session that holds a snapshot (REPEATABLE READ) until stop(). */
async function heldSnapshot(db) {
  const p = spawn(PSQL, ['--no-psqlrc', '--no-align', '--tuples-only', '--dbname', db],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  p.stdin.write("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 'held', count(*) FROM reports;\n");
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  while (!out.includes('held')) await sleep(50);
  return { stop: async () => { p.stdin.end('ROLLBACK;\n'); await once(p, 'exit'); } };
}

/** A server on the demo city whose reports carry long descriptions. */
async function bigExportServer(env) {
  const srv = await startServer({ demo: true, env });
  await srv.stop();
  dbQuery(srv.db, ENGINE_PG ? "UPDATE reports SET description = description || ' ' || repeat('x', 16000)"
    : "UPDATE reports SET description = description || ' ' || printf('%.16000c', 'x'); PRAGMA wal_checkpoint(TRUNCATE);");
  await srv.start();
  return srv;
}

/** GET an export and stop reading after the first chunk. Resolves { res, req, first }. */
function stalledExport(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/api/v1/export?format=geojson`, (res) => {
      res.once('data', (chunk) => { res.pause(); resolve({ res, req, first: chunk }); });
      res.once('error', () => {});
    });
    req.once('error', reject);
  });
}

// The export reads in keyset batches, each one statement with its own snapshot whose rows are
// kept in memory (store_*_export.c): a reader that stalls holds no snapshot. What a held one
// would cost differs by engine: on SQLite the WAL cannot be checkpointed past it and grows; on
// PostgreSQL VACUUM cannot remove the row versions it may still see (the tables bloat).
test('a client that stops reading an export holds no snapshot: WAL checkpointed, VACUUM removes', async (t) => {
  const srv = await bigExportServer({ MELDPUNT_EXPORT_MIN_RATE: '0' });
  try {
    const slow = await stalledExport(srv.url);
    assert.equal(slow.res.statusCode, 200);
    // Reports keep coming while the export waits for its reader. Each commit adds frames to
    // the WAL; the server's checkpointer copies them back and the log restarts from its
    // start, unless a reader's snapshot holds the old frames.
    let most = 0;
    for (let i = 0; i < 150; i++) {
      const p = offset(LOOP, 40 * (i % 15) - 300, 40 * Math.floor(i / 15) - 200);
      const r = await api(srv.url, 'POST', '/api/v1/reports', {
        json: { category: 'graffiti', lat: p.lat, lon: p.lon, description: `tag ${i}` },
      });
      assert.equal(r.status, 201, r.text);
      if (i % 10 === 9) { await sleep(150); most = Math.max(most, await walSize(srv.db)); }
    }
    // With the export's snapshot held for its whole length the WAL reached 13.8 MB here (every
    // frame of the 150 reports kept); read in batches it stayed at about 1 MB.
    if (!ENGINE_PG) {
      t.diagnostic(`the WAL reached ${most} bytes while the export was open`);
      assert.ok(most < 3 * 1024 * 1024, `the WAL reached ${most} bytes while the export was open`);
    } else {
      // With the export stalled, rows changed now are dead to every snapshot: VACUUM removes
      // their old versions. The control shows that the measure sees a held snapshot: one
      // psql session in REPEATABLE READ keeps all 300.
      const kept = deadKept(srv.db);
      t.diagnostic(`VACUUM left ${kept} dead row versions while the export was stalled`);
      assert.equal(kept, 0, `VACUUM could not remove ${kept} dead row versions while the export was stalled`);
      const held = await heldSnapshot(srv.db);
      try {
        const control = deadKept(srv.db);
        t.diagnostic(`with a snapshot held by psql: ${control} kept`);
        assert.ok(control >= 300, `a held snapshot keeps the 300 dead row versions (VACUUM kept ${control})`);
      } finally {
        await held.stop();
      }
    }
    // The export is still whole when its reader comes back, new reports included.
    slow.res.resume();
    let text = slow.first.toString();
    for await (const chunk of slow.res) text += chunk;
    const doc = JSON.parse(text);
    const ids = doc.features.map((f) => f.id);
    assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]), 'ids in order, none twice');
    const count = await api(srv.url, 'GET', '/api/v1/reports?limit=1');
    assert.equal(count.status, 200);
    assert.ok(doc.features.length >= 936, `${doc.features.length} features`);
  } finally {
    await srv.cleanup();
  }
});

test('an export that runs past its length is ended, and its slot is free again', async () => {
  const srv = await bigExportServer({
    MELDPUNT_MAX_EXPORTS: '1', MELDPUNT_EXPORT_MAX_SECONDS: '2', MELDPUNT_EXPORT_MIN_RATE: '0',
  });
  try {
    const t0 = Date.now();
    const slow = await stalledExport(srv.url);
    const busy = await api(srv.url, 'GET', '/api/v1/export?format=csv&category=pothole');
    assert.equal(busy.status, 503);
    assert.equal(busy.body.error.code, 'busy');
    // The server ends the stalled export after its 2 s (swept every 250 ms), which frees the
    // slot: the next export is served. Without a length the slot stays taken.
    let ok;
    while (Date.now() - t0 < 15000) {
      ok = await api(srv.url, 'GET', '/api/v1/export?format=csv&category=pothole');
      if (ok.status === 200) break;
      await sleep(250);
    }
    assert.equal(ok.status, 200, ok.text);
    assert.ok(Date.now() - t0 >= 2000, 'ended before its length');
    assert.match(ok.text, /^\uFEFF?id,category/);
    slow.req.destroy();
  } finally {
    await srv.cleanup();
  }
});

test('the grid of a whole city at a deep zoom is answered at a coarser zoom', async () => {
  const srv = await startServer({ demo: true, env: { MELDPUNT_GRID_MAX_CELLS: '1024' } });
  try {
    const city = '-87.940114,41.644543,-87.52414,42.023039';
    const deep = await api(srv.url, 'GET', `/api/v1/clusters/grid?bbox=${city}&zoom=22`);
    assert.equal(deep.status, 200, deep.text);
    assert.equal(deep.body.zoom, 12); // 13 would span about 1,400 cells
    assert.equal(deep.body.cell_deg, Number((90 / 2 ** 12).toFixed(9)));
    const asked12 = await api(srv.url, 'GET', `/api/v1/clusters/grid?bbox=${city}&zoom=12`);
    assert.deepEqual(deep.body.features, asked12.body.features);
    const total = deep.body.features.reduce((n, f) => n + f.properties.count, 0);
    const all = await api(srv.url, 'GET', `/api/v1/clusters?bbox=${city}&limit=5000`);
    assert.equal(total, all.body.features.length); // every cluster still counted
    // A street at zoom 18 is as asked.
    const near = offset(LOOP, 0, 0);
    const box = [near.lon - 0.003, near.lat - 0.002, near.lon + 0.003, near.lat + 0.002].join(',');
    const street = await api(srv.url, 'GET', `/api/v1/clusters/grid?bbox=${box}&zoom=18`);
    assert.equal(street.status, 200);
    assert.equal(street.body.zoom, 18);
  } finally {
    await srv.cleanup();
  }
});

test('expensive reads have a per-client limit; the map itself does not', async () => {
  const srv = await startServer({ demo: true, env: { MELDPUNT_RATE_READS: '1', MELDPUNT_RATE_READS_BURST: '3' } });
  try {
    const grid = (i) => `/api/v1/clusters/grid?bbox=-87.9,41.7,-87.5${i},42.0&zoom=11`;
    for (let i = 0; i < 3; i++) {
      const r = await api(srv.url, 'GET', grid(i));
      assert.equal(r.status, 200, r.text);
    }
    const limited = await api(srv.url, 'GET', grid(3));
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.match(limited.body.error.message, /too many expensive requests/);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    // Exports, feature pages, Open311 lists and statistics take from the same bucket ...
    for (const p of ['/api/v1/export', '/ogc/collections/reports/items?limit=5',
      '/open311/v2/requests.json', '/api/v1/stats']) {
      const r = await api(srv.url, 'GET', p);
      assert.equal(r.status, 429, `${p}: ${r.status}`);
    }
    // ... while the map's own list, a report and the city's metadata are served.
    for (const p of ['/api/v1/clusters?bbox=-87.7,41.85,-87.6,41.9&limit=500', '/api/v1/config']) {
      const r = await api(srv.url, 'GET', p);
      assert.equal(r.status, 200, `${p}: ${r.text}`);
    }
  } finally {
    await srv.cleanup();
  }
});
