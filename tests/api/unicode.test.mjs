// Contact masking survives Unicode tricks, and bidi override characters are not stored
// (issue 19, finding 6): what a citizen types passes the API, the public answers show it
// masked, and the database holds it without U+202A-U+202E, U+2066-U+2069.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, LOOP, dbQuery } from './lib.mjs';


test('tricked contact details are masked in public answers; bidi controls are not stored', async () => {
  const srv = await startServer();
  try {
    const tricks = [
      'mail jan\uFF20example.org', // fullwidth @
      'or ja\u200Bn@exa\u200Bmple.org', // zero-width spaces inside the address
      'or piet (at) example (dot) org', // spelled out
      'call \uFF10\uFF12\uFF10 \uFF11\uFF12\uFF13 \uFF14\uFF15\uFF16\uFF17', // fullwidth digits
    ];
    const description = `Deep hole \u202Eevil\u202C ${tricks.join(', ')}.`;
    const posted = await api(srv.url, 'POST', '/api/v1/reports', {
      json: { category: 'pothole', lat: LOOP.lat, lon: LOOP.lon, description, address: '\u2066Main\u2069 St' } });
    assert.equal(posted.status, 201, posted.text);
    const id = posted.body.report.id;
    const want = 'Deep hole evil mail [hidden], or [hidden], or [hidden], call [hidden].';
    assert.equal(posted.body.report.description, want);
    const got = await api(srv.url, 'GET', `/api/v1/reports/${id}`);
    assert.equal(got.body.properties.description, want);
    assert.equal(got.body.properties.address, 'Main St');
    const listed = await api(srv.url, 'GET', `/api/v1/reports?bbox=${LOOP.lon - 0.01},${LOOP.lat - 0.01},${LOOP.lon + 0.01},${LOOP.lat + 0.01}`);
    const feature = listed.body.features.find((f) => f.id === id);
    assert.equal(feature.properties.description, want);
    assert.equal(feature.properties.address, 'Main St');

    // Stored: the text as typed, less the bidi controls (masking is for public answers).
    const stored = dbQuery(srv.db, `SELECT description || '|' || address FROM reports WHERE id = ${id}`);
    assert.equal(stored, `Deep hole evil ${tricks.join(', ')}.|Main St`);

    // A multipart form (the report page's photo upload) too.
    const form = new FormData();
    form.set('category', 'graffiti');
    form.set('lat', String(LOOP.lat));
    form.set('lon', String(LOOP.lon));
    form.set('description', 'tag \u202Dreversed\u202C here');
    const multi = await api(srv.url, 'POST', '/api/v1/reports', { form });
    assert.equal(multi.status, 201, multi.text);
    assert.equal(dbQuery(srv.db, `SELECT description FROM reports WHERE id = ${multi.body.report.id}`),
      'tag reversed here');
  } finally {
    await srv.cleanup();
  }
});
