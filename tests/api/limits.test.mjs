// Per-address write limits (429 + Retry-After), failed sign-in limits, and CORS only for
// configured origins (issue 8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, LOOP } from './lib.mjs';

const report = { category: 'graffiti', lat: LOOP.lat, lon: LOOP.lon, description: 'tag' };

test('writes beyond the per-address burst get 429 with Retry-After; reads go on', async () => {
  const srv = await startServer({ env: { MELDPUNT_RATE_WRITES: '1', MELDPUNT_RATE_BURST: '3' } });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await api(srv.url, 'POST', '/api/v1/reports', { json: report });
      assert.equal(r.status, 201, r.text);
    }
    const limited = await api(srv.url, 'POST', '/api/v1/reports', { json: report });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'rate_limited');
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 2, `Retry-After ${retry}`);
    const read = await api(srv.url, 'GET', '/api/v1/reports?limit=1');
    assert.equal(read.status, 200);
    // After the advertised wait a token is back.
    await new Promise((r) => setTimeout(r, retry * 1000 + 100));
    const again = await api(srv.url, 'POST', '/api/v1/reports', { json: report });
    assert.equal(again.status, 201, again.text);
  } finally {
    await srv.cleanup();
  }
});

test('repeated failed sign-ins from one address are refused for a while, good tokens never', async () => {
  const srv = await startServer();
  try {
    const good = await srv.user('dana', 'dispatcher');
    // 10 failures are allowed at once, then one a second: keep failing until
    // the address is refused (on a loaded machine the 10 may take more than
    // a second and earn a retry), and never more than a few extra times.
    let refused = 0;
    for (let i = 0; i < 30 && !refused; i++) {
      const r = await api(srv.url, 'POST', '/api/v1/clusters/1/merge', { json: { into: 2 }, token: `wrong-token-${i}` });
      if (r.status === 429) refused = i + 1;
      else assert.equal(r.status, 401);
    }
    assert.ok(refused > 10, `refused after ${refused} failures: the first 10 must be let through`);
    assert.ok(refused <= 20, `refused only after ${refused} failures`);
    const locked = await api(srv.url, 'POST', '/api/v1/clusters/1/merge', { json: { into: 2 }, token: 'wrong-again' });
    assert.equal(locked.status, 429);
    assert.equal(locked.body.error.code, 'rate_limited');
    assert.ok(Number(locked.headers.get('retry-after')) >= 1);
    // The token is checked before the limiter: a good one passes even now (issue 19).
    const r = await api(srv.url, 'GET', '/api/v1/staff/queue', { token: good });
    assert.equal(r.status, 200, r.text);
  } finally {
    await srv.cleanup();
  }
});

test('wrong Open311 api_keys count as failed sign-ins; a good key is never refused', async () => {
  // Issue 19: a key guesser on /open311 answered 403 for ever, uncounted.
  const srv = await startServer();
  try {
    const key = await srv.user('fixmystreet', 'client');
    const post = (k) => api(srv.url, 'POST', '/open311/v2/requests.json', {
      form: new URLSearchParams({ api_key: k, service_code: 'graffiti', lat: String(LOOP.lat), long: String(LOOP.lon) }),
    });
    let refused = 0;
    for (let i = 0; i < 30 && !refused; i++) {
      const r = await post(`mp_wrong-key-${i}`);
      if (r.status === 429) refused = i + 1;
      else assert.equal(r.status, 403, r.text);
    }
    assert.ok(refused > 10 && refused <= 20, `refused after ${refused} wrong keys`);
    const locked = await post('mp_wrong-again');
    assert.equal(locked.status, 429);
    assert.match(locked.body.error.message, /^too many failed sign-ins from this address/);
    const ok = await post(key);
    assert.equal(ok.status, 200, ok.text);
  } finally {
    await srv.cleanup();
  }
});

test('CORS headers only for configured origins; preflight answered for them', async () => {
  const srv = await startServer({ env: { MELDPUNT_CORS_ORIGINS: 'https://city.example, https://app.city.example' } });
  try {
    const ok = await api(srv.url, 'GET', '/api/v1/categories', { headers: { Origin: 'https://app.city.example' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.city.example');
    const evil = await api(srv.url, 'GET', '/api/v1/categories', { headers: { Origin: 'https://evil.example' } });
    assert.equal(evil.status, 200);
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    const pre = await api(srv.url, 'OPTIONS', '/api/v1/reports', {
      headers: { Origin: 'https://city.example', 'Access-Control-Request-Method': 'POST' } });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
    const preEvil = await api(srv.url, 'OPTIONS', '/api/v1/reports', { headers: { Origin: 'https://evil.example' } });
    assert.equal(preEvil.status, 405);
    assert.equal(preEvil.headers.get('access-control-allow-origin'), null);
  } finally {
    await srv.cleanup();
  }
});

test('whole exports streaming at once are bounded: 503 busy with Retry-After, the slot frees when the download ends', async () => {
  const srv = await startServer({ env: { MELDPUNT_MAX_EXPORTS: '1' } });
  const http = await import('node:http');
  const held = [];
  try {
    // Enough data that an export cannot vanish into the socket buffers of a
    // client that does not read: ~1,200 reports with 2,000-character texts.
    const text = 'kuil in het wegdek '.repeat(105).slice(0, 2000);
    for (let i = 0; i < 1200; i += 16) {
      await Promise.all(Array.from({ length: 16 }, (_, k) => api(srv.url, 'POST', '/api/v1/reports', {
        json: { category: 'graffiti', lat: LOOP.lat + (i + k) * 0.00003, lon: LOOP.lon, description: text } })
        .then((r) => assert.equal(r.status, 201))));
    }
    // A download that has started and whose reader stalls holds the one slot.
    const first = await new Promise((resolve, reject) => {
      const req = http.get(`${srv.url}/api/v1/export?format=geojson`, (res) => { res.pause(); resolve(res); });
      req.on('error', reject);
      held.push(req);
    });
    assert.equal(first.statusCode, 200);
    const busy = await api(srv.url, 'GET', '/api/v1/export?format=csv');
    assert.equal(busy.status, 503);
    assert.equal(busy.body.error.code, 'busy');
    assert.match(busy.body.error.message, /1 exports are already streaming/);
    assert.equal(busy.headers.get('retry-after'), '30');
    // Reads other than exports go on meanwhile.
    assert.equal((await api(srv.url, 'GET', '/api/v1/categories')).status, 200);
    // The stalled client goes away: its slot comes back.
    first.destroy();
    let again;
    for (let i = 0; i < 50; i++) {
      again = await api(srv.url, 'GET', '/api/v1/export?format=csv&what=clusters');
      if (again.status !== 503) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(again.status, 200);
  } finally {
    for (const r of held) r.destroy();
    await srv.cleanup();
  }
});

test('an over-long request target or header block gets a JSON 414 / 431, and the server goes on', async () => {
  const srv = await startServer();
  try {
    // 9,000 bytes of target: over meldpunt's 8 KiB, under what libmicrohttpd refuses itself.
    const longQuery = `/api/v1/reports?category=${'a'.repeat(9000)}`;
    const uri = await api(srv.url, 'GET', longQuery);
    assert.equal(uri.status, 414, uri.text);
    assert.equal(uri.body.error.code, 'uri_too_long');
    // A target of 8,000 bytes is still answered by the endpoint (a 400 for the category).
    const justUnder = await api(srv.url, 'GET', `/api/v1/reports?category=${'a'.repeat(7900)}`);
    assert.equal(justUnder.status, 400, justUnder.text);
    assert.notEqual(justUnder.body.error.code, 'uri_too_long');
    // The bound counts the path too.
    const longPath = await api(srv.url, 'GET', `/api/v1/reports/${'9'.repeat(9000)}`);
    assert.equal(longPath.status, 414);
    assert.equal(longPath.body.error.code, 'uri_too_long');

    const big = { 'X-Padding': 'x'.repeat(20000) };
    const hdr = await api(srv.url, 'GET', '/healthz', { headers: big });
    assert.equal(hdr.status, 431, hdr.text);
    assert.equal(hdr.body.error.code, 'headers_too_large');
    // Also for a write: refused before anything is stored.
    const post = await api(srv.url, 'POST', '/api/v1/reports', { json: report, headers: big });
    assert.equal(post.status, 431);

    const health = await api(srv.url, 'GET', '/healthz');
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    assert.equal(health.body.reports, 0);
  } finally {
    await srv.cleanup();
  }
});
