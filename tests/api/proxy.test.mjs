// Behind the proxy the README recommends (contrib/nginx/meldpunt.conf in a real nginx),
// every per-client limit counts the client, not the proxy (issue 19): one client's burst
// of writes or bad tokens does not lock out others, a valid token is never refused by the
// sign-in limiter, a client cannot pose as another with its own X-Forwarded-For, and 300
// clients at once get no 502.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, LOOP } from './lib.mjs';
import { startNginx, request } from './nginx.mjs';

const report = { category: 'graffiti', lat: LOOP.lat, lon: LOOP.lon, description: 'tag' };
// Clients as nginx sees them; nginx itself reaches meldpunt from 127.0.0.1.
const A = '127.0.0.2', B = '127.0.0.3', DISPATCHER = '127.0.0.4';

let srv, ngx, dispatcher;
before(async () => {
  // The shipped write limit (5/s, burst 60), trusting only the proxy's address.
  srv = await startServer({ env: { MELDPUNT_RATE_WRITES: '5', MELDPUNT_RATE_BURST: '60',
    MELDPUNT_TRUSTED_PROXIES: '127.0.0.1', MELDPUNT_SYNC: 'normal' } });
  dispatcher = await srv.user('dora', 'dispatcher');
  ngx = await startNginx(srv.url);
});
after(async () => {
  await ngx?.stop();
  await srv?.cleanup();
});

test("one client's burst of writes does not limit another client or a dispatcher", async () => {
  const first = await request(ngx.url, 'POST', '/api/v1/reports', { from: A, json: report });
  assert.equal(first.status, 201, first.text);
  const cluster = first.body.cluster.id;
  let limited = 0;
  for (let i = 0; i < 90 && !limited; i++) {
    const r = await request(ngx.url, 'POST', '/api/v1/reports', { from: A, json: report });
    if (r.status === 429) limited = i + 2;
    else assert.equal(r.status, 201, r.text);
  }
  assert.ok(limited > 60, `client A was limited after ${limited} writes, before its burst of 60`);
  // A's own X-Forwarded-For is the left part of the chain: A is still A.
  const spoof = await request(ngx.url, 'POST', '/api/v1/reports',
    { from: A, json: report, headers: { 'X-Forwarded-For': '198.51.100.7' } });
  assert.equal(spoof.status, 429, 'a client escaped its limit with an X-Forwarded-For of its own');
  assert.equal(spoof.body.error.code, 'rate_limited');

  const other = await request(ngx.url, 'POST', '/api/v1/reports', { from: B, json: report });
  assert.equal(other.status, 201, `another client was limited: ${other.text}`);
  const assign = await request(ngx.url, 'POST', `/api/v1/clusters/${cluster}/assign`,
    { from: DISPATCHER, token: dispatcher, json: { priority: 1 } });
  assert.equal(assign.status, 200, `the dispatcher's assign: ${assign.text}`);
});

test("bad tokens from one client do not block a dispatcher; a valid token is never refused", async () => {
  let refused = 0;
  for (let i = 0; i < 40 && !refused; i++) {
    const r = await request(ngx.url, 'GET', '/api/v1/staff/queue', { from: B, token: `wrong-token-${i}` });
    if (r.status === 429) refused = i + 1;
    else assert.equal(r.status, 401, r.text);
  }
  assert.ok(refused > 10, `refused after ${refused} failures: the first 10 must be let through`);
  const locked = await request(ngx.url, 'GET', '/api/v1/staff/queue', { from: B, token: 'wrong-token-x' });
  assert.equal(locked.status, 429);
  assert.match(locked.body.error.message, /too many failed sign-ins/);

  const other = await request(ngx.url, 'GET', '/api/v1/staff/queue', { from: DISPATCHER, token: dispatcher });
  assert.equal(other.status, 200, `a dispatcher elsewhere was refused: ${other.text}`);
  // Even from the locked-out address, the right token passes: it is checked first.
  const same = await request(ngx.url, 'GET', '/api/v1/staff/queue', { from: B, token: dispatcher });
  assert.equal(same.status, 200, `a valid token from a locked-out address: ${same.text}`);
});

test('X-Forwarded-For is believed only from a trusted proxy', async () => {
  // Straight to meldpunt from an untrusted address: its header is ignored, so rotating
  // it does not escape the failed sign-in limit.
  let refused = 0;
  for (let i = 0; i < 40 && !refused; i++) {
    const r = await request(srv.url, 'GET', '/api/v1/staff/queue', { from: '127.0.0.9', token: `bad-${i}`,
      headers: { 'X-Forwarded-For': `203.0.113.${i}` } });
    if (r.status === 429) refused = i + 1;
  }
  assert.ok(refused > 10 && refused <= 25, `refused after ${refused}`);
});

test('300 clients at once through nginx get no 502', async () => {
  const seconds = 3;
  const end = Date.now() + seconds * 1000;
  const counts = {};
  const paths = ['/healthz', '/api/v1/categories',
    `/api/v1/reports?bbox=${LOOP.lon - 0.01},${LOOP.lat - 0.01},${LOOP.lon + 0.01},${LOOP.lat + 0.01}&limit=20`];
  async function client(i) {
    // 250 addresses, each a browser-like keep-alive client.
    const from = `127.0.1.${1 + (i % 250)}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: from });
    try {
      const w = await request(ngx.url, 'POST', '/api/v1/reports', { from, json: report, agent });
      counts[w.status] = (counts[w.status] || 0) + 1;
      // For 3 s, and at least 5 reads each however loaded the machine is.
      for (let k = i; Date.now() < end || k < i + 5; k++) {
        let st;
        try {
          st = (await request(ngx.url, 'GET', paths[k % paths.length], { from, agent })).status;
        } catch (e) {
          st = `error ${e.code}`;
        }
        counts[st] = (counts[st] || 0) + 1;
      }
    } finally {
      agent.destroy();
    }
  }
  await Promise.all(Array.from({ length: 300 }, (_, i) => client(i)));
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const bad = Object.entries(counts).filter(([k]) => k !== '200' && k !== '201');
  console.log(`300 clients through nginx for ${seconds} s: ${total} requests`, counts);
  assert.deepEqual(bad, [], `answers other than 200/201: ${JSON.stringify(counts)}\n${(await ngx.errors()).slice(-2000)}`);
  assert.ok(total >= 300 * 6, `only ${total} requests`);
});
