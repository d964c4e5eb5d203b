// The Atom feeds of new problems (issue 16 point 2, alerts without e-mail): every feed
// validates against RFC 4287's schema (tests/fixtures/atom/atom.rng, xmllint), holds the
// reports of its district, radius or categories and nothing else, newest first, with no
// reporter's details; errors name the bad parameter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { api, startServer, LOOP, offset, SOURCE_DIR } from './lib.mjs';

const SCHEMA = path.join(SOURCE_DIR, 'tests', 'fixtures', 'atom', 'atom.rng');
let srv;
const made = {};

before(async () => {
  srv = await startServer({ env: { MELDPUNT_PUBLIC_URL: 'https://meldpunt.city.example' } });
  const post = async (category, dx, dy, description) => {
    const p = offset(LOOP, dx, dy);
    const r = await api(srv.url, 'POST', '/api/v1/reports', { json: { category, lat: p.lat, lon: p.lon, description,
      contact: { name: 'Private Person', email: 'private.person@example.org' } } });
    assert.equal(r.status, 201, r.text);
    return { id: r.body.report.id, district: r.body.report.properties?.district ?? r.body.report.district, p };
  };
  made.near1 = await post('pothole', 0, 0, 'Deep hole; call me on 312-555-0147');
  made.near2 = await post('graffiti', 200, 100, 'Tags <b>on</b> the bridge & wall');
  made.far = await post('pothole', 4000, -6000, 'Far away');
});
after(async () => srv.cleanup());

async function feed(q, headers = {}) {
  const r = await fetch(`${srv.url}/feeds/reports.atom${q}`, { headers });
  const text = await r.text();
  return { status: r.status, type: r.headers.get('content-type'), text };
}

/** xmllint --relaxng against RFC 4287's schema, plus the rules the schema cannot say. */
function validate(xml) {
  const file = path.join(srv.dir, `feed-${Date.now()}.xml`);
  writeFileSync(file, xml);
  execFileSync('xmllint', ['--noout', '--relaxng', SCHEMA, file], { stdio: 'pipe' });
  const ids = [...xml.matchAll(/<id>([^<]*)<\/id>/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const id of ids) assert.match(id, /^https:\/\/meldpunt\.city\.example\//, 'ids are absolute IRIs');
  assert.match(xml, /<feed[^>]*>[\s\S]*<author><name>[^<]+<\/name>/, 'the feed has an author (RFC 4287 4.1.1)');
  assert.match(xml, /<link rel="self" type="application\/atom\+xml" href="https:\/\/meldpunt\.city\.example\/feeds\/reports\.atom/);
  assert.ok(!xml.includes('private.person') && !xml.includes('Private Person'), 'no reporter details');
}
const entryIds = (xml) => [...xml.matchAll(/<entry><id>https:\/\/meldpunt\.city\.example\/r\/(\d+)<\/id>/g)].map((m) => Number(m[1]));

test('the whole city: valid Atom, newest first, public text masked and escaped', async () => {
  const f = await feed('');
  assert.equal(f.status, 200, f.text);
  assert.equal(f.type, 'application/atom+xml; charset=utf-8');
  validate(f.text);
  assert.deepEqual(entryIds(f.text), [made.far.id, made.near2.id, made.near1.id]);
  assert.match(f.text, /<title>New problems - Chicago<\/title>/);
  assert.match(f.text, /Deep hole; call me on \[hidden\]/);
  assert.match(f.text, /Tags &lt;b&gt;on&lt;\/b&gt; the bridge &amp; wall/);
  assert.match(f.text, /<category term="pothole" label="Pothole in street"\/>/);
});

test('a radius around a point and a category; Dutch by lang or Accept-Language', async () => {
  const p = made.near1.p;
  const f = await feed(`?lat=${p.lat}&lon=${p.lon}&radius=500`);
  validate(f.text);
  assert.deepEqual(entryIds(f.text), [made.near2.id, made.near1.id]);
  const pot = await feed(`?lat=${p.lat}&lon=${p.lon}&radius=500&category=pothole`);
  validate(pot.text);
  assert.deepEqual(entryIds(pot.text), [made.near1.id]);
  const small = await feed(`?lat=${p.lat}&lon=${p.lon}&radius=50`);
  assert.deepEqual(entryIds(small.text), [made.near1.id], '224 m away is outside 50 m');
  const nl = await feed(`?category=pothole&lang=nl`);
  validate(nl.text);
  assert.match(nl.text, /xml:lang="nl"/);
  assert.match(nl.text, /<summary>Melding \d+: Nieuw/);
  const nl2 = await feed('?category=graffiti', { 'Accept-Language': 'nl-NL,nl;q=0.9' });
  assert.match(nl2.text, /xml:lang="nl"/);
});

test('a district: only its reports; an empty feed is valid too', async () => {
  const d = (await api(srv.url, 'GET', `/api/v1/reports/${made.near1.id}`)).body;
  const district = d.properties?.district?.code ?? d.properties?.district;
  assert.ok(district, JSON.stringify(d).slice(0, 300));
  const f = await feed(`?district=${encodeURIComponent(district)}`);
  validate(f.text);
  const ids = entryIds(f.text);
  assert.ok(ids.includes(made.near1.id), ids.join(','));
  assert.ok(!ids.includes(made.far.id), 'the far report is in another district');
  const none = await feed(`?district=${encodeURIComponent(district)}&category=street_light_out`);
  validate(none.text);
  assert.deepEqual(entryIds(none.text), []);
});

test('bad parameters are refused with the reason', async () => {
  for (const [q, code, message] of [
    ['?district=nowhere', 'unknown_district', "unknown district 'nowhere'"],
    ['?category=unicorns', 'unknown_category', null],
    ['?lat=41.88', 'invalid_parameter', 'lat and lon go together (radius with them)'],
    ['?lat=41.88&lon=-87.63&radius=9000', 'invalid_parameter', 'radius must be 1-5000 metres'],
    ['?lat=41.88&lon=-87.50', 'out_of_area', 'the point is outside the service area of Chicago'],
    ['?lat=x&lon=-87.63', 'invalid_parameter', 'lat, lon and radius are numbers'],
    ['?colour=red', 'unknown_parameter', null],
  ]) {
    const r = await api(srv.url, 'GET', `/feeds/reports.atom${q}`);
    assert.equal(r.status, 400, `${q}: ${r.text}`);
    assert.equal(r.body.error.code, code, q);
    if (message) assert.equal(r.body.error.message, message, q);
  }
});
