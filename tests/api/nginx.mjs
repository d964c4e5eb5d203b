// A real nginx (Debian's) as a reverse proxy in front of a test server, configured with
// contrib/nginx/meldpunt.conf: the upstream is pointed at the test server, the TLS listen
// lines become plain HTTP on a free port of 127.0.0.1, and the certificate lines and the
// port-80 redirect server are dropped. Everything else is the file as shipped.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SOURCE_DIR } from './lib.mjs';

export const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'];

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** The shipped config with the test's upstream(s) and listen port: upstreamPort is one port
 * or an array of ports (several servers on one PostgreSQL database, one `server` line each). */
export async function testConfig(upstreamPort, listenPort) {
  const conf = await readFile(path.join(SOURCE_DIR, 'contrib', 'nginx', 'meldpunt.conf'), 'utf8');
  const ports = [upstreamPort].flat();
  const out = conf
    .replace(/server 127\.0\.0\.1:8080;/, ports.map((p) => `server 127.0.0.1:${p};`).join('\n    '))
    .replace(/server \{\n {4}listen 80;[\s\S]*?\n\}\n/, '')
    .replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${listenPort};`)
    .replace(/ *listen \[::\]:443 ssl http2;\n/, '')
    .replace(/ *ssl_certificate(_key)? .*\n/g, '');
  for (const must of [...ports.map((p) => `server 127.0.0.1:${p};`), `listen 127.0.0.1:${listenPort};`]) {
    if (!out.includes(must)) throw new Error(`contrib/nginx/meldpunt.conf changed shape: no "${must}"`);
  }
  // No TLS directive and no listen line but the test's (port numbers are random: match
  // whole directives, not digits).
  const listens = out.split('\n').filter((l) => /^\s*listen\s/.test(l));
  if (/^\s*ssl_|\bssl\b/m.test(out) || listens.length !== 1) {
    throw new Error(`contrib/nginx/meldpunt.conf: TLS or other listen lines left: ${listens.join(' | ')}`);
  }
  return out;
}

/** Starts nginx in front of upstreamUrl (http://127.0.0.1:PORT, or an array of them).
 * Returns { url, stop(), errors() }. */
export async function startNginx(upstreamUrl) {
  const { access } = await import('node:fs/promises');
  let bin;
  for (const b of NGINX) { try { await access(b); bin = b; break; } catch { /* next */ } }
  if (!bin) throw new Error('nginx is not installed (scripts/setup.sh test installs it)');
  const dir = await mkdtemp(path.join(tmpdir(), 'meldpunt-nginx-'));
  await mkdir(path.join(dir, 'tmp'));
  const port = await freePort();
  const upstreamPort = [upstreamUrl].flat().map((u) => Number(new URL(u).port));
  await writeFile(path.join(dir, 'meldpunt.conf'), await testConfig(upstreamPort, port));
  const t = path.join(dir, 'tmp');
  await writeFile(path.join(dir, 'nginx.conf'), `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${t}; proxy_temp_path ${t}; fastcgi_temp_path ${t};
  uwsgi_temp_path ${t}; scgi_temp_path ${t};
  include ${dir}/meldpunt.conf;
}
`);
  const child = spawn(bin, ['-e', path.join(dir, 'error.log'), '-p', dir, '-c', path.join(dir, 'nginx.conf')],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  // Up when it answers.
  for (let i = 0; ; i++) {
    try {
      await new Promise((resolve, reject) => {
        http.get(`${url}/healthz`, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
      });
      break;
    } catch (e) {
      if (i > 100 || child.exitCode !== null) throw new Error(`nginx did not start: ${e.message}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    errors: async () => readFile(path.join(dir, 'error.log'), 'utf8').catch(() => ''),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One HTTP request from a chosen local address (127.0.0.x is all loopback on Linux), so
 * that nginx sees distinct clients. Returns { status, headers, body, text }.
 */
export function request(base, method, p, { from = '127.0.0.1', json, token, headers = {}, agent } = {}) {
  const u = new URL(base + p);
  const h = { ...headers };
  let payload;
  if (json !== undefined) { h['Content-Type'] = 'application/json'; payload = JSON.stringify(json); }
  if (token) h.Authorization = `Bearer ${token}`;
  if (payload !== undefined) h['Content-Length'] = Buffer.byteLength(payload);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method,
      headers: h, localAddress: from, agent: agent || false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let body;
        try { body = JSON.parse(text); } catch { body = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
