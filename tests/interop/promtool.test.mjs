// /metrics read by Prometheus' own checker (issue 17 point 5): `promtool check metrics`
// (Debian prometheus) parses the page and lints names, types, help texts and units. The page
// is taken after requests of many kinds (200, 201, 304, 400, 404, static files), so that
// every family has samples. A page promtool refuses (a control) shows the check can fail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, api, LOOP } from '../api/lib.mjs';

let srv;
before(async () => { srv = await startServer({ demo: true }); });
after(async () => { await srv.cleanup(); });

/** Runs promtool check metrics on text; resolves { code, output }. */
function promtool(text) {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('error', reject); // not installed: scripts/setup.sh test installs prometheus
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

test('promtool accepts the page after requests of every kind', async () => {
  const map = '/api/v1/clusters?bbox=-88,41.6,-87.5,42.1';
  const first = await fetch(srv.url + map);
  await first.arrayBuffer();
  assert.equal((await fetch(srv.url + map, { headers: { 'If-None-Match': first.headers.get('etag') } })).status, 304);
  assert.equal((await api(srv.url, 'GET', '/api/v1/reports?bbox=x')).status, 400);
  assert.equal((await api(srv.url, 'GET', '/api/v1/nothing')).status, 404);
  assert.equal((await api(srv.url, 'GET', '/')).status, 200);
  assert.equal((await api(srv.url, 'POST', '/api/v1/reports', {
    json: { category: 'pothole', lat: LOOP.lat, lon: LOOP.lon } })).status, 201);
  const page = await api(srv.url, 'GET', '/metrics');
  assert.equal(page.status, 200);
  for (const family of ['meldpunt_http_requests_total', 'meldpunt_http_request_duration_seconds_bucket',
    'meldpunt_writer_batch_size_bucket', 'meldpunt_writer_commit_seconds_sum', 'meldpunt_writer_queue_depth',
    'meldpunt_database_size_bytes', 'meldpunt_answer_cache_lookups_total', 'meldpunt_reports{',
    'meldpunt_clusters{']) assert.ok(page.text.includes(`\n${family}`), `${family} has samples`);
  const r = await promtool(page.text);
  assert.equal(r.code, 0, `promtool check metrics:\n${r.output}`);
  assert.equal(r.output.trim(), '');
});

test('control: promtool refuses a page with a broken family', async () => {
  const page = (await api(srv.url, 'GET', '/metrics')).text;
  const broken = page.replace('# TYPE meldpunt_http_requests_total counter', '# TYPE meldpunt_http_requests_total gauge')
    .replace(/meldpunt_http_requests_total/g, 'meldpunt_http_requests');
  const r = await promtool(broken.replace('# TYPE meldpunt_http_requests gauge', '# TYPE meldpunt_http_requests counter'));
  assert.notEqual(r.code, 0);
  assert.match(r.output, /counter metrics should have "_total" suffix/);
});
