// Privacy (issue 8, part 4): reporters' contact details never appear in a
// public answer or export, contacts typed into a description are masked, and
// retention (`meldpunt anonymise`) removes them from reports closed long ago.
//
// The walk covers every GET route of server/router.c: the test reads the
// route table and fails when a route has no URL in the walk, so a new
// endpoint cannot slip past it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { api, startServer, meldpunt, dbQuery, LOOP, offset, SOURCE_DIR, CITY_DIR } from './lib.mjs';

const ENV = { MELDPUNT_RATE_WRITES: '0' };

// Distinctive values that must never be shown publicly.
const A = { name: 'Zyxwv Qqqq', email: 'zq.private.7@example.org', phone: '+1 312 555 0199' };
const B = { name: 'Vvvxq Ppqr', email: 'vp.form.9@example.com', phone: '+1 773 555 0177' };
const C = { first: 'Kkqwz', last: 'Jjxyq', email: 'o311.private.5@example.com', phone: '+1 872 555 0123',
  device: 'dev-PRIV-5511', account: 'acct-PRIV-7733' };
const D = { name: 'Wwqzx Rrtt', email: 'dup.private.3@example.net', phone: '(312) 555-0188' };
// Typed by the reporter into public descriptions: shown masked.
const TYPED = { email: 'typed.in.8@example.net', phone: '+1 (312) 555-0142' };
const DESC_A = `Deep hole, call me at ${TYPED.phone} or mail ${TYPED.email} for details`;
const DESC_A_PUBLIC = 'Deep hole, call me at [hidden] or mail [hidden] for details';
const DESC_C = 'Pothole reported by phone 773.555.0166 please fix';
const DESC_C_PUBLIC = 'Pothole reported by phone [hidden] please fix';

/** The text forms a private value could take in an answer. */
function forms(v) {
  const out = new Set([v, v.toLowerCase(), encodeURIComponent(v), JSON.stringify(v).slice(1, -1)]);
  const digits = v.replace(/\D/g, '');
  if (/^[+(\d]/.test(v) && digits.length >= 10) {
    out.add(digits);
    out.add(`${digits.slice(-10, -7)}-${digits.slice(-7, -4)}-${digits.slice(-4)}`);
    out.add(`${digits.slice(-7, -4)}-${digits.slice(-4)}`);
    out.add(`${digits.slice(-7, -4)} ${digits.slice(-4)}`);
  }
  return [...out].filter((s) => s.length >= 5);
}
const PRIVATE = [
  ...[A, B, D].flatMap((c) => [c.name, c.email, c.phone]),
  C.first, C.last, C.email, C.phone, C.device, C.account,
  TYPED.email, TYPED.phone, '773.555.0166',
].flatMap(forms);

/** GET routes of the router: [{ pattern, re }]. */
async function getRoutes() {
  const src = await readFile(path.join(SOURCE_DIR, 'server', 'router.c'), 'utf8');
  const table = src.slice(src.indexOf('routes[] = {'), src.indexOf('};', src.indexOf('routes[] = {')));
  const routes = [];
  for (const m of table.matchAll(/\{"GET",\s*"([^"]+)"/g)) {
    const re = new RegExp(`^${m[1].replace(/[.]/g, '\\.').replace(/\*$/, '[^/]+').replace('{id}', '[1-9][0-9]*')}$`);
    routes.push({ pattern: m[1], re });
  }
  return routes;
}

function leaks(text) {
  return PRIVATE.filter((p) => text.includes(p));
}

test('no contact detail appears in any public answer or export', { timeout: 600000 }, async () => {
  const server = await startServer({ demo: true, env: ENV });
  try {
    const admin = await server.user('privacy-admin', 'admin');
    const client = await server.user('privacy-client', 'client');

    // A: JSON with contact and typed-in contacts in the description.
    const pa = await api(server.url, 'POST', '/api/v1/reports', { json: {
      category: 'pothole', lat: LOOP.lat, lon: LOOP.lon, description: DESC_A, address: '50 W Jackson Blvd',
      contact: A } });
    assert.equal(pa.status, 201, pa.text);
    // B: multipart with contact fields and a photo carrying EXIF GPS.
    const fd = new FormData();
    const pb = offset(LOOP, 400, 0);
    for (const [k, v] of Object.entries({ category: 'graffiti', lat: String(pb.lat), lon: String(pb.lon),
      description: 'Tags on the bridge', contact_name: B.name, contact_email: B.email, contact_phone: B.phone })) fd.append(k, v);
    const jpeg = await readFile(path.join(SOURCE_DIR, 'tests', 'fixtures', 'photos', 'gps_orient6.jpg'));
    fd.append('photo', new Blob([jpeg], { type: 'image/jpeg' }), 'IMG_0001.jpg');
    const rb = await api(server.url, 'POST', '/api/v1/reports', { form: fd });
    assert.equal(rb.status, 201, rb.text);
    // C: Open311 with the standard's personal fields.
    const pc = offset(LOOP, -500, 300);
    const o = await api(server.url, 'POST', '/open311/v2/requests.json', { form: new URLSearchParams({
      api_key: client, service_code: 'pothole', lat: String(pc.lat), long: String(pc.lon), description: DESC_C,
      first_name: C.first, last_name: C.last, email: C.email, phone: C.phone, device_id: C.device,
      account_id: C.account }) });
    assert.ok(o.status === 200 || o.status === 201, o.text);
    const idC = Number(o.body[0].service_request_id);
    // D: a duplicate of A (joins its cluster) with its own contact.
    const pd = offset(LOOP, 2, 1);
    const rd = await api(server.url, 'POST', '/api/v1/reports', { json: {
      category: 'pothole', lat: pd.lat, lon: pd.lon, description: 'Same hole', contact: D } });
    assert.equal(rd.status, 201, rd.text);
    const ids = { a: pa.body.report.id, b: rb.body.report.id, c: idC, d: rd.body.report.id };
    const clusters = { a: pa.body.cluster.id, b: rb.body.cluster.id };
    assert.equal(rd.body.cluster.id, clusters.a, 'D joined A');
    const cC = (await api(server.url, 'GET', `/api/v1/reports/${ids.c}`)).body.properties.cluster_id;
    // History with a public note on A's cluster.
    const st = await api(server.url, 'POST', `/api/v1/clusters/${clusters.a}/status`, { token: admin,
      json: { status: 'acknowledged', note: 'Seen by the crew', note_public: true } });
    assert.equal(st.status, 200, st.text);

    // The staff view does hold the contacts (so the seeding worked and the
    // searches below can find them if they leak).
    const staff = await api(server.url, 'GET', `/api/v1/staff/clusters/${clusters.a}`, { token: admin });
    assert.equal(staff.status, 200, staff.text);
    assert.ok(staff.text.includes(A.email) && staff.text.includes(D.phone), 'staff see contacts');
    assert.ok(leaks(staff.text).length >= 4, 'the search finds contacts where they are shown');

    const bbox = `${LOOP.lon - 0.05},${LOOP.lat - 0.05},${LOOP.lon + 0.05},${LOOP.lat + 0.05}`;
    const now = new Date();
    const day = (d) => new Date(now.getTime() + d * 86400000).toISOString().slice(0, 19) + 'Z';
    const urls = [
      '/healthz', '/metrics', '/api/v1/config', '/api/v1/categories', '/api/v1/districts', '/api/v1/service-area',
      '/api/v1/reports', `/api/v1/reports?bbox=${bbox}&limit=5000`,
      ...Object.values(ids).map((id) => `/api/v1/reports/${id}`),
      `/api/v1/reports/${ids.b}/photo`, `/api/v1/reports/${ids.b}/photo/thumb`,
      `/api/v1/reports/${ids.a}/fix-photo`, `/api/v1/reports/${ids.a}/fix-photo/thumb`,
      '/api/v1/clusters', `/api/v1/clusters?bbox=${bbox}&limit=5000`,
      `/api/v1/clusters/grid?bbox=${bbox}&zoom=12`, `/api/v1/clusters/${clusters.a}`,
      `/api/v1/clusters/${clusters.b}`, `/api/v1/clusters/${cC}`,
      `/api/v1/nearby?lat=${LOOP.lat}&lon=${LOOP.lon}&category=pothole`,
      '/api/v1/places?q=Clark%20%26%20Division', '/api/v1/places/suggest?q=1600%20W%20Full', `/api/v1/places?lat=${LOOP.lat}&lon=${LOOP.lon}`,
      `/api/v1/streets?bbox=${LOOP.lon - 0.005},${LOOP.lat - 0.005},${LOOP.lon + 0.005},${LOOP.lat + 0.005}`,
      ...['geojson', 'geojsonseq', 'csv'].flatMap((f) => ['reports', 'clusters'].map((w) => `/api/v1/export?format=${f}&what=${w}`)),
      '/api/v1/stats', '/api/v1/stats?group_by=category', '/api/v1/stats?group_by=district', '/api/v1/stats?group_by=week',
      '/ogc', '/ogc/', '/ogc/conformance', '/ogc/collections',
      ...['reports', 'clusters', 'districts'].flatMap((c) => [`/ogc/collections/${c}`, `/ogc/collections/${c}/items?limit=10000`]),
      `/ogc/collections/reports/items/${ids.a}`, `/ogc/collections/reports/items/${ids.c}`,
      `/ogc/collections/clusters/items/${clusters.a}`, '/ogc/collections/districts/items/1',
      '/ogc/api', ...['reports', 'clusters', 'districts'].map((c) => `/ogc/collections/${c}/queryables`),
      '/ogc/collections/reports/items?limit=10000&f=html', `/ogc/collections/reports/items/${ids.a}?f=html`,
      '/api/v1/me', '/api/v1/automation', `/api/v1/automation/evaluate?lat=${LOOP.lat}&lon=${LOOP.lon}&category=pothole`,
      '/api/v1/staff/queue', `/api/v1/staff/clusters/${clusters.a}`, `/api/v1/staff/clusters/${clusters.a}/merge-candidates`, '/api/v1/staff/crews',
      `/api/v1/staff/photos/${clusters.b}`, `/api/v1/staff/photos/${clusters.b}/thumb`, '/api/v1/worklist',
      ...['xml', 'json'].flatMap((f) => [
        `/open311/v2/discovery.${f}`, `/open311/v2/services.${f}`, `/open311/v2/services/pothole.${f}`,
        `/open311/v2/requests.${f}`, `/open311/v2/requests.${f}?service_request_id=${ids.a},${ids.b},${ids.c},${ids.d}`,
        `/open311/v2/requests.${f}?start_date=${day(-2)}&end_date=${day(1)}`,
        `/open311/v2/requests/${ids.a}.${f}`, `/open311/v2/requests/${ids.c}.${f}`, `/open311/v2/tokens/1.${f}`,
        `/open311/v2/servicerequestupdates.${f}?start_date=${day(-2)}&end_date=${day(1)}`,
      ]),
      '/', '/index.html', `/r/${ids.a}`, '/stats', '/staff', '/crew', '/main.js', '/api.js', '/report.js',
      // The reporters' mail (issue 16): links out of mail, answers, the outbox.
      '/api/v1/notify/unsubscribe?t=mp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/api/v1/notify/mine',
      `/api/v1/clusters/${clusters.a}/feedback`, '/api/v1/feedback/1/photo', '/api/v1/feedback/1/photo/thumb',
      '/api/v1/outbox', '/api/v1/outbox/1', '/api/v1/webhooks', '/api/v1/webhooks/1/deliveries', '/feeds/reports.atom',
    ];
    const routes = await getRoutes();
    const covered = new Set();
    const statuses = [];
    let bytes = 0;
    // Anonymous, then as an API client (not staff): neither may see contacts.
    for (const token of [undefined, client]) {
      for (const u of urls) {
        const p = u.split('?')[0];
        for (const r of routes) if (r.re.test(p)) covered.add(r.pattern);
        const res = await fetch(server.url + u, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
        const body = Buffer.from(await res.arrayBuffer());
        bytes += body.length;
        const text = body.toString('latin1');
        statuses.push(`${res.status} ${u}`);
        assert.ok(res.status < 500, `${u}: HTTP ${res.status} ${text.slice(0, 200)}`);
        assert.deepEqual(leaks(text), [], `${u}${token ? ' (API client)' : ''} shows contact data`);
        if (u.startsWith('/api/v1/reports/') && u.includes('/photo')) {
          assert.equal(res.status, 200, `${u}: the photo is public`);
          assert.ok(!text.includes('Exif') && !text.includes('GPS'), `${u}: photo metadata is stripped`);
        }
      }
    }
    const missing = routes.filter((r) => !covered.has(r.pattern)).map((r) => r.pattern);
    assert.deepEqual(missing, [], 'every GET route of the router is walked');

    // Typed-in contacts are masked where the description is shown.
    const ga = await api(server.url, 'GET', `/api/v1/reports/${ids.a}`);
    assert.equal(ga.body.properties.description, DESC_A_PUBLIC);
    const gc = await api(server.url, 'GET', `/open311/v2/requests/${ids.c}.json`);
    assert.equal(gc.body[0].description, DESC_C_PUBLIC);
    const csv = await api(server.url, 'GET', `/api/v1/export?format=csv&what=reports&bbox=${bbox}`);
    assert.ok(csv.text.includes(DESC_A_PUBLIC), 'CSV export masks the description');
    // Error answers do not echo contact data either.
    const bad = await api(server.url, 'POST', '/api/v1/reports', { json: {
      category: 'pothole', lat: LOOP.lat, lon: LOOP.lon, contact: { name: A.name, email: 'not-an-email ' + A.email } } });
    assert.equal(bad.status, 400);
    assert.deepEqual(leaks(bad.text), [], 'a validation error does not echo the contact');

    // The command-line exports are public data too.
    for (const f of ['geojson', 'geojsonseq', 'csv']) {
      for (const w of ['reports', 'clusters']) {
        for (const internal of [false, true]) {
          const args = ['export', '--db', server.db, '--city', CITY_DIR, '--format', f, '--what', w];
          if (internal) args.push('--internal');
          const { stdout } = await meldpunt(args, { env: ENV });
          bytes += stdout.length;
          assert.ok(stdout.length > 100, `meldpunt ${args.join(' ')} wrote something`);
          assert.deepEqual(leaks(stdout), [], `meldpunt ${args.slice(0, 1).concat(args.slice(5)).join(' ')} shows contact data`);
        }
      }
    }
    console.log(`privacy walk: ${urls.length * 2} requests over ${routes.length} GET routes, `
      + `12 command-line exports, ${(bytes / 1e6).toFixed(1)} MB searched for ${PRIVATE.length} private strings`);
  } finally {
    await server.cleanup();
  }
});

function sql(db, q) {
  return dbQuery(db, q);
}

test('meldpunt anonymise removes contacts of reports closed more than N days ago', { timeout: 300000 }, async () => {
  const server = await startServer({ env: ENV });
  try {
    const admin = await server.user('retention-admin', 'admin');
    const post = async (p, contact, description, category = 'pothole') => {
      const r = await api(server.url, 'POST', '/api/v1/reports', { json: {
        category, lat: p.lat, lon: p.lon, description, contact } });
      assert.equal(r.status, 201, r.text);
      return r.body;
    };
    const old1 = await post(LOOP, A, DESC_A);                      // closed 40 days ago
    const old2 = await post(offset(LOOP, 2, 0), D, 'Same hole');     // joins it
    const recent = await post(offset(LOOP, 600, 0), B, `Mail ${TYPED.email}`); // closed today
    const open = await post(offset(LOOP, -600, 0), C.email ? { email: C.email, phone: C.phone } : {}, 'Still open');
    assert.equal(old2.cluster.id, old1.cluster.id);
    for (const c of [old1.cluster.id, recent.cluster.id]) {
      const r = await api(server.url, 'POST', `/api/v1/clusters/${c}/status`, { token: admin,
        json: { status: 'closed', note: 'Done', note_public: true } });
      assert.equal(r.status, 200, r.text);
    }
    // Age the first closure by 40 days (as if the server had run that long).
    sql(server.db, `UPDATE clusters SET updated_at = updated_at - 40 * 86400 WHERE id = ${old1.cluster.id}`);
    const contacts = () => sql(server.db, 'SELECT id, COALESCE(contact_name, \'-\'), COALESCE(contact_email, \'-\'),'
      + ' COALESCE(contact_phone, \'-\') FROM reports ORDER BY id');
    const before = contacts();

    const dry = await meldpunt(['anonymise', '--db', server.db, '--days', '30', '--dry-run']);
    assert.match(dry.stdout, /closed clusters last changed before .*: 1$/m);
    assert.match(dry.stdout, /contact data would be cleared: 2$/m);
    assert.match(dry.stdout, /descriptions would be masked: 1$/m);
    assert.equal(contacts(), before, 'a dry run changes nothing');

    // Not old enough for 50 days.
    const none = await meldpunt(['anonymise', '--db', server.db, '--days', '50']);
    assert.match(none.stdout, /contact data was cleared: 0$/m);
    assert.equal(contacts(), before);

    // While the server runs.
    const run = await meldpunt(['anonymise', '--db', server.db], { env: { MELDPUNT_RETENTION_DAYS: '30' } });
    assert.match(run.stdout, /contact data was cleared: 2$/m);
    assert.match(run.stdout, /descriptions masked: 1$/m);
    const rows = Object.fromEntries(contacts().split('\n').map((l) => { const [id, ...rest] = l.split('|'); return [id, rest.join('|')]; }));
    assert.equal(rows[old1.report.id], '-|-|-');
    assert.equal(rows[old2.report.id], '-|-|-');
    assert.equal(rows[recent.report.id], `${B.name}|${B.email}|${B.phone}`, 'closed today: kept');
    assert.equal(rows[open.report.id], `-|${C.email}|${C.phone}`, 'open: kept');
    assert.equal(sql(server.db, `SELECT description FROM reports WHERE id = ${old1.report.id}`), DESC_A_PUBLIC,
      'typed-in contacts are masked in the stored description too');
    assert.equal(sql(server.db, `SELECT description FROM reports WHERE id = ${recent.report.id}`), `Mail ${TYPED.email}`);
    assert.match(sql(server.db, "SELECT user_name || ' ' || detail FROM audit WHERE action = 'anonymise'"),
      /^command-line \{"cutoff":\d+,"clusters":1,"reports":2,"descriptions":1,"open311":0,"attributes":0,"outbox":\d+,"tokens":0,"subscriptions":2,"answers":0,"alerts":0\}$/);
    // Public fields are untouched and the server still serves the report.
    const g = await api(server.url, 'GET', `/api/v1/reports/${old1.report.id}`);
    assert.equal(g.status, 200);
    assert.equal(g.body.properties.status, 'closed');
    assert.equal(g.body.properties.description, DESC_A_PUBLIC);
    // Idempotent.
    const again = await meldpunt(['anonymise', '--db', server.db, '--days', '30']);
    assert.match(again.stdout, /contact data was cleared: 0$/m);
    assert.match(again.stdout, /descriptions masked: 0$/m);
    assert.equal(sql(server.db, "SELECT count(*) FROM audit WHERE action = 'anonymise'"), '1', 'nothing to log');
    // Usage errors.
    await assert.rejects(meldpunt(['anonymise', '--db', server.db]), /give --days N/);
    await assert.rejects(meldpunt(['anonymise', '--db', server.db, '--days', 'x']), /--days must be/);
  } finally {
    await server.cleanup();
  }
});
