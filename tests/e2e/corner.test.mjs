// Finding a street corner in the report form: the pin goes to where the two streets meet on
// the city's street layer, an unknown corner says so, and Enter searches instead of sending.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, onPage, screenshot, api, openMap, metres } from './server.mjs';

// N Clark St meets W Division St here in geodata/chicago/streets.tsv.
const CORNER = { lat: 41.90390, lon: -87.63145 };

const env = serverAndBrowser();

async function openForm(page) {
  await openMap(page, env.server.url);
  await page.click('#open-report');
  await page.locator('#report-panel').waitFor({ state: 'visible' });
}

test('a typed corner places the pin there and fills the address; a report sent from it lands there', { timeout: 60000 }, () => onPage(env.browser, async ({ page, problems }) => {
  await openForm(page);
  await page.fill('#corner', 'Clark & Division');
  await page.press('#corner', 'Enter'); // searches; the form is not sent
  await page.locator('.report-pin').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#location-text'), /Pin placed at 41\.9039/);
  assert.equal(await page.inputValue('#address'), 'N CLARK ST & W DIVISION ST');
  assert.equal(await page.locator('#done').isVisible(), false);
  await screenshot(page, 'corner-found');

  await page.selectOption('#category', 'graffiti');
  await page.fill('#description', 'Tag on the corner box, e2e corner test.');
  await page.click('#submit');
  await page.locator('#done').waitFor({ state: 'visible' });
  const id = await page.locator('#done-link').getAttribute('data-report-id');
  const { status, body } = await api(env.server.url, `/api/v1/reports/${id}`);
  assert.equal(status, 200);
  const [lon, lat] = body.geometry.coordinates;
  assert.equal(body.properties.address, 'N CLARK ST & W DIVISION ST');
  assert.ok(metres({ lat, lon }, CORNER) < 5, `stored at ${lat},${lon}`);
  assert.deepEqual(problems, []);
}));

test('a corner that does not exist is reported next to the field and no pin appears', { timeout: 60000 }, () => onPage(env.browser, async ({ page, problems }) => {
  await openForm(page);
  await page.fill('#corner', 'Clark St & State St');
  await page.click('#corner-find');
  await page.locator('#location-error').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#location-error'), /No corner or address found for “Clark St & State St”/);
  assert.equal(await page.locator('.report-pin').count(), 0);
  // An empty search asks for two streets.
  await page.fill('#corner', '');
  await page.click('#corner-find');
  assert.match(await page.textContent('#location-error'), /Type two streets that cross/);
  assert.deepEqual(problems, []);
}));
