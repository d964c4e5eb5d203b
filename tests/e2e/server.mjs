// Shared helpers of the browser tests: a real meldpunt server on a temporary database filled
// with the demo data, headless Chromium (Debian's, driven by playwright-core), screenshots and
// a watch on the console for CSP violations and script errors.
//
// Environment (set by CTest): MELDPUNT_BINARY, MELDPUNT_SOURCE_DIR, MELDPUNT_BUILD_DIR, and
// for the tests labelled pg MELDPUNT_TEST_ENGINE=pg with MELDPUNT_TEST_PG_DIR (the database is
// then a PostgreSQL one, made and dropped as the API tests do: tests/api/lib.mjs).
// MELDPUNT_E2E_URL=http://127.0.0.1:PORT runs the tests against a server that is already up
// (it must have the demo data and tiles off); nothing is started or stopped then.

import { before, after } from 'node:test';
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm, mkdir, access } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { newDatabase } from '../api/lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.MELDPUNT_SOURCE_DIR || path.resolve(here, '../..');
const BUILD_DIR = process.env.MELDPUNT_BUILD_DIR || path.join(SOURCE_DIR, 'build');
const BINARY = process.env.MELDPUNT_BINARY || path.join(BUILD_DIR, 'meldpunt');
const CITY_DIR = path.join(SOURCE_DIR, 'geodata', 'chicago');
const SHARED_DIR = process.env.MELDPUNT_SHARED_DIR || path.resolve(SOURCE_DIR, '..', 'shared');
const DEMO_CSV = [
  path.join(CITY_DIR, 'demo', 'chicago311-2021-01-01.csv'),
  path.join(SHARED_DIR, 'data', 'chicago', 'chicago_311_2021-01-01_02.csv'),
].find((p) => existsSync(p));
const CHROMIUM = process.env.MELDPUNT_CHROMIUM || '/usr/bin/chromium';
const START_TIMEOUT_MS = 20000;
const IMPORT_TIMEOUT_MS = 90000;

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 360, height: 740 };

function run(file, args, options) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\nstdout: ${stdout}\nstderr: ${stderr}`;
        reject(err);
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/**
 * Imports the demo CSV into a fresh database and starts `meldpunt serve` on 127.0.0.1:0.
 * `env` is added to the server's environment (MELDPUNT_TILE_URL is "" unless given).
 * Returns { url, stop() }.
 */
export async function startServer({ env = {} } = {}) {
  if (process.env.MELDPUNT_E2E_URL) {
    return { url: process.env.MELDPUNT_E2E_URL.replace(/\/$/, ''), stop: async () => {} };
  }
  await access(BINARY).catch(() => {
    throw new Error(`meldpunt binary not found at ${BINARY} (set MELDPUNT_BINARY)`);
  });
  if (!DEMO_CSV) throw new Error('demo CSV not found (geodata/chicago/demo or ../shared/data)');
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-e2e-'));
  const { db, drop } = newDatabase(dir);
  const childEnv = { ...process.env, MELDPUNT_TILE_URL: '', MELDPUNT_RATE_WRITES: '0', MELDPUNT_RATE_READS: '0', ...env };
  await run(BINARY, ['import', '--db', db, '--city', CITY_DIR, '--format', 'chicago311', DEMO_CSV],
    { cwd: SOURCE_DIR, env: childEnv, timeout: IMPORT_TIMEOUT_MS });

  const child = spawn(BINARY, [
    'serve', '--db', db, '--listen', '127.0.0.1:0', '--city', CITY_DIR,
    '--web', path.join(SOURCE_DIR, 'web'),
  ], { cwd: SOURCE_DIR, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => {
    log += d;
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in time\n${out}\n${log}`)), START_TIMEOUT_MS);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /meldpunt: listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening\n${out}\n${log}`));
    });
  });
  child.stdout.resume();
  return {
    url,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
      drop();
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A new page in its own context. Returns { context, page, problems } where problems collects
 * CSP violations, uncaught script errors and requests that left 127.0.0.1.
 */
export async function newPage(browser, { viewport = DESKTOP, locale = 'en-US', mobile = false, ...more } = {}) {
  const context = await browser.newContext({
    viewport,
    locale,
    isMobile: mobile,
    hasTouch: mobile,
    deviceScaleFactor: 1,
    ...more,
  });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
    else if (msg.type() === 'error' && !/Failed to load resource/.test(text)) problems.push(`console: ${text}`);
  });
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol)) {
      problems.push(`external request: ${req.url()}`);
    }
  });
  return { context, page, problems };
}

/**
 * A server and a browser for one test file: started before its tests, stopped after them. The
 * returned object's `server` and `browser` are set once the `before` hook has run.
 */
export function serverAndBrowser(options) {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await startServer(options);
    env.browser = await launchBrowser();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}

/** Runs fn({ page, problems, context }) on a fresh page and closes its context afterwards. */
export async function onPage(browser, fn, options) {
  const { context, page, problems } = await newPage(browser, options);
  try {
    return await fn({ page, problems, context });
  } finally {
    await context.close();
  }
}

export async function screenshot(page, name) {
  const dir = path.join(BUILD_DIR, 'screenshots');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

export async function api(base, pathname, init) {
  const res = await fetch(`${base}${pathname}`, init);
  const body = await res.json();
  return { status: res.status, body };
}

/** The Loop, downtown: no demo pothole report within a kilometre. */
export const SPOT = { lat: 41.8781, lon: -87.6298 };

/** Opens the map page centred on `spot` at `zoom` and waits for the first answer on the map. */
export async function openMap(page, base, { spot = SPOT, zoom = 18 } = {}) {
  const hash = spot ? `#${zoom}/${spot.lat}/${spot.lon}` : '';
  const grid = zoom < 15;
  const answer = page.waitForResponse((r) => r.url().includes(grid ? '/api/v1/clusters/grid?' : '/api/v1/clusters?') && r.ok());
  await page.goto(`${base}/${hash}`);
  await answer;
  await page.waitForFunction(() => !/…|\.\.\./.test(document.getElementById('map-status').textContent));
}

/**
 * Clicks the centre of the map element (the spot the page was opened on), or `dx`, `dy`
 * pixels beside it (to miss a marker that sits there).
 */
export async function clickMapCentre(page, { tap = false, dx = 0, dy = 0 } = {}) {
  const box = await page.locator('#map').boundingBox();
  const x = box.x + box.width / 2 + dx;
  const y = box.y + box.height / 2 + dy;
  if (tap) await page.touchscreen.tap(x, y);
  else await page.mouse.click(x, y);
}

/** Metres between two {lat, lon} points (equirectangular; fine for a few hundred metres). */
export function metres(a, b) {
  const k = Math.PI / 180;
  const x = (b.lon - a.lon) * k * Math.cos(((a.lat + b.lat) / 2) * k);
  const y = (b.lat - a.lat) * k;
  return Math.hypot(x, y) * 6371000;
}
