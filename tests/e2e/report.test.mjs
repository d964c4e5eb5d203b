// Reporting on a desktop screen: pin, form, duplicate offer, confirmation, the report's page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  serverAndBrowser, newPage, screenshot, api, openMap, clickMapCentre, metres, SPOT,
} from './server.mjs';

const env = serverAndBrowser();
let first; // the report made by the first test: { id, clusterId }

async function fillForm(page, description) {
  await page.selectOption('#category', 'pothole');
  await page.fill('#description', description);
}

test('the spot has no pothole report yet', async () => {
  const { status, body } = await api(env.server.url, `/api/v1/nearby?lat=${SPOT.lat}&lon=${SPOT.lon}&category=pothole`);
  assert.equal(status, 200);
  assert.equal(body.would_join, null);
  assert.deepEqual(body.clusters, []);
});

test('a pin placed with a click and sent becomes a report in the API', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(env.browser);
  try {
    await openMap(page, env.server.url);
    await assert.rejects(page.locator('#report-panel').waitFor({ state: 'visible', timeout: 200 }));
    await clickMapCentre(page);
    await page.locator('#report-panel').waitFor({ state: 'visible' });
    await assert.doesNotReject(page.locator('.report-pin').waitFor({ state: 'visible' }));
    assert.match(await page.textContent('#location-text'), /Pin placed at 41\.878/);

    const description = 'Deep pothole in the right lane, e2e test one.';
    await fillForm(page, description);
    assert.equal(await page.textContent('#description-count'), `${description.length} of 2000 characters`);
    await page.fill('#address', '121 N LaSalle St');
    await page.locator('.contact summary').click();
    await page.fill('#contact-name', 'Test Person');
    await page.fill('#contact-email', 'test@example.org');
    await page.click('#submit');

    await page.locator('#done').waitFor({ state: 'visible' });
    const link = page.locator('#done-link');
    const id = await link.getAttribute('data-report-id');
    assert.ok(id, 'the confirmation names the report');
    assert.equal(await link.getAttribute('href'), `/r/${id}`);
    assert.match(await page.textContent('#done-text'), new RegExp(`Your report ${id} was received`));

    const { status, body } = await api(env.server.url, `/api/v1/reports/${id}`);
    assert.equal(status, 200);
    assert.equal(body.properties.category, 'pothole');
    assert.equal(body.properties.description, description);
    const [lon, lat] = body.geometry.coordinates;
    assert.ok(metres({ lat, lon }, SPOT) < 3, `report at ${lat},${lon}, clicked at ${SPOT.lat},${SPOT.lon}`);
    assert.equal(JSON.stringify(body).includes('test@example.org'), false, 'contact details stay private');
    first = { id, clusterId: String(body.properties.cluster_id) };

    // The new report shows on the map as a cluster of one.
    const marker = page.locator(`[data-kind="cluster"][data-cluster-id="${first.clusterId}"]`);
    await marker.waitFor();
    assert.equal(await marker.getAttribute('data-count'), '1');
    await screenshot(page, 'desktop-confirmation');
    // Followed from this browser: listed under "My reports", one click from the top bar.
    await page.click('#open-mine');
    await page.locator('#mine-panel').waitFor({ state: 'visible' });
    assert.equal(await page.locator(`#mine-list a[href="/r/${id}"]`).count(), 1);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a second report at the same spot is offered as a duplicate and joins it', { timeout: 60000 }, async () => {
  assert.ok(first, 'needs the report of the previous test');
  const { context, page, problems } = await newPage(env.browser);
  try {
    await openMap(page, env.server.url);
    // The first report's marker sits at the centre now; tap beside it (about 7 m away).
    await page.locator(`[data-cluster-id="${first.clusterId}"]`).waitFor();
    await clickMapCentre(page, { dx: 16, dy: 16 });
    await page.locator('#report-panel').waitFor({ state: 'visible' });
    await fillForm(page, 'Same pothole, it is getting bigger.');
    // The offer appears as soon as the place and the category are known.
    const same = page.locator(`#dup [data-same-as="${first.clusterId}"]`);
    await same.waitFor({ state: 'visible' });
    const item = page.locator(`#dup-list li[data-cluster-id="${first.clusterId}"]`);
    assert.match(await item.textContent(), /1 neighbour reported this \d+ m away/);
    assert.ok(await page.locator('#dup-other').isVisible());
    await page.locator('#dup').scrollIntoViewIfNeeded();
    await screenshot(page, 'desktop-form-duplicate');

    // Sending without choosing asks for a choice instead of sending.
    await page.click('#submit');
    await page.waitForFunction(() => /Please tell us/.test(document.getElementById('dup-choice').textContent));
    assert.equal(await page.locator('#done').isVisible(), false);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'dup-title');

    // The choice is marked, not sent: Send sends the report with it.
    const posted = page.waitForRequest((r) => r.url().endsWith('/api/v1/reports') && r.method() === 'POST');
    await same.click();
    assert.equal(await same.getAttribute('aria-pressed'), 'true');
    assert.equal(await page.locator('#done').isVisible(), false);
    await page.click('#submit');
    const request = await posted;
    assert.equal(String(JSON.parse(request.postData()).same_as), first.clusterId);
    await page.locator('#done').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#done-text'), /it has now been reported 2 times/);
    const id = await page.locator('#done-link').getAttribute('data-report-id');
    const { body } = await api(env.server.url, `/api/v1/reports/${id}`);
    assert.equal(String(body.properties.cluster_id), first.clusterId);
    assert.equal(body.properties.report_count, 2);

    // The map shows the cluster with 2 reports: on the marker and in its popup.
    await page.click('#report-panel .panel-close');
    const marker = page.locator(`[data-kind="cluster"][data-cluster-id="${first.clusterId}"][data-count="2"]`);
    await marker.waitFor();
    assert.equal(await marker.locator('.sym-count').textContent(), '2');
    await marker.click();
    const count = page.locator('.leaflet-popup .popup-count');
    await count.waitFor();
    await page.locator('.leaflet-popup .history').waitFor();
    assert.equal(await count.getAttribute('data-count'), '2');
    assert.equal(await count.textContent(), '2 reports');
    assert.match(await page.textContent('.leaflet-popup .popup-title'), /Pothole in street/);
    assert.match(await page.textContent('.leaflet-popup .popup-age'), /First reported (now|\d+ (second|minute)s? ago|this minute)/);
    assert.match(await page.textContent('.leaflet-popup .popup-status'), /New|Acknowledged/);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('"this is something else" sends a separate report', { timeout: 60000 }, async () => {
  assert.ok(first, 'needs the report of the first test');
  const { context, page, problems } = await newPage(env.browser);
  try {
    await openMap(page, env.server.url);
    await page.locator(`[data-cluster-id="${first.clusterId}"]`).waitFor();
    await clickMapCentre(page, { dx: -16, dy: 16 });
    await fillForm(page, 'A second, different hole a few metres further.');
    await page.locator('#dup-other').waitFor({ state: 'visible' });
    const posted = page.waitForRequest((r) => r.url().endsWith('/api/v1/reports') && r.method() === 'POST');
    await page.click('#dup-other');
    assert.equal(await page.getAttribute('#dup-other', 'aria-pressed'), 'true');
    assert.match(await page.textContent('#dup-choice'), /sent as a new problem when you send it/);
    await page.click('#submit');
    const sent = JSON.parse((await posted).postData());
    assert.deepEqual(sent.not_same_as.map(String), [first.clusterId]);
    assert.equal(sent.same_as, undefined);
    await page.locator('#done').waitFor({ state: 'visible' });
    const id = await page.locator('#done-link').getAttribute('data-report-id');
    const { body } = await api(env.server.url, `/api/v1/reports/${id}`);
    assert.notEqual(String(body.properties.cluster_id), first.clusterId);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the report page shows status, category, place and history', { timeout: 60000 }, async () => {
  assert.ok(first, 'needs the report of the first test');
  const { context, page, problems } = await newPage(env.browser);
  try {
    await page.goto(`${env.server.url}/r/${first.id}`);
    await page.locator('#report').waitFor({ state: 'visible' });
    const status = page.locator('#report-status');
    assert.equal(await status.getAttribute('data-status'), 'new');
    assert.match(await status.textContent(), /New/);
    assert.match(await page.textContent('#report-heading'), new RegExp(`Report ${first.id}: Pothole in street`));
    assert.match(await page.textContent('#report-description'), /e2e test one/);
    assert.match(await page.textContent('#report-location'), /121 N LaSalle St/);
    assert.match(await page.textContent('#report-neighbours'), /2 reports of this problem/);
    assert.ok(await page.locator('#report-history li').count() >= 1);
    assert.match(await page.getAttribute('#back-link', 'href'), /^\/#17\/41\.878\d+\/-87\.629\d+$/);
    await page.locator('#report-map .cluster-icon').waitFor();
    await screenshot(page, 'desktop-report-page');

    const missing = await newPage(env.browser);
    await missing.page.goto(`${env.server.url}/r/999999999`);
    await missing.page.waitForFunction(() => /does not exist/.test(document.getElementById('report-status-message').textContent));
    assert.equal(await missing.page.locator('#report').isVisible(), false);
    await missing.context.close();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the form says what is missing and sends nothing', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(env.browser);
  try {
    let posts = 0;
    page.on('request', (r) => {
      if (r.method() === 'POST') posts += 1;
    });
    await openMap(page, env.server.url);
    await page.click('#open-report');
    await page.click('#submit');
    await page.locator('#location-error').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#location-error'), /First place a pin/);
    assert.match(await page.textContent('#category-error'), /Choose a category/);
    assert.match(await page.textContent('#description-error'), /Describe the problem/);
    assert.equal(await page.getAttribute('#category', 'aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'form-place-centre');

    await page.click('#form-place-centre');
    await page.selectOption('#category', 'pothole');
    await page.fill('#description', 'x'.repeat(2001));
    assert.equal(await page.textContent('#description-count'), '2001 of 2000 characters: too long');
    assert.equal(await page.locator('#description-count.is-over').count(), 1);
    await page.click('#submit');
    await page.locator('#description-error').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#description-error'), /too long/);
    assert.equal(await page.locator('#location-error').isVisible(), false);
    await page.fill('#description', 'x'.repeat(2000));
    assert.equal(await page.textContent('#description-count'), '2000 of 2000 characters');
    assert.equal(posts, 0);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('"use my location" puts the pin where the device is', { timeout: 60000 }, async () => {
  const here = { lat: 41.8916, lon: -87.6079 }; // Navy Pier
  const { context, page, problems } = await newPage(env.browser, {
    geolocation: { latitude: here.lat, longitude: here.lon, accuracy: 5 },
    permissions: ['geolocation'],
  });
  try {
    await openMap(page, env.server.url, { spot: null, zoom: 11 });
    await page.click('#open-report');
    await page.click('#form-my-location');
    await page.locator('.report-pin').waitFor();
    await page.waitForFunction(() => /^#17\//.test(location.hash));
    assert.match(await page.textContent('#location-text'), /Pin placed at 41\.8916\d, -87\.6079\d/);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
