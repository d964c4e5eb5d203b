// Absolute links and shared caches (issue 19, finding 6). The links of the OGC API and of
// Open311 come from mp_req_public_base: MELDPUNT_PUBLIC_URL, or a trusted proxy's
// X-Forwarded-Host / -Proto, never a direct client's Host or X-Forwarded-*; answers built
// from them are not Cache-Control: public, so a cache in front cannot hand one client's host
// to everyone. The rule itself is tested in tests/unit/test_proxy.c. Answers chosen by the
// Accept header (OGC's HTML or JSON, the HTML "not found" page) say Vary: Accept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, api, postReportWithPhoto } from './lib.mjs';

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

/** Two reports (so that an items page of one has a next link), the second with a photo (so
 * that Open311 shows a media_url); returns its id. */
async function reportWithPhoto(srv) {
  const plain = await api(srv.url, 'POST', '/api/v1/reports',
    { json: { category: 'pothole', lat: 41.9, lon: -87.65 } });
  assert.equal(plain.status, 201, plain.text);
  const made = await postReportWithPhoto(srv.url);
  assert.equal(made.status, 201, made.text);
  return made.body.report.id;
}

/** Every absolute link of the OGC landing page, the next link of an items page, the Open311
 * discovery URL and a request's media_url, as answered to headers; checks that none of these
 * answers is Cache-Control: public. */
async function linksFor(srv, id, headers) {
  const out = [];
  const json = async (p) => {
    const r = await get(srv.url, p, headers);
    assert.equal(r.status, 200, `${p}: ${r.text}`);
    assert.doesNotMatch(r.headers['cache-control'], /public/, p);
    return JSON.parse(r.text);
  };
  out.push(...(await json('/ogc')).links.map((l) => l.href));
  out.push((await json('/ogc/collections/reports/items?limit=1')).links.find((l) => l.rel === 'next').href);
  out.push((await json('/open311/v2/discovery.json')).endpoints[0].url);
  out.push((await json(`/open311/v2/requests/${id}.json`))[0].media_url);
  return out;
}

const FORGED = { Host: 'poison.example', 'X-Forwarded-Host': 'evil.example:8443', 'X-Forwarded-Proto': 'https' };

test('OGC and Open311 links: a client that is no trusted proxy does not choose the host', async () => {
  const srv = await startServer();
  try {
    const id = await reportWithPhoto(srv);
    const links = await linksFor(srv, id, FORGED);
    assert.equal(links.length, 9); // 6 on the landing page, next, discovery, media_url
    for (const href of links) assert.ok(href.startsWith(`${srv.url}/`), href);
  } finally {
    await srv.cleanup();
  }
});

test("OGC and Open311 links: a trusted proxy's X-Forwarded-Host and -Proto make them", async () => {
  const srv = await startServer({ env: { MELDPUNT_TRUSTED_PROXIES: '127.0.0.1' } });
  try {
    const id = await reportWithPhoto(srv);
    const named = { Host: 'backend.internal:8080', 'X-Forwarded-Host': 'maps.example.test:8443',
      'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.7' };
    const links = await linksFor(srv, id, named);
    for (const href of links) assert.ok(href.startsWith('https://maps.example.test:8443/'), href);
    assert.ok(links.includes(`https://maps.example.test:8443/api/v1/reports/${id}/photo`), links.join(' '));
    assert.ok(links.includes('https://maps.example.test:8443/open311/v2'), links.join(' '));
    // A host that is no host name is not echoed, even from the trusted proxy: the Host it
    // sent stands instead.
    const bad = await linksFor(srv, id, { ...named, 'X-Forwarded-Host': 'x"><evil/>' });
    for (const href of bad) assert.ok(href.startsWith('https://backend.internal:8080/'), href);
  } finally {
    await srv.cleanup();
  }
});

test('OGC and Open311 links: MELDPUNT_PUBLIC_URL wins over every header', async () => {
  const srv = await startServer({
    env: { MELDPUNT_TRUSTED_PROXIES: '127.0.0.1', MELDPUNT_PUBLIC_URL: 'https://reports.city.example/meldpunt' },
  });
  try {
    const id = await reportWithPhoto(srv);
    const links = await linksFor(srv, id, { ...FORGED, 'X-Forwarded-Host': 'maps.example.test' });
    for (const href of links) assert.ok(href.startsWith('https://reports.city.example/meldpunt/'), href);
    assert.ok(links.includes('https://reports.city.example/meldpunt/ogc/conformance'), links.join(' '));
  } finally {
    await srv.cleanup();
  }
});

test('answers chosen by the Accept header say Vary: Accept; others do not', async () => {
  const srv = await startServer();
  try {
    const vary = (r) => (r.headers.vary || '').split(/\s*,\s*/);
    for (const p of ['/ogc', '/ogc/conformance', '/ogc/collections', '/ogc/collections/reports',
      '/ogc/collections/reports/queryables', '/ogc/collections/reports/items?limit=1', '/ogc/api']) {
      const j = await get(srv.url, p, {});
      const h = await get(srv.url, p, { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
      assert.equal(j.status, 200, `${p}: ${j.text.slice(0, 200)}`);
      assert.match(j.headers['content-type'], /json/, p);
      assert.match(h.headers['content-type'], /^text\/html/, p);
      assert.ok(vary(j).includes('Accept'), `${p} JSON: Vary ${j.headers.vary}`);
      assert.ok(vary(h).includes('Accept'), `${p} HTML: Vary ${h.headers.vary}`);
      assert.ok(vary(h).includes('Origin'), `${p}: Vary keeps Origin`);
    }
    // The "not found" page for browsers, JSON for the rest: chosen by Accept, in the
    // language of Accept-Language.
    const page = await get(srv.url, '/no-such-page', { Accept: 'text/html', 'Accept-Language': 'nl' });
    assert.equal(page.status, 404);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.deepEqual(vary(page), ['Origin', 'Accept', 'Accept-Language']);
    const miss = await get(srv.url, '/no-such-page', {});
    assert.equal(miss.status, 404);
    assert.deepEqual(vary(miss), ['Origin', 'Accept', 'Accept-Language']);
    // An API error is JSON for everyone, its text in the client's language.
    const bad = await get(srv.url, '/api/v1/reports?limit=x', { 'Accept-Language': 'nl' });
    assert.equal(bad.status, 400);
    assert.deepEqual(vary(bad), ['Origin', 'Accept-Language']);
    // An answer that negotiates nothing else varies by Origin (CORS) and, being JSON that
    // may be sent gzipped (issue 17 point 4), by Accept-Encoding; not by Accept.
    const cats = await get(srv.url, '/api/v1/categories', { Accept: 'text/html' });
    assert.equal(cats.status, 200);
    assert.deepEqual(vary(cats), ['Origin', 'Accept-Encoding']);
  } finally {
    await srv.cleanup();
  }
});
