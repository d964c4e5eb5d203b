// Compares two replay outputs (tests/replay/replay.sh) answer by answer: status line,
// headers and body bytes. Lists every request whose answer differs with a short
// unified diff of its first differences, then "N of M answers differ".
// Exit status: 0 when all answers are identical, 1 when some differ, 2 on misuse.
//
// Usage: node compare.mjs DIR_A DIR_B [--lines N] [--quiet]
//   --lines N   diff lines shown per answer part (default 12)
//   --quiet     only the summary line
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

function usage() {
  process.stderr.write('usage: compare.sh DIR_A DIR_B [--lines N] [--quiet]\n');
  process.exit(2);
}

const argv = process.argv.slice(2);
const dirs = [];
let maxLines = 12;
let quiet = false;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--lines') maxLines = Number(argv[++i]);
  else if (argv[i] === '--quiet') quiet = true;
  else if (argv[i].startsWith('-')) usage();
  else dirs.push(argv[i]);
}
if (dirs.length !== 2 || !(maxLines > 0)) usage();
for (const d of dirs) {
  if (!fs.existsSync(path.join(d, 'index.tsv'))) {
    process.stderr.write(`compare: ${d} is not a replay output (no index.tsv)\n`);
    process.exit(2);
  }
}

const answers = (d) => new Set(fs.readdirSync(d).filter((f) => /^\d+\.http$/.test(f)));
const [setA, setB] = dirs.map(answers);
const all = [...new Set([...setA, ...setB])].sort();

/* A recorded answer -> { request, status, headers (text), body (Buffer) } */
function split(buf) {
  const end = buf.indexOf('\n\n');
  const head = buf.slice(0, end < 0 ? buf.length : end).toString('latin1').split('\n');
  return {
    request: head[0].replace(/^> /, ''),
    status: head[1] || '',
    headers: head.slice(2).join('\n'),
    body: end < 0 ? Buffer.alloc(0) : buf.slice(end + 2),
  };
}

function isText(b) {
  if (b.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/* One-line JSON and XML bodies diff better broken after , and >; both sides
 * are broken the same way, so the lines still line up. */
function toLines(text) {
  return text.split('\n').flatMap((l) => (l.length > 200 ? l.replace(/([,>])/g, '$1\n').split('\n') : [l]));
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-compare-'));
function unified(a, b) {
  const fa = path.join(tmp, 'a');
  const fb = path.join(tmp, 'b');
  fs.writeFileSync(fa, a.join('\n') + '\n');
  fs.writeFileSync(fb, b.join('\n') + '\n');
  let out = '';
  try {
    execFileSync('diff', ['-U', '1', fa, fb], { encoding: 'utf8' });
  } catch (e) {
    out = e.stdout || '';
  }
  const lines = out.split('\n').slice(2).filter((l) => l !== '');
  const shown = lines.slice(0, maxLines);
  if (lines.length > shown.length) shown.push(`... (${lines.length - shown.length} more diff lines)`);
  return shown;
}

function firstDiff(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

let differ = 0;
const report = [];
for (const f of all) {
  const id = f.replace('.http', '');
  if (!setA.has(f) || !setB.has(f)) {
    differ++;
    report.push(`${id}  only in ${setA.has(f) ? dirs[0] : dirs[1]}`);
    continue;
  }
  const ra = fs.readFileSync(path.join(dirs[0], f));
  const rb = fs.readFileSync(path.join(dirs[1], f));
  if (ra.equals(rb)) continue;
  differ++;
  const a = split(ra);
  const b = split(rb);
  const parts = [];
  if (a.request !== b.request) parts.push(`  request: ${a.request}  |  ${b.request}`);
  if (a.status !== b.status) parts.push(`  status: ${a.status}  ->  ${b.status}`);
  if (a.headers !== b.headers) {
    parts.push('  headers:');
    for (const l of unified(a.headers.split('\n'), b.headers.split('\n'))) parts.push(`    ${l}`);
  }
  if (!a.body.equals(b.body)) {
    const at = firstDiff(a.body, b.body);
    parts.push(`  body: ${a.body.length} -> ${b.body.length} bytes, first difference at byte ${at}`);
    if (isText(a.body) && isText(b.body)) {
      for (const l of unified(toLines(a.body.toString('utf8')), toLines(b.body.toString('utf8'))))
        parts.push(`    ${l}`);
    }
  }
  report.push(`${id}  ${a.request}\n${parts.join('\n')}`);
}
fs.rmSync(tmp, { recursive: true, force: true });

if (!quiet && report.length) process.stdout.write(report.join('\n') + '\n\n');
process.stdout.write(`${differ} of ${all.length} answers differ\n`);
process.exit(differ ? 1 : 0);
