// Shared helpers of the API tests (node:test): a real meldpunt server on a temporary
// database, optionally with the demo data, accounts created through the command line,
// and small fetch wrappers. CTest sets MELDPUNT_BINARY and MELDPUNT_SOURCE_DIR; for the
// tests labelled pg also MELDPUNT_TEST_ENGINE=pg and MELDPUNT_TEST_PG_DIR (the cluster of
// tests/pg/cluster.sh), and then every server gets a PostgreSQL database of its own.
import { spawn, execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.MELDPUNT_SOURCE_DIR || path.resolve(here, '../..');
export const SHARED_DIR = process.env.MELDPUNT_SHARED_DIR || path.resolve(SOURCE_DIR, '..', 'shared');
export const BINARY = process.env.MELDPUNT_BINARY || path.join(SOURCE_DIR, 'build', 'meldpunt');
export const CITY_DIR = path.join(SOURCE_DIR, 'geodata', 'chicago');
export const DEMO_CSV = path.join(CITY_DIR, 'demo', 'chicago311-2021-01-01.csv');
export const REGION_DIR = path.join(SOURCE_DIR, 'geodata', 'halle-vilvoorde');

/** Whether the tests run on PostgreSQL (MELDPUNT_TEST_ENGINE=pg). */
export const ENGINE_PG = process.env.MELDPUNT_TEST_ENGINE === 'pg';
const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
let pgCounter = 0;

/**
 * A new, empty database for one server: a file path in dir, or on PostgreSQL a database
 * made from the cluster's PostGIS template (tests/pg/cluster.sh create). Returns
 * { db, drop() }; drop removes the PostgreSQL database (a file goes with its folder).
 */
export function newDatabase(dir) {
  if (!ENGINE_PG) return { db: path.join(dir, 'meldpunt.sqlite'), drop: () => {} };
  const script = path.join(SOURCE_DIR, 'tests', 'pg', 'cluster.sh');
  const name = `mpa_${process.pid}_${++pgCounter}`;
  const pgDir = process.env.MELDPUNT_TEST_PG_DIR;
  const db = execFileSync(script, ['create', pgDir, name], { encoding: 'utf8' }).trim();
  return { db, drop: () => execFileSync(script, ['drop', pgDir, name], { stdio: 'ignore' }) };
}

/**
 * Runs SQL on a test database (sqlite3, or psql for a PostgreSQL URL) and returns its
 * output trimmed: rows one a line, '|' between columns, as `sqlite3 -batch` prints them.
 */
export function dbQuery(db, sql) {
  const [cmd, args] = db.startsWith('postgresql://')
    ? [path.join(PG_BIN, 'psql'), ['--no-psqlrc', '--quiet', '--no-align', '--tuples-only',
      '--set=ON_ERROR_STOP=1', '--dbname', db, '--command', sql]]
    : ['sqlite3', ['-batch', '-cmd', '.timeout 10000', db, sql]]; // waits out the server's writes
  return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
}

/** Runs the meldpunt binary with args; resolves { stdout, stderr }, rejects on exit != 0. */
export function meldpunt(args, { env = {}, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(BINARY, args, {
      cwd: SOURCE_DIR, env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024, timeout: 300000,
    }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\nstdout: ${stdout}\nstderr: ${stderr}`;
        err.stdout = stdout;
        err.stderr = stderr;
        reject(err);
      } else resolve({ stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

/**
 * Starts `meldpunt serve` on 127.0.0.1:0 with a fresh database.
 * Options: demo (import the demo CSV first), env (extra environment), city (pack folder;
 * Chicago by default).
 * Returns { url, db, dir, stop(), kill(), user(name, role, dept) -> token, log() }.
 */
export async function startServer({ demo = false, env = {}, db: givenDb, city = CITY_DIR } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-api-'));
  const made = givenDb ? null : newDatabase(dir);
  const db = givenDb || made.db;
  // Tests post and read fast from one address: no write limit and no limit of expensive
  // reads unless a test sets one.
  const childEnv = { MELDPUNT_TILE_URL: '', MELDPUNT_RATE_WRITES: '0', MELDPUNT_RATE_READS: '0', ...env };
  if (demo) {
    await meldpunt(['import', '--db', db, '--city', CITY_DIR, '--format', 'chicago311', DEMO_CSV],
      { env: childEnv });
  }
  const server = { db, dir };
  server.start = async () => {
    const child = spawn(BINARY, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--city', city,
      '--web', path.join(SOURCE_DIR, 'web')], {
      cwd: SOURCE_DIR, env: { ...process.env, ...childEnv }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    let out = '';
    child.stderr.on('data', (d) => { log += d; });
    child.stdout.on('data', (d) => { out += d; });
    server.log = () => log;
    /** Everything the server wrote on stdout so far: the listening line, then the access log. */
    server.stdout = () => out;
    server.child = child;
    server.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    server.url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start\n${out}\n${log}`)), 20000);
      child.stdout.on('data', () => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}\n${log}`)); });
    });
    return server;
  };
  /** SIGTERM and wait; resolves the exit status. */
  server.stop = async () => {
    if (server.child && server.child.exitCode === null) server.child.kill('SIGTERM');
    return server.exited;
  };
  server.kill = async () => {
    if (server.child && server.child.exitCode === null) server.child.kill('SIGKILL');
    return server.exited;
  };
  server.cleanup = async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
    if (made) made.drop();
  };
  /** Creates an account through the command line; returns its token. scope (tenancy):
   * 'region' (region-wide), 'halle,vilvoorde' (those members), or nothing (a city pack's
   * default; refused in a pack of several members). */
  server.user = async (name, role, department, scope) => {
    const args = ['user', 'add', name, '--role', role, '--db', db, '--city', city];
    if (department) args.push('--department', department);
    if (scope === 'region') args.push('--region');
    else if (scope) args.push('--municipality', scope);
    const { stdout } = await meldpunt(args, { env: childEnv });
    return stdout.trim();
  };
  await server.start();
  return server;
}

/** fetch, sent again once when a GET or HEAD went out on a kept-alive connection the server
 * had closed meanwhile (undici: UND_ERR_SOCKET "other side closed"), as browsers do. The
 * server closes a connection that sends no request head within MELDPUNT_HEAD_TIMEOUT of its
 * last answer; a test whose own work blocks node's event loop for longer (a loaded machine)
 * then finds its idle connection gone before undici's own 4 s idle timer could drop it. */
async function fetchOnce(url, init) {
  try {
    return await fetch(url, init);
  } catch (e) {
    if (!['GET', 'HEAD'].includes(init.method) || e.cause?.code !== 'UND_ERR_SOCKET') throw e;
    return fetch(url, init);
  }
}

/** fetch wrapper: returns { status, headers, body (parsed JSON when JSON), text }. */
export async function api(base, method, p, { json, form, token, headers = {}, body } = {}) {
  const h = { ...headers };
  let payload = body;
  if (json !== undefined) { h['Content-Type'] = 'application/json'; payload = JSON.stringify(json); }
  if (form !== undefined) payload = form; // FormData or URLSearchParams: fetch sets the type
  if (token) h.Authorization = `Bearer ${token}`;
  const res = await fetchOnce(base + p, { method, headers: h, body: payload });
  const text = await res.text();
  let parsed;
  const ct = res.headers.get('content-type') || '';
  if (ct.includes('json')) { try { parsed = JSON.parse(text); } catch { parsed = undefined; } }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** The small JPEG of the photo fixtures (8x8 gray). */
export const GRAY_JPEG = path.join(SOURCE_DIR, 'tests', 'fixtures', 'photos', 'gray.jpg');

/** POSTs a graffiti report at (41.95, -87.70) with GRAY_JPEG as its photo, as the web form
 * sends it (FormData); returns api()'s answer. */
export async function postReportWithPhoto(base) {
  const form = new FormData();
  form.set('category', 'graffiti');
  form.set('lat', '41.95');
  form.set('lon', '-87.70');
  form.set('photo', new Blob([await readFile(GRAY_JPEG)], { type: 'image/jpeg' }), 'wall.jpg');
  return api(base, 'POST', '/api/v1/reports', { form });
}

/** A point inside Chicago's service area (the Loop) and a helper to offset it in metres. */
export const LOOP = { lat: 41.8781, lon: -87.6298 };
export function offset(p, northM, eastM) {
  const dLat = northM / 111320;
  const dLon = eastM / (111320 * Math.cos((p.lat * Math.PI) / 180));
  return { lat: p.lat + dLat, lon: p.lon + dLon };
}
/** offset() at the 7 decimals the server keeps, so that what is sent is what is stored. */
export function offset7(p, northM, eastM) {
  const q = offset(p, northM, eastM);
  return { lat: +q.lat.toFixed(7), lon: +q.lon.toFixed(7) };
}
/** The inverse of offset(): metres { north, east } of a GeoJSON [lon, lat] from p. */
export function metresFrom(p, [lon, lat]) {
  return { north: (lat - p.lat) * 111320, east: (lon - p.lon) * 111320 * Math.cos((p.lat * Math.PI) / 180) };
}
