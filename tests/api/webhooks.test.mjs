// Webhooks (issue 16 point 4) with a real HTTP receiver: node's http server on a free port
// checks every delivery's HMAC-SHA256 signature (over "<timestamp>.<body>" with the secret it
// was registered with) and the CloudEvents 1.0 structured body; it can answer 500 for a while
// to show the doubling retries, and the deliveries that gave up are visible and sent again
// through the admin API. No reporter's address goes out unless the webhook asks for contacts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { api, startServer, LOOP, offset } from './lib.mjs';

const SECRET = 'whsec-0123456789abcdef';
const OTHER = 'another-secret-for-the-crm';
const EMAIL = 'hook.reporter@example.org';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A receiver: every request kept with whether its signature holds under `secret`. */
async function receiver(secret) {
  const r = { got: [], failFor: 0, status: 500 };
  r.server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(req.headers['meldpunt-signature'] || '');
      let valid = false;
      if (sig) {
        const want = createHmac('sha256', secret).update(`${sig[1]}.`).update(body).digest();
        valid = timingSafeEqual(want, Buffer.from(sig[2], 'hex'))
          && Math.abs(Number(sig[1]) - Date.now() / 1000) < 300;
      }
      const entry = { at: Date.now(), headers: req.headers, method: req.method, body: body.toString('utf8'), valid };
      try { entry.json = JSON.parse(entry.body); } catch { entry.json = null; }
      r.got.push(entry);
      if (r.failFor > 0) {
        r.failFor--;
        res.writeHead(r.status).end('not now');
      } else {
        res.writeHead(valid ? 204 : 401).end();
      }
    });
  });
  await new Promise((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${r.server.address().port}/hooks/meldpunt`;
  r.waitFor = async (pred, what = 'a delivery', timeout = 30000) => {
    const end = Date.now() + timeout;
    while (!pred(r.got)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; got ${r.got.map((g) => g.json?.type).join(', ')}`);
      await sleep(50);
    }
    return r.got;
  };
  return r;
}

let srv;
let admin;
let crm;
let warehouse;

before(async () => {
  crm = await receiver(SECRET);
  warehouse = await receiver(OTHER);
  srv = await startServer({ env: { MELDPUNT_WEBHOOK_RETRY: '1', MELDPUNT_WEBHOOK_GIVE_UP: '6' } });
  admin = await srv.user('hook-admin', 'admin');
});
after(async () => {
  await srv.cleanup();
  crm.server.close();
  warehouse.server.close();
});

const hooks = (method, path, json) => api(srv.url, method, `/api/v1/webhooks${path}`, { token: admin, json });
let spot = 0;
async function report(email) {
  const p = offset(LOOP, -300 * (1 + spot++), -2500);
  const r = await api(srv.url, 'POST', '/api/v1/reports', {
    json: { category: 'graffiti', lat: p.lat, lon: p.lon, description: 'Tag', contact: email ? { name: 'H. Reporter', email } : undefined } });
  assert.equal(r.status, 201, r.text);
  return { id: r.body.report.id, cluster: r.body.cluster.id };
}
const move = (cluster, status, note) => api(srv.url, 'POST', `/api/v1/clusters/${cluster}/status`,
  { token: admin, json: note ? { status, note, note_public: true } : { status } });

test('registering: admins only, the URL, secret and event types checked, the secret never shown', async () => {
  const client = await srv.user('hook-client', 'client');
  const no = await api(srv.url, 'POST', '/api/v1/webhooks', { token: client, json: { url: crm.url, secret: SECRET, events: ['report.created'] } });
  assert.equal(no.status, 403);
  assert.equal(no.body.error.message, 'only admins may manage webhooks');
  for (const [body, message] of [
    [{ url: 'ftp://x.example/', secret: SECRET, events: ['report.created'] }, 'url must be an http:// or https:// URL of at most 511 characters'],
    [{ url: crm.url, secret: 'short', events: ['report.created'] }, 'secret must be 16-128 printable ASCII characters without spaces'],
    [{ url: crm.url, secret: SECRET, events: ['report.deleted'] }, "'report.deleted' is not an event type; one of: report.created, cluster.status_changed, cluster.merged, report.moved, cluster.public_note"],
    [{ url: crm.url, secret: SECRET, events: [] }, 'events must name at least one of: report.created, cluster.status_changed, cluster.merged, report.moved, cluster.public_note'],
  ]) {
    const r = await hooks('POST', '', body);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.error.message, message);
  }
  const a = await hooks('POST', '', { url: crm.url, secret: SECRET, events: ['cluster.status_changed', 'report.created', 'report.created'] });
  assert.equal(a.status, 201, a.text);
  assert.deepEqual({ ...a.body, created_at: undefined, id: undefined },
    { url: crm.url, events: ['report.created', 'cluster.status_changed'], contacts: false, created_at: undefined, id: undefined });
  const b = await hooks('POST', '', { url: warehouse.url, secret: OTHER, events: ['cluster.public_note', 'cluster.merged'], contacts: true });
  assert.equal(b.status, 201, b.text);
  const list = await hooks('GET', '');
  assert.deepEqual(list.body.webhooks.map((w) => w.id), [a.body.id, b.body.id]);
  assert.ok(!list.text.includes(SECRET) && !list.text.includes(OTHER), 'secrets are not shown');
  assert.ok(list.body.event_types.includes('report.moved'));
});

test('CloudEvents 1.0 bodies, signed; once per event id; no address unless the webhook asks', async () => {
  const a = await report(EMAIL);
  await crm.waitFor((g) => g.some((x) => x.json?.type === 'org.meldpunt.report.created' && x.json.data.report_id === a.id));
  const created = crm.got.find((x) => x.json?.data?.report_id === a.id);
  assert.equal(created.valid, true, 'the signature holds');
  assert.equal(created.method, 'POST');
  assert.equal(created.headers['content-type'], 'application/cloudevents+json; charset=utf-8');
  assert.match(created.headers['meldpunt-delivery'], /^[0-9a-f]{32}$/);
  const ce = created.json;
  assert.equal(ce.specversion, '1.0');
  assert.match(ce.id, /^[0-9a-f]{32}$/);
  assert.equal(ce.source, srv.url);
  assert.equal(ce.subject, `reports/${a.id}`);
  assert.equal(ce.datacontenttype, 'application/json');
  assert.ok(Math.abs(Date.parse(ce.time) - Date.now()) < 60000, ce.time);
  assert.deepEqual(ce.data, { cluster_id: a.cluster, report_id: a.id, url: `${srv.url}/r/${a.id}`, joined: false });
  assert.ok(!created.body.includes('@'), 'no address in the body');

  assert.equal((await move(a.cluster, 'acknowledged', 'Seen by the crew')).status, 200);
  await crm.waitFor((g) => g.some((x) => x.json?.type === 'org.meldpunt.cluster.status_changed' && x.json.data.cluster_id === a.cluster));
  const changed = crm.got.find((x) => x.json?.type === 'org.meldpunt.cluster.status_changed' && x.json.data.cluster_id === a.cluster);
  assert.equal(changed.valid, true);
  assert.deepEqual(changed.json.data, { cluster_id: a.cluster, report_id: null, url: `${srv.url}/api/v1/clusters/${a.cluster}`,
    from: 'new', to: 'acknowledged', note: 'Seen by the crew' });
  assert.equal(changed.json.subject, `clusters/${a.cluster}`);
  // The warehouse asked for public notes and contacts: the same change, as a note, signed with its secret.
  await warehouse.waitFor((g) => g.some((x) => x.json?.data?.cluster_id === a.cluster));
  const note = warehouse.got.find((x) => x.json?.data?.cluster_id === a.cluster);
  assert.equal(note.valid, true, 'signed with the warehouse\'s secret');
  assert.equal(note.json.type, 'org.meldpunt.cluster.public_note');
  assert.equal(note.json.id, changed.json.id, 'one event, one id, whoever hears it');
  assert.ok(!warehouse.got.some((x) => x.json?.type === 'org.meldpunt.report.created'), 'it did not ask for new reports');
  // A change without a note is not a note.
  assert.equal((await move(a.cluster, 'scheduled')).status, 200);
  await crm.waitFor((g) => g.some((x) => x.json?.data?.to === 'scheduled'));
  await sleep(500);
  assert.equal(warehouse.got.filter((x) => x.json?.data?.cluster_id === a.cluster).length, 1);
  // Each event reached the CRM once.
  const ids = crm.got.map((x) => x.json.id);
  assert.equal(new Set(ids).size, ids.length);
});

test('contacts only when the webhook asks for them', async () => {
  const a = await report(EMAIL);
  const b = await report(null);
  const merged = await api(srv.url, 'POST', `/api/v1/clusters/${b.cluster}/merge`, { token: admin, json: { into: a.cluster, reason: 'the same tagger, one job' } });
  assert.equal(merged.status, 200, merged.text);
  await warehouse.waitFor((g) => g.some((x) => x.json?.type === 'org.meldpunt.cluster.merged'));
  const m = warehouse.got.find((x) => x.json?.type === 'org.meldpunt.cluster.merged');
  assert.equal(m.valid, true);
  assert.equal(m.json.data.from_cluster, b.cluster);
  assert.equal(m.json.data.to_cluster, a.cluster);
  // A report-level event to a webhook with contacts on carries them; register one for new reports.
  const c = await hooks('POST', '', { url: warehouse.url, secret: OTHER, events: ['report.created'], contacts: true });
  const r = await report(EMAIL);
  await warehouse.waitFor((g) => g.some((x) => x.json?.data?.report_id === r.id));
  const got = warehouse.got.find((x) => x.json?.data?.report_id === r.id);
  assert.deepEqual(got.json.data.contact, { name: 'H. Reporter', email: EMAIL, phone: null });
  const crmGot = await crm.waitFor((g) => g.some((x) => x.json?.data?.report_id === r.id));
  assert.ok(!crmGot.find((x) => x.json?.data?.report_id === r.id).body.includes(EMAIL), 'the CRM did not ask for contacts');
  assert.equal((await hooks('DELETE', `/${c.body.id}`)).status, 200);
  assert.equal((await hooks('DELETE', `/${c.body.id}`)).body.error.message, `there is no webhook ${c.body.id}`);
});

test('a receiver that fails: doubling retries, then failed and visible, then sent again', async () => {
  crm.failFor = 3; // 500 three times, then fine
  const a = await report(null);
  await crm.waitFor((g) => g.filter((x) => x.json?.data?.report_id === a.id).length === 4, 'three retries', 30000);
  const tries = crm.got.filter((x) => x.json?.data?.report_id === a.id);
  assert.equal(new Set(tries.map((x) => x.json.id)).size, 1, 'the same event id on every try');
  assert.equal(new Set(tries.map((x) => x.headers['meldpunt-delivery'])).size, 1);
  const gaps = tries.slice(1).map((x, i) => x.at - tries[i].at);
  // 1 s, 2 s, 4 s, in the server's whole seconds (each gap within a second of its delay,
  // plus the poll): a constant delay of 1 s would keep the third gap under 2.1 s.
  const within = (g, d) => g > (d - 1) * 1000 - 100 && g < (d + 1) * 1000 + 600;
  assert.ok(within(gaps[0], 1) && within(gaps[1], 2) && within(gaps[2], 4), `gaps ${gaps}`);
  assert.ok(gaps[2] > gaps[0] + 1000, `doubling: ${gaps}`);
  const hookId = (await hooks('GET', '')).body.webhooks.find((w) => w.url === crm.url).id;
  let rows = (await hooks('GET', `/${hookId}/deliveries`)).body.deliveries;
  const sent = rows.find((d) => d.report_id === a.id);
  assert.equal(sent.state, 'sent');
  assert.equal(sent.attempts, 4);

  // Down for longer than MELDPUNT_WEBHOOK_GIVE_UP (6 s here; 48 h by default): it fails.
  crm.failFor = 1000;
  const b = await report(null);
  let failed;
  for (let i = 0; i < 200 && !failed; i++) {
    rows = (await hooks('GET', `/${hookId}/deliveries?state=failed`)).body.deliveries;
    failed = rows.find((d) => d.report_id === b.id);
    if (!failed) await sleep(100);
  }
  assert.ok(failed, 'failed after giving up');
  assert.equal(failed.last_error, 'http 500');
  assert.ok(failed.attempts >= 3, `attempts ${failed.attempts}`);
  const bad = await hooks('GET', `/${hookId}/deliveries?state=lost`);
  assert.equal(bad.body.error.message, 'state must be queued, sent or failed');
  // Back up; the admin sends it again.
  crm.failFor = 0;
  const n = crm.got.length;
  const again = await api(srv.url, 'POST', `/api/v1/webhooks/deliveries/${failed.id}/resend`, { token: admin });
  assert.deepEqual(again.body, { queued: failed.id });
  await crm.waitFor((g) => g.length > n && g.at(-1).json?.data?.report_id === b.id, 'the resent delivery');
  assert.equal(crm.got.at(-1).valid, true);
  const notFailed = await api(srv.url, 'POST', `/api/v1/webhooks/deliveries/${sent.id}/resend`, { token: admin });
  assert.equal(notFailed.status, 404);
  assert.equal(notFailed.body.error.message, `there is no failed delivery ${sent.id}`);
});

test('a stuck mail relay does not hold the webhooks up: they have a worker of their own', async () => {
  // A relay that accepts the connection and never greets: the mail sender waits for it on
  // every attempt. Before webhooks had their own worker, they waited behind it (about 10 s).
  const net = await import('node:net');
  const sockets = [];
  const silent = net.createServer((s) => sockets.push(s));
  await new Promise((ok) => silent.listen(0, '127.0.0.1', ok));
  const hooked = await receiver(SECRET);
  const other = await startServer({ env: { MELDPUNT_SMTP_URL: `smtp://127.0.0.1:${silent.address().port}`,
    MELDPUNT_SMTP_TLS: 'none', MELDPUNT_MAIL_FROM: 'meldpunt@city.example' } });
  try {
    const boss = await other.user('hook-admin-2', 'admin');
    const w = await api(other.url, 'POST', '/api/v1/webhooks', { token: boss,
      json: { url: hooked.url, secret: SECRET, events: ['report.created'] } });
    assert.equal(w.status, 201, w.text);
    const p = offset(LOOP, 3000, -3000);
    const first = await api(other.url, 'POST', '/api/v1/reports', { json: { category: 'graffiti', lat: p.lat,
      lon: p.lon, description: 'Tag', contact: { name: 'Stuck', email: 'stuck.relay@example.org' } } });
    assert.equal(first.status, 201, first.text);
    await sleep(1000); // the sender is now waiting for the relay's greeting
    assert.ok(sockets.length >= 1, 'the mail sender connected to the relay');
    const q = offset(LOOP, 3000, -3400);
    const second = await api(other.url, 'POST', '/api/v1/reports', { json: { category: 'graffiti', lat: q.lat,
      lon: q.lon, description: 'Tag' } });
    assert.equal(second.status, 201, second.text);
    const t0 = Date.now();
    // The relay holds the mail sender for 10 s (curl's connect phase includes the greeting);
    // the webhook goes out meanwhile.
    await hooked.waitFor((got) => got.some((g) => g.json?.type === 'org.meldpunt.report.created'
      && g.json.data.report_id === second.body.report.id), 'the second report.created', 4000);
    assert.ok(Date.now() - t0 < 4000);
    assert.ok(hooked.got.some((g) => g.json?.data?.report_id === first.body.report.id), 'and the first one');
    assert.ok(hooked.got.every((g) => g.valid), 'signed');
  } finally {
    await other.kill();
    for (const s of sockets) s.destroy();
    silent.close();
    hooked.server.close();
    await other.cleanup();
  }
});
