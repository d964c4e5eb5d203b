// Plays the request corpus (corpus.txt) against a running meldpunt, one request
// at a time over a fresh TCP connection each, and writes every answer into OUTDIR:
//   OUTDIR/NNNN.http   "> METHOD TARGET" (tokens by name), the status line, the
//                      response headers but Date (sorted by name), a blank line,
//                      then the exact body bytes (chunked transfer decoded)
//   OUTDIR/index.tsv   NNNN, method, target, status, corpus line
// Before each request it writes the fake clock (libfaketime's timestamp file),
// so that every "now" the server stamps is a function of the request's place in
// the corpus and not of the wall clock.
//
// Usage: node play.mjs --port P --corpus FILE --tokens TOKENS.json --clock FILE
//                      --photos DIR --out OUTDIR
// The corpus syntax is described at the top of corpus.txt.
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';

const HOST = 'meldpunt.test';     // a fixed Host: links in Open311 and OGC answers use it
const BOUNDARY = 'replay-boundary-5e1f0c'; // fixed, so multipart bodies are byte-stable
const TIMEOUT_MS = 30000;

function args(argv) {
  const o = {};
  for (let i = 2; i < argv.length; i += 2) o[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const k of ['port', 'corpus', 'tokens', 'clock', 'photos', 'out'])
    if (!o[k]) throw new Error(`play.mjs: --${k} is required`);
  return o;
}

/* \xHH is the only escape in the corpus; everything else is literal. */
function unescape(s) {
  const out = [];
  for (let i = 0; i < s.length;) {
    if (s[i] === '\\' && s[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      out.push(Buffer.from([parseInt(s.slice(i + 2, i + 4), 16)]));
      i += 4;
    } else {
      const j = s.indexOf('\\x', i + 1);
      const end = j < 0 ? s.length : j;
      out.push(Buffer.from(s.slice(i, end), 'utf8'));
      i = end;
    }
  }
  return Buffer.concat(out);
}

const BODY_KINDS = new Set(['json', 'form', 'raw', 'multipart', 'bigjson']);

/* One corpus line -> { method, target, auth, headers[], saves[], kind, body }. */
function parseLine(line, lineno) {
  // save: words may also end the line, after a body.
  const tailSaves = [];
  for (let t; (t = /\s+(save:\S+)$/.exec(line));) {
    tailSaves.unshift(t[1]);
    line = line.slice(0, t.index);
  }
  const m = /^(\S+)\s+(\S+)\s*(.*)$/.exec(line);
  if (!m) throw new Error(`corpus line ${lineno}: expected METHOD TARGET ...`);
  const req = { lineno, method: m[1], target: m[2], auth: null, headers: [], saves: [],
                kind: null, body: '' };
  let rest = [...tailSaves, m[3]].join(' ').trim();
  while (rest.length) {
    const w = /^(\S+)\s*/.exec(rest);
    const word = w[1];
    if (BODY_KINDS.has(word)) {
      req.kind = word;
      req.body = rest.slice(w[0].length);
      break;
    }
    rest = rest.slice(w[0].length);
    if (word.startsWith('@')) req.auth = word.slice(1);
    else if (word.startsWith('H:')) {
      const eq = word.indexOf('=');
      if (eq < 0) throw new Error(`corpus line ${lineno}: header ${word} needs =`);
      req.headers.push([word.slice(2, eq), word.slice(eq + 1)]);
    } else if (word.startsWith('save:')) {
      const eq = word.indexOf('=');
      req.saves.push([word.slice(5, eq), new RegExp(word.slice(eq + 1))]);
    } else throw new Error(`corpus line ${lineno}: unknown word '${word}'`);
  }
  return req;
}

export function readCorpus(file) {
  const items = [];
  fs.readFileSync(file, 'utf8').split('\n').forEach((raw, i) => {
    const line = raw.replace(/\s+$/, '');
    if (!line || line.startsWith('#')) return;
    if (line.startsWith('!')) {
      const [cmd, ...val] = line.slice(1).split(/\s+/);
      if (cmd !== 'clock' && cmd !== 'step') throw new Error(`corpus line ${i + 1}: !${cmd}?`);
      items.push({ directive: cmd, value: val.join(' '), lineno: i + 1 });
      return;
    }
    items.push(parseLine(line, i + 1));
  });
  return items;
}

/* {{token:NAME}} and {{VAR}}: real values for sending, names for the record. */
function fill(s, tokens, vars, forDisplay) {
  return s.replace(/\{\{([a-z]+:)?([A-Za-z0-9_]+)\}\}/g, (all, kind, name) => {
    if (kind === 'pad:') return forDisplay ? all : 'a'.repeat(Number(name)); // long inputs
    if (kind === 'token:') {
      if (!(name in tokens)) throw new Error(`no token for account '${name}'`);
      return forDisplay ? `{{token:${name}}}` : tokens[name];
    }
    if (kind) throw new Error(`unknown placeholder ${all}`);
    // A save that found nothing (a changed answer) is recorded, not fatal.
    return name in vars ? vars[name] : `NOT-SAVED-${name}`;
  });
}

function multipart(spec, photos, tokens, vars) {
  const parts = [];
  for (const field of spec.split(/\s+/).filter(Boolean)) {
    const eq = field.indexOf('=');
    const name = field.slice(0, eq);
    const value = field.slice(eq + 1);
    let head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"`;
    let data;
    if (value.startsWith('@file:')) {
      const file = value.slice(6);
      const type = file.endsWith('.png') ? 'image/png' : file.endsWith('.gif') ? 'image/gif'
        : 'image/jpeg';
      head += `; filename="${file}"\r\nContent-Type: ${type}`;
      data = fs.readFileSync(path.join(photos, file));
    } else if (value.startsWith('@junk:')) {
      const n = Number(value.slice(6));
      head += '; filename="junk.jpg"\r\nContent-Type: image/jpeg';
      data = Buffer.alloc(n);
      for (let i = 0; i < n; i++) data[i] = (i * 131 + 7) & 0xff; // fixed bytes
    } else {
      data = unescape(fill(value, tokens, vars, false));
    }
    parts.push(Buffer.from(head + '\r\n\r\n'), data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

/* A pothole report whose description pads the JSON body to exactly n bytes. */
function bigJson(n) {
  const head = '{"category":"pothole","lat":41.8781,"lon":-87.6298,"description":"';
  const tail = '"}';
  return Buffer.from(head + 'x'.repeat(Math.max(0, n - head.length - tail.length)) + tail);
}

function buildRequest(req, tokens, vars, photos) {
  const target = fill(req.target, tokens, vars, false);
  let body = Buffer.alloc(0);
  let ctype = null;
  switch (req.kind) {
  case 'json': ctype = 'application/json'; body = unescape(fill(req.body, tokens, vars, false)); break;
  case 'form': ctype = 'application/x-www-form-urlencoded';
    body = unescape(fill(req.body, tokens, vars, false)); break;
  case 'raw': body = unescape(fill(req.body, tokens, vars, false)); break;
  case 'multipart': ctype = `multipart/form-data; boundary=${BOUNDARY}`;
    body = multipart(req.body, photos, tokens, vars); break;
  case 'bigjson': ctype = 'application/json'; body = bigJson(Number(req.body)); break;
  default: break;
  }
  const headers = [['Host', HOST]];
  const set = (k, v) => {
    const i = headers.findIndex(([h]) => h.toLowerCase() === k.toLowerCase());
    if (i >= 0) headers[i] = [k, v]; else headers.push([k, v]);
  };
  // A fixed request id per corpus line (the server would make a random one); H: may override.
  set('X-Request-Id', `replay-${req.lineno}`);
  if (req.auth) set('Authorization', `Bearer ${fill(`{{token:${req.auth}}}`, tokens, vars, false)}`);
  if (ctype) set('Content-Type', ctype);
  for (const [k, v] of req.headers) set(k, unescape(fill(v, tokens, vars, false)).toString('latin1'));
  if (body.length || req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH')
    set('Content-Length', String(body.length));
  set('Connection', 'close');
  const head = `${req.method} ${target} HTTP/1.1\r\n` +
    headers.map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
  return { bytes: Buffer.concat([Buffer.from(head, 'latin1'), body]),
           display: `${req.method} ${fill(req.target, tokens, vars, true)}` };
}

function exchange(port, bytes) {
  return new Promise((resolve) => {
    const chunks = [];
    const sock = net.createConnection({ host: '127.0.0.1', port });
    const timer = setTimeout(() => { sock.destroy(); resolve({ data: Buffer.concat(chunks), timeout: true }); },
      TIMEOUT_MS);
    // No half-close: the server closes after the answer (Connection: close).
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', () => {}); // a reset after the answer (e.g. an early 413) is fine
    sock.on('close', () => { clearTimeout(timer); resolve({ data: Buffer.concat(chunks), timeout: false }); });
  });
}

function dechunk(buf) {
  const out = [];
  let i = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) return null;
    const size = parseInt(buf.slice(i, eol).toString('latin1').split(';')[0], 16);
    if (Number.isNaN(size)) return null;
    if (size === 0) return Buffer.concat(out);
    out.push(buf.slice(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}

/* -> { statusLine, status, headers: [[name, value]], body } */
function parseResponse(data, method) {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return { statusLine: 'NO ANSWER', status: 0, headers: [], body: data };
  const lines = data.slice(0, end).toString('latin1').split('\r\n');
  const statusLine = lines.shift();
  const status = Number(statusLine.split(' ')[1]);
  const headers = lines.map((l) => {
    const c = l.indexOf(':');
    return [l.slice(0, c), l.slice(c + 1).trim()];
  });
  const get = (n) => (headers.find(([k]) => k.toLowerCase() === n) || [])[1];
  let body = data.slice(end + 4);
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200))
    body = Buffer.alloc(0);
  else if ((get('transfer-encoding') || '').toLowerCase() === 'chunked') {
    const d = dechunk(body);
    body = d === null ? Buffer.concat([Buffer.from('[BROKEN CHUNKED BODY]\n'), body]) : d;
  } else if (get('content-length') !== undefined) {
    body = body.slice(0, Number(get('content-length')));
  }
  return { statusLine, status, headers, body };
}

/* The only fields normalised (see README.md): store_memory_bytes of /healthz,
 * sqlite3_memory_used(), which follows how statements and caches are held, not
 * what the server answers; and the sample values of /metrics (times). The Content-Length of a normalised body follows the
 * new length; that of HEAD /healthz is written as "normalised". */
const NORMALISE = [[/"store_memory_bytes":[0-9]+/g, '"store_memory_bytes":0'],
  // /metrics: which series exist follows the corpus; their values (times, sizes) do not.
  [/^(meldpunt_[a-z_]+(?:\{.*\})?) [-+0-9.eInfa]+$/gm, '$1 N']];

function normalise(res, tokens, method, target) {
  // HEAD /healthz has no body, but its Content-Length counts that field's digits.
  if (method === 'HEAD' && ['/healthz', '/metrics'].includes(target.split('?')[0])) {
    return { ...res, headers: res.headers.map(([k, v]) =>
      (k.toLowerCase() === 'content-length' ? [k, 'normalised'] : [k, v])) };
  }
  let text = res.body.toString('latin1');
  let changed = false;
  for (const [re, to] of NORMALISE) {
    const t = text.replace(re, to);
    if (t !== text) { text = t; changed = true; }
  }
  // Tokens are random per run: if an answer ever echoed one, record its name.
  for (const [name, tok] of Object.entries(tokens)) {
    if (text.includes(tok)) { text = text.split(tok).join(`{{token:${name}}}`); changed = true; }
  }
  if (!changed) return res;
  const body = Buffer.from(text, 'latin1');
  const headers = res.headers.map(([k, v]) =>
    (k.toLowerCase() === 'content-length' ? [k, String(body.length)] : [k, v]));
  return { ...res, body, headers };
}

function clockText(t) {
  return new Date(t * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

function parseClock(s) {
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new Error(`bad !clock ${s}`);
  return Math.floor(t / 1000);
}

function setClock(file, t) {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${clockText(t)}\n`);
  fs.renameSync(tmp, file); // atomic: the server never reads half a file
}

async function main() {
  const o = args(process.argv);
  const tokens = JSON.parse(fs.readFileSync(o.tokens, 'utf8'));
  const items = readCorpus(o.corpus);
  fs.mkdirSync(o.out, { recursive: true });
  const vars = {};
  const index = [];
  let clock = parseClock('2021-01-04T14:00:00Z');
  let step = 20;
  let n = 0;
  let authFailures = 0;
  for (const it of items) {
    if (it.directive === 'clock') { clock = parseClock(it.value); continue; }
    if (it.directive === 'step') { step = Number(it.value); continue; }
    n++;
    const id = String(n).padStart(4, '0');
    setClock(o.clock, clock);
    clock += step;
    const { bytes, display } = buildRequest(it, tokens, vars, o.photos);
    const got = await exchange(Number(o.port), bytes);
    let res = parseResponse(got.data, it.method);
    if (got.timeout) res.statusLine = `TIMEOUT after ${TIMEOUT_MS} ms; ${res.statusLine}`;
    res = normalise(res, tokens, it.method, it.target);
    if (res.status === 401 && (it.auth || it.headers.some(([k]) => /^authorization$/i.test(k))))
      authFailures++;
    const hdrs = res.headers.filter(([k]) => k.toLowerCase() !== 'date')
      .sort(([a], [b]) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
    const head = `> ${display}\n${res.statusLine}\n` + hdrs.map(([k, v]) => `${k}: ${v}\n`).join('') + '\n';
    // save: looks at the recorded head and body (so it can take a header too).
    for (const [name, re] of it.saves) {
      const m = re.exec(head + res.body.toString('utf8'));
      vars[name] = m ? m[1] : `NOT-FOUND-${name}`;
    }
    fs.writeFileSync(path.join(o.out, `${id}.http`), Buffer.concat([Buffer.from(head, 'latin1'), res.body]));
    index.push(`${id}\t${it.method}\t${display.slice(it.method.length + 1)}\t${res.status}\t${it.lineno}`);
  }
  fs.writeFileSync(path.join(o.out, 'index.tsv'), index.join('\n') + '\n');
  // The auth limiter (10 failed sign-ins, then one a second, wall clock) cannot be
  // switched off: more bad tokens than that would make answers depend on timing.
  if (authFailures > 9)
    process.stderr.write(`play.mjs: warning: ${authFailures} requests failed sign-in; ` +
      'more than 9 can meet the sign-in rate limit and make the replay timing-dependent\n');
  process.stdout.write(`${n} requests played\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => { process.stderr.write(`play.mjs: ${e.stack || e}\n`); process.exit(1); });
}
