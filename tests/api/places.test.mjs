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

test('a point comes back with its street and cross street, as a report there would be located', async () => {
  const r = await get({ lat: '41.7364', lon: '-87.6047' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'application/geo+json');
  assert.deepEqual(r.body.geometry, { type: 'Point', coordinates: [-87.6047, 41.7364] });
  assert.equal(r.body.properties.kind, 'location');
  assert.equal(r.body.properties.label, 'S COTTAGE GROVE AVE near E 87TH ST');
  assert.equal(r.body.properties.street, 'S COTTAGE GROVE AVE');

  // The same words as the location of a report sent from there.
  const sent = await api(srv.url, 'POST', '/api/v1/reports', {
    json: { category: 'graffiti', lat: 41.7364, lon: -87.6047, description: 'places reverse test' },
  });
  assert.equal(sent.status, 201, sent.text);
  assert.equal(sent.body.report.location, r.body.properties.label);
});

test('a point away from every street, outside the area or half given gets a clear error', async () => {
  const cases = [
    // Grant Park: more than 60 m from every street of the layer.
    [{ lat: '41.8690', lon: '-87.6170' }, 404, 'not_found', /no street of the city's street layer is near 41\.86900,-87\.61700/],
    [{ lat: '52.3731', lon: '4.8926' }, 400, 'out_of_area', /the point 52\.37310,4\.89260 is outside the service area of Chicago/],
    [{ lat: '41.9' }, 400, 'missing_parameter', /lon is required with lat/],
    [{ lon: '-87.6' }, 400, 'missing_parameter', /lat is required with lon/],
    [{ lat: 'north', lon: '-87.6' }, 400, 'invalid_parameter', /lat must be a number/],
    [{ lat: '91', lon: '-87.6' }, 400, 'out_of_range', /lat must be between -90 and 90/],
    [{ q: 'Clark & Division', lat: '41.9', lon: '-87.6' }, 400, 'invalid_parameter', /either q .* or lat and lon/],
  ];
  for (const [q, status, code, message] of cases) {
    const r = await get(q);
    assert.equal(r.status, status, `${JSON.stringify(q)}: ${r.text}`);
    assert.equal(r.body.error.code, code);
    assert.match(r.body.error.message, message);
  }
});
