#!/usr/bin/env node
// cost_budget.mjs - issue 19.4: do eight parallel worst-case public GETs slow the map for
// everybody else? Starts BINARY on a copy of DB, then measures a normal map request (the
// citizen map at street zoom: /api/v1/clusters over a screenful near the Loop, 500 features
// at most, the box moved by up to 500 m for every request so that the answer cache does not
// hold it) alone for SECONDS, then again while eight connections send worst-case requests
// back to back for the same time: the grid of the whole city at zoom 15-22, the box moved by
// up to 1 km each time. The two kinds of client come from different addresses, as they would
// through the proxy (MELDPUNT_TRUSTED_PROXIES=127.0.0.1, X-Forwarded-For), so each gets its
// own per-client limits.
//
// Prints p50/p95 of the map request alone and under the load, their ratio (target: <= 2), what
// the worst-case clients got (answers by status, median size, median time), and the server's
// CPU time in each phase (on a machine shared with other work, latency depends on that work;
// the CPU the attack costs the server does not).
//
// Usage: [COST_ENV="VAR=value ..."] [COST_PIN=1] [COST_RTT_MS=N]
//        node bench/cost_budget.mjs BINARY DB [SECONDS] [LABEL]
//   e.g. node bench/cost_budget.mjs build-bench/meldpunt bench/data/city-100000.sqlite 15 after
// Figures are printed, never asserted. Loopback only; every loop stops after SECONDS.
//
// Fairness of the measurement (bench/fairness.sh runs the variants):
// - COST_PIN=1 (or "A:B", two CPU numbers): the server and this process (the map client) run
//   on CPU A (default 0), the attacking process on CPU B (default 1), in both phases, with
//   taskset (util-linux). Without it the attacker's own CPU (a node process sending 2,000+
//   requests a second over the loopback) competes with the server and the map client for the
//   same cores, which a real attacker's machine does not.
// - COST_RTT_MS=N: each of the eight attacking connections waits N ms after an answer before it
//   sends the next request, as a client N ms away on the network would. Over the loopback the
//   attacker's rate is bound only by its CPU; over the internet eight keep-alive connections
//   in a closed loop are bound by their round trips (8 / RTT requests a second). Without it
//   the attacker runs flat out: the worst case, and the default.
// - The server's access log (one line per request, also per refusal) goes to a file, not to
//   a pipe read by this process: reading 2,000 lines a second here would slow the very client
//   that measures.
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { copyFile, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..');
const ATTACK = process.argv[2] === '--attack'; // the worst-case clients' own process
const [bin, db, secArg, label = ''] = process.argv.slice(ATTACK ? 3 : 2);
if (!bin || !db) {
  console.error('usage: node bench/cost_budget.mjs BINARY DB [SECONDS] [LABEL]');
  process.exit(2);
}
const SECONDS = Number(secArg || 10);
// COST_ENV="MELDPUNT_RATE_READS=4 MELDPUNT_GRID_MAX_CELLS=512": settings for the server.
const extraEnv = Object.fromEntries((process.env.COST_ENV || '').split(/\s+/).filter(Boolean)
  .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
// COST_PIN: "1" = CPUs 0 (server, map client) and 1 (attacker); "A:B" chooses them.
const PIN = (() => {
  const v = process.env.COST_PIN || '';
  if (!v || v === '0') return null;
  const m = /^(\d+):(\d+)$/.exec(v);
  return m ? { map: m[1], attack: m[2] } : { map: '0', attack: '1' };
})();
const RTT_MS = Number(process.env.COST_RTT_MS || 0);
/** [command, args] that runs cmd on cpu when pinning, else as it is. */
const pinned = (cpu, cmd, args) => (PIN ? ['taskset', ['-c', cpu, cmd, ...args]] : [cmd, args]);
const CITY = [-87.940114, 41.644543, -87.52414, 42.023039]; // geodata/chicago/city.json
const LOOP = { lon: -87.6298, lat: 41.8781 };
const MAP_IP = '203.0.113.5';
const WORST_IP = '198.51.100.7';

// A deterministic generator, so that before and after ask the same boxes.
let seed = 20261207;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const jitter = (deg) => (rand() * 2 - 1) * deg;
const fmt = (b) => b.map((v) => v.toFixed(6)).join(',');

function mapPath() {
  const lon = LOOP.lon + jitter(0.006);
  const lat = LOOP.lat + jitter(0.0045);
  // About a 1920 x 1080 screen at zoom 15.
  return `/api/v1/clusters?bbox=${fmt([lon - 0.041, lat - 0.017, lon + 0.041, lat + 0.017])}&limit=500`;
}

function worstPath() {
  const dx = jitter(0.012), dy = jitter(0.009);
  const zoom = 15 + Math.floor(rand() * 8);
  return `/api/v1/clusters/grid?bbox=${fmt([CITY[0] + dx, CITY[1] + dy, CITY[2] + dx, CITY[3] + dy])}&zoom=${zoom}`;
}

// Map requests come as from many citizens: a new connection each (so they land on whichever
// of the server's threads takes them). The worst-case clients keep their connections.
// A connection the server closed under the client (keep-alive races, a deadline) is counted as
// an answer of status "closed", with its time.
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });
function timed(base, p, ip, agent = false) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const done = (status, bytes) =>
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, status, bytes });
    const req = http.get(base + p, { agent, headers: { 'X-Forwarded-For': ip } }, (res) => {
      let bytes = 0;
      res.on('data', (c) => { bytes += c.length; });
      res.on('end', () => done(res.statusCode, bytes));
      res.on('error', () => done('closed', bytes));
    });
    req.on('error', () => done('closed', 0));
  });
}

// The server's CPU time so far (user + system, seconds), from /proc: a figure that other load
// on the machine distorts less than latency.
async function cpuOf(pid) {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100; // utime, stime in USER_HZ (100)
}

const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function loop(base, next, ip, until, out, agent, pause = 0) {
  while (Date.now() < until) {
    out.push(await timed(base, next(), ip, agent));
    if (pause) await sleep(pause);
  }
}

/** The first line of file that matches re, waiting for it (the server's stdout). */
async function waitLine(file, re, child, logOf) {
  const deadline = Date.now() + 120000;
  for (;;) {
    const m = re.exec(await readFile(file, 'utf8').catch(() => ''));
    if (m) return m;
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}\n${logOf()}`);
    if (Date.now() > deadline) throw new Error(`server did not start\n${logOf()}`);
    await sleep(100);
  }
}

/** Lines in file (the server's access log: one per answered request). */
async function linesOf(file) {
  const t = await readFile(file, 'utf8').catch(() => '');
  let n = 0;
  for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', i + 1)) n++;
  return n;
}
const load = () => loadavg().map((v) => v.toFixed(2)).join(' ');

async function main() {
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-cost-'));
  const copy = path.join(dir, 'bench.sqlite');
  await copyFile(db, copy);
  const load0 = load();
  // This process is the map client: on the server's CPU when pinning (all its threads).
  if (PIN) execFileSync('taskset', ['-a', '-p', '-c', PIN.map, String(process.pid)], { stdio: 'ignore' });
  const outFile = path.join(dir, 'stdout.log');
  const outFh = await open(outFile, 'w');
  const [cmd, args] = pinned(PIN && PIN.map, bin, ['serve', '--db', copy, '--listen', '127.0.0.1:0',
    '--city', path.join(ROOT, 'geodata', 'chicago'), '--web', path.join(ROOT, 'web')]);
  const child = spawn(cmd, args, {
    cwd: ROOT, stdio: ['ignore', outFh.fd, 'pipe'],
    env: { ...process.env, MELDPUNT_TILE_URL: '', MELDPUNT_TRUSTED_PROXIES: '127.0.0.1', ...extraEnv },
  });
  await outFh.close(); // the server holds its own copy of the descriptor
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  try {
    const base = (await waitLine(outFile, /listening on (http:\/\/127\.0\.0\.1:\d+)/, child,
      () => log))[1];
    for (let i = 0; i < 20; i++) await timed(base, mapPath(), MAP_IP); // warm the page cache

    const alone = [];
    const cpu0 = await cpuOf(child.pid);
    await loop(base, mapPath, MAP_IP, Date.now() + SECONDS * 1000, alone);
    const cpu1 = await cpuOf(child.pid);

    // The worst-case clients run in a process of their own, so that their answers do not
    // wait in this process's event loop in front of the map's.
    const lines1 = await linesOf(outFile);
    const until = Date.now() + SECONDS * 1000;
    const [acmd, aargs] = pinned(PIN && PIN.attack, process.execPath,
      [fileURLToPath(import.meta.url), '--attack', base, String(until)]);
    const attack = spawn(acmd, aargs, { stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, COST_RTT_MS: String(RTT_MS) } });
    let attackOut = '';
    attack.stdout.on('data', (d) => { attackOut += d; });
    const attackDone = new Promise((r) => attack.once('exit', r));
    const loaded = [];
    await loop(base, mapPath, MAP_IP, until, loaded);
    const cpu2 = await cpuOf(child.pid);
    await attackDone;
    const lines2 = await linesOf(outFile);
    const { answers: worst, cpu: attackCpu } = JSON.parse(attackOut);

    const ms = (xs) => xs.map((r) => r.ms);
    // A map request that failed counts with its time (a user waited that long for nothing).
    const p50a = pct(ms(alone), 50), p95a = pct(ms(alone), 95);
    const p50l = pct(ms(loaded), 50), p95l = pct(ms(loaded), 95);
    const bad = [...alone, ...loaded].filter((r) => r.status !== 200).length;
    const byStatus = {};
    for (const r of worst) byStatus[r.status] = (byStatus[r.status] || 0) + 1;
    const ok = worst.filter((r) => r.status === 200);
    const tag = label ? `${label}: ` : '';
    const most = (xs) => Math.max(...ms(xs)).toFixed(0);
    console.log(`${tag}map request alone:           p50 ${p50a.toFixed(1)} ms, p95 ${p95a.toFixed(1)} ms, max ${most(alone)} ms (${alone.length} requests)`);
    console.log(`${tag}map request, 8 worst-case:   p50 ${p50l.toFixed(1)} ms, p95 ${p95l.toFixed(1)} ms, max ${most(loaded)} ms (${loaded.length} requests)`);
    console.log(`${tag}slow-down under load:        p50 x${(p50l / p50a).toFixed(2)}, p95 x${(p95l / p95a).toFixed(2)} (target <= 2)`);
    console.log(`${tag}worst-case answers:          ${worst.length} in ${SECONDS} s, by status ${JSON.stringify(byStatus)};` +
      ` 200s: median ${(pct(ok.map((r) => r.bytes), 50) / 1024).toFixed(0)} KiB, median ${pct(ms(ok), 50).toFixed(1)} ms`);
    const refused = byStatus[429] || 0;
    const perReq = (cpu, n) => (n ? `${((cpu * 1e6) / n).toFixed(0)} us/request` : '-');
    console.log(`${tag}server CPU:                   ${(cpu1 - cpu0).toFixed(2)} s alone (${perReq(cpu1 - cpu0, alone.length)}), ${(cpu2 - cpu1).toFixed(2)} s under load (${SECONDS} s each; 2 cores = ${2 * SECONDS} s)`);
    console.log(`${tag}attacker:                     ${(worst.length / SECONDS).toFixed(0)} requests/s (${refused} refused), its own CPU ${attackCpu.toFixed(2)} s; access-log lines ${lines2 - lines1} under load`);
    console.log(`${tag}setup:                        ${PIN ? `pinned: server + map client on CPU ${PIN.map}, attacker on CPU ${PIN.attack}` : 'not pinned'}; attacker ${RTT_MS ? `paced, ${RTT_MS} ms round trip` : 'flat out'}; load average ${load0} at start, ${load()} at end`);
    console.log(`${tag}summary: p50x=${(p50l / p50a).toFixed(2)} p95x=${(p95l / p95a).toFixed(2)} p50=${p50a.toFixed(1)}/${p50l.toFixed(1)} p95=${p95a.toFixed(1)}/${p95l.toFixed(1)} cpu=${(cpu1 - cpu0).toFixed(2)}/${(cpu2 - cpu1).toFixed(2)} attack_rps=${(worst.length / SECONDS).toFixed(0)} load="${load0}"`);
    if (bad) console.log(`${tag}WARNING: ${bad} map requests were not answered 200 (counted with their time)`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}

async function attack(base, until) {
  const worst = [];
  await Promise.all(Array.from({ length: 8 },
    () => loop(base, worstPath, WORST_IP, until, worst, keepAlive, RTT_MS)));
  const u = process.cpuUsage();
  process.stdout.write(JSON.stringify({ answers: worst, cpu: (u.user + u.system) / 1e6 }));
}

if (ATTACK) attack(bin, Number(db)).catch((e) => { console.error(e); process.exit(1); });
else main().catch((e) => { console.error(e); process.exit(1); });
