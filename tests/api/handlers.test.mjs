// The pieces the API handlers share (server/api_common.c and the module-local prologues): the
// staff role check and its texts, the list parameters the public listings and the staff queue and
// worklist parse alike, the cursor walk of the two paged GeoJSON listings, the argument check of
// the OGC documents, and the answers of the two duplicate-folding corrections. Error paths assert
// the code and the text, not only the status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api } from './lib.mjs';

let srv;
const tok = {};

before(async () => {
  srv = await startServer({ demo: true });
  tok.client = await srv.user('ceecee', 'client');
  tok.crew = await srv.user('cara', 'crew', 'streets');
  tok.dispatcher = await srv.user('dora', 'dispatcher');
});
after(async () => { await srv.cleanup(); });

function assertError(res, status, code, message) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.deepEqual(res.body, { error: { code, message } });
}

test('staff handlers: 401 without a token, 403 naming the role below it', async () => {
  const none = await api(srv.url, 'GET', '/api/v1/staff/queue');
  assert.equal(none.status, 401);
  assert.equal(none.body.error.code, 'unauthorized');
  assertError(await api(srv.url, 'GET', '/api/v1/staff/queue', { token: tok.crew }), 403,
    'forbidden', 'this needs the role dispatcher or higher');
  assertError(await api(srv.url, 'GET', '/api/v1/worklist', { token: tok.client }), 403,
    'forbidden', 'this needs the role crew or higher');
  assertError(await api(srv.url, 'GET', '/api/v1/staff/crews', { token: tok.crew }), 403,
    'forbidden', 'this needs the role dispatcher or higher');
  // Unknown query parameters are refused before the token is looked at.
  assertError(await api(srv.url, 'GET', '/api/v1/me?x=1'), 400, 'unknown_parameter',
    "unknown query parameter 'x'");
  const me = await api(srv.url, 'GET', '/api/v1/me', { token: tok.client });
  assert.equal(me.status, 200);
  assert.deepEqual(me.body, { name: 'ceecee', role: 'client', department: null, region_wide: true,
    municipalities: null });
  assert.equal(me.headers.get('cache-control'), 'no-store');
  // The corrections keep their own text for the same check.
  for (const [path, json] of [['/api/v1/clusters/1/merge', { into: 2 }], ['/api/v1/reports/1/move', { to: null }]]) {
    assertError(await api(srv.url, 'POST', path, { json, token: tok.crew }), 403, 'forbidden',
      'only dispatchers and admins may correct duplicate folding');
    assert.equal((await api(srv.url, 'POST', path, { json })).status, 401);
  }
});

test('category, status and district are parsed alike by the listings, the queue and the worklist', async () => {
  const many = Array.from({ length: 33 }, () => 'pothole').join(',');
  const cases = [
    ['category=nope', 'unknown_category', "unknown category 'nope'"],
    ['category=pothole,', 'invalid_parameter', 'category has an empty item'],
    [`category=${many}`, 'invalid_parameter', 'category lists too many items'],
    ['status=,new', 'invalid_parameter', 'status has an empty item'],
    ['district=nowhere', 'unknown_district', "unknown district 'nowhere'; GET /api/v1/districts lists them"],
  ];
  const where = [['/api/v1/clusters', undefined], ['/api/v1/reports', undefined],
    ['/api/v1/staff/queue', tok.dispatcher], ['/api/v1/worklist', tok.dispatcher]];
  for (const [path, token] of where) {
    for (const [q, code, message] of cases)
      assertError(await api(srv.url, 'GET', `${path}?${q}`, { token }), 400, code, message);
  }
  // And what passes filters: every job of the queue is of the asked category and district.
  const ok = await api(srv.url, 'GET', '/api/v1/clusters?category=pothole&limit=1');
  assert.equal(ok.status, 200);
  const q = await api(srv.url, 'GET', '/api/v1/staff/queue?category=pothole,graffiti&status=open',
    { token: tok.dispatcher });
  assert.equal(q.status, 200, q.text);
  for (const c of q.body.clusters) assert.ok(['pothole', 'graffiti'].includes(c.category));
});

for (const coll of ['reports', 'clusters']) {
  test(`/api/v1/${coll}: a cursor walk returns every feature once, in the order of one big page`, async () => {
    const all = await api(srv.url, 'GET', `/api/v1/${coll}?limit=5000`);
    assert.equal(all.status, 200);
    assert.equal(all.headers.get('content-type'), 'application/geo+json');
    assert.equal(all.body.next_cursor, null);
    assert.equal(all.body.count, all.body.features.length);
    assert.ok(all.body.count > 40, `demo data has ${coll}`);
    const walked = [];
    let cursor = null;
    let pages = 0;
    do {
      const res = await api(srv.url, 'GET', `/api/v1/${coll}?limit=17${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.type, 'FeatureCollection');
      assert.equal(res.body.count, res.body.features.length);
      assert.ok(res.body.count <= 17);
      cursor = res.body.next_cursor;
      if (cursor) assert.equal(res.body.count, 17, 'only the last page is short');
      walked.push(...res.body.features.map((f) => f.id));
      pages++;
    } while (cursor && pages < 1000);
    assert.deepEqual(walked, all.body.features.map((f) => f.id));
    assert.equal(pages, Math.ceil(all.body.count / 17));
    // Exactly a page's worth left: no next page is promised.
    const exact = await api(srv.url, 'GET', `/api/v1/${coll}?limit=${all.body.count}`);
    assert.equal(exact.body.next_cursor, null);
    const short = await api(srv.url, 'GET', `/api/v1/${coll}?limit=${all.body.count - 1}`);
    assert.equal(typeof short.body.next_cursor, 'string');
    assertError(await api(srv.url, 'GET', `/api/v1/${coll}?cursor=nope`), 400, 'invalid_cursor',
      'cursor is not one this server handed out');
    assertError(await api(srv.url, 'GET', `/api/v1/${coll}?zoom=3`), 400, 'unknown_parameter',
      "unknown query parameter 'zoom'");
  });
}

test('OGC documents take f alone; collections and items check f their own way', async () => {
  for (const p of ['/ogc', '/ogc/conformance', '/ogc/collections', '/ogc/collections/reports']) {
    assertError(await api(srv.url, 'GET', `${p}?f=geojson`), 400, 'invalid_parameter', 'f must be json or html');
    assertError(await api(srv.url, 'GET', `${p}?limit=1`), 400, 'unknown_parameter',
      "unknown query parameter 'limit'");
    assert.equal((await api(srv.url, 'GET', `${p}?f=json`)).status, 200);
  }
  assertError(await api(srv.url, 'GET', '/ogc/collections/districts/items/1?f=xml'), 400,
    'invalid_parameter', 'f must be json, geojson or html');
  assertError(await api(srv.url, 'GET', '/ogc/collections/districts/items/1?bbox=1,2,3,4'), 400,
    'unknown_parameter', "unknown query parameter 'bbox'");
  const item = await api(srv.url, 'GET', '/ogc/collections/districts/items/1?f=geojson');
  assert.equal(item.status, 200);
  assert.equal(item.body.id, 1);
});

test('merge and move answer with the cluster the reports now belong to', async () => {
  const list = await api(srv.url, 'GET', '/api/v1/clusters?limit=5000&status=open');
  const byCat = {};
  for (const f of list.body.features) (byCat[f.properties.category] ||= []).push(f);
  const [a, b] = Object.values(byCat).find((v) => v.length >= 2);
  const merged = await api(srv.url, 'POST', `/api/v1/clusters/${a.id}/merge`,
    { json: { into: b.id, reason: 'test' }, token: tok.dispatcher });
  assert.equal(merged.status, 200, merged.text);
  assert.deepEqual(Object.keys(merged.body), ['merged', 'cluster', 'merge_id', 'distance_m', 'limit_m']);
  assert.equal(merged.body.merged, a.id);
  assert.equal(merged.body.cluster.id, b.id);
  assert.equal(merged.body.cluster.report_count, a.properties.report_count + b.properties.report_count);
  assert.equal(merged.body.cluster.status, b.properties.status, 'the open job keeps its status');
  const one = await api(srv.url, 'GET', `/api/v1/clusters/${b.id}`);
  const rid = (one.body.properties.reports || one.body.reports)[0].id;
  const moved = await api(srv.url, 'POST', `/api/v1/reports/${rid}/move`,
    { json: { to: null }, token: tok.dispatcher });
  assert.equal(moved.status, 200, moved.text);
  assert.deepEqual(Object.keys(moved.body), ['report_id', 'cluster']);
  assert.equal(moved.body.report_id, rid);
  assert.equal(moved.body.cluster.report_count, 1);
  assert.notEqual(moved.body.cluster.id, b.id);
  assertError(await api(srv.url, 'POST', `/api/v1/reports/${rid}/move`,
    { json: { to: null, into: 1 }, token: tok.dispatcher }), 400, 'unknown_field', "unknown field 'into'");
});

test('JSON bodies of staff writes are recognised by their media type, not by a prefix', async () => {
  const list = await api(srv.url, 'GET', '/api/v1/clusters?limit=1&status=new');
  const id = list.body.features[0].id;
  const send = (type, p, json) => api(srv.url, 'POST', p,
    { body: JSON.stringify(json), headers: { 'Content-Type': type }, token: tok.dispatcher });
  for (const [p, json] of [[`/api/v1/clusters/${id}/status`, { status: 'acknowledged' }],
    [`/api/v1/clusters/${id}/assign`, { department: 'streets' }]]) {
    const r = await send('application/jsonx', p, json);
    assert.equal(r.status, 415, `${p}: ${r.text}`);
    assert.equal(r.body.error.code, 'unsupported_media_type');
  }
  // Case and parameters do not matter.
  const ok = await send('Application/JSON; charset=utf-8', `/api/v1/clusters/${id}/status`,
    { status: 'acknowledged' });
  assert.equal(ok.status, 200, ok.text);
});
