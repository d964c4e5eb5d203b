// Slow clients cannot starve the others (issue 19, finding 2): a request head has a total
// deadline (not reset by each byte), a body a minimum rate, and when the connections run
// short the one that has waited longest for its head makes room. At a short scale: a 3 s
// head deadline and room for 1,000 connections, against 1,100 connections from 20
// addresses (55 each, under the per-address cap) that send one byte a second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const HEAD_TIMEOUT = 3;

function connect(port, localAddress = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(s));
    s.once('error', reject);
  });
}

/** A GET on a fresh connection; resolves { status, ms }, or rejects after 5 s. */
function probe(port) {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let got = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error('no answer in 5 s')); }, 5000);
    s.on('connect', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    s.on('data', (d) => {
      got += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m) { clearTimeout(timer); s.destroy(); resolve({ status: Number(m[1]), ms: performance.now() - t0 }); }
    });
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
    s.on('close', () => { clearTimeout(timer); reject(new Error(`closed without an answer: ${got.slice(0, 80)}`)); });
  });
}

/** Runs slowclients.mjs; resolves { ready: Promise, done: Promise<stats> }. */
function slowClients(port, seconds, addresses, perAddress) {
  const child = spawn(process.execPath, [path.join(here, 'slowclients.mjs'), String(port),
    String(seconds), String(addresses), String(perAddress)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let readyResolve;
  const ready = new Promise((r) => { readyResolve = r; });
  child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('ready\n')) readyResolve();
  });
  const done = new Promise((resolve, reject) => child.once('exit', () => {
    readyResolve();
    try {
      resolve(JSON.parse(out.trim().split('\n').pop()));
    } catch {
      reject(new Error(`the slow clients ended without their figures: ${out.slice(-200)}`));
    }
  }));
  done.catch(() => {}); // read only when the test gets that far
  return { ready, done, kill: () => child.kill() };
}

/** Probes every 200 ms for ms milliseconds; returns the latencies, sorted. */
async function probeFor(port, ms) {
  const latencies = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const p = await probe(port);
    assert.equal(p.status, 200);
    latencies.push(p.ms);
    await new Promise((r) => setTimeout(r, 200));
  }
  return latencies.sort((x, y) => x - y);
}

test('a probe is answered within 1 s while 1,100 slow connections trickle their heads', async () => {
  // The shipped connection settings, with a short head deadline.
  const srv = await startServer({ env: { MELDPUNT_HEAD_TIMEOUT: String(HEAD_TIMEOUT) } });
  const port = Number(new URL(srv.url).port);
  const seconds = HEAD_TIMEOUT + 5;
  const slow = slowClients(port, seconds, 20, 55);
  try {
    await slow.ready;
    const latencies = await probeFor(port, (HEAD_TIMEOUT + 2) * 1000);
    const stats = await slow.done;
    const max = latencies[latencies.length - 1];
    const longest = Math.max(...stats.lifetimes);
    console.log(`1,100 slow connections: ${latencies.length} probes, median ` +
      `${latencies[latencies.length >> 1].toFixed(1)} ms, max ${max.toFixed(1)} ms; slow connections ` +
      `opened ${stats.opened}, refused ${stats.refused}, closed by the server ${stats.lifetimes.length}, ` +
      `longest lived ${longest} ms`);
    assert.ok(max < 1000, `a probe waited ${max.toFixed(0)} ms`);
    // Trickling does not extend the head deadline (libmicrohttpd's own 30 s timeout
    // restarts with every byte): each slow connection lived the deadline, plus the sweep
    // interval and the time to close 1,100 connections at once.
    assert.ok(stats.lifetimes.length >= 1100, `only ${stats.lifetimes.length} slow connections were closed`);
    assert.ok(longest < (HEAD_TIMEOUT + 2) * 1000, `a trickling connection lived ${longest} ms`);
  } finally {
    slow.kill();
    await srv.cleanup();
  }
});

test('when slow connections fill the server, the longest waiting makes room for a probe', async () => {
  // Room for 100 connections, 150 slow ones, a head deadline too long to help.
  const srv = await startServer({ env: { MELDPUNT_MAX_CONNECTIONS: '100', MELDPUNT_HEAD_TIMEOUT: '60' } });
  const port = Number(new URL(srv.url).port);
  const slow = slowClients(port, 5, 3, 50);
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const latencies = await probeFor(port, 2000);
    const stats = await slow.done;
    const max = latencies[latencies.length - 1];
    console.log(`150 slow connections on 100 places: ${latencies.length} probes, max ${max.toFixed(1)} ms; ` +
      `evicted ${stats.lifetimes.length}`);
    assert.ok(max < 1000, `a probe waited ${max.toFixed(0)} ms`);
    assert.ok(stats.lifetimes.length > 50, 'slow connections were not evicted');
  } finally {
    slow.kill();
    await srv.cleanup();
  }
});

test('a body that trickles below the minimum rate is cut off; a steady one is not', async () => {
  const srv = await startServer({ env: { MELDPUNT_HEAD_TIMEOUT: '2', MELDPUNT_BODY_MIN_RATE: '200' } });
  const port = Number(new URL(srv.url).port);
  try {
    const body = JSON.stringify({ category: 'graffiti', lat: 41.8781, lon: -87.6298, description: 'x'.repeat(1500) });
    async function upload(bytesPerSecond) {
      const s = await connect(port);
      const t0 = performance.now();
      let got = '';
      s.on('data', (d) => { got += d; });
      s.on('error', () => {});
      s.write(`POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`);
      let sent = 0;
      const step = Math.max(1, Math.round(bytesPerSecond / 10));
      const tick = setInterval(() => {
        if (s.destroyed || sent >= body.length) return;
        s.write(body.slice(sent, sent + step));
        sent += step;
      }, 100);
      await new Promise((resolve) => s.once('close', resolve).setTimeout(12000, () => s.destroy()));
      clearInterval(tick);
      return { got, ms: performance.now() - t0, sent };
    }
    const [slow, steady] = await Promise.all([upload(20), upload(400)]);
    assert.equal(slow.got, '', `the trickling upload got an answer: ${slow.got.slice(0, 80)}`);
    assert.ok(slow.ms < 5000, `the trickling upload lived ${slow.ms.toFixed(0)} ms`);
    assert.match(steady.got, /^HTTP\/1\.1 201/, `the steady upload: ${steady.got.slice(0, 200)}`);
  } finally {
    await srv.cleanup();
  }
});
