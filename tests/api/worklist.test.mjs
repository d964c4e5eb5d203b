// GET /api/v1/worklist: the open jobs of an area in driving order. The order is checked
// against brute force (every order) on small sets, the three areas (district, bbox, polygon)
// and the filters against the jobs that were made, the CSV against RFC 4180, the GPX for
// well-formed, escaped XML, and a 2,000-stop list for time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, api, meldpunt, LOOP, offset, CITY_DIR } from './lib.mjs';

let server;
let tok;

// Metres on a local plane (equirectangular around the set's mean latitude): independent of the
// server's PROJ transformation, and within 0.1% of it over a few kilometres.
function planar(points) {
  const lat0 = points.reduce((s, p) => s + p.lat, 0) / points.length;
  const k = Math.cos((lat0 * Math.PI) / 180) * 111320;
  return (p) => ({ x: p.lon * k, y: p.lat * 110574 });
}
const dist = (a, b) => Math.hypot(a.x - b.x, a.y - b.y);
function pathLength(start, pts) {
  let len = 0;
  let prev = start;
  for (const p of pts) {
    if (prev) len += dist(prev, p);
    prev = p;
  }
  return len;
}
function bruteForce(start, pts) {
  let best = Infinity;
  const used = new Array(pts.length).fill(false);
  const rec = (prev, depth, len) => {
    if (len >= best) return;
    if (depth === pts.length) { best = len; return; }
    for (let i = 0; i < pts.length; i++) {
      if (used[i]) continue;
      used[i] = true;
      rec(pts[i], depth + 1, len + (prev ? dist(prev, pts[i]) : 0));
      used[i] = false;
    }
  };
  rec(start, 0, 0);
  return best;
}

// A deterministic generator, so that a failing set can be replayed.
let seed = 12345;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };

async function report(category, p, extra = {}) {
  const r = await api(server.url, 'POST', '/api/v1/reports', {
    json: { category, lat: p.lat, lon: p.lon, ...extra },
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

function square(centre, halfM) {
  const sw = offset(centre, -halfM, -halfM);
  const ne = offset(centre, halfM, halfM);
  return {
    type: 'Polygon',
    coordinates: [[[sw.lon, sw.lat], [ne.lon, sw.lat], [ne.lon, ne.lat], [sw.lon, ne.lat], [sw.lon, sw.lat]]],
  };
}

async function worklist(query, token = tok.disp) {
  const r = await api(server.url, 'GET', `/api/v1/worklist?${query}`, { token });
  assert.equal(r.status, 200, `${query}: ${r.text}`);
  return r;
}

before(async () => {
  server = await startServer({ env: { MELDPUNT_RATE_WRITES: '0' } });
  tok = {
    disp: await server.user('dispatch', 'dispatcher'),
    streets: await server.user('streets-1', 'crew', 'streets'),
    lighting: await server.user('lighting-1', 'crew', 'lighting'),
  };
});

after(async () => {
  await server?.cleanup();
});

test('driving order within 10% of the optimum on sets of 9 stops (brute force)', async () => {
  const ratios = [];
  // Ten sets, each in its own 1.2 km square somewhere west of the Loop.
  for (let s = 0; s < 10; s++) {
    const centre = offset(LOOP, 1500 * (s % 5), -2500 - 1500 * Math.floor(s / 5));
    const pts = [];
    while (pts.length < 9) {
      const p = offset(centre, (rnd() - 0.5) * 1000, (rnd() - 0.5) * 1000);
      if (pts.every((q) => Math.hypot((q.lat - p.lat) * 111320, (q.lon - p.lon) * 83000) > 80)) pts.push(p);
    }
    for (const p of pts) await report('sidewalk_damage', p, { address: `${Math.round(rnd() * 5000)} W Test St` });
    const start = offset(centre, (rnd() - 0.5) * 1200, (rnd() - 0.5) * 1200);
    const within = encodeURIComponent(JSON.stringify(square(centre, 600)));
    const r = await worklist(`within=${within}&category=sidewalk_damage&start=${start.lon},${start.lat}`);
    const fc = r.body;
    assert.equal(fc.type, 'FeatureCollection');
    assert.equal(fc.count, 9);
    assert.deepEqual(fc.features.map((f) => f.properties.stop), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const proj = planar([...pts, start]);
    const route = fc.features.map((f) => proj({ lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] }));
    const mine = pathLength(proj(start), route);
    const best = bruteForce(proj(start), pts.map(proj));
    // The server's own figure agrees with the independent measure.
    assert.ok(Math.abs(fc.route_length_m - mine) / mine < 0.005, `${fc.route_length_m} vs ${mine}`);
    const legs = fc.features.reduce((sum, f) => sum + f.properties.leg_m, 0);
    assert.ok(Math.abs(legs - fc.route_length_m) < 1);
    assert.equal(fc.features.at(-1).properties.cumulative_m, Math.round(fc.route_length_m * 10) / 10);
    assert.deepEqual(fc.route.coordinates[0], [start.lon, start.lat].map((v) => Math.round(v * 1e7) / 1e7));
    assert.equal(fc.route.coordinates.length, 10);
    ratios.push(mine / best);
    assert.ok(mine / best <= 1.10, `set ${s}: ${mine.toFixed(0)} m vs optimal ${best.toFixed(0)} m`);
  }
  const worst = Math.max(...ratios);
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  console.log(`worklist 9 stops: ${ratios.filter((x) => x < 1.0005).length}/10 optimal, mean ${Math.max(0, (mean - 1) * 100).toFixed(2)}% over, worst ${Math.max(0, (worst - 1) * 100).toFixed(2)}% over`);
});

test('every stop carries what the crew needs', async () => {
  const centre = offset(LOOP, -3000, -6000);
  const a = await report('pothole', centre, { address: '1234 W Sample St' });
  const b = await report('pothole', offset(centre, 300, 0));
  await report('pothole', offset(centre, 300, 2)); // joins b: 2 reports
  const within = encodeURIComponent(JSON.stringify(square(centre, 500)));
  const fc = (await worklist(`within=${within}`, tok.streets)).body;
  assert.equal(fc.count, 2);
  assert.equal(fc.start, null);
  assert.equal(fc.department, 'streets');
  const byId = Object.fromEntries(fc.features.map((f) => [f.id, f.properties]));
  const pa = byId[a.cluster.id];
  assert.equal(pa.address, '1234 W Sample St');
  assert.equal(pa.report_count, 1);
  assert.equal(byId[b.cluster.id].report_count, 2);
  for (const p of Object.values(byId)) {
    assert.equal(typeof p.age_days, 'number');
    assert.ok(p.age_days >= 0 && p.age_days < 0.1);
    assert.ok([1, 2, 3].includes(p.priority));
    assert.equal(p.overdue, false);
    assert.match(p.due_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(p.department, 'streets');
    assert.deepEqual(p.actions, [], 'a crew cannot act on new jobs');
    assert.equal(p.category_name, 'Pothole in street');
  }
  assert.ok(pa.location === null || typeof pa.location === 'string');
});

test('area: district, bbox or a drawn polygon; department, category and status filters', async () => {
  // Two jobs in Hyde Park (district 41), a lighting job there, and one outside it.
  const hp = { lat: 41.7943, lon: -87.5907 };
  const j1 = (await report('graffiti', hp)).cluster.id;
  const j2 = (await report('graffiti', offset(hp, 400, -300))).cluster.id;
  const light = (await report('street_light_out', offset(hp, -200, -400))).cluster.id;
  const away = (await report('graffiti', offset(hp, 0, -4000))).cluster.id;
  const ids = (fc) => fc.features.map((f) => f.id).sort((x, y) => x - y);

  let fc = (await worklist('district=41&category=graffiti')).body;
  assert.deepEqual(ids(fc), [j1, j2].sort((x, y) => x - y));
  for (const f of fc.features) assert.equal(f.properties.district, '41');

  const bb = [offset(hp, -600, -600), offset(hp, 600, 600)];
  fc = (await worklist(`bbox=${bb[0].lon},${bb[0].lat},${bb[1].lon},${bb[1].lat}`)).body;
  assert.deepEqual(ids(fc), [j1, j2, light].sort((x, y) => x - y));

  // A quadrilateral that holds j1 and the light but not j2 (north-west of j1).
  const t = [offset(hp, 100, 100), offset(hp, -350, 100), offset(hp, -350, -550), offset(hp, -100, -550)];
  const tri = { type: 'Polygon', coordinates: [[...t, t[0]].map((p) => [p.lon, p.lat])] };
  fc = (await worklist(`within=${encodeURIComponent(JSON.stringify(tri))}`)).body;
  assert.deepEqual(ids(fc), [j1, light].sort((x, y) => x - y));
  const feature = { type: 'Feature', properties: {}, geometry: { type: 'MultiPolygon', coordinates: [tri.coordinates] } };
  fc = (await worklist(`within=${encodeURIComponent(JSON.stringify(feature))}`)).body;
  assert.deepEqual(ids(fc), [j1, light].sort((x, y) => x - y));

  fc = (await worklist('district=41&department=lighting')).body;
  assert.deepEqual(ids(fc), [light]);
  fc = (await worklist('district=41', tok.lighting)).body;
  assert.deepEqual(ids(fc), [light], 'a crew sees its own department');
  fc = (await worklist('district=41', tok.streets)).body;
  assert.deepEqual(ids(fc), []);

  // Fixed jobs leave the list; status narrows it.
  await api(server.url, 'POST', `/api/v1/clusters/${j2}/status`, { json: { status: 'acknowledged' }, token: tok.disp });
  fc = (await worklist('district=41&category=graffiti&status=acknowledged')).body;
  assert.deepEqual(ids(fc), [j2]);
  for (const s of ['in_progress', 'fixed']) {
    const r = await api(server.url, 'POST', `/api/v1/clusters/${j2}/status`, { json: { status: s }, token: tok.disp });
    assert.equal(r.status, 200, r.text);
  }
  fc = (await worklist('district=41&category=graffiti')).body;
  assert.deepEqual(ids(fc), [j1]);
  fc = (await worklist(`district=${encodeURIComponent('41')}&category=graffiti,street_light_out`)).body;
  assert.deepEqual(ids(fc), [j1, light].sort((x, y) => x - y));
  assert.equal(ids(fc).includes(away), false);
});

test('bad worklist requests get a clear 400', async () => {
  const square1 = encodeURIComponent(JSON.stringify(square(LOOP, 100)));
  const cases = [
    ['format=kml', /format/],
    ['start=abc', /start/],
    ['start=-87.6', /start/],
    ['start=-87.6,95', /start/],
    ['within=notjson', /within/],
    [`within=${encodeURIComponent('{"type":"Point","coordinates":[0,0]}')}`, /within/],
    [`district=32&within=${square1}`, /one area/],
    ['district=32&bbox=-87.7,41.8,-87.6,41.9', /one area/],
    ['bbox=1,2,3', /bbox/],
    ['district=99', /district/],
    ['status=fixed', /open jobs only/],
    ['status=bogus', /status/],
    ['category=nope', /category/],
    ['department=Not%20A%20Code', /department/],
    ['colour=red', /colour/],
  ];
  for (const [q, re] of cases) {
    const r = await api(server.url, 'GET', `/api/v1/worklist?${q}`, { token: tok.disp });
    assert.equal(r.status, 400, `${q}: ${r.text}`);
    assert.match(r.body.error.message, re, q);
  }
});

// RFC 4180: fields separated by commas, records by CRLF, quotes doubled inside quoted fields.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"' && field === '') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 2; continue; }
    assert.notEqual(c, '\n', 'a bare LF ends no record in RFC 4180');
    field += c; i++;
  }
  assert.equal(field, '', 'the last record ends with CRLF');
  return rows;
}

// Well-formedness without a library: balanced tags, quoted attributes, known entities only.
function checkXml(text) {
  assert.ok(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>'));
  const stack = [];
  const re = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|<\?[^>]*\?>|([^<]+)/gy;
  let m;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    m = re.exec(text);
    assert.ok(m, `not well-formed near ${JSON.stringify(text.slice(pos, pos + 60))}`);
    pos = re.lastIndex;
    if (m[5] !== undefined) {
      for (const ent of m[5].matchAll(/&([^;]*);?/g)) assert.match(ent[0], /^&(amp|lt|gt|quot|apos);$/);
      continue;
    }
    if (!m[2]) continue;
    if (m[1]) assert.equal(stack.pop(), m[2]);
    else if (!m[4]) stack.push(m[2]);
  }
  assert.deepEqual(stack, []);
}

test('CSV opens in a spreadsheet and GPX loads in a navigation app, in the same order', async () => {
  const centre = offset(LOOP, -6000, -9000);
  const tricky = ['1 "Quoted" Ave, rear', '=HYPERLINK("http://x")', 'Fish & Chips <corner>'];
  for (let i = 0; i < 3; i++) await report('alley_pothole', offset(centre, i * 300, i * 200), { address: tricky[i] });
  const within = encodeURIComponent(JSON.stringify(square(centre, 800)));
  const q = `within=${within}&category=alley_pothole&start=${centre.lon},${centre.lat}`;
  const geo = (await worklist(q)).body;
  assert.equal(geo.count, 3);
  const order = geo.features.map((f) => String(f.id));

  const csv = await worklist(`${q}&format=csv`);
  assert.match(csv.headers.get('content-type'), /^text\/csv/);
  assert.match(csv.headers.get('content-disposition'), /attachment; filename="worklist.csv"/);
  const rows = parseCsv(csv.text);
  assert.deepEqual(rows[0].slice(0, 6), ['stop', 'cluster_id', 'category', 'category_name', 'status', 'priority']);
  assert.equal(rows.length, 4);
  const col = (name) => rows[0].indexOf(name);
  assert.deepEqual(rows.slice(1).map((r) => r[col('cluster_id')]), order);
  assert.deepEqual(rows.slice(1).map((r) => r[col('stop')]), ['1', '2', '3']);
  const addresses = rows.slice(1).map((r) => r[col('address')]).sort();
  assert.deepEqual(addresses, ["'=HYPERLINK(\"http://x\")", '1 "Quoted" Ave, rear', 'Fish & Chips <corner>'].sort(),
    'quotes and commas survive; a formula is neutralised');
  assert.equal(rows.at(-1)[col('cumulative_m')], String(geo.features.at(-1).properties.cumulative_m));
  for (const r of rows.slice(1)) {
    assert.equal(r.length, rows[0].length);
    assert.match(r[col('lat')], /^41\.\d+$/);
    assert.match(r[col('overdue')], /^(true|false)$/);
  }

  const gpx = await worklist(`${q}&format=gpx`);
  assert.equal(gpx.headers.get('content-type'), 'application/gpx+xml');
  checkXml(gpx.text);
  assert.match(gpx.text, /<gpx version="1\.1" creator="meldpunt" xmlns="http:\/\/www\.topografix\.com\/GPX\/1\/1">/);
  const wpts = [...gpx.text.matchAll(/<wpt lat="([-\d.]+)" lon="([-\d.]+)"><name>(\d+)\. /g)];
  const rtepts = [...gpx.text.matchAll(/<rtept lat="([-\d.]+)" lon="([-\d.]+)"><name>(\d+)\. /g)];
  assert.deepEqual(wpts.map((m) => m[3]), ['1', '2', '3']);
  assert.deepEqual(rtepts.map((m) => [m[1], m[2]]), wpts.map((m) => [m[1], m[2]]));
  assert.deepEqual(wpts.map((m) => [Number(m[2]), Number(m[1])]), geo.features.map((f) => f.geometry.coordinates));
  assert.ok(gpx.text.includes('Fish &amp; Chips &lt;corner&gt;'));
  assert.ok(gpx.text.includes('1 &quot;Quoted&quot; Ave, rear'));
  // The order inside the file: metadata, waypoints, then the route.
  assert.ok(gpx.text.indexOf('<metadata>') < gpx.text.indexOf('<wpt') && gpx.text.lastIndexOf('</wpt>') < gpx.text.indexOf('<rte>'));
  const lint = await new Promise((resolve) => {
    const child = execFile('xmllint', ['--noout', '-'], (err) => resolve(err ? (err.code === 'ENOENT' ? 'absent' : 'bad') : 'ok'));
    child.stdin?.end(gpx.text);
  });
  // xmllint (libxml2-utils, scripts/setup.sh test) is a prerequisite: absent is a failure.
  assert.equal(lint, 'ok', lint === 'absent' ? 'xmllint is not installed (libxml2-utils)' : 'xmllint rejects the GPX');
});

test('2,000 stops: order and time', { timeout: 600000 }, async () => {
  // A separate database with 2,000 pothole clusters on a jittered 300 m grid, imported
  // through the same validation and clustering path as live reports.
  const big = await startServer();
  try {
    const lines = ['sr_number,sr_type,sr_short_code,status,origin,created_date,closed_date,street_address,duplicate,parent_sr_number,community_area,latitude,longitude'];
    let n = 0;
    // South-west side: inland, well inside the city limits.
    for (let i = 0; i < 50 && n < 2000; i++) {
      for (let j = 0; j < 40 && n < 2000; j++) {
        const p = offset({ lat: 41.742, lon: -87.725 }, i * 240 + (rnd() - 0.5) * 60, j * 240 + (rnd() - 0.5) * 60);
        lines.push(`SR99-${String(n).padStart(8, '0')},Pothole in Street Complaint,PHF,Open,Internet,2021-01-04T08:00:00.000,,${100 + n} W GRID ST,False,,,${p.lat.toFixed(7)},${p.lon.toFixed(7)}`);
        n++;
      }
    }
    const csvPath = path.join(big.dir, 'grid.csv');
    await writeFile(csvPath, `${lines.join('\r\n')}\r\n`);
    await meldpunt(['import', '--db', big.db, '--city', CITY_DIR, '--format', 'chicago311', csvPath]);
    const token = await big.user('big-crew', 'crew', 'streets');
    const clusters = (await api(big.url, 'GET', '/healthz')).body.clusters;
    const t0 = performance.now();
    const r = await api(big.url, 'GET', '/api/v1/worklist?start=-87.70,41.80', { token });
    const ms = performance.now() - t0;
    assert.equal(r.status, 200, r.text);
    const fc = r.body;
    assert.equal(fc.count, clusters, 'every imported job is on the list');
    assert.ok(fc.count >= 1950 && fc.count <= 2000, `count ${fc.count}`);
    assert.deepEqual(fc.features.map((f) => f.properties.stop), fc.features.map((_, i) => i + 1));
    assert.equal(new Set(fc.features.map((f) => f.id)).size, fc.count);
    // On a 240 m grid the best possible path is about count x 240 m.
    const perStop = fc.route_length_m / fc.count;
    assert.ok(perStop < 275, `${perStop.toFixed(1)} m per stop`);
    for (const f of fc.features) assert.equal(f.properties.overdue, true, 'January 2021 is long past due');
    console.log(`worklist 2000 stops: ${fc.count} stops, ${(fc.route_length_m / 1000).toFixed(1)} km (${perStop.toFixed(1)} m/stop), ${ms.toFixed(0)} ms over HTTP (this build)`);
    // Generous for a sanitizer build on a busy machine; bench/worklist.sh measures a release build.
    assert.ok(ms < 5000, `${ms} ms`);
  } finally {
    await big.cleanup();
  }
});
