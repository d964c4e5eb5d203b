// Requests that libmicrohttpd 0.9.75 (Debian 12's) would mishandle are answered or refused
// (issue 19, finding 5): many empty query arguments, targets up to the 8 KiB limit, an
// ambiguous body length (two Content-Length, Content-Length with chunked) and control
// bytes in the decoded path. Raw sockets, because fetch would not send most of these.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from './lib.mjs';

let srv, port;
before(async () => {
  srv = await startServer();
  port = Number(new URL(srv.url).port);
});
after(async () => srv?.cleanup());

/**
 * Sends raw bytes; resolves { status, body (parsed JSON), closed (the server ended the
 * connection), text } once one answer is in and the server either closed or kept quiet
 * for 300 ms; { status: 0 } when nothing came within 3 s.
 */
function raw(bytes) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(bytes));
    let text = '';
    let quiet;
    const finish = (closed) => {
      clearTimeout(quiet);
      clearTimeout(giveUp);
      s.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      const at = text.indexOf('\r\n\r\n');
      let body;
      try { body = JSON.parse(text.slice(at + 4)); } catch { body = undefined; }
      resolve({ status: m ? Number(m[1]) : 0, body, closed, text });
    };
    const giveUp = setTimeout(() => finish(false), 3000);
    s.on('data', (d) => {
      text += d;
      clearTimeout(quiet);
      quiet = setTimeout(() => finish(false), 300);
    });
    s.on('end', () => finish(true));
    s.on('error', () => finish(true));
  });
}

const get = (target) => raw(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);

test('a thousand empty query arguments get an answer', async () => {
  for (const q of ['a&'.repeat(1000), '&'.repeat(2000), '=&'.repeat(1000)]) {
    const r = await get(`/api/v1/reports?${q}`);
    assert.equal(r.status, 400, `no answer to ${q.slice(0, 6)}... (${q.length} bytes): ${r.text.slice(0, 80)}`);
    assert.equal(r.body.error.code, 'unknown_parameter');
  }
});

test('targets up to the 8 KiB limit are answered by the route, longer ones get 414', async () => {
  const path = '/api/v1/reports?';
  for (const q of ['&'.repeat(8192 - path.length), 'x=1&'.repeat((8192 - path.length) >> 2),
    `category=${'a'.repeat(8192 - path.length - 9)}`]) {
    const r = await get(path + q);
    assert.equal((path + q).length <= 8192, true);
    assert.equal(r.status, 400, `${q.slice(0, 8)}... (${path.length + q.length} bytes): ${r.text.slice(0, 120)}`);
    assert.notEqual(r.body.error.code, 'uri_too_long');
  }
  const over = await get(`${path}${'&'.repeat(8192 - path.length + 1)}`);
  assert.equal(over.status, 414);
  assert.equal(over.body.error.code, 'uri_too_long');
});

test('an ambiguous body length is refused with 400 and the connection closed', async () => {
  const head = 'POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';
  const cases = {
    'two Content-Length': `${head}Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}`,
    'Content-Length and chunked': `${head}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    'chunked and Content-Length': `${head}Transfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
  };
  for (const [name, bytes] of Object.entries(cases)) {
    const r = await raw(bytes);
    assert.equal(r.status, 400, `${name}: ${r.text.slice(0, 120)}`);
    assert.equal(r.body.error.code, 'invalid_framing', name);
    assert.match(r.body.error.message, /body length is ambiguous/);
    assert.ok(r.closed, `${name}: the connection was kept open`);
  }
  // One Content-Length, or chunked alone, are fine (the route answers: the body is {}).
  for (const bytes of [`${head}Content-Length: 2\r\n\r\n{}`,
    `${head}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`]) {
    const r = await raw(bytes);
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'missing_field');
  }
});

test('control bytes in the decoded path are refused with 400', async () => {
  for (const target of ['/api/v1/staff/queue%00.css', '/api/v1/categories%00', '/healthz%0a',
    '/api/v1/categories%1F', '/healthz%7f', '/api/v1/reports%0D%0AX-Injected:%201']) {
    const r = await get(target);
    assert.equal(r.status, 400, `${target}: ${r.text.slice(0, 120)}`);
    assert.equal(r.body.error.code, 'invalid_path', target);
    assert.match(r.body.error.message, /control character/);
  }
  // An encoded percent sign is no control byte; a control byte in a query value is the
  // parameter's business.
  assert.equal((await get('/healthz%2500')).status, 404);
  const q = await get('/api/v1/categories?x=%0a');
  assert.equal(q.body.error.code, 'unknown_parameter');
  const ok = await get('/healthz');
  assert.equal(ok.status, 200);
});
