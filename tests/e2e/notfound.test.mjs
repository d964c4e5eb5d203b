// One language per page, end to end (issue 18): a browser that asks for a page that does not
// exist gets an HTML page in its language with a way home (not raw JSON), a language chosen on
// the site holds there too, and the report form shows the server's errors in the page's
// language only, with the technical English kept out of sight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  serverAndBrowser, newPage, screenshot, openMap, clickMapCentre, DESKTOP, PHONE,
} from './server.mjs';

const env = serverAndBrowser();

test('an unknown page is an HTML page in English with a link to the map', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(env.browser, { viewport: DESKTOP });
  try {
    const response = await page.goto(`${env.server.url}/nope`);
    assert.equal(response.status(), 404);
    assert.match(response.headers()['content-type'], /^text\/html/);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.textContent('h1'), 'Page not found');
    assert.match(await page.textContent('main'), /There is no page at this address/);
    assert.equal(await page.title(), 'Page not found · meldpunt');
    assert.equal(await page.locator('body').evaluate((b) => b.innerText.includes('{"error"')), false);
    await page.locator('#lang-switch').waitFor({ state: 'visible' });
    await screenshot(page, 'notfound-desktop-en');
    await page.click('#home-link');
    await page.waitForURL(`${env.server.url}/`);
    await page.locator('#map').waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a bad report address is a Dutch page on a Dutch phone, and the switch turns it over', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(env.browser, { viewport: PHONE, locale: 'nl-NL', mobile: true });
  try {
    const response = await page.goto(`${env.server.url}/r/abc`);
    assert.equal(response.status(), 404);
    assert.equal(await page.getAttribute('html', 'lang'), 'nl');
    assert.equal(await page.textContent('h1'), 'Pagina niet gevonden');
    assert.equal(await page.textContent('#home-link'), 'Naar de kaart met meldingen');
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scroll <= PHONE.width, `${scroll} px wide`);
    await screenshot(page, 'notfound-phone-nl');
    await page.locator('#lang-switch').tap();
    await page.waitForFunction(() => document.querySelector('h1').textContent === 'Page not found');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a language chosen on the site holds on the page "not found"', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(env.browser, { viewport: DESKTOP, locale: 'en-US' });
  try {
    await page.goto(`${env.server.url}/`);
    await page.click('#lang-switch'); // to Dutch, remembered for the site
    await page.waitForFunction(() => document.documentElement.lang === 'nl');
    await page.goto(`${env.server.url}/staff/nothing-here`);
    await page.waitForFunction(() => document.querySelector('h1').textContent === 'Pagina niet gevonden');
    assert.equal(await page.textContent('#home-link'), 'Naar de kaart met meldingen');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

for (const { lang, locale, shown, hidden } of [
  { lang: 'nl', locale: 'nl-NL', shown: /^Een veld van het verzoek heeft een ongeldige waarde\.$/, hidden: /contact phone|not a valid/ },
  { lang: 'en', locale: 'en-US', shown: /^contact phone is not a valid number$/, hidden: /ongeldige/ },
]) {
  test(`the report form says the server's refusal in ${lang} only`, { timeout: 60000 }, async () => {
    const { context, page, problems } = await newPage(env.browser, { viewport: DESKTOP, locale });
    try {
      await openMap(page, env.server.url);
      await clickMapCentre(page);
      await page.locator('#report-panel').waitFor({ state: 'visible' });
      await page.selectOption('#category', 'pothole');
      await page.fill('#description', 'Language test');
      await page.locator('.contact summary').click();
      await page.fill('#contact-phone', 'call me maybe');
      await page.click('#submit');
      const error = page.locator('#contact-phone-error');
      await error.waitFor({ state: 'visible' });
      assert.match(await error.textContent(), shown);
      assert.equal(await page.getAttribute('#contact-phone', 'aria-invalid'), 'true');
      const all = await page.textContent('#report-form');
      assert.doesNotMatch(all, hidden);
      assert.match(await page.textContent('#form-error'), lang === 'nl' ? /^Uw melding is niet verstuurd: Een veld/ : /^Your report was not sent: contact phone/);
      await screenshot(page, `form-server-error-${lang}`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}
