// GET /api/v1/streets?bbox=: the city pack's street layer as GeoJSON lines, for the map page
// without tiles. Checked against geodata/chicago/streets.tsv itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startServer, api, BINARY, CITY_DIR, SOURCE_DIR } from './lib.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.cleanup(); });

const get = (bbox, more = {}) => api(srv.url, 'GET', `/api/v1/streets?${new URLSearchParams({ bbox, ...more })}`);

/** The rows of streets.tsv: { street, points: [[lon, lat], ...] }. */
const rows = readFileSync(path.join(CITY_DIR, 'streets.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => {
  const [street, , , coords] = l.split('\t');
  return { street, points: coords.split(',').map((p) => p.trim().split(' ').map(Number)) };
});

// Around N Clark St & W Division St.
const BOX = [-87.6340, 41.9020, -87.6290, 41.9060];

test('the lines in a box come back with their street names, as the pack has them', async () => {
  const r = await get(BOX.join(','));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'application/geo+json');
  assert.match(r.headers.get('cache-control'), /public, max-age=\d{4,}/, 'the layer does not change: cacheable');
  assert.equal(r.body.type, 'FeatureCollection');
  assert.equal(r.body.count, r.body.features.length);
  const names = new Set(r.body.features.map((f) => f.properties.name));
  assert.ok(names.has('N CLARK ST') && names.has('W DIVISION ST'), [...names].join(', '));
  const ids = r.body.features.map((f) => f.id);
  assert.equal(new Set(ids).size, ids.length, 'each line once');

  // Every line is one row of streets.tsv, point for point (7 decimals; the pack has 5).
  for (const f of r.body.features) {
    assert.equal(f.geometry.type, 'LineString');
    const row = rows.find((w) => w.street === f.properties.name && w.points.length === f.geometry.coordinates.length
      && w.points.every(([lon, lat], i) => Math.abs(lon - f.geometry.coordinates[i][0]) < 1e-6
        && Math.abs(lat - f.geometry.coordinates[i][1]) < 1e-6));
    assert.ok(row, `line ${f.id} (${f.properties.name}) is not a row of streets.tsv`);
  }
  // And every row with a point inside the box is there.
  const inside = ([lon, lat]) => lon >= BOX[0] && lon <= BOX[2] && lat >= BOX[1] && lat <= BOX[3];
  const expected = rows.filter((w) => w.points.some(inside)).length;
  const got = r.body.features.filter((f) => f.geometry.coordinates.some(inside)).length;
  assert.equal(got, expected);
});

test('the same box gives the same bytes (a cache key for the page)', async () => {
  const a = await get(BOX.join(','));
  const b = await get(BOX.join(','));
  assert.equal(a.text, b.text);
});

test('a box with no streets is an empty collection', async () => {
  const r = await get('-87.5000,41.7000,-87.4950,41.7050'); // Lake Michigan
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.features, []);
  assert.equal(r.body.count, 0);
});

test('a missing, malformed, too large or too busy box is refused with a clear message', async () => {
  const cases = [
    [{}, 400, 'missing_parameter', /bbox is required/],
    [{ bbox: '' }, 400, 'missing_parameter', /bbox is required/],
    [{ bbox: '1,2,3' }, 400, 'invalid_bbox', /./],
    [{ bbox: '-87.7,41.9,-87.6,41.95' }, 400, 'invalid_bbox', /at most 0\.05 degrees each way for streets; zoom in/],
    [{ bbox: BOX.join(','), zoom: '17' }, 400, 'unknown_parameter', /zoom/],
  ];
  for (const [q, status, code, message] of cases) {
    const r = await api(srv.url, 'GET', `/api/v1/streets?${new URLSearchParams(q)}`);
    assert.equal(r.status, status, `${JSON.stringify(q)}: ${r.text}`);
    assert.equal(r.body.error.code, code);
    assert.match(r.body.error.message, message);
  }
  // The densest box of the largest size passes; the cap is far above what a city block holds.
  const dense = await get('-87.6500,41.8700,-87.6000,41.9200');
  assert.equal(dense.status, 200, dense.text);
  assert.ok(dense.body.count > 1000 && dense.body.count <= 4000, `${dense.body.count} lines`);
});

test('a box holding more lines than the cap is refused, naming the cap', async () => {
  // A city pack whose street layer packs 4,001 short lines into a few hundred metres.
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-streets-'));
  const city = path.join(dir, 'city');
  await mkdir(city);
  // Chicago's pack but its street layer (and the address grid, which names Chicago's streets).
  for (const f of await readdir(CITY_DIR)) {
    if (!['streets.tsv', 'address_grid.json'].includes(f)) await symlink(path.join(CITY_DIR, f), path.join(city, f));
  }
  const lines = ['street\tfrom_cross\tto_cross\tcoords'];
  for (let i = 0; i < 4001; i++) {
    const lat = (41.9 + (i % 100) * 0.00003).toFixed(5);
    const lon = -87.63 + Math.floor(i / 100) * 0.00005;
    lines.push(`S TEST ${i} ST\t\t\t${lon.toFixed(5)} ${lat},${(lon + 0.00002).toFixed(5)} ${lat}`);
  }
  await writeFile(path.join(city, 'streets.tsv'), `${lines.join('\n')}\n`);
  const child = spawn(BINARY, ['serve', '--db', path.join(dir, 'db.sqlite'), '--listen', '127.0.0.1:0',
    '--city', city, '--web', path.join(SOURCE_DIR, 'web')], { env: { ...process.env, MELDPUNT_TILE_URL: '' } });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]);
      });
      exited.then((code) => reject(new Error(`server exited ${code}: ${log}`)));
    });
    const r = await api(url, 'GET', '/api/v1/streets?bbox=-87.6310,41.8990,-87.6270,41.9040');
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.code, 'too_many_features');
    assert.equal(r.body.error.message, 'the box holds more than 4000 street lines; ask for a smaller one');
    const nl = await api(url, 'GET', '/api/v1/streets?bbox=-87.6310,41.8990,-87.6270,41.9040&lang=nl');
    assert.equal(nl.body.error.message, 'Dit kaartgebied bevat te veel straten; zoom verder in.');
    // A smaller box under the cap answers.
    const small = await api(url, 'GET', '/api/v1/streets?bbox=-87.6301,41.8990,-87.6299,41.9040');
    assert.equal(small.status, 200, small.text);
    assert.ok(small.body.count > 0 && small.body.count < 4000);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
});
