// /healthz tells the public only that the server answers (issue 19, finding 6); the
// version, counts, schema, memory and cache figures are for the machine itself (a
// loopback request with no proxy in between) and for staff tokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib.mjs';
import { startNginx, request } from './nginx.mjs';

let srv, ngx, crew, client;
before(async () => {
  srv = await startServer({ env: { MELDPUNT_TRUSTED_PROXIES: '127.0.0.1' } });
  crew = await srv.user('carl', 'crew', 'streets');
  client = await srv.user('fixmystreet', 'client');
  ngx = await startNginx(srv.url);
});
after(async () => {
  await ngx?.stop();
  await srv?.cleanup();
});

test('through the proxy the public gets {"status":"ok"} and nothing more', async () => {
  const r = await request(ngx.url, 'GET', '/healthz', { from: '127.0.0.2' });
  assert.equal(r.status, 200);
  assert.equal(r.text, '{"status":"ok"}');
  assert.equal(r.headers['cache-control'], 'no-store');
  // An Open311 client key is no staff token; a wrong token is a failed sign-in.
  for (const token of [client, 'mp_not-a-token-at-all']) {
    const t = await request(ngx.url, 'GET', '/healthz', { from: '127.0.0.2', token });
    assert.equal(t.text, '{"status":"ok"}');
  }
});

test('staff tokens and the machine itself get the details', async () => {
  const staff = await request(ngx.url, 'GET', '/healthz', { from: '127.0.0.3', token: crew });
  assert.equal(staff.status, 200);
  assert.equal(staff.body.status, 'ok');
  assert.equal(typeof staff.body.version, 'string');
  assert.ok(staff.body.schema > 0);
  assert.equal(staff.body.reports, 0);
  assert.equal(staff.body.cache, undefined, 'cache figures are for the machine only');

  const local = await request(srv.url, 'GET', '/healthz');
  assert.equal(local.body.reports, 0);
  assert.ok(local.body.schema > 0);
  assert.equal(typeof local.body.cache.hits, 'number');
  // From loopback but forwarded for someone else (an untrusted local proxy): public.
  const fwd = await request(srv.url, 'GET', '/healthz', { headers: { 'X-Forwarded-For': '203.0.113.9' } });
  assert.equal(fwd.text, '{"status":"ok"}');
  const rfc = await request(srv.url, 'GET', '/healthz', { from: '127.0.0.5', headers: { Forwarded: 'for=203.0.113.9' } });
  assert.equal(rfc.text, '{"status":"ok"}');
});
