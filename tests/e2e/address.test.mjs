// House-number search in the report form (issue 18 point 2): typing part of an address offers
// completions from the city's street layer (a number the address grid places, a corner that
// exists), picking one places the pin there, and a report sent from it lands there. Desktop in
// English, phone in Dutch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, onPage, screenshot, api, openMap, metres, DESKTOP, PHONE } from './server.mjs';

// Where /api/v1/places puts 1600 W Fullerton Ave (tests/api/places.test.mjs checks the grid).
const FULLERTON = { lat: 41.92515, lon: -87.66815 };

const env = serverAndBrowser();

async function openForm(page) {
  await openMap(page, env.server.url);
  await page.click('#open-report');
  await page.locator('#report-panel').waitFor({ state: 'visible' });
}

const options = (page) => page.$$eval('#corner-suggestions option', (os) => os.map((o) => o.value));

for (const { name, viewport, locale, mobile, words } of [
  {
    name: 'desktop-en', viewport: DESKTOP, locale: 'en-US', mobile: false,
    words: { hint: 'One suggestion: use the arrow keys to pick it.', pinned: /Pin placed at 41\.925/, label: 'Or find an address or street corner' },
  },
  {
    name: 'phone-nl', viewport: PHONE, locale: 'nl-NL', mobile: true,
    words: { hint: 'Eén suggestie: kies hem met de pijltjestoetsen.', pinned: /Speld geplaatst op 41,925/, label: 'Of zoek een adres of kruispunt' },
  },
]) {
  test(`an address typed in part is suggested, picked and placed (${name})`, { timeout: 90000 }, () => onPage(env.browser, async ({ page, problems }) => {
    await openForm(page);
    assert.equal(await page.textContent('label[for=corner]'), words.label);
    await page.locator('#corner').pressSequentially('1600 W Fuller', { delay: 20 });
    await page.waitForFunction(() => document.querySelectorAll('#corner-suggestions option').length > 0);
    assert.deepEqual(await options(page), ['1600 W FULLERTON AVE']);
    assert.equal(await page.textContent('#corner-hint'), words.hint);
    // Picking the suggestion (the browser replaces the text) goes there at once.
    await page.evaluate(() => {
      const input = document.getElementById('corner');
      input.value = '1600 W FULLERTON AVE';
      input.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertReplacementText' }));
    });
    await page.locator('.report-pin').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#location-text'), words.pinned);
    assert.equal(await page.inputValue('#address'), '1600 W FULLERTON AVE');
    await screenshot(page, `address-found-${name}`);
    assert.deepEqual(problems, []);
  }, { viewport, locale, mobile }));
}

test('a typed house number is found with Enter, and a report sent from it lands there', { timeout: 90000 }, () => onPage(env.browser, async ({ page, problems }) => {
  await openForm(page);
  await page.fill('#corner', '1600 west fullerton avenue');
  await page.press('#corner', 'Enter');
  await page.locator('.report-pin').waitFor({ state: 'visible' });
  assert.equal(await page.inputValue('#address'), '1600 W FULLERTON AVE');
  await page.selectOption('#category', 'graffiti');
  await page.fill('#description', 'Tag on the shop shutter, e2e address test.');
  await page.click('#submit');
  await page.locator('#done').waitFor({ state: 'visible' });
  const id = await page.locator('#done-link').getAttribute('data-report-id');
  const { body } = await api(env.server.url, `/api/v1/reports/${id}`);
  const [lon, lat] = body.geometry.coordinates;
  assert.ok(metres({ lat, lon }, FULLERTON) < 5, `stored at ${lat},${lon}`);

  // Corners are suggested too, only ones that exist.
  await page.reload();
  await openForm(page);
  await page.locator('#corner').pressSequentially('Clark St & Divi', { delay: 20 });
  await page.waitForFunction(() => document.querySelectorAll('#corner-suggestions option').length > 0);
  assert.deepEqual(await options(page), ['N CLARK ST & W DIVISION ST']);
  assert.deepEqual(problems, []);
}));
