// `meldpunt import --format labelled` (README "labelled" format, server/import.c) on a small
// hand-made file: which rows become reports and which are skipped (each reason counted),
// the stored fields (external id, category by code or by a mapped source name, local and
// zoned times, address with a comma), duplicate folding in time order (not file order) by the
// point and the street rule, the city's duplicate links scored, a re-import that adds
// nothing, eval-duplicates on the same file, and the errors that refuse a whole file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { meldpunt, CITY_DIR, LOOP, offset7 } from './lib.mjs';

const FULLERTON_KEDZIE = { lon: -87.70722, lat: 41.92472 }; // W FULLERTON AVE x N KEDZIE BLVD
const east = (p, m) => offset7(p, 0, m);
const north = (p, m) => offset7(p, m, 0);

// Chicago is on CST (UTC-6) on 1 March 2021: local 09:00 is 15:00Z.
const T = (hhmm) => Date.parse(`2021-03-01T${hhmm}:00Z`) / 1000;
const row = (id, time, category, p, address, duplicate, parent) =>
  [id, time, category, p ? p.lat : '', p ? p.lon : '', address, duplicate, parent];
const csvField = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

const GOOD = {
  // File order is not time order: L2 comes first but happened an hour after L1.
  L2: row('L2', '2021-03-01T10:00:00', 'graffiti', east(LOOP, 10), '', 'true', 'L1'),
  L1: row('L1', '2021-03-01T09:00:00', 'graffiti', LOOP, '1 W Madison St, rear', 'false', ''),
  // A Chicago source name that the pack maps to graffiti; a time with its own zone.
  L3: row('L3', '2021-03-01T21:00:00Z', 'Graffiti Removal Request', north(LOOP, 500), '', 'False', ''),
  // Street rule (pothole: 15 m across, 100 m along): 90 m along W Fullerton Ave joins.
  L4: row('L4', '2021-03-01T12:00:00', 'pothole', east(FULLERTON_KEDZIE, 40), '3200 W Fullerton Ave', '0', ''),
  L5: row('L5', '2021-03-01T12:30:00', 'pothole', east(FULLERTON_KEDZIE, 130), '', '1', 'L4'),
  // Marked duplicate of a report outside the file: counted as labelled, not as a pair.
  L6: row('L6', '2021-03-01T13:00:00', 'street_light_out', north(LOOP, -700), '', 'TRUE', 'X-elsewhere'),
};
const BAD = [
  row('B1', '2021-03-01T09:00:00', 'unicorn_sighting', LOOP, '', 'false', ''), // unmapped type
  row('B2', '2021-03-01T09:00:00', 'graffiti', null, '', 'false', ''), // no coordinates
  ['B3', '2021-03-01T09:00:00', 'graffiti', 'north', '-87.6', '', 'false', ''], // coordinates not numbers
  row('B4', 'yesterday', 'graffiti', LOOP, '', 'false', ''), // bad time
  row('', '2021-03-01T09:00:00', 'graffiti', LOOP, '', 'false', ''), // no id
  row('B6', '2021-03-01T09:00:00', 'graffiti', { lat: 40.0, lon: -87.6 }, '', 'false', ''), // outside the city
];
const HEADER = ['id', 'time', 'category', 'lat', 'lon', 'address', 'duplicate', 'parent_id'];
const toCsv = (rows, header = HEADER) => `${[header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;

let dir;
let db;
let file;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-labelled-'));
  db = path.join(dir, 'labelled.sqlite');
  file = path.join(dir, 'labelled.csv');
  const rows = [GOOD.L2, BAD[0], GOOD.L1, BAD[1], GOOD.L3, BAD[2], GOOD.L4, BAD[3], GOOD.L5, BAD[4], GOOD.L6, BAD[5]];
  await writeFile(file, toCsv(rows));
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

const importFile = (f, format = 'labelled') => meldpunt(['import', '--db', db, '--city', CITY_DIR, '--format', format, f]);
const summary = (out) => Object.fromEntries(out.trim().split('\n').map((l) => {
  const i = l.indexOf(': ');
  return [l.slice(0, i), l.slice(i + 2)];
}));
const sql = (q) => execFileSync('sqlite3', ['-separator', '|', db, q], { encoding: 'utf8' }).trim();

test('a labelled file: rows, skips by reason, stored fields, folding in time order', async () => {
  const s = summary((await importFile(file)).stdout);
  assert.equal(s.rows, '12');
  assert.equal(s.imported, '6');
  assert.equal(s['joined existing cluster'], '2');
  assert.equal(s['skipped unmapped type'], '1');
  assert.equal(s['skipped without coordinates'], '2');
  assert.equal(s['skipped invalid'], '2');
  assert.equal(s['skipped outside service area'], '1');
  assert.equal(s['skipped information-only'], '0');
  assert.equal(s['skipped already imported'], '0');
  assert.equal(s['status changes replayed'], '0');
  assert.equal(s['city duplicate pairs'], '2', 'L2 -> L1 and L5 -> L4; L6 points outside the file');
  assert.equal(s["pairs in parent's cluster"], '2');

  const stored = Object.fromEntries(sql(`SELECT external_id, category, created_at, IFNULL(address, '-'), channel,
    cluster_id, printf('%.7f %.7f', lat, lon) FROM reports ORDER BY id`).split('\n').map((l) => {
    const [id, category, created, address, channel, cluster, latlon] = l.split('|');
    return [id, { category, created: Number(created), address, channel, cluster, latlon }];
  }));
  assert.deepEqual(Object.keys(stored).sort(), ['L1', 'L2', 'L3', 'L4', 'L5', 'L6']);
  // Replayed in time order: L1 got the first id although L2 came first in the file.
  assert.equal(sql("SELECT external_id FROM reports ORDER BY id LIMIT 1"), 'L1');
  assert.equal(stored.L1.created, T('15:00'), 'local 09:00 CST');
  assert.equal(stored.L2.created, T('16:00'));
  assert.equal(stored.L3.created, T('21:00'), 'a time with a zone is taken as it is');
  assert.equal(stored.L3.category, 'graffiti', 'a mapped source name');
  assert.equal(stored.L6.category, 'street_light_out');
  assert.equal(stored.L1.address, '1 W Madison St, rear');
  assert.equal(stored.L2.address, '-');
  assert.equal(stored.L1.latlon, `${LOOP.lat.toFixed(7)} ${LOOP.lon.toFixed(7)}`);
  for (const r of Object.values(stored)) assert.equal(r.channel, 'counter', 'no origin column: staff entry');
  // Folding: L2 with L1 (point rule), L5 with L4 (along the street), the rest alone.
  assert.equal(stored.L2.cluster, stored.L1.cluster);
  assert.equal(stored.L5.cluster, stored.L4.cluster);
  assert.equal(new Set(Object.values(stored).map((r) => r.cluster)).size, 4);
  assert.equal(sql(`SELECT json_extract(join_reason, '$.rule') || ' ' || json_extract(join_reason, '$.street_match')
    FROM reports WHERE external_id = 'L5'`), 'address 1', 'potholes follow the address rule (no numbers here: as the street rule)');
  assert.equal(sql(`SELECT report_count FROM clusters WHERE id = ${stored.L1.cluster}`), '2');
  assert.equal(sql('SELECT count(*) FROM clusters'), '4');
});

test('re-importing the same file adds nothing', async () => {
  const before = sql('SELECT group_concat(id || cluster_id) FROM reports');
  const s = summary((await importFile(file)).stdout);
  assert.equal(s.rows, '12');
  assert.equal(s.imported, '0');
  assert.equal(s['skipped already imported'], '6');
  assert.equal(s['joined existing cluster'], '0');
  assert.equal(sql('SELECT group_concat(id || cluster_id) FROM reports'), before);
  // A file with one new row adds just that one, folded into the existing job.
  const more = path.join(dir, 'more.csv');
  await writeFile(more, toCsv([GOOD.L1, row('L7', '2021-03-01T18:00:00', 'graffiti', east(LOOP, 5), '', 'true', 'L1')]));
  const s2 = summary((await importFile(more)).stdout);
  assert.equal(s2.imported, '1');
  assert.equal(s2['skipped already imported'], '1');
  assert.equal(s2['joined existing cluster'], '1');
  assert.equal(sql("SELECT count(DISTINCT cluster_id) FROM reports WHERE external_id IN ('L1', 'L2', 'L7')"), '1');
});

test('eval-duplicates scores the same file', async () => {
  const { stdout } = await meldpunt(['eval-duplicates', '--city', CITY_DIR, '--format', 'labelled', file]);
  const [head, line] = stdout.trim().split('\n');
  assert.match(head, /^rule\s+reports\s+joined\s+labeled\s+precision\s+recall\s+F1/);
  // 6 reports; 2 joined, both marked duplicates; 3 marked (L6's parent is elsewhere).
  assert.match(line, /^meldpunt \(city pack rules\)\s+6\s+2\s+3\s+1\.000\s+0\.667\s+0\.800\s/);
  assert.match(line, /\s2\/2\s*$/, 'both links inside the file end in the parent\'s cluster');
});

test('a file that cannot be read as labelled is refused whole, saying why', async () => {
  const refused = async (name, content, message, format = 'labelled') => {
    const f = path.join(dir, name);
    await writeFile(f, content);
    const err = await importFile(f, format).then(() => null, (e) => e);
    assert.ok(err, `${name} was accepted`);
    assert.equal(err.code, 1, `${name}: exit status`);
    assert.equal(err.stderr.trim(), `meldpunt import: ${message}`);
  };
  const count = sql('SELECT count(*) FROM reports');
  await refused('nolat.csv', toCsv([['N1', '2021-03-01T09:00:00', 'graffiti', '-87.6', '', 'false', '']],
    ['id', 'time', 'category', 'lon', 'address', 'duplicate', 'parent_id']), 'column lat is missing');
  await refused('noid.csv', toCsv([['2021-03-01T09:00:00', 'graffiti', '41.88', '-87.63', 'false']],
    ['time', 'category', 'lat', 'lon', 'duplicate']), 'column id is missing');
  await refused('empty.csv', '', 'the file is empty');
  await refused('chicago.csv', toCsv([GOOD.L1]), 'column sr_number is missing', 'chicago311');
  await refused('format.csv', toCsv([GOOD.L1]), "unknown import format 'tsv' (chicago311 or labelled)", 'tsv');
  // Address and parent_id are optional columns.
  const minimal = path.join(dir, 'minimal.csv');
  await writeFile(minimal, toCsv([['M1', '2021-03-02T09:00:00', 'graffiti', 41.9, -87.65, 'false']],
    ['id', 'time', 'category', 'lat', 'lon', 'duplicate']));
  assert.equal(summary((await importFile(minimal)).stdout).imported, '1');
  assert.equal(sql('SELECT count(*) FROM reports'), String(Number(count) + 1));
});
