// The desks (issue 18): the dispatcher reads why each report is in its cluster, rule by rule,
// from what the API really sends; a crew sees why a job offers no button and can navigate to
// each; the statistics open on a range that holds the data, with real axis ticks and chart
// text a phone can read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, screenshot, DESKTOP, PHONE } from './server.mjs';
import { startServer, api, offset } from '../api/lib.mjs';

let server;
let browser;
let tok;
const made = {}; // rule -> { cluster, report, reason }

// W Division St between N Marshfield Ave and N Paulina St: no demo pothole within 200 m.
const DIVISION = { lat: 41.90332, lon: -87.66905 };
const DIVISION_70M_WEST = { lat: 41.90332, lon: -87.66990 };
const KEDZIE = { lat: 41.8500, lon: -87.7055 }; // near S Kedzie Ave: the street lights, a far pothole

async function report(json) {
  const r = await api(server.url, 'POST', '/api/v1/reports', { json: { description: 'desk e2e', ...json } });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function reasonOf(cluster, reportId) {
  const c = await api(server.url, 'GET', `/api/v1/staff/clusters/${cluster}`, { token: tok.disp });
  return c.body.reports.find((r) => r.id === reportId).join_reason;
}

before(async () => {
  server = await startServer({ demo: true });
  tok = {
    disp: await server.user('dora', 'dispatcher'),
    crew: await server.user('carl', 'crew', 'streets'),
  };
  // Along the street from the pins: 70 m apart on the same street, no house numbers
  // (potholes: the address rule, without numbers the street rule: 15 m across, 100 m along).
  const a = await report({ category: 'pothole', ...DIVISION, address: 'W Division St' });
  const b = await report({ category: 'pothole', ...DIVISION_70M_WEST, address: 'W Division St' });
  assert.equal(b.cluster.id, a.cluster.id, 'joined along the street');
  made.new = { cluster: a.cluster.id, report: a.report.id };
  made.along = { cluster: a.cluster.id, report: b.report.id };
  // House numbers: 1800 and 1810 W Division St, the pins 17 m apart (past the 15 m radius).
  const n1 = await report({ category: 'pothole', lat: 41.90335, lon: -87.6710, address: '1800 W Division St' });
  const n2 = await report({ category: 'pothole', lat: 41.90335, lon: -87.6712, address: '1810 W Division St' });
  assert.equal(n2.cluster.id, n1.cluster.id, 'joined by the house numbers');
  made.address = { cluster: n1.cluster.id, report: n2.report.id };
  // Along the street between the house numbers: speeding (street rule, 300 m along), 100 apart.
  const s1 = await report({ category: 'speeding', lat: 41.90335, lon: -87.6720, address: '1850 W Division St' });
  const s2 = await report({ category: 'speeding', lat: 41.90335, lon: -87.6745, address: '1950 W Division St' });
  assert.equal(s2.cluster.id, s1.cluster.id, 'joined along the street by the numbers');
  made.along_numbers = { cluster: s1.cluster.id, report: s2.report.id };
  // The pins, for a street rule: at a corner, one on N Clark St and one on W Division St,
  // 11 m apart (within 15 m; not along one street).
  const c = await report({ category: 'pothole', lat: 41.90396, lon: -87.63146 });
  const d = await report({ category: 'pothole', lat: 41.90389, lon: -87.63136 });
  assert.equal(d.cluster.id, c.cluster.id);
  made.corner = { cluster: c.cluster.id, report: d.report.id };
  // Point rule: a street light 10 m from another (45 m radius).
  const light = offset(KEDZIE, 200, 0);
  const e = await report({ category: 'street_light_out', ...light });
  const f = await report({ category: 'street_light_out', ...offset(light, 10, 0) });
  assert.equal(f.cluster.id, e.cluster.id);
  made.point = { cluster: e.cluster.id, report: f.report.id };
  // same_as: 40 m away, past the radius, but the citizen said it is this one.
  const g = await report({ category: 'street_light_out', ...offset(light, 0, 40), same_as: e.cluster.id });
  assert.equal(g.cluster.id, e.cluster.id);
  made.same_as = { cluster: e.cluster.id, report: g.report.id };
  // staff: a pothole 300 m away moved into the corner's cluster by a dispatcher.
  const h = await report({ category: 'pothole', ...offset(KEDZIE, 300, 0) });
  assert.notEqual(h.cluster.id, c.cluster.id);
  const moved = await api(server.url, 'POST', `/api/v1/reports/${h.report.id}/move`, { json: { to: c.cluster.id }, token: tok.disp });
  assert.equal(moved.status, 200, moved.text);
  made.staff = { cluster: c.cluster.id, report: h.report.id };
  for (const m of Object.values(made)) m.reason = await reasonOf(m.cluster, m.report);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.cleanup();
});

/** The dispatcher's rendering of one report's reason, as the page shows it. */
async function shownReason(page, cluster, reportId) {
  await page.locator(`.queue-item[data-cluster-id="${cluster}"]`).click();
  const li = page.locator(`#detail-reports > li[data-report-id="${reportId}"]`);
  await li.waitFor();
  return li.locator('.r-why').textContent();
}

async function signInStaff(page) {
  await page.goto(`${server.url}/staff`);
  await page.fill('#token', tok.disp);
  await page.click('#signin-form button[type=submit]');
  await page.locator('.queue-item').first().waitFor();
}

const m1 = (v) => v.toFixed(1);

test('each rule reads right, from the fields the API sends (English)', { timeout: 90000 }, async () => {
  // The API's reasons first: what decided each join (the page reads these fields).
  const evidence = Object.fromEntries(Object.entries(made).map(([k, m]) => [k, m.reason.evidence]));
  assert.deepEqual(evidence, {
    new: 'none', along: 'along_pins', address: 'address_span', along_numbers: 'along_numbers',
    corner: 'pin_distance', point: 'pin_distance', same_as: 'same_as', staff: undefined,
  });
  assert.ok(made.along.reason.distance_m > 15 && made.along.reason.along_street_m <= 100, JSON.stringify(made.along.reason));
  assert.ok(made.corner.reason.distance_m <= 15);
  assert.equal(made.point.reason.rule, 'point');
  assert.equal(made.same_as.reason.kind, 'same_as');
  assert.equal(made.staff.reason.kind, 'staff');

  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    await signInStaff(page);
    const r = (k) => made[k].reason;
    const age = (k) => `${Math.round(r(k).age_s / 86400)} d after the last report (window ${r(k).window_days} d)`;
    const cases = {
      new: 'started this cluster',
      along: `joined: ${m1(r('along').along_street_m)} m along the same street, within 100 m (address rule); `
        + `${m1(r('along').distance_m)} m from the centre in a straight line; ${age('along')}`,
      address: `joined: 10 house numbers from the cluster’s on the same street, within 50 (address rule); ${age('address')}`,
      along_numbers: `joined: ${m1(r('along_numbers').along_street_m)} m along the same street between the house numbers, `
        + `within 300 m (street rule); ${age('along_numbers')}`,
      corner: `joined: ${m1(r('corner').distance_m)} m from the centre, within 15 m (address rule); ${age('corner')}`,
      point: `joined: ${m1(r('point').distance_m)} m from the centre, within ${Math.round(r('point').limit_m)} m (point rule); `
        + `${r('point').street_match ? 'on the same street; ' : ''}${age('point')}`,
      same_as: `the reporter said it is the same (${Math.round(r('same_as').distance_m)} m away); `
        + `${r('same_as').street_match ? 'on the same street; ' : ''}${age('same_as')}`,
      staff: 'moved here by staff',
    };
    for (const [rule, text] of Object.entries(cases)) {
      assert.equal(await shownReason(page, made[rule].cluster, made[rule].report), text, rule);
    }
    // The old sentence took the across radius for the limit of a join along the street.
    assert.doesNotMatch(await page.textContent('#detail-reports'), /from the centre \(street rule, limit/);
    await page.locator(`.queue-item[data-cluster-id="${made.along.cluster}"]`).click();
    await page.locator(`#detail-reports > li[data-report-id="${made.along.report}"]`).waitFor();
    await screenshot(page, 'staff-reasons-en');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the rules read right in Dutch too', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP, locale: 'nl-NL' });
  try {
    await signInStaff(page);
    const nl = (v) => v.toFixed(1).replace('.', ',');
    const along = made.along.reason;
    assert.equal(await shownReason(page, made.along.cluster, made.along.report),
      `toegevoegd: ${nl(along.along_street_m)} m langs dezelfde straat, binnen 100 m (adresregel); `
      + `${nl(along.distance_m)} m van het midden in rechte lijn; 0 d na de laatste melding (venster 84 d)`);
    assert.match(await shownReason(page, made.point.cluster, made.point.report),
      /^toegevoegd: 10,0 m van het midden, binnen \d+ m \(puntregel\); /);
    assert.match(await shownReason(page, made.address.cluster, made.address.report),
      /^toegevoegd: 10 huisnummers van die van het cluster, op dezelfde straat, binnen 50 \(adresregel\); /);
    assert.equal(await shownReason(page, made.staff.cluster, made.staff.report), 'hierheen verplaatst door een medewerker');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

/* ---------- the crew ---------- */

async function crewList(page, district) {
  await page.goto(`${server.url}/crew`);
  await page.fill('#token', tok.crew);
  await page.click('#signin-form button[type=submit]');
  await page.locator('#district option').nth(1).waitFor({ state: 'attached' });
  await page.selectOption('#district', district);
  await page.click('#load');
  await page.locator('#jobs > li').first().waitFor();
}

for (const { lang, locale, east, waiting, other, nav, maps } of [
  { lang: 'en', east: 900, locale: 'en-US', waiting: 'Waiting for the office: a dispatcher first makes it “Acknowledged”.', other: 'Another department’s job (sanitation): nothing for you to do here.', nav: 'Navigate', maps: 'Open in maps' },
  { lang: 'nl', locale: 'nl-NL', east: 450, waiting: 'Wacht op de regie: een medewerker zet hem eerst op “In behandeling genomen”.', other: 'Klus van een andere afdeling (sanitation): hier hoeft u niets te doen.', nav: 'Navigeer', maps: 'Open in kaarten' },
]) {
  test(`a crew sees why a job has no button, and can navigate to each job (${lang}, phone)`, { timeout: 90000 }, async () => {
    // Logan Square (22): the Division pothole cluster (new) and one the office acknowledged.
    const acked = await report({ category: 'pothole', ...offset(DIVISION, 0, east), address: 'W Division St' });
    const a = await api(server.url, 'POST', `/api/v1/clusters/${acked.cluster.id}/status`, { json: { status: 'acknowledged' }, token: tok.disp });
    assert.equal(a.status, 200, a.text);
    const { context, page, problems } = await newPage(browser, { viewport: PHONE, locale, mobile: true });
    try {
      // A job handed to another department after the list was made: the page says why.
      await page.route('**/api/v1/worklist?*', async (route) => {
        const response = await route.fetch();
        const fc = await response.json();
        const moved = fc.features.find((f) => f.id === acked.cluster.id);
        if (moved) {
          const twin = structuredClone(moved);
          twin.id = 999999;
          twin.properties.department = 'sanitation';
          twin.properties.actions = [];
          twin.properties.stop = fc.features.length + 1;
          fc.features.push(twin);
        }
        await route.fulfill({ response, json: fc });
      });
      const district = (await api(server.url, 'GET', `/api/v1/reports/${acked.report.id}`)).body.properties.district.code;
      await crewList(page, district);
      const job = (id) => page.locator(`#jobs > li[data-cluster-id="${id}"]`);
      await job(made.new.cluster).waitFor();
      // New: no button, and why.
      const fresh = job(made.new.cluster);
      assert.equal(await fresh.locator('.act-start').isVisible(), false);
      assert.equal(await fresh.locator('.act-fixed').isVisible(), false);
      assert.equal(await fresh.locator('.job-why').textContent(), waiting);
      // Acknowledged: "Start work", and no reason to give.
      assert.ok(await job(acked.cluster.id).locator('.act-start').isVisible());
      assert.equal(await job(acked.cluster.id).locator('.job-why').isVisible(), false);
      // Another department's.
      assert.equal(await job(999999).locator('.job-why').textContent(), other);
      // Every job: a geo: link for the phone's navigation, and a web map.
      for (const id of [made.new.cluster, acked.cluster.id]) {
        const f = (await api(server.url, 'GET', `/api/v1/clusters/${id}`)).body;
        const [lon, lat] = f.geometry.coordinates;
        const navLink = job(id).locator('.act-nav');
        assert.equal(await navLink.textContent(), nav);
        assert.equal(await navLink.getAttribute('href'), `geo:${lat.toFixed(6)},${lon.toFixed(6)}?q=${lat.toFixed(6)},${lon.toFixed(6)}`);
        const mapLink = job(id).locator('.act-maps');
        assert.equal(await mapLink.textContent(), maps);
        assert.equal(await mapLink.getAttribute('href'),
          `https://www.openstreetmap.org/?mlat=${lat.toFixed(6)}&mlon=${lon.toFixed(6)}#map=18/${lat.toFixed(6)}/${lon.toFixed(6)}`);
      }
      await fresh.scrollIntoViewIfNeeded();
      await screenshot(page, `crew-why-${lang}`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}

/* ---------- statistics ---------- */

test('the statistics open on the range of the data (the demo city is from 2021)', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    await page.goto(`${server.url}/stats`);
    await page.locator('#results').waitFor({ state: 'visible' });
    // From the first demo report to the last report of all (this test's, made today).
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago' }).format(new Date());
    assert.equal(await page.inputValue('#from'), '2021-01-01');
    assert.equal(await page.inputValue('#to'), today);
    assert.match(await page.textContent('#message'), new RegExp(`^\\d+ reports received from 2021-01-01 to ${today}\\.`));
    const received = Number(await page.locator('#summary div').first().locator('dd').textContent());
    assert.ok(received > 900, `${received} received`);
    assert.ok(await page.locator('#ttf-chart svg rect').count() > 10, 'the charts are drawn');
    assert.match(new URL(page.url()).search, /from=2021-01-01/, 'the range is in the address');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

/** The tick labels of the time-to-fix chart's axis. */
const ttfTicks = (page) => page.$$eval('#ttf-chart svg text.value', (els) => els
  .filter((e) => e.getAttribute('text-anchor') === 'middle').map((e) => e.textContent));

test('an axis of very quick fixes shows real ticks, not "0 0 0 0 0"', { timeout: 60000 }, async () => {
  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    // Fixes within minutes: medians of a few hundredths of a working day.
    await page.route('**/api/v1/stats?*', async (route) => {
      const response = await route.fetch();
      const data = await response.json();
      data.groups = data.groups.slice(0, 3).map((g, i) => ({
        ...g, median_days_to_fix: 0.004 * (i + 1), p90_days_to_fix: 0.008 * (i + 1), service_days: null,
      }));
      await route.fulfill({ response, json: data });
    });
    await page.goto(`${server.url}/stats?from=2021-01-01&to=2021-01-03&group_by=district`);
    await page.locator('#ttf-chart svg').waitFor();
    const ticks = await ttfTicks(page);
    assert.ok(ticks.length >= 3, ticks.join(' '));
    assert.equal(new Set(ticks).size, ticks.length, `distinct ticks: ${ticks.join(' ')}`);
    assert.deepEqual(ticks, ['0.00', '0.01', '0.02', '0.03']);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

for (const locale of ['en-US', 'nl-NL']) {
  test(`chart text is at least 11 px on a 360 px phone (${locale})`, { timeout: 60000 }, async () => {
    const { context, page, problems } = await newPage(browser, { viewport: PHONE, locale, mobile: true });
    try {
      for (const by of ['category', 'week']) {
        await page.goto(`${server.url}/stats?from=2021-01-01&to=2021-01-03&group_by=${by}`);
        await page.locator('#volume-chart svg').waitFor();
        const sizes = await page.$$eval('.chart svg', (charts) => charts.flatMap((s) => {
          const scale = s.getBoundingClientRect().width / s.viewBox.baseVal.width;
          return [...s.querySelectorAll('text')].map((t) => ({
            text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale,
            right: t.getBoundingClientRect().right,
          }));
        }));
        assert.ok(sizes.length > (by === 'week' ? 10 : 100), `${by}: ${sizes.length} texts`);
        const small = sizes.filter((x) => x.px < 11).map((x) => `${x.text}: ${x.px.toFixed(1)} px`);
        assert.deepEqual(small, [], `${by}: chart text below 11 px`);
        const cut = sizes.filter((x) => x.right > PHONE.width + 1).map((x) => x.text);
        assert.deepEqual(cut, [], `${by}: chart text past the screen's edge`);
        const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(scroll <= PHONE.width, `the page is ${scroll} px wide`);
      }
      await page.locator('#share-chart').scrollIntoViewIfNeeded();
      await screenshot(page, `stats-phone-${locale.slice(0, 2)}`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}
