// The crew page on a phone: sign in with a token, pull the worklist of a district, start a job,
// mark it fixed with a note and a photo, and see it leave the list; plus a refused token, the
// printable list and the GPX download.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { launchBrowser, newPage, screenshot, PHONE, DESKTOP } from './server.mjs';
import { startServer, api, offset, SOURCE_DIR } from '../api/lib.mjs';

let server;
let browser;
let tok;
const jobs = []; // cluster ids in Hyde Park (district 41), streets department
const HYDE_PARK = { lat: 41.7943, lon: -87.5907 };

before(async () => {
  server = await startServer();
  tok = {
    crew: await server.user('crew-e2e', 'crew', 'streets'),
    disp: await server.user('disp-e2e', 'dispatcher'),
  };
  const spots = [[0, 0], [350, 250], [-300, 400]];
  for (const [n, e] of spots) {
    const p = offset(HYDE_PARK, n, e);
    const r = await api(server.url, 'POST', '/api/v1/reports', {
      json: { category: 'pothole', lat: p.lat, lon: p.lon, address: `${5300 + n} S E2E Ave`, description: 'e2e pothole' },
    });
    assert.equal(r.status, 201, r.text);
    jobs.push(r.body.cluster.id);
    const a = await api(server.url, 'POST', `/api/v1/clusters/${r.body.cluster.id}/status`, {
      json: { status: 'acknowledged' }, token: tok.disp,
    });
    assert.equal(a.status, 200, a.text);
  }
  // A lighting job in the same district: not on a streets crew's list.
  const l = await api(server.url, 'POST', '/api/v1/reports', {
    json: { category: 'street_light_out', lat: HYDE_PARK.lat + 0.002, lon: HYDE_PARK.lon },
  });
  assert.equal(l.status, 201);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.cleanup();
});

async function signIn(page, token) {
  await page.goto(`${server.url}/crew`);
  await page.fill('#token', token);
  await page.click('#signin-form button[type=submit]');
}

test('a wrong token is refused with a clear message', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(browser, { viewport: PHONE, mobile: true });
  try {
    await signIn(page, 'mp_this-is-not-a-valid-token-at-all-000000000');
    await page.locator('#signin-error').waitFor({ state: 'visible' });
    assert.equal(await page.textContent('#signin-error'), 'This token is not valid.');
    assert.equal(await page.isHidden('#work'), true);
    // Only the expected 401 of the check may show in the console.
    assert.deepEqual(problems.filter((p) => !/401/.test(p)), []);
  } finally {
    await context.close();
  }
});

test('sign in, pull the worklist, start a job, mark it fixed, see it leave the list', { timeout: 120000 }, async () => {
  const { context, page, problems } = await newPage(browser, { viewport: PHONE, mobile: true });
  try {
    await signIn(page, tok.crew);
    await page.locator('#work').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#who-name'), /crew-e2e · streets/);
    await page.selectOption('#district', '41');
    const answer = page.waitForResponse((r) => r.url().includes('/api/v1/worklist?') && r.ok());
    await page.click('#load');
    await answer;
    const items = page.locator('#jobs > li.job');
    await items.first().waitFor();
    assert.equal(await items.count(), 3);
    const listed = await items.evaluateAll((els) => els.map((el) => Number(el.dataset.clusterId)));
    assert.deepEqual([...listed].sort((a, b) => a - b), [...jobs].sort((a, b) => a - b));
    assert.match(await page.textContent('#summary'), /^3 jobs for streets, route \d/);
    assert.deepEqual(await page.locator('#jobs .stop').allTextContents(), ['1', '2', '3']);
    assert.equal(await page.locator('.leaflet-marker-icon.stop-icon').count(), 3);
    assert.equal(await page.locator('path.route-line').count(), 1);
    await screenshot(page, 'crew-phone-worklist');

    // Stop 1: start work (acknowledged -> in_progress), then mark it fixed with a photo.
    const first = items.first();
    const id = Number(await first.getAttribute('data-cluster-id'));
    assert.equal(await first.locator('.act-fixed').isHidden(), true, 'not started yet');
    await first.locator('.act-start').click();
    await page.waitForFunction((cid) => document.querySelector(`#jobs li[data-cluster-id="${cid}"]`)?.dataset.status === 'in_progress', id);
    const job = page.locator(`#jobs li[data-cluster-id="${id}"]`);
    assert.match(await page.textContent('#message'), /is now in progress/);
    await job.locator('.act-fixed').click();
    await job.locator('textarea[name=note]').fill('Filled with hot asphalt.');
    await job.locator('input[name=note_public]').check();
    await job.locator('input[name=photo]').setInputFiles(path.join(SOURCE_DIR, 'tests/fixtures/photos/gray.jpg'));
    await screenshot(page, 'crew-phone-fix-form');
    await job.locator('.fix-form button[type=submit]').click();
    await job.waitFor({ state: 'detached' });
    assert.equal(await items.count(), 2);
    assert.match(await page.textContent('#message'), /marked fixed\. It has left the list\./);
    assert.deepEqual(await page.locator('#jobs .stop').allTextContents(), ['1', '2'], 'renumbered');
    await screenshot(page, 'crew-phone-after-fix');

    const pub = await api(server.url, 'GET', `/api/v1/clusters/${id}`);
    assert.equal(pub.body.properties.status, 'fixed');
    assert.equal(pub.body.properties.history.at(-1).note, 'Filled with hot asphalt.');
    const staff = await api(server.url, 'GET', `/api/v1/staff/clusters/${id}`, { token: tok.disp });
    assert.equal(staff.body.photos.length, 1);
    assert.deepEqual(staff.body.history.slice(-2).map((h) => [h.status, h.actor]),
      [['in_progress', 'crew-e2e'], ['fixed', 'crew-e2e']]);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the list prints without the map, and the GPX downloads', { timeout: 90000 }, async () => {
  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    await signIn(page, tok.crew);
    await page.locator('#work').waitFor({ state: 'visible' });
    // Signed in already: a reload keeps the session.
    await page.reload();
    await page.locator('#work').waitFor({ state: 'visible' });
    await page.click('#load');
    await page.locator('#jobs > li.job').first().waitFor();
    await screenshot(page, 'crew-desktop-worklist');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.isVisible('#map'), false);
    assert.equal(await page.isVisible('#jobs'), true);
    assert.equal(await page.isVisible('.act-start'), false);
    await screenshot(page, 'crew-print');
    await page.emulateMedia({ media: 'screen' });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dl-gpx')]);
    assert.equal(download.suggestedFilename(), 'worklist.gpx');
    const gpx = await readFile(await download.path(), 'utf8');
    assert.match(gpx, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<gpx version="1\.1"/);
    assert.equal((gpx.match(/<rtept /g) || []).length, await page.locator('#jobs > li.job').count());
    await page.click('#sign-out');
    await page.locator('#signin').waitFor({ state: 'visible' });
    await page.reload();
    await page.locator('#signin').waitFor({ state: 'visible' });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
