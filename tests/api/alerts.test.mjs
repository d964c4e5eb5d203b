// Area alerts (issue 16, "neighbours") with real parts: the real server, a real SMTP server
// (aiosmtpd, tests/notify/smtp_sink.py) receiving what it sends, the messages parsed and their
// links followed against the server. Double opt-in (nothing before the confirmation; its link
// works once and expires), an immediate alert for a new problem inside the circle and none
// outside it, of another category or for a "me too" report, the daily digest with the right
// problems (its clock moved the way the other mail tests move time: in the database), the
// one-click unsubscribe, bad input refused with a clear error, and no reporter's contact data
// in any alert.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServer, LOOP, offset, dbQuery } from './lib.mjs';
import { startSink, links } from '../notify/mail.mjs';

const FROM = 'meldpunt@city.example';
const NEIGHBOUR = 'nina.neighbour@example.org';
const PICKY = 'pete.potholes@example.org';
const DIGEST = 'dora.digest@example.org';
const LATE = 'late.confirmer@example.org';
const REPORTER = { name: 'Rita Reporter', email: 'rita.reporter@example.net', phone: '+1 312 555 0199' };

// The CLI waits for the server's write transactions (the senders write every 100 ms) instead of
// failing at once with "database is locked" under load.
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let sink;
let srv;

before(async () => {
  sink = await startSink();
  srv = await startServer({ env: { MELDPUNT_SMTP_URL: sink.url, MELDPUNT_SMTP_TLS: 'none',
    MELDPUNT_MAIL_FROM: FROM, MELDPUNT_MAIL_RETRY: '1' } });
});
after(async () => {
  // The sink is stopped even when the server never started (else node waits for it forever).
  try {
    await srv?.cleanup();
  } finally {
    await sink?.stop();
  }
});

const to = (msgs, addr) => msgs.filter((m) => m.envelope.rcpt_tos.includes(addr));

async function subscribe(json, { lang = 'en', expect = 202 } = {}) {
  const r = await api(srv.url, 'POST', '/api/v1/alerts', { headers: { 'Accept-Language': lang }, json });
  assert.equal(r.status, expect, r.text);
  return r;
}

/** The confirmation mail of addr (the n-th), and its token. */
async function confirmation(addr, n = 1) {
  const msgs = to(await sink.waitFor((ms) => to(ms, addr).length >= n, { what: `confirmation for ${addr}` }), addr);
  const m = msgs[n - 1];
  const link = links(m.text).find((u) => u.includes('/alerts.html?t='));
  assert.ok(link, m.text);
  return { m, link, token: new URL(link).searchParams.get('t') };
}

async function confirm(token, expect = 200) {
  const r = await api(srv.url, 'POST', '/api/v1/alerts/confirm', { json: { token } });
  assert.equal(r.status, expect, r.text);
  return r;
}

/** A report at p (a new job unless sameAs), with the reporter's full contact data. */
async function report(p, { category = 'graffiti', sameAs } = {}) {
  const r = await api(srv.url, 'POST', '/api/v1/reports', {
    json: { category, lat: p.lat, lon: p.lon, description: 'Tag on the wall', contact: REPORTER,
      same_as: sameAs } });
  assert.equal(r.status, 201, r.text);
  return { id: r.body.report.id, cluster: r.body.cluster.id };
}

const alertRows = (sub) => Number(dbQuery(srv.db, `SELECT count(*) FROM outbox WHERE kind = 'alert' AND sub_id = ${sub}`));
const alertId = (addr) => Number(dbQuery(srv.db, `SELECT max(id) FROM alert_subs WHERE email = '${addr}'`));

test('bad input is refused with a clear error', async () => {
  const cases = [
    [{ email: NEIGHBOUR, lat: LOOP.lat, lon: LOOP.lon, radius_m: 10 }, 'out_of_range', /radius_m must be 50-5000 metres/],
    [{ email: NEIGHBOUR, lat: LOOP.lat, lon: LOOP.lon, radius_m: 50000 }, 'out_of_range', /radius_m must be 50-5000 metres/],
    [{ email: NEIGHBOUR, district: 'atlantis' }, 'unknown_district', /unknown district 'atlantis'/],
    [{ email: NEIGHBOUR, district: '32', category: 'dragons' }, 'unknown_category', /unknown category 'dragons'/],
    [{ email: 'not-an-address', district: '32' }, 'invalid_field', /email must be an e-mail address/],
    [{ email: NEIGHBOUR, lat: 52.37, lon: 4.89, radius_m: 500 }, 'out_of_area', /outside the service area/],
    [{ email: NEIGHBOUR, lat: LOOP.lat, lon: LOOP.lon }, 'missing_field', /lat, lon and radius_m go together/],
    [{ email: NEIGHBOUR, district: '32', frequency: 'hourly' }, 'invalid_field', /frequency must be immediate or daily/],
    [{ email: NEIGHBOUR, district: '32', lat: LOOP.lat, lon: LOOP.lon, radius_m: 500 }, 'invalid_field', /either/],
    [{ district: '32' }, 'missing_field', /email is required/],
  ];
  for (const [json, code, text] of cases) {
    const r = await subscribe(json, { expect: 400 });
    assert.match(r.headers.get('content-type'), /application\/json/);
    assert.equal(r.body.error.code, code, JSON.stringify(json));
    assert.match(r.body.error.message, text, JSON.stringify(json));
  }
  assert.equal(dbQuery(srv.db, 'SELECT count(*) FROM alert_subs'), '0', 'nothing stored');
});

test('double opt-in: nothing before the confirmation, then an alert per new problem inside the circle only', async () => {
  await subscribe({ email: NEIGHBOUR, lat: LOOP.lat, lon: LOOP.lon, radius_m: 500 }, { lang: 'nl-BE,nl;q=0.9' });
  const { m, token } = await confirmation(NEIGHBOUR);
  assert.equal(m.subject, 'Bevestig uw melding van nieuwe problemen');
  assert.equal(m.header('content-language'), 'nl');
  assert.equal(m.header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
  assert.match(m.text, /binnen 500 m van 41\.87810, -87\.62980/);
  const sub = alertId(NEIGHBOUR);
  // Before the confirmation: a new problem inside the circle queues nothing for the address.
  const early = await report(offset(LOOP, 100, 0));
  await sleep(500);
  assert.equal(alertRows(sub), 0, 'no alert before the address confirmed');
  assert.equal(to(await sink.messages(), NEIGHBOUR).length, 1, 'only the confirmation');
  // The page behind the link, then the confirmation itself.
  assert.equal((await fetch(`${srv.url}/alerts.html?t=${token}`)).status, 200);
  const ok = await confirm(token);
  assert.equal(ok.body.alert.confirmed, true);
  assert.equal(ok.body.alert.radius_m, 500);
  assert.equal(ok.body.alert.frequency, 'immediate');
  assert.ok(!JSON.stringify(ok.body).includes(NEIGHBOUR), 'the answer does not echo the address');
  // The link works once.
  const twice = await confirm(token, 401);
  assert.equal(twice.body.error.code, 'used_token');
  assert.match(twice.body.error.message, /used/);
  // After it: outside (2 km away), a "me too" report, then one inside.
  await report(offset(LOOP, 2000, 0));
  await report(offset(LOOP, 100, 0), { sameAs: early.cluster });
  const inside = await report(offset(LOOP, -200, 150));
  const msgs = to(await sink.waitFor((ms) => to(ms, NEIGHBOUR).length === 2, { what: 'the alert' }), NEIGHBOUR);
  const alert = msgs[1];
  assert.equal(alert.subject, 'Nieuw probleem in de buurt: Graffiti');
  assert.equal(alert.header('content-language'), 'nl');
  assert.ok(links(alert.text).includes(`${srv.url}/r/${inside.id}`), alert.text);
  assert.match(alert.header('list-unsubscribe'), new RegExp(`^<${srv.url}/api/v1/notify/unsubscribe\\?t=mp_[A-Za-z0-9_-]{43}>$`));
  assert.equal(alert.header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
  assert.equal(links(alert.text).filter((u) => u.includes('/unsubscribe.html?t=mp_')).length, 2, 'this alert, and all mail');
  for (const secret of [REPORTER.name, REPORTER.email, REPORTER.phone, 'Rita']) {
    assert.ok(!alert.raw.toString('utf8').includes(secret), `no ${secret} in an alert`);
  }
  await sleep(500);
  assert.equal(alertRows(sub), 1, 'one alert: none for outside, none for the "me too" report');
});

test('an alert of one category ignores the others', async () => {
  await subscribe({ email: PICKY, lat: LOOP.lat, lon: LOOP.lon, radius_m: 1000, category: 'pothole' });
  await confirm((await confirmation(PICKY)).token);
  await report(offset(LOOP, 300, 300), { category: 'graffiti' });
  const hole = await report(offset(LOOP, 320, -300), { category: 'pothole' });
  const msgs = to(await sink.waitFor((ms) => to(ms, PICKY).length === 2, { what: 'the pothole alert' }), PICKY);
  assert.equal(msgs[1].subject, 'New problem nearby: Pothole in street');
  assert.ok(links(msgs[1].text).includes(`${srv.url}/r/${hole.id}`));
  assert.equal(alertRows(alertId(PICKY)), 1, 'no alert for the graffiti');
});

test('an expired confirmation link is refused and confirms nothing', async () => {
  await subscribe({ email: LATE, district: '32' });
  const { token } = await confirmation(LATE);
  dbQuery(srv.db, `UPDATE notify_tokens SET expires_at = ${Math.floor(Date.now() / 1000) - 1} WHERE purpose = 'alert_confirm'`
    + ` AND sub_id = ${alertId(LATE)}`);
  const r = await confirm(token, 401);
  assert.equal(r.body.error.code, 'expired_token');
  assert.equal(dbQuery(srv.db, `SELECT confirmed_at FROM alert_subs WHERE id = ${alertId(LATE)}`), '0');
  assert.equal((await confirm('mp_nonsense', 401)).body.error.code, 'invalid_token');
});

test('a daily digest lists the new problems of its district, once', async () => {
  await subscribe({ email: DIGEST, district: '32', frequency: 'daily' });
  await confirm((await confirmation(DIGEST)).token);
  const sub = alertId(DIGEST);
  const a = await report(offset(LOOP, -600, -400));
  const b = await report(offset(LOOP, -650, 350));
  await report(offset(LOOP, 5000, 0)); // outside the Loop
  await report(offset(LOOP, -600, -400), { sameAs: a.cluster }); // "me too"
  await sleep(500);
  assert.equal(to(await sink.messages(), DIGEST).length, 1, 'nothing before the digest is due');
  assert.equal(dbQuery(srv.db, `SELECT count(*) FROM digest_items WHERE alert_id = ${sub} AND outbox_id = 0`), '2');
  // Its morning has come. The sender looks for due digests at start and every five minutes:
  // a restart makes it look now.
  dbQuery(srv.db, `UPDATE alert_subs SET next_digest_at = 0 WHERE id = ${sub}`);
  await srv.stop();
  await srv.start();
  const msgs = to(await sink.waitFor((ms) => to(ms, DIGEST).length === 2, { what: 'the digest' }), DIGEST);
  const d = msgs[1];
  assert.equal(d.subject, 'New problems nearby today: 2');
  const urls = links(d.text).filter((u) => u.includes('/r/'));
  assert.deepEqual(urls.sort(), [`${srv.url}/r/${a.id}`, `${srv.url}/r/${b.id}`].sort());
  assert.match(d.html, new RegExp(`<li><a href="${srv.url}/r/${a.id}">Graffiti</a>`));
  assert.equal(d.header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
  const next = Number(dbQuery(srv.db, `SELECT next_digest_at FROM alert_subs WHERE id = ${sub}`));
  assert.ok(next > Date.now() / 1000 && next <= Date.now() / 1000 + 86400, `the next digest tomorrow morning: ${next}`);
  assert.equal(dbQuery(srv.db, `SELECT count(*) FROM digest_items WHERE alert_id = ${sub} AND outbox_id = 0`), '0');
});

test('one-click unsubscribe stops the alert', async () => {
  const msgs = to(await sink.messages(), NEIGHBOUR);
  // The header's URL, on the port the restarted server listens on now.
  const token = new URL(msgs[msgs.length - 1].header('list-unsubscribe').slice(1, -1)).searchParams.get('t');
  const r = await fetch(`${srv.url}/api/v1/notify/unsubscribe?t=${token}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click' });
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.stopped, 'alert');
  assert.equal(body.alert_id, alertId(NEIGHBOUR));
  const before = alertRows(alertId(NEIGHBOUR));
  await report(offset(LOOP, 50, -50));
  // PICKY's pothole alert is the control that the sender ran: a pothole there alerts PICKY.
  const n = to(await sink.messages(), PICKY).length;
  await report(offset(LOOP, 60, -80), { category: 'pothole' });
  await sink.waitFor((ms) => to(ms, PICKY).length === n + 1, { what: 'the control alert' });
  assert.equal(alertRows(alertId(NEIGHBOUR)), before, 'no alert after unsubscribing');
});

// "No more mail" for an address holds for its alerts at the source: matching skips an address
// on the stop list, so nothing is queued for it (not only skipped when the mail is rendered).
test('an address on the stop list gets no alert queued', async () => {
  const STOPPER = 'stan.stopper@example.org';
  await subscribe({ email: STOPPER, lat: LOOP.lat, lon: LOOP.lon, radius_m: 1000 });
  const { m, token } = await confirmation(STOPPER);
  await confirm(token);
  const sub = alertId(STOPPER);
  // The confirmation's one-click link stops all mail for the address (the alert stays live).
  const stop = new URL(m.header('list-unsubscribe').slice(1, -1)).searchParams.get('t');
  const r = await fetch(`${srv.url}/api/v1/notify/unsubscribe?t=${stop}`, { method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).stopped, 'address');
  assert.equal(dbQuery(srv.db, `SELECT stopped_at FROM alert_subs WHERE id = ${sub}`), '0', 'the alert itself is live');
  // One pothole inside both circles: PICKY's alert shows that matching ran for it.
  const n = to(await sink.messages(), PICKY).length;
  await report(offset(LOOP, -70, 90), { category: 'pothole' });
  await sink.waitFor((ms) => to(ms, PICKY).length === n + 1, { what: 'the control alert' });
  assert.equal(alertRows(sub), 0, 'no alert queued for a stopped address');
  assert.equal(to(await sink.messages(), STOPPER).length, 1, 'only the confirmation');
});
