// The systemd unit and the server's side of Type=notify (issue 17 point 5):
// `systemd-analyze verify` on contrib/systemd/meldpunt.service (with ExecStart pointed at this
// build, since verify checks that the program exists), and the messages the server sends to
// NOTIFY_SOCKET, caught by a datagram socket in Python: READY=1 once it listens, WATCHDOG=1 at
// half of WATCHDOG_USEC while its database answers, STOPPING=1 on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BINARY, SOURCE_DIR, CITY_DIR } from '../api/lib.mjs';
import { run, PYTHON } from './lib.mjs';

const UNIT = path.join(SOURCE_DIR, 'contrib', 'systemd', 'meldpunt.service');

test('systemd-analyze verify accepts the unit; it asks for notify, a watchdog and a sandbox', async () => {
  // Missing, it fails (scripts/setup.sh test installs Debian's systemd): a check that did
  // not run must not pass.
  const which = await run('sh', ['-c', 'command -v systemd-analyze']);
  assert.equal(which.code, 0, 'systemd-analyze is not installed (apt-get install systemd)');
  const text = await readFile(UNIT, 'utf8');
  for (const line of ['Type=notify', 'WatchdogSec=30s', 'DynamicUser=yes', 'ProtectSystem=strict',
    'NoNewPrivileges=yes', 'PrivateDevices=yes', 'SystemCallFilter=@system-service', 'CapabilityBoundingSet=',
    'StateDirectory=meldpunt']) assert.ok(text.split('\n').includes(line), `the unit sets ${line}`);
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-unit-'));
  try {
    const unit = path.join(dir, 'meldpunt.service');
    assert.ok(text.includes('ExecStart=/usr/local/bin/meldpunt '));
    const ours = text.replace('ExecStart=/usr/local/bin/meldpunt ', `ExecStart=${BINARY} `);
    await writeFile(unit, ours);
    const r = await run('systemd-analyze', ['verify', unit]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', r.stderr);
    // Control: a misspelt directive is reported, so the check above can fail.
    await writeFile(unit, ours.replace('ProtectSystem=strict', 'ProtectSystem=strictly'));
    const bad = await run('systemd-analyze', ['verify', unit]);
    assert.match(bad.stderr, /Failed to parse protect system value, ignoring: strictly/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// Binds a datagram socket, prints "ready" and then every message it receives, one a line.
const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
while True:
    msg = s.recv(4096).decode()
    print(msg.replace("\\n", "|"), flush=True)
`;

test('sd_notify: READY=1, WATCHDOG=1 at half the interval, STOPPING=1 on SIGTERM', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-notify-'));
  const sock = path.join(dir, 'notify.sock');
  const listener = spawn(PYTHON, ['-c', LISTENER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  let heard = '';
  listener.stdout.on('data', (d) => { heard += d; });
  const until = async (re, ms) => {
    for (let waited = 0; !re.test(heard); waited += 20) {
      if (waited > ms) throw new Error(`not heard ${re} within ${ms} ms; heard:\n${heard}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  let server;
  try {
    await until(/^ready$/m, 5000);
    const t0 = Date.now();
    server = spawn(BINARY, ['serve', '--db', path.join(dir, 'db.sqlite'), '--listen', '127.0.0.1:0',
      '--city', CITY_DIR, '--web', path.join(SOURCE_DIR, 'web')], {
      env: { ...process.env, MELDPUNT_TILE_URL: '', NOTIFY_SOCKET: sock, WATCHDOG_USEC: '400000' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await until(/^READY=1\|STATUS=listening on http:\/\/127\.0\.0\.1:\d+$/m, 20000);
    // A ping at READY, then one every 200 ms: at least 4 more within a second.
    await new Promise((r) => setTimeout(r, 1100));
    const pings = heard.split('\n').filter((l) => l === 'WATCHDOG=1').length;
    assert.ok(pings >= 5 && pings <= 9, `${pings} watchdog pings in ~1.1 s at WATCHDOG_USEC=400000 (since ${Date.now() - t0} ms)`);
    assert.doesNotMatch(heard, /STOPPING/);
    const exited = new Promise((r) => server.once('exit', (code) => r(code)));
    server.kill('SIGTERM');
    await until(/^STOPPING=1$/m, 10000);
    assert.equal(await exited, 0);
    const after = heard.split('\n').filter((l) => l === 'WATCHDOG=1').length;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(heard.split('\n').filter((l) => l === 'WATCHDOG=1').length, after, 'no ping after stopping');
  } finally {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    listener.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
});
