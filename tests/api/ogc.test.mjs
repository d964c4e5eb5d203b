// OGC API - Features - Part 1 (core + GeoJSON) under /ogc (issue 6): landing page,
// conformance, collections, items with bbox / datetime / limit and next links, single items;
// and GDAL's OAPIF driver (ogrinfo, ogr2ogr) reading it as a live layer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { startServer, api } from './lib.mjs';

const CORE = 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core';
const GEOJSON = 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson';
const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';

let srv;

before(async () => { srv = await startServer({ demo: true }); });
after(async () => { await srv.cleanup(); });

async function listCount(what, params = {}) {
  let n = 0;
  let cursor = null;
  for (;;) {
    const q = new URLSearchParams({ ...params, limit: '5000' });
    if (cursor) q.set('cursor', cursor);
    const r = await api(srv.url, 'GET', `/api/v1/${what}?${q}`);
    assert.equal(r.status, 200, r.text);
    n += r.body.features.length;
    cursor = r.body.next_cursor;
    if (!cursor) return n;
  }
}

const get = (p) => api(srv.url, 'GET', p);
const link = (doc, rel) => doc.links.find((l) => l.rel === rel);

/** Follows next links from url; returns every feature and the pages' documents. */
async function walk(url) {
  const features = [];
  const pages = [];
  let next = url;
  while (next) {
    assert.ok(next.startsWith(srv.url), `absolute link on this server: ${next}`);
    const r = await get(next.slice(srv.url.length));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('content-type'), 'application/geo+json');
    assert.equal(r.body.type, 'FeatureCollection');
    assert.equal(r.body.numberReturned, r.body.features.length);
    assert.match(r.body.timeStamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    features.push(...r.body.features);
    pages.push(r.body);
    next = link(r.body, 'next')?.href;
    assert.ok(pages.length < 200, 'paging ends');
  }
  return { features, pages };
}

test('landing page and conformance', async () => {
  for (const p of ['/ogc', '/ogc/', '/ogc?f=json']) {
    const r = await get(p);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.ok(r.body.title);
    for (const [rel, href] of [['self', '/ogc'], ['conformance', '/ogc/conformance'], ['data', '/ogc/collections']]) {
      assert.equal(link(r.body, rel).href, srv.url + href, rel);
      assert.equal(link(r.body, rel).type, 'application/json');
    }
  }
  const c = await get('/ogc/conformance');
  assert.equal(c.status, 200);
  assert.ok(c.body.conformsTo.includes(CORE));
  assert.ok(c.body.conformsTo.includes(GEOJSON));
  const bad = await get('/ogc?f=xml');
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /f must be json or html/);
  assert.equal((await get('/ogc?bogus=1')).status, 400);
});

test('collections describe reports, clusters and districts with extents and item links', async () => {
  const r = await get('/ogc/collections');
  assert.equal(r.status, 200);
  assert.equal(link(r.body, 'self').href, `${srv.url}/ogc/collections`);
  assert.deepEqual(r.body.collections.map((c) => c.id), ['reports', 'clusters', 'districts']);
  for (const c of r.body.collections) {
    assert.equal(c.itemType, 'feature');
    assert.equal(c.crs[0], CRS84);
    assert.equal(c.storageCrs, CRS84);
    const [bbox] = c.extent.spatial.bbox;
    assert.ok(bbox[0] < bbox[2] && bbox[1] < bbox[3] && bbox[0] < -87 && bbox[1] > 41, `lon/lat bbox ${bbox}`);
    const items = link(c, 'items');
    assert.equal(items.href, `${srv.url}/ogc/collections/${c.id}/items`);
    assert.equal(items.type, 'application/geo+json');
    const one = await get(`/ogc/collections/${c.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, c);
  }
  const [first, last] = r.body.collections[0].extent.temporal.interval[0];
  assert.ok(first.startsWith('2021-01-01T') && last.startsWith('2021-01-0'), `${first} ${last}`);
  assert.equal(r.body.collections[2].extent.temporal, undefined, 'districts have no time');
  assert.equal((await get('/ogc/collections/people')).status, 404);
  assert.equal((await get('/ogc/collections/people/items')).status, 404);
});

test('items page through every report with next links; counts match the reports API', async () => {
  const total = await listCount('reports');
  const { features, pages } = await walk(`${srv.url}/ogc/collections/reports/items?limit=250`);
  assert.equal(pages[0].numberMatched, total);
  assert.equal(pages[0].features.length, 250);
  assert.equal(features.length, total);
  assert.equal(new Set(features.map((f) => f.id)).size, total, 'no feature twice');
  assert.deepEqual(features.map((f) => f.id), [...features.map((f) => f.id)].sort((a, b) => a - b));
  for (const f of features) {
    assert.equal(f.type, 'Feature');
    assert.equal(f.geometry.type, 'Point');
    const [lon, lat] = f.geometry.coordinates;
    assert.ok(lon < -87.5 && lon > -88 && lat > 41.6 && lat < 42.1, 'lon, lat order');
    assert.equal(f.properties.contact, undefined);
    assert.equal(f.properties.external_id, undefined, 'public fields only');
  }
  assert.equal(link(pages.at(-1), 'next'), undefined, 'the last page has no next link');
  assert.ok(link(pages[1], 'self').href.includes('cursor='));
  // The default page is 100 features.
  const d = await get('/ogc/collections/reports/items');
  assert.equal(d.body.numberReturned, 100);
  assert.match(link(d.body, 'next').href, /limit=100&cursor=/);
  // Larger limits are served as the maximum; nonsense is refused.
  const big = await get('/ogc/collections/clusters/items?limit=50000');
  assert.equal(big.status, 200);
  assert.equal(big.body.numberReturned, await listCount('clusters'));
  for (const bad of ['limit=0', 'limit=abc', 'limit=-3', 'cursor=zzz', 'f=xml', 'colour=red']) {
    const r = await get(`/ogc/collections/reports/items?${bad}`);
    assert.equal(r.status, 400, bad);
    assert.ok(r.body.error.message, bad);
  }
});

test('bbox and datetime select what the reports API selects', async () => {
  const bbox = '-87.70,41.85,-87.60,41.95';
  const { features } = await walk(`${srv.url}/ogc/collections/reports/items?bbox=${bbox}&limit=1000`);
  assert.equal(features.length, await listCount('reports', { bbox }));
  assert.ok(features.length > 10);
  for (const f of features) {
    const [lon, lat] = f.geometry.coordinates;
    assert.ok(lon >= -87.70 && lon <= -87.60 && lat >= 41.85 && lat <= 41.95);
  }
  // The six-number form (with heights) selects the same.
  const six = await get('/ogc/collections/reports/items?bbox=-87.70,41.85,0,-87.60,41.95,100&limit=1000');
  assert.equal(six.body.numberMatched, features.length);
  // A bbox larger than the whole world's slice of the city is fine for a GIS client.
  const world = await get('/ogc/collections/reports/items?bbox=-180,-90,180,90&limit=1');
  assert.equal(world.body.numberMatched, await listCount('reports'));

  const cases = [
    ['2021-01-01T12:00:00Z/2021-01-01T18:00:00Z', { since: '2021-01-01T12:00:00Z', until: '2021-01-01T18:00:01Z' }],
    ['../2021-01-01T12:00:00Z', { until: '2021-01-01T12:00:01Z' }],
    ['2021-01-02T00:00:00Z/..', { since: '2021-01-02T00:00:00Z' }],
    ['2021-01-02T00:00:00Z/', { since: '2021-01-02T00:00:00Z' }],
    ['2021-01-01', { since: '2021-01-01T00:00:00Z', until: '2021-01-02T00:00:00Z' }],
  ];
  for (const [dt, params] of cases) {
    const r = await get(`/ogc/collections/reports/items?datetime=${encodeURIComponent(dt)}&limit=1`);
    assert.equal(r.status, 200, r.text);
    const want = await listCount('reports', params);
    assert.equal(r.body.numberMatched, want, dt);
    assert.ok(want > 0 && want < 934, `${dt} selects some: ${want}`);
    if (want > 1) assert.ok(link(r.body, 'next').href.includes(`datetime=${dt.replace(/\/$/, '/')}`), 'next keeps the selection');
  }
  // An instant matches reports made in that second.
  const first = (await get('/ogc/collections/reports/items?limit=1')).body.features[0];
  const inst = await get(`/ogc/collections/reports/items?datetime=${first.properties.created_at}`);
  assert.ok(inst.body.features.some((f) => f.id === first.id));
  for (const bad of ['datetime=../..', 'datetime=2021-02-01/2021-01-01', 'datetime=soon', 'datetime=a/b/c',
    'bbox=1,2,3', 'bbox=-87.6,41.9,-87.7,41.8', 'bbox=-200,0,0,10', 'bbox-crs=EPSG:4326']) {
    const r = await get(`/ogc/collections/reports/items?${bad}`);
    assert.equal(r.status, 400, bad);
  }
});

test('single items, and districts from the city pack', async () => {
  const page = await get('/ogc/collections/clusters/items?limit=3');
  const c = page.body.features[2];
  const one = await get(`/ogc/collections/clusters/items/${c.id}`);
  assert.equal(one.status, 200);
  assert.equal(one.headers.get('content-type'), 'application/geo+json');
  assert.equal(one.body.id, c.id);
  assert.deepEqual(one.body.geometry, c.geometry);
  assert.deepEqual(one.body.properties, c.properties);
  assert.equal(link(one.body, 'self').href, `${srv.url}/ogc/collections/clusters/items/${c.id}`);
  assert.equal(link(one.body, 'collection').href, `${srv.url}/ogc/collections/clusters`);
  const r = await get('/ogc/collections/reports/items/5');
  assert.equal(r.body.id, 5);
  const cluster = await get(`/api/v1/clusters/${c.id}`);
  assert.deepEqual(one.body.geometry.coordinates, cluster.body.geometry.coordinates);
  assert.equal((await get('/ogc/collections/reports/items/999999')).status, 404);
  assert.equal((await get('/ogc/collections/reports/items/0')).status, 404);

  const { features } = await walk(`${srv.url}/ogc/collections/districts/items?limit=30`);
  assert.equal(features.length, 77);
  const loop = features.find((f) => f.properties.name === 'Loop');
  assert.equal(loop.properties.code, '32');
  assert.equal(loop.geometry.type, 'MultiPolygon');
  const ring = loop.geometry.coordinates[0][0];
  assert.deepEqual(ring[0], ring.at(-1), 'closed ring');
  assert.ok(ring[0][0] < -87 && ring[0][1] > 41, 'lon, lat');
  const d = await get(`/ogc/collections/districts/items/${loop.id}`);
  assert.equal(d.body.properties.name, 'Loop');
  assert.equal((await get('/ogc/collections/districts/items/78')).status, 404);
  const near = await get('/ogc/collections/districts/items?bbox=-87.635,41.875,-87.625,41.885');
  assert.ok(near.body.features.some((f) => f.properties.name === 'Loop'));
  assert.ok(near.body.numberReturned < 10);
});

test("links do not follow a client's Host or X-Forwarded-Proto (no trusted proxy)", async () => {
  // The public base is MELDPUNT_PUBLIC_URL or a trusted proxy's (tests/api/links.test.mjs);
  // a direct client's headers never make it, so the links name the address listened on.
  const u = new URL(srv.url);
  const body = await new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: '/ogc/collections/reports/items?limit=1',
      headers: { Host: 'maps.example.test:8443', 'X-Forwarded-Proto': 'https' },
    }, (res) => {
      let s = '';
      res.on('data', (d) => { s += d; });
      res.on('end', () => resolve(JSON.parse(s)));
    });
    req.on('error', reject);
    req.end();
  });
  assert.ok(link(body, 'next').href.startsWith(`${srv.url}/ogc/collections/reports/items?limit=1&cursor=`),
    link(body, 'next').href);
});

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, {
      timeout: 300000, maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', GDAL_HTTP_TIMEOUT: '60' },
    }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\n${stderr}`;
        reject(err);
      } else resolve({ stdout, stderr });
    });
  });
}

test('GDAL reads the collections as live layers (ogrinfo, ogr2ogr)', async () => {
  const src = `OAPIF:${srv.url}/ogc`;
  for (const [layer, what] of [['reports', 'reports'], ['clusters', 'clusters'], ['districts', null]]) {
    const { stdout } = await run('ogrinfo', ['-ro', '-so', src, layer]);
    const m = /Feature Count: (\d+)/.exec(stdout);
    assert.ok(m, stdout);
    const want = what ? await listCount(what) : 77;
    assert.equal(Number(m[1]), want, layer);
  }
  const out = path.join(srv.dir, 'reports.geojson');
  await run('ogr2ogr', ['-f', 'GeoJSON', out, src, 'reports']);
  const fc = JSON.parse(await readFile(out, 'utf8'));
  const total = await listCount('reports');
  assert.equal(fc.features.length, total);
  const ids = fc.features.map((f) => f.properties.id);
  assert.equal(new Set(ids).size, total);
  for (const f of fc.features) {
    const [lon, lat] = f.geometry.coordinates;
    assert.ok(lon < -87.5 && lon > -88 && lat > 41.6 && lat < 42.1, 'GDAL kept lon, lat');
  }
  // Attributes survive the trip: compare one feature with the API.
  const mine = await get(`/ogc/collections/reports/items/${ids[10]}`);
  const theirs = fc.features[10];
  assert.equal(theirs.properties.category, mine.body.properties.category);
  assert.deepEqual(theirs.geometry.coordinates, mine.body.geometry.coordinates);
  // A spatial filter is passed on as bbox.
  const { stdout } = await run('ogrinfo', ['-ro', '-so', '-spat', '-87.70', '41.85', '-87.60', '41.95', src, 'reports']);
  assert.equal(Number(/Feature Count: (\d+)/.exec(stdout)[1]), await listCount('reports', { bbox: '-87.70,41.85,-87.60,41.95' }));
});
