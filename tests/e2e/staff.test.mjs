// The dispatcher page: sign in, open a cluster from the queue, see why its reports were folded
// together, change its status with an internal note, assign a crew, split a report off, and take
// a report by phone with the duplicate check.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, screenshot, DESKTOP } from './server.mjs';
import { startServer, api, offset, LOOP } from '../api/lib.mjs';

let server;
let browser;
let disp;
let first;

before(async () => {
  server = await startServer();
  disp = await server.user('dana', 'dispatcher');
  await server.user('crew-a', 'crew', 'streets');
  const a = await api(server.url, 'POST', '/api/v1/reports', {
    json: { category: 'pothole', lat: LOOP.lat, lon: LOOP.lon, description: 'first', contact: { name: 'Ann Caller' } },
  });
  const p2 = offset(LOOP, 4, 3);
  const b = await api(server.url, 'POST', '/api/v1/reports', { json: { category: 'pothole', lat: p2.lat, lon: p2.lon, description: 'second' } });
  assert.equal(b.body.cluster.id, a.body.cluster.id);
  first = a.body.cluster.id;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.cleanup();
});

test('queue, detail, status, assignment, split and phone intake', { timeout: 120000 }, async () => {
  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    await page.goto(`${server.url}/staff`);
    await page.fill('#token', disp);
    await page.click('#signin-form button[type=submit]');
    const item = page.locator(`.queue-item[data-cluster-id="${first}"]`);
    await item.waitFor();
    await item.click();
    const reports = page.locator('#detail-reports > li');
    await reports.nth(1).waitFor();
    assert.match(await reports.nth(0).textContent(), /started this cluster.*Contact: Ann Caller/s);
    assert.match(await reports.nth(1).textContent(), /joined: 5\.0 m from the centre/);

    await page.selectOption('#s-status', 'acknowledged');
    await page.fill('#s-note', 'Checked by phone with the caller.');
    await page.click('#status-form button[type=submit]');
    await page.waitForFunction(() => /Acknowledged/.test(document.getElementById('detail-title').textContent));
    assert.match(await page.textContent('#detail-history'), /Internal note: Checked by phone with the caller\./);
    await page.selectOption('#a-crew', 'crew-a');
    await page.click('#assign-form button[type=submit]');
    await page.waitForFunction(() => /crew-a/.test(document.getElementById('detail-facts').textContent));
    await screenshot(page, 'staff-detail');
    const staff = await api(server.url, 'GET', `/api/v1/staff/clusters/${first}`, { token: disp });
    assert.equal(staff.body.cluster.crew, 'crew-a');
    assert.equal(staff.body.cluster.status, 'acknowledged');
    const pub = await api(server.url, 'GET', `/api/v1/clusters/${first}`);
    assert.equal(JSON.stringify(pub.body).includes('Checked by phone'), false);

    await reports.nth(1).locator('button').click();
    await page.waitForFunction(() => document.querySelectorAll('#detail-reports > li').length === 1);
    assert.match(await page.textContent('#message'), /Report \d+ moved to cluster \d+\./);

    await page.click('#tab-intake');
    await page.selectOption('#i-channel', 'phone');
    await page.selectOption('#i-category', 'graffiti');
    const box = await page.locator('#intake-map').boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.locator('#i-nearby p').waitFor();
    assert.match(await page.textContent('#i-nearby'), /Duplicate check: no open cluster/);
    await page.fill('#i-description', 'Tag on the bus shelter, caller on the line.');
    await page.fill('#i-name', 'Caller Person');
    await page.click('#intake-form button[type=submit]');
    await page.waitForFunction(() => /saved/.test(document.getElementById('intake-result').textContent));
    const id = Number(await page.getAttribute('#intake-result', 'data-cluster-id'));
    await screenshot(page, 'staff-intake');
    const made = await api(server.url, 'GET', `/api/v1/staff/clusters/${id}`, { token: disp });
    assert.equal(made.body.reports[0].channel, 'phone');
    assert.equal(made.body.reports[0].contact.name, 'Caller Person');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
