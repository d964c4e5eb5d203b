// GET /api/v1/places?q=: street corners and house numbers for the map page's search box;
// GET /api/v1/places/suggest?q=: completions while it is typed (issue 18 point 2).
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

test('a house number is placed by the city\'s address grid (800 numbers a mile from State and Madison)', async () => {
  // 1600 W lies two miles west of State Street (N/S 0): -87.6278 - 2 * 1609 m at 41.925 N.
  for (const q of ['1600 W Fullerton Ave', '1600 west fullerton avenue', '1600 W FULLERTON AVE, Chicago']) {
    const r = await get({ q });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.properties.kind, 'address');
    assert.equal(r.body.properties.label, '1600 W FULLERTON AVE');
    const [lon, lat] = r.body.geometry.coordinates;
    assert.ok(Math.abs(lat - 41.9252) < 0.0005, `${lat} on Fullerton`);
    assert.ok(Math.abs(lon - -87.6682) < 0.001, `${lon} two miles west of State St`);
  }
  // Odd and even numbers lie on the same stretch: 1601 is next door.
  const next = await get({ q: '1601 W Fullerton Ave' });
  assert.equal(next.status, 200, next.text);
  assert.ok(Math.abs(next.body.geometry.coordinates[0] - -87.6682) < 0.001);
});

test('suggestions while typing: streets, numbers the pack places, corners that exist', async () => {
  const suggest = (q) => api(srv.url, 'GET', `/api/v1/places/suggest?${new URLSearchParams(q)}`);
  const cases = [
    ['1600 W Fuller', [['address', '1600 W FULLERTON AVE']]],
    ['1600 fullert', [['address', '1600 W FULLERTON AVE']]], // the direction left out
    ['W Fullerton', [['street', 'W FULLERTON AVE'], ['street', 'W FULLERTON PKWY']]],
    ['Clark St & Divi', [['corner', 'N CLARK ST & W DIVISION ST']]],
    ['99999999 W Fullerton', []], // a number the grid does not reach: nothing to offer
    ['zzz', []],
  ];
  for (const [q, want] of cases) {
    const r = await suggest({ q });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.suggestions.map((s) => [s.kind, s.label]), want, q);
  }
  // After "&" only streets that cross the first one, in the order it meets them.
  const cross = await suggest({ q: 'N Clark St & W' });
  assert.equal(cross.body.suggestions.length, 8);
  for (const c of cross.body.suggestions) {
    assert.equal(c.kind, 'corner');
    assert.match(c.label, /^N CLARK ST & W /);
    assert.equal((await get({ q: c.label })).status, 200, c.label);
  }
  // Each suggestion, searched, finds its place.
  const found = await get({ q: '1600 W FULLERTON AVE' });
  assert.equal(found.status, 200);
  const r = await suggest({ q: 'W' });
  assert.equal(r.body.suggestions.length, 8, 'at most eight');
  for (const [q, status, code, message] of [
    [{}, 400, 'missing_parameter', /q is required/],
    [{ q: 'x'.repeat(201) }, 400, 'too_long', /over 200/],
    [{ q: 'W', lat: '1' }, 400, 'unknown_parameter', /lat/],
  ]) {
    const e = await suggest(q);
    assert.equal(e.status, status, e.text);
    assert.equal(e.body.error.code, code);
    assert.match(e.body.error.message, message);
  }
});

test('bad and unplaceable queries get a clear error', async () => {
  const cases = [
    [{ q: 'N Clark St & N State St' }, 404, 'not_found', /no corner of two crossing streets and no house number matches/],
    [{ q: '121 N Nowhere St' }, 404, 'not_found', /no corner of two crossing streets and no house number matches '121 N Nowhere St'/],
    [{ q: '99999999 W Fullerton Ave' }, 404, 'not_found', /no house number matches/],
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
