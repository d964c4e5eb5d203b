// Open311 beyond the core standard (issue 17 points 2 and 3): unknown query arguments refused,
// repeated and comma-separated filters, the bbox and lat/long/radius extensions, attributes a
// service does not define kept, photos as multipart files, and FixMyStreet's POST
// servicerequestupdates (a public note on the cluster, media_url kept, update_id taken once).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import AjvModule from 'ajv';
import { startServer, api, SHARED_DIR, SOURCE_DIR, LOOP, offset } from './lib.mjs';

const Ajv = AjvModule.default ?? AjvModule;
const fmsSchemas = JSON.parse(readFileSync(path.join(SHARED_DIR, 'open311',
  'mysociety-fms-open311-openapi.json'), 'utf8')).components.schemas;
const ajv = new Ajv({ strict: false, allErrors: true, formats: { uid: true, 'date-time': true, uri: true } });
const validUpdateAnswer = ajv.compile({ type: 'array', minItems: 1, items: fmsSchemas.UpdateResponse });

let srv;
let base;
let key;
before(async () => {
  srv = await startServer({ demo: true });
  base = `${srv.url}/open311/v2`;
  key = await srv.user('fixmystreet', 'client');
});
after(async () => { await srv.cleanup(); });

const get = (p, headers) => api(base, 'GET', p, { headers });
const WINDOW = 'start_date=2021-01-01T00:00:00Z&end_date=2021-01-05T00:00:00Z&page_size=1000';
const post = (p, fields) => api(base, 'POST', p, { form: new URLSearchParams(fields) });

/** A multipart/form-data POST with the body in one piece, as most clients send it (node's
 *  FormData streams each part on its own, which libmicrohttpd's form decoder sometimes
 *  fails to finish: a defect of the HTTP layer, reported to its owner). */
function multipart(p, fields, files) {
  const boundary = `b${Date.now()}${Math.random().toString(16).slice(2)}`;
  const parts = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  for (const [k, data] of Object.entries(files)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"; filename="${k}.jpg"\r\n`
      + 'Content-Type: image/jpeg\r\n\r\n'), data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return api(base, 'POST', p, { body: Buffer.concat(parts),
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } });
}

function assertError(r, status, pattern) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body[0].code, status);
  assert.match(r.body[0].description, pattern);
}

test('an argument an endpoint does not take is refused with the standard error document', async () => {
  assertError(await get(`/requests.json?${WINDOW}&staus=open`), 400, /unknown parameter 'staus'; this endpoint takes/);
  const xml = await get('/services.xml?format=xml');
  assert.equal(xml.status, 400);
  assert.match(xml.text, /<errors><error><code>400<\/code><description>unknown parameter 'format'/);
  assertError(await get('/servicerequestupdates.json?service_code=pothole'), 400, /unknown parameter 'service_code'/);
  assertError(await get('/requests/1.json?page=2'), 400, /unknown parameter 'page'/);
  // What clients do send is taken: FixMyStreet's api_key and jurisdiction_id on reads.
  for (const p of ['/services.json', '/discovery.json', `/requests.json?${WINDOW}`, '/requests/1.json',
    '/servicerequestupdates.json']) {
    const r = await get(`${p}${p.includes('?') ? '&' : '?'}api_key=${key}&jurisdiction_id=chicago&locale=en`);
    assert.equal(r.status, 200, `${p}: ${r.text}`);
  }
});

test('status and service_code may repeat and list values', async () => {
  const all = (await get(`/requests.json?${WINDOW}`)).body;
  const count = (pred) => all.filter(pred).length;
  const cases = [
    ['status=open&status=closed', () => true],
    ['status=open,closed', () => true],
    ['status=closed', (r) => r.status === 'closed'],
    ['service_code=pothole&service_code=graffiti', (r) => ['pothole', 'graffiti'].includes(r.service_code)],
    ['service_code=pothole,graffiti&status=open', (r) => ['pothole', 'graffiti'].includes(r.service_code) && r.status === 'open'],
    ['service_code=pothole&service_code=pothole,street_light_out', (r) => ['pothole', 'street_light_out'].includes(r.service_code)],
  ];
  for (const [q, pred] of cases) {
    const r = await get(`/requests.json?${WINDOW}&${q}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.length, count(pred), q);
    assert.ok(r.body.length > 0, q);
  }
  assert.ok(count((r) => r.status === 'closed') < all.length, 'the filter narrows');
  assertError(await get(`/requests.json?${WINDOW}&status=open&status=pending`), 400, /status 'pending'/);
  assertError(await get(`/requests.json?${WINDOW}&service_code=pothole&service_code=unicorn`), 400, /service_code 'unicorn'/);
});

function metres(a, b) {
  const r = 6371008.8;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.long - a.long) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(h));
}

test('bbox and lat/long/radius select by place', async () => {
  const all = (await get(`/requests.json?${WINDOW}`)).body;
  const box = [-87.70, 41.85, -87.60, 41.95];
  const inBox = all.filter((r) => r.long >= box[0] && r.long <= box[2] && r.lat >= box[1] && r.lat <= box[3]);
  const b = await get(`/requests.json?${WINDOW}&bbox=${box.join(',')}`);
  assert.equal(b.status, 200, b.text);
  assert.deepEqual(b.body.map((r) => r.service_request_id), inBox.map((r) => r.service_request_id));
  assert.ok(inBox.length > 10 && inBox.length < all.length);
  const c = { lat: 41.8781, long: -87.6298 };
  for (const [q, radius] of [[`lat=${c.lat}&long=${c.long}&radius=2500`, 2500], [`lat=${c.lat}&long=${c.long}`, 500]]) {
    const r = await get(`/requests.json?${WINDOW}&${q}`);
    assert.equal(r.status, 200, r.text);
    // Metric distance in UTM against the sphere: agree within a few metres at 2.5 km.
    const near = all.filter((x) => metres(c, x) <= radius - 5).map((x) => x.service_request_id);
    const far = all.filter((x) => metres(c, x) > radius + 5).map((x) => x.service_request_id);
    const got = r.body.map((x) => x.service_request_id);
    for (const id of near) assert.ok(got.includes(id), `${q}: ${id} is near`);
    for (const id of far) assert.ok(!got.includes(id), `${q}: ${id} is far`);
    if (radius === 2500) assert.ok(got.length > 5, `${got.length}`);
  }
  // Both: the circle within the box.
  const both = await get(`/requests.json?${WINDOW}&lat=${c.lat}&long=${c.long}&radius=2500&bbox=-87.63,41.80,-87.50,41.95`);
  assert.ok(both.body.every((x) => x.long >= -87.63 && metres(c, x) <= 2505));
  for (const [q, re] of [['bbox=1,2,3', /bbox must be/], ['bbox=-87.6,41.9,-87.7,41.8', /smaller corner first/],
    ['lat=41.9', /lat and long must both be sent/], ['radius=100', /radius needs lat and long/],
    [`lat=${c.lat}&long=${c.long}&radius=0`, /radius must be/], [`lat=${c.lat}&long=${c.long}&radius=90000`, /radius must be/]]) {
    assertError(await get(`/requests.json?${WINDOW}&${q}`), 400, re);
  }
});

test('attributes a service does not define are kept and shown as extended attributes', async () => {
  const r = await post('/requests.json', {
    api_key: key, service_code: 'pothole', lat: String(LOOP.lat), long: String(LOOP.lon),
    'attribute[depth]': 'deep', 'attribute[title]': 'Hole by the bus stop',
    'attribute[report_url]': 'https://fixmystreet.example/report/42', 'attribute[fixmystreet_id]': '42',
    'attribute[description]': 'call me on 0612345678',
  });
  assert.equal(r.status, 200, r.text);
  const id = r.body[0].service_request_id;
  const [req] = (await get(`/requests/${id}.json?extensions=true`)).body;
  assert.deepEqual(req.attributes.map((a) => a.name), ['depth'], 'the defined ones as before');
  assert.deepEqual(req.extended_attributes.extra_attributes, [
    { code: 'title', value: 'Hole by the bus stop' },
    { code: 'report_url', value: 'https://fixmystreet.example/report/42' },
    { code: 'fixmystreet_id', value: '42' },
    { code: 'description', value: 'call me on [hidden]' },
  ]);
  const xml = await get(`/requests/${id}.xml?extensions=true`);
  assert.match(xml.text, /<extra_attributes><attribute><code>title<\/code><value>Hole by the bus stop<\/value><\/attribute>/);
  // Required attributes are still checked.
  assertError(await post('/requests.json', { api_key: key, service_code: 'traffic_signal_out', lat: String(LOOP.lat),
    long: String(LOOP.lon), 'attribute[title]': 'x' }), 400, /attribute\[problem\] is required/);
});

test('a photo sent as a multipart file becomes the report\'s photo, cleaned', async () => {
  const jpeg = readFileSync(path.join(SOURCE_DIR, 'tests', 'fixtures', 'photos', 'gps_orient6.jpg'));
  const fields = { api_key: key, service_code: 'graffiti', lat: '41.95', long: '-87.70' };
  for (const field of ['media', 'photo1']) {
    const r = await multipart('/requests.json', fields, { [field]: jpeg });
    assert.equal(r.status, 200, r.text);
    const id = r.body[0].service_request_id;
    const [req] = (await get(`/requests/${id}.json`)).body;
    assert.equal(req.media_url, `${srv.url}/api/v1/reports/${id}/photo`, field);
    const img = Buffer.from(await (await fetch(req.media_url)).arrayBuffer());
    assert.equal(img[0], 0xff);
    assert.ok(!img.includes(Buffer.from('Exif')), 'metadata stripped');
  }
  assertError(await multipart('/requests.json', fields, { media: Buffer.from('not a picture at all') }), 400,
    /media file 'media'/);
});

test('POST servicerequestupdates: a public note on the cluster, media_url kept, update_id taken once', async () => {
  const made = await post('/requests.xml', { api_key: key, service_code: 'pothole', lat: String(LOOP.lat),
    long: String(LOOP.lon), description: 'Deep hole' });
  assert.equal(made.status, 200, made.text);
  const id = Number(/<service_request_id>(\d+)<\/service_request_id>/.exec(made.text)[1]);
  const before = (await api(srv.url, 'GET', `/api/v1/reports/${id}`)).body.properties;
  const fields = {
    jurisdiction_id: 'chicago', api_key: key, service_request_id: String(id), update_id: 'fms-7001',
    updated_datetime: '2026-12-07T10:00:00+01:00', status: 'FIXED', description: 'Still there, mail me at a@example.org',
    first_name: 'Ann', last_name: 'Smith', email: 'ann@example.org', media_url: 'https://fms.example/photo/7001.jpeg',
    email_alerts_requested: 'FALSE', title: 'Mrs', service_request_id_ext: '991',
  };
  const r = await post('/servicerequestupdates.json', fields);
  assert.equal(r.status, 200, r.text);
  assert.ok(validUpdateAnswer(r.body), JSON.stringify(validUpdateAnswer.errors));
  const uid = r.body[0].update_id;
  assert.match(uid, new RegExp(`^\\d+-${id}$`));
  // The same update again (a retry after a lost answer): the same id, no second note.
  const again = await post('/servicerequestupdates.xml', fields);
  assert.equal(again.status, 200, again.text);
  assert.match(again.text, new RegExp(`<service_request_updates><request_update><update_id>${uid}</update_id></request_update></service_request_updates>`));
  // A public note of the cluster, contacts masked; the status is the city's, unchanged.
  const notes = (await api(srv.url, 'GET', `/api/v1/clusters/${before.cluster_id}`)).body.properties.history;
  const mine = notes.filter((h) => h.note === 'Still there, mail me at [hidden]');
  assert.equal(mine.length, 1, JSON.stringify(notes));
  assert.equal(mine[0].status, before.status);
  const after = (await api(srv.url, 'GET', `/api/v1/reports/${id}`)).body.properties;
  assert.equal(after.status, before.status, 'a client moves no status');
  // GET servicerequestupdates gives it back under the same id, with its media_url.
  const ups = (await get('/servicerequestupdates.json')).body;
  const u = ups.find((x) => x.update_id === uid);
  assert.ok(u, JSON.stringify(ups.slice(-3)));
  assert.equal(u.service_request_id, String(id));
  assert.equal(u.media_url, 'https://fms.example/photo/7001.jpeg');
  assert.equal(u.description, 'Still there, mail me at [hidden]');
  // The request's updated_datetime moved; status_notes stays the city's.
  const [req] = (await get(`/requests/${id}.json`)).body;
  assert.equal(req.updated_datetime, u.updated_datetime);
  assert.notEqual(req.status_notes, 'Still there, mail me at [hidden]');
  // Errors in the standard's shape.
  const ok = { api_key: key, service_request_id: String(id), update_id: 'fms-7002', updated_datetime: '2026-12-07T10:00:00Z',
    status: 'OPEN', description: 'x' };
  const without = (k) => Object.fromEntries(Object.entries(ok).filter(([x]) => x !== k));
  assertError(await post('/servicerequestupdates.json', without('api_key')), 403, /api_key is missing -- can't proceed with post_service_request_update/);
  assertError(await post('/servicerequestupdates.json', { ...ok, api_key: 'mp_nope-nope-nope' }), 403, /Invalid api_key/);
  assertError(await post('/servicerequestupdates.json', without('update_id')), 400, /update_id was not provided/);
  assertError(await post('/servicerequestupdates.json', without('status')), 400, /status was not provided/);
  assertError(await post('/servicerequestupdates.json', without('updated_datetime')), 400, /updated_datetime was not provided/);
  assertError(await post('/servicerequestupdates.json', { ...ok, status: 'MAYBE' }), 400, /status 'MAYBE' is not an update status/);
  assertError(await post('/servicerequestupdates.json', { ...ok, service_request_id: '987654' }), 404, /'987654' was not found/);
  assertError(await post('/servicerequestupdates.json', { ...ok, description: '' }), 400, /needs a description or a media_url/);
  assertError(await post('/servicerequestupdates.json', { ...ok, media_url: 'ftp://x/y' }), 400, /media_url/);
  assertError(await post('/servicerequestupdates.json', { ...ok, update_id: 'fms-7001', service_request_id: '1' }), 400, /already used for service request/);
  assertError(await multipart('/servicerequestupdates.json', ok, { media: Buffer.from('x') }), 400, /cannot carry a file/);
  // update_id_ext (older FixMyStreets) stands in for update_id.
  const ext = await post('/servicerequestupdates.json', { ...without('update_id'), update_id_ext: 'fms-7003' });
  assert.equal(ext.status, 200, ext.text);
});

test('an imported request\'s updated_datetime is its last change in the source', async () => {
  const reqs = (await get(`/requests.json?${WINDOW}&status=open&extensions=true`)).body
    .filter((r) => r.extended_attributes.channel !== 'open311' && r.extended_attributes.channel !== 'web');
  assert.ok(reqs.length > 0);
  for (const r of reqs) assert.equal(r.updated_datetime, r.requested_datetime, r.service_request_id);
  // Closed ones changed last when the source closed them, long before this import.
  const closed = (await get(`/requests.json?${WINDOW}&status=closed`)).body;
  const importedBy = Date.now() - 10 * 60e3;
  const late = closed.filter((r) => !(Date.parse(r.updated_datetime) >= Date.parse(r.requested_datetime)
    && Date.parse(r.updated_datetime) < importedBy));
  assert.deepEqual(late, []);
  assert.ok(closed.length > 100);
});
