// The links in reporters' mail, followed in the browser: the report page from the
// confirmation, the satisfaction check from the "fixed" mail (not satisfied, a reason that
// reopens, text and a photo), the unsubscribe pages, and "my reports" by a sign-in link. The
// mails come from a real SMTP server (tests/notify/smtp_sink.py) the server sends to.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launchBrowser, onPage, screenshot, SOURCE_DIR } from './server.mjs';
import { startSink, links } from '../notify/mail.mjs';

const EMAIL = 'e2e.reporter@example.org';
const admin = 'e2e-admin-token-0123456789';
const env = { server: null, browser: null };
let sink;
// One hook: the server needs the relay's port (node runs separate hooks side by side).
before(async () => {
  sink = await startSink();
  env.server = await startServer({ env: { MELDPUNT_SMTP_URL: sink.url, MELDPUNT_SMTP_TLS: 'none',
    MELDPUNT_MAIL_FROM: 'meldpunt@city.example', MELDPUNT_ADMIN_TOKEN: admin } });
  env.browser = await launchBrowser();
});
after(async () => {
  await env.browser?.close();
  await env.server?.stop();
  await sink?.stop();
});

const state = {};

async function post(p, json, token) {
  const res = await fetch(env.server.url + p, { method: 'POST', body: JSON.stringify(json),
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) } });
  assert.ok(res.ok, `${p}: ${res.status} ${await res.clone().text()}`);
  return res.json();
}

const mailTo = async (re) => (await sink.waitFor((ms) => ms.some((m) => re.test(m.subject)), { what: String(re) }))
  .find((m) => re.test(m.subject));

test('the confirmation mail\'s link opens the report\'s page', async () => {
  const r = await post('/api/v1/reports', { category: 'graffiti', lat: 41.8721, lon: -87.6398,
    description: 'Tags on the bridge, e2e', contact: { email: EMAIL } });
  state.id = r.report.id;
  state.cluster = r.cluster.id;
  const mail = await mailTo(new RegExp(`We received your report ${state.id}:`));
  const url = links(mail.text).find((u) => u.endsWith(`/r/${state.id}`));
  assert.ok(url, mail.text);
  await onPage(env.browser, async ({ page, problems }) => {
    await page.goto(url);
    await page.locator('#report').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#report-heading'), new RegExp(`Report ${state.id}`));
    assert.deepEqual(problems, []);
  });
});

test('the "not satisfied" link of the fixed mail: reasons, text, photo; the job asks to be reopened', { timeout: 60000 }, async () => {
  for (const status of ['acknowledged', 'in_progress', 'fixed']) {
    await post(`/api/v1/clusters/${state.cluster}/status`, { status }, admin);
  }
  const mail = await mailTo(new RegExp(`Report ${state.id} is fixed`));
  const no = links(mail.text).find((u) => u.includes('/kto.html?') && u.endsWith('a=no'));
  assert.ok(no, mail.text);
  await onPage(env.browser, async ({ page, problems }) => {
    await page.goto(no);
    await page.locator('#kto-form').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#page-status'), new RegExp(`not satisfied with how report ${state.id}`));
    assert.ok(!page.url().includes('t='), 'the token leaves the address bar');
    await page.check('#reason-not_fixed');
    await page.fill('#kto-text', 'The tags are still there.');
    await page.setInputFiles('#kto-photo', path.join(SOURCE_DIR, 'tests', 'fixtures', 'photos', 'gps_orient6.jpg'));
    await screenshot(page, 'kto-form');
    await page.click('#kto-send');
    await page.waitForFunction(() => /dispatcher/.test(document.getElementById('page-status').textContent));
    assert.equal(await page.locator('#kto-form').isHidden(), true);
    assert.deepEqual(problems, []);
    // The link works once.
    await page.goto(no);
    await page.locator('#page-error').waitFor({ state: 'visible' });
    assert.equal(await page.textContent('#page-error'), 'This link has been used already.');
  });
  const job = await (await fetch(`${env.server.url}/api/v1/clusters/${state.cluster}`)).json();
  assert.equal(job.properties.status, 'reopen_requested');
});

test('the unsubscribe links: the page asks, then stops mail about the report, then all mail', async () => {
  const mail = await mailTo(new RegExp(`Report ${state.id} is fixed`));
  const report = links(mail.text).find((u) => u.includes('/unsubscribe.html?t=') && mail.text.includes(`about this report: ${u}`));
  const all = links(mail.text).find((u) => u.includes('/unsubscribe.html?t=') && mail.text.includes(`at all: ${u}`));
  assert.ok(report && all && report !== all, mail.text);
  await onPage(env.browser, async ({ page, problems }) => {
    await page.goto(report);
    await page.locator('#unsub-confirm').waitFor({ state: 'visible' });
    assert.equal(await page.textContent('#page-status'), '', 'nothing is stopped by opening the page');
    await page.click('#unsub-confirm');
    await page.waitForFunction(() => /no more mail about report/.test(document.getElementById('page-status').textContent));
    assert.equal(await page.textContent('#page-status'), `Done: you will get no more mail about report ${state.id}.`);
    await page.goto(all);
    await page.click('#unsub-confirm');
    await page.waitForFunction(() => /no more mail to this address/.test(document.getElementById('page-status').textContent));
    await screenshot(page, 'unsubscribe-done');
    assert.deepEqual(problems, []);
  });
});

test('"my reports" in Dutch: the sign-in link lists the address\'s reports', async () => {
  await onPage(env.browser, async ({ page, problems }) => {
    await page.goto(`${env.server.url}/my-reports.html`);
    await page.fill('#signin-email', EMAIL);
    await page.click('#signin-send');
    await page.waitForFunction(() => /link/.test(document.getElementById('page-status').textContent));
    const mail = await mailTo(/Your reports to the City of Chicago/);
    const link = links(mail.text).find((u) => u.includes('/my-reports.html?t='));
    await page.goto(link);
    await page.locator('#mine').waitFor({ state: 'visible' });
    const item = page.locator(`#mine-reports li[data-id="${state.id}"]`);
    assert.match(await item.textContent(), new RegExp(`Graffiti \\(${state.id}\\)`));
    assert.match(await item.textContent(), /No mail about it/);
    await page.click('#lang-switch');
    assert.equal(await page.textContent('#mine-heading'), 'Meldingen gedaan met uw adres');
    await screenshot(page, 'my-reports');
    assert.deepEqual(problems, []);
  }, { locale: 'en-US' });
});
