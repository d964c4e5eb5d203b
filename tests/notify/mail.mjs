// The tests' side of mail: a real SMTP server (smtp_sink.py on Debian's python3-aiosmtpd, run
// with /usr/bin/python3) started on a free port and writing what it receives into a folder,
// and a small RFC 5322 / MIME reader for what it wrote: unfolded headers, RFC 2047 encoded
// words, multipart/alternative parts, quoted-printable bodies. Shared by tests/api/notify,
// tests/e2e/notify and bench/notify.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// Debian's interpreter, where python3-aiosmtpd is installed (not a python3 earlier on PATH).
export const PYTHON = '/usr/bin/python3';

/**
 * Starts the sink. Returns { port, dir, url, stop(), start(), messages(), waitFor(pred) }:
 * stop() ends it (the port is then refused: "SMTP down"), start() brings it back on the
 * same port and folder.
 */
export async function startSink({ dir } = {}) {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing (scripts/setup.sh test installs python3-aiosmtpd)`);
  const folder = dir || await mkdtemp(path.join(tmpdir(), 'meldpunt-smtp-'));
  const sink = { dir: folder, port: 0, child: null };
  sink.start = () => new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(here, 'smtp_sink.py'), folder, String(sink.port)],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`SMTP sink did not start: ${out}${err}`)), 15000);
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        sink.port = Number(m[1]);
        sink.url = `smtp://127.0.0.1:${sink.port}`;
        resolve(sink);
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); if (!sink.port) reject(new Error(`SMTP sink exited ${code}: ${err}`)); });
    sink.child = child;
    sink.exited = new Promise((r) => child.once('exit', r));
  });
  sink.stop = async () => {
    if (sink.child && sink.child.exitCode === null) {
      sink.child.kill('SIGTERM');
      await sink.exited;
    }
  };
  /** Every message received so far, oldest first: parsed, with raw bytes and envelope. */
  sink.messages = async () => {
    const names = (await readdir(folder)).filter((f) => f.endsWith('.eml')).sort();
    const out = [];
    for (const n of names) {
      const raw = await readFile(path.join(folder, n));
      const envelope = JSON.parse(await readFile(path.join(folder, n.replace(/\.eml$/, '.json')), 'utf8'));
      out.push({ file: n, raw, envelope, ...parseMessage(raw) });
    }
    return out;
  };
  /** Waits (up to timeout ms) until pred(messages) is truthy; resolves the messages. */
  sink.waitFor = async (pred, { timeout = 30000, what = 'mail' } = {}) => {
    const end = Date.now() + timeout;
    for (;;) {
      const msgs = await sink.messages();
      if (pred(msgs)) return msgs;
      if (Date.now() > end) {
        throw new Error(`timed out waiting for ${what}; got ${msgs.length}: `
          + msgs.map((m) => `${m.header('to')} / ${m.subject}`).join('; '));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await sink.start();
  return sink;
}

/** RFC 2047 encoded words (B and Q, UTF-8) decoded; adjacent words join without the space. */
export function decodeWords(s) {
  return s.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=(\s+(?==\?))?/g, (_, cs, enc, text) => {
    const bytes = enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return bytes.toString(/utf-?8/i.test(cs) ? 'utf8' : 'latin1');
  });
}

/** Quoted-printable to text (UTF-8). */
export function decodeQP(s) {
  const bytes = [];
  const t = s.replace(/=\r\n/g, '');
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '=' && /^[0-9A-F]{2}$/.test(t.slice(i + 1, i + 3))) {
      bytes.push(parseInt(t.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(t.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function parseHeaders(text) {
  const unfolded = text.replace(/\r\n(?=[ \t])/g, '');
  const headers = [];
  for (const line of unfolded.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers.push([line.slice(0, i).toLowerCase(), line.slice(i + 1).trim()]);
  }
  return headers;
}

function param(value, name) {
  const m = new RegExp(`${name}="?([^";]+)"?`, 'i').exec(value || '');
  return m ? m[1] : null;
}

/**
 * One message: { headers ([name, raw value]), header(name) (decoded, first), subject, parts:
 * [{ type, encoding, text }], text, html, lines (raw lines) }.
 */
export function parseMessage(raw) {
  const s = raw.toString('latin1');
  const split = s.indexOf('\r\n\r\n');
  const headers = parseHeaders(s.slice(0, split));
  const header = (n) => {
    const h = headers.find(([k]) => k === n.toLowerCase());
    return h ? decodeWords(h[1]) : null;
  };
  const body = s.slice(split + 4);
  const parts = [];
  const boundary = param(header('content-type'), 'boundary');
  if (boundary) {
    const chunks = body.split(`--${boundary}`);
    for (const c of chunks.slice(1)) {
      if (c.startsWith('--')) break;
      const p = c.replace(/^\r\n/, '');
      const i = p.indexOf('\r\n\r\n');
      const ph = parseHeaders(p.slice(0, i));
      const get = (n) => (ph.find(([k]) => k === n) || [])[1] || '';
      const enc = get('content-transfer-encoding').toLowerCase();
      const content = p.slice(i + 4).replace(/\r\n$/, '');
      parts.push({ type: get('content-type').split(';')[0].trim(), charset: param(get('content-type'), 'charset'),
        encoding: enc, raw: content, text: enc === 'quoted-printable' ? decodeQP(content) : content });
    }
  }
  const part = (t) => (parts.find((p) => p.type === t) || {}).text || null;
  return { headers, header, subject: header('subject'), parts, text: part('text/plain'), html: part('text/html'),
    lines: s.split('\r\n') };
}

/** The links of a text part: every http(s) URL. */
export function links(text) {
  return [...(text || '').matchAll(/https?:\/\/[^\s"<>]+/g)].map((m) => m[0]);
}
