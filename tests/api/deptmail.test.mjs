// Mail to departments (issue 16, "staff") with real parts: the real server on a copy of the
// Chicago pack whose automation.json gives the department "streets" its address, a real SMTP
// server (aiosmtpd) receiving what it sends. A new job routed to the department mails it at
// once (a "me too" report does not); a job that became overdue mails it once, however often
// the sender looks (at each start: the clock moved the way the other mail tests move it, in
// the database). The morning digest's calendar (weekends, holidays) is unit.test_alerts's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { api, startServer, LOOP, offset, CITY_DIR, dbQuery } from './lib.mjs';
import { startSink, links } from '../notify/mail.mjs';

const FROM = 'meldpunt@city.example';
const STREETS = 'streets.department@city.example';
const REPORTER = { name: 'Rita Reporter', email: 'rita.reporter@example.net' };

// The CLI waits for the server's write transactions (the senders write every 100 ms) instead of
// failing at once with "database is locked" under load.
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let sink;
let srv;
let pack;

before(async () => {
  pack = await mkdtemp(path.join(tmpdir(), 'meldpunt-deptpack-'));
  await cp(CITY_DIR, pack, { recursive: true });
  const rules = JSON.parse(await readFile(path.join(CITY_DIR, 'automation.json'), 'utf8'));
  rules.departments = { streets: { email: STREETS, mail: 'immediate', lang: 'nl' } };
  await writeFile(path.join(pack, 'automation.json'), JSON.stringify(rules, null, 2));
  sink = await startSink();
  srv = await startServer({ city: pack, env: { MELDPUNT_SMTP_URL: sink.url, MELDPUNT_SMTP_TLS: 'none',
    MELDPUNT_MAIL_FROM: FROM, MELDPUNT_MAIL_RETRY: '1' } });
});
after(async () => {
  // The sink is stopped even when the server never started (else node waits for it forever).
  try {
    await srv?.cleanup();
  } finally {
    await sink?.stop();
    await rm(pack, { recursive: true, force: true });
  }
});

const to = (msgs, addr) => msgs.filter((m) => m.envelope.rcpt_tos.includes(addr));

async function report(p, { category = 'pothole', sameAs } = {}) {
  const r = await api(srv.url, 'POST', '/api/v1/reports', {
    json: { category, lat: p.lat, lon: p.lon, description: 'Deep hole', contact: REPORTER, same_as: sameAs } });
  assert.equal(r.status, 201, r.text);
  return { id: r.body.report.id, cluster: r.body.cluster.id };
}

test('a new job routed to the department mails it once, in its language', async () => {
  const job = await report(offset(LOOP, 0, -800));
  await report(offset(LOOP, 0, -800), { sameAs: job.cluster });
  await report(offset(LOOP, 0, -1600), { category: 'graffiti' }); // sanitation: no address
  const msgs = to(await sink.waitFor((ms) => to(ms, STREETS).length === 1, { what: 'the department mail' }), STREETS);
  const m = msgs[0];
  assert.equal(m.subject, `Nieuwe taak ${job.cluster}: Gat in de weg`);
  assert.equal(m.header('content-language'), 'nl');
  assert.ok(links(m.text).includes(`${srv.url}/staff.html`), m.text);
  assert.equal(m.header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
  for (const secret of [REPORTER.name, REPORTER.email]) assert.ok(!m.raw.toString('utf8').includes(secret), secret);
  await sleep(500);
  assert.equal(to(await sink.messages(), STREETS).length, 1, 'the "me too" report and the graffiti job mail nobody');
});

test('a job that became overdue mails the department once', async () => {
  const job = await report(offset(LOOP, 300, -800));
  await sink.waitFor((ms) => to(ms, STREETS).length === 2, { what: 'the new job mail' });
  // Three weeks ago: past its 7 working days. The sender looks at start (and every 5 minutes).
  dbQuery(srv.db, `UPDATE clusters SET first_at = first_at - 21 * 86400 WHERE id = ${job.cluster}`);
  await srv.stop();
  await srv.start();
  const msgs = to(await sink.waitFor((ms) => to(ms, STREETS).length === 3, { what: 'the overdue mail' }), STREETS);
  assert.equal(msgs[2].subject, `Over tijd ${job.cluster}: Gat in de weg`);
  assert.match(msgs[2].text, new RegExp(`Taak ${job.cluster} van uw afdeling is over de afgesproken termijn`));
  await srv.stop();
  await srv.start();
  await sleep(1500);
  assert.equal(to(await sink.messages(), STREETS).length, 3, 'not twice');
  assert.equal(dbQuery(srv.db, `SELECT count(*) FROM outbox WHERE kind = 'dept_overdue' AND cluster_id = ${job.cluster}`), '1');
});

// The rules are kept between reports and requests (automation_cache.h) and read again when the
// file changes: an edit reaches the staff side and the writer's department mail without a restart.
test('an edited automation.json takes effect without a restart, for staff and for department mail', async () => {
  const SANITATION = 'sanitation.department@city.example';
  const rules = JSON.parse(await readFile(path.join(pack, 'automation.json'), 'utf8'));
  let r = await api(srv.url, 'GET', '/api/v1/automation');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.description, rules.description);
  await report(offset(LOOP, 600, -1600), { category: 'graffiti' }); // sanitation: no address yet
  rules.description = 'Edited while the server runs';
  rules.departments.sanitation = { email: SANITATION, mail: 'immediate', lang: 'en' };
  await writeFile(path.join(pack, 'automation.json'), JSON.stringify(rules, null, 2));
  r = await api(srv.url, 'GET', '/api/v1/automation');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.description, 'Edited while the server runs');
  const job = await report(offset(LOOP, 900, -1600), { category: 'graffiti' });
  const msgs = to(await sink.waitFor((ms) => to(ms, SANITATION).length === 1, { what: 'the sanitation mail' }), SANITATION);
  assert.match(msgs[0].subject, new RegExp(`^New job ${job.cluster}: `));
});
