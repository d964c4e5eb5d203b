// Shared helpers of the interoperability tests: real clients that nobody here wrote (GDAL's
// ogrinfo/ogr2ogr, OWSLib, a FixMyStreet-format Open311 client) against the real server, with
// a recording proxy in between so that a test can assert what reached the server.
import { execFile } from 'node:child_process';
import http from 'node:http';

/** A reverse proxy to target (http://host:port) that records every request's method and
 *  target. Returns { url, requests: [{method, url}], reset(), close() }. */
export async function recordingProxy(target) {
  const up = new URL(target);
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url });
    const fwd = http.request({
      host: up.hostname, port: up.port, method: req.method, path: req.url,
      headers: req.headers, // Host stays the proxy's: trusted, the server builds links from it
    }, (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
    fwd.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    req.pipe(fwd);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    reset() { requests.length = 0; },
    close() { server.closeAllConnections(); return new Promise((resolve) => server.close(resolve)); },
  };
}

/** Runs a program; resolves { code, stdout, stderr } whatever its exit status. */
export function run(cmd, args, { env = {}, timeout = 300000 } = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

/** Debian's python with its packages (python3-owslib), whatever python3 comes first on PATH. */
export const PYTHON = '/usr/bin/python3';
