// Merge and split as a staff member expects (issue 18, point 3) and photos that reach who needs
// them (point 6), over HTTP: merge candidates, the reason required beyond the category's limit,
// the "merged" entries in both jobs' histories and on the citizens' pages, the undo (and its
// refusals), crews kept to their own department's jobs and photos, and the crew's repair photo
// on the citizen's page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, api, offset7, SOURCE_DIR } from './lib.mjs';

// West of the Loop, clear of the other tests' places.
const P = { lon: -87.6650, lat: 41.8830 };
const at = (east, north = 0) => offset7(P, north, east);

let srv;
const tok = {};

before(async () => {
  srv = await startServer();
  tok.disp = await srv.user('dana', 'dispatcher');
  tok.streets = await srv.user('crew-streets', 'crew', 'streets');
  tok.parks = await srv.user('crew-parks', 'crew', 'forestry');
});
after(async () => { await srv.cleanup(); });

async function report(category, p, extra = {}) {
  const r = await api(srv.url, 'POST', '/api/v1/reports', { json: { category, lat: p.lat, lon: p.lon, ...extra } });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

const get = (p, token) => api(srv.url, 'GET', p, { token });
const post = (p, json, token = tok.disp) => api(srv.url, 'POST', p, { json, token });
const staffView = async (id, token = tok.disp) => {
  const r = await get(`/api/v1/staff/clusters/${id}`, token);
  assert.equal(r.status, 200, r.text);
  return r.body;
};

function assertError(res, status, code, message) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body.error.code, code, res.text);
  if (message) assert.equal(res.body.error.message, message);
}

test('merge candidates: nearby jobs of the same category, nearest first, with distance and age', async () => {
  const a = await report('sidewalk_damage', at(0, 300));
  const b = await report('sidewalk_damage', at(60, 300));
  const c = await report('sidewalk_damage', at(180, 300));
  await report('graffiti', at(10, 300));
  const id = a.cluster.id;
  const r = await get(`/api/v1/staff/clusters/${id}/merge-candidates`, tok.disp);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(r.body.cluster.cluster_id, id);
  assert.equal(r.body.category, 'sidewalk_damage');
  assert.equal(r.body.limit_m, 20);
  assert.deepEqual(r.body.candidates.map((x) => x.cluster_id), [b.cluster.id, c.cluster.id]);
  const [first, second] = r.body.candidates;
  assert.ok(Math.abs(first.distance_m - 60) < 0.5, `${first.distance_m}`);
  assert.equal(first.within_limit, false);
  assert.ok(Math.abs(second.distance_m - 180) < 0.5);
  assert.equal(first.report_count, 1);
  assert.equal(first.status, 'new');
  assert.ok(first.age_days >= 0 && first.age_days < 1);

  assertError(await get(`/api/v1/staff/clusters/${id}/merge-candidates`), 401, 'unauthorized');
  assertError(await get(`/api/v1/staff/clusters/${id}/merge-candidates`, tok.streets), 403, 'forbidden',
    'only dispatchers and admins may correct duplicate folding');
  assertError(await get('/api/v1/staff/clusters/999999/merge-candidates', tok.disp), 404, 'not_found',
    'there is no cluster 999999');
  assertError(await get(`/api/v1/staff/clusters/${id}/merge-candidates?x=1`, tok.disp), 400, 'unknown_parameter');
});

test('a merge beyond the limit needs a reason; both histories and both citizens\' pages say "merged"', async () => {
  const a = await report('sidewalk_damage', at(0, 600), { description: 'slab lifted' });
  const b = await report('sidewalk_damage', at(90, 600), { description: 'slab lifted, other end' });
  const A = a.cluster.id;
  const B = b.cluster.id;
  assert.equal((await post(`/api/v1/clusters/${A}/status`, { status: 'acknowledged' })).status, 200);

  const bare = await post(`/api/v1/clusters/${B}/merge`, { into: A });
  assertError(bare, 400, 'reason_required',
    `clusters ${B} and ${A} are 90 m apart, farther than the 20 m of sidewalk_damage: say why they are one job (reason)`);
  assertError(await post(`/api/v1/clusters/${B}/merge`, { into: A, reason: 7 }), 400, 'invalid_field');
  assertError(await post(`/api/v1/clusters/${B}/merge`, { into: A, why: 'x' }), 400, 'unknown_field');
  assertError(await post(`/api/v1/clusters/${B}/merge`, { into: A, reason: 'x'.repeat(501) }), 400, 'too_long');
  assert.equal((await get(`/api/v1/clusters/${B}`)).status, 200, 'nothing merged');

  const m = await post(`/api/v1/clusters/${B}/merge`, { into: A, reason: 'one slab, lifted at both ends' });
  assert.equal(m.status, 200, m.text);
  assert.deepEqual(Object.keys(m.body), ['merged', 'cluster', 'merge_id', 'distance_m', 'limit_m']);
  assert.equal(m.body.cluster.id, A);
  assert.equal(m.body.cluster.report_count, 2);
  assert.equal(m.body.limit_m, 20);
  assert.ok(Math.abs(m.body.distance_m - 90) < 0.5);

  // The staff view: the merge's entry (undoable), B's entries marked as B's, B's report too.
  const v = await staffView(A);
  const mine = v.history.filter((h) => h.merge);
  assert.equal(mine.length, 2, JSON.stringify(v.history));
  const inEntry = mine.find((h) => h.merge.event === 'merged_in');
  assert.deepEqual(inEntry.merge, {
    id: m.body.merge_id, event: 'merged_in', cluster_id: B, reason: 'one slab, lifted at both ends',
    distance_m: inEntry.merge.distance_m, undone: false, undoable: true,
  });
  const outEntry = mine.find((h) => h.merge.event === 'merged_into');
  assert.equal(outEntry.merge.cluster_id, A);
  assert.equal(outEntry.from_cluster, B);
  assert.deepEqual(v.history.filter((h) => h.status === 'new').map((h) => h.from_cluster ?? null), [null, B]);
  const rb = v.reports.find((r) => r.id === b.report.id);
  assert.equal(rb.merged_from, B);
  assert.equal(rb.merge_id, m.body.merge_id);
  assert.equal(v.reports.find((r) => r.id === a.report.id).merged_from, undefined);
  assert.equal(v.audit.at(-1).action, 'merge');
  assert.deepEqual(v.audit.at(-1).detail, { from: B, into: A, merge: m.body.merge_id });

  // B's reporter: their own pin, one "new", one entry "merged with job A", nothing of A's past.
  const pb = (await get(`/api/v1/reports/${b.report.id}`)).body;
  assert.deepEqual(pb.geometry.coordinates, [at(90, 600).lon, at(90, 600).lat]);
  assert.equal(pb.properties.cluster_id, A);
  assert.deepEqual(pb.properties.history.map((h) => h.status), ['new', 'acknowledged']);
  assert.deepEqual(pb.properties.history.filter((h) => 'merged_with' in h).map((h) => h.merged_with), [A]);
  // A's reporter: their job's own entries and "merged with job B"; B's "new" is not theirs.
  const pa = (await get(`/api/v1/reports/${a.report.id}`)).body;
  assert.deepEqual(pa.properties.history.map((h) => [h.status, h.merged_with ?? null]),
    [['new', null], ['acknowledged', null], ['acknowledged', B]]);
  assert.deepEqual(pa.geometry.coordinates, [at(0, 600).lon, at(0, 600).lat]);
});

test('undo of a merge: the job comes back under its old id; refused twice and after a later move', async () => {
  const a = await report('sidewalk_damage', at(0, 900));
  const b = await report('sidewalk_damage', at(40, 900));
  const A = a.cluster.id;
  const B = b.cluster.id;
  assert.equal((await post(`/api/v1/clusters/${B}/status`, { status: 'acknowledged' })).status, 200);
  assert.equal((await post(`/api/v1/clusters/${B}/assign`, { crew: 'crew-streets' })).status, 200);
  for (const s of ['acknowledged', 'in_progress', 'fixed']) {
    assert.equal((await post(`/api/v1/clusters/${A}/status`, { status: s })).status, 200);
  }
  const historyB = (await staffView(B)).history.length;
  const m = await post(`/api/v1/clusters/${B}/merge`, { into: A, reason: 'same hole' });
  assert.equal(m.status, 200, m.text);
  assert.equal(m.body.cluster.status, 'acknowledged');
  assert.equal((await get(`/api/v1/clusters/${B}`)).status, 404);

  assertError(await post(`/api/v1/merges/${m.body.merge_id}/undo`, {}, tok.streets), 403, 'forbidden');
  assertError(await api(srv.url, 'POST', `/api/v1/merges/${m.body.merge_id}/undo`), 401, 'unauthorized');
  const u = await post(`/api/v1/merges/${m.body.merge_id}/undo`, {});
  assert.equal(u.status, 200, u.text);
  assert.deepEqual(u.body, {
    undone: m.body.merge_id,
    cluster: { id: B, report_count: 1, status: 'acknowledged', coordinates: u.body.cluster.coordinates },
  });
  const vb = await staffView(B);
  assert.equal(vb.cluster.crew, 'crew-streets');
  assert.deepEqual(vb.reports.map((r) => r.id), [b.report.id]);
  assert.equal(vb.history.length, historyB + 2, 'its own history, the merge and the undo');
  assert.deepEqual(vb.history.filter((h) => h.merge).map((h) => [h.merge.event, h.merge.undone]),
    [['merged_into', true], ['unmerged', true]]);
  const va = await staffView(A);
  assert.equal(va.cluster.status, 'fixed', 'A has its own status back');
  assert.equal(va.cluster.report_count, 1);
  assert.equal(va.history.some((h) => h.from_cluster), false);
  assert.equal(va.history.find((h) => h.merge && h.merge.event === 'merged_in').merge.undoable, false);
  assert.equal(va.audit.at(-1).action, 'unmerge');
  const pb = (await get(`/api/v1/reports/${b.report.id}`)).body.properties;
  assert.equal(pb.cluster_id, B);
  assert.equal(pb.status, 'acknowledged');

  assertError(await post(`/api/v1/merges/${m.body.merge_id}/undo`, {}), 409, 'already_undone',
    `merge ${m.body.merge_id} was undone already, by dana`);
  assertError(await post('/api/v1/merges/99999/undo', {}), 404, 'not_found', 'there is no merge 99999');
  assertError(await post(`/api/v1/merges/${m.body.merge_id}/undo`, { x: 1 }), 400, 'invalid_json');

  // Merged again, then a report moved out: the undo would lose track of it.
  const m2 = await post(`/api/v1/clusters/${B}/merge`, { into: A, reason: 'same hole after all' });
  assert.equal(m2.status, 200, m2.text);
  const mv = await post(`/api/v1/reports/${b.report.id}/move`, { to: null });
  assert.equal(mv.status, 200, mv.text);
  assertError(await post(`/api/v1/merges/${m2.body.merge_id}/undo`, {}), 409, 'moved_on',
    `report ${b.report.id} has moved on since the merge (it is in cluster ${mv.body.cluster.id} now): the merge cannot be undone`);
});

test('crews read their own department\'s jobs and photos only; citizens\' photos reach the staff view', async () => {
  const jpeg = await readFile(path.join(SOURCE_DIR, 'tests/fixtures/photos/gps_orient6.jpg'));
  const form = new FormData();
  form.set('category', 'pothole');
  form.set('lat', String(at(0, 1200).lat));
  form.set('lon', String(at(0, 1200).lon));
  form.set('description', 'deep hole by the kerb');
  form.set('photo', new Blob([jpeg], { type: 'image/jpeg' }), 'hole.jpg');
  const created = await api(srv.url, 'POST', '/api/v1/reports', { form });
  assert.equal(created.status, 201, created.text);
  const id = created.body.cluster.id;
  const rid = created.body.report.id;

  const own = await staffView(id, tok.streets);
  assert.equal(own.reports[0].description, 'deep hole by the kerb');
  assert.equal(own.reports[0].has_photo, true);
  assert.equal((await fetch(`${srv.url}/api/v1/reports/${rid}/photo/thumb`)).status, 200);
  assertError(await get(`/api/v1/staff/clusters/${id}`, tok.parks), 403, 'forbidden',
    'this job belongs to department streets, not to forestry');

  // The crew marks it fixed with a photo: its own department reads it, another does not.
  for (const s of ['acknowledged', 'in_progress']) assert.equal((await post(`/api/v1/clusters/${id}/status`, { status: s })).status, 200);
  const fix = new FormData();
  fix.set('status', 'fixed');
  fix.set('photo', new Blob([jpeg], { type: 'image/jpeg' }), 'after.jpg');
  const done = await api(srv.url, 'POST', `/api/v1/clusters/${id}/status`, { form: fix, token: tok.streets });
  assert.equal(done.status, 200, done.text);
  const photo = `/api/v1/staff/photos/${done.body.photo_id}`;
  assert.equal((await fetch(srv.url + photo, { headers: { Authorization: `Bearer ${tok.streets}` } })).status, 200);
  assertError(await get(photo, tok.parks), 403, 'forbidden', 'this job belongs to department streets, not to forestry');
  assertError(await get(`${photo}/thumb`, tok.parks), 403, 'forbidden');

  // The citizen's page shows the repair: public, stripped of the phone's metadata.
  const page = (await get(`/api/v1/reports/${rid}`)).body.properties;
  assert.equal(page.fix_photo.url, `/api/v1/reports/${rid}/fix-photo`);
  assert.equal(page.fix_photo.thumb_url, `/api/v1/reports/${rid}/fix-photo/thumb`);
  const img = await fetch(srv.url + page.fix_photo.url);
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/jpeg');
  const bytes = Buffer.from(await img.arrayBuffer());
  assert.equal(bytes.includes(Buffer.from('Exif')), false, 'no GPS position of the crew\'s phone');
  assert.equal((await fetch(srv.url + page.fix_photo.thumb_url)).status, 200);

  // A job without one: no member, and the photo route says so.
  const other = await report('pothole', at(300, 1200));
  const plain = (await get(`/api/v1/reports/${other.report.id}`)).body.properties;
  assert.equal('fix_photo' in plain, false);
  assertError(await get(`/api/v1/reports/${other.report.id}/fix-photo`), 404, 'not_found',
    `report ${other.report.id} has no photo of a repair`);
  assertError(await get('/api/v1/reports/999999/fix-photo'), 404, 'not_found', 'there is no report 999999');
});
