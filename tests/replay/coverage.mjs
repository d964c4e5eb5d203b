// Checks that a replay covered every route of server/router.c: for each entry of
// its route table, at least one request the router dispatches to that entry, with
// GET and HEAD for a GET route, and at least one answer that is not an error
// (2xx or 304). Exits 1 naming every route that falls short.
//
// Usage: node coverage.mjs server/router.c OUTDIR/index.tsv
import fs from 'node:fs';

// Routes whose handler answers with an error by design, so no request can succeed.
const NEVER_SUCCEEDS = new Map([
  ['GET /open311/v2/tokens/*',
    'every request is answered at once, so no token is ever handed out (404 for any token)'],
]);
// Routes that succeed only with a secret that reaches the reporter by mail alone (a random
// token in a link, or a session made from one): a replay cannot know it without recording
// the secret, and two recordings would then differ. Their successes are tested with a real
// SMTP server in tests/api/notify.test.mjs and tests/e2e/notify.test.mjs; here every one of
// them must still be reached (by its refusals).
const MAILED_SECRET = 'needs a token mailed to the reporter (tests/api/notify.test.mjs)';
for (const r of ['POST /api/v1/notify/unsubscribe', 'GET /api/v1/notify/unsubscribe',
  'POST /api/v1/notify/session', 'GET /api/v1/notify/mine', 'POST /api/v1/notify/stop',
  'POST /api/v1/kto', 'POST /api/v1/kto/details', 'GET /api/v1/feedback/{id}/photo',
  'GET /api/v1/feedback/{id}/photo/thumb', 'POST /api/v1/alerts/confirm'])
  NEVER_SUCCEEDS.set(r, MAILED_SECRET);
// One message or delivery: every queued message holds such a token (its links), and a
// delivery can only be resent once it failed, after retries that run on the wall clock.
// Tested in tests/api/notify.test.mjs and tests/api/webhooks.test.mjs.
for (const r of ['GET /api/v1/outbox/{id}', 'POST /api/v1/outbox/{id}/retry',
  'POST /api/v1/webhooks/deliveries/{id}/resend'])
  NEVER_SUCCEEDS.set(r, 'a message holds mailed tokens, a resend needs a failed delivery (api.notify, api.webhooks)');

const [routerFile, indexFile] = process.argv.slice(2);
if (!routerFile || !indexFile) {
  process.stderr.write('usage: node coverage.mjs server/router.c OUTDIR/index.tsv\n');
  process.exit(2);
}

/* The table: {"METHOD", "PATTERN", handler, ...} lines of `routes[] = { ... };`. */
function readRoutes(file) {
  const src = fs.readFileSync(file, 'utf8');
  const start = src.indexOf('routes[] = {');
  if (start < 0) throw new Error(`${file}: no route table (routes[] = {)`);
  const end = src.indexOf('};', start);
  const routes = [];
  for (const m of src.slice(start, end).matchAll(/\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,/g))
    routes.push({ method: m[1], pattern: m[2], requests: 0, ok: 0, head: 0 });
  if (!routes.length) throw new Error(`${file}: the route table is empty`);
  return routes;
}

/* router.c's match(): literal segments, {id} (1-18 digits, not 0) and a final *. */
function match(pattern, path) {
  let p = 0;
  let s = 0;
  while (p < pattern.length && s < path.length) {
    if (pattern[p] === '*' && p === pattern.length - 1) return !path.slice(s).includes('/');
    if (pattern.startsWith('{id}', p)) {
      let digits = 0;
      let v = 0;
      while (s < path.length && path[s] >= '0' && path[s] <= '9' && digits < 18) {
        v = v * 10 + Number(path[s++]);
        digits++;
      }
      if (digits === 0 || v === 0 || (s < path.length && path[s] !== '/')) return false;
      p += 4;
      continue;
    }
    if (pattern[p++] !== path[s++]) return false;
  }
  return p === pattern.length && s === path.length;
}

const methodIs = (routeMethod, m) => routeMethod === m || (routeMethod === 'GET' && m === 'HEAD');

function decodePath(target) {
  const raw = target.split('?')[0];
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

const routes = readRoutes(routerFile);
const rows = fs.readFileSync(indexFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
for (const [, method, target, status] of rows) {
  const path = decodePath(target);
  const hit = routes.find((r) => match(r.pattern, path) && methodIs(r.method, method));
  if (!hit) continue;
  hit.requests++;
  if (method === 'HEAD') hit.head++;
  const st = Number(status);
  if ((st >= 200 && st < 300) || st === 304) hit.ok++;
}

const problems = [];
for (const r of routes) {
  const name = `${r.method} ${r.pattern}`;
  if (!r.requests) problems.push(`${name}: no request reaches this route`);
  else if (r.method === 'GET' && r.requests === r.head) problems.push(`${name}: no GET request`);
  else if (r.method === 'GET' && !r.head) problems.push(`${name}: no HEAD request`);
  if (r.requests && !r.ok && !NEVER_SUCCEEDS.has(name))
    problems.push(`${name}: no request succeeds (only errors: add one that works)`);
}
const covered = routes.filter((r) => r.requests).length;
process.stdout.write(`${covered} of ${routes.length} routes of ${routerFile} reached by ` +
  `${rows.length} requests\n`);
if (problems.length) {
  process.stdout.write(`${problems.join('\n')}\n`);
  process.exit(1);
}
