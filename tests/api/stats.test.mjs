// Service-level statistics (issue 6): GET /api/v1/stats checked against an independent
// computation from the public export (working days from the city pack's calendar and the
// time zone through Intl), and the /stats page that shows them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, api, CITY_DIR } from './lib.mjs';

const OPEN = new Set(['new', 'acknowledged', 'scheduled', 'in_progress', 'reopened']);

let srv;
let reports; // public export features
let serviceDays; // category code -> working days
let city;

before(async () => {
  srv = await startServer({ demo: true });
  city = JSON.parse(await readFile(path.join(CITY_DIR, 'city.json'), 'utf8'));
  const cats = await api(srv.url, 'GET', '/api/v1/categories');
  serviceDays = new Map(cats.body.categories.map((c) => [c.code, c.service_days]));
  assert.ok(serviceDays.get('pothole') > 0, 'categories carry service_days');
  const r = await api(srv.url, 'GET', '/api/v1/export?format=geojson');
  reports = r.body.features.map((f) => f.properties);
});
after(async () => { await srv.cleanup(); });

// ---- an independent model of the definitions in include/meldpunt/workdays.h and stats.h ----

const fmt = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/Chicago', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit',
});
/** Wall-clock seconds in Chicago of a UTC instant (seconds). */
function local(t) {
  const p = Object.fromEntries(fmt.formatToParts(new Date(t * 1000)).map((x) => [x.type, x.value]));
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) / 1000;
}
function isWorkday(day) {
  const iso = ((new Date(day * 86400000).getUTCDay() + 6) % 7) + 1;
  const date = new Date(day * 86400000).toISOString().slice(0, 10);
  return city.workdays.includes(iso) && !city.holidays.includes(date);
}
function workdaysBetween(from, to) {
  if (to <= from) return 0;
  const lf = local(from);
  const lt = local(to);
  if (lt <= lf) return 0;
  let secs = 0;
  for (let d = Math.floor(lf / 86400); d <= Math.floor(lt / 86400); d++) {
    const a = Math.max(lf, d * 86400);
    const b = Math.min(lt, (d + 1) * 86400);
    if (b > a && isWorkday(d)) secs += b - a;
  }
  return secs / 86400;
}
function percentile(sorted, p) {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  return lo >= sorted.length - 1 ? sorted.at(-1) : sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
}
const secs = (iso) => Date.parse(iso) / 1000;

function expected(rows, now) {
  const g = { received: 0, open: 0, fixed: 0, closed_unfixed: 0, within: 0, overdue: 0, ttf: [] };
  for (const r of rows) {
    g.received++;
    const created = secs(r.created_at);
    const sd = serviceDays.get(r.category);
    if (OPEN.has(r.status)) {
      g.open++;
      if (workdaysBetween(created, now) > sd) g.overdue++;
    } else if (r.fixed_at && (r.status === 'fixed' || r.status === 'closed')) {
      g.fixed++;
      const ttf = workdaysBetween(created, Math.max(secs(r.fixed_at), created));
      g.ttf.push(ttf);
      if (ttf <= sd) g.within++;
    } else {
      g.closed_unfixed++;
    }
  }
  g.ttf.sort((a, b) => a - b);
  return g;
}

function assertGroup(got, want, label) {
  assert.equal(got.received, want.received, `${label} received`);
  assert.equal(got.open, want.open, `${label} open`);
  assert.equal(got.fixed, want.fixed, `${label} fixed`);
  assert.equal(got.closed_unfixed, want.closed_unfixed, `${label} closed_unfixed`);
  assert.equal(got.within_service_level, want.within, `${label} within`);
  assert.equal(got.overdue_open, want.overdue, `${label} overdue_open`);
  if (want.ttf.length) {
    assert.ok(Math.abs(got.median_days_to_fix - percentile(want.ttf, 0.5)) <= 0.005 + 1e-9, `${label} median`);
    assert.ok(Math.abs(got.p90_days_to_fix - percentile(want.ttf, 0.9)) <= 0.005 + 1e-9, `${label} p90`);
  } else {
    assert.equal(got.median_days_to_fix, null);
    assert.equal(got.p90_days_to_fix, null);
  }
  const due = want.fixed + want.overdue;
  if (due) assert.ok(Math.abs(got.share_within_service_level - want.within / due) <= 0.00005 + 1e-9, `${label} share`);
  else assert.equal(got.share_within_service_level, null);
}

const inRange = (from, to) => reports.filter((r) => secs(r.created_at) >= secs(from) && secs(r.created_at) < secs(to));

test('by category: counts, median and p90 working days to fix, share within the service level', async () => {
  const r = await api(srv.url, 'GET', '/api/v1/stats?from=2021-01-01&to=2021-01-31&group_by=category');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'application/json');
  const s = r.body;
  // Dates are local days in the city: January 1st 00:00 in Chicago is 06:00Z.
  assert.equal(s.from, '2021-01-01T06:00:00Z');
  assert.equal(s.to, '2021-02-01T06:00:00Z', 'to is inclusive of its whole day');
  assert.equal(s.group_by, 'category');
  assert.equal(s.timezone, 'America/Chicago');
  const now = secs(s.generated_at);
  const rows = inRange(s.from, s.to);
  assert.ok(rows.length > 900);
  assertGroup(s.total, expected(rows, now), 'total');
  assert.ok(s.total.fixed > 500 && s.total.median_days_to_fix > 0, 'the demo data has fixes');
  let sum = 0;
  for (const g of s.groups) {
    assert.equal(g.service_days, serviceDays.get(g.key));
    assert.ok(g.name);
    assertGroup(g, expected(rows.filter((x) => x.category === g.key), now), g.key);
    sum += g.received;
  }
  assert.equal(sum, s.total.received, 'groups add up to the total');
  assert.ok(s.groups.every((g) => g.received > 0), 'empty categories are left out');
  assert.deepEqual(s.data_extent, { first: reports[0].created_at, last: reports.map((x) => x.created_at).sort().at(-1) });
});

test('by district and by week; filters by category and district', async () => {
  const d = (await api(srv.url, 'GET', '/api/v1/stats?from=2021-01-01&to=2021-01-01&group_by=district')).body;
  const now = secs(d.generated_at);
  const rows = inRange(d.from, d.to);
  assert.ok(rows.length > 300 && rows.length < reports.length, 'one local day, not all of the data');
  assertGroup(d.total, expected(rows, now), 'total');
  for (const g of d.groups) {
    const mine = rows.filter((x) => (g.key === null ? x.district === null : x.district === g.name));
    assertGroup(g, expected(mine, now), `district ${g.key}`);
  }
  assert.equal(d.groups.reduce((a, g) => a + g.received, 0), d.total.received);

  const w = (await api(srv.url, 'GET', '/api/v1/stats?from=2020-12-20&to=2021-01-20&group_by=week')).body;
  assert.deepEqual(w.groups.map((g) => g.key), ['2020-W51', '2020-W52', '2020-W53', '2021-W01', '2021-W02', '2021-W03']);
  assert.deepEqual(w.groups.map((g) => g.week_start), ['2020-12-14', '2020-12-21', '2020-12-28', '2021-01-04', '2021-01-11', '2021-01-18']);
  assert.equal(w.groups[2].received, w.total.received, 'the demo data is all in the week of New Year');
  assertGroup(w.groups[2], expected(inRange(w.from, w.to), secs(w.generated_at)), 'week 53');

  const byCat = (await api(srv.url, 'GET', '/api/v1/stats?from=2021-01-01&to=2021-01-31')).body;
  const lights = byCat.groups.find((g) => g.key === 'street_light_out');
  const only = (await api(srv.url, 'GET', '/api/v1/stats?from=2021-01-01&to=2021-01-31&category=street_light_out')).body;
  assert.equal(only.category, 'street_light_out');
  assert.deepEqual(only.groups, [lights]);
  for (const k of ['received', 'open', 'fixed', 'within_service_level', 'median_days_to_fix', 'share_within_service_level']) {
    assert.equal(only.total[k], lights[k], k);
  }
  const loop = (await api(srv.url, 'GET', '/api/v1/stats?from=2021-01-01&to=2021-01-31&district=32&group_by=district')).body;
  assert.equal(loop.groups.length, 1);
  assert.equal(loop.groups[0].name, 'Loop');
  assert.equal(loop.total.received, reports.filter((x) => x.district === 'Loop').length);
});

test('ranges: defaults to the past year, times with and without a zone, empty ranges', async () => {
  const def = (await api(srv.url, 'GET', '/api/v1/stats')).body;
  assert.equal(secs(def.to) - secs(def.from), 365 * 86400);
  assert.ok(Math.abs(secs(def.to) - Date.now() / 1000) < 120);
  assert.equal(def.total.received, 0, 'the 2021 demo data is older than a year');
  assert.equal(def.total.share_within_service_level, null);
  assert.equal(def.total.median_days_to_fix, null);

  const z = (await api(srv.url, 'GET', '/api/v1/stats?from=2021-01-01T12:00:00Z&to=2021-01-01T18:00:00-06:00')).body;
  assert.equal(z.from, '2021-01-01T12:00:00Z');
  assert.equal(z.to, '2021-01-02T00:00:00Z');
  assert.equal(z.total.received, inRange(z.from, z.to).length);
  const loc = (await api(srv.url, 'GET', '/api/v1/stats?from=2021-01-01T08:00&to=2021-01-01T09:00')).body;
  assert.equal(loc.from, '2021-01-01T14:00:00Z', 'a time without a zone is local');
});

test('bad parameters get a clear 400', async () => {
  const cases = [
    ['group_by=month', /group_by must be category, district or week/],
    ['from=2021-02-01&to=2021-01-01', /from must be before to/],
    ['from=last-week', /from must be a date/],
    ['category=nope', /unknown category/],
    ['district=Atlantis', /unknown district/],
    ['colour=red', /unknown query parameter 'colour'/],
    ['from=2000-01-01&to=2021-01-01&group_by=week', /at most 530 weeks/],
  ];
  for (const [q, message] of cases) {
    const r = await api(srv.url, 'GET', `/api/v1/stats?${q}`);
    assert.equal(r.status, 400, q);
    assert.match(r.body.error.message, message, q);
  }
});

test('the /stats page is served under the strict CSP, with its own script and style only', async () => {
  const r = await api(srv.url, 'GET', '/stats');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  assert.match(r.headers.get('content-security-policy'), /script-src 'self'; style-src 'self'/);
  assert.match(r.text, /<script type="module" src="\/stats\.js"><\/script>/);
  assert.match(r.text, /<link rel="stylesheet" href="\/stats\.css">/);
  assert.doesNotMatch(r.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline scripts');
  assert.doesNotMatch(r.text, /<style|\sstyle=/, 'no inline styles');
  for (const f of ['/stats.js', '/stats.css']) {
    const s = await api(srv.url, 'GET', f);
    assert.equal(s.status, 200, f);
  }
  const js = (await api(srv.url, 'GET', '/stats.js')).text;
  assert.doesNotMatch(js.replaceAll('http://www.w3.org/2000/svg', ''), /https?:\/\//, 'no external resources');
  assert.doesNotMatch(js, /\.style\.|setAttribute\('style'|innerHTML/, 'no inline styles, no HTML injection');
});
