// Cached map answers (server/respcache.c): a repeated request gets the same
// bytes, sent from the cache's sealed file, with the right length; any
// change to the data makes the next answer fresh; HEAD and conditional
// requests behave as for any other answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, LOOP } from './lib.mjs';

const bbox = `${LOOP.lon - 0.05},${LOOP.lat - 0.05},${LOOP.lon + 0.05},${LOOP.lat + 0.05}`;

test('repeated map reads come from the cache, byte for byte, until the data changes', async () => {
  const srv = await startServer({ demo: true });
  try {
    for (const p of [`/api/v1/reports?bbox=${bbox}&limit=500`, `/api/v1/clusters?bbox=${bbox}`,
      `/api/v1/clusters/grid?bbox=${bbox}&zoom=11`]) {
      const a = await fetch(srv.url + p);
      const ab = Buffer.from(await a.arrayBuffer());
      assert.equal(a.status, 200);
      assert.ok(ab.length > 100, p);
      // Several at once, all from the cache now.
      const again = await Promise.all(Array.from({ length: 8 }, () => fetch(srv.url + p)));
      for (const r of again) {
        const b = Buffer.from(await r.arrayBuffer());
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'application/geo+json');
        assert.equal(Number(r.headers.get('content-length')), b.length);
        assert.ok(ab.equals(b), `${p}: a cached answer differs from the first`);
      }
      const head = await fetch(srv.url + p, { method: 'HEAD' });
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
