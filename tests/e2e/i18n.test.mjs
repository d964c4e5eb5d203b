// Dutch and English: the language follows the browser, the switch changes every label and is
// remembered; category names come from the API in both languages.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, api, openMap } from './server.mjs';

let server;
let browser;
let categories;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  categories = (await api(server.url, '/api/v1/categories')).body.categories;
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const labels = (page) => page.evaluate(() => ({
  lang: document.documentElement.lang,
  report: document.getElementById('open-report').textContent,
  filters: document.getElementById('open-filters').textContent,
  description: document.querySelector('label[for="description"]').textContent,
  submit: document.getElementById('submit').textContent,
  switch: document.getElementById('lang-switch').textContent,
  mapLabel: document.getElementById('map').getAttribute('aria-label'),
  options: [...document.querySelectorAll('#category option')].map((o) => o.textContent),
  status: document.getElementById('map-status').textContent,
}));

test('the switch turns the page into Dutch and back, and is remembered', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(browser, { locale: 'en-US' });
  try {
    await openMap(page, server.url, { spot: null, zoom: 11 });
    const en = await labels(page);
    assert.equal(en.lang, 'en');
    assert.equal(en.report, 'Report a problem');
    assert.equal(en.switch, 'Nederlands');
    assert.ok(en.options.includes(categories[0].name.en));

    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'nl');
    const nl = await labels(page);
    assert.equal(nl.report, 'Meld een probleem');
    assert.equal(nl.filters, 'Filters en legenda');
    assert.equal(nl.description, 'Beschrijf het probleem');
    assert.equal(nl.submit, 'Melding versturen');
    assert.equal(nl.switch, 'English');
    assert.equal(nl.mapLabel, 'Kaart met meldingen');
    assert.ok(nl.options.includes(categories[0].name.nl), 'category names in Dutch from the API');
    assert.equal(nl.options.includes(categories[0].name.en) && categories[0].name.en !== categories[0].name.nl, false);
    await page.waitForFunction(() => /meldingen in \d+ gebieden/.test(document.getElementById('map-status').textContent));
    for (const key of Object.keys(en)) {
      if (key !== 'options' && key !== 'status') assert.notEqual(nl[key], en[key], `${key} is translated`);
    }

    await page.reload();
    await page.waitForFunction(() => document.getElementById('open-report').textContent === 'Meld een probleem');
    assert.equal(await page.evaluate(() => localStorage.getItem('meldpunt.lang')), 'nl');

    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal(await page.textContent('#open-report'), 'Report a problem');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a Dutch browser gets Dutch from the start, on the report page too', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(browser, { locale: 'nl-NL' });
  try {
    await openMap(page, server.url, { spot: null, zoom: 11 });
    assert.equal(await page.textContent('#open-report'), 'Meld een probleem');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'nl');

    const b = (await api(server.url, '/api/v1/config')).body.city.bbox;
    const cluster = (await api(server.url, `/api/v1/clusters?bbox=${b.join(',')}&limit=1`)).body.features[0];
    const report = (await api(server.url, `/api/v1/clusters/${cluster.properties.id}`)).body.properties.reports[0];
    await page.goto(`${server.url}/r/${report.id}`);
    await page.locator('#report').waitFor({ state: 'visible' });
    assert.match(await page.textContent('#report-heading'), new RegExp(`^Melding ${report.id}: `));
    assert.equal(await page.textContent('.facts dt:first-child'), 'Categorie');
    assert.match(await page.textContent('#report-created'), /geleden|gisteren|vandaag/);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
