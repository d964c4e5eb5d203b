// Tenants that stay apart (issue 21 point 4), on the Halle-Vilvoorde region pack: accounts
// belong to municipalities or to the whole region (the command line), the principal carries
// them (GET /api/v1/me), and every staff read and write is limited to them: an object of
// another municipality answers as a missing one (404), a list holds only one's own, an
// explicit municipality= outside them is refused (403), configuration without a municipality
// is for region-wide accounts only. tests/api/tenancy_walk.test.mjs walks every route.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, meldpunt, dbQuery, REGION_DIR } from './lib.mjs';

let server;
let base;
const tok = {};
const cli = (...args) => meldpunt(['user', ...args, '--db', server.db, '--city', REGION_DIR]);

const HALLE = { lat: 50.7345, lon: 4.2370 };
const VILVOORDE = { lat: 50.9280, lon: 4.4250 };

before(async () => {
  server = await startServer({ city: REGION_DIR });
  base = server.url;
  tok.halle = await server.user('disp-halle', 'dispatcher', undefined, 'halle');
  tok.vilvoorde = await server.user('disp-vilvoorde', 'dispatcher', undefined, 'vilvoorde');
  tok.both = await server.user('disp-both', 'dispatcher', undefined, 'vilvoorde,halle');
  tok.region = await server.user('disp-region', 'dispatcher', undefined, 'region');
});

after(async () => {
  if (server) await server.cleanup();
});

test('user add in a region pack needs --municipality or --region; unknown ids are refused', async () => {
  await assert.rejects(cli('add', 'nobody', '--role', 'dispatcher'),
    (e) => /this region has 35 municipalities: give --municipality a\[,b\.\.\.\] or --region/.test(e.stderr));
  await assert.rejects(cli('add', 'nobody', '--role', 'dispatcher', '--municipality', 'halle,gent'),
    (e) => /no municipality 'gent' in this region; members: .*halle/.test(e.stderr) &&
      /the municipalities of this region: .*vilvoorde/.test(e.stderr));
  await assert.rejects(cli('add', 'nobody', '--role', 'dispatcher', '--municipality', 'halle', '--region'),
    (e) => /not both/.test(e.stderr));
  const { stdout } = await cli('list');
  assert.equal(stdout.includes('nobody'), false, 'a refused account is not created');
  assert.match(stdout, /disp-both\s+dispatcher\s+-\s+active\s+halle,vilvoorde\n/);
  assert.match(stdout, /disp-halle\s+dispatcher\s+-\s+active\s+halle\n/);
  assert.match(stdout, /disp-region\s+dispatcher\s+-\s+active\s+region\n/);
});

test('GET /api/v1/me carries the municipalities; user scope changes them and is audited', async () => {
  let r = await api(base, 'GET', '/api/v1/me', { token: tok.both });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { name: 'disp-both', role: 'dispatcher', department: null,
    region_wide: false, municipalities: ['halle', 'vilvoorde'] });
  r = await api(base, 'GET', '/api/v1/me', { token: tok.region });
  assert.equal(r.body.region_wide, true);
  assert.equal(r.body.municipalities, null);

  await cli('add', 'disp-moving', '--role', 'dispatcher', '--municipality', 'asse');
  await cli('scope', 'disp-moving', '--municipality', 'beersel,halle');
  const { stdout } = await cli('token', 'disp-moving');
  r = await api(base, 'GET', '/api/v1/me', { token: stdout.trim() });
  assert.deepEqual(r.body.municipalities, ['beersel', 'halle']);
  await cli('scope', 'disp-moving', '--region');
  r = await api(base, 'GET', '/api/v1/me', { token: stdout.trim() });
  assert.equal(r.body.region_wide, true);
  await assert.rejects(cli('scope', 'disp-moving'), (e) => /needs --municipality/.test(e.stderr));
  await assert.rejects(cli('scope', 'ghost', '--region'), (e) => /no account named ghost/.test(e.stderr));
  const audit = dbQuery(server.db, "SELECT action || ' ' || detail FROM audit WHERE detail LIKE '%disp-moving%' ORDER BY id");
  assert.deepEqual(audit.split('\n'), [
    'add {"user":"disp-moving","municipalities":"asse"}',
    'scope {"user":"disp-moving","municipalities":"beersel,halle"}',
    'scope {"user":"disp-moving","municipalities":"region"}',
  ]);
});
