// Cached map answers (server/respcache.c): a repeated request gets the same
// bytes, sent from the cache's sealed file, with the right length; any
// change to the data makes the next answer fresh; HEAD and conditional
// requests behave as for any other answer. Which answers came from the cache
// is read from the cache's counters, which /healthz shows to loopback clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, LOOP } from './lib.mjs';

const bbox = `${LOOP.lon - 0.05},${LOOP.lat - 0.05},${LOOP.lon + 0.05},${LOOP.lat + 0.05}`;

/** The answer cache's counters: { hits, misses, stored }. */
async function counters(srv) {
  const h = await api(srv.url, 'GET', '/healthz');
  assert.equal(h.status, 200);
  assert.deepEqual(Object.keys(h.body.cache || {}), ['hits', 'misses', 'stored'], h.text);
  return h.body.cache;
}

/** What changed in the counters since c0. */
async function delta(srv, c0) {
  const c = await counters(srv);
  return { hits: c.hits - c0.hits, misses: c.misses - c0.misses, stored: c.stored - c0.stored };
}

test('the counters tell a cached answer from a fresh one', async () => {
  const srv = await startServer({ demo: true });
  try {
    const p = `/api/v1/clusters?bbox=${bbox}&category=pothole`;
    let c0 = await counters(srv);
    // Asked once: computed, not kept (second-sight admission).
    const first = await fetch(srv.url + p);
    const body = Buffer.from(await first.arrayBuffer());
    assert.equal(first.status, 200);
    assert.deepEqual(await delta(srv, c0), { hits: 0, misses: 1, stored: 0 });
    // Asked again: computed once more, and now kept.
    c0 = await counters(srv);
    const second = Buffer.from(await (await fetch(srv.url + p)).arrayBuffer());
    assert.deepEqual(await delta(srv, c0), { hits: 0, misses: 1, stored: 1 });
    // From now on: from the cache, the same bytes.
    c0 = await counters(srv);
    for (let i = 0; i < 3; i++) {
      const r = await fetch(srv.url + p);
      const b = Buffer.from(await r.arrayBuffer());
      assert.ok(b.equals(body) && second.equals(body), 'a cached answer differs from the fresh one');
      assert.equal(Number(r.headers.get('content-length')), body.length);
    }
    assert.deepEqual(await delta(srv, c0), { hits: 3, misses: 0, stored: 0 });
    // Another query is another answer; a write makes the next answer fresh.
    c0 = await counters(srv);
    assert.equal((await api(srv.url, 'GET', `/api/v1/clusters?bbox=${bbox}&category=graffiti`)).status, 200);
    assert.deepEqual(await delta(srv, c0), { hits: 0, misses: 1, stored: 0 });
    const posted = await api(srv.url, 'POST', '/api/v1/reports', {
      json: { category: 'pothole', lat: LOOP.lat + 0.001, lon: LOOP.lon + 0.001, description: 'new hole' } });
    assert.equal(posted.status, 201, posted.text);
    c0 = await counters(srv);
    const after = await api(srv.url, 'GET', p);
    assert.deepEqual(await delta(srv, c0), { hits: 0, misses: 1, stored: 0 });
    assert.ok(after.body.features.some((f) => f.id === posted.body.cluster.id), 'the new cluster is in the fresh answer');
    // Answers that are never cached (a single report, the categories) leave the counters alone.
    c0 = await counters(srv);
    assert.equal((await api(srv.url, 'GET', `/api/v1/reports/${posted.body.report.id}`)).status, 200);
    assert.equal((await api(srv.url, 'GET', '/api/v1/categories')).status, 200);
    assert.deepEqual(await delta(srv, c0), { hits: 0, misses: 0, stored: 0 });
  } finally {
    await srv.cleanup();
  }
});

test('conditional requests: static files and map answers answer 304 to their ETag', async () => {
  const srv = await startServer();
  try {
    // A static file carries an ETag and honours If-None-Match.
    const page = await fetch(`${srv.url}/`);
    const pageBody = await page.text();
    assert.equal(page.status, 200);
    const etag = page.headers.get('etag');
    assert.match(etag || '', /^"[^"]+"$/, `a strong ETag on /: ${etag}`);
    const same = await fetch(`${srv.url}/`, { headers: { 'If-None-Match': etag } });
    assert.equal(same.status, 304);
    assert.equal(same.headers.get('etag'), etag);
    assert.equal((await same.arrayBuffer()).byteLength, 0);
    const other = await fetch(`${srv.url}/`, { headers: { 'If-None-Match': '"not-this-one"' } });
    assert.equal(other.status, 200);
    assert.equal(await other.text(), pageBody);
    // Static files send no Last-Modified, so If-Modified-Since is not a validator for them.
    assert.equal(page.headers.get('last-modified'), null);
    const since = await fetch(`${srv.url}/`, { headers: { 'If-Modified-Since': new Date(Date.now() + 86400e3).toUTCString() } });
    assert.equal(since.status, 200);
    assert.equal(await since.text(), pageBody);

    // A (cached) map answer carries a strong ETag made of the data version: If-None-Match
    // with it (or "*") is answered 304 before anything is built or read from the cache;
    // another tag gets the full answer, from the cache. If-Modified-Since is not a
    // validator here (no Last-Modified).
    const p = `/api/v1/reports?bbox=${bbox}&limit=50`;
    const ident = { 'Accept-Encoding': 'identity' };
    const plain = await fetch(srv.url + p, { headers: ident });
    const plainBody = Buffer.from(await plain.arrayBuffer());
    await (await fetch(srv.url + p, { headers: ident })).arrayBuffer(); // second sight: now cached
    const tag = plain.headers.get('etag');
    assert.match(tag || '', /^"[0-9a-f]{16}-[0-9]+"$/, `a versioned strong ETag: ${tag}`);
    assert.equal(plain.headers.get('cache-control'), 'public, no-cache');
    assert.equal(plain.headers.get('last-modified'), null);
    const c0 = await counters(srv);
    for (const inm of [tag, '*', `"other", W/${tag}`]) {
      const r = await fetch(srv.url + p, { headers: { ...ident, 'If-None-Match': inm } });
      assert.equal(r.status, 304, inm);
      assert.equal(r.headers.get('etag'), tag);
      assert.equal((await r.arrayBuffer()).byteLength, 0);
    }
    assert.deepEqual(await delta(srv, c0), { hits: 0, misses: 0, stored: 0 }, '304s never reach the cache');
    for (const headers of [{ 'If-None-Match': '"anything"' },
      { 'If-Modified-Since': new Date(Date.now() + 86400e3).toUTCString() }]) {
      const r = await fetch(srv.url + p, { headers: { ...ident, ...headers } });
      assert.equal(r.status, 200, JSON.stringify(headers));
      assert.equal(r.headers.get('etag'), tag);
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(plainBody), `full body for ${JSON.stringify(headers)}`);
    }
    assert.deepEqual(await delta(srv, c0), { hits: 2, misses: 0, stored: 0 });
  } finally {
    await srv.cleanup();
  }
});

test('repeated map reads come from the cache, byte for byte, until the data changes', async () => {
  const srv = await startServer({ demo: true });
  try {
    for (const p of [`/api/v1/reports?bbox=${bbox}&limit=500`, `/api/v1/clusters?bbox=${bbox}`,
      `/api/v1/clusters/grid?bbox=${bbox}&zoom=11`]) {
      // Plain bytes (fetch asks for gzip by default): Content-Length is the body's.
      const ident = { headers: { 'Accept-Encoding': 'identity' } };
      const a = await fetch(srv.url + p, ident);
      const ab = Buffer.from(await a.arrayBuffer());
      assert.equal(a.status, 200);
      assert.ok(ab.length > 100, p);
      // Several at once, all from the cache now.
      const again = await Promise.all(Array.from({ length: 8 }, () => fetch(srv.url + p, ident)));
      for (const r of again) {
        const b = Buffer.from(await r.arrayBuffer());
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'application/geo+json');
        assert.equal(Number(r.headers.get('content-length')), b.length);
        assert.ok(ab.equals(b), `${p}: a cached answer differs from the first`);
      }
      const head = await fetch(srv.url + p, { method: 'HEAD', ...ident });
      assert.equal(head.status, 200);
      assert.equal(Number(head.headers.get('content-length')), ab.length);
      assert.equal((await head.arrayBuffer()).byteLength, 0);
    }
    const p = `/api/v1/reports?bbox=${bbox}&limit=500`;
    const before = await api(srv.url, 'GET', p);
    const posted = await api(srv.url, 'POST', '/api/v1/reports', {
      json: { category: 'graffiti', lat: LOOP.lat, lon: LOOP.lon, description: 'fresh tag' } });
    assert.equal(posted.status, 201);
    const after = await api(srv.url, 'GET', p);
    assert.equal(after.status, 200);
    assert.notEqual(after.text, before.text);
    assert.ok(after.body.features.some((f) => f.id === posted.body.report.id),
      'the answer after a new report still came from the old cache entry');
  } finally {
    await srv.cleanup();
  }
});
