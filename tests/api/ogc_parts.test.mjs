// OGC API - Features beyond Part 1 core (issue 17 point 1): the OpenAPI definition and its
// links, HTML pages (f=html and Accept) with everything escaped, Part 2 CRSs (crs, bbox-crs,
// Content-Crs) and Part 3 queryables with property filters that select what the reports API
// selects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, LOOP } from './lib.mjs';

const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const EPSG = (n) => `http://www.opengis.net/def/crs/EPSG/0/${n}`;
const OAS = 'application/vnd.oai.openapi+json;version=3.0';

let srv;
before(async () => { srv = await startServer({ demo: true }); });
after(async () => { await srv.cleanup(); });

const get = (p, headers) => api(srv.url, 'GET', p, { headers });
const link = (doc, rel, type) => doc.links.find((l) => l.rel === rel && (!type || l.type === type));

async function count(q) {
  const r = await get(`/api/v1/reports?${q}&limit=5000`);
  assert.equal(r.status, 200, r.text);
  return r.body.features.length;
}

test('the landing page links the API definition and its documentation', async () => {
  const land = (await get('/ogc')).body;
  const desc = link(land, 'service-desc');
  assert.equal(desc.type, OAS);
  assert.equal(desc.href, `${srv.url}/ogc/api`);
  assert.equal(link(land, 'service-doc').type, 'text/html');
  const r = await get('/ogc/api');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), OAS);
  const doc = JSON.parse(r.text);
  assert.equal(doc.openapi, '3.0.3');
  assert.equal(doc.servers[0].url, `${srv.url}/ogc`);
  // Each collection's items path with its queryables as parameters; limit's bounds stated.
  const params = (p) => doc.paths[p].get.parameters.map((x) => (x.$ref
    ? doc.components.parameters[x.$ref.split('/').pop()] : x));
  const names = params('/collections/reports/items').map((p) => p.name);
  for (const n of ['bbox', 'bbox-crs', 'crs', 'datetime', 'limit', 'category', 'status', 'district',
    'created_at', 'updated_at']) assert.ok(names.includes(n), n);
  const limit = params('/collections/clusters/items').find((p) => p.name === 'limit');
  assert.equal(limit.schema.maximum, 10000);
  assert.equal(limit.schema.default, 100);
  // Every $ref resolves.
  for (const m of r.text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
    const target = m[1].split('/').reduce((o, k) => o && o[k], doc);
    assert.ok(target, m[1]);
  }
  const html = await get('/ogc/api?f=html');
  assert.equal(html.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(html.text, /\/collections\/reports\/queryables/);
});

test('HTML pages: by f=html or a browser\'s Accept, escaped, without script', async () => {
  const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
  for (const p of ['/ogc', '/ogc/conformance', '/ogc/collections', '/ogc/collections/clusters',
    '/ogc/collections/reports/items?limit=3', '/ogc/collections/districts/items/1',
    '/ogc/collections/reports/queryables']) {
    const r = await get(p, { Accept: browser });
    assert.equal(r.status, 200, p);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8', p);
    assert.match(r.headers.get('content-security-policy'), /script-src 'self'/);
    assert.match(r.text, /^<!DOCTYPE html>/);
    assert.doesNotMatch(r.text, /<script|style=|\son\w+=/i, p);
  }
  // JSON stays the answer for clients that do not prefer HTML.
  for (const accept of [undefined, '*/*', 'application/json', 'application/geo+json, application/json',
    'text/html;q=0.5, application/json']) {
    const r = await get('/ogc/collections/reports/items?limit=1', accept ? { Accept: accept } : {});
    assert.equal(r.headers.get('content-type'), 'application/geo+json', String(accept));
  }
  // A citizen's text cannot become markup in the page.
  const evil = '<script>alert(1)</script><img src=x onerror=alert(2)> "quoted" & more';
  const made = await api(srv.url, 'POST', '/api/v1/reports', {
    json: { category: 'pothole', lat: LOOP.lat, lon: LOOP.lon, description: evil } });
  assert.equal(made.status, 201, made.text);
  const id = made.body.report.id;
  const page = await get(`/ogc/collections/reports/items/${id}?f=html`);
  assert.equal(page.status, 200);
  assert.ok(page.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; '
    + '&quot;quoted&quot; &amp; more'), page.text);
  assert.doesNotMatch(page.text, /<script|<img/);
  const list = await get(`/ogc/collections/reports/items?f=html&limit=1&cursor=${(await cursorBefore(id))}`);
  assert.doesNotMatch(list.text, /<script|<img/);
  assert.ok(list.text.includes(`href="${srv.url}/ogc/collections/reports/items/${id}"`));
});

/** The cursor of the page that starts with report id. */
async function cursorBefore(id) {
  const r = await get(`/ogc/collections/reports/items?limit=${id - 1}`);
  return new URL(link(r.body, 'next').href).searchParams.get('cursor');
}

test('queryables are JSON Schema with the city\'s own values', async () => {
  const r = await get('/ogc/collections/reports/queryables');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/schema+json');
  const s = JSON.parse(r.text);
  assert.equal(s.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(s.$id, `${srv.url}/ogc/collections/reports/queryables`);
  assert.equal(s.type, 'object');
  const cats = (await get('/api/v1/categories')).body;
  const codes = (Array.isArray(cats) ? cats : cats.categories).map((c) => c.code);
  assert.deepEqual(s.properties.category.enum, codes);
  assert.ok(s.properties.status.enum.includes('in_progress'));
  assert.ok(s.properties.district.enum.includes('Logan Square'));
  assert.equal(s.properties.created_at.format, 'date-time');
  const coll = (await get('/ogc/collections/reports')).body;
  assert.equal(link(coll, 'http://www.opengis.net/def/rel/ogc/1.0/queryables').href, s.$id);
  const d = JSON.parse((await get('/ogc/collections/districts/queryables')).text);
  assert.deepEqual(Object.keys(d.properties), ['geometry', 'code', 'name']);
});

test('property filters select what the reports API selects', async () => {
  const cases = [
    ['category=pothole', 'category=pothole'],
    ['category=pothole,graffiti&status=fixed', 'category=pothole,graffiti&status=fixed'],
    ['district=Logan%20Square', 'district=22'],
    ['district=38&status=new', 'district=38&status=new'],
    ['created_at=2021-01-02T00:00:00Z/..', 'since=2021-01-02T00:00:00Z'],
    ['created_at=../2021-01-01T12:00:00Z&datetime=2021-01-01T06:00:00Z/..',
      'since=2021-01-01T06:00:00Z&until=2021-01-01T12:00:01Z'],
  ];
  for (const [ogc, rest] of cases) {
    const r = await get(`/ogc/collections/reports/items?${ogc}&limit=1`);
    assert.equal(r.status, 200, r.text);
    const want = await count(rest);
    assert.ok(want > 0, rest);
    assert.equal(r.body.numberMatched, want, ogc);
    const next = link(r.body, 'next');
    if (want > 1) {
      const q = new URL(next.href).searchParams;
      for (const [k, v] of new URLSearchParams(ogc)) assert.equal(q.get(k), v, `next keeps ${k}`);
    }
  }
  // Clusters: category, status, district.
  const c = await get('/ogc/collections/clusters/items?category=street_light_out&status=fixed&limit=1');
  const cl = await get('/api/v1/clusters?category=street_light_out&status=fixed&limit=5000');
  assert.equal(c.body.numberMatched, cl.body.features.length);
  // Districts by name or code, from the pack.
  const loop = await get('/ogc/collections/districts/items?name=Loop');
  assert.equal(loop.body.numberReturned, 1);
  assert.equal(loop.body.features[0].properties.code, '32');
  for (const bad of ['category=lava', 'status=sleeping', 'district=Atlantis', 'created_at=soon',
    'updated_at=2021-02-01/2021-01-01', 'name=Loop']) {
    const r = await get(`/ogc/collections/reports/items?${bad}`);
    assert.equal(r.status, 400, bad);
    assert.ok(r.body.error.message, bad);
  }
});

test('crs: EPSG:4326 latitude first, Web Mercator and the city\'s CRS, named in Content-Crs', async () => {
  const base = await get('/ogc/collections/reports/items?limit=5');
  assert.equal(base.headers.get('content-crs'), `<${CRS84}>`);
  const [lon, lat] = base.body.features[0].geometry.coordinates;
  const r4326 = await get(`/ogc/collections/reports/items?limit=5&crs=${EPSG(4326)}`);
  assert.equal(r4326.status, 200, r4326.text);
  assert.equal(r4326.headers.get('content-crs'), `<${EPSG(4326)}>`);
  assert.deepEqual(r4326.body.features[0].geometry.coordinates, [lat, lon]);
  assert.ok(link(r4326.body, 'next').href.includes(`crs=${EPSG(4326)}`), 'next keeps crs');
  const merc = await get(`/ogc/collections/reports/items?limit=5&crs=${EPSG(3857)}`);
  const [x, y] = merc.body.features[0].geometry.coordinates;
  assert.ok(Math.abs(x - 6378137 * lon * Math.PI / 180) < 0.01, `${x}`);
  assert.ok(Math.abs(y - 6378137 * Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360))) < 0.01, `${y}`);
  const utm = await get(`/ogc/collections/clusters/items/1?crs=${EPSG(26916)}`);
  assert.equal(utm.headers.get('content-crs'), `<${EPSG(26916)}>`);
  const [e, n] = utm.body.geometry.coordinates;
  assert.ok(e > 400000 && e < 460000 && n > 4600000 && n < 4660000, `${e} ${n}`);
  assert.match(String(e), /^\d+(\.\d{1,3})?$/, 'millimetres');
  // Districts' polygons too.
  const d = await get(`/ogc/collections/districts/items/32?crs=${EPSG(26916)}`);
  const ring = d.body.geometry.coordinates[0][0];
  assert.ok(ring.every(([a, b]) => a > 400000 && b > 4600000));
  const coll = (await get('/ogc/collections/reports')).body;
  assert.deepEqual(coll.crs, [CRS84, EPSG(4326), EPSG(3857), EPSG(26916)]);
  for (const bad of [`crs=${EPSG(28992)}`, 'crs=EPSG:4326', `bbox-crs=${EPSG(2154)}`]) {
    const r = await get(`/ogc/collections/reports/items?${bad}&bbox=1,2,3,4`);
    assert.equal(r.status, 400, bad);
    assert.match(r.body.error.message, /not one of this service's CRSs/);
  }
});

test('bbox-crs: a box in EPSG:4326 or in metres selects exactly what lies inside it', async () => {
  const box = [-87.70, 41.85, -87.60, 41.95];
  const want = await count(`bbox=${box.join(',')}`);
  const latFirst = await get(`/ogc/collections/reports/items?limit=1&bbox-crs=${EPSG(4326)}`
    + `&bbox=${[box[1], box[0], box[3], box[2]].join(',')}`);
  assert.equal(latFirst.status, 200, latFirst.text);
  assert.equal(latFirst.body.numberMatched, want);
  assert.ok(link(latFirst.body, 'next').href.includes(`bbox-crs=${EPSG(4326)}`));
  // A box in the city's metres around the Loop: every feature in it, none outside, in
  // either CRS of the answer.
  const centre = (await get(`/ogc/collections/reports/items?limit=1&crs=${EPSG(26916)}`
    + `&bbox=${LOOP.lon - 0.02},${LOOP.lat - 0.02},${LOOP.lon + 0.02},${LOOP.lat + 0.02}`)).body;
  const [cx, cy] = centre.features[0].geometry.coordinates;
  const mbox = [cx - 1500, cy - 1500, cx + 1500, cy + 1500];
  const inM = await get(`/ogc/collections/reports/items?limit=1000&bbox-crs=${EPSG(26916)}`
    + `&crs=${EPSG(26916)}&bbox=${mbox.join(',')}`);
  assert.equal(inM.status, 200, inM.text);
  assert.ok(inM.body.features.length > 0);
  for (const f of inM.body.features) {
    const [a, b] = f.geometry.coordinates;
    assert.ok(a >= mbox[0] && a <= mbox[2] && b >= mbox[1] && b <= mbox[3], `${a} ${b}`);
  }
  // ... and every report of the city in it is there: compare with all reports in metres.
  const all = await get(`/ogc/collections/reports/items?limit=10000&crs=${EPSG(26916)}`);
  const inside = all.body.features.filter(({ geometry: { coordinates: [a, b] } }) =>
    a >= mbox[0] && a <= mbox[2] && b >= mbox[1] && b <= mbox[3]);
  assert.deepEqual(inM.body.features.map((f) => f.id), inside.map((f) => f.id));
  assert.equal(inM.body.numberMatched, undefined, 'not counted for an exact box');
});
