// Operations (issue 17 point 5): one JSON access-log line per request on stdout, X-Request-Id
// echoed or made, and /metrics (what it counts, who may read it). promtool checks the page's
// syntax in tests/interop/promtool.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, api, LOOP } from './lib.mjs';

const TOKEN = 'metrics-token-0123456789abcdef';
let srv;

before(async () => {
  srv = await startServer({ demo: true, env: { MELDPUNT_METRICS_TOKEN: TOKEN } });
});
after(() => srv.cleanup());

/** The access-log lines (parsed) written so far, after the listening line. */
async function logLines(want) {
  for (let i = 0; i < 50; i++) {
    const lines = srv.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    if (lines.some(want)) return lines;
    await sleep(20);
  }
  throw new Error(`no log line matched; stdout:\n${srv.stdout().slice(-2000)}`);
}

test('each request is one JSON line: route pattern, never the path\'s id or a query value', async () => {
  const posted = await api(srv.url, 'POST', '/api/v1/reports', {
    json: { category: 'pothole', lat: LOOP.lat, lon: LOOP.lon, description: 'log me' } });
  assert.equal(posted.status, 201);
  const id = posted.body.report.id;
  const secret = 'hq.reporter@example.org';
  const r = await api(srv.url, 'GET', `/api/v1/reports/${id}?email=${encodeURIComponent(secret)}`,
    { headers: { 'X-Request-Id': 'client-req-42' } });
  assert.equal(r.status, 400, r.text); // an unknown parameter, refused
  assert.equal(r.headers.get('x-request-id'), 'client-req-42');
  const ok = await api(srv.url, 'GET', `/api/v1/reports/${id}`, { headers: { 'X-Request-Id': 'client-req-43' } });
  assert.equal(ok.status, 200);
  const nf = await api(srv.url, 'GET', `/no/such/${id}/path?token=${secret}`);
  assert.equal(nf.status, 404);

  const lines = await logLines((l) => l.status === 404);
  for (const l of lines) {
    assert.deepEqual(Object.keys(l), ['time', 'request_id', 'method', 'route', 'status', 'bytes', 'duration_ms']);
    assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(typeof l.duration_ms, 'number');
    assert.ok(l.duration_ms >= 0 && l.duration_ms < 60000);
  }
  const byId = (rid) => lines.find((l) => l.request_id === rid);
  assert.deepEqual({ ...byId('client-req-42'), time: 0, duration_ms: 0 }, {
    time: 0, request_id: 'client-req-42', method: 'GET', route: '/api/v1/reports/{id}', status: 400,
    bytes: Number(r.headers.get('content-length')), duration_ms: 0 });
  assert.equal(byId('client-req-43').status, 200);
  assert.equal(byId('client-req-43').bytes, Buffer.byteLength(ok.text));
  const post = lines.find((l) => l.method === 'POST');
  assert.equal(post.route, '/api/v1/reports');
  assert.equal(post.status, 201);
  const unmatched = lines.find((l) => l.status === 404);
  assert.equal(unmatched.route, '(static)'); // a page path nobody serves: the page router's 404
  const out = srv.stdout();
  assert.ok(!out.includes(secret), 'a query value reached the log');
  assert.ok(!out.includes(`/reports/${id}`) && !out.includes('/no/such'), 'a raw path reached the log');
});

test('X-Request-Id: a safe one is echoed, anything else is replaced by a made one', async () => {
  const made = new Set();
  for (const sent of [undefined, 'x'.repeat(65), 'bad id', 'quote"d', '<script>', '']) {
    const r = await api(srv.url, 'GET', '/healthz', { headers: sent === undefined ? {} : { 'X-Request-Id': sent } });
    const rid = r.headers.get('x-request-id');
    assert.match(rid, /^[0-9a-f]{24}$/, `sent ${JSON.stringify(sent)}`);
    made.add(rid);
  }
  assert.equal(made.size, 6, 'made ids differ');
  const long = 'a'.repeat(64);
  assert.equal((await api(srv.url, 'GET', '/healthz', { headers: { 'X-Request-Id': long } })).headers.get('x-request-id'), long);
  // On error answers too, and before any route (a refused head).
  const big = await api(srv.url, 'GET', `/api/v1/reports?x=${'a'.repeat(9000)}`, { headers: { 'X-Request-Id': 'r-414' } });
  assert.equal(big.status, 414);
  assert.equal(big.headers.get('x-request-id'), 'r-414');
  const lines = await logLines((l) => l.request_id === 'r-414');
  assert.equal(lines.find((l) => l.request_id === 'r-414').route, '(unmatched)');
});

/** { 'name{labels}': value } of a Prometheus text page. */
function samples(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

test('/metrics counts requests by route and status, the writer, the cache and the data', async () => {
  const m0 = await api(srv.url, 'GET', '/metrics');
  assert.equal(m0.status, 200);
  assert.equal(m0.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(m0.headers.get('cache-control'), 'no-store');
  const s0 = samples(m0.text);
  const route = 'meldpunt_http_requests_total{method="GET",route="/api/v1/clusters",status="200"}';
  const before = s0[route] || 0;
  for (let i = 0; i < 3; i++) assert.equal((await api(srv.url, 'GET', '/api/v1/clusters?bbox=-88,41.6,-87.5,42.1')).status, 200);
  const posted = await api(srv.url, 'POST', '/api/v1/reports', {
    json: { category: 'graffiti', lat: LOOP.lat + 0.002, lon: LOOP.lon, description: 'metrics' } });
  assert.equal(posted.status, 201);
  const s1 = samples((await api(srv.url, 'GET', '/metrics')).text);
  assert.equal(s1[route], before + 3);
  assert.equal(s1['meldpunt_http_request_duration_seconds_count{method="GET",route="/api/v1/clusters"}'], before + 3);
  assert.ok(s1['meldpunt_writer_batch_size_count'] >= (s0['meldpunt_writer_batch_size_count'] || 0) + 1);
  assert.ok(s1['meldpunt_writer_commit_seconds_sum'] > 0);
  assert.equal(s1['meldpunt_writer_queue_depth'], 0);
  assert.ok(s1['meldpunt_database_size_bytes'] > 100000);
  assert.ok(s1['meldpunt_answer_cache_lookups_total{result="hit"}'] >= 1, 'the third map read was a hit');
  // Reports and clusters by status agree with /healthz (from loopback: the details).
  const h = (await api(srv.url, 'GET', '/healthz')).body;
  const sum = (prefix) => Object.entries(s1).filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
  assert.equal(sum('meldpunt_reports{'), h.reports);
  assert.equal(sum('meldpunt_clusters{'), h.clusters);
  assert.ok(s1['meldpunt_reports{status="new"}'] >= 1);
});

test('/metrics: loopback, or the token; not through a proxy, not with a wrong token', async () => {
  // A request a local proxy forwards is someone else's.
  const fwd = await api(srv.url, 'GET', '/metrics', { headers: { 'X-Forwarded-For': '203.0.113.9' } });
  assert.equal(fwd.status, 403);
  assert.equal(fwd.body.error.code, 'forbidden');
  assert.equal(fwd.body.error.message, 'metrics are served to this machine, or with the metrics token');
  const tok = await api(srv.url, 'GET', '/metrics', { headers: { 'X-Forwarded-For': '203.0.113.9', Authorization: `Bearer ${TOKEN}` } });
  assert.equal(tok.status, 200);
  assert.match(tok.text, /^# HELP meldpunt_http_requests_total /);
  const wrong = await api(srv.url, 'GET', '/metrics', { headers: { Authorization: `Bearer ${TOKEN}x` } });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error.message, 'the metrics token is not valid');
  const prefix = await api(srv.url, 'GET', '/metrics', { headers: { Authorization: `Bearer ${TOKEN.slice(0, -1)}` } });
  assert.equal(prefix.status, 401);
  const q = await api(srv.url, 'GET', '/metrics?x=1');
  assert.equal(q.status, 400);
});

test('MELDPUNT_ACCESS_LOG=off keeps stdout quiet; a bad value or a short token does not start', async () => {
  const quiet = await startServer({ env: { MELDPUNT_ACCESS_LOG: 'off' } });
  try {
    assert.equal((await api(quiet.url, 'GET', '/healthz')).status, 200);
    await sleep(100);
    assert.doesNotMatch(quiet.stdout(), /"request_id"/);
    const m = await api(quiet.url, 'GET', '/metrics');
    assert.equal(m.status, 200, 'loopback: allowed without a token');
  } finally {
    await quiet.cleanup();
  }
  await assert.rejects(startServer({ env: { MELDPUNT_ACCESS_LOG: 'maybe' } }), /MELDPUNT_ACCESS_LOG must be on or off/);
  await assert.rejects(startServer({ env: { MELDPUNT_METRICS_TOKEN: 'short' } }), /MELDPUNT_METRICS_TOKEN must be at least 16 characters/);
});
