// GDAL's OAPIF driver (Debian gdal-bin: ogrinfo, ogr2ogr) against the OGC API (issue 17
// point 1): it finds the API definition through the landing page's service-desc link, learns
// the queryables from it and sends -spat and -where to the server as query parameters (the
// recording proxy shows what arrived), prints no error, and copies every report to a
// GeoPackage in a handful of requests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, api, REGION_DIR } from '../api/lib.mjs';
import { recordingProxy, run } from './lib.mjs';

let srv;
let proxy;

before(async () => {
  // The recording proxy is a reverse proxy on this machine: trusted, its Host makes the
  // links, so that GDAL follows them through it (README "Security").
  srv = await startServer({ demo: true, env: { MELDPUNT_TRUSTED_PROXIES: '127.0.0.1' } });
  proxy = await recordingProxy(srv.url);
});
after(async () => {
  await proxy.close();
  await srv.cleanup();
});

const get = (p) => api(srv.url, 'GET', p);
// GDAL 3.6 reads 10 features a request unless told (3.8 takes limit's maximum from the API
// definition); CPL_DEBUG off, so that stderr holds errors and warnings only.
const ENV = { CPL_DEBUG: 'OFF', GDAL_HTTP_TIMEOUT: '60' };

function itemsRequests(coll) {
  return proxy.requests.filter((r) => r.url.startsWith(`/ogc/collections/${coll}/items`));
}

test('ogrinfo lists the layers with their feature counts, without an error', async () => {
  proxy.reset();
  const r = await run('ogrinfo', ['-ro', '-so', `OAPIF:${proxy.url}/ogc`, 'reports'], { env: ENV });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'nothing printed to stderr');
  const total = (await get('/ogc/collections/reports/items?limit=1')).body.numberMatched;
  assert.match(r.stdout, new RegExp(`Feature Count: ${total}\\b`));
  assert.match(r.stdout, /Geometry: Point/);
});

test('-spat and -where reach the server as bbox and property filters', async () => {
  proxy.reset();
  const spat = ['-87.70', '41.85', '-87.60', '41.95'];
  const r = await run('ogrinfo', ['-ro', '-al', '-q', `OAPIF:${proxy.url}/ogc`, 'reports',
    '-spat', ...spat, '-where', "category = 'pothole' AND status = 'fixed'"], { env: ENV });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /ERROR|HTTP error/);
  // The definition was found through the landing page, not guessed (no 404 on /ogc/api/).
  assert.ok(proxy.requests.some((q) => q.url === '/ogc/api'), 'service-desc followed');
  assert.ok(!proxy.requests.some((q) => q.url === '/ogc/api/'), 'no guessing');
  const filtered = itemsRequests('reports').filter((q) => q.url.includes('bbox='));
  assert.ok(filtered.length >= 1, JSON.stringify(proxy.requests));
  for (const q of filtered) {
    const u = new URL(q.url, srv.url);
    assert.equal(u.searchParams.get('category'), 'pothole', q.url);
    assert.equal(u.searchParams.get('status'), 'fixed', q.url);
    assert.deepEqual(u.searchParams.get('bbox').split(',').map(Number), spat.map(Number));
  }
  const want = await get(`/api/v1/reports?bbox=${spat.join(',')}&category=pothole&status=fixed&limit=5000`);
  assert.ok(want.body.features.length > 0);
  const got = (r.stdout.match(/^OGRFeature\(reports\):/gm) || []).length;
  assert.equal(got, want.body.features.length);
});

test('a -where on the creation time and a district name is answered by the server', async () => {
  proxy.reset();
  const r = await run('ogrinfo', ['-ro', '-al', '-q', `OAPIF:${proxy.url}/ogc`, 'reports',
    '-where', "created_at >= '2021-01-02' AND district = 'Austin'"], { env: ENV });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /ERROR/);
  const last = itemsRequests('reports').at(-1);
  const u = new URL(last.url, srv.url);
  assert.equal(u.searchParams.get('district'), 'Austin', last.url);
  assert.match(u.searchParams.get('datetime'), /^2021-01-02T?\/\.\.$/, last.url);
  const want = await get('/api/v1/reports?since=2021-01-02&district=25&limit=5000');
  assert.ok(want.body.features.length > 0);
  assert.equal((r.stdout.match(/^OGRFeature\(reports\):/gm) || []).length, want.body.features.length);
});

test('ogr2ogr copies every report to a GeoPackage in a handful of requests', async () => {
  proxy.reset();
  const out = path.join(srv.dir, 'reports.gpkg');
  const total = (await get('/ogc/collections/reports/items?limit=1')).body.numberMatched;
  const r = await run('ogr2ogr', ['-f', 'GPKG', out, `OAPIF:${proxy.url}/ogc`, 'reports',
    '-oo', 'PAGE_SIZE=1000'], { env: ENV });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  // One page to learn the fields, then the pages of 1,000 (with the default of 10 features a
  // request the same copy took 96).
  const items = itemsRequests('reports');
  assert.ok(items.length <= 2 + Math.ceil(total / 1000), JSON.stringify(items));
  const info = await run('ogrinfo', ['-ro', '-so', out, 'reports']);
  assert.match(info.stdout, new RegExp(`Feature Count: ${total}\\b`));
  // The same rows: the districts' copy has every district's code.
  const d = await run('ogr2ogr', ['-f', 'GPKG', '-append', out, `OAPIF:${proxy.url}/ogc`, 'districts',
    '-oo', 'PAGE_SIZE=100'], { env: ENV });
  assert.equal(d.code, 0, d.stderr);
  const dl = await run('ogrinfo', ['-ro', '-so', out, 'districts']);
  assert.match(dl.stdout, /Feature Count: 77\b/);
});

test('a region pack: -where on the municipality is answered by the server', async () => {
  const region = await startServer({ city: REGION_DIR, env: { MELDPUNT_TRUSTED_PROXIES: '127.0.0.1' } });
  const rproxy = await recordingProxy(region.url);
  try {
    const halle = [];
    for (const [town, p] of [['halle', { lat: 50.7345, lon: 4.2370 }], ['halle', { lat: 50.7400, lon: 4.2370 }],
      ['vilvoorde', { lat: 50.9280, lon: 4.4250 }]]) {
      const r = await api(region.url, 'POST', '/api/v1/reports', { json: { category: 'zwerfvuil', ...p } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.municipality.id, town);
      if (town === 'halle') halle.push(r.body.report.id);
    }
    const r = await run('ogrinfo', ['-ro', '-al', '-q', `OAPIF:${rproxy.url}/ogc`, 'reports',
      '-where', "municipality = 'halle'"], { env: ENV });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /ERROR/);
    const last = rproxy.requests.filter((q) => q.url.startsWith('/ogc/collections/reports/items')).at(-1);
    assert.equal(new URL(last.url, region.url).searchParams.get('municipality'), 'halle', last.url);
    assert.equal((r.stdout.match(/^OGRFeature\(reports\):/gm) || []).length, halle.length);
    assert.equal((r.stdout.match(/municipality \(String\) = halle/g) || []).length, halle.length);
  } finally {
    await rproxy.close();
    await region.cleanup();
  }
});
