// GET /api/v1/config: the keys the pages have always read stay as they were, and the workflow
// vocabulary (server/vocab.c) is there in full for the pages to read instead of spelling it.
// The expectations are written out here, independently of the table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api } from './lib.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.cleanup(); });

const CODES = ['new', 'acknowledged', 'scheduled', 'in_progress', 'fixed', 'closed', 'not_responsible', 'reopened',
  'reopen_requested'];

const STATUSES = [
  ['new', 'New', 'Nieuw', true, 'open', 'OPEN'],
  ['acknowledged', 'Acknowledged', 'In behandeling genomen', true, 'open', 'INVESTIGATING'],
  ['scheduled', 'Scheduled', 'Ingepland', true, 'open', 'ACTION_SCHEDULED'],
  ['in_progress', 'In progress', 'Wordt aan gewerkt', true, 'in_progress', 'IN_PROGRESS'],
  ['fixed', 'Fixed', 'Opgelost', false, 'fixed', 'FIXED'],
  ['closed', 'Closed', 'Afgesloten', false, 'fixed', 'CLOSED'],
  ['not_responsible', 'Not our responsibility', 'Niet onze verantwoordelijkheid', false, 'not_responsible',
    'NOT_COUNCILS_RESPONSIBILITY'],
  ['reopened', 'Reopened', 'Heropend', true, 'open', 'OPEN'],
  ['reopen_requested', 'Reopen requested', 'Heropenen gevraagd', true, 'open', 'INVESTIGATING'],
].map(([code, en, nl, open, group, fms]) => ({
  code, name: { en, nl }, open, public: true, map_group: group, open311: open ? 'open' : 'closed', fixmystreet: fms,
}));

// [from, to, crew, note_required]: the lifecycle README.md describes.
const MOVES = [
  ['new', 'acknowledged', false, false], ['new', 'scheduled', false, false],
  ['new', 'not_responsible', false, true], ['new', 'closed', false, true],
  ['acknowledged', 'scheduled', false, false], ['acknowledged', 'in_progress', true, false],
  ['acknowledged', 'not_responsible', false, true], ['acknowledged', 'closed', false, true],
  ['scheduled', 'in_progress', true, false], ['scheduled', 'acknowledged', false, false],
  ['scheduled', 'not_responsible', false, true], ['in_progress', 'fixed', true, false],
  ['in_progress', 'scheduled', false, true], ['fixed', 'closed', false, false],
  ['fixed', 'reopened', false, true], ['closed', 'reopened', false, true],
  ['not_responsible', 'reopened', false, true], ['reopened', 'acknowledged', false, false],
  ['reopened', 'scheduled', false, false], ['reopened', 'in_progress', false, false],
  ['reopened', 'not_responsible', false, true], ['reopened', 'closed', false, true],
  // The reporter's "not fixed" answer (the satisfaction check), then staff decide.
  ['fixed', 'reopen_requested', false, false], ['closed', 'reopen_requested', false, false],
  ['reopen_requested', 'reopened', false, false], ['reopen_requested', 'fixed', false, true],
  ['reopen_requested', 'closed', false, true],
].map(([from, to, crew, note]) => ({ from, to, crew, note_required: note }));

test('config keeps its keys and their order, and adds the workflow last', async () => {
  const res = await api(srv.url, 'GET', '/api/v1/config');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.deepEqual(Object.keys(res.body), ['city', 'tiles', 'limits', 'statuses', 'workflow']);
  assert.deepEqual(res.body.statuses, CODES);
  // Byte for byte where the pages have read it so far (compact, no spaces).
  assert.ok(res.text.includes(`"statuses":${JSON.stringify(CODES)},"workflow":{"statuses":[{"code":"new",`),
    res.text);
  assert.ok(res.text.includes('"limits":{"description_max":2000,"photo_max_bytes":8388608},'), res.text);
});

test('config.workflow: every status with both names, its families and mappings', async () => {
  const { body } = await api(srv.url, 'GET', '/api/v1/config');
  assert.deepEqual(Object.keys(body.workflow), ['statuses', 'transitions']);
  assert.deepEqual(body.workflow.statuses, STATUSES);
  for (const s of body.workflow.statuses) {
    assert.deepEqual(Object.keys(s), ['code', 'name', 'open', 'public', 'map_group', 'open311', 'fixmystreet']);
  }
  assert.deepEqual(body.workflow.statuses.map((s) => s.code), body.statuses);
});

test('config.workflow: the transitions, each between listed statuses', async () => {
  const { body } = await api(srv.url, 'GET', '/api/v1/config');
  assert.deepEqual(body.workflow.transitions, MOVES);
  const codes = new Set(body.statuses);
  for (const t of body.workflow.transitions) assert.ok(codes.has(t.from) && codes.has(t.to), `${t.from} -> ${t.to}`);
});

test('the status filter error names the statuses in the order config lists them', async () => {
  const { body } = await api(srv.url, 'GET', '/api/v1/config');
  const res = await api(srv.url, 'GET', '/api/v1/clusters?status=done');
  assert.equal(res.status, 400);
  assert.deepEqual(res.body, { error: { code: 'invalid_parameter',
    message: `unknown status 'done' (use ${body.statuses.join(', ')}, open or resolved)` } });
});
