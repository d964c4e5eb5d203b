// "Add my report to this one" keeps the form (issue 18): the choice is marked, shown and can be
// undone; nothing is sent until Send, and then the report goes with its description, photo and
// contact details, into the chosen cluster. Desktop in English, a phone in Dutch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  launchBrowser, newPage, screenshot, openMap, clickMapCentre, DESKTOP, PHONE, SOURCE_DIR,
} from './server.mjs';
import { startServer, api, offset, LOOP } from '../api/lib.mjs';

let server;
let browser;
let dispatcher;

before(async () => {
  server = await startServer({ demo: true });
  dispatcher = await server.user('dora', 'dispatcher');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.cleanup();
});

const WORDS = {
  en: {
    chosen: /^✓ Your report will be added to this one$/,
    choice: (id) => new RegExp(`^Your report will be added to report ${id} when you send it\\.`),
    done: /it has now been reported 2 times/,
  },
  nl: {
    chosen: /^✓ Uw melding wordt hierbij gevoegd$/,
    choice: (id) => new RegExp(`^Uw melding wordt bij melding ${id} gevoegd zodra u hem verstuurt\\.`),
    done: /het is nu 2 keer gemeld/,
  },
};

for (const { name, lang, locale, viewport, mobile, spot } of [
  { name: 'desktop-en', lang: 'en', locale: 'en-US', viewport: DESKTOP, mobile: false, spot: LOOP },
  { name: 'phone-nl', lang: 'nl', locale: 'nl-NL', viewport: PHONE, mobile: true, spot: offset(LOOP, 0, 500) },
]) {
  test(`"add my report to this one" marks the choice and Send sends everything (${name})`, { timeout: 90000 }, async () => {
    const words = WORDS[lang];
    const first = await api(server.url, 'POST', '/api/v1/reports', {
      json: { category: 'pothole', lat: spot.lat, lon: spot.lon, description: 'The first report of this hole.' },
    });
    assert.equal(first.status, 201, first.text);
    const cluster = String(first.body.cluster.id);

    const { context, page, problems } = await newPage(browser, { viewport, locale, mobile });
    const press = (locator) => (mobile ? locator.tap() : locator.click());
    try {
      let posts = 0;
      page.on('request', (r) => {
        if (r.method() === 'POST') posts += 1;
      });
      await openMap(page, server.url, { spot, zoom: 18 });
      await page.locator(`[data-kind="cluster"][data-cluster-id="${cluster}"]`).waitFor();
      await clickMapCentre(page, { tap: mobile, dx: 16, dy: 16 }); // beside the marker, a few metres away
      await page.locator('#report-panel').waitFor({ state: 'visible' });
      await page.selectOption('#category', 'pothole');
      const same = page.locator(`#dup [data-same-as="${cluster}"]`);
      await same.waitFor({ state: 'visible' });
      const item = page.locator(`#dup-list li[data-cluster-id="${cluster}"]`);
      const badge = item.locator('.dup-badge');
      assert.equal(await badge.isVisible(), false);

      // The choice is marked and said, and nothing is sent.
      await press(same);
      assert.equal(await same.getAttribute('aria-pressed'), 'true');
      await badge.waitFor({ state: 'visible' });
      assert.match(await badge.textContent(), words.chosen);
      assert.match(await page.textContent('#dup-choice'), words.choice(cluster));
      assert.ok(await page.locator('#dup-undo').isVisible());
      assert.equal(await page.locator('#report-form').isVisible(), true);
      assert.equal(await page.locator('#done').isVisible(), false);
      assert.equal(posts, 0, 'choosing sends nothing');
      await item.scrollIntoViewIfNeeded();
      await screenshot(page, `metoo-chosen-${name}`);

      // Undone: unmarked, and the button that made it has the focus again.
      await press(page.locator('#dup-undo'));
      assert.equal(await same.getAttribute('aria-pressed'), 'false');
      assert.equal(await badge.isVisible(), false);
      assert.equal(await page.textContent('#dup-choice'), '');
      assert.equal(await page.locator('#dup-undo').isVisible(), false);
      assert.equal(await page.evaluate(() => document.activeElement.dataset.sameAs), cluster);

      // Chosen again, and the rest of the form filled in.
      await press(same);
      await badge.waitFor({ state: 'visible' });
      await page.fill('#description', 'Same hole; it now has a sharp edge (me too).');
      await page.setInputFiles('#photo', path.join(SOURCE_DIR, 'tests/fixtures/photos/gray.jpg'));
      await page.locator('#photo-preview').waitFor({ state: 'visible' });
      await press(page.locator('.contact summary'));
      await page.fill('#contact-name', 'Mia Metoo');
      await page.fill('#contact-email', 'mia@example.org');
      await page.fill('#contact-phone', '+1 312 555 0199');
      assert.equal(posts, 0);

      const posted = page.waitForRequest((r) => r.url().endsWith('/api/v1/reports') && r.method() === 'POST');
      await press(page.locator('#submit'));
      const request = await posted;
      assert.match(request.headers()['content-type'], /^multipart\/form-data/);
      await page.locator('#done').waitFor({ state: 'visible' });
      assert.match(await page.textContent('#done-text'), words.done);
      await screenshot(page, `metoo-sent-${name}`);
      assert.equal(posts, 1);

      // What was stored: the text, the photo and the contact, in the chosen cluster.
      const id = await page.locator('#done-link').getAttribute('data-report-id');
      const stored = await api(server.url, 'GET', `/api/v1/reports/${id}`);
      assert.equal(stored.status, 200);
      assert.equal(String(stored.body.properties.cluster_id), cluster);
      assert.equal(stored.body.properties.description, 'Same hole; it now has a sharp edge (me too).');
      assert.ok(stored.body.properties.photo && stored.body.properties.photo.url, 'the photo was stored');
      const photo = await fetch(`${server.url}${stored.body.properties.photo.url}`);
      assert.equal(photo.status, 200);
      assert.equal(photo.headers.get('content-type'), 'image/jpeg');
      const staff = await api(server.url, 'GET', `/api/v1/staff/clusters/${cluster}`, { token: dispatcher });
      const mine = staff.body.reports.find((r) => String(r.id) === id);
      assert.deepEqual(mine.contact, { name: 'Mia Metoo', email: 'mia@example.org', phone: '+1 312 555 0199' });
      // Joined because the citizen said so (same_as), not only by the distance rule.
      assert.equal(mine.join_reason.kind, 'same_as');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}
