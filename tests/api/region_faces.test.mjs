// The region pack's public faces per municipality (issue 21 point 5): OGC API collections
// filtered by municipality (a queryable of reports and clusters), and Open311 reads of service
// requests by jurisdiction_id (a member's slug), import's external ids per municipality, and
// statistics compared across the members (within N working days, each in its own calendar), on
// the Halle-Vilvoorde pack.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, api, offset, dbQuery, meldpunt, REGION_DIR } from './lib.mjs';

let server;
let base;

const HALLE_CENTRE = { lat: 50.7345, lon: 4.2370 };
const ASSE_CENTRE = { lat: 50.9103, lon: 4.1985 };
const VILVOORDE_CENTRE = { lat: 50.9280, lon: 4.4250 };

// Report ids and cluster ids per municipality.
const made = { halle: [], vilvoorde: [], asse: [] };
const jobs = { halle: new Set(), vilvoorde: new Set(), asse: new Set() };

const get = (p) => api(base, 'GET', p);

before(async () => {
  server = await startServer({ city: REGION_DIR });
  base = server.url;
  const plan = [['halle', HALLE_CENTRE, 3], ['vilvoorde', VILVOORDE_CENTRE, 2], ['asse', ASSE_CENTRE, 1]];
  for (const [town, centre, n] of plan) {
    for (let i = 0; i < n; i++) {
      // 400 m apart: each its own job.
      const p = offset(centre, 400 * i, 0);
      const r = await api(base, 'POST', '/api/v1/reports',
        { json: { category: 'zwerfvuil', lat: p.lat, lon: p.lon } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.municipality.id, town);
      made[town].push(r.body.report.id);
      jobs[town].add(r.body.cluster.id);
    }
  }
});

after(async () => {
  if (server) await server.cleanup();
});

test('OGC: municipality is a queryable of reports and clusters, listing the members', async () => {
  for (const coll of ['reports', 'clusters']) {
    const r = await get(`/ogc/collections/${coll}/queryables`);
    assert.equal(r.status, 200, r.text);
    const s = JSON.parse(r.text);
    assert.equal(s.properties.municipality.type, 'string');
    assert.equal(s.properties.municipality.enum.length, 35);
    assert.equal(s.properties.municipality.enum[0], 'affligem');
    assert.ok(s.properties.municipality.enum.includes('halle'));
  }
  const d = JSON.parse((await get('/ogc/collections/districts/queryables')).text);
  assert.equal(d.properties.municipality, undefined);
  const oas = await get('/ogc/api');
  assert.equal(oas.status, 200);
  const items = JSON.parse(oas.text).paths['/collections/reports/items'].get.parameters;
  assert.ok(items.some((p) => p.name === 'municipality'), 'the OpenAPI document names it');
});

test('OGC: items of one municipality, by id or name, with their count and next links', async () => {
  for (const [town, name] of [['halle', 'Halle'], ['vilvoorde', 'Vilvoorde'], ['asse', 'Asse']]) {
    for (const v of [town, name]) {
      const r = await get(`/ogc/collections/reports/items?municipality=${v}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.features.map((f) => f.id).sort((a, b) => a - b), made[town], `${town} by ${v}`);
      assert.equal(r.body.numberMatched, made[town].length);
      for (const f of r.body.features) {
        assert.equal(f.properties.district, name);
        assert.equal(f.properties.municipality, town, 'the queryable is a property of the features');
      }
    }
    const c = await get(`/ogc/collections/clusters/items?municipality=${town}`);
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(new Set(c.body.features.map((f) => f.id)), jobs[town]);
    for (const f of c.body.features) assert.equal(f.properties.municipality, town);
    assert.equal(c.body.numberMatched, jobs[town].size);
  }
  // Paging keeps the filter: the next link repeats it.
  const p1 = await get('/ogc/collections/reports/items?municipality=halle&limit=2');
  assert.equal(p1.body.features.length, 2);
  const next = p1.body.links.find((l) => l.rel === 'next');
  assert.equal(new URL(next.href).searchParams.get('municipality'), 'halle');
  const p2 = await api(base, 'GET', new URL(next.href).pathname + new URL(next.href).search);
  assert.equal(p2.status, 200, p2.text);
  assert.deepEqual(p2.body.features.map((f) => f.id), [made.halle[2]]);
  // With the other filters: a box around Halle asked of Vilvoorde holds nothing.
  const none = await get('/ogc/collections/reports/items?municipality=vilvoorde&bbox=4.15,50.69,4.32,50.77');
  assert.equal(none.status, 200, none.text);
  assert.equal(none.body.numberMatched, 0);
  // Without the filter: the whole region.
  const all = await get('/ogc/collections/reports/items');
  assert.equal(all.body.numberMatched, 6);
});

test('OGC: an unknown municipality is refused naming the valid ones', async () => {
  const r = await get('/ogc/collections/reports/items?municipality=brussel');
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.error.code, 'unknown_municipality');
  assert.match(r.body.error.message,
    /^unknown municipality 'brussel'; one of 35: affligem, asse, beersel, bever, [a-z, -]+, \.\.\.$/);
  const c = await get('/ogc/collections/clusters/items?municipality=');
  assert.equal(c.status, 400, c.text);
  assert.equal(c.body.error.code, 'unknown_municipality');
  // Districts are the pack's areas, not filtered by it.
  const d = await get('/ogc/collections/districts/items?municipality=halle');
  assert.equal(d.status, 400);
  assert.equal(d.body.error.message, "unknown query parameter 'municipality'");
});

test('Open311: GET requests by jurisdiction_id lists that municipality\'s requests only', async () => {
  // The default window (the last 90 days) holds every report made above.
  for (const town of ['halle', 'vilvoorde', 'asse']) {
    for (const fmt of ['json', 'xml']) {
      const r = await get(`/open311/v2/requests.${fmt}?jurisdiction_id=${town}`);
      assert.equal(r.status, 200, r.text);
      const ids = fmt === 'json'
        ? r.body.map((q) => Number(q.service_request_id))
        : [...r.text.matchAll(/<service_request_id>(\d+)<\/service_request_id>/g)].map((m) => Number(m[1]));
      assert.deepEqual(ids.sort((a, b) => a - b), made[town], `${town} ${fmt}`);
    }
  }
  const whole = await get(`/open311/v2/requests.json?jurisdiction_id=halle-vilvoorde`);
  assert.equal(whole.body.length, 6);
  const plain = await get('/open311/v2/requests.json');
  assert.equal(plain.body.length, 6);
  // service_request_id overrides the other arguments, but not the jurisdiction.
  const listed = await get(`/open311/v2/requests.json?jurisdiction_id=vilvoorde&service_request_id=${made.halle[0]},${made.vilvoorde[0]}`);
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.body.map((q) => Number(q.service_request_id)), [made.vilvoorde[0]]);
});

test('Open311: one request in another jurisdiction is not found; an unknown one is refused', async () => {
  const id = made.halle[0];
  const own = await get(`/open311/v2/requests/${id}.json?jurisdiction_id=halle`);
  assert.equal(own.status, 200, own.text);
  assert.equal(Number(own.body[0].service_request_id), id);
  assert.equal(own.body[0].service_code, 'zwerfvuil');
  const other = await get(`/open311/v2/requests/${id}.json?jurisdiction_id=vilvoorde`);
  assert.equal(other.status, 404, other.text);
  assert.equal(other.body[0].code, 404);
  assert.equal(other.body[0].description,
    `service_request_id '${id}' was not found in jurisdiction_id 'vilvoorde'`);
  const otherXml = await get(`/open311/v2/requests/${id}.xml?jurisdiction_id=vilvoorde`);
  assert.equal(otherXml.status, 404);
  assert.match(otherXml.text, /<errors><error><code>404<\/code><description>service_request_id '\d+' was not found in jurisdiction_id 'vilvoorde'<\/description><\/error><\/errors>/);
  // An unknown jurisdiction: the standard's 404 "jurisdiction_id provided was not found", as
  // services and POST requests answer it.
  for (const p of [`/open311/v2/requests/${id}.json?jurisdiction_id=brussel`,
    '/open311/v2/requests.json?jurisdiction_id=brussel']) {
    const r = await get(p);
    assert.equal(r.status, 404, r.text);
    assert.equal(r.body[0].code, 404);
    assert.equal(r.body[0].description,
      "jurisdiction_id 'brussel' was not found; this endpoint serves 'halle-vilvoorde' and its municipalities (discovery lists them)");
  }
});

// ---- import and statistics per municipality ----

const HALLE_SOUTH = offset(HALLE_CENTRE, -1500, 0);
const BEERSEL_CENTRE = { lat: 50.7669, lon: 4.3006 };
const csv = (rows) => `id,time,category,lat,lon,address,duplicate,parent_id,closed_at\r\n${
  rows.map((r) => r.join(',')).join('\r\n')}\r\n`;
const summary = (out) => Object.fromEntries(out.trim().split('\n').map((l) => {
  const i = l.indexOf(': ');
  return [l.slice(0, i), l.slice(i + 2)];
}));
async function importRows(rows) {
  const file = path.join(server.dir, `import-${Date.now()}.csv`);
  await writeFile(file, csv(rows));
  const { stdout } = await meldpunt(['import', '--db', server.db, '--city', REGION_DIR, '--format', 'labelled', file]);
  return summary(stdout);
}

test('import: an external id is unique within its municipality, not across the region', async () => {
  // Reported on Friday 30 October 2026 at 08:00 (Brussels), fixed on Tuesday 3 November at 08:00.
  const at = ['2026-10-30T08:00:00', '2026-11-03T08:00:00'];
  const first = await importRows([
    ['X1', at[0], 'zwerfvuil', HALLE_SOUTH.lat, HALLE_SOUTH.lon, '', 'false', '', at[1]],
    ['X1', at[0], 'zwerfvuil', BEERSEL_CENTRE.lat, BEERSEL_CENTRE.lon, '', 'false', '', at[1]],
  ]);
  assert.equal(first.imported, '2', JSON.stringify(first));
  assert.equal(first['skipped already imported'], '0');
  const towns = dbQuery(server.db, "SELECT municipality FROM reports WHERE external_id = 'X1' ORDER BY municipality");
  assert.deepEqual(towns.split('\n'), ['beersel', 'halle']);
  // The same id again in Halle is a repeat; a new one in Halle is not.
  const again = await importRows([
    ['X1', at[0], 'zwerfvuil', HALLE_SOUTH.lat, HALLE_SOUTH.lon, '', 'false', '', at[1]],
    ['X2', '2026-11-16T08:00:00', 'sluikstort', HALLE_SOUTH.lat + 0.01, HALLE_SOUTH.lon, '', 'false', '', ''],
  ]);
  assert.equal(again.imported, '1', JSON.stringify(again));
  assert.equal(again['skipped already imported'], '1');
  assert.equal(dbQuery(server.db, "SELECT count(*) FROM reports WHERE external_id = 'X1'"), '2');
});

test('statistics: within N working days per municipality, each in its own calendar', async () => {
  // Halle keeps Monday 2 November 2026 (Allerzielen) as a day off, Beersel does not: the same
  // fix took Halle 1 working day (Friday 16 h, Tuesday 8 h) and Beersel 2.
  const range = 'from=2026-10-01&to=2026-11-30';
  const r = await api(base, 'GET', `/api/v1/stats?group_by=municipality&within_days=1&${range}`);
  assert.equal(r.status, 200, r.text);
  const g = Object.fromEntries(r.body.groups.map((x) => [x.key, x]));
  assert.deepEqual(Object.keys(g).sort(), ['beersel', 'halle']);
  assert.equal(g.halle.median_days_to_fix, 1);
  assert.equal(g.beersel.median_days_to_fix, 2);
  assert.deepEqual(g.beersel.within_days, { days: 1, fixed: 0, overdue_open: 0, share: 0 });
  // Halle's X2 is open since 16 November: past one working day, so it counts against the share.
  assert.deepEqual(g.halle.within_days, { days: 1, fixed: 1, overdue_open: 1, share: 0.5 });
  assert.deepEqual(r.body.total.within_days, { days: 1, fixed: 1, overdue_open: 1, share: 0.3333 });
  // Without within_days the answer is as it was.
  const plain = await api(base, 'GET', `/api/v1/stats?group_by=municipality&${range}`);
  assert.equal(plain.body.groups[0].within_days, undefined);
  // One municipality alone, and the comparison's bounds.
  const one = await api(base, 'GET', `/api/v1/stats?municipality=beersel&within_days=2&${range}`);
  assert.equal(one.status, 200, one.text);
  assert.deepEqual(one.body.total.within_days, { days: 2, fixed: 1, overdue_open: 0, share: 1 });
  for (const v of ['0', '366', 'ten', '']) {
    const bad = await api(base, 'GET', `/api/v1/stats?within_days=${v}`);
    assert.equal(bad.status, 400, v);
    assert.equal(bad.body.error.message, 'within_days must be a whole number of working days from 1 to 365');
  }
});

test("statistics: each report is held to its own municipality's service level", async () => {
  // Halle clears a sluikstort within 3 working days (its categories.json), the region (Beersel)
  // within 5. Both reported on Monday 1 June 2026 at 08:00, both fixed on Friday 5 June at 08:00:
  // 4 working days, late in Halle and in time in Beersel.
  const at = ['2026-06-01T08:00:00', '2026-06-05T08:00:00'];
  const out = await importRows([
    ['S1', at[0], 'sluikstort', HALLE_SOUTH.lat, HALLE_SOUTH.lon, '', 'false', '', at[1]],
    ['S2', at[0], 'sluikstort', BEERSEL_CENTRE.lat, BEERSEL_CENTRE.lon, '', 'false', '', at[1]],
  ]);
  assert.equal(out.imported, '2', JSON.stringify(out));
  const range = 'from=2026-05-01&to=2026-07-01&category=sluikstort';
  const r = await api(base, 'GET', `/api/v1/stats?group_by=municipality&${range}`);
  assert.equal(r.status, 200, r.text);
  const g = Object.fromEntries(r.body.groups.map((x) => [x.key, x]));
  assert.deepEqual(Object.keys(g).sort(), ['beersel', 'halle']);
  assert.equal(g.halle.median_days_to_fix, 4);
  assert.equal(g.halle.within_service_level, 0);
  assert.equal(g.beersel.median_days_to_fix, 4);
  assert.equal(g.beersel.within_service_level, 1);
  assert.equal(r.body.total.within_service_level, 1);
  // The same rule when one municipality is asked for, and by category.
  const one = await api(base, 'GET', `/api/v1/stats?municipality=halle&group_by=category&${range}`);
  assert.equal(one.status, 200, one.text);
  assert.equal(one.body.total.received, 1);
  assert.equal(one.body.total.within_service_level, 0);
});
