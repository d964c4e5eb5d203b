// With tiles on (served here by a tiny local tile server, so no network is needed): the
// tiles show, the CSP lets them in, and the visible switch turns them off and on, remembered.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, launchBrowser, newPage, openMap } from './server.mjs';
import { makePng } from './png.mjs';

let tiles;
let tileOrigin;
let tileRequests = 0;
let server;
let browser;

before(async () => {
  const png = makePng(256, 256);
  tiles = http.createServer((req, res) => {
    tileRequests += 1;
    if (!/^\/\d+\/\d+\/\d+\.png$/.test(req.url)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': png.length }).end(png);
  });
  await new Promise((resolve) => tiles.listen(0, '127.0.0.1', resolve));
  tileOrigin = `http://127.0.0.1:${tiles.address().port}`;
  const url = `${tileOrigin}/{z}/{x}/{y}.png`;
  server = await startServer({ env: { MELDPUNT_TILE_URL: url } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((resolve) => (tiles ? tiles.close(resolve) : resolve()));
});

test('tiles show by default and the switch turns them off and on', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(browser);
  try {
    const response = await page.goto(`${server.url}/`);
    const csp = response.headers()['content-security-policy'] || '';
    const imgSrc = (/img-src([^;]*)/.exec(csp) || ['', ''])[1].trim().split(/\s+/);
    assert.ok(imgSrc.includes(tileOrigin), `the CSP img-src allows the tile server ${tileOrigin}: ${csp}`);
    await openMap(page, server.url, { spot: null, zoom: 11 });
    const config = await page.evaluate(() => fetch('/api/v1/config').then((r) => r.json()));
    assert.ok(config.tiles && config.tiles.url.startsWith(tileOrigin), 'the server passes the tile URL on');
    await page.waitForFunction(() => [...document.querySelectorAll('img.leaflet-tile')]
      .some((img) => img.complete && img.naturalWidth === 256));
    assert.ok(tileRequests > 0);
    const button = page.locator('#tiles-switch');
    assert.equal(await button.isDisabled(), false);
    assert.equal(await button.getAttribute('aria-pressed'), 'true');
    assert.equal(await button.textContent(), 'Street map: on');
    assert.ok((await page.textContent('.leaflet-control-attribution')).trim().length > 0, 'attribution shown');
    assert.equal(await page.locator('#map').evaluate((el) => el.classList.contains('tiles-on')), true);

    await button.click();
    await page.waitForFunction(() => document.querySelectorAll('img.leaflet-tile').length === 0);
    assert.equal(await button.getAttribute('aria-pressed'), 'false');
    assert.equal(await page.locator('#map').evaluate((el) => el.classList.contains('tiles-off')), true);
    // The districts become the basemap: filled, not just outlined.
    const fill = await page.locator('#map path.district').first().evaluate((el) => getComputedStyle(el).fillOpacity);
    assert.equal(fill, '1');

    await page.reload();
    await page.locator('#map path.district').first().waitFor();
    assert.equal(await page.getAttribute('#tiles-switch', 'aria-pressed'), 'false');
    assert.equal(await page.locator('img.leaflet-tile').count(), 0);

    await page.click('#tiles-switch');
    await page.locator('img.leaflet-tile').first().waitFor();
    assert.equal(await page.getAttribute('#tiles-switch', 'aria-pressed'), 'true');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
