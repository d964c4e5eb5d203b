// Answers with absolute links built for the request's host are not for shared caches
// (issue 19, finding 6): a cache in front must not hand one client's Host to everyone.
// The links themselves come from mp_req_public_base (MELDPUNT_PUBLIC_URL, or a trusted
// proxy's headers, never a client's Host): its rule is tested in tests/unit/test_proxy.c.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer } from './lib.mjs';

function get(base, p, headers) {
  const u = new URL(base + p);
  return new Promise((resolve, reject) => {
    http.get({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    }).on('error', reject);
  });
}

test('an answer with links built from the Host is not Cache-Control: public', async () => {
  const srv = await startServer();
  try {
    const d = await get(srv.url, '/open311/v2/discovery.json', { Host: 'poison.example' });
    assert.equal(d.status, 200, d.text);
    assert.match(d.text, /"url":"https?:\/\//, 'discovery has an absolute url');
    const cc = d.headers['cache-control'];
    assert.doesNotMatch(cc, /public/, `discovery: ${cc}`);
    assert.equal(cc, 'private, max-age=300');
    // An answer without such links keeps its public caching.
    const s = await get(srv.url, '/open311/v2/services.json', { Host: 'poison.example' });
    assert.equal(s.headers['cache-control'], 'public, max-age=300');
    const c = await get(srv.url, '/api/v1/categories', {});
    assert.equal(c.headers['cache-control'], 'public, max-age=300');
  } finally {
    await srv.cleanup();
  }
});
