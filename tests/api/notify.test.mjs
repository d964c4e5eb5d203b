// Reporters' mail (issue 16) with real parts: the real server, a real SMTP server (aiosmtpd,
// tests/notify/smtp_sink.py) receiving what it sends, the messages parsed (headers, encoded
// words, both parts, line lengths), and their links followed against the server. Also what
// delivery promises: nothing for a change that rolled back, nothing lost to kill -9 (once per
// event id after de-duplication by Message-ID), queued while the relay is down and delivered
// when it is back, a permanent refusal visible and re-sendable; and that no address reaches
// the log or a public answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { api, startServer, meldpunt, dbQuery, LOOP, offset, SOURCE_DIR, ENGINE_PG } from './lib.mjs';
import { startSink, links } from '../notify/mail.mjs';

const FROM = 'meldpunt@city.example';
const ANNE = 'anne.reporter@example.org';
const BERT = 'bert.neighbour@example.org';
const CARLA = 'carla.kto@example.net';
const DAAN = 'daan.stop@example.com';
const SLOW = 'slow.reader@example.org';
const DOWN = 'down.time@example.org';
const REJECT = 'reject.me@example.org';
const OPEN311 = 'open311.client@example.org';
const COUNTER = 'counter.caller@example.org';
const EXPIRE = 'late.answer@example.org';
const ASKED = 'asked.later@example.org';
const ANSWERED = 'answered.early@example.org';
const ADDRESSES = [ANNE, BERT, CARLA, DAAN, SLOW, DOWN, REJECT, OPEN311, COUNTER, EXPIRE, ASKED, ANSWERED];

const sql = dbQuery; // SQLite or PostgreSQL, as the server's database
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let sink;
let srv;
let admin;
let env;

before(async () => {
  sink = await startSink();
  env = { MELDPUNT_SMTP_URL: sink.url, MELDPUNT_SMTP_TLS: 'none', MELDPUNT_MAIL_FROM: FROM,
    MELDPUNT_MAIL_RETRY: '1' };
  srv = await startServer({ env });
  admin = await srv.user('mail-admin', 'admin');
});
after(async () => {
  await srv.cleanup();
  await sink.stop();
});

let spot = 0;
/** A report 300 m from the others (a job of its own: graffiti joins within 25 m) unless
 * sameAs; on a grid west of the Loop, inside the city. */
async function report(email, { lang = 'en', sameAs, category = 'graffiti' } = {}) {
  const k = spot++;
  const p = offset(LOOP, (k % 20) * 300 - 3000, -300 * (1 + Math.floor(k / 20)));
  const r = await api(srv.url, 'POST', '/api/v1/reports', {
    headers: { 'Accept-Language': lang },
    json: { category, lat: p.lat, lon: p.lon, description: 'Tag on the wall',
      contact: email ? { name: 'A. Reporter', email } : undefined, same_as: sameAs } });
  assert.equal(r.status, 201, r.text);
  return { id: r.body.report.id, cluster: r.body.cluster.id };
}

async function move(cluster, status, note, { expect = 200, notePublic = true } = {}) {
  const r = await api(srv.url, 'POST', `/api/v1/clusters/${cluster}/status`, { token: admin,
    json: note ? { status, note, note_public: notePublic } : { status } });
  assert.equal(r.status, expect, r.text);
  return r;
}

const to = (msgs, addr) => msgs.filter((m) => m.envelope.rcpt_tos.includes(addr));
const bySubject = (msgs, re) => msgs.filter((m) => re.test(m.subject));
/** One message per Message-ID: what a receiver keeps after dropping repeats. */
function dedupe(msgs) {
  const seen = new Map();
  for (const m of msgs) if (!seen.has(m.header('message-id'))) seen.set(m.header('message-id'), m);
  return [...seen.values()];
}
async function outbox(q = '') {
  const r = await api(srv.url, 'GET', `/api/v1/outbox${q}`, { token: admin });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

test('a confirmation: RFC 5322 headers, encoded sender name, text and HTML, links that work', async () => {
  const { id } = await report(ANNE, { lang: 'nl-NL,nl;q=0.9,en;q=0.5' });
  const [m] = to(await sink.waitFor((ms) => to(ms, ANNE).length === 1, { what: 'the confirmation' }), ANNE);
  // Envelope and headers.
  assert.equal(m.envelope.mail_from, FROM);
  assert.deepEqual(m.envelope.rcpt_tos, [ANNE]);
  const rawFrom = m.headers.find(([k]) => k === 'from')[1];
  assert.match(rawFrom, /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=/, 'a non-ASCII name goes as encoded words');
  assert.equal(m.header('from'), `Gemeente Chicago – meldingen openbare ruimte <${FROM}>`);
  assert.equal(m.header('to'), ANNE);
  assert.equal(m.subject, `Uw melding ${id} is ontvangen: Graffiti`);
  assert.match(m.header('message-id'), /^<[0-9a-f]{32}@city\.example>$/);
  assert.ok(Math.abs(Date.parse(m.header('date')) - Date.now()) < 120000, m.header('date'));
  assert.match(m.header('date'), /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000$/);
  assert.equal(m.header('mime-version'), '1.0');
  assert.equal(m.header('content-language'), 'nl');
  assert.equal(m.header('auto-submitted'), 'auto-generated');
  assert.match(m.header('x-meldpunt-event'), /^[0-9a-f]{32}$/);
  assert.match(m.header('content-type'), /^multipart\/alternative;\s*boundary="[^"]+"$/);
  assert.match(m.header('list-unsubscribe'), new RegExp(`^<${srv.url}/api/v1/notify/unsubscribe\\?t=mp_[A-Za-z0-9_-]{43}>$`));
  assert.equal(m.header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
  // Both parts, UTF-8 in quoted-printable, every line within its limit, CRLF only.
  assert.deepEqual(m.parts.map((p) => [p.type, p.charset, p.encoding]),
    [['text/plain', 'utf-8', 'quoted-printable'], ['text/html', 'utf-8', 'quoted-printable']]);
  assert.ok(!m.raw.toString('latin1').replace(/\r\n/g, '').includes('\n'), 'no bare LF');
  for (const l of m.lines) assert.ok(l.length <= 998, `a line of ${l.length}`);
  for (const p of m.parts) for (const l of p.raw.split('\r\n')) assert.ok(l.length <= 76, `QP line of ${l.length}: ${l}`);
  assert.match(m.text, /Dank u wel voor uw melding bij de gemeente Chicago/);
  assert.match(m.html, /<html lang="nl">/);
  assert.match(m.html, new RegExp(`<a href="${srv.url}/r/${id}">`));
  // The links: the report's page, "my reports", the pages that ask before stopping mail.
  const found = links(m.text);
  assert.ok(found.includes(`${srv.url}/r/${id}`), found.join(' '));
  for (const u of found) {
    const r = await fetch(u);
    assert.equal(r.status, 200, `${u} answers`);
    assert.match(r.headers.get('content-type'), /text\/html/, u);
  }
  assert.equal(found.filter((u) => u.includes('/unsubscribe.html?t=mp_')).length, 2, 'this report, and all mail');
});

test('"me too": every reporter of the job hears each change that matters, in their language', async () => {
  const base = to(await sink.messages(), ANNE).length;
  const a = await report(ANNE, { lang: 'en' });
  const b = await report(BERT, { lang: 'nl', sameAs: a.cluster });
  const again = await report(ANNE, { lang: 'en', sameAs: a.cluster }); // the same address twice
  assert.equal(b.cluster, a.cluster);
  assert.equal(again.cluster, a.cluster);
  await sink.waitFor((ms) => to(ms, BERT).length === 1 && to(ms, ANNE).length === base + 2, { what: 'confirmations' });
  await move(a.cluster, 'acknowledged');
  await move(a.cluster, 'in_progress'); // the crew starting, without a note: no mail
  await move(a.cluster, 'fixed', 'Filled with cold asphalt; ü works too');
  const msgs = await sink.waitFor((ms) => bySubject(to(ms, BERT), /opgelost/).length === 1
    && bySubject(to(ms, ANNE), new RegExp(`Report ${a.id} is fixed`)).length === 1, { what: 'the fixed mails' });
  assert.deepEqual(to(msgs, BERT).slice(1).map((m) => m.subject),
    [`Melding ${b.id}: In behandeling genomen`, `Melding ${b.id} is opgelost`]);
  // One mail an event for an address, about its first report of the job.
  assert.deepEqual(to(msgs, ANNE).slice(base + 2).map((m) => m.subject),
    [`Report ${a.id}: Acknowledged`, `Report ${a.id} is fixed`]);
  const fixed = bySubject(to(msgs, BERT), /opgelost/)[0];
  assert.match(fixed.text, /Filled with cold asphalt; ü works too/);
  assert.match(fixed.html, /Filled with cold asphalt; ü works too/);
  assert.match(fixed.text, /kto\.html\?t=mp_[A-Za-z0-9_-]{43}&a=yes/, 'the satisfaction links');
  // Both fixed mails tell of one event; each has its own Message-ID.
  const fixedAnne = bySubject(to(msgs, ANNE), /is fixed/)[0];
  assert.equal(fixed.header('x-meldpunt-event'), fixedAnne.header('x-meldpunt-event'));
  assert.notEqual(fixed.header('message-id'), fixedAnne.header('message-id'));
});

test('one-click unsubscribe (RFC 8058) stops mail about that report; the other reporter still hears', async () => {
  const a = await report(ANNE);
  const b = await report(BERT, { sameAs: a.cluster });
  const msgs = await sink.waitFor((ms) => to(ms, BERT).some((m) => m.subject.includes(`${b.id}`))
    && to(ms, ANNE).some((m) => m.subject.includes(`report ${a.id}:`)));
  const mine = to(msgs, ANNE).find((m) => m.subject.includes(`report ${a.id}:`));
  const url = mine.header('list-unsubscribe').slice(1, -1);
  // A person opening the URL is sent to the page that asks first: nothing stops yet.
  const look = await fetch(url, { redirect: 'manual' });
  assert.equal(look.status, 303);
  assert.match(look.headers.get('location'), /^\/unsubscribe\.html\?t=mp_/);
  // The mail client's one-click POST (RFC 8058): no account, no cookie.
  const one = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click' });
  assert.equal(one.status, 200);
  assert.deepEqual(await one.json(), { stopped: 'report', report_id: a.id });
  const twice = await fetch(url, { method: 'POST', body: 'List-Unsubscribe=One-Click',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  assert.equal(twice.status, 200, 'unsubscribing again is fine');
  const bad = await fetch(url.replace(/t=mp_./, 't=mp_A'), { method: 'POST' });
  assert.equal(bad.status, 401);
  assert.equal((await bad.json()).error.code, 'invalid_token');
  const before = to(await sink.messages(), ANNE).length;
  await move(a.cluster, 'acknowledged', 'We will look at it');
  await sink.waitFor((ms) => to(ms, BERT).some((m) => /Acknowledged/.test(m.subject) && m.subject.includes(`${b.id}`)));
  await move(a.cluster, 'scheduled');
  await sink.waitFor((ms) => to(ms, BERT).some((m) => /Scheduled/.test(m.subject) && m.subject.includes(`${b.id}`)));
  assert.equal(to(await sink.messages(), ANNE).length, before, 'Anne asked for no more mail about it');
});

test('the satisfaction check: not satisfied for a reopening reason asks to reopen; staff decide', async () => {
  const c = await report(CARLA);
  await move(c.cluster, 'acknowledged');
  await move(c.cluster, 'in_progress');
  await move(c.cluster, 'fixed');
  const msgs = await sink.waitFor((ms) => to(ms, CARLA).some((m) => /is fixed/.test(m.subject)));
  const mail = to(msgs, CARLA).find((m) => /is fixed/.test(m.subject));
  const [yes, no] = ['yes', 'no'].map((a) => links(mail.text).find((u) => u.includes('/kto.html?') && u.endsWith(`a=${a}`)));
  assert.ok(yes && no, mail.text);
  assert.equal(new URL(yes).searchParams.get('t'), new URL(no).searchParams.get('t'), 'one token, two answers');
  assert.equal((await fetch(no)).status, 200, 'the page behind the link');
  const token = new URL(no).searchParams.get('t');
  // The click: recorded once.
  const ans = await api(srv.url, 'POST', '/api/v1/kto', { json: { token, satisfied: false } });
  assert.equal(ans.status, 200, ans.text);
  assert.equal(ans.body.satisfied, false);
  assert.equal(ans.body.report_id, c.id);
  assert.ok(ans.body.reasons.some((r) => r.code === 'not_fixed' && r.reopen));
  assert.ok(!ans.body.reasons.some((r) => r.code === 'quick'), 'the reasons of "satisfied" are not offered');
  const again = await api(srv.url, 'POST', '/api/v1/kto', { json: { token, satisfied: true } });
  assert.equal(again.status, 401);
  assert.deepEqual(again.body.error, { code: 'used_token', message: 'this link has been used already' });
  // The details: reasons, text and a photo with GPS in its EXIF.
  const fd = new FormData();
  fd.append('form_token', ans.body.form_token);
  fd.append('reasons', 'not_fixed,too_slow');
  fd.append('text', 'Still a hole, and a deep one');
  fd.append('photo', new Blob([await readFile(path.join(SOURCE_DIR, 'tests', 'fixtures', 'photos', 'gps_orient6.jpg'))],
    { type: 'image/jpeg' }), 'hole.jpg');
  const bad = await api(srv.url, 'POST', '/api/v1/kto/details', { json: { form_token: ans.body.form_token, reasons: ['quick'] } });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.error, { code: 'unknown_reason', message: "'quick' is not a reason for an unsatisfied answer" });
  const det = await api(srv.url, 'POST', '/api/v1/kto/details', { form: fd });
  assert.equal(det.status, 200, det.text);
  assert.deepEqual(det.body, { report_id: c.id, reopen_requested: true, status: 'reopen_requested' });
  const job = (await api(srv.url, 'GET', `/api/v1/clusters/${c.cluster}`)).body.properties;
  assert.equal(job.status, 'reopen_requested');
  assert.deepEqual(job.history.at(-1), { ...job.history.at(-1), status: 'reopen_requested', note: 'The problem is not fixed' });
  // Staff see the answer and the photo (metadata stripped); the public do not.
  assert.equal((await api(srv.url, 'GET', `/api/v1/clusters/${c.cluster}/feedback`)).status, 401);
  const fb = await api(srv.url, 'GET', `/api/v1/clusters/${c.cluster}/feedback`, { token: admin });
  assert.equal(fb.status, 200, fb.text);
  assert.equal(fb.body.answers.length, 1);
  assert.deepEqual([fb.body.answers[0].satisfied, fb.body.answers[0].reasons, fb.body.answers[0].text],
    [false, ['not_fixed', 'too_slow'], 'Still a hole, and a deep one']);
  const photo = await fetch(srv.url + fb.body.answers[0].photo, { headers: { Authorization: `Bearer ${admin}` } });
  assert.equal(photo.status, 200);
  const jpeg = Buffer.from(await photo.arrayBuffer()).toString('latin1');
  assert.ok(jpeg.startsWith('\xff\xd8') && !jpeg.includes('Exif') && !jpeg.includes('GPS'), 'metadata stripped');
  // The move into reopen_requested is the reporter's, never staff's; staff reopen it.
  const other = await report(CARLA);
  await move(other.cluster, 'acknowledged');
  await move(other.cluster, 'in_progress');
  await move(other.cluster, 'fixed');
  const refused = await move(other.cluster, 'reopen_requested', 'staff may not', { expect: 403 });
  assert.equal(refused.body.error.code, 'forbidden');
  await move(c.cluster, 'reopened', 'The crew goes back on Monday');
  const reopened = await sink.waitFor((ms) => to(ms, CARLA).some((m) => /Reopened/.test(m.subject)));
  assert.match(to(reopened, CARLA).find((m) => /Reopened/.test(m.subject)).text, /The crew goes back on Monday/);
  assert.ok(!to(reopened, CARLA).some((m) => /Reopen requested/.test(m.subject)), 'no mail about her own request');
});

test('"no more mail" for the whole address, from the link in any mail, without an account', async () => {
  await report(DAAN);
  const msgs = await sink.waitFor((ms) => to(ms, DAAN).length === 1);
  const stop = links(to(msgs, DAAN)[0].text).find((u) => /unsubscribe\.html\?t=/.test(u)
    && to(msgs, DAAN)[0].text.includes(`No more mail from us at all: ${u}`));
  const token = new URL(stop).searchParams.get('t');
  const r = await fetch(`${srv.url}/api/v1/notify/unsubscribe?t=${token}`, { method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { stopped: 'address' });
  // A new report from the address gets no confirmation; a fence shows the sender went past it.
  const later = await report(DAAN.toUpperCase());
  const fence = await report(BERT);
  await sink.waitFor((ms) => to(ms, BERT).some((m) => m.subject.includes(`report ${fence.id}:`)));
  assert.equal(to(await sink.messages(), DAAN).length, 1);
  assert.equal(sql(srv.db, `SELECT count(*) FROM outbox WHERE report_id = ${later.id}`), '0');
  assert.equal(sql(srv.db, `SELECT count(*) FROM notify_subs WHERE report_id = ${later.id} AND stopped_at > 0`), '1');
});

test('"my reports": a one-time sign-in link lists every report of the address', async () => {
  const mine = [await report(ANNE), await report(ANNE)].map((r) => r.id);
  const r = await api(srv.url, 'POST', '/api/v1/notify/signin', { json: { email: ' Anne.Reporter@Example.org ' } });
  assert.equal(r.status, 202, r.text);
  const nobody = await api(srv.url, 'POST', '/api/v1/notify/signin', { json: { email: 'never.reported@example.org' } });
  assert.equal(nobody.status, 202, 'the same answer for an address that never reported');
  assert.deepEqual(nobody.body, r.body);
  const msgs = await sink.waitFor((ms) => to(ms, ANNE).some((m) => /Your reports/.test(m.subject)));
  assert.ok(!to(msgs, 'never.reported@example.org').length);
  const mail = to(msgs, ANNE).find((m) => /Your reports/.test(m.subject));
  const link = links(mail.text).find((u) => u.includes('/my-reports.html?t='));
  assert.equal((await fetch(link)).status, 200);
  const token = new URL(link).searchParams.get('t');
  const s = await api(srv.url, 'POST', '/api/v1/notify/session', { json: { token } });
  assert.equal(s.status, 200, s.text);
  const reuse = await api(srv.url, 'POST', '/api/v1/notify/session', { json: { token } });
  assert.equal(reuse.body.error.code, 'used_token');
  const list = await api(srv.url, 'GET', '/api/v1/notify/mine', { headers: { 'X-Meldpunt-Session': s.body.session } });
  assert.equal(list.status, 200, list.text);
  const ids = list.body.reports.map((x) => x.id);
  for (const id of mine) assert.ok(ids.includes(id), `report ${id} is listed`);
  assert.ok(list.body.reports.every((x) => x.url === `/r/${x.id}` && !JSON.stringify(x).includes('@')));
  assert.equal((await api(srv.url, 'GET', '/api/v1/notify/mine')).status, 401);
  const stop = await api(srv.url, 'POST', '/api/v1/notify/stop', { headers: { 'X-Meldpunt-Session': s.body.session },
    json: { report_id: mine[0] } });
  assert.deepEqual(stop.body, { stopped: 'report', report_id: mine[0] });
  const notMine = await api(srv.url, 'POST', '/api/v1/notify/stop', { headers: { 'X-Meldpunt-Session': s.body.session },
    json: { report_id: (await report(BERT)).id } });
  assert.equal(notMine.status, 404);
  const after = await api(srv.url, 'GET', '/api/v1/notify/mine', { headers: { 'X-Meldpunt-Session': s.body.session } });
  assert.equal(after.body.reports.find((x) => x.id === mine[0]).mail, false);
  assert.equal(after.body.reports.find((x) => x.id === mine[1]).mail, true);
});

test('Open311 `email` and staff intake opt in too, each in the language it came in', async () => {
  const client = await srv.user('mail-client311', 'client');
  const p = offset(LOOP, 2500, -4000);
  const o = await api(srv.url, 'POST', '/open311/v2/requests.json', { form: new URLSearchParams({ api_key: client,
    service_code: 'graffiti', lat: p.lat.toFixed(7), long: p.lon.toFixed(7), email: OPEN311, locale: 'nl_NL' }) });
  assert.equal(o.status, 200, o.text);
  const id311 = Number(o.body[0].service_request_id);
  const q = offset(LOOP, 2800, -4000);
  const phone = await api(srv.url, 'POST', '/api/v1/reports', { token: admin, headers: { 'Accept-Language': 'en' },
    json: { category: 'graffiti', lat: q.lat, lon: q.lon, channel: 'phone', contact: { name: 'Caller', email: COUNTER } } });
  assert.equal(phone.status, 201, phone.text);
  const msgs = await sink.waitFor((ms) => to(ms, OPEN311).length === 1 && to(ms, COUNTER).length === 1,
    { what: 'the confirmations of an Open311 client and of staff intake' });
  assert.equal(to(msgs, OPEN311)[0].subject, `Uw melding ${id311} is ontvangen: Graffiti`);
  assert.equal(to(msgs, OPEN311)[0].header('content-language'), 'nl');
  assert.equal(to(msgs, COUNTER)[0].subject, `We received your report ${phone.body.report.id}: Graffiti`);
});

test('the satisfaction links expire: an old link is refused with its reason', async () => {
  const a = await report(EXPIRE);
  for (const status of ['acknowledged', 'in_progress', 'fixed']) await move(a.cluster, status);
  const msgs = await sink.waitFor((ms) => to(ms, EXPIRE).some((m) => /is fixed/.test(m.subject)));
  const yes = links(to(msgs, EXPIRE).find((m) => /is fixed/.test(m.subject)).text).find((u) => u.endsWith('a=yes'));
  const token = new URL(yes).searchParams.get('t');
  // The link's 60 days are over.
  const past = Math.floor(Date.now() / 1000) - 1;
  sql(srv.db, `UPDATE notify_tokens SET expires_at = ${past} WHERE purpose = 'kto' AND report_id = ${a.id}`);
  const r = await api(srv.url, 'POST', '/api/v1/kto', { json: { token, satisfied: true } });
  assert.equal(r.status, 401, r.text);
  assert.deepEqual(r.body.error, { code: 'expired_token', message: 'this link has expired' });
  assert.equal((await api(srv.url, 'GET', `/api/v1/clusters/${a.cluster}`)).body.properties.status, 'fixed');
});

test('"is it really fixed?" some weeks after the fix (per category), once, for who did not answer', async () => {
  const a = await report(ASKED); // graffiti: the pack asks after 28 days
  const b = await report(ANSWERED, { sameAs: a.cluster });
  for (const status of ['acknowledged', 'in_progress', 'fixed']) await move(a.cluster, status);
  let msgs = await sink.waitFor((ms) => to(ms, ASKED).some((m) => /is fixed/.test(m.subject))
    && to(ms, ANSWERED).some((m) => /is fixed/.test(m.subject)));
  const yes = links(to(msgs, ANSWERED).find((m) => /is fixed/.test(m.subject)).text).find((u) => u.endsWith('a=yes'));
  const ans = await api(srv.url, 'POST', '/api/v1/kto', { json: { token: new URL(yes).searchParams.get('t'), satisfied: true } });
  assert.equal(ans.status, 200, ans.text);
  // 29 days pass for this job; the sender looks for follow-ups when it starts.
  sql(srv.db, `UPDATE kto_answers SET fixed_at = fixed_at - 29 * 86400 WHERE cluster_id = ${a.cluster};`
    + ` UPDATE clusters SET fixed_at = fixed_at - 29 * 86400 WHERE id = ${a.cluster};`
    + ` UPDATE reports SET created_at = created_at - 30 * 86400 WHERE cluster_id = ${a.cluster}`);
  await srv.stop();
  await srv.start();
  msgs = await sink.waitFor((ms) => to(ms, ASKED).some((m) => /Is it really fixed/.test(m.subject)), { what: 'the follow-up' });
  const ask = to(msgs, ASKED).find((m) => /Is it really fixed/.test(m.subject));
  assert.equal(ask.subject, `Is it really fixed? Report ${a.id}`);
  assert.equal(ask.header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
  const no = links(ask.text).find((u) => u.includes('/kto.html?') && u.endsWith('a=no'));
  assert.ok(no, ask.text);
  const r = await api(srv.url, 'POST', '/api/v1/kto', { json: { token: new URL(no).searchParams.get('t'), satisfied: false } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.report_id, a.id);
  // Once: a second start asks nobody again; who answered the fixed mail was never asked.
  await srv.stop();
  await srv.start();
  const fence = await report(ASKED);
  await sink.waitFor((ms) => to(ms, ASKED).some((m) => m.subject.includes(`report ${fence.id}:`)));
  assert.equal(bySubject(to(await sink.messages(), ASKED), /Is it really fixed/).length, 1);
  assert.equal(bySubject(to(await sink.messages(), ANSWERED), /Is it really fixed/).length, 0);
  assert.equal(b.cluster, a.cluster);
});

test('a change that rolled back sends nothing: a refused move, an injected store failure', async () => {
  const a = await report(BERT);
  await sink.waitFor((ms) => to(ms, BERT).some((m) => m.subject.includes(`${a.id}`)));
  // Refused by the workflow: new cannot become fixed.
  await move(a.cluster, 'fixed', null, { expect: 409 });
  // Failed after the outbox rows were written: the audit entry (the last write of a
  // status change) fails, so the whole transaction rolls back.
  const events = sql(srv.db, 'SELECT count(*) FROM notify_events');
  sql(srv.db, ENGINE_PG
    ? "CREATE FUNCTION inject_failure() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
      + " RAISE EXCEPTION 'injected'; END$$; CREATE TRIGGER inject_failure BEFORE INSERT ON audit"
      + " FOR EACH ROW WHEN (NEW.action = 'status') EXECUTE FUNCTION inject_failure();"
    : "CREATE TRIGGER inject_failure BEFORE INSERT ON audit WHEN NEW.action = 'status'"
      + " BEGIN SELECT RAISE(ABORT, 'injected'); END;");
  let failed;
  try {
    failed = await move(a.cluster, 'not_responsible', 'Private property', { expect: 500 });
  } finally {
    sql(srv.db, ENGINE_PG ? 'DROP TRIGGER inject_failure ON audit; DROP FUNCTION inject_failure();'
      : 'DROP TRIGGER inject_failure');
  }
  assert.deepEqual(failed.body.error, { code: 'unavailable', message: 'the change could not be stored; try again later' });
  assert.equal(sql(srv.db, 'SELECT count(*) FROM notify_events'), events, 'no event stayed behind');
  assert.equal((await api(srv.url, 'GET', `/api/v1/clusters/${a.cluster}`)).body.properties.status, 'new');
  // The next change that does commit is mailed; nothing of the two before it.
  await move(a.cluster, 'acknowledged');
  const msgs = await sink.waitFor((ms) => to(ms, BERT).some((m) => m.subject === `Report ${a.id}: Acknowledged`));
  const about = to(msgs, BERT).filter((m) => m.subject.includes(`Report ${a.id}`));
  assert.deepEqual(about.map((m) => m.subject), [`Report ${a.id}: Acknowledged`]);
});

test('kill -9 right after a status change: the mail arrives after the restart, once per event id', async () => {
  // 1. The relay is down when the change commits; the server dies before it can send.
  const a = await report(DOWN);
  const b = await report(SLOW);
  await sink.waitFor((ms) => to(ms, DOWN).length === 1 && to(ms, SLOW).length === 1);
  await sleep(3500); // the slow sink answers the confirmation's DATA after 3 s
  await sink.stop();
  await move(a.cluster, 'acknowledged');
  await srv.kill();
  await sink.start();
  // 2. Delivered, but the server dies before it hears so: it sends again after the restart.
  await srv.start();
  await sink.waitFor((ms) => to(ms, DOWN).length === 2, { what: 'the mail queued before kill -9' });
  const count = to(await sink.messages(), SLOW).length;
  await move(b.cluster, 'acknowledged');
  await sink.waitFor((ms) => to(ms, SLOW).length === count + 1, { what: 'the slow mail' });
  await srv.kill(); // the relay has the message; its 250 has not come yet
  await srv.start();
  const msgs = await sink.waitFor((ms) => to(ms, SLOW).length === count + 2, { what: 'the repeat' });
  const [first, repeat] = to(msgs, SLOW).slice(-2);
  assert.equal(first.header('message-id'), repeat.header('message-id'), 'the repeat has the same Message-ID');
  assert.equal(first.header('x-meldpunt-event'), repeat.header('x-meldpunt-event'));
  // At the receiver, after dropping repeats: one mail for each event, none lost.
  for (const [addr, id] of [[DOWN, a.id], [SLOW, b.id]]) {
    const kept = dedupe(to(msgs, addr));
    assert.deepEqual(kept.map((m) => m.subject), [`We received your report ${id}: Graffiti`, `Report ${id}: Acknowledged`]);
    const events = kept.map((m) => m.header('x-meldpunt-event'));
    assert.equal(new Set(events).size, events.length);
  }
  // The relay's late 250 reaches the new server: marked sent, not sent a third time.
  let rows = [];
  for (let i = 0; i < 100; i++) {
    rows = (await outbox('?limit=1000')).messages.filter((m) => m.report_id === b.id);
    if (rows.every((m) => m.state === 'sent')) break;
    await sleep(100);
  }
  assert.ok(rows.length === 2 && rows.every((m) => m.state === 'sent'), JSON.stringify(rows));
  await sleep(1000);
  assert.equal(to(await sink.messages(), SLOW).length, count + 2);
});

test('the relay down for a while: mail stays queued, visible, and is delivered when it is back', async () => {
  const a = await report(DOWN);
  await sink.waitFor((ms) => to(ms, DOWN).some((m) => m.subject.includes(`${a.id}`)));
  await sink.stop();
  await move(a.cluster, 'acknowledged', 'Seen');
  // Queued, with the reason, in the admin API and on the command line.
  let queued;
  for (let i = 0; i < 100 && !queued; i++) {
    queued = (await outbox('?state=queued')).messages.find((m) => m.report_id === a.id && m.last_error);
    if (!queued) await sleep(100);
  }
  assert.ok(queued, 'a queued message with the reason it waits');
  assert.match(queued.last_error, /connect/i);
  assert.equal(queued.to, 'd***@example.org', 'the address is hidden');
  const cli = await meldpunt(['outbox', 'list', '--state', 'queued', '--db', srv.db]);
  assert.match(cli.stdout, new RegExp(`^${queued.id} +queued +status +d\\*\\*\\*@example\\.org `, 'm'));
  await sleep(1500);
  await sink.start();
  const msgs = await sink.waitFor((ms) => to(ms, DOWN).some((m) => m.subject === `Report ${a.id}: Acknowledged`),
    { what: 'the mail after the relay came back', timeout: 60000 });
  assert.equal(to(msgs, DOWN).filter((m) => m.subject === `Report ${a.id}: Acknowledged`).length, 1);
});

test('a permanent refusal fails the message at once; it can be queued again', async () => {
  const a = await report(REJECT);
  let failed;
  for (let i = 0; i < 100 && !failed; i++) {
    failed = (await outbox('?state=failed')).messages.find((m) => m.report_id === a.id);
    if (!failed) await sleep(100);
  }
  assert.ok(failed, 'failed');
  assert.match(failed.last_error, /^smtp 550/);
  assert.equal(failed.attempts, 1);
  const r = await api(srv.url, 'POST', `/api/v1/outbox/${failed.id}/retry`, { token: admin });
  assert.deepEqual(r.body, { queued: 1 });
  let again;
  for (let i = 0; i < 100 && !(again && again.attempts === 2); i++) {
    again = (await outbox('?state=failed')).messages.find((m) => m.id === failed.id);
    if (!(again && again.attempts === 2)) await sleep(100);
  }
  assert.equal(again.attempts, 2, 'sent again, refused again');
  const sent = (await outbox('?state=sent')).messages[0];
  const notFailed = await api(srv.url, 'POST', `/api/v1/outbox/${sent.id}/retry`, { token: admin });
  assert.equal(notFailed.status, 404, 'only a failed message is queued again');
  assert.equal(notFailed.body.error.message, `there is no failed message ${sent.id}`);
  const show = await meldpunt(['outbox', 'show', String(failed.id), '--db', srv.db]);
  assert.match(show.stdout, new RegExp(`^to: +${REJECT.replace('.', '\\.')}$`, 'm'), 'the operator sees the address');
  const client = await srv.user('mail-client', 'client');
  assert.equal((await api(srv.url, 'GET', '/api/v1/outbox', { token: client })).status, 403);
});

test('no address in the log, nor in any answer of the outbox API', async () => {
  const log = srv.log();
  const body = JSON.stringify(await outbox('?limit=1000'));
  for (const a of ADDRESSES) {
    assert.ok(!log.toLowerCase().includes(a), `the log holds ${a}`);
    assert.ok(!body.includes(a), `the outbox API shows ${a}`);
  }
  assert.match(log, /outbox: message \d+ \(confirm\) not sent: smtp 550/, 'the log says what failed, without whom');
});

test('the per-address rate limit holds mail back; without MELDPUNT_SMTP_URL mail stays queued', async () => {
  const limited = await startServer({ env: { ...env, MELDPUNT_MAIL_RATE: '2' } });
  const none = await startServer({ env: { MELDPUNT_MAIL_FROM: FROM } });
  try {
    const token = await limited.user('rate-admin', 'admin');
    const p = offset(LOOP, -3000, 0);
    const r = await api(limited.url, 'POST', '/api/v1/reports', { json: { category: 'graffiti', lat: p.lat, lon: p.lon,
      contact: { email: 'rate.limited@example.org' } } });
    for (const status of ['acknowledged', 'scheduled']) {
      await api(limited.url, 'POST', `/api/v1/clusters/${r.body.cluster.id}/status`, { token, json: { status } });
    }
    await sink.waitFor((ms) => to(ms, 'rate.limited@example.org').length === 2);
    await sleep(1000);
    assert.equal(to(await sink.messages(), 'rate.limited@example.org').length, 2, 'two an hour');
    const held = (await api(limited.url, 'GET', '/api/v1/outbox?state=queued', { token })).body.messages;
    assert.equal(held.length, 1);
    assert.match(held[0].last_error, /rate limit/);
    assert.ok(Date.parse(held[0].next_at) > Date.now() + 3000 * 1000, 'waits for the hour to pass');

    await api(none.url, 'POST', '/api/v1/reports', { json: { category: 'graffiti', lat: p.lat, lon: p.lon,
      contact: { email: 'no.relay@example.org' } } });
    await sleep(500);
    assert.match(none.log(), /MELDPUNT_SMTP_URL is not set: mail stays queued/);
    const cli = await meldpunt(['outbox', '--db', none.db]);
    assert.match(cli.stdout, /^outbox: queued 1$/m);
    assert.match(cli.stdout, /queued +confirm +n\*\*\*@example\.org/);
  } finally {
    await limited.cleanup();
    await none.cleanup();
  }
});
