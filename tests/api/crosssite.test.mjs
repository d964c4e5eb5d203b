// A page of another site cannot make its visitors' browsers post reports (issue 19,
// finding 6): a write that is not JSON (a form post or a "simple" fetch, which browsers
// send without asking first) is refused when Sec-Fetch-Site or Origin says it comes from
// another site. The map page's own multipart upload (same origin), clients that are no
// browser (no Origin) and Open311 form posts with an api_key go on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, LOOP } from './lib.mjs';

let srv, key;
before(async () => {
  srv = await startServer({ env: { MELDPUNT_CORS_ORIGINS: 'https://partner.example' } });
  key = await srv.user('fixmystreet', 'client');
});
after(async () => srv?.cleanup());

function reportForm() {
  const f = new FormData();
  f.set('category', 'graffiti');
  f.set('lat', String(LOOP.lat));
  f.set('lon', String(LOOP.lon));
  f.set('description', 'tag');
  return f;
}

function assertCrossSite(r, what) {
  assert.equal(r.status, 403, `${what}: ${r.text}`);
  assert.equal(r.body.error.code, 'cross_site', what);
  assert.match(r.body.error.message, /another site's page must be sent as application\/json/);
}

test("another site's form posts are refused", async () => {
  assertCrossSite(await api(srv.url, 'POST', '/api/v1/reports',
    { form: reportForm(), headers: { Origin: 'https://evil.example' } }), 'multipart, cross-site Origin');
  assertCrossSite(await api(srv.url, 'POST', '/api/v1/reports',
    { form: reportForm(), headers: { 'Sec-Fetch-Site': 'cross-site' } }), 'multipart, Sec-Fetch-Site');
  assertCrossSite(await api(srv.url, 'POST', '/api/v1/reports',
    { form: reportForm(), headers: { 'Sec-Fetch-Site': 'same-site', Origin: 'https://sub.evil.example' } }),
  'another site of the same registrable domain');
  assertCrossSite(await api(srv.url, 'POST', '/api/v1/reports', {
    body: new URLSearchParams({ category: 'graffiti', lat: LOOP.lat, lon: LOOP.lon }),
    headers: { Origin: 'null' } }), 'urlencoded from a sandboxed page');
  // text/plain carrying JSON: the classic way round a preflight.
  assertCrossSite(await api(srv.url, 'POST', '/api/v1/reports', {
    body: JSON.stringify({ category: 'graffiti', lat: LOOP.lat, lon: LOOP.lon }),
    headers: { 'Content-Type': 'text/plain', Origin: 'https://evil.example' } }), 'text/plain');
  // Nothing was stored.
  const list = await api(srv.url, 'GET', '/api/v1/reports?limit=5');
  assert.equal(list.body.count, 0);
});

test('same-origin pages, non-browser clients, JSON and Open311 keys go on', async () => {
  const same = await api(srv.url, 'POST', '/api/v1/reports',
    { form: reportForm(), headers: { Origin: srv.url, 'Sec-Fetch-Site': 'same-origin' } });
  assert.equal(same.status, 201, same.text);
  const originOnly = await api(srv.url, 'POST', '/api/v1/reports', { form: reportForm(), headers: { Origin: srv.url } });
  assert.equal(originOnly.status, 201, originOnly.text);
  const noOrigin = await api(srv.url, 'POST', '/api/v1/reports', { form: reportForm() });
  assert.equal(noOrigin.status, 201, `a client without Origin (curl, servers): ${noOrigin.text}`);
  const typed = await api(srv.url, 'POST', '/api/v1/reports', { form: reportForm(), headers: { 'Sec-Fetch-Site': 'none' } });
  assert.equal(typed.status, 201, typed.text);
  // JSON from anywhere: a browser asks first (preflight), and only listed origins pass it.
  const json = await api(srv.url, 'POST', '/api/v1/reports', {
    json: { category: 'graffiti', lat: LOOP.lat, lon: LOOP.lon }, headers: { Origin: 'https://evil.example' } });
  assert.equal(json.status, 201, json.text);
  // A listed CORS origin may post a form too.
  const partner = await api(srv.url, 'POST', '/api/v1/reports',
    { form: reportForm(), headers: { Origin: 'https://partner.example', 'Sec-Fetch-Site': 'cross-site' } });
  assert.equal(partner.status, 201, partner.text);
  // Open311 clients are servers posting forms with their key.
  const o311 = await api(srv.url, 'POST', '/open311/v2/requests.json', {
    body: new URLSearchParams({ api_key: key, service_code: 'graffiti', lat: String(LOOP.lat), long: String(LOOP.lon) }),
    headers: { Origin: 'https://evil.example' } });
  assert.equal(o311.status, 200, o311.text);
});
