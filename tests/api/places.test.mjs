// GET /api/v1/places?q=: street corners for the map page's search box.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api } from './lib.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.cleanup(); });

const get = (q) => api(srv.url, 'GET', `/api/v1/places?${new URLSearchParams(q)}`);

test('a corner comes back as a GeoJSON Feature at the meeting point of the two streets', async () => {
  for (const q of ['N Clark St & W Division St', 'clark and division', 'Division / Clark']) {
    const r = await get({ q });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('content-type'), 'application/geo+json');
    assert.equal(r.body.type, 'Feature');
    assert.equal(r.body.geometry.type, 'Point');
    const [lon, lat] = r.body.geometry.coordinates; // RFC 7946: lon, lat
    assert.ok(Math.abs(lon - -87.63145) < 1e-4 && Math.abs(lat - 41.90390) < 1e-4, `${lon},${lat}`);
    assert.equal(r.body.properties.kind, 'corner');
    assert.match(r.body.properties.label, /^(N CLARK ST & W DIVISION ST|W DIVISION ST & N CLARK ST)$/);
  }
});

test('bad and unplaceable queries get a clear error', async () => {
  const cases = [
    [{ q: 'N Clark St & N State St' }, 404, 'not_found', /no corner of two crossing streets matches/],
    [{ q: '121 N LaSalle St' }, 404, 'not_found', /house numbers cannot be searched/],
    [{ q: '' }, 400, 'missing_parameter', /q is required/],
    [{}, 400, 'missing_parameter', /q is required/],
    [{ q: `${'a'.repeat(120)} & ${'b'.repeat(120)}` }, 400, 'too_long', /over 200/],
    [{ q: 'Clark & Division', near: '1' }, 400, 'unknown_parameter', /near/],
  ];
  for (const [q, status, code, message] of cases) {
    const r = await get(q);
    assert.equal(r.status, status, `${JSON.stringify(q)}: ${r.text}`);
    assert.equal(r.body.error.code, code);
    assert.match(r.body.error.message, message);
  }
});
