// OWSLib (Debian python3-owslib, run with Debian's /usr/bin/python3) against the OGC API
// (issue 17 point 1): landing page -> service-desc -> OpenAPI definition, conformance,
// collections, queryables, property filters, datetime, CRSs and single items, compared with
// what the server's own API says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, api, REGION_DIR } from '../api/lib.mjs';
import { run, PYTHON } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let srv;

before(async () => { srv = await startServer({ demo: true }); });
after(async () => { await srv.cleanup(); });

test('OWSLib reads the API definition, filters on the server and gets other CRSs', async () => {
  const r = await run(PYTHON, [path.join(here, 'owslib_check.py'), srv.url]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(r.stdout);
  for (const p of ['/', '/api', '/conformance', '/collections', '/collections/reports/items',
    '/collections/reports/queryables', '/collections/districts/items/{featureId}']) {
    assert.ok(out.paths.includes(p), p);
  }
  for (const c of ['ogcapi-features-1/1.0/conf/core', 'ogcapi-features-1/1.0/conf/oas30',
    'ogcapi-features-1/1.0/conf/html', 'ogcapi-features-2/1.0/conf/crs',
    'ogcapi-features-3/1.0/conf/queryables-query-parameters']) {
    assert.ok(out.conformsTo.includes(`http://www.opengis.net/spec/${c}`), c);
  }
  assert.deepEqual(out.collections, ['reports', 'clusters', 'districts']);
  assert.deepEqual(out.queryables, ['category', 'created_at', 'district', 'geometry', 'status', 'updated_at']);
  const count = async (q) => {
    const res = await api(srv.url, 'GET', `/api/v1/reports?${q}&limit=5000`);
    return res.body.features.length;
  };
  assert.equal(out.potholes_in_box, await count('bbox=-87.70,41.85,-87.60,41.95&category=pothole'));
  assert.ok(out.potholes_in_box > 0);
  assert.equal(out.new_since_jan2, await count('status=new&since=2021-01-02T00:00:00Z'));
  const all = (await api(srv.url, 'GET', '/api/v1/reports?limit=5000')).body.features.length;
  assert.equal(out.all_reports, all, 'one page of 10,000 holds them all');
  assert.equal(out.all_matched, all);
  assert.equal(out.item5, 5);
});

// A region pack (issue 21 point 5): OWSLib sees the municipality queryable with the members'
// ids and filters on it through the server.
const REGION_CHECK = `
import json, sys
from owslib.ogcapi.features import Features
w = Features(sys.argv[1] + '/ogc')
q = w.collection_queryables('reports')
out = {'enum': q['properties']['municipality']['enum']}
for town in ('halle', 'vilvoorde'):
    page = w.collection_items('reports', limit=100, municipality=town)
    out[town] = sorted(f['id'] for f in page['features'])
    out[town + '_matched'] = page['numberMatched']
print(json.dumps(out))
`;

test('OWSLib filters a region pack\'s reports by municipality', async () => {
  const region = await startServer({ city: REGION_DIR });
  try {
    const made = { halle: [], vilvoorde: [] };
    for (const [town, p] of [['halle', { lat: 50.7345, lon: 4.2370 }], ['halle', { lat: 50.7400, lon: 4.2370 }],
      ['vilvoorde', { lat: 50.9280, lon: 4.4250 }]]) {
      const r = await api(region.url, 'POST', '/api/v1/reports', { json: { category: 'zwerfvuil', ...p } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.municipality.id, town);
      made[town].push(r.body.report.id);
    }
    const r = await run(PYTHON, ['-c', REGION_CHECK, region.url]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const out = JSON.parse(r.stdout);
    assert.equal(out.enum.length, 35);
    assert.ok(out.enum.includes('halle'));
    assert.deepEqual(out.halle, made.halle);
    assert.equal(out.halle_matched, 2);
    assert.deepEqual(out.vilvoorde, made.vilvoorde);
    assert.equal(out.vilvoorde_matched, 1);
  } finally {
    await region.cleanup();
  }
});
