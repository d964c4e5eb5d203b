// The Halle-Vilvoorde region pack over HTTP (issue 21 points 1-3 and the public part of 5):
// the pin picks the municipality (real borders from geodata/halle-vilvoorde), duplicates never
// fold across a border but a neighbour's open job is named in the answer and in both jobs'
// history, a pin outside every member is refused with the nearest ones, each member keeps its
// own rules, and the public faces: /m/{slug}, config and layers per municipality, Open311
// jurisdictions, statistics per municipality.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, offset, dbQuery, REGION_DIR } from './lib.mjs';

let server;
let base;
let staff;
let client;

// 10 m either side of the middle of the longest edge Halle and Beersel share
// (districts.geojson, offset along its normal; tests/unit/test_region.c checks the sides).
const HALLE_BY_BEERSEL = { lat: 50.733304, lon: 4.282102 };
const BEERSEL_BY_HALLE = { lat: 50.733313, lon: 4.282385 };
const HALLE_CENTRE = { lat: 50.7345, lon: 4.2370 };
const ASSE_CENTRE = { lat: 50.9103, lon: 4.1985 };
const VILVOORDE_CENTRE = { lat: 50.9280, lon: 4.4250 };
const GROTE_MARKT_BRUSSEL = { lat: 50.8467, lon: 4.3525 };

const report = (category, p, extra = {}) =>
  api(base, 'POST', '/api/v1/reports', { json: { category, lat: p.lat, lon: p.lon, ...extra } });

before(async () => {
  server = await startServer({ city: REGION_DIR });
  base = server.url;
  staff = await server.user('dispatcher-hv', 'dispatcher', undefined, 'region');
  client = await server.user('fixmystreet-hv', 'client', undefined, 'region');
});

after(async () => {
  if (server) await server.cleanup();
});

test('the pin decides the municipality; a border report names the neighbour and its open job', async () => {
  const b = await report('sluikstort', BEERSEL_BY_HALLE);
  assert.equal(b.status, 201, b.text);
  assert.deepEqual(b.body.municipality, { id: 'beersel', name: 'Beersel' });
  assert.deepEqual(b.body.report.district, { code: '23003', name: 'Beersel' });
  assert.equal(b.body.neighbours.length, 1);
  assert.equal(b.body.neighbours[0].id, 'halle');
  assert.ok(Math.abs(b.body.neighbours[0].distance_m - 10) < 1.5, b.text);
  assert.equal(b.body.neighbour_job, null);

  // 20 m away, same category, within its radius: Halle's own job, not Beersel's.
  const h = await report('sluikstort', HALLE_BY_BEERSEL);
  assert.equal(h.status, 201, h.text);
  assert.deepEqual(h.body.municipality, { id: 'halle', name: 'Halle' });
  assert.equal(h.body.joined, false);
  assert.notEqual(h.body.cluster.id, b.body.cluster.id);
  assert.equal(h.body.neighbour_job.cluster_id, b.body.cluster.id);
  assert.equal(h.body.neighbour_job.municipality, 'beersel');
  assert.ok(Math.abs(h.body.neighbour_job.distance_m - 20) < 2, h.text);
  // The store keys both by the member the pin went to (its slug), never the region's id: the
  // duplicate look-up's (municipality, category, cell) kept them apart.
  for (const [r, town] of [[b, 'beersel'], [h, 'halle']]) {
    assert.equal(dbQuery(server.db, `SELECT municipality FROM reports WHERE id = ${r.body.report.id}`), town);
    assert.equal(dbQuery(server.db, `SELECT municipality FROM clusters WHERE id = ${r.body.cluster.id}`), town);
  }

  // Both desks see it in the job's history (a staff note, not public).
  for (const [own, other, town] of [[h.body.cluster.id, b.body.cluster.id, 'Beersel'],
    [b.body.cluster.id, h.body.cluster.id, 'Halle']]) {
    const s = await api(base, 'GET', `/api/v1/staff/clusters/${own}`, { token: staff });
    assert.equal(s.status, 200, s.text);
    assert.match(s.text, new RegExp(`neighbour: job ${other} of ${town} is 2\\d m away \\(sluikstort\\)`));
    const pub = await api(base, 'GET', `/api/v1/clusters/${own}`);
    assert.equal(pub.status, 200);
    assert.doesNotMatch(pub.text, /neighbour: job/);
  }

  // The duplicate hint works as the insert: Halle's rule, Halle's jobs only.
  const q = (p, category = 'sluikstort') =>
    api(base, 'GET', `/api/v1/nearby?category=${category}&lat=${p.lat}&lon=${p.lon}`);
  const hint = await q(HALLE_BY_BEERSEL);
  assert.equal(hint.status, 200, hint.text);
  assert.equal(hint.body.radius_m, 30);
  assert.ok(!hint.body.clusters.some((c) => c.id === b.body.cluster.id), hint.text);
  assert.equal(hint.body.would_join, h.body.cluster.id);
  const there = await q(BEERSEL_BY_HALLE);
  assert.equal(there.body.radius_m, 40);
  assert.equal(there.body.would_join, b.body.cluster.id);
  assert.ok(!there.body.clusters.some((c) => c.id === h.body.cluster.id), there.text);
  const police = await q(VILVOORDE_CENTRE, 'te_snel_verkeer');
  assert.equal(police.status, 400);
  assert.equal(police.body.error.message,
    'Vilvoorde does not take this category; GET /api/v1/categories?municipality=vilvoorde lists its own');

  // A citizen who says "same as" the neighbour's job is told there is no such job here.
  const same = await report('sluikstort', HALLE_BY_BEERSEL, { same_as: b.body.cluster.id });
  assert.equal(same.status, 400, same.text);
  assert.equal(same.body.error.code, 'unknown_cluster');

  // Away from the border: no neighbours.
  const c = await report('zwerfvuil', HALLE_CENTRE);
  assert.equal(c.status, 201, c.text);
  assert.deepEqual(c.body.neighbours, []);
});

test('a pin outside every municipality is refused with the nearest ones', async () => {
  const r = await report('sluikstort', GROTE_MARKT_BRUSSEL);
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.error.code, 'out_of_area');
  assert.match(r.body.error.message,
    /^the point 50\.84670,4\.35250 is outside every municipality of Halle-Vilvoorde; nearest: [A-Z][a-z-]+ \d+\.\d km, [A-Z][a-z-]+ \d+\.\d km, [A-Z][a-z-]+ \d+\.\d km$/);
  // Nothing was stored.
  const list = await api(base, 'GET', '/api/v1/reports?bbox=4.34,50.84,4.36,50.85');
  assert.equal(list.status, 200);
  assert.equal(list.body.features.length, 0);
});

test('each municipality keeps its own rules and categories', async () => {
  // sluikstort: radius 40 m in the region, 30 m in Halle.
  for (const [town, p, joined] of [['halle', HALLE_CENTRE, false], ['asse', ASSE_CENTRE, true]]) {
    const a = await report('sluikstort', offset(p, 300, 0));
    assert.equal(a.status, 201, a.text);
    assert.equal(a.body.municipality.id, town);
    const b = await report('sluikstort', offset(p, 335, 0));
    assert.equal(b.status, 201, b.text);
    assert.equal(b.body.joined, joined, `${town}: ${b.text}`);
  }
  // Vilvoorde leaves speeding to the police zone; Asse takes it.
  const v = await report('te_snel_verkeer', VILVOORDE_CENTRE);
  assert.equal(v.status, 400, v.text);
  assert.equal(v.body.error.code, 'unknown_category');
  const a = await report('te_snel_verkeer', ASSE_CENTRE);
  assert.equal(a.status, 201, a.text);
});

test('one map for the region and one per municipality', async () => {
  const whole = await api(base, 'GET', '/api/v1/config');
  assert.equal(whole.status, 200);
  assert.equal(whole.body.city.id, 'halle-vilvoorde');
  assert.equal(whole.body.municipalities.length, 35);
  assert.deepEqual(whole.body.municipalities.find((m) => m.id === 'halle'),
    { id: 'halle', name: 'Halle', bbox: [4.150651, 50.691467, 4.31596, 50.773946] });
  const halle = await api(base, 'GET', '/api/v1/config?municipality=halle');
  assert.equal(halle.status, 200);
  assert.equal(halle.body.city.name, 'Halle');
  assert.deepEqual(halle.body.city.bbox, [4.150651, 50.691467, 4.31596, 50.773946]);
  assert.deepEqual(halle.body.region, { id: 'halle-vilvoorde', name: 'Halle-Vilvoorde' });
  assert.equal(halle.body.municipalities, undefined);
  const cats = await api(base, 'GET', '/api/v1/categories?municipality=vilvoorde');
  assert.equal(cats.status, 200);
  assert.equal(cats.body.categories.length, 9);
  assert.ok(!cats.body.categories.some((c) => c.code === 'te_snel_verkeer'));
  assert.equal((await api(base, 'GET', '/api/v1/categories')).body.categories.length, 10);
  const hs = (await api(base, 'GET', '/api/v1/categories?municipality=halle')).body.categories;
  assert.equal(hs.find((c) => c.code === 'sluikstort').radius_m, 30);
  const area = await api(base, 'GET', '/api/v1/service-area?municipality=zemst');
  assert.equal(area.status, 200);
  assert.equal(area.body.features[0].properties.name, 'Zemst');
  const unknown = await api(base, 'GET', '/api/v1/config?municipality=brussel');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'unknown_municipality');
  assert.equal(unknown.body.error.message,
    "no municipality 'brussel' in Halle-Vilvoorde; GET /api/v1/config lists them");
  const page = await api(base, 'GET', '/m/halle', { headers: { Accept: 'text/html' } });
  assert.equal(page.status, 200);
  assert.match(page.text, /<title>meldpunt<\/title>/);
  const none = await api(base, 'GET', '/m/brussel', { headers: { Accept: 'text/html' } });
  assert.equal(none.status, 404);
});

test('Open311: one jurisdiction per municipality', async () => {
  const d = await api(base, 'GET', '/open311/v2/discovery.json');
  assert.equal(d.status, 200);
  assert.equal(d.body.jurisdictions.length, 35);
  assert.deepEqual(d.body.jurisdictions[0], { jurisdiction_id: 'affligem', name: 'Affligem' });
  const x = await api(base, 'GET', '/open311/v2/discovery.xml');
  assert.match(x.text, /<jurisdictions><jurisdiction><jurisdiction_id>affligem<\/jurisdiction_id><name>Affligem<\/name><\/jurisdiction>/);
  const v = await api(base, 'GET', '/open311/v2/services.json?jurisdiction_id=vilvoorde');
  assert.equal(v.status, 200);
  assert.equal(v.body.length, 9);
  const all = await api(base, 'GET', '/open311/v2/services.json?jurisdiction_id=halle-vilvoorde');
  assert.equal(all.body.length, 10);
  const bad = await api(base, 'GET', '/open311/v2/services.json?jurisdiction_id=brussel');
  assert.equal(bad.status, 404);
  assert.match(bad.text, /jurisdiction_id 'brussel' was not found; this endpoint serves 'halle-vilvoorde' and its municipalities/);
  const post = (fields) => api(base, 'POST', '/open311/v2/requests.json',
    { form: new URLSearchParams({ api_key: client, service_code: 'zwerfvuil', ...fields }) });
  const wrong = await post({ jurisdiction_id: 'halle', lat: '50.733313', long: '4.282385' });
  assert.equal(wrong.status, 400, wrong.text);
  assert.match(wrong.text, /the point lies in Beersel, not in jurisdiction_id 'halle'/);
  const ok = await post({ jurisdiction_id: 'beersel', lat: '50.733313', long: '4.282385' });
  assert.equal(ok.status, 200, ok.text);
});

test('statistics per municipality and across the region', async () => {
  // A fixed range: the default one ends at "now", which moves between the two requests.
  const range = 'from=2020-01-01&to=2030-01-01';
  const by = await api(base, 'GET', `/api/v1/stats?group_by=municipality&${range}`);
  assert.equal(by.status, 200, by.text);
  assert.equal(by.body.group_by, 'municipality');
  const keys = by.body.groups.map((g) => g.key);
  assert.ok(keys.includes('halle') && keys.includes('beersel') && keys.includes('asse'), keys.join());
  const halle = by.body.groups.find((g) => g.key === 'halle');
  assert.equal(halle.name, 'Halle');
  const one = await api(base, 'GET', `/api/v1/stats?municipality=halle&${range}`);
  assert.equal(one.status, 200);
  assert.equal(one.body.municipality, 'halle');
  assert.equal(one.body.total.received, halle.received);
  const sum = by.body.groups.reduce((n, g) => n + g.received, 0);
  assert.equal(sum, by.body.total.received);
  const bad = await api(base, 'GET', '/api/v1/stats?municipality=brussel');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.message, "unknown municipality 'brussel'; GET /api/v1/config lists them");
});
