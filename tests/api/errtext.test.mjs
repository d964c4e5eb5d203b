// The language of error answers (Accept-Language or ?lang=): English answers exactly as
// before, Dutch ones with the Dutch text of the code and the English detail; the HTML page
// "not found" for browsers; and a Dutch text for every error code the server can send.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startServer, api, SOURCE_DIR } from './lib.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.cleanup(); });

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const OUT_OF_AREA = { category: 'pothole', lat: 52.3731, lon: 4.8926, description: 'Amsterdam' };
const ENGLISH = 'the point 52.37310,4.89260 is outside the service area of Chicago';

test('English clients get the message as it always was, without detail', async () => {
  for (const headers of [{}, { 'Accept-Language': 'en-US,en;q=0.9' }, { 'Accept-Language': '*' },
    { 'Accept-Language': 'fr-FR,fr;q=0.9,en;q=0.5,nl;q=0.4' }, { 'Accept-Language': 'nl', 'X-Lang': 'ignored' }]) {
    const lang = headers['X-Lang'] ? '?lang=en' : '';
    const r = await api(srv.url, 'POST', `/api/v1/reports${lang}`, { json: OUT_OF_AREA, headers });
    assert.equal(r.status, 400, JSON.stringify(headers));
    assert.equal(r.text, `{"error":{"code":"out_of_area","message":"${ENGLISH}"}}`, JSON.stringify(headers));
    assert.equal(r.headers.get('content-language'), null);
  }
});

test('Dutch clients get the Dutch text of the code and the technical detail apart', async () => {
  for (const [p, headers] of [['', { 'Accept-Language': 'nl-NL,nl;q=0.9,en;q=0.8' }],
    ['?lang=nl', {}], ['?lang=nl', { 'Accept-Language': 'en-US' }], ['', { 'Accept-Language': 'en;q=0.3, nl-BE;q=0.7' }]]) {
    const r = await api(srv.url, 'POST', `/api/v1/reports${p}`, { json: OUT_OF_AREA, headers });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { error: { code: 'out_of_area', message: 'Deze plek ligt buiten ons gebied.', detail: ENGLISH } });
    assert.equal(r.headers.get('content-language'), 'nl');
  }
  // Every kind of failure: validation, authentication, routing, methods.
  const nl = { 'Accept-Language': 'nl' };
  const cases = [
    ['POST', '/api/v1/reports', { body: '{', headers: { ...nl, 'Content-Type': 'application/json' } }, 400, 'invalid_json', 'Het verzoek is geen geldige JSON.'],
    ['GET', '/api/v1/staff/queue', { headers: nl }, 401, 'unauthorized', 'Meld u aan met een geldig token.'],
    ['GET', '/api/v1/nope', { headers: nl }, 404, 'not_found', 'Niet gevonden.'],
    ['DELETE', '/api/v1/reports', { headers: nl }, 405, 'method_not_allowed', 'Deze methode is hier niet toegestaan.'],
    ['GET', '/api/v1/reports?colour=red', { headers: nl }, 400, 'unknown_parameter', 'Het verzoek bevat een onbekende parameter.'],
  ];
  for (const [method, p, init, status, code, message] of cases) {
    const r = await api(srv.url, method, p, init);
    assert.equal(r.status, status, `${method} ${p}: ${r.text}`);
    assert.equal(r.body.error.code, code);
    assert.equal(r.body.error.message, message);
    assert.ok(r.body.error.detail && /^[ -~]+$/.test(r.body.error.detail), `English detail: ${r.body.error.detail}`);
  }
});

test('lang is a parameter of every route and changes no successful answer', async () => {
  for (const p of ['/api/v1/config', '/api/v1/categories', '/api/v1/places?q=Clark%20%26%20Division',
    '/api/v1/clusters?bbox=-87.7,41.88,-87.6,41.95&limit=5']) {
    const plain = await api(srv.url, 'GET', p);
    const nl = await api(srv.url, 'GET', `${p}${p.includes('?') ? '&' : '?'}lang=nl`);
    assert.equal(nl.status, 200, `${p}: ${nl.text}`);
    assert.equal(nl.text, plain.text, p);
  }
});

test('a browser asking for a page that does not exist gets an HTML page in its language', async () => {
  for (const p of ['/nope', '/r/abc', '/r/', '/staff/extra', '/favicon.ico']) {
    for (const [lang, heading, link] of [['en-US,en;q=0.9', 'Page not found', 'Go to the map of reports'],
      ['nl-NL,nl;q=0.9', 'Pagina niet gevonden', 'Naar de kaart met meldingen']]) {
      const r = await api(srv.url, 'GET', p, { headers: { Accept: BROWSER_ACCEPT, 'Accept-Language': lang } });
      assert.equal(r.status, 404, p);
      assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.match(r.headers.get('content-security-policy'), /script-src 'self'/);
      assert.equal(r.headers.get('content-language'), lang.slice(0, 2));
      assert.match(r.text, new RegExp(`<html lang="${lang.slice(0, 2)}">`));
      assert.match(r.text, new RegExp(`<h1 data-i18n="notfound.title">${heading}</h1>`));
      assert.match(r.text, new RegExp(`<a id="home-link" class="primary-link" href="/" data-i18n="notfound.home">${link}</a>`));
      assert.ok(!r.text.includes(p.slice(1)) || p === '/r/', 'the address is not echoed into the page');
    }
  }
  const nl = await api(srv.url, 'GET', '/nope?lang=nl', { headers: { Accept: BROWSER_ACCEPT } });
  assert.match(nl.text, /<html lang="nl">/);
});

test('API clients and API addresses keep the JSON 404', async () => {
  const plain = await api(srv.url, 'GET', '/nope');
  assert.equal(plain.status, 404);
  assert.equal(plain.text, '{"error":{"code":"not_found","message":"no such page or resource"}}');
  const report = await api(srv.url, 'GET', '/r/abc', { headers: { Accept: 'application/json' } });
  assert.equal(report.text, '{"error":{"code":"not_found","message":"no such report page"}}');
  for (const p of ['/api/v1/nope', '/api/v1/reports/999999', '/ogc/collections/nope']) {
    const r = await api(srv.url, 'GET', p, { headers: { Accept: BROWSER_ACCEPT } });
    assert.equal(r.status, 404, p);
    assert.match(r.headers.get('content-type'), /json/, p);
    assert.equal(r.body.error.code, 'not_found');
  }
  // Pages that exist are served as ever.
  const home = await api(srv.url, 'GET', '/', { headers: { Accept: BROWSER_ACCEPT } });
  assert.equal(home.status, 200);
  const page = await api(srv.url, 'GET', '/r/12', { headers: { Accept: BROWSER_ACCEPT } });
  assert.equal(page.status, 200);
});

test('every error code in server/ has a Dutch text of its own', () => {
  const dir = path.join(SOURCE_DIR, 'server');
  const codes = new Set();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.c'))) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    // mp_fail(err, MP_X, "code", ...) and mp_fail(err, MP_X, cond ? "a" : "b", ...).
    for (const m of text.matchAll(/mp_fail\(\s*[^,]+,\s*[^,]+,\s*((?:[^,"]*\?\s*)?"[a-z0-9_]+"(?:\s*:\s*"[a-z0-9_]+")?)/g)) {
      for (const c of m[1].matchAll(/"([a-z0-9_]+)"/g)) codes.add(c[1]);
    }
  }
  assert.ok(codes.size > 50, `${codes.size} codes found`);
  const table = readFileSync(path.join(dir, 'errtext.c'), 'utf8');
  const known = new Set([...table.matchAll(/^\s*\{"([a-z0-9_]+)",/gm)].map((m) => m[1]));
  const missing = [...codes].filter((c) => !known.has(c));
  assert.deepEqual(missing, [], 'codes without a Dutch text in server/errtext.c');
});
