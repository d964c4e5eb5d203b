// What is already reported: grid counts when zoomed out, clusters by status when zoomed in,
// the cluster popup, filters, the basemap without tiles, and the keyboard.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, screenshot, api, openMap } from './server.mjs';

let server;
let browser;
let config;
let categories;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  config = (await api(server.url, '/api/v1/config')).body;
  categories = (await api(server.url, '/api/v1/categories')).body.categories;
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const GROUP_OF = {
  new: 'open', acknowledged: 'open', scheduled: 'open', reopened: 'open',
  in_progress: 'in_progress', fixed: 'fixed', closed: 'fixed', not_responsible: 'not_responsible',
};

test('the overview draws the demo data as grid cells with counts', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(browser);
  try {
    const answer = page.waitForResponse((r) => r.url().includes('/api/v1/clusters/grid?'));
    await page.goto(`${server.url}/`);
    const grid = await (await answer).json();
    assert.ok(grid.features.length > 0, 'the demo data gives grid cells');
    const url = new URL((await answer).url());
    assert.equal(url.searchParams.get('zoom'), String(config.city.zoom));
    await page.waitForFunction((n) => document.querySelectorAll('[data-kind="grid"]').length === n, grid.features.length);
    const shown = await page.$$eval('[data-kind="grid"]', (els) => els.map((e) => Number(e.dataset.count)));
    const expected = grid.features.map((f) => f.properties.count);
    assert.deepEqual(shown.sort((a, b) => a - b), expected.sort((a, b) => a - b));
    const total = expected.reduce((a, b) => a + b, 0);
    assert.ok(total > 100, `${total} clusters in the demo data`);
    const reports = grid.features.reduce((n, f) => n + f.properties.reports, 0);
    assert.ok(reports >= total);
    assert.match(await page.textContent('#map-status'), new RegExp(`^${reports} reports in ${grid.features.length} areas`));
    // The geodata is the basemap: districts and the service area are drawn.
    assert.ok(await page.locator('#map path.district').count() >= 50);
    assert.equal(await page.locator('#map path.service-area').count(), 1);
    assert.equal(await page.locator('#map').evaluate((el) => el.classList.contains('tiles-off')), true);
    assert.equal(await page.locator('img.leaflet-tile').count(), 0);
    const cellText = await page.locator('[data-kind="grid"]').first().textContent();
    assert.match(cellText, /^\d+k?$/);
    await screenshot(page, 'desktop-map');

    // A grid cell zooms in when clicked, down to single clusters eventually.
    await page.locator('[data-kind="grid"]').first().click();
    await page.waitForFunction((z) => Number(location.hash.split('/')[0].slice(1)) > z, config.city.zoom);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('from zoom 15 up single clusters are drawn by status and size', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(browser);
  try {
    const dense = { lat: 41.8827, lon: -87.6233 }; // the Loop and Streeterville: many demo reports
    await openMap(page, server.url, { spot: dense, zoom: 15 });
    await page.locator('[data-kind="cluster"]').first().waitFor();
    assert.equal(await page.locator('[data-kind="grid"]').count(), 0);
    const markers = await page.$$eval('[data-kind="cluster"]', (els) => els.map((e) => ({
      status: e.dataset.status,
      count: Number(e.dataset.count),
      symbol: e.querySelector('svg').getAttribute('class'),
      width: e.getBoundingClientRect().width,
      label: e.getAttribute('aria-label'),
      role: e.getAttribute('role'),
      tabindex: e.getAttribute('tabindex'),
    })));
    assert.ok(markers.length > 0);
    for (const m of markers) {
      assert.ok(m.symbol.includes(`sym-${GROUP_OF[m.status]}`), `${m.status} drawn as ${m.symbol}`);
      // Pictures with a name, not Tab stops: the keyboard goes through the list (see below).
      assert.equal(m.role, 'img');
      assert.equal(m.tabindex, null);
      assert.match(m.label, /, \d+ reports?$/);
    }
    // Bigger clusters get bigger symbols.
    const one = markers.find((m) => m.count === 1);
    const many = markers.find((m) => m.count > 1);
    if (one && many) assert.ok(many.width > one.width, 'a cluster of several reports is drawn bigger');

    // Four status groups, four colours and four different shapes in the legend.
    await page.click('#open-filters');
    const shapes = await page.$$eval('#legend-list svg.sym', (els) => els.map((s) => {
      const shape = s.querySelector('.sym-shape');
      return `${shape.tagName}:${shape.getAttribute('d') || ''}|${getComputedStyle(shape).fill}`;
    }));
    assert.equal(shapes.length, 4);
    assert.equal(new Set(shapes.map((s) => s.split('|')[0])).size, 4, `shapes: ${shapes}`);
    assert.equal(new Set(shapes.map((s) => s.split('|')[1])).size, 4, `colours: ${shapes}`);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a cluster popup shows category, count, age, status and history', { timeout: 60000 }, async () => {
  const b = config.city.bbox;
  const all = (await api(server.url, `/api/v1/clusters?bbox=${b.join(',')}&limit=5000`)).body.features;
  const pick = all.find((f) => f.properties.report_count > 1) || all[0];
  const p = pick.properties;
  const detail = (await api(server.url, `/api/v1/clusters/${p.id}`)).body.properties;
  const [lon, lat] = pick.geometry.coordinates;
  const { context, page, problems } = await newPage(browser);
  try {
    await openMap(page, server.url, { spot: { lat, lon }, zoom: 18 });
    const marker = page.locator(`[data-kind="cluster"][data-cluster-id="${p.id}"]`);
    await marker.waitFor();
    assert.equal(await marker.getAttribute('tabindex'), null, 'symbols are not Tab stops');
    // Keyboard: the same cluster is an entry of the list; Enter opens its popup, focus inside.
    await page.click('#open-list');
    const entry = page.locator(`#list-items [data-entry-cluster="${p.id}"]`);
    await entry.focus();
    await page.keyboard.press('Enter');
    const popup = page.locator('.leaflet-popup');
    await popup.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.className), 'popup-title');
    const name = categories.find((c) => c.code === p.category).name.en;
    assert.equal(await popup.locator('.popup-title').textContent(), name);
    assert.equal(await popup.locator('.popup-count').getAttribute('data-count'), String(p.report_count));
    assert.match(await popup.locator('.popup-count').textContent(), p.report_count === 1 ? /^1 report$/ : /^\d+ reports$/);
    assert.match(await popup.locator('.popup-age').textContent(), /First reported \d+ (year|month|week|day)s? ago|last year/);
    const statusNames = { new: 'New', acknowledged: 'Acknowledged', scheduled: 'Scheduled', in_progress: 'In progress', fixed: 'Fixed', closed: 'Closed', not_responsible: 'Not our responsibility', reopened: 'Reopened' };
    assert.equal((await popup.locator('.popup-status').textContent()).trim(), statusNames[detail.status]);
    if (detail.history.length) {
      await popup.locator('.history').waitFor();
      assert.equal(await popup.locator('.history li').count(), detail.history.length);
    }
    if (detail.reports.length) {
      await popup.locator('.popup-reports').waitFor();
      assert.equal(await popup.locator('.popup-reports a').first().getAttribute('href'), `/r/${detail.reports[0].id}`);
    }
    // Escape closes it and gives focus back to the list entry.
    await page.keyboard.press('Escape');
    await popup.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement.dataset.entryCluster), String(p.id));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('filters by status and category change what is fetched and drawn', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(browser);
  try {
    await openMap(page, server.url, { spot: { lat: 41.8827, lon: -87.6233 }, zoom: 15 });
    await page.locator('[data-kind="cluster"]').first().waitFor();
    await page.click('#open-filters');
    await page.locator('#filters-title').waitFor({ state: 'visible' });

    // Requests already on their way (opening the panel moves the map) may still carry the old
    // filter, so wait for the first one with the new filter; none in 10 s fails the test.
    const clustersRequest = (pred) => page.waitForRequest((r) => r.url().includes('/api/v1/clusters?')
      && pred(new URL(r.url()).searchParams));
    const statusesOf = (q) => (q.get('status') || '').split(',');
    let request = clustersRequest((q) => !statusesOf(q).includes('fixed'));
    await page.uncheck('#filter-status-fixed');
    let statuses = statusesOf(new URL((await request).url()).searchParams);
    assert.equal(statuses.includes('closed'), false);
    assert.ok(statuses.includes('new') && statuses.includes('in_progress'));
    await page.waitForFunction(() => ![...document.querySelectorAll('[data-kind="cluster"]')]
      .some((e) => ['fixed', 'closed'].includes(e.dataset.status)));

    await page.click('#categories-none');
    await page.waitForFunction(() => document.querySelectorAll('[data-kind="cluster"]').length === 0);
    assert.match(await page.textContent('#map-status'), /No reports here/);

    const code = categories[0].code;
    request = clustersRequest((q) => q.get('category') !== null);
    await page.check(`#filter-category-${code}`);
    assert.equal(new URL((await request).url()).searchParams.get('category'), code);

    await page.click('#categories-all');
    request = clustersRequest((q) => statusesOf(q).includes('fixed'));
    await page.check('#filter-status-fixed');
    const q = new URL((await request).url()).searchParams;
    assert.equal(q.get('category'), null, 'all categories: no category filter');
    assert.ok(statusesOf(q).includes('closed'));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('keyboard: reach the report button, place the pin at the map centre, Escape closes', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(browser);
  try {
    const spot = { lat: 41.8, lon: -87.7 };
    await openMap(page, server.url, { spot, zoom: 16 });
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement.id === 'open-report');
    }
    assert.ok(reached, 'the report button is reachable with Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', 'focus is visible');
    await page.keyboard.press('Enter');
    await page.locator('#report-panel').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'report-title');
    assert.equal(await page.getAttribute('#open-report', 'aria-expanded'), 'true');

    reached = false;
    for (let i = 0; i < 10 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement.id === 'form-place-centre');
    }
    assert.ok(reached, 'the "place pin at map centre" button follows');
    await page.keyboard.press('Enter');
    await page.locator('.report-pin').waitFor();
    assert.match(await page.textContent('#location-text'), /Pin placed at 41\.8000\d, -87\.7000\d/);

    // Every control of the form has a label.
    const unlabeled = await page.$$eval('#report-form input, #report-form select, #report-form textarea',
      (els) => els.filter((e) => !e.labels || e.labels.length === 0).map((e) => e.id));
    assert.deepEqual(unlabeled, []);

    await page.keyboard.press('Escape');
    await page.locator('#report-panel').waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'open-report');
    assert.equal(await page.getAttribute('#open-report', 'aria-expanded'), 'false');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('with tiles switched off by the operator the switch says so', { timeout: 60000 }, async () => {
  assert.equal(config.tiles, null, 'the tests run the server with MELDPUNT_TILE_URL=""');
  const { context, page, problems } = await newPage(browser);
  try {
    await openMap(page, server.url, { spot: null, zoom: config.city.zoom });
    const button = page.locator('#tiles-switch');
    assert.equal(await button.isDisabled(), true);
    assert.equal(await button.getAttribute('aria-pressed'), 'false');
    assert.equal(await button.textContent(), 'Street map: off');
    await page.click('#open-filters');
    assert.match(await page.textContent('#tiles-note'), /switched off on this server/);
    // District names show on hover (markers hidden so that they do not cover the districts).
    await page.click('#categories-none');
    await page.waitForFunction(() => document.querySelectorAll('[data-kind]').length === 0);
    await page.keyboard.press('Escape');
    const box = await page.locator('#map').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width / 2 + 5, box.y + box.height / 2 + 5);
    await page.locator('.district-tooltip').waitFor();
    assert.match(await page.textContent('.district-tooltip'), /^District \S/);
    await page.mouse.move(box.x + box.width - 2, box.y + box.height - 2);

    // And on keyboard focus: the district under the crosshair (the map centre) is labelled.
    await page.focus('#map');
    await page.keyboard.press('ArrowUp');
    await page.waitForFunction(() => {
      const tip = document.querySelector('.district-tooltip');
      const centre = document.getElementById('map-centre').textContent.replace('Map centre: ', '');
      return tip && centre && tip.textContent === `District ${centre}`;
    });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
