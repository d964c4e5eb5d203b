// Slow clients for tests/api/slowloris.test.mjs, in a process of their own so that the
// test's probes do not wait behind them in one event loop.
// Usage: node slowclients.mjs PORT SECONDS ADDRESSES PER_ADDRESS
// Opens ADDRESSES x PER_ADDRESS connections from 127.0.2.1, 127.0.2.2, ... Each sends a
// request line, then one header byte a second, and reconnects 100 ms after the server
// closes it. Prints "ready" once all are open, and at the end one JSON line:
// { opened, refused, lifetimes: [ms a connection lived until the server closed it] }.
import net from 'node:net';

const [port, seconds, addresses, perAddress] = process.argv.slice(2).map(Number);
let running = true, opened = 0, refused = 0, ready = 0;
const lifetimes = [];
const total = addresses * perAddress;

function connect(localAddress) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(s));
    s.once('error', () => resolve(null));
  });
}

async function slow(addr) {
  let first = true;
  while (running) {
    const s = await connect(addr);
    if (!s) {
      refused++;
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    opened++;
    if (first && ++ready === total) console.log('ready');
    first = false;
    s.on('error', () => {});
    const t0 = performance.now();
    s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const tick = setInterval(() => { if (!s.destroyed) s.write('X'); }, 1000);
    await new Promise((r) => s.once('close', r));
    clearInterval(tick);
    if (running) lifetimes.push(Math.round(performance.now() - t0));
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (let a = 1; a <= addresses; a++)
  for (let k = 0; k < perAddress; k++) slow(`127.0.2.${a}`);
setTimeout(() => {
  running = false;
  // Written out before exiting: console.log to a pipe is asynchronous.
  process.stdout.write(`${JSON.stringify({ opened, refused, lifetimes })}\n`, () => process.exit(0));
}, seconds * 1000);
