// bench/soak.mjs - a mixed load against a running meldpunt for a fixed time,
// checking every answer and sampling the server's memory.
//
//   node bench/soak.mjs --url http://127.0.0.1:PORT --pid PID [--duration 600]
//        [--warmup 60] [--readers 12] [--write-rate 20] [--exporters 1]
//
// Readers (closed loop) walk the public read API: map lists, single reports
// and clusters, the grid, nearby, stats, OGC items, Open311 lists, config and
// pages. Writes arrive at a fixed rate (open loop, JSON reports spread over
// the city, some with a photo); exporters stream whole exports back to back
// and check each one is complete. Every 10 s the server's /proc status is
// sampled. The run fails (exit 1) on any 5xx, any transport error, any
// unexpected status, or resident memory at the end more than 10% above its
// level after the warm-up.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const URL_ = args.url;
const PID = Number(args.pid);
const DURATION = Number(args.duration || 600) * 1000;
const WARMUP = Number(args.warmup || 60) * 1000;
const READERS = Number(args.readers || 12);
const WRITE_RATE = Number(args['write-rate'] || 20);
const EXPORTERS = Number(args.exporters || 1);
const DB = args.db; // optional: the database file, to show its growth
// Node's fetch pool opens a new socket when none is free at the instant a
// request starts, so it holds more sockets than requests in flight (55 seen
// for 46 in flight). Beyond the server's 64 connections per address the
// next connection is refused (ECONNRESET): the bound working, not a fault,
// so the load stays well inside it.
const MAX_WRITES_IN_FLIGHT = 16;
if (!URL_ || !PID) {
  console.error('usage: node bench/soak.mjs --url URL --pid PID [--duration S] [--warmup S]');
  process.exit(2);
}

const CATS = ['pothole', 'graffiti', 'street_light_out', 'sidewalk_damage', 'illegal_dumping', 'rodent'];
const PHOTO = readFileSync(path.join(here, '..', 'tests', 'fixtures', 'photos', 'gray.jpg'));
let seed = 12345;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const pick = (a) => a[Math.floor(rand() * a.length)];
const r7 = (v) => Math.round(v * 1e7) / 1e7;
// Points west of the lake shore, inside the city limits.
const near = (km) => {
  const lat = 41.86 + (rand() - 0.5) * Math.min(km, 22) / 111;
  let lon = -87.68 + (rand() - 0.5) * Math.min(km, 8) / 83;
  if (lat > 41.9 && lon > -87.645) lon -= 0.03; // the shore bends west up north
  return { lat: r7(lat), lon: r7(lon) };
};

const stats = {};
const errors = [];
const count = (kind, status) => {
  stats[kind] ??= { n: 0, s2xx: 0, s4xx: 0, s5xx: 0, err: 0, ms: 0 };
  const s = stats[kind];
  s.n++;
  if (status === 0) s.err++; // no answer: a transport error
  else if (status >= 500) s.s5xx++;
  else if (status >= 400) s.s4xx++;
  else s.s2xx++;
};
const fail = (msg) => { if (errors.length < 50) errors.push(msg); };
let knownReports = [];
let knownClusters = [];
let stop = false;
const t0 = Date.now();

async function get(kind, p, expect = [200]) {
  const t = performance.now();
  try {
    // A whole export is a long download (tens of MB, seconds to a minute on
    // a loaded machine); everything else must answer within a minute.
    const res = await fetch(URL_ + p, { signal: AbortSignal.timeout(kind === 'export' ? 300000 : 60000) });
    const body = await res.text();
    count(kind, res.status);
    stats[kind].ms += performance.now() - t;
    if (!expect.includes(res.status)) fail(`${kind} GET ${p}: ${res.status} ${body.slice(0, 200)}`);
    return { status: res.status, body };
  } catch (e) {
    count(kind, 0);
    fail(`${kind} GET ${p}: ${e.cause?.code || e.message}`);
    return { status: 0, body: '' };
  }
}

function bbox(km) {
  const c = near(20);
  return `${r7(c.lon - km / 166)},${r7(c.lat - km / 222)},${r7(c.lon + km / 166)},${r7(c.lat + km / 222)}`;
}

const READS = [
  [30, () => get('map', `/api/v1/reports?bbox=${bbox(2)}&limit=1000`)],
  [15, () => get('clusters', `/api/v1/clusters?bbox=${bbox(3)}&limit=1000`)],
  [10, () => get('grid', `/api/v1/clusters/grid?bbox=${bbox(30)}&zoom=11`)],
  [10, () => knownReports.length ? get('report', `/api/v1/reports/${pick(knownReports)}`) : get('report', '/api/v1/reports/1')],
  [8, () => knownClusters.length ? get('cluster', `/api/v1/clusters/${pick(knownClusters)}`) : get('cluster', '/api/v1/clusters/1')],
  [8, () => { const p = near(10); return get('nearby', `/api/v1/nearby?lat=${p.lat}&lon=${p.lon}&category=${pick(CATS)}`); }],
  [5, () => get('stats', pick(['/api/v1/stats', '/api/v1/stats?group_by=category', '/api/v1/stats?group_by=week']))],
  [5, () => get('ogc', `/ogc/collections/${pick(['reports', 'clusters'])}/items?limit=100&bbox=${bbox(3)}`)],
  [4, () => get('open311', `/open311/v2/requests.${pick(['json', 'xml'])}`)],
  [5, () => get('meta', pick(['/healthz', '/api/v1/config', '/api/v1/categories', '/', '/main.js']))],
];
const READ_TOTAL = READS.reduce((a, [w]) => a + w, 0);

async function reader() {
  while (!stop) {
    let x = rand() * READ_TOTAL;
    for (const [w, f] of READS) {
      if ((x -= w) < 0) {
        await f();
        break;
      }
    }
  }
}

async function write(i) {
  const p = near(25);
  const t = performance.now();
  try {
    let res;
    if (i % 20 === 0) {
      const fd = new FormData();
      fd.append('category', pick(CATS));
      fd.append('lat', String(p.lat));
      fd.append('lon', String(p.lon));
      fd.append('description', `soak ${i} with a photo`);
      fd.append('photo', new Blob([PHOTO], { type: 'image/jpeg' }), 'p.jpg');
      res = await fetch(`${URL_}/api/v1/reports`, { method: 'POST', body: fd, signal: AbortSignal.timeout(60000) });
    } else {
      res = await fetch(`${URL_}/api/v1/reports`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, signal: AbortSignal.timeout(60000),
        body: JSON.stringify({ category: pick(CATS), lat: p.lat, lon: p.lon, description: `soak ${i}: hole near the curb`,
          contact: i % 3 ? undefined : { email: `soak${i}@example.org` } }),
      });
    }
    const body = await res.text();
    count('write', res.status);
    stats.write.ms += performance.now() - t;
    if (res.status !== 201) fail(`write ${i}: ${res.status} ${body.slice(0, 200)}`);
    else {
      const j = JSON.parse(body);
      if (knownReports.length < 50000) knownReports.push(j.report.id);
      if (knownClusters.length < 50000) knownClusters.push(j.cluster.id);
    }
  } catch (e) {
    count('write', 0);
    fail(`write ${i}: ${e.cause?.code || e.message}`);
  }
}

async function writer() {
  const inflight = new Set();
  const interval = 1000 / WRITE_RATE;
  let next = Date.now();
  for (let i = 1; !stop; i++) {
    next += interval;
    const wait = next - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // Stay well inside the server's connections-per-IP bound (64 by
    // default): readers + exporters + writes in flight, see above.
    if (inflight.size >= MAX_WRITES_IN_FLIGHT) await Promise.race(inflight);
    const pr = write(i).finally(() => inflight.delete(pr));
    inflight.add(pr);
  }
  await Promise.all(inflight);
}

async function exporter() {
  const kinds = [['geojson', 'reports'], ['csv', 'reports'], ['geojsonseq', 'clusters'], ['csv', 'clusters']];
  for (let i = 0; !stop; i++) {
    const [f, w] = kinds[i % kinds.length];
    const r = await get('export', `/api/v1/export?format=${f}&what=${w}`);
    if (r.status === 200) {
      // A stream cut short is an error even with a 200 header.
      try {
        if (f === 'geojson') JSON.parse(r.body);
        else if (f === 'geojsonseq') r.body.split('\x1e').filter((s) => s.trim()).forEach((s) => JSON.parse(s));
        else if (!r.body.endsWith('\n')) throw new Error('CSV does not end with a newline');
      } catch (e) {
        fail(`export ${f} ${w}: incomplete (${e.message}, ${r.body.length} bytes)`);
      }
    }
    await new Promise((res) => setTimeout(res, 500));
  }
}

function sample() {
  const st = readFileSync(`/proc/${PID}/status`, 'utf8');
  const kb = (k) => Number((new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(st) || [0, 0])[1]);
  const size = (f) => { try { return statSync(f).size; } catch { return 0; } };
  return { t: Math.round((Date.now() - t0) / 1000), rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'),
    hwm: kb('VmHWM'), threads: kb('Threads'), fds: readdirSync(`/proc/${PID}/fd`).length,
    db: DB ? size(DB) + size(`${DB}-wal`) : 0 };
}

// The storage engine's own heap (SQLite page caches and statements), from
// /healthz: tells bounded caches filling up apart from other growth.
let storeMem = 0;
async function pollStoreMemory() {
  try {
    const r = await fetch(`${URL_}/healthz`);
    storeMem = (await r.json()).store_memory_bytes || 0;
  } catch { /* the sampler reports a dead server */ }
}

await pollStoreMemory();
const samples = [{ ...sample(), store: storeMem }];
const timer = setInterval(async () => {
  try {
    await pollStoreMemory();
    const s = { ...sample(), store: storeMem };
    samples.push(s);
    const total = Object.values(stats).reduce((a, s2) => a + s2.n, 0);
    console.log(`t=${String(s.t).padStart(4)}s rss=${(s.rss / 1024).toFixed(1)}MB anon=${(s.anon / 1024).toFixed(1)}MB `
      + `file=${(s.file / 1024).toFixed(1)}MB store=${(s.store / 1048576).toFixed(1)}MB db+wal=${(s.db / 1048576).toFixed(1)}MB fds=${s.fds} threads=${s.threads} `
      + `requests=${total} errors=${errors.length}`);
  } catch (e) {
    fail(`sampling: ${e.message} (did the server die?)`);
    stop = true;
  }
}, 5000);
setTimeout(() => { stop = true; }, DURATION);

await Promise.all([
  ...Array.from({ length: READERS }, reader),
  ...(WRITE_RATE > 0 ? [writer()] : []),
  ...Array.from({ length: EXPORTERS }, exporter),
]);
clearInterval(timer);
await pollStoreMemory();
samples.push({ ...sample(), store: storeMem });

const warm = samples.find((s) => s.t * 1000 >= WARMUP) || samples[0];
const end = samples[samples.length - 1];
// Resident size moves by several MB from one sample to the next (each
// export opens a connection with its own page cache for its length), so the
// levels compared are medians of the samples in the minute after the
// warm-up and in the last minute; the single samples are printed as well.
const median = (xs) => { const v = [...xs].sort((a, b) => a - b); return v.length ? v[v.length >> 1] : 0; };
const inWindow = (t0s, t1s) => samples.filter((s) => s.t >= t0s && s.t <= t1s).map((s) => s.rss);
const warmLevel = median(inWindow(warm.t, warm.t + 60)) || warm.rss;
const endLevel = median(inWindow(end.t - 60, end.t)) || end.rss;
const growth = (endLevel - warmLevel) / warmLevel;
const secs = (Date.now() - t0) / 1000;
const total = Object.values(stats).reduce((a, s) => a + s.n, 0);
const s5 = Object.values(stats).reduce((a, s) => a + s.s5xx, 0);
const bad = Object.values(stats).reduce((a, s) => a + s.s4xx, 0);
console.log(`\nsoak: ${secs.toFixed(0)} s, ${READERS} readers, ${WRITE_RATE} writes/s, ${EXPORTERS} exporter(s)`);
console.log('kind        requests    2xx    4xx    5xx  no answer  mean ms');
for (const [k, s] of Object.entries(stats).sort()) {
  console.log(`${k.padEnd(10)} ${String(s.n).padStart(9)} ${String(s.s2xx).padStart(6)} ${String(s.s4xx).padStart(6)} `
    + `${String(s.s5xx).padStart(6)} ${String(s.err).padStart(10)} ${(s.ms / Math.max(1, s.n)).toFixed(1).padStart(8)}`);
}
console.log(`total ${total} requests (${(total / secs).toFixed(0)}/s), 5xx: ${s5}, unexpected 4xx: ${bad}, errors: ${errors.length}`);
console.log(`rss after warm-up (t=${warm.t}s): ${(warm.rss / 1024).toFixed(1)} MB (anon ${(warm.anon / 1024).toFixed(1)}, file ${(warm.file / 1024).toFixed(1)}); `
  + `end (t=${end.t}s): ${(end.rss / 1024).toFixed(1)} MB (anon ${(end.anon / 1024).toFixed(1)}, file ${(end.file / 1024).toFixed(1)}); `
  + `single samples ${(((end.rss - warm.rss) / warm.rss) * 100).toFixed(1)}%; `
  + `median of the minute after warm-up ${(warmLevel / 1024).toFixed(1)} MB -> of the last minute ${(endLevel / 1024).toFixed(1)} MB: change ${(growth * 100).toFixed(1)}%; storage engine heap ${(warm.store / 1048576).toFixed(1)} -> ${(end.store / 1048576).toFixed(1)} MB; peak ${(end.hwm / 1024).toFixed(1)} MB; fds ${warm.fds} -> ${end.fds}; `
  + `threads ${warm.threads} -> ${end.threads}${DB ? `; database+WAL ${(warm.db / 1048576).toFixed(1)} -> ${(end.db / 1048576).toFixed(1)} MB` : ''}`);
for (const e of errors.slice(0, 20)) console.log(`error: ${e}`);
const ok = s5 === 0 && errors.length === 0 && growth <= 0.10;
console.log(ok ? 'soak: PASS' : 'soak: FAIL');
process.exit(ok ? 0 : 1);
