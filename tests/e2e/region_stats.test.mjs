// The statistics page of a region pack (issue 21 point 5): a municipality picker, grouping by
// municipality, and the table that compares the members ("within N working days", each in its
// own calendar), on the Halle-Vilvoorde pack; a plain city pack shows none of it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { launchBrowser, newPage, DESKTOP } from './server.mjs';
import { startServer, meldpunt, REGION_DIR } from '../api/lib.mjs';

let server;
let plain;
let browser;

const HALLE = { lat: 50.7195, lon: 4.2370 };
const BEERSEL = { lat: 50.7669, lon: 4.3006 };

before(async () => {
  server = await startServer({ city: REGION_DIR });
  plain = await startServer();
  // Friday 30 October 2026 08:00 to Tuesday 3 November 08:00 (Brussels): 1 working day in
  // Halle (Monday 2 November is its own day off), 2 in Beersel.
  const file = path.join(server.dir, 'fixed.csv');
  await writeFile(file, 'id,time,category,lat,lon,address,duplicate,parent_id,closed_at\r\n'
    + `H1,2026-10-30T08:00:00,zwerfvuil,${HALLE.lat},${HALLE.lon},,false,,2026-11-03T08:00:00\r\n`
    + `B1,2026-10-30T08:00:00,zwerfvuil,${BEERSEL.lat},${BEERSEL.lon},,false,,2026-11-03T08:00:00\r\n`);
  await meldpunt(['import', '--db', server.db, '--city', REGION_DIR, '--format', 'labelled', file]);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
  if (plain) await plain.cleanup();
});

const cellsOf = (page, sel) => page.$$eval(`${sel} tbody tr`, (rows) => rows.map((r) =>
  [...r.children].map((c) => c.textContent)));

test('a region: pick a municipality, group by them, and compare them', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    await page.goto(`${server.url}/stats?from=2026-10-01&to=2026-11-30`);
    await page.locator('#compare').waitFor({ state: 'visible' });
    assert.ok(await page.locator('#municipality-pick').isVisible());
    assert.equal(await page.locator('#municipality option').count(), 36);
    assert.equal(await page.textContent('#compare-within-col'), 'Within 10 working days');
    assert.deepEqual(await cellsOf(page, '#compare-table'), [
      ['Beersel', '1', '1', '2', '100%', '100%'],
      ['Halle', '1', '1', '1', '100%', '100%'],
    ]);
    // One working day: Halle made it, Beersel did not.
    await page.fill('#within_days', '1');
    await page.click('#range button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#compare-within-col').textContent === 'Within 1 working days');
    assert.deepEqual(await cellsOf(page, '#compare-table'), [
      ['Beersel', '1', '1', '2', '0%', '100%'],
      ['Halle', '1', '1', '1', '100%', '100%'],
    ]);
    // The picker narrows the figures to one municipality; grouping by municipality lists them.
    await page.selectOption('#municipality', 'halle');
    await page.selectOption('#group_by', 'municipality');
    await page.click('#range button[type=submit]');
    await page.waitForFunction(() => /municipality=halle/.test(location.search));
    await page.waitForFunction(() => document.querySelectorAll('#table tbody tr').length === 1);
    assert.deepEqual((await cellsOf(page, '#table'))[0].slice(0, 3), ['Halle', '–', '1']);
    assert.equal(await page.textContent('#group-col'), 'Municipality');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a plain city pack shows no municipality picker and no comparison', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    await page.goto(`${plain.url}/stats`);
    await page.locator('#results').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#municipality-pick').isVisible(), false);
    assert.equal(await page.locator('#compare').isVisible(), false);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
