// FixMyStreet both ways (issue 17 point 2), with a client that speaks FixMyStreet's wire
// format (tests/interop/fms_client.py: the fields and flags of perllib/Open311.pm, listed
// there): it lists services, sends reports with its cobrands' extra attributes and with
// photos as files, posts a citizen's comment upstream, and reads back both its own comment
// (under the id it was answered with, so that it is not imported twice) and the city's
// status changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, api, SOURCE_DIR } from '../api/lib.mjs';
import { run, PYTHON } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let srv;
let key;
let staff;

before(async () => {
  srv = await startServer({ demo: true });
  key = await srv.user('fixmystreet', 'client');
  staff = await srv.user('dora', 'dispatcher');
});
after(async () => { await srv.cleanup(); });

async function fms(command, args = {}) {
  const r = await run(PYTHON, [path.join(here, 'fms_client.py'), srv.url, key, command, JSON.stringify(args)]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(r.stdout);
  assert.equal(out.result.error, undefined, `${command}: ${out.result.error}`);
  return out;
}

const problem = {
  service_code: 'pothole', title: 'Hole by the bus stop', detail: 'Deep, cyclists swerve into traffic',
  url: 'https://fixmystreet.example/report/4242', first_name: 'Ann', last_name: 'Smith',
  email: 'ann@example.org', phone: '0612345678', lat: 41.9249, long: -87.7005,
  extra: { title: 'Hole by the bus stop', description: 'Deep, cyclists swerve into traffic',
    report_url: 'https://fixmystreet.example/report/4242', fixmystreet_id: '4242', depth: 'deep' },
};

test('services and their definitions, as FixMyStreet reads them', async () => {
  const list = (await fms('services')).result;
  const codes = list.service.map((s) => s.service_code[0]);
  assert.ok(codes.includes('pothole') && codes.includes('street_light_out'), codes.join());
  const meta = (await fms('meta', { code: 'pothole' })).result;
  assert.equal(meta.service_code[0], 'pothole');
  assert.ok(meta.attributes[0].attribute.some((a) => a.code[0] === 'depth'));
});

test('a report with the cobrand\'s extra attributes, and one with photos as files', async () => {
  const sent = await fms('send', { problem });
  assert.equal(sent.sent.content_type, 'application/x-www-form-urlencoded');
  for (const f of ['api_key', 'jurisdiction_id', 'service_code', 'description', 'first_name', 'last_name',
    'email', 'phone', 'lat', 'long', 'attribute[title]', 'attribute[report_url]', 'attribute[fixmystreet_id]']) {
    assert.ok(f in sent.sent.fields, f);
  }
  const id = sent.result.service_request_id;
  const [req] = (await api(srv.url, 'GET', `/open311/v2/requests/${id}.json?extensions=true`)).body;
  assert.equal(req.service_code, 'pothole');
  assert.ok(req.description.startsWith('Hole by the bus stop\n\nDeep, cyclists'), req.description);
  assert.deepEqual(req.attributes.map((a) => a.code), ['deep']);
  assert.deepEqual(req.extended_attributes.extra_attributes.map((a) => a.code),
    ['title', 'description', 'report_url', 'fixmystreet_id']);
  // upload_files: the same fields as multipart, the photos as files photo1, photo2.
  const photos = ['gray.jpg', 'progressive.jpg'].map((f) => path.join(SOURCE_DIR, 'tests', 'fixtures', 'photos', f));
  const withPhotos = await fms('send', { problem: { ...problem, lat: 41.93, long: -87.71 }, photos });
  assert.equal(withPhotos.sent.content_type, 'multipart/form-data');
  assert.deepEqual(withPhotos.sent.files, ['photo1', 'photo2']);
  const pid = withPhotos.result.service_request_id;
  const [preq] = (await api(srv.url, 'GET', `/open311/v2/requests/${pid}.json`)).body;
  assert.equal(preq.media_url, `${srv.url}/api/v1/reports/${pid}/photo`);
  const img = await fetch(preq.media_url);
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/jpeg');
});

test('a comment goes upstream and the city\'s changes come back', async () => {
  const id = (await fms('send', { problem: { ...problem, lat: 41.95, long: -87.68 } })).result.service_request_id;
  const comment = {
    id: '77001', external_id: id, confirmed: '2026-12-07T12:00:00+01:00', status: 'OPEN',
    text: 'Still there this morning; ring 0612345678', first_name: 'Ann', last_name: 'Smith',
    email: 'ann@example.org', photo_url: 'https://fixmystreet.example/photo/c/77001.0.full.jpeg',
    title: 'Mrs',
  };
  const up = await fms('update', { comment });
  for (const f of ['api_key', 'jurisdiction_id', 'updated_datetime', 'service_request_id', 'status',
    'description', 'first_name', 'last_name', 'email', 'update_id', 'media_url', 'email_alerts_requested', 'title']) {
    assert.ok(f in up.sent.fields, f);
  }
  const uid = up.result.update_id;
  // Sent twice (FixMyStreet retries when an answer is lost): one note, one id.
  assert.equal((await fms('update', { comment })).result.update_id, uid);
  // An extended-status client saying FIXED: kept as a note, the city's status stays.
  const fixedSaid = await fms('update', { comment: { ...comment, id: '77002', status: 'FIXED', text: 'Filled, thanks' },
    extended: true });
  assert.ok(fixedSaid.result.update_id);
  // The city schedules the job, with a note for the public.
  const report = (await api(srv.url, 'GET', `/api/v1/reports/${id}`)).body.properties;
  assert.equal(report.status, 'new');
  const moved = await api(srv.url, 'POST', `/api/v1/clusters/${report.cluster_id}/status`, {
    token: staff, json: { status: 'scheduled', note: 'Crew on Monday', note_public: true } });
  assert.equal(moved.status, 200, moved.text);
  // FixMyStreet polls the updates of the last hours.
  const now = Date.now();
  const iso = (t) => new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
  const got = (await fms('updates', { start: iso(now - 3600e3), end: iso(now + 3600e3) })).result.updates;
  const mine = got.filter((u) => u.service_request_id[0] === id);
  const own = mine.find((u) => u.update_id[0] === uid);
  assert.ok(own, JSON.stringify(mine));
  assert.equal(own.description[0], 'Still there this morning; ring [hidden]');
  assert.equal(own.media_url[0], comment.photo_url);
  assert.equal(own.status[0], 'OPEN');
  const city = mine.find((u) => u.description[0] === 'Crew on Monday');
  assert.ok(city, JSON.stringify(mine));
  assert.equal(city.status[0], 'ACTION_SCHEDULED');
  assert.equal(mine.filter((u) => u.description[0].startsWith('Still there')).length, 1, 'no second note');
  // And the request list says open, with the city's note as status_notes.
  const reqs = (await fms('requests', { ids: [id] })).result.requests;
  assert.equal(reqs[0].status[0], 'open');
  assert.equal(reqs[0].status_notes[0], 'Crew on Monday');
});
