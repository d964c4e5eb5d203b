// Photos go as multipart/form-data; the server checks their content and its errors show
// next to the photo field.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, newPage, api, openMap, clickMapCentre } from './server.mjs';
import { makePng } from './png.mjs';

const env = serverAndBrowser();

async function startReport(page, description) {
  await openMap(page, env.server.url);
  await clickMapCentre(page);
  await page.locator('#report-panel').waitFor({ state: 'visible' });
  await page.selectOption('#category', 'pothole');
  await page.fill('#description', description);
}

test('a text file named x.jpg is refused and the error shows at the photo field', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(env.browser);
  try {
    await startReport(page, 'Pothole with a photo that is not a photo.');
    await page.setInputFiles('#photo', { name: 'x.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('this is not a photo\n') });
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/reports') && r.request().method() === 'POST');
    await page.click('#submit');
    const response = await answer;
    assert.equal(response.request().headers()['content-type'].split(';')[0], 'multipart/form-data');
    assert.ok([400, 415].includes(response.status()), `status ${response.status()}`);
    const code = (await response.json()).error.code;
    assert.ok(['unsupported_media_type', 'invalid_photo'].includes(code), code);

    const error = page.locator('#photo-error');
    await error.waitFor({ state: 'visible' });
    assert.match(await error.textContent(), /not a JPEG or PNG photo|could not be read/);
    assert.equal(await page.getAttribute('#photo', 'aria-invalid'), 'true');
    assert.equal(await page.getAttribute('#photo-error', 'role'), 'alert');
    // Next to the field: in the same field group, right below it.
    assert.equal(await error.evaluate((el) => el.closest('.field').querySelector('#photo') !== null), true);
    assert.equal(await page.locator('#done').isVisible(), false);
    assert.match(await page.textContent('#form-error'), /not sent/);

    // Choosing another file clears the error.
    await page.setInputFiles('#photo', { name: 'street.png', mimeType: 'image/png', buffer: makePng() });
    await error.waitFor({ state: 'hidden' });
    assert.equal(await page.getAttribute('#photo', 'aria-invalid'), null);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a real PNG is sent with the report and shown on its page', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(env.browser);
  try {
    await startReport(page, 'Pothole, photo attached.');
    await page.setInputFiles('#photo', { name: 'street.png', mimeType: 'image/png', buffer: makePng() });
    await page.locator('#photo-preview-img[src^="data:image/png"]').waitFor();
    await page.click('#submit');
    await page.locator('#done').waitFor({ state: 'visible' });
    const id = await page.locator('#done-link').getAttribute('data-report-id');
    const { body } = await api(env.server.url, `/api/v1/reports/${id}`);
    assert.ok(body.properties.photo && body.properties.photo.thumb_url, 'the report has a photo');

    await page.click('#done-link');
    await page.waitForURL(`${env.server.url}/r/${id}`);
    const img = page.locator('#report-photo');
    await img.waitFor({ state: 'visible' });
    assert.equal(await img.getAttribute('src'), body.properties.photo.thumb_url);
    await page.waitForFunction(() => {
      const el = document.getElementById('report-photo');
      return el.complete && el.naturalWidth > 0;
    });
    assert.equal(await page.getAttribute('#report-photo-link', 'href'), body.properties.photo.url);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
