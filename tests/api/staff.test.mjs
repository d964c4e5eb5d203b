// Staff accounts, roles and the cluster workflow over HTTP: 401 without a valid token, 403 for
// a role that may not act, every transition of the lifecycle for dispatchers and admins
// (allowed and refused), the crew's three moves on its own department's jobs, internal and
// public notes, assignment, the queue, the staff view of a cluster, photos, phone intake, the
// automation rules and the audit trail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, api, meldpunt, LOOP, offset, SOURCE_DIR, CITY_DIR } from './lib.mjs';

const ADMIN_TOKEN = 'admin-token-for-the-staff-tests-0123456789';
const STATUSES = ['new', 'acknowledged', 'scheduled', 'in_progress', 'fixed', 'closed',
  'not_responsible', 'reopened'];
// The lifecycle of the issue, written out independently of server/workflow.c.
const ALLOWED = new Set([
  'new>acknowledged', 'new>scheduled', 'new>not_responsible', 'new>closed',
  'acknowledged>scheduled', 'acknowledged>in_progress', 'acknowledged>not_responsible',
  'acknowledged>closed', 'scheduled>in_progress', 'scheduled>acknowledged',
  'scheduled>not_responsible', 'in_progress>fixed', 'in_progress>scheduled', 'fixed>closed',
  'fixed>reopened', 'closed>reopened', 'not_responsible>reopened', 'reopened>acknowledged',
  'reopened>scheduled', 'reopened>in_progress', 'reopened>not_responsible', 'reopened>closed',
]);
const CREW_MOVES = new Set(['acknowledged>in_progress', 'scheduled>in_progress', 'in_progress>fixed']);
// How to reach each status from new with allowed moves.
const PATH = {
  new: [],
  acknowledged: ['acknowledged'],
  scheduled: ['scheduled'],
  in_progress: ['acknowledged', 'in_progress'],
  fixed: ['acknowledged', 'in_progress', 'fixed'],
  closed: ['acknowledged', 'in_progress', 'fixed', 'closed'],
  not_responsible: ['not_responsible'],
  reopened: ['not_responsible', 'reopened'],
};

let server;
let tok; // name -> token
let spot = 0;

// A fresh point for every new cluster: 250 m apart on a grid west and north of the Loop,
// far more than any duplicate rule of the categories used here.
function nextPoint() {
  const i = spot++;
  return offset(LOOP, 250 * (i % 20), -250 * (1 + Math.floor(i / 20)));
}

async function report(category, point = nextPoint(), extra = {}) {
  const r = await api(server.url, 'POST', '/api/v1/reports', {
    json: { category, lat: point.lat, lon: point.lon, description: `test ${category} ${spot}`, ...extra.json },
    token: extra.token,
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function newCluster(category = 'pothole') {
  return (await report(category)).cluster.id;
}

function setStatus(id, status, token, { note = 'test note', notePublic = false } = {}) {
  return api(server.url, 'POST', `/api/v1/clusters/${id}/status`, {
    json: { status, note, note_public: notePublic }, token,
  });
}

async function walk(id, statuses, token) {
  for (const s of statuses) {
    const r = await setStatus(id, s, token);
    assert.equal(r.status, 200, `${s}: ${r.text}`);
  }
}

async function publicCluster(id) {
  const r = await api(server.url, 'GET', `/api/v1/clusters/${id}`);
  assert.equal(r.status, 200);
  return r.body;
}

async function staffCluster(id, token = tok.disp) {
  const r = await api(server.url, 'GET', `/api/v1/staff/clusters/${id}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

before(async () => {
  // Hundreds of writes from one address in a minute: switch the per-address write limit off.
  server = await startServer({ env: { MELDPUNT_ADMIN_TOKEN: ADMIN_TOKEN, MELDPUNT_RATE_WRITES: '0' } });
  tok = {
    admin: ADMIN_TOKEN,
    disp: await server.user('dana', 'dispatcher'),
    streets: await server.user('crew-streets', 'crew', 'streets'),
    lighting: await server.user('crew-lighting', 'crew', 'lighting'),
    client: await server.user('app-client', 'client'),
  };
});

after(async () => {
  await server?.cleanup();
});

test('tokens are random, shown once, and only their hash is stored', async () => {
  assert.match(tok.disp, /^mp_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(tok.disp, tok.streets);
  for (const file of [server.db, `${server.db}-wal`]) {
    const bytes = await readFile(file).catch(() => Buffer.alloc(0));
    assert.equal(bytes.includes(Buffer.from(tok.disp)), false, `the token itself is not in ${file}`);
    assert.equal(bytes.includes(Buffer.from(tok.disp.slice(3))), false);
  }
  const { stdout } = await meldpunt(['user', 'list', '--db', server.db, '--city', CITY_DIR]);
  assert.match(stdout, /crew-streets\s+crew\s+streets\s+active\s+region/);
  assert.match(stdout, /dana\s+dispatcher\s+-\s+active/);
  assert.match(stdout, /admin\s+admin/, 'the configured admin token became an admin account');
  assert.equal(stdout.includes('mp_'), false);
});

test('GET /api/v1/me names the account behind the token', async () => {
  let r = await api(server.url, 'GET', '/api/v1/me', { token: tok.streets });
  assert.equal(r.status, 200);
  // A city pack's accounts are region-wide (tenancy): they see everything, as before.
  assert.deepEqual(r.body, { name: 'crew-streets', role: 'crew', department: 'streets',
    region_wide: true, municipalities: null });
  r = await api(server.url, 'GET', '/api/v1/me', { token: tok.admin });
  assert.deepEqual(r.body, { name: 'admin', role: 'admin', department: null,
    region_wide: true, municipalities: null });
  assert.equal(r.headers.get('cache-control'), 'no-store');
  r = await api(server.url, 'GET', '/api/v1/me');
  assert.equal(r.status, 401);
  assert.equal(r.body.error.code, 'unauthorized');
});

test('staff endpoints answer 401 without a valid token, public ones stay open', async () => {
  const id = await newCluster();
  const calls = [
    ['GET', '/api/v1/staff/queue'],
    ['GET', `/api/v1/staff/clusters/${id}`],
    ['GET', '/api/v1/staff/crews'],
    ['GET', '/api/v1/staff/photos/1'],
    ['GET', '/api/v1/worklist'],
    ['GET', '/api/v1/me'],
    ['POST', `/api/v1/clusters/${id}/status`, { status: 'acknowledged' }],
    ['POST', `/api/v1/clusters/${id}/assign`, { department: 'streets' }],
  ];
  for (const [method, p, json] of calls) {
    const r = await api(server.url, method, p, { json });
    assert.equal(r.status, 401, `${method} ${p}: ${r.text}`);
    assert.equal(r.body.error.code, 'unauthorized');
  }
  // A wrong credential costs the address a sign-in attempt (10 at once, then 1 a second), so
  // three kinds of wrong header on three endpoints stay within the budget.
  for (const [method, p, json] of calls.slice(0, 3)) {
    for (const headers of [{ Authorization: 'Bearer mp_not-a-real-token-at-all' },
      { Authorization: `Basic ${tok.disp}` }, { Authorization: 'Bearer ' }]) {
      const r = await api(server.url, method, p, { json, headers });
      assert.equal(r.status, 401, `${method} ${p} ${JSON.stringify(headers)}: ${r.text}`);
      assert.equal(r.body.error.code, 'unauthorized');
    }
  }
  for (const p of ['/api/v1/clusters', `/api/v1/clusters/${id}`, '/api/v1/automation',
    '/api/v1/categories', `/api/v1/reports?limit=1`]) {
    assert.equal((await api(server.url, 'GET', p)).status, 200, p);
  }
  assert.equal((await publicCluster(id)).properties.status, 'new', 'nothing changed');
});

test('403 for a role that may not act', async () => {
  const id = await newCluster();
  const refused = [
    ['client', 'GET', '/api/v1/staff/queue'],
    ['client', 'GET', `/api/v1/staff/clusters/${id}`],
    ['client', 'GET', '/api/v1/worklist'],
    ['client', 'POST', `/api/v1/clusters/${id}/status`, { status: 'acknowledged' }],
    ['client', 'POST', `/api/v1/clusters/${id}/assign`, { department: 'streets' }],
    ['streets', 'GET', '/api/v1/staff/queue'],
    ['streets', 'GET', '/api/v1/staff/crews'],
    ['streets', 'POST', `/api/v1/clusters/${id}/assign`, { department: 'streets' }],
    ['streets', 'POST', `/api/v1/clusters/${id}/status`, { status: 'acknowledged' }],
    ['streets', 'GET', '/api/v1/worklist?department=lighting'],
  ];
  for (const [who, method, p, json] of refused) {
    const r = await api(server.url, method, p, { json, token: tok[who] });
    assert.equal(r.status, 403, `${who} ${method} ${p}: ${r.text}`);
    assert.equal(r.body.error.code, 'forbidden');
  }
  assert.equal((await publicCluster(id)).properties.status, 'new');
});

test('a dispatcher can make every allowed transition and no other', async () => {
  let allowed = 0;
  let refused = 0;
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      const id = await newCluster('pothole');
      await walk(id, PATH[from], tok.disp);
      const r = await setStatus(id, to, tok.disp);
      const after = (await publicCluster(id)).properties.status;
      if (ALLOWED.has(`${from}>${to}`)) {
        assert.equal(r.status, 200, `${from} -> ${to}: ${r.text}`);
        assert.deepEqual([r.body.previous, r.body.status], [from, to]);
        assert.equal(after, to);
        allowed++;
      } else {
        assert.equal(r.status, 409, `${from} -> ${to} must be refused: ${r.text}`);
        assert.equal(r.body.error.code, 'invalid_transition');
        assert.match(r.body.error.message, new RegExp(`${from} cannot become ${to}`));
        assert.equal(after, from, 'a refused move changes nothing');
        refused++;
      }
    }
  }
  assert.equal(allowed, ALLOWED.size);
  assert.equal(refused, 64 - ALLOWED.size);
});

test('an admin (the configured admin token) may do what a dispatcher may', async () => {
  const id = await newCluster();
  await walk(id, ['acknowledged', 'scheduled', 'in_progress', 'fixed', 'closed'], tok.admin);
  const r = await setStatus(id, 'fixed', tok.admin);
  assert.equal(r.status, 409);
  const hist = (await staffCluster(id)).history.map((h) => [h.status, h.actor]);
  assert.deepEqual(hist, [['new', null], ['acknowledged', 'admin'], ['scheduled', 'admin'],
    ['in_progress', 'admin'], ['fixed', 'admin'], ['closed', 'admin']]);
});

test('a crew makes only its three moves, only on its department\'s jobs', async () => {
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      const key = `${from}>${to}`;
      if (!ALLOWED.has(key)) continue;
      const mine = await newCluster('pothole'); // streets
      const theirs = await newCluster('street_light_out'); // lighting
      await walk(mine, PATH[from], tok.disp);
      await walk(theirs, PATH[from], tok.disp);
      const a = await setStatus(mine, to, tok.streets);
      const b = await setStatus(theirs, to, tok.streets);
      assert.equal(b.status, 403, `streets crew on a lighting job ${key}: ${b.text}`);
      if (CREW_MOVES.has(key)) {
        assert.equal(a.status, 200, `${key}: ${a.text}`);
        assert.equal((await publicCluster(mine)).properties.status, to);
        assert.match(b.body.error.message, /belongs to department lighting, not to streets/);
      } else {
        assert.equal(a.status, 403, `crew may not ${key}: ${a.text}`);
        assert.equal((await publicCluster(mine)).properties.status, from);
      }
    }
  }
  // Refused because the move does not exist at all: 409, as for anyone.
  const id = await newCluster('pothole');
  const r = await setStatus(id, 'fixed', tok.streets);
  assert.equal(r.status, 409);
});

test('reasons are required for refusing, closing unfixed and reopening', async () => {
  const id = await newCluster();
  for (const note of [undefined, null, '']) {
    const r = await api(server.url, 'POST', `/api/v1/clusters/${id}/status`, {
      json: note === undefined ? { status: 'not_responsible' } : { status: 'not_responsible', note },
      token: tok.disp,
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'note_required');
  }
  const ok = await setStatus(id, 'not_responsible', tok.disp, { note: 'Private road: owner informed.', notePublic: true });
  assert.equal(ok.status, 200);
  const r = await api(server.url, 'POST', `/api/v1/clusters/${id}/status`, { json: { status: 'reopened' }, token: tok.disp });
  assert.equal(r.body.error.code, 'note_required');
});

test('public notes reach citizens, internal notes stay with staff; history keeps both', async () => {
  const { report: rep, cluster } = await report('pothole');
  const id = cluster.id;
  await setStatus(id, 'acknowledged', tok.disp, { note: 'Crew will look this week.', notePublic: true });
  await setStatus(id, 'scheduled', tok.disp, { note: 'Caller is the alderman, handle with care.' });
  await setStatus(id, 'in_progress', tok.streets, { note: 'Cold patch only, needs a hot mix later.' });
  const pub = await publicCluster(id);
  const notes = pub.properties.history.map((h) => [h.status, h.note]);
  assert.deepEqual(notes, [['new', null], ['acknowledged', 'Crew will look this week.'],
    ['scheduled', null], ['in_progress', null]]);
  const text = JSON.stringify(pub) + JSON.stringify((await api(server.url, 'GET', `/api/v1/reports/${rep.id}`)).body);
  assert.equal(text.includes('alderman'), false);
  assert.equal(text.includes('Cold patch'), false);
  assert.equal(text.includes('crew-streets'), false, 'who did it is staff information');
  const staff = await staffCluster(id);
  assert.deepEqual(staff.history.map((h) => [h.status, h.note, h.note_public, h.actor]), [
    ['new', null, true, null],
    ['acknowledged', 'Crew will look this week.', true, 'dana'],
    ['scheduled', 'Caller is the alderman, handle with care.', false, 'dana'],
    ['in_progress', 'Cold patch only, needs a hot mix later.', false, 'crew-streets'],
  ]);
  // The audit log says who did what and when.
  const audit = staff.audit.filter((a) => a.action === 'status');
  assert.deepEqual(audit.map((a) => [a.user, a.detail.from, a.detail.to, a.detail.note]), [
    ['dana', 'new', 'acknowledged', 'public'],
    ['dana', 'acknowledged', 'scheduled', 'internal'],
    ['crew-streets', 'scheduled', 'in_progress', 'internal'],
  ]);
  for (const a of audit) assert.ok(Math.abs(Date.parse(a.at) - Date.now()) < 120000);
  // Every report of the cluster follows its status.
  const second = await report('pothole', { lat: rep.lat, lon: rep.lon });
  assert.equal(second.cluster.id, id);
  assert.equal(second.report.status, 'in_progress');
});

test('bad status requests get a clear 4xx', async () => {
  const id = await newCluster();
  const cases = [
    [{ json: { status: 'done' } }, 400, 'invalid_status'],
    [{ json: {} }, 400, 'missing_field'],
    [{ json: { status: 'acknowledged', colour: 'red' } }, 400, 'unknown_field'],
    [{ json: { status: 7 } }, 400, 'invalid_field'],
    [{ json: { status: 'acknowledged', note_public: 'yes' } }, 400, 'invalid_field'],
    [{ json: { status: 'acknowledged', note: 'x'.repeat(2001) } }, 400, 'too_long'],
    [{ json: { status: 'acknowledged', note: 'bell\u0007' } }, 400, 'invalid_field'],
    [{ body: '{"status":', headers: { 'Content-Type': 'application/json' } }, 400, 'invalid_json'],
    [{ body: 'status=acknowledged', headers: { 'Content-Type': 'text/plain' } }, 415, 'unsupported_media_type'],
  ];
  for (const [opts, code, err] of cases) {
    const r = await api(server.url, 'POST', `/api/v1/clusters/${id}/status`, { ...opts, token: tok.disp });
    assert.equal(r.status, code, `${JSON.stringify(opts).slice(0, 80)}: ${r.text}`);
    assert.equal(r.body.error.code, err);
  }
  const missing = await setStatus(999999, 'acknowledged', tok.disp);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'not_found');
  assert.equal((await publicCluster(id)).properties.status, 'new');
});

test('a form post works too: a crew marks a job fixed with a note and a photo', async () => {
  const id = await newCluster('pothole');
  await walk(id, ['acknowledged', 'in_progress'], tok.disp);
  const jpeg = await readFile(path.join(SOURCE_DIR, 'tests/fixtures/photos/gps_orient6.jpg'));
  const form = new FormData();
  form.set('status', 'fixed');
  form.set('note', 'Filled with hot mix.');
  form.set('note_public', 'true');
  form.set('photo', new Blob([jpeg], { type: 'image/jpeg' }), 'after.jpg');
  const r = await api(server.url, 'POST', `/api/v1/clusters/${id}/status`, { form, token: tok.streets });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.status, 'fixed');
  assert.ok(Number.isInteger(r.body.photo_id));
  const staff = await staffCluster(id, tok.streets);
  assert.equal(staff.photos.length, 1);
  assert.equal(staff.photos[0].actor, 'crew-streets');
  assert.equal(staff.photos[0].status, 'fixed');
  const img = await fetch(`${server.url}${staff.photos[0].url}`, { headers: { Authorization: `Bearer ${tok.streets}` } });
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/jpeg');
  const bytes = Buffer.from(await img.arrayBuffer());
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8]);
  assert.equal(bytes.includes(Buffer.from('Exif')), false, 'the GPS position of the phone is gone');
  const thumb = await fetch(`${server.url}${staff.photos[0].thumb_url}`, { headers: { Authorization: `Bearer ${tok.disp}` } });
  assert.equal(thumb.status, 200);
  assert.ok(Number((await thumb.arrayBuffer()).byteLength) < bytes.length);
  assert.equal((await fetch(`${server.url}${staff.photos[0].url}`)).status, 401);
  assert.equal((await publicCluster(id)).properties.history.at(-1).note, 'Filled with hot mix.');

  // Not a photo: refused, and the status stays.
  const other = await newCluster('pothole');
  await walk(other, ['acknowledged', 'in_progress'], tok.disp);
  const bad = new FormData();
  bad.set('status', 'fixed');
  bad.set('photo', new Blob([Buffer.from('GIF89a not really')], { type: 'image/jpeg' }), 'x.jpg');
  const b = await api(server.url, 'POST', `/api/v1/clusters/${other}/status`, { form: bad, token: tok.streets });
  assert.equal(b.status, 415, b.text);
  assert.equal((await publicCluster(other)).properties.status, 'in_progress');
  const unknown = new FormData();
  unknown.set('status', 'fixed');
  unknown.set('colour', 'red');
  const u = await api(server.url, 'POST', `/api/v1/clusters/${other}/status`, { form: unknown, token: tok.streets });
  assert.equal(u.status, 400);
  assert.equal(u.body.error.code, 'unknown_field');
});

test('assignment: department and crew, priority, deadline; the crew follows the department', async () => {
  const id = await newCluster('pothole');
  await walk(id, ['acknowledged'], tok.disp);
  const assign = (json, token = tok.disp) => api(server.url, 'POST', `/api/v1/clusters/${id}/assign`, { json, token });

  let r = await assign({ crew: 'crew-lighting' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.cluster.department, 'lighting', 'naming a crew sets its department');
  assert.equal(r.body.cluster.crew, 'crew-lighting');
  assert.equal(r.body.cluster.route_rule, 'manual');
  assert.equal(r.body.cluster.assigned, true);
  // Now the streets crew may not start it, the lighting crew may.
  assert.equal((await setStatus(id, 'in_progress', tok.streets)).status, 403);

  r = await assign({ department: 'streets', crew: 'crew-lighting' });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'crew_department_mismatch');
  r = await assign({ crew: 'nobody' });
  assert.equal(r.body.error.code, 'unknown_crew');
  r = await assign({ crew: 'dana' });
  assert.equal(r.body.error.code, 'unknown_crew', 'a dispatcher is not a crew');
  for (const json of [{ priority: 0 }, { priority: 4 }, { priority: '1' }, { department: 'Streets Dept' },
    { due_at: 'tomorrow' }, { team: 'x' }, {}]) {
    r = await assign(json);
    assert.equal(r.status, 400, JSON.stringify(json));
  }
  r = await assign({ priority: 1, due_at: '2030-01-02T15:00:00Z' });
  assert.equal(r.status, 200);
  assert.equal(r.body.cluster.priority, 1);
  assert.equal(r.body.cluster.priority_rule, 'manual');
  assert.equal(r.body.cluster.due_at, '2030-01-02T15:00:00Z');
  assert.equal(r.body.cluster.crew, 'crew-lighting', 'fields not given stay as they were');

  assert.equal((await setStatus(id, 'in_progress', tok.lighting)).status, 200);

  r = await assign({ department: null, crew: null, priority: null, due_at: null });
  assert.equal(r.status, 200);
  assert.equal(r.body.cluster.department, 'streets', 'back to the routing rules');
  assert.equal(r.body.cluster.route_rule, 'category');
  assert.equal(r.body.cluster.crew, null);
  assert.equal(r.body.cluster.priority, 2);

  const audit = (await staffCluster(id)).audit.filter((a) => a.action === 'assign');
  assert.equal(audit.length, 3, 'refused assignments leave no trace');
  assert.deepEqual(audit[0].detail, { crew: 'crew-lighting' });
  assert.equal(audit[0].user, 'dana');
  assert.equal((await assign({ department: 'streets' }, tok.streets)).status, 403);
  assert.equal((await api(server.url, 'POST', '/api/v1/clusters/999999/assign', { json: { priority: 1 }, token: tok.disp })).status, 404);
});

test('the queue: new and reopened clusters, oldest first, with routing and priority', async () => {
  const first = await newCluster('pothole');
  const ohare = (await report('pothole', { lat: 41.9786, lon: -87.9048 })).cluster.id;
  const acknowledged = await newCluster('pothole');
  await walk(acknowledged, ['acknowledged'], tok.disp);
  const r = await api(server.url, 'GET', '/api/v1/staff/queue?limit=1000', { token: tok.disp });
  assert.equal(r.status, 200);
  const ids = r.body.clusters.map((c) => c.cluster_id);
  assert.ok(ids.includes(first) && ids.includes(ohare));
  assert.equal(ids.includes(acknowledged), false);
  const firsts = r.body.clusters.map((c) => Date.parse(c.first_at));
  assert.deepEqual(firsts, [...firsts].sort((a, b) => a - b), 'oldest first');
  for (const c of r.body.clusters) assert.ok(['new', 'reopened'].includes(c.status));
  const o = r.body.clusters.find((c) => c.cluster_id === ohare);
  assert.equal(o.district_name, "O'Hare");
  assert.equal(o.department, 'aviation');
  assert.equal(o.route_rule, 'ohare-airport');
  assert.equal(o.service_days, 5);
  assert.equal(o.overdue, false);
  assert.deepEqual(o.actions, ['acknowledged', 'scheduled', 'not_responsible', 'closed']);
  const av = await api(server.url, 'GET', '/api/v1/staff/queue?department=aviation', { token: tok.disp });
  assert.deepEqual(av.body.clusters.map((c) => c.cluster_id), [ohare]);
  const lim = await api(server.url, 'GET', '/api/v1/staff/queue?limit=1', { token: tok.disp });
  assert.equal(lim.body.count, 1);
  assert.ok(lim.body.total > 1);
  for (const q of ['limit=0', 'limit=abc', 'department=A%20B', 'status=done', 'category=nope', 'colour=red']) {
    const bad = await api(server.url, 'GET', `/api/v1/staff/queue?${q}`, { token: tok.disp });
    assert.equal(bad.status, 400, q);
  }
});

test('priority rises with the number of reports (automation rule)', async () => {
  const p = nextPoint();
  let last;
  for (let i = 0; i < 3; i++) last = await report('pothole', p);
  assert.equal(last.cluster.report_count, 3);
  const c = (await staffCluster(last.cluster.id)).cluster;
  assert.equal(c.priority, 1);
  assert.equal(c.priority_rule, 'pothole-busy');
});

test('the staff view shows every report, why it joined, and contacts to dispatchers only', async () => {
  const p = nextPoint();
  const a = await report('pothole', p, { json: { contact: { name: 'Ann Caller', phone: '+1 312 555 0100' } } });
  const b = await report('pothole', offset(p, 5, 0));
  assert.equal(b.cluster.id, a.cluster.id);
  const d = await staffCluster(a.cluster.id);
  assert.deepEqual(d.reports.map((r) => r.id), [a.report.id, b.report.id]);
  assert.equal(d.reports[0].join_reason.kind, 'new');
  assert.equal(d.reports[1].join_reason.kind, 'nearest');
  assert.ok(d.reports[1].join_reason.distance_m < 10);
  assert.equal(d.reports[0].contact.name, 'Ann Caller');
  const crewView = await staffCluster(a.cluster.id, tok.streets);
  assert.equal(crewView.reports[0].contact, undefined);
  assert.equal(JSON.stringify(crewView).includes('Ann Caller'), false);
  assert.equal((await api(server.url, 'GET', '/api/v1/staff/clusters/999999', { token: tok.disp })).status, 404);
});

test('reports taken by phone, e-mail or at the counter: channel recorded, same duplicate check', async () => {
  const p = nextPoint();
  const web = await report('pothole', p);
  const phone = await report('pothole', offset(p, 3, 3), {
    token: tok.disp, json: { channel: 'phone', contact: { name: 'Caller', phone: '312 555 0199' } },
  });
  assert.equal(phone.joined, true);
  assert.equal(phone.cluster.id, web.cluster.id);
  const counter = await report('street_light_out', nextPoint(), { token: tok.disp, json: { channel: 'counter' } });
  assert.equal(counter.joined, false);
  const d = await staffCluster(web.cluster.id);
  assert.deepEqual(d.reports.map((r) => r.channel), ['web', 'phone']);
  // Without a staff token another channel is refused, and a crew may not either.
  for (const token of [undefined, tok.streets]) {
    const r = await api(server.url, 'POST', '/api/v1/reports', {
      json: { category: 'pothole', lat: p.lat, lon: p.lon, channel: 'email' }, token,
    });
    assert.equal(r.status, 403);
  }
});

test('the automation rules are visible and testable', async () => {
  const r = await api(server.url, 'GET', '/api/v1/automation');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.routing.map((x) => x.id), ['ohare-airport', 'downtown-graffiti']);
  assert.deepEqual(r.body.priority.map((x) => [x.id, x.min_reports, x.priority]),
    [['neighbours-5', 5, 2], ['neighbours-10', 10, 1], ['pothole-busy', 3, 1]]);
  const pothole = r.body.categories.find((c) => c.code === 'pothole');
  assert.deepEqual(pothole, { code: 'pothole', department: 'streets', priority: 2, service_days: 5, service_days_source: 'automation' });
  assert.deepEqual(r.body.calendar.workdays, [1, 2, 3, 4, 5]);
  const ev = async (q) => (await api(server.url, 'GET', `/api/v1/automation/evaluate?${q}`)).body;
  let e = await ev('category=graffiti&district=32&reports=10');
  assert.deepEqual([e.department, e.route_rule, e.priority, e.priority_rule], ['graffiti-blasters', 'downtown-graffiti', 1, 'neighbours-10']);
  e = await ev('category=street_light_out&lat=41.9786&lon=-87.9048');
  assert.deepEqual([e.district, e.department], ['76', 'aviation']);
  // Friday 15:00 in Chicago + 5 working days for a pothole = the next Friday 15:00.
  e = await ev('category=pothole&district=1&first_at=2021-01-08T21:00:00Z&now=2021-01-15T20:59:00Z');
  assert.deepEqual([e.due_at, e.overdue], ['2021-01-15T21:00:00Z', false]);
  e = await ev('category=pothole&district=1&first_at=2021-01-08T21:00:00Z&now=2021-01-15T21:01:00Z');
  assert.equal(e.overdue, true);
  e = await ev('category=pothole&district=1&first_at=2021-01-08T21:00:00Z&now=2021-02-01T00:00:00Z&status=fixed');
  assert.equal(e.overdue, false);
  for (const q of ['', 'category=nope', 'category=pothole&district=99', 'category=pothole&lat=41.9',
    'category=pothole&reports=0', 'category=pothole&first_at=soon', 'category=pothole&x=1']) {
    const bad = await api(server.url, 'GET', `/api/v1/automation/evaluate?${q}`);
    assert.equal(bad.status, 400, q);
  }
});

test('the crews list and departments for the assignment form', async () => {
  const r = await api(server.url, 'GET', '/api/v1/staff/crews', { token: tok.disp });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.crews.map((c) => [c.name, c.department]),
    [['crew-lighting', 'lighting'], ['crew-streets', 'streets']]);
  for (const d of ['streets', 'lighting', 'aviation', 'graffiti-blasters']) assert.ok(r.body.departments.includes(d), d);
});

test('disabling an account or issuing a new token shuts the old one out at once', async () => {
  const t1 = await server.user('temp-crew', 'crew', 'streets');
  assert.equal((await api(server.url, 'GET', '/api/v1/me', { token: t1 })).status, 200);
  const { stdout } = await meldpunt(['user', 'token', 'temp-crew', '--db', server.db, '--city', CITY_DIR]);
  const t2 = stdout.trim();
  assert.notEqual(t1, t2);
  assert.equal((await api(server.url, 'GET', '/api/v1/me', { token: t1 })).status, 401);
  assert.equal((await api(server.url, 'GET', '/api/v1/me', { token: t2 })).status, 200);
  await meldpunt(['user', 'disable', 'temp-crew', '--db', server.db, '--city', CITY_DIR]);
  const r = await api(server.url, 'GET', '/api/v1/worklist', { token: t2 });
  assert.equal(r.status, 401);
  await assert.rejects(meldpunt(['user', 'add', 'x', '--role', 'crew', '--db', server.db, '--city', CITY_DIR]),
    /a crew belongs to a department/);
});
