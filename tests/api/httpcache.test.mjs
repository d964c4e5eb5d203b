// HTTP caching and compression (issue 17 point 4): strong ETags on GET answers, 304 for
// If-None-Match, Cache-Control per kind of answer, Vary, gzip over 1 KB when asked (whole
// answers and streamed exports). Raw bytes over node:http: fetch would inflate them itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { startServer, api, LOOP } from './lib.mjs';

const BBOX = '-88,41.6,-87.5,42.1';
const MAP = `/api/v1/clusters?bbox=${BBOX}`;
const GRID = `/api/v1/clusters/grid?bbox=${BBOX}&zoom=11`;
const REQUESTS = '/open311/v2/requests.xml?start_date=2020-12-15T00:00:00Z&end_date=2021-01-15T00:00:00Z&page_size=500';

let srv;
let dispatcher;

/** GET (or method) p with headers; resolves { status, headers, body: Buffer } as sent. */
function raw(p, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request(srv.url + p, { method, headers }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}
const plain = (p, h = {}) => raw(p, { 'Accept-Encoding': 'identity', ...h });
const gz = (p, h = {}) => raw(p, { 'Accept-Encoding': 'gzip, deflate, br', ...h });

before(async () => {
  srv = await startServer({ demo: true });
  dispatcher = await srv.user('dana', 'dispatcher');
});
after(() => srv.cleanup());

test('the map answer: versioned ETag, 304, gzip of the same bytes, and a new tag after a write', async () => {
  for (const p of [MAP, GRID]) {
    const a = await plain(p);
    assert.equal(a.status, 200);
    const tag = a.headers.etag;
    assert.match(tag, /^"[0-9a-f]{16}-\d+"$/, p);
    assert.equal(a.headers['cache-control'], 'public, no-cache');
    assert.equal(a.headers.vary, 'Origin, Accept-Encoding');
    assert.equal(a.headers['content-encoding'], undefined);
    assert.ok(a.body.length > 1024, `${p} is big enough to compress`);

    const z = await gz(p);
    assert.equal(z.status, 200);
    assert.equal(z.headers['content-encoding'], 'gzip');
    assert.equal(z.headers.vary, 'Origin, Accept-Encoding');
    assert.equal(z.headers.etag, tag.replace(/"$/, '-gz"'), 'the gzip representation has its own tag');
    assert.equal(Number(z.headers['content-length']), z.body.length);
    assert.ok(z.body.length < a.body.length / 3, `${p}: ${z.body.length} of ${a.body.length} bytes`);
    assert.ok(gunzipSync(z.body).equals(a.body), `${p}: gzip holds the same bytes`);
    // Again (compressed once, then kept): the same bytes.
    for (let i = 0; i < 3; i++) assert.ok((await gz(p)).body.equals(z.body));

    // 304 for either tag, in either encoding; nothing in the body.
    for (const [get, inm] of [[plain, tag], [gz, z.headers.etag], [gz, tag], [plain, `"x", ${z.headers.etag}`]]) {
      const r = await get(p, { 'If-None-Match': inm });
      assert.equal(r.status, 304, `${p} with ${inm}`);
      assert.equal(r.body.length, 0);
      assert.ok(r.headers.etag === tag || r.headers.etag === z.headers.etag);
    }
    assert.equal((await plain(p, { 'If-None-Match': '"0000000000000000-1"' })).status, 200);
  }
  const before = await plain(MAP);
  const posted = await api(srv.url, 'POST', '/api/v1/reports', {
    json: { category: 'pothole', lat: LOOP.lat + 0.001, lon: LOOP.lon, description: 'etag' } });
  assert.equal(posted.status, 201);
  const r = await plain(MAP, { 'If-None-Match': before.headers.etag });
  assert.equal(r.status, 200, 'a new report makes the old tag stale');
  assert.notEqual(r.headers.etag, before.headers.etag);
});

test('Open311 requests.xml: a tag of its bytes, 304, gzip; small answers are sent as they are', async () => {
  const a = await plain(REQUESTS);
  assert.equal(a.status, 200);
  assert.ok(a.body.length > 10000, `requests.xml holds requests (${a.body.length} bytes)`);
  assert.match(a.headers.etag, /^"[0-9a-f]{16}"$/);
  const z = await gz(REQUESTS);
  assert.equal(z.headers['content-encoding'], 'gzip');
  assert.ok(gunzipSync(z.body).equals(a.body));
  assert.equal((await gz(REQUESTS, { 'If-None-Match': z.headers.etag })).status, 304);
  assert.equal((await plain(REQUESTS, { 'If-None-Match': `W/${a.headers.etag}` })).status, 304);

  // Under 1 KB: not compressed, but still negotiated (Vary) and tagged.
  const small = await gz('/healthz');
  assert.ok(small.body.length < 1024);
  assert.equal(small.headers['content-encoding'], undefined);
  // /healthz is no-store: no tag for what no one keeps.
  assert.equal(small.headers['cache-control'], 'no-store');
  assert.equal(small.headers.etag, undefined);
  const cats = await gz('/api/v1/categories');
  assert.equal(cats.headers['cache-control'], 'public, max-age=300');
  assert.match(cats.headers.etag, /^"[0-9a-f]{16}(-gz)?"$/);
  // HEAD: the same headers, no body.
  const head = await raw(REQUESTS, { 'Accept-Encoding': 'gzip' }, 'HEAD');
  assert.equal(head.headers.etag, z.headers.etag);
  assert.equal(head.headers['content-encoding'], 'gzip');
  assert.equal(head.body.length, 0);
});

test('streamed exports compress as they stream, and are not stored', async () => {
  for (const format of ['csv', 'geojson']) {
    const p = `/api/v1/export?format=${format}`;
    const a = await plain(p);
    const z = await gz(p);
    assert.equal(a.status, 200);
    assert.equal(z.status, 200);
    assert.equal(z.headers['content-encoding'], 'gzip');
    assert.equal(z.headers['transfer-encoding'], 'chunked');
    assert.equal(z.headers['cache-control'], 'no-store');
    assert.equal(z.headers.etag, undefined);
    assert.ok(z.body.length < a.body.length / 3, `${format}: ${z.body.length} of ${a.body.length}`);
    assert.ok(gunzipSync(z.body).equals(a.body), `${format}: the gzip stream inflates to the plain export`);
  }
});

test('Cache-Control fits the answer: files, staff answers, signed-in requests, links, OGC', async () => {
  const vendor = await gz('/vendor/leaflet/leaflet.js');
  assert.equal(vendor.status, 200);
  assert.equal(vendor.headers['cache-control'], 'public, max-age=86400');
  assert.equal(vendor.headers['content-encoding'], 'gzip');
  assert.equal((await gz('/vendor/leaflet/leaflet.js', { 'If-None-Match': vendor.headers.etag })).status, 304);
  const png = await gz('/vendor/leaflet/images/marker-icon.png');
  assert.equal(png.status, 200);
  assert.ok(png.body.length > 1024);
  assert.equal(png.headers['content-encoding'], undefined, 'images are not compressed again');
  assert.equal(png.headers.vary, 'Origin');

  // Staff answers: never stored, no tag.
  const queue = await gz('/api/v1/staff/queue', { Authorization: `Bearer ${dispatcher}` });
  assert.equal(queue.status, 200);
  assert.equal(queue.headers['cache-control'], 'no-store');
  assert.equal(queue.headers.etag, undefined);
  // A public answer to a signed-in request is that person's: private.
  const cats = await gz('/api/v1/categories', { Authorization: `Bearer ${dispatcher}` });
  assert.equal(cats.headers['cache-control'], 'private, max-age=300');
  const map = await gz(MAP, { Authorization: `Bearer ${dispatcher}` });
  assert.equal(map.headers['cache-control'], 'private, no-cache');
  // Answers with absolute links are private too (built for the host the client named).
  const disc = await gz('/open311/v2/discovery.json');
  assert.equal(disc.status, 200);
  assert.match(disc.headers['cache-control'], /^private/);
  // OGC documents are chosen by Accept when f is absent.
  const land = await gz('/ogc/collections', { Accept: 'text/html' });
  assert.equal(land.headers.vary, 'Origin, Accept-Encoding, Accept');
  assert.match(land.headers['content-type'], /^text\/html/);
  const json = await gz('/ogc/collections');
  assert.notEqual(json.headers.etag, land.headers.etag, 'HTML and JSON are different representations');
});

test('errors and writes carry no validator and are never compressed', async () => {
  const nf = await gz('/api/v1/reports/999999');
  assert.equal(nf.status, 404);
  assert.equal(nf.headers.etag, undefined);
  assert.equal(nf.headers['content-encoding'], undefined);
  const bad = await gz(`/api/v1/clusters?bbox=${BBOX}&zoom=x`, { 'If-None-Match': '*' });
  assert.equal(bad.status, 400);
  assert.equal(bad.headers.etag, undefined);
  const posted = await api(srv.url, 'POST', '/api/v1/reports', {
    headers: { 'Accept-Encoding': 'gzip' },
    json: { category: 'pothole', lat: LOOP.lat, lon: LOOP.lon + 0.001, description: 'x'.repeat(2000) } });
  assert.equal(posted.status, 201);
  assert.equal(posted.headers.get('etag'), null);
  assert.equal(posted.headers.get('content-encoding'), null);
});
