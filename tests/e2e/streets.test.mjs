// Placing a pin without tiles (issue 18): the city pack's streets drawn from zoom 16 on, served
// by fixed cells and cached, their names from zoom 17 on; and the pin's street and cross street
// said live in the form, word for word the location the report is stored with. The tests run
// with tiles off (MELDPUNT_TILE_URL=""), as a city without a tile server would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  serverAndBrowser, newPage, screenshot, api, openMap, clickMapCentre, DESKTOP, PHONE,
} from './server.mjs';

const env = serverAndBrowser();
// N Clark St meets W Division St here (geodata/chicago/streets.tsv); no demo report within 50 m.
const CORNER = { lat: 41.90390, lon: -87.63145 };
const MID_BLOCK = { lat: 41.90250, lon: -87.63140 }; // on N Clark St, between Division and Elm
const GRANT_PARK = { lat: 41.8690, lon: -87.6170 }; // more than 60 m from every street

const streetRequests = (page) => {
  const seen = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/v1/streets?')) seen.push(new URL(r.url()).searchParams.get('bbox'));
  });
  return seen;
};

const zoomTo = async (page, zoom, spot) => {
  const ready = page.waitForResponse((r) => r.url().includes('/api/v1/clusters') && r.ok());
  await page.evaluate(([z, s]) => { location.hash = `#${z}/${s.lat}/${s.lon}`; }, [zoom, spot]);
  await ready;
};

test('the streets are drawn from zoom 16 on, by cached cells, and named from zoom 17 on', { timeout: 90000 }, async () => {
  const { context, page, problems } = await newPage(env.browser, { viewport: DESKTOP });
  try {
    const asked = streetRequests(page);
    await openMap(page, env.server.url, { spot: CORNER, zoom: 15 });
    assert.equal(await page.locator('#map').evaluate((m) => m.classList.contains('tiles-off')), true);
    assert.equal(await page.locator('path.street-line').count(), 0, 'no streets at zoom 15');
    assert.deepEqual(asked, []);

    await zoomTo(page, 16, CORNER);
    await page.waitForFunction(() => document.querySelectorAll('path.street-line').length > 50);
    assert.equal(await page.locator('.street-label').count(), 0, 'no names at zoom 16');
    // Fixed cells of 0.01 degrees, spelled the same way every time (one cache entry each).
    assert.ok(asked.length > 0 && asked.length <= 12, `${asked.length} cells`);
    for (const bbox of asked) {
      const [w, s, e, n] = bbox.split(',');
      assert.match(bbox, /^-?\d+\.\d{2},-?\d+\.\d{2},-?\d+\.\d{2},-?\d+\.\d{2}$/);
      assert.equal((Number(e) - Number(w)).toFixed(2), '0.01');
      assert.equal((Number(n) - Number(s)).toFixed(2), '0.01');
    }
    const answer = await fetch(`${env.server.url}/api/v1/streets?bbox=${asked[0]}`);
    assert.match(answer.headers.get('cache-control'), /^public, max-age=\d+/);
    await screenshot(page, 'streets-zoom16-desktop');

    await zoomTo(page, 17, CORNER);
    await page.waitForFunction(() => document.querySelectorAll('.street-label').length > 3);
    const labels = await page.$$eval('.street-label', (els) => els.map((e) => ({
      text: e.textContent,
      size: parseFloat(getComputedStyle(e).fontSize),
      visible: e.getBoundingClientRect().width > 0,
    })));
    const names = new Set(labels.map((l) => l.text));
    assert.ok(names.has('N CLARK ST') && names.has('W DIVISION ST'), [...names].join(', '));
    assert.ok(labels.every((l) => l.size >= 11 && l.visible));
    await screenshot(page, 'streets-zoom17-desktop');

    // Away and back: the cells seen are not asked for again.
    const before = asked.length;
    await zoomTo(page, 17, { lat: CORNER.lat + 0.03, lon: CORNER.lon });
    await page.waitForFunction(() => document.querySelectorAll('.street-label').length > 0);
    const away = asked.length;
    assert.ok(away > before);
    await zoomTo(page, 17, CORNER);
    await page.waitForFunction(() => [...document.querySelectorAll('.street-label')].some((e) => e.textContent === 'W DIVISION ST'));
    assert.equal(asked.length, away, 'no new requests for cells already loaded');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

/** The place sentence once the look-up answered. */
async function placeText(page, not = null) {
  await page.waitForFunction((old) => {
    const p = document.getElementById('location-place');
    return !p.hidden && p.textContent && p.textContent !== old;
  }, not);
  return page.textContent('#location-place');
}

test('the form says the pin\'s street and cross street live, as the report is stored', { timeout: 90000 }, async () => {
  const { context, page, problems } = await newPage(env.browser, { viewport: DESKTOP });
  try {
    await openMap(page, env.server.url, { spot: CORNER, zoom: 18 });
    await clickMapCentre(page);
    const first = await placeText(page);
    assert.match(first, /^Street: (N CLARK ST near W DIVISION ST|W DIVISION ST near N CLARK ST)$/);
    await screenshot(page, 'streets-place-desktop');

    // Dragged down N Clark St, away from Division: the sentence follows.
    const pin = await page.locator('.report-pin').boundingBox();
    const x = pin.x + pin.width / 2;
    const y = pin.y + pin.height - 4;
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x, y + 60, { steps: 6 });
    await page.mouse.move(x, y + 120, { steps: 6 });
    await page.mouse.up();
    const second = await placeText(page, first);
    assert.match(second, /^Street: N CLARK ST near W (ELM|DIVISION) ST$/);

    // And the report sent from there is stored with those words.
    await page.selectOption('#category', 'graffiti');
    await page.fill('#description', 'Tag on a mailbox, streets e2e test.');
    await page.click('#submit');
    await page.locator('#done').waitFor({ state: 'visible' });
    const id = await page.locator('#done-link').getAttribute('data-report-id');
    const stored = await api(env.server.url, `/api/v1/reports/${id}`);
    assert.equal(`Street: ${stored.body.properties.location}`, second);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('on a Dutch phone the street is said in Dutch, and a pin far from streets says so', { timeout: 90000 }, async () => {
  const { context, page, problems } = await newPage(env.browser, { viewport: PHONE, locale: 'nl-NL', mobile: true });
  try {
    await openMap(page, env.server.url, { spot: MID_BLOCK, zoom: 18 });
    await page.waitForFunction(() => document.querySelectorAll('path.street-line').length > 0);
    await clickMapCentre(page, { tap: true });
    assert.match(await placeText(page), /^Straat: N CLARK ST near W (ELM|DIVISION) ST$/);
    await screenshot(page, 'streets-place-phone-nl');

    await openMap(page, env.server.url, { spot: GRANT_PARK, zoom: 18 });
    await clickMapCentre(page, { tap: true });
    assert.equal(await placeText(page), 'Er ligt geen straat van de stadskaart bij de speld.');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
