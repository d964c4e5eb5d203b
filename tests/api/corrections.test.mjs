// Staff moving a report into an EXISTING cluster (POST /api/v1/reports/{id}/move {"to": N}):
// the answer, the target's count, centre and times as every public read shows them, the
// cluster left behind, the report's new cluster and status, the audit entry, and the refusals
// with their texts. (The move to a cluster of its own, {"to": null}, is in clusters.test.mjs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, dbQuery, offset7, metresFrom } from './lib.mjs';

const P = { lon: -87.6420, lat: 41.8960 };
const at = (east, north = 0) => offset7(P, north, east);

let srv;
let dispatcher;

before(async () => {
  srv = await startServer();
  dispatcher = await srv.user('dana', 'dispatcher');
});
after(async () => { await srv.cleanup(); });

async function report(category, p) {
  const r = await api(srv.url, 'POST', '/api/v1/reports', { json: { category, lat: p.lat, lon: p.lon } });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

const cluster = async (id) => (await api(srv.url, 'GET', `/api/v1/clusters/${id}`)).body;
const move = (rid, json, token = dispatcher) => api(srv.url, 'POST', `/api/v1/reports/${rid}/move`, { json, token });
// Metres east and north of P of a [lon, lat] pair.
const metres = (c) => { const m = metresFrom(P, c); return [m.east, m.north]; };

function assertError(res, status, code, message) {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { error: { code, message } });
}

test('a report moved into an existing cluster: counts, centres and times follow', async () => {
  // graffiti: point rule, 25 m. A = {a1, a2 (10 m east)}, B = {b1 (300 m east, 40 m north)}.
  const a1 = await report('graffiti', at(0));
  const a2 = await report('graffiti', at(10));
  const b1 = await report('graffiti', at(300, 40));
  assert.equal(a2.cluster.id, a1.cluster.id);
  assert.notEqual(b1.cluster.id, a1.cluster.id);
  const A = a1.cluster.id;
  const B = b1.cluster.id;
  const ack = await api(srv.url, 'POST', `/api/v1/clusters/${B}/status`,
    { json: { status: 'acknowledged' }, token: dispatcher });
  assert.equal(ack.status, 200, ack.text);

  const moved = await move(a2.report.id, { to: B });
  assert.equal(moved.status, 200, moved.text);
  assert.equal(moved.body.report_id, a2.report.id);
  assert.equal(moved.body.cluster.id, B);
  assert.equal(moved.body.cluster.report_count, 2);
  assert.equal(moved.body.cluster.status, 'acknowledged');

  // The target: its centre is the mean of b1 and a2 (155 m east, 20 m north).
  const b = await cluster(B);
  assert.equal(b.properties.report_count, 2);
  const [be, bn] = metres(b.geometry.coordinates);
  assert.ok(Math.abs(be - 155) < 0.5 && Math.abs(bn - 20) < 0.5, `target centre at ${be} m east, ${bn} m north`);
  assert.deepEqual(b.properties.reports.map((r) => r.id).sort((x, y) => x - y), [a2.report.id, b1.report.id]);
  assert.equal(b.properties.first_at, a2.report.created_at, 'the moved report is the older one');
  assert.equal(b.properties.last_at, b1.report.created_at);
  const staff = b.properties.reports.find((r) => r.id === a2.report.id);
  assert.equal(staff.join_reason.kind, 'staff');

  // The cluster left behind: a1 alone, centred on it again.
  const a = await cluster(A);
  assert.equal(a.properties.report_count, 1);
  const [ae, an] = metres(a.geometry.coordinates);
  assert.ok(Math.abs(ae) < 0.05 && Math.abs(an) < 0.05, `old centre at ${ae} m east, ${an} m north`);
  assert.equal(a.properties.first_at, a1.report.created_at);
  assert.equal(a.properties.last_at, a1.report.created_at);

  // The report itself, and the map listing (its own table) agree.
  const r = await api(srv.url, 'GET', `/api/v1/reports/${a2.report.id}`);
  assert.equal(r.body.properties.cluster_id, B);
  assert.equal(r.body.properties.status, 'acknowledged');
  assert.equal(r.body.properties.report_count, 2);
  const box = `${P.lon - 0.01},${P.lat - 0.01},${P.lon + 0.01},${P.lat + 0.01}`;
  const listed = await api(srv.url, 'GET', `/api/v1/clusters?bbox=${box}&category=graffiti`);
  const byId = Object.fromEntries(listed.body.features.map((f) => [f.id, f]));
  assert.equal(byId[B].properties.report_count, 2);
  assert.equal(byId[A].properties.report_count, 1);
  assert.deepEqual(byId[B].geometry.coordinates, b.geometry.coordinates);

  // Audited with who and where to.
  const audit = dbQuery(srv.db,
    "SELECT user_name || ' ' || object_id || ' ' || detail FROM audit WHERE action = 'move'");
  assert.equal(audit, `dana ${a2.report.id} {"report":${a2.report.id},"to":${B}}`);

  // Moving a1, the last report of A, empties A: it is gone, B holds all three.
  const last = await move(a1.report.id, { to: B });
  assert.equal(last.status, 200, last.text);
  assert.equal(last.body.cluster.report_count, 3);
  assert.equal((await api(srv.url, 'GET', `/api/v1/clusters/${A}`)).status, 404);
  const b3 = await cluster(B);
  const [e3, n3] = metres(b3.geometry.coordinates);
  assert.ok(Math.abs(e3 - 310 / 3) < 0.5 && Math.abs(n3 - 40 / 3) < 0.5, `centre of three at ${e3}, ${n3}`);
  assert.equal(b3.properties.first_at, a1.report.created_at);
});

test('moves into a cluster that cannot take the report are refused and change nothing', async () => {
  const g = await report('graffiti', at(0, 900));
  const d = await report('illegal_dumping', at(200, 900));
  assertError(await move(g.report.id, { to: d.cluster.id }), 409, 'category_mismatch',
    `cluster ${d.cluster.id} is about illegal_dumping, the report about graffiti`);
  assertError(await move(g.report.id, { to: d.cluster.id + 100000 }), 404, 'not_found',
    `there is no cluster ${d.cluster.id + 100000}`);
  assertError(await move(g.report.id, { to: g.cluster.id }), 400, 'invalid_field',
    `the report is already in cluster ${g.cluster.id}`);
  assertError(await move(g.report.id, { to: 'x' }), 400, 'invalid_field', 'to must be a cluster id or null');
  assertError(await move(g.report.id, { to: 0 }), 400, 'invalid_field', 'to must be a cluster id or null');
  assertError(await move(g.report.id, {}), 400, 'missing_field', 'to is required: a cluster id, or null for a new cluster');
  assertError(await move(g.report.id + 100000, { to: d.cluster.id }), 404, 'not_found',
    `there is no report ${g.report.id + 100000}`);
  assert.equal((await cluster(g.cluster.id)).properties.report_count, 1);
  assert.equal((await cluster(d.cluster.id)).properties.report_count, 1);
  const r = await api(srv.url, 'GET', `/api/v1/reports/${g.report.id}`);
  assert.equal(r.body.properties.cluster_id, g.cluster.id);
});
