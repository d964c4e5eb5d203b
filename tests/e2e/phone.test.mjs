// A 360 x 740 phone: the map, the form as a bottom sheet, no sideways scrolling.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  serverAndBrowser, newPage, screenshot, openMap, clickMapCentre, PHONE, SPOT,
} from './server.mjs';

const env = serverAndBrowser();

/** Fails when the page scrolls sideways or a visible control sticks out of the screen. */
async function assertFits(page, what) {
  const fit = await page.evaluate(() => {
    const width = window.innerWidth;
    const out = [...document.querySelectorAll('button, input, select, textarea, a, label, h1, h2, h3, p')]
      .filter((el) => el.offsetParent !== null && !el.closest('.leaflet-pane, .visually-hidden, .skip-link'))
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && (r.left < -1 || r.right > width + 1))
      .map(({ el, r }) => `${el.tagName}#${el.id || ''}.${el.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
    return {
      width,
      scroll: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
      out,
    };
  });
  assert.equal(fit.width, PHONE.width);
  assert.ok(fit.scroll <= fit.width, `${what}: page is ${fit.scroll} px wide on a ${fit.width} px screen`);
  assert.deepEqual(fit.out, [], `${what}: controls outside the screen`);
}

test('on a 360 px phone the map and the report form fit and work', { timeout: 90000 }, async () => {
  const { context, page, problems } = await newPage(env.browser, { viewport: PHONE, mobile: true });
  try {
    await openMap(page, env.server.url, { spot: null, zoom: 11 });
    await page.locator('[data-kind="grid"]').first().waitFor();
    await assertFits(page, 'map');
    await screenshot(page, 'phone-map');

    // First report: tap the map, the form opens as a bottom sheet under the map.
    await openMap(page, env.server.url, { spot: SPOT, zoom: 18 });
    await clickMapCentre(page, { tap: true });
    const panel = page.locator('#report-panel');
    await panel.waitFor({ state: 'visible' });
    const sheet = await panel.boundingBox();
    const map = await page.locator('#map').boundingBox();
    assert.ok(sheet.y >= map.y + map.height - 1, 'the sheet is below the map');
    assert.ok(sheet.y + sheet.height <= PHONE.height + 1, 'the sheet ends at the bottom of the screen');
    assert.ok(map.height >= 200, `the map keeps ${map.height} px`);
    assert.ok(await page.locator('.report-pin').isVisible(), 'the pin stays in sight');
    await assertFits(page, 'form');

    await page.selectOption('#category', 'pothole');
    await page.fill('#description', 'Pothole reported from a phone.');
    await page.locator('.contact summary').tap();
    await page.fill('#contact-phone', '+1 312 555 0100');
    await assertFits(page, 'form with contact details');
    await page.locator('#submit').tap();
    await page.locator('#done').waitFor({ state: 'visible' });
    const firstId = await page.locator('#done-link').getAttribute('data-report-id');
    assert.ok(firstId);

    // Second report beside it: the duplicate offer, then the confirmation.
    await page.locator('#done-another').tap();
    await page.locator('[data-kind="cluster"]').first().waitFor();
    await clickMapCentre(page, { tap: true, dx: 14, dy: 14 });
    await page.selectOption('#category', 'pothole');
    // No description: adding one's report to an existing one needs no words.
    const same = page.locator('#dup .dup-same').first();
    await same.waitFor({ state: 'visible' });
    await page.locator('#dup').scrollIntoViewIfNeeded();
    await assertFits(page, 'duplicate offer');
    await screenshot(page, 'phone-form-duplicate');
    await same.tap(); // marks the choice; the report goes with Send
    assert.equal(await same.getAttribute('aria-pressed'), 'true');
    await page.locator('#submit').tap();
    await page.locator('#done').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#done-text'), /reported 2 times/);
    await page.locator('[data-kind="cluster"][data-count="2"]').waitFor();
    await assertFits(page, 'confirmation');
    await screenshot(page, 'phone-confirmation');

    // Escape (a keyboard on a tablet) closes the sheet and the map gets its room back.
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    const full = await page.locator('#map').boundingBox();
    assert.ok(full.height > map.height + 200, 'the map grows back');

    await page.locator('[data-kind="cluster"][data-count="2"]').first().waitFor();
    await page.goto(`${env.server.url}/r/${firstId}`);
    await page.locator('#report').waitFor({ state: 'visible' });
    await page.locator('#report-map .cluster-icon').waitFor();
    assert.match(await page.textContent('#report-status'), /New|Acknowledged/);
    await assertFits(page, 'report page');
    await screenshot(page, 'phone-report-page');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
