// Where the two engines once answered differently (issue 15: "a test that passes on one engine
// and not the other is a bug"); each test runs as api.parity on SQLite and pg.api.parity on
// PostgreSQL with the same expectations.
// - "My reports" finds a reporter's reports by address without case, by one rule on both
//   engines (store_notify.h): A-Z equal a-z, no other character folds. PostgreSQL's lower()
//   used to fold by the database's locale, so that an address written with the Kelvin sign
//   (U+212A, which lowers to k) or a dotted capital I (U+0130, to i) signed in and listed as
//   the plain ASCII address: a look-alike could read someone else's list.
// - Anonymise masks contacts typed anywhere in Open311 attribute answers, also in answers that
//   are objects or lists nested in the stored JSON and in the answers to attributes the service
//   does not define (extra), and counts a row once on both engines. SQLite counted nested
//   texts but left them unmasked (and counted them again on every run); PostgreSQL neither
//   counted nor masked them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServer, meldpunt, dbQuery, LOOP, offset } from './lib.mjs';
import { startSink, links } from '../notify/mail.mjs';

const DAY = 86400;
const sql = (q) => dbQuery(srv.db, q);
const KEES = 'kees.klant@example.nl';
const KIM = 'kim.kelvin@example.nl';

let sink;
let srv;
let admin;
let client;
let spot = 0;

before(async () => {
  sink = await startSink();
  srv = await startServer({ env: { MELDPUNT_SMTP_URL: sink.url, MELDPUNT_SMTP_TLS: 'none',
    MELDPUNT_MAIL_FROM: 'meldpunt@city.example', MELDPUNT_MAIL_RETRY: '1' } });
  admin = await srv.user('parity-admin', 'admin');
  client = await srv.user('parity-client', 'client');
});
after(async () => {
  await srv.cleanup();
  await sink.stop();
});

/** A report 300 m from the others (a job of its own) with this contact address. */
async function report(email) {
  const p = offset(LOOP, 2400 - 300 * spot++, 900);
  const r = await api(srv.url, 'POST', '/api/v1/reports', { json: { category: 'graffiti', lat: p.lat,
    lon: p.lon, description: 'Tag on the wall', contact: { name: 'K. Klant', email } } });
  assert.equal(r.status, 201, r.text);
  return r.body.report.id;
}

/** Signs in as email (typed) through the link mailed to rcpt; the session header's value. */
async function signIn(email, rcpt) {
  const r = await api(srv.url, 'POST', '/api/v1/notify/signin', { json: { email } });
  assert.equal(r.status, 202, r.text);
  const link = (m) => m.envelope.rcpt_tos.includes(rcpt) && /Your reports/.test(m.subject);
  const mail = (await sink.waitFor((ms) => ms.some(link))).find(link);
  const token = new URL(links(mail.text).find((u) => u.includes('/my-reports.html?t='))).searchParams.get('t');
  const s = await api(srv.url, 'POST', '/api/v1/notify/session', { json: { token } });
  assert.equal(s.status, 200, s.text);
  return s.body.session;
}

test('"my reports": A-Z fold to a-z, look-alikes that lower to ASCII do not', async () => {
  const own = [await report('Kees.Klant@EXAMPLE.nl'), await report(KEES)];
  // The Kelvin sign for the K: PostgreSQL's lower() made it kees.klant@example.nl.
  const lookAlike = await report('\u212Aees.klant@example.nl');
  const session = await signIn(' Kees.Klant@Example.NL ', KEES);
  const list = await api(srv.url, 'GET', '/api/v1/notify/mine', { headers: { 'X-Meldpunt-Session': session } });
  assert.equal(list.status, 200, list.text);
  const ids = list.body.reports.map((x) => x.id).sort((a, b) => a - b);
  assert.deepEqual(ids, own, `the ASCII case variants are listed, not the Kelvin-sign look-alike ${lookAlike}`);
});

test('sign-in: an address known only through a look-alike gets no mail', async () => {
  // Kelvin sign and dotted capital I (U+0130): PostgreSQL's lower() made both kim.kelvin@...
  await report('\u212Aim.kelvin@example.nl');
  await report('k\u0130m.kelvin@example.nl');
  const fence = 'fence.after.kim@example.nl';
  await report(fence);
  for (const email of [KIM, fence]) {
    const r = await api(srv.url, 'POST', '/api/v1/notify/signin', { json: { email } });
    assert.equal(r.status, 202, r.text);
  }
  // The fence's link is queued after Kim's would be: once it is sent, Kim's would be too.
  await sink.waitFor((ms) => ms.some((m) => m.envelope.rcpt_tos.includes(fence) && /Your reports/.test(m.subject)));
  assert.equal(sql("SELECT count(*) FROM outbox WHERE kind = 'signin' AND rcpt = 'kim.kelvin@example.nl'"), '0');
  assert.ok(!(await sink.messages()).some((m) => m.envelope.rcpt_tos.includes(KIM)), 'no sign-in mail to Kim');
});

const TYPED_PHONE = '312-555-0147';
const TYPED_MAIL = 'pole.watcher@example.net';

test('anonymise masks contacts in nested attribute answers and counts a row once, on both engines', async () => {
  const p = offset(LOOP, -2400, -900);
  const r = await api(srv.url, 'POST', '/open311/v2/requests.json', { form: new URLSearchParams({
    api_key: client, service_code: 'street_light_out', lat: String(p.lat), long: String(p.lon),
    email: 'nested.answers@example.com', description: 'Dark pole', 'attribute[problem]': 'out',
    'attribute[fms_note]': `ring ${TYPED_PHONE}` }) });
  assert.equal(r.status, 200, r.text);
  const id = Number(r.body[0].service_request_id);
  const plain = await api(srv.url, 'POST', '/open311/v2/requests.json', { form: new URLSearchParams({
    api_key: client, service_code: 'street_light_out', lat: String(p.lat + 0.01), long: String(p.lon),
    description: 'Another dark pole', 'attribute[problem]': 'out' }) });
  assert.equal(plain.status, 200, plain.text);
  const plainId = Number(plain.body[0].service_request_id);
  assert.equal(sql(`SELECT extra FROM open311_attributes WHERE report_id = ${id}`), `{"fms_note":"ring ${TYPED_PHONE}"}`);
  // Answers as an importing client or an older version stored them: objects and lists inside
  // the object, a number, and a list of lists.
  const nested = `{"problem":"out","details":{"caller":"call ${TYPED_PHONE}","more":["mail ${TYPED_MAIL}",`
    + `{"deep":"${TYPED_MAIL}","n":3}]},"grid":[["a","b ${TYPED_PHONE}"]],"n":7}`;
  sql(`UPDATE open311_attributes SET json = '${nested}' WHERE report_id = ${id}`);
  const clusters = [];
  for (const rid of [id, plainId]) {
    const c = (await api(srv.url, 'GET', `/api/v1/reports/${rid}`)).body.properties.cluster_id;
    for (const status of ['acknowledged', 'in_progress', 'fixed']) {
      const s = await api(srv.url, 'POST', `/api/v1/clusters/${c}/status`, { token: admin, json: { status } });
      assert.equal(s.status, 200, s.text);
    }
    clusters.push(c);
  }
  sql(`UPDATE clusters SET updated_at = updated_at - 40 * ${DAY}, fixed_at = fixed_at - 40 * ${DAY}
    WHERE id IN (${clusters.join(',')})`);

  const dry = await meldpunt(['anonymise', '--db', srv.db, '--days', '30', '--dry-run']);
  assert.match(dry.stdout, /Open311 attribute answers would be masked: 1$/m);
  const run = await meldpunt(['anonymise', '--db', srv.db, '--days', '30']);
  assert.match(run.stdout, /Open311 attribute answers masked: 1$/m);
  assert.equal(sql(`SELECT json FROM open311_attributes WHERE report_id = ${id}`),
    '{"problem":"out","details":{"caller":"call [hidden]","more":["mail [hidden]",{"deep":"[hidden]","n":3}]},'
    + '"grid":[["a","b [hidden]"]],"n":7}');
  assert.equal(sql(`SELECT extra FROM open311_attributes WHERE report_id = ${id}`), '{"fms_note":"ring [hidden]"}');
  assert.equal(sql(`SELECT json FROM open311_attributes WHERE report_id = ${plainId}`), '{"problem":"out"}',
    'a row without contacts is left as it was');
  // Nothing left: a second run masks and counts nothing.
  const again = await meldpunt(['anonymise', '--db', srv.db, '--days', '30']);
  assert.match(again.stdout, /Open311 attribute answers masked: 0$/m);
});
