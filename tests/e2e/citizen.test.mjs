// The smaller things that got in a citizen's way (issue 18): out of the area is said as soon as
// the pin lands there (also when "use my location" puts it off screen), the district label does
// not cover the pin, "my reports" is one tap away, and the keyboard does not walk every map
// symbol: a skip link past the map, and the same reports as a list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  serverAndBrowser, newPage, screenshot, openMap, clickMapCentre, DESKTOP, PHONE,
} from './server.mjs';

const env = serverAndBrowser();
const LAKE = { lat: 41.9000, lon: -87.5800 }; // Lake Michigan, inside the map, outside the area
const EVANSTON = { lat: 42.0450, lon: -87.6850 }; // north of the city line
const AMSTERDAM = { lat: 52.3731, lon: 4.8926 };

const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

test('a pin outside the area is said at once, and Send sends nothing', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(env.browser, { viewport: DESKTOP });
  try {
    let posts = 0;
    page.on('request', (r) => {
      if (r.method() === 'POST') posts += 1;
    });
    await openMap(page, env.server.url, { spot: LAKE, zoom: 15 });
    await clickMapCentre(page);
    const error = page.locator('#location-error');
    await error.waitFor({ state: 'visible' });
    assert.equal(await error.textContent(), 'This place is outside the area we look after. Move the pin into the city.');
    assert.equal(await page.locator('.report-pin.is-outside').count(), 1);
    await screenshot(page, 'outside-pin-desktop');
    await page.selectOption('#category', 'pothole');
    await page.fill('#description', 'A pothole in the lake');
    await page.click('#submit');
    assert.match(await page.textContent('#form-error'), /Please check the marked fields/);
    assert.equal(await error.textContent(), 'This place is outside the area we look after. Move the pin into the city.');
    assert.equal(posts, 0, 'nothing was sent');
    // Back in the city, the message goes.
    await page.evaluate(() => { location.hash = '#17/41.8781/-87.6298'; });
    await page.waitForFunction(() => /^#17\//.test(location.hash));
    await page.click('#form-place-centre');
    await error.waitFor({ state: 'hidden' });
    assert.equal(await page.locator('.report-pin.is-outside').count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('"use my location" just outside the city pans to the pin and says so (nl, phone)', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(env.browser, {
    viewport: PHONE, locale: 'nl-NL', mobile: true,
    geolocation: { latitude: EVANSTON.lat, longitude: EVANSTON.lon, accuracy: 10 }, permissions: ['geolocation'],
  });
  try {
    await openMap(page, env.server.url, { spot: { lat: 41.80, lon: -87.70 }, zoom: 13 });
    await page.locator('#open-report').tap();
    await page.locator('#form-my-location').tap();
    const error = page.locator('#location-error');
    await error.waitFor({ state: 'visible' });
    assert.equal(await error.textContent(), 'Deze plek ligt buiten ons gebied. Zet de speld binnen de stad.');
    // The pin is on screen, inside the map.
    await page.waitForFunction(() => /^#17\//.test(location.hash));
    const pin = await page.locator('.report-pin').boundingBox();
    const map = await page.locator('#map').boundingBox();
    assert.ok(pin && pin.x >= map.x && pin.x + pin.width <= map.x + map.width
      && pin.y >= map.y && pin.y + pin.height <= map.y + map.height, `pin ${JSON.stringify(pin)} in map ${JSON.stringify(map)}`);
    await screenshot(page, 'outside-my-location-phone-nl');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('"use my location" far away puts no pin off screen and says where it is', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(env.browser, {
    viewport: DESKTOP, geolocation: { latitude: AMSTERDAM.lat, longitude: AMSTERDAM.lon, accuracy: 10 }, permissions: ['geolocation'],
  });
  try {
    await openMap(page, env.server.url, { spot: null, zoom: 11 });
    await page.click('#open-report');
    await page.click('#form-my-location');
    const error = page.locator('#location-error');
    await error.waitFor({ state: 'visible' });
    assert.equal(await error.textContent(),
      'Your location (52.37310, 4.89260) is far outside the area we look after. Tap the map where the problem is, or find a street corner.');
    assert.equal(await page.locator('.report-pin').count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

for (const { name, viewport, mobile } of [{ name: 'desktop', viewport: DESKTOP, mobile: false }, { name: 'phone', viewport: PHONE, mobile: true }]) {
  test(`the district label does not cover the pin (${name})`, { timeout: 60000 }, async () => {
    const { context, page, problems } = await newPage(env.browser, { viewport, mobile });
    try {
      await openMap(page, env.server.url, { spot: { lat: 41.80, lon: -87.70 }, zoom: 15 });
      await clickMapCentre(page, { tap: mobile, dx: 5, dy: 40 });
      await page.locator('.report-pin').waitFor();
      if (!mobile) {
        const box = await page.locator('#map').boundingBox();
        await page.mouse.move(box.x + box.width / 2 + 5, box.y + box.height / 2 + 41);
      } else {
        await clickMapCentre(page, { tap: true, dx: 5, dy: 40 }); // a second tap on the same spot
      }
      const tip = page.locator('.district-tooltip');
      await tip.waitFor({ state: 'visible' });
      const a = await tip.boundingBox();
      const b = await page.locator('.report-pin').boundingBox();
      assert.ok(!overlap(a, b), `label ${JSON.stringify(a)} covers pin ${JSON.stringify(b)}`);
      await screenshot(page, `district-label-and-pin-${name}`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}

test('"my reports" is one tap from the map on a phone', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(env.browser, { viewport: PHONE, mobile: true, locale: 'nl-NL' });
  try {
    await openMap(page, env.server.url, { spot: { lat: 41.7943, lon: -87.5907 }, zoom: 18 });
    const mine = page.locator('#open-mine');
    assert.equal(await mine.textContent(), 'Mijn meldingen');
    assert.ok(await mine.isVisible(), 'in the top bar, not under "Filters en legenda"');
    assert.equal(await page.locator('#filters-panel #mine-list').count(), 0);
    await mine.tap();
    await page.locator('#mine-panel').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#mine-none').isVisible(), true);
    await page.keyboard.press('Escape');
    await clickMapCentre(page, { tap: true });
    await page.selectOption('#category', 'graffiti');
    await page.fill('#description', 'Tag on the wall, my reports test.');
    await page.locator('#submit').tap();
    await page.locator('#done').waitFor({ state: 'visible' });
    const id = await page.locator('#done-link').getAttribute('data-report-id');
    await page.keyboard.press('Escape');
    await mine.tap();
    await page.locator(`#mine-list a[href="/r/${id}"]`).waitFor();
    assert.match(await page.textContent('#mine-list'), /Graffiti/);
    await screenshot(page, 'mine-phone-nl');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('after the form, Tab leaves the map at once; the reports are a list instead', { timeout: 90000 }, async () => {
  const { context, page, problems } = await newPage(env.browser, { viewport: DESKTOP });
  try {
    const dense = { lat: 41.8827, lon: -87.6233 }; // the Loop: dozens of demo clusters in view
    await openMap(page, env.server.url, { spot: dense, zoom: 15 });
    const symbols = await page.$$eval('[data-kind="cluster"]', (els) => els.map((e) => e.dataset.clusterId));
    assert.ok(symbols.length > 10, `${symbols.length} clusters in view`);

    // From "Send report", every Tab stop until the page wraps: no symbol, no district shape.
    await page.click('#open-report');
    await page.focus('#submit');
    const stops = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const s = await page.evaluate(() => {
        const a = document.activeElement;
        return { tag: a.tagName, id: a.id, cls: String(a.className.baseVal ?? a.className), text: a.textContent.trim().slice(0, 30) };
      });
      if (s.tag === 'BODY' || s.id === 'skip-report') break;
      stops.push(s);
    }
    const bad = stops.filter((s) => /leaflet-marker-icon|district/.test(s.cls) || s.tag === 'path');
    assert.deepEqual(bad, [], 'map symbols and shapes are not Tab stops');
    assert.ok(stops.length <= 12, `${stops.length} Tab stops after the form: ${stops.map((s) => s.id || s.text).join(' | ')}`);
    assert.ok(stops.some((s) => s.id === 'open-list'), 'the list button is among them');

    // The skip link jumps past the map, to the map's tools.
    await page.keyboard.press('Escape');
    const skip = page.locator('a.skip-link[href="#map-tools"]');
    await skip.focus();
    assert.equal(await skip.textContent(), 'Skip past the map');
    assert.ok((await skip.boundingBox()).width > 20, 'visible when focused');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.match(await page.evaluate(() => document.activeElement.id), /^open-(report|list|filters)$/);

    // The list: the same clusters as the symbols on the map.
    await page.click('#open-list');
    await page.locator('#list-items li').first().waitFor();
    const listed = await page.$$eval('#list-items [data-entry-cluster]', (els) => els.map((e) => e.dataset.entryCluster));
    const now = await page.$$eval('[data-kind="cluster"]', (els) => els.map((e) => e.dataset.clusterId));
    assert.ok(listed.every((id) => now.includes(id)), 'each entry is a cluster on the map');
    assert.equal(new Set(listed).size, listed.length);
    assert.equal(listed.length, Math.min(now.length, 50));
    assert.match(await page.textContent('#list-status'), /reported problems/);
    await screenshot(page, 'list-panel-desktop');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
