// Retention (`meldpunt anonymise`) beyond the closed clusters that privacy.test.mjs covers:
// clusters that were fixed or found not_responsible long ago lose their reporters' contacts
// too, and so do Open311 requests (the device and account ids the client sent, the typed
// description); open jobs and recent closures keep theirs. The values are read straight from
// the database, not through the API (which hides them anyway).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServer, meldpunt, dbQuery, LOOP, offset } from './lib.mjs';

const DAY = 86400;
const sql = (db, q) => dbQuery(db, q);

const WEB = { name: 'Fixd Ponderosa', email: 'fixed.web.4@example.org', phone: '+1 312 555 0104' };
const NR = { name: 'Nort Responsa', email: 'not.resp.6@example.org', phone: '+1 773 555 0106' };
const O311 = { first: 'Opal', last: 'Threeleven', email: 'o311.fixed.8@example.com', phone: '+1 872 555 0108',
  device: 'device-RET-8808', account: 'account-RET-8818' };
const OPEN = { email: 'o311.open.2@example.com', device: 'device-RET-2202', account: 'account-RET-2212' };
const RECENT = { name: 'Recent Fixer', email: 'recent.fix.3@example.org', phone: '+1 312 555 0113' };
const TYPED_PHONE = '312-555-0147';
const TYPED_MAIL = 'pole.watcher@example.net';

let srv;
let admin;
let client;
const ids = {};
const clusters = {};

async function web(key, p, contact, description) {
  const r = await api(srv.url, 'POST', '/api/v1/reports', { json: {
    category: 'graffiti', lat: p.lat, lon: p.lon, description, contact } });
  assert.equal(r.status, 201, r.text);
  ids[key] = r.body.report.id;
  clusters[key] = r.body.cluster.id;
}

async function open311(key, p, fields) {
  const r = await api(srv.url, 'POST', '/open311/v2/requests.json', { form: new URLSearchParams({
    api_key: client, service_code: 'street_light_out', lat: String(p.lat), long: String(p.lon), ...fields }) });
  assert.equal(r.status, 200, r.text);
  ids[key] = Number(r.body[0].service_request_id);
  clusters[key] = (await api(srv.url, 'GET', `/api/v1/reports/${ids[key]}`)).body.properties.cluster_id;
}

async function walk(key, statuses) {
  for (const status of statuses) {
    const r = await api(srv.url, 'POST', `/api/v1/clusters/${clusters[key]}/status`,
      { token: admin, json: { status, note: `${status} by the retention test` } });
    assert.equal(r.status, 200, r.text);
  }
}

before(async () => {
  srv = await startServer();
  admin = await srv.user('ret-admin', 'admin');
  client = await srv.user('ret-client', 'client');
  // Far apart (600 m): every report is a cluster of its own.
  await web('fixed', offset(LOOP, 600, 0), WEB, `Tag on the wall; call ${TYPED_PHONE}`);
  await web('notResponsible', offset(LOOP, 1200, 0), NR, 'Tag on a private fence');
  await open311('o311Fixed', offset(LOOP, 1800, 0), {
    first_name: O311.first, last_name: O311.last, email: O311.email, phone: O311.phone,
    device_id: O311.device, account_id: O311.account, description: `Dark pole, mail ${TYPED_MAIL}`,
    'attribute[problem]': 'out', 'attribute[pole_number]': `pole 17, call ${TYPED_PHONE}` });
  await open311('o311Open', offset(LOOP, 2400, 0), {
    email: OPEN.email, device_id: OPEN.device, account_id: OPEN.account, description: 'Still dark' });
  await web('recentFixed', offset(LOOP, 3000, 0), RECENT, 'Fixed today');
  await walk('fixed', ['acknowledged', 'in_progress', 'fixed']);
  await walk('notResponsible', ['not_responsible']);
  await walk('o311Fixed', ['acknowledged', 'in_progress', 'fixed']);
  await walk('recentFixed', ['acknowledged', 'in_progress', 'fixed']);
  // As if the server had run 40 more days: every cluster but the recent one was last
  // changed (and fixed) 40 days ago. The open one too: age alone must not clear it.
  const old = ['fixed', 'notResponsible', 'o311Fixed', 'o311Open'].map((k) => clusters[k]).join(',');
  sql(srv.db, `UPDATE clusters SET updated_at = updated_at - 40 * ${DAY},
    fixed_at = CASE WHEN fixed_at > 0 THEN fixed_at - 40 * ${DAY} ELSE fixed_at END WHERE id IN (${old})`);
});
after(async () => { await srv.cleanup(); });

const contact = (key) => sql(srv.db, `SELECT COALESCE(contact_name, '-') || '|' || COALESCE(contact_email, '-') || '|'
  || COALESCE(contact_phone, '-') FROM reports WHERE id = ${ids[key]}`);
const o311Ids = (key) => sql(srv.db, `SELECT COALESCE(device_id, '-') || '|' || COALESCE(account_id, '-')
  FROM open311_attributes WHERE report_id = ${ids[key]}`);
const description = (key) => sql(srv.db, `SELECT description FROM reports WHERE id = ${ids[key]}`);

test('fixed, not_responsible and Open311 reports closed long ago lose their personal data', async () => {
  // Before: everything is stored as sent.
  assert.equal(contact('fixed'), `${WEB.name}|${WEB.email}|${WEB.phone}`);
  assert.equal(contact('o311Fixed'), `${O311.first} ${O311.last}|${O311.email}|${O311.phone}`);
  assert.equal(o311Ids('o311Fixed'), `${O311.device}|${O311.account}`);
  assert.equal(o311Ids('o311Open'), `${OPEN.device}|${OPEN.account}`);

  const dry = await meldpunt(['anonymise', '--db', srv.db, '--days', '30', '--dry-run']);
  assert.match(dry.stdout, /closed clusters last changed before .*: 3$/m);
  assert.match(dry.stdout, /contact data would be cleared: 3$/m);
  assert.match(dry.stdout, /descriptions would be masked: 2$/m);
  assert.match(dry.stdout, /Open311 device\/account ids would be cleared: 1$/m);
  assert.match(dry.stdout, /Open311 attribute answers would be masked: 1$/m);
  assert.equal(o311Ids('o311Fixed'), `${O311.device}|${O311.account}`, 'a dry run changes nothing');

  // Their reporters' mail (issue 16) goes with them: what the outbox holds for the three.
  const old = ['fixed', 'notResponsible', 'o311Fixed'].map((k) => ids[k]).join(',');
  const mail = Number(sql(srv.db, `SELECT count(*) FROM outbox WHERE report_id IN (${old})`));
  const subs = Number(sql(srv.db, `SELECT count(*) FROM notify_subs WHERE report_id IN (${old})`));
  assert.equal(subs, 3, 'each gave an address');
  assert.ok(mail >= 3, `a confirmation each at least (${mail})`);
  const kept = Number(sql(srv.db, `SELECT count(*) FROM outbox WHERE report_id NOT IN (${old})`));

  const run = await meldpunt(['anonymise', '--db', srv.db, '--days', '30']);
  assert.match(run.stdout, /closed clusters last changed before .*: 3$/m);
  assert.match(run.stdout, /contact data was cleared: 3$/m);
  assert.match(run.stdout, /descriptions masked: 2$/m);
  assert.match(run.stdout, /Open311 device\/account ids cleared: 1$/m);
  assert.match(run.stdout, /Open311 attribute answers masked: 1$/m);

  assert.equal(contact('fixed'), '-|-|-', 'fixed long ago');
  assert.equal(description('fixed'), 'Tag on the wall; call [hidden]');
  assert.equal(contact('notResponsible'), '-|-|-', 'not_responsible long ago');
  assert.equal(description('notResponsible'), 'Tag on a private fence');
  assert.equal(contact('o311Fixed'), '-|-|-', 'Open311, fixed long ago');
  assert.equal(o311Ids('o311Fixed'), '-|-', 'device and account ids cleared');
  assert.equal(description('o311Fixed'), 'Dark pole, mail [hidden]');
  // Kept: an open job, however old, and a recent closure.
  assert.equal(contact('o311Open'), `-|${OPEN.email}|-`);
  assert.equal(o311Ids('o311Open'), `${OPEN.device}|${OPEN.account}`);
  assert.equal(contact('recentFixed'), `${RECENT.name}|${RECENT.email}|${RECENT.phone}`);
  assert.equal(sql(srv.db, "SELECT detail FROM audit WHERE action = 'anonymise'").replace(/"cutoff":\d+,/, ''),
    `{"clusters":3,"reports":3,"descriptions":2,"open311":1,"attributes":1,"outbox":${mail},`
    + `"tokens":0,"subscriptions":3,"answers":0,"alerts":0}`);
  assert.match(run.stdout, new RegExp(`outbox messages deleted: ${mail}$`, 'm'));
  assert.equal(sql(srv.db, `SELECT count(*) FROM outbox WHERE report_id IN (${old})`), '0');
  assert.equal(sql(srv.db, `SELECT count(*) FROM notify_subs WHERE report_id IN (${old})`), '0');
  assert.equal(Number(sql(srv.db, 'SELECT count(*) FROM outbox')), kept, 'the open and recent ones keep theirs');

  // Public fields stay: the jobs keep their statuses and the Open311 answer its attributes.
  const st = async (k) => (await api(srv.url, 'GET', `/api/v1/clusters/${clusters[k]}`)).body.properties.status;
  assert.equal(await st('fixed'), 'fixed');
  assert.equal(await st('notResponsible'), 'not_responsible');
  const [req] = (await api(srv.url, 'GET', `/open311/v2/requests/${ids.o311Fixed}.json?extensions=true`)).body;
  assert.equal(req.status, 'closed');
  assert.deepEqual(req.attributes.map((a) => [a.name, a.code]),
    [['problem', 'out'], ['pole_number', 'pole 17, call [hidden]']]);

  // Idempotent: nothing left to clear, nothing more to log.
  const again = await meldpunt(['anonymise', '--db', srv.db, '--days', '30']);
  assert.match(again.stdout, /contact data was cleared: 0$/m);
  assert.match(again.stdout, /Open311 device\/account ids cleared: 0$/m);
  assert.match(again.stdout, /Open311 attribute answers masked: 0$/m);
  assert.equal(sql(srv.db, "SELECT count(*) FROM audit WHERE action = 'anonymise'"), '1');
});

// Typed answers to an Open311 string attribute are public text like a description (the
// answers mask contacts in them, see above): anonymise masks the stored text too, in place,
// keeping every other answer and the object's order. Runs after the test above.
test('anonymise masks contacts typed into Open311 attribute answers', async () => {
  const stored = sql(srv.db, `SELECT json FROM open311_attributes WHERE report_id = ${ids.o311Fixed}`);
  assert.ok(!stored.includes(TYPED_PHONE), `the stored attributes still hold the typed phone number: ${stored}`);
  assert.equal(stored, '{"problem":"out","pole_number":"pole 17, call [hidden]"}');
});

// Area alerts (issue 16) hold an address without a report: one never confirmed and made before
// the cut-off, or one stopped before it, loses the address and its unsent digest items (the
// hash stays, for the stop list); a confirmed live alert keeps it (the subscriber consented and
// can unsubscribe), and so does one asked for recently. Runs after the tests above.
test('anonymise clears the address of old unconfirmed and stopped area alerts, not of live ones', async () => {
  const A = { unconfirmed: 'old.unconfirmed@example.org', stopped: 'old.stopped@example.org',
    live: 'old.live@example.org', fresh: 'fresh.unconfirmed@example.org' };
  const id = {};
  for (const [k, email] of Object.entries(A)) {
    const r = await api(srv.url, 'POST', '/api/v1/alerts', { json: { email, lat: LOOP.lat, lon: LOOP.lon, radius_m: 500 } });
    assert.equal(r.status, 202, r.text);
    id[k] = Number(sql(srv.db, `SELECT id FROM alert_subs WHERE email = '${email}'`));
  }
  const ago = `${Math.floor(Date.now() / 1000) - 40 * DAY}`;
  sql(srv.db, `UPDATE alert_subs SET created_at = ${ago} WHERE id IN (${id.unconfirmed}, ${id.stopped}, ${id.live})`);
  sql(srv.db, `UPDATE alert_subs SET confirmed_at = ${ago} WHERE id IN (${id.stopped}, ${id.live})`);
  sql(srv.db, `UPDATE alert_subs SET stopped_at = ${ago} + 3600 WHERE id = ${id.stopped}`);
  sql(srv.db, `INSERT INTO digest_items (alert_id, what, report_id, cluster_id, at) VALUES
    (${id.stopped}, 'new', ${ids.fixed}, ${clusters.fixed}, ${ago}), (${id.live}, 'new', ${ids.fixed}, ${clusters.fixed}, ${ago})`);
  const state = () => sql(srv.db, `SELECT COALESCE(email, '-') || '|' || CASE WHEN email_hash <> '' THEN 'hash' ELSE '-' END || '|'
    || (SELECT count(*) FROM digest_items i WHERE i.alert_id = a.id) FROM alert_subs a
    WHERE a.id IN (${Object.values(id).join(',')}) ORDER BY a.id`).split('\n');
  const before = [`${A.unconfirmed}|hash|0`, `${A.stopped}|hash|1`, `${A.live}|hash|1`, `${A.fresh}|hash|0`];
  assert.deepEqual(state(), before);

  const dry = await meldpunt(['anonymise', '--db', srv.db, '--days', '30', '--dry-run']);
  assert.match(dry.stdout, /area alert addresses would be cleared: 2$/m);
  assert.deepEqual(state(), before, 'a dry run changes nothing');

  const run = await meldpunt(['anonymise', '--db', srv.db, '--days', '30']);
  assert.match(run.stdout, /area alert addresses cleared: 2$/m);
  assert.deepEqual(state(), [`-|hash|0`, `-|hash|0`, `${A.live}|hash|1`, `${A.fresh}|hash|0`]);
  assert.match(sql(srv.db, "SELECT detail FROM audit WHERE action = 'anonymise' ORDER BY id DESC LIMIT 1"),
    /"subscriptions":0,"answers":0,"alerts":2\}$/);

  const again = await meldpunt(['anonymise', '--db', srv.db, '--days', '30']);
  assert.match(again.stdout, /area alert addresses cleared: 0$/m);
});
