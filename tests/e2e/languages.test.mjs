// The dispatcher, crew and statistics pages in Dutch and in English: the language follows the
// browser or the choice made on any page, the switch turns the page over without a reload,
// and no text of the other language is left (labels, buttons, table headers, chart labels,
// aria-labels, titles, status and category names).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, screenshot, DESKTOP, PHONE } from './server.mjs';
import { startServer, api, offset, LOOP } from '../api/lib.mjs';

let server;
let browser;
let tok;
let cluster;

before(async () => {
  server = await startServer({ demo: true });
  tok = {
    disp: await server.user('dana', 'dispatcher'),
    crew: await server.user('crew-nl', 'crew', 'streets'),
  };
  // The Loop has no demo pothole within a kilometre: the first report starts a cluster, the
  // second joins it, the third (500 m away) starts another.
  for (const [n, e] of [[0, 0], [3, 2], [400, 300]]) {
    const p = offset(LOOP, n, e);
    const r = await api(server.url, 'POST', '/api/v1/reports', {
      json: { category: 'pothole', lat: p.lat, lon: p.lon, description: 'e2e', contact: { name: 'Ann Caller' } },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.joined, n === 3, 'joined only when 3.6 m away');
    cluster ??= r.body.cluster.id;
  }
  const a = await api(server.url, 'POST', `/api/v1/clusters/${cluster}/status`, { json: { status: 'acknowledged' }, token: tok.disp });
  assert.equal(a.status, 200, a.text);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.cleanup();
});

/**
 * Every text a person meets on the page (visible text, options, aria-labels, titles,
 * placeholders, alt texts, SVG chart labels, the document title) that is a text of the OTHER
 * language's tables, of the workflow's status names or of the category names. Texts both
 * languages share ("Status", "GPX") do not count.
 */
function leftovers(page) {
  return page.evaluate(async () => {
    const { TABLES, lang } = await import('/i18n.js');
    const { statuses } = await import('/workflow.js');
    const { categories } = await import('/categories.js');
    const here = lang();
    const other = here === 'nl' ? 'en' : 'nl';
    const mine = new Set();
    const theirs = [];
    const pairs = [];
    for (const table of Object.values(TABLES)) {
      for (const key of Object.keys(table.en)) pairs.push([table[other][key], table[here][key]]);
    }
    for (const s of statuses()) pairs.push([s.name[other], s.name[here]]);
    for (const c of categories()) pairs.push([c.name[other], c.name[here]]);
    for (const [, text] of pairs) mine.add(text);
    for (const [text] of pairs) if (text && !mine.has(text)) theirs.push(text);
    const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const patterns = theirs.map((s) => [s, new RegExp(`^${escape(s).replace(/\\\{\w+\\\}/g, '.*')}$`, 's')]);
    const texts = [document.title];
    const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    for (const el of document.querySelectorAll('body *')) {
      if (['SCRIPT', 'STYLE', 'TEMPLATE'].includes(el.tagName)) continue;
      const always = el.tagName === 'OPTION' || el.tagName === 'OPTGROUP' || el instanceof SVGElement;
      if (!always && !visible(el)) continue;
      for (const n of el.childNodes) if (n.nodeType === Node.TEXT_NODE) texts.push(n.data);
      for (const a of ['aria-label', 'title', 'placeholder', 'alt', 'label']) if (el.hasAttribute(a)) texts.push(el.getAttribute(a));
    }
    const found = new Set();
    for (const raw of texts) {
      const text = raw.replace(/\s+/g, ' ').trim();
      if (!text) continue;
      for (const piece of [text, ...text.split(' · ')]) {
        for (const [s, re] of patterns) if (re.test(piece.trim())) found.add(`"${piece.trim()}" (${s})`);
      }
    }
    return [...found];
  });
}

/** The page's visible text, whitespace collapsed. */
const shown = (page, selector = 'body') => page.locator(selector).first().evaluate((el) => el.innerText.replace(/\s+/g, ' '));

async function signIn(page, path, token) {
  await page.goto(`${server.url}${path}`);
  await page.locator('#signin').waitFor({ state: 'visible' });
  await page.fill('#token', token);
  await page.click('#signin-form button[type=submit]');
}

for (const lang of ['nl', 'en']) {
  const locale = lang === 'nl' ? 'nl-NL' : 'en-US';
  const words = {
    nl: {
      signin: 'Aanmelden', queue: 'Wachtrij', detail: /Melding \d+ · .* · via web/, join: /toegevoegd: 3,6 m van het midden/,
      history: /In behandeling genomen door dana/, intake: 'Melding opgenomen namens een beller', worklist: 'Werklijst ophalen',
      summary: /^\d+ klussen? voor streets, route [\d,]+ k?m\.$/, stats: 'Afhandeltermijnen', column: 'Ontvangen', switch: 'English',
      invalid: 'Dit token is niet geldig.',
    },
    en: {
      signin: 'Sign in', queue: 'Queue', detail: /Report \d+ · .* · by web/, join: /joined: 3\.6 m from the centre/,
      history: /Acknowledged by dana/, intake: "Report taken on a caller's behalf", worklist: 'Get worklist',
      summary: /^\d+ jobs? for streets, route [\d.]+ k?m\.$/, stats: 'Service levels', column: 'Received', switch: 'Nederlands',
      invalid: 'This token is not valid.',
    },
  }[lang];

  test(`the dispatcher page in ${lang}`, { timeout: 120000 }, async () => {
    const { context, page, problems } = await newPage(browser, { viewport: DESKTOP, locale });
    try {
      await page.goto(`${server.url}/staff`);
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
      assert.equal(await page.textContent('#signin-title'), words.signin);
      assert.equal(await page.textContent('#lang-switch'), words.switch);
      await page.fill('#token', 'mp_not-a-valid-token-000000000000000000000000');
      await page.click('#signin-form button[type=submit]');
      await page.locator('#signin-error').waitFor({ state: 'visible' });
      assert.equal(await page.textContent('#signin-error'), words.invalid);
      assert.deepEqual(await leftovers(page), []);

      await signIn(page, '/staff', tok.disp);
      await page.locator('#queue .queue-item').first().waitFor();
      assert.equal(await page.textContent('#tab-queue'), words.queue);
      await page.selectOption('#f-status', 'open');
      const item = page.locator(`.queue-item[data-cluster-id="${cluster}"]`);
      await item.waitFor();
      await item.click();
      await page.locator('#detail-reports > li').nth(1).waitFor();
      assert.match(await shown(page, '#detail-reports'), words.detail);
      assert.match(await shown(page, '#detail-reports'), words.join);
      assert.match(await shown(page, '#detail-history'), words.history);
      assert.deepEqual(await leftovers(page), [], 'queue and detail');
      await screenshot(page, `staff-${lang}-detail`);

      await page.click('#tab-intake');
      await page.locator('#intake-map').click();
      await page.locator('#i-nearby p').waitFor();
      assert.equal(await page.textContent('#intake-title'), words.intake);
      assert.deepEqual(await leftovers(page), [], 'intake');
      await screenshot(page, `staff-${lang}-intake`);
      assert.deepEqual(problems.filter((p) => !/401/.test(p)), []);
    } finally {
      await context.close();
    }
  });

  test(`the crew page in ${lang}, on a phone`, { timeout: 120000 }, async () => {
    const { context, page, problems } = await newPage(browser, { viewport: PHONE, mobile: true, locale });
    try {
      await signIn(page, '/crew', tok.crew);
      await page.locator('#work').waitFor({ state: 'visible' });
      await page.selectOption('#district', '32'); // the Loop
      assert.equal(await page.textContent('#load'), words.worklist);
      await page.click('#load');
      await page.locator('#jobs > li.job').first().waitFor();
      assert.match(await page.textContent('#summary'), words.summary);
      assert.deepEqual(await leftovers(page), []);
      await screenshot(page, `crew-${lang}-phone-worklist`);
      const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      assert.ok(fits, 'no sideways scrolling');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test(`the statistics page in ${lang}`, { timeout: 120000 }, async () => {
    const { context, page, problems } = await newPage(browser, { viewport: DESKTOP, locale });
    try {
      // From the demo data (the first days of 2021) to today (the reports made above).
      await page.goto(`${server.url}/stats?from=2020-12-01&to=${new Date().toISOString().slice(0, 10)}`);
      await page.locator('#results').waitFor({ state: 'visible' });
      assert.equal(await page.textContent('h1'), words.stats);
      assert.equal(await page.textContent('#table thead th:nth-child(3)'), words.column);
      assert.ok(await page.locator('#ttf-chart svg text').count() > 3, 'a chart with labels');
      assert.deepEqual(await leftovers(page), [], 'by category');
      await screenshot(page, `stats-${lang}`);
      await page.selectOption('#group_by', 'week');
      await page.click('#range button[type=submit]');
      await page.locator('#volume-chart polyline').first().waitFor();
      assert.deepEqual(await leftovers(page), [], 'by week');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}

test('a language chosen on the map page holds on the other pages, and their switch turns them over', { timeout: 120000 }, async () => {
  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP, locale: 'en-US' });
  try {
    await page.goto(`${server.url}/`);
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'nl');
    await signIn(page, '/staff', tok.disp);
    await page.locator('#queue .queue-item').first().waitFor();
    assert.equal(await page.textContent('#tab-queue'), 'Wachtrij');

    await page.click('#lang-switch');
    await page.waitForFunction(() => document.getElementById('tab-queue').textContent === 'Queue');
    await page.waitForFunction(() => /clusters?\.$/.test(document.getElementById('queue-count').textContent));
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.deepEqual(await leftovers(page), []);

    await page.goto(`${server.url}/stats`);
    await page.locator('#results').waitFor({ state: 'visible' });
    assert.equal(await page.textContent('h1'), 'Service levels');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.querySelector('h1').textContent === 'Afhandeltermijnen');
    assert.equal(await page.textContent('#table thead th:nth-child(3)'), 'Ontvangen');
    assert.deepEqual(await leftovers(page), [], 'the charts are drawn again in Dutch');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
