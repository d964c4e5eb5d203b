// Area alerts in the browser: the map page's link opens /alerts.html around the map's centre,
// the form asks for an alert (nothing else is sent than the confirmation, from a real SMTP
// server: tests/notify/smtp_sink.py), the confirmation mail's link opens the page that starts
// the alert with a click, and the next new problem nearby arrives as an alert whose "stop
// this alert" link stops it through the unsubscribe page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, onPage } from './server.mjs';
import { startSink, links } from '../notify/mail.mjs';

const EMAIL = 'e2e.neighbour@example.org';
const env = { server: null, browser: null };
let sink;
before(async () => {
  sink = await startSink();
  env.server = await startServer({ env: { MELDPUNT_SMTP_URL: sink.url, MELDPUNT_SMTP_TLS: 'none',
    MELDPUNT_MAIL_FROM: 'meldpunt@city.example' } });
  env.browser = await launchBrowser();
});
after(async () => {
  await env.browser?.close();
  await env.server?.stop();
  await sink?.stop();
});

const mailTo = async (re) => (await sink.waitFor((ms) => ms.some((m) => re.test(m.subject)), { what: String(re) }))
  .filter((m) => re.test(m.subject)).pop();

test('subscribe on the page, confirm from the mail, get an alert, stop it from the alert', { timeout: 90000 }, async () => {
  await onPage(env.browser, async ({ page, problems }) => {
    await page.goto(`${env.server.url}/alerts.html?lat=41.8781&lon=-87.6298`);
    await page.locator('#alert-form').waitFor({ state: 'visible' });
    assert.equal(await page.inputValue('#alert-lat'), '41.8781');
    await page.fill('#alert-email', EMAIL);
    await page.selectOption('#alert-radius', '1000');
    await page.click('#alert-form button[type=submit]');
    await page.locator('#page-status', { hasText: EMAIL }).waitFor();
    assert.deepEqual(problems, []);
  });
  const confirm = await mailTo(/Confirm your alert/);
  const link = links(confirm.text).find((u) => u.includes('/alerts.html?t='));
  assert.ok(link, confirm.text);
  await onPage(env.browser, async ({ page, problems }) => {
    await page.goto(link);
    await page.locator('#alert-confirm').click();
    await page.locator('#page-status', { hasText: 'the alert is on' }).waitFor();
    assert.deepEqual(problems, []);
  });
  const r = await fetch(`${env.server.url}/api/v1/reports`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ category: 'graffiti', lat: 41.8790, lon: -87.6290, description: 'Tags, e2e' }) });
  assert.equal(r.status, 201);
  const alert = await mailTo(/New problem nearby/);
  const stop = links(alert.text).find((u) => u.includes('/unsubscribe.html?t=') && alert.text.indexOf(u) < alert.text.indexOf('No more mail from us'));
  assert.ok(stop, alert.text);
  await onPage(env.browser, async ({ page, problems }) => {
    await page.goto(stop);
    await page.locator('#unsub-confirm').click();
    await page.locator('#page-status', { hasText: 'this alert mails you no more' }).waitFor();
    assert.deepEqual(problems, []);
  });
});
