// bench/notify.mjs - what the outbox sender sustains to a local SMTP server (issue 16's note):
//  1. throughput: NOTIFY_N reports with an address each are queued while no relay is
//     configured; the server is restarted with MELDPUNT_SMTP_URL pointing at the sink
//     (tests/notify/smtp_sink.py, aiosmtpd) and drains the backlog: messages per second from
//     the first message's arrival to the last's (and from the restart);
//  2. delay: NOTIFY_DELAY_N reports posted one at a time (NOTIFY_GAP_MS apart) to a running
//     server: from the 201 (the commit) to the sink writing the confirmation, median/p95/max.
// Prints the figures; asserts nothing. Run through bench/notify.sh (which builds Release).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { api, startServer, LOOP, offset } from '../tests/api/lib.mjs';
import { startSink } from '../tests/notify/mail.mjs';

const N = Number(process.env.NOTIFY_N || 1000);
const DELAY_N = Number(process.env.NOTIFY_DELAY_N || 50);
const GAP_MS = Number(process.env.NOTIFY_GAP_MS || 200);
const FROM = 'meldpunt@city.example';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Arrival times (ns, the sink's clock) of the messages so far, oldest first. */
async function arrivals(sink) {
  const names = (await readdir(sink.dir)).filter((f) => f.endsWith('.json')).sort();
  const out = [];
  for (const n of names) {
    const meta = JSON.parse(await readFile(path.join(sink.dir, n), 'utf8'));
    out.push({ ns: BigInt(meta.received_ns), rcpt: meta.rcpt_tos[0], file: n });
  }
  return out;
}
async function count(sink) {
  return (await readdir(sink.dir)).filter((f) => f.endsWith('.json')).length;
}
async function waitCount(sink, n, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while ((await count(sink)) < n) {
    if (Date.now() > end) throw new Error(`the sink has ${await count(sink)} of ${n} messages`);
    await sleep(20);
  }
}

/** A point on a grid west of the Loop: reports 60 m apart never join (graffiti joins within 25 m). */
const at = (k) => offset(LOOP, 60 * (k % 60) - 1800, -2000 - 60 * Math.floor(k / 60));

async function post(srv, k, email) {
  const p = at(k);
  const r = await api(srv.url, 'POST', '/api/v1/reports', {
    json: { category: 'graffiti', lat: p.lat, lon: p.lon, description: 'bench', contact: { email } } });
  if (r.status !== 201) throw new Error(`POST: ${r.status} ${r.text}`);
  return r.body.report.id;
}

const pct = (xs, q) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))];

async function main() {
  const sink = await startSink();
  // 1. A backlog, queued with no relay configured; then drained.
  const queueing = await startServer({ env: { MELDPUNT_MAIL_FROM: FROM } });
  const t0 = Date.now();
  for (let k = 0; k < N; k++) await post(queueing, k, `bench${k}@example.org`);
  const postSecs = (Date.now() - t0) / 1000;
  await queueing.stop();
  const env = { MELDPUNT_SMTP_URL: sink.url, MELDPUNT_SMTP_TLS: 'none', MELDPUNT_MAIL_FROM: FROM };
  const restartNs = process.hrtime.bigint();
  const draining = await startServer({ env, db: queueing.db });
  await waitCount(sink, N, 600000);
  const drainWall = (process.hrtime.bigint() - restartNs);
  const a = await arrivals(sink);
  const span = Number(a[N - 1].ns - a[0].ns) / 1e9;
  const fromStart = Number(drainWall) / 1e9;
  console.log(`queued ${N} confirmations (${(N / postSecs).toFixed(0)} reports/s posted, no relay)`);
  console.log(`throughput: ${((N - 1) / span).toFixed(0)} messages/s sustained (first to last arrival, ${span.toFixed(2)} s);`
    + ` ${(N / fromStart).toFixed(0)} messages/s from the restart (${fromStart.toFixed(2)} s, server start included)`);

  // 2. Delay from the commit (the 201) to the sink, one report at a time.
  const delays = [];
  for (let k = 0; k < DELAY_N; k++) {
    const before = await count(sink);
    const sent = BigInt(Date.now()) * 1000000n;
    await post(draining, N + k, `delay${k}@example.org`);
    const answered = BigInt(Date.now()) * 1000000n;
    await waitCount(sink, before + 1, 30000);
    const last = (await arrivals(sink)).at(-1);
    // The commit happened between sending the POST and its answer: take the answer (the
    // smaller delay, what a client can observe), and say how long POSTs took.
    delays.push({ ms: Number(last.ns - answered) / 1e6, post: Number(answered - sent) / 1e6 });
    await sleep(GAP_MS);
  }
  const ms = delays.map((d) => d.ms).sort((x, y) => x - y);
  const posts = delays.map((d) => d.post).sort((x, y) => x - y);
  console.log(`delay from commit (201) to delivery, ${DELAY_N} reports ${GAP_MS} ms apart:`
    + ` median ${pct(ms, 0.5).toFixed(0)} ms, p95 ${pct(ms, 0.95).toFixed(0)} ms, max ${ms.at(-1).toFixed(0)} ms`
    + ` (the POST itself: median ${pct(posts, 0.5).toFixed(0)} ms)`);
  await draining.cleanup();
  await queueing.cleanup();
  await sink.stop();
}

main().catch((e) => { console.error(e); process.exit(1); });
