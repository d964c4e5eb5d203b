// Reporting without the map at all (issue 18): from the top of the page, a skip link to the
// form's street corner search, then the form, by keyboard only, checked on the browser's
// accessibility tree (Playwright's ARIA snapshots) as a screen reader meets it: every step has
// a name and a role, the place is spoken once found, and the confirmation takes the focus.
// The keyboard never enters the map.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, newPage, screenshot, api, DESKTOP, PHONE, metres } from './server.mjs';

const env = serverAndBrowser();

/** The ARIA snapshot of the element that has the focus: its role and name (the first line). */
const focused = async (page) => (await page.locator(':focus').ariaSnapshot()).split('\n')[0].replace(/:$/, '');

/**
 * The focused element as the browser's accessibility tree has it (CDP Accessibility domain):
 * { role, name, value }. Playwright's snapshot leaves out a select's chosen value.
 */
async function axFocused(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.getDocument', { depth: 0 }); // DOM.requestNode needs the document
    const active = await cdp.send('Runtime.evaluate', { expression: 'document.activeElement' });
    const { nodeId } = await cdp.send('DOM.requestNode', { objectId: active.result.objectId });
    const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { nodeId, fetchRelatives: false });
    const n = nodes[0];
    return { role: n.role?.value, name: n.name?.value, value: n.value?.value };
  } finally {
    await cdp.detach();
  }
}

/** Tab until fn(snapshot) holds; returns the snapshot. Fails after `max` steps. */
async function tabTo(page, fn, what, max = 30) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const s = await focused(page);
    if (fn(s)) return s;
  }
  throw new Error(`${what} not reached with Tab in ${max} steps`);
}

// Two corners without a pothole report near (each run reports one: the other must not find it).
for (const { name, viewport, locale, mobile, corner, words } of [
  {
    name: 'desktop-en', viewport: DESKTOP, locale: 'en-US', mobile: false,
    corner: { typed: 'Halsted & Armitage', label: 'N HALSTED ST & W ARMITAGE AVE', lat: 41.91818, lon: -87.64851 },
    words: {
      skip: 'Report a problem without the map', corner: 'Or find an address or street corner', address: 'Address or landmark (optional)',
      category: 'What kind of problem?', pothole: 'Pothole in street', description: 'Describe the problem',
      send: 'Send report', street: /Street: (N HALSTED ST near W ARMITAGE AVE|W ARMITAGE AVE near N HALSTED ST)/,
      pinned: /Pin placed at 41\.9181\d, -87\.6485\d/, thanks: 'Thank you!', received: /Your report (\d+) was received\./,
      follow: 'Follow your report',
    },
  },
  {
    name: 'phone-nl', viewport: PHONE, locale: 'nl-NL', mobile: true,
    corner: { typed: 'Clark & Division', label: 'N CLARK ST & W DIVISION ST', lat: 41.90390, lon: -87.63145 },
    words: {
      skip: 'Meld een probleem zonder de kaart', corner: 'Of zoek een adres of kruispunt', address: 'Adres of herkenningspunt (optioneel)',
      category: 'Wat voor probleem?', pothole: 'Gat in de weg', description: 'Beschrijf het probleem',
      send: 'Melding versturen', street: /Straat: (N CLARK ST near W DIVISION ST|W DIVISION ST near N CLARK ST)/,
      pinned: /Speld geplaatst op 41,9039\d, -87,6314\d/, thanks: 'Bedankt!', received: /Uw melding (\d+) is ontvangen\./,
      follow: 'Volg uw melding',
    },
  },
]) {
  test(`a pothole reported by keyboard only, without the map (${name})`, { timeout: 90000 }, async () => {
    const { context, page, problems } = await newPage(env.browser, { viewport, locale, mobile });
    try {
      await page.goto(`${env.server.url}/`);
      await page.waitForFunction(() => !/…/.test(document.getElementById('map-status').textContent));
      // Record every element the keyboard focuses: none may be in the map.
      await page.evaluate(() => {
        window.focusTrail = [];
        document.addEventListener('focusin', (e) => window.focusTrail.push(e.target.closest('#map') ? 'MAP' : e.target.id || e.target.tagName));
      });

      // 1. The second stop of the page is the way to report without the map.
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      assert.equal(await focused(page), `- link "${words.skip}"`);
      await page.keyboard.press('Enter');
      // A combobox: the search box offers suggestions while it is typed (issue 18 point 2).
      assert.equal(await focused(page), `- combobox "${words.corner}"`);

      // 2. A corner, found on the city's streets: the place is spoken (live regions).
      await page.keyboard.type(corner.typed);
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => !document.getElementById('location-place').hidden);
      const where = await page.locator('#report-form fieldset').first().ariaSnapshot();
      assert.match(where, new RegExp(`- group "${words.corner.startsWith('Or') ? 'Where is it\\?' : 'Waar is het\\?'}"`));
      assert.match(where, words.street);
      assert.match(where, words.pinned);
      const live = await page.$$eval('#location-place, #location-text', (els) => els.map((e) => e.getAttribute('aria-live')));
      assert.deepEqual(live, ['polite', 'polite']);

      // 3. The rest of the form by Tab, each field named as its label says.
      assert.match(await tabTo(page, (s) => s.startsWith('- textbox') && s.includes(words.address), 'the address'),
        new RegExp(corner.label));
      await tabTo(page, (s) => s.startsWith(`- combobox "${words.category}"`), 'the category');
      await page.keyboard.type(words.pothole); // the select's type-ahead
      assert.equal(await page.inputValue('#category'), 'pothole');
      assert.deepEqual(await axFocused(page), { role: 'combobox', name: words.category, value: words.pothole });
      await tabTo(page, (s) => s.startsWith(`- textbox "${words.description}"`), 'the description');
      await page.keyboard.type('Deep pothole at the corner, reported without the map.');
      await tabTo(page, (s) => s === `- button "${words.send}"`, 'Send');
      await screenshot(page, `nomap-form-${name}`);
      await page.keyboard.press('Enter');

      // 4. The confirmation takes the focus and says the number.
      await page.locator('#done').waitFor({ state: 'visible' });
      assert.equal(await focused(page), `- heading "${words.thanks}" [level=3]`);
      const done = await page.locator('#done').ariaSnapshot();
      const m = words.received.exec(done);
      assert.ok(m, done);
      assert.match(done, new RegExp(`- link "${words.follow}"`));
      await screenshot(page, `nomap-done-${name}`);

      const trail = await page.evaluate(() => window.focusTrail);
      assert.ok(!trail.includes('MAP'), `the keyboard entered the map: ${trail.join(' ')}`);

      // 5. What was stored.
      const stored = await api(env.server.url, `/api/v1/reports/${m[1]}`);
      assert.equal(stored.status, 200);
      const p = stored.body.properties;
      assert.equal(p.category, 'pothole');
      assert.equal(p.description, 'Deep pothole at the corner, reported without the map.');
      assert.equal(p.address, corner.label);
      const [lon, lat] = stored.body.geometry.coordinates;
      assert.ok(metres({ lat, lon }, corner) < 5, `stored at ${lat},${lon}`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}
