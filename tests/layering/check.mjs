// The layering rules of ARCHITECTURE/STYLE, checked over the sources (server/, include/meldpunt/):
//   1. no server/api_*.c reaches a store header, directly or through the headers it includes;
//   2. no server/api_*.c names an mp_store_* function;
//   3. no store file (server/store*.c, server/store*.h) reaches http.h, api.h or microhttpd.h;
//   4. only server/geo.c includes proj.h;
//   5. only server/http.c includes microhttpd.h;
//   6. only store files include sqlite3.h, libpq-fe.h or SpatiaLite's headers;
//   7. no include cycle between modules (below).
// Every finding names the file and line of the include or call. Handlers still being moved
// behind the domain are listed in allow-store.txt (rules 1 and 2 only); their owners delete
// their line when done. Usage: node check.mjs [SOURCE_DIR]; exit 1 on any finding.
//
// Modules: server/x.c, include/meldpunt/x.h and server/x.h are one module x. A .c file without
// a header of its own belongs to the module whose header declares the functions it defines
// (api_reports.c to api, store_sqlite_maint.c to maint); a header without a .c file to the module whose
// files define its functions (store_sqlite.h to store). The store's public headers
// (include/meldpunt/store*.h) are one interface of module store, and so are the files that
// forward one of them to the engine table (server/store_work.c for store_work.h, beside store.c):
// the engine table (store_engine.h) names their types, which is no dependency between modules.
// Module A depends on module B when a file of A includes a header of B; a cycle in that graph is
// an include cycle.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.argv[2] || path.join(here, '..', '..'));

const list = (dir, ext) => (existsSync(path.join(root, dir))
  ? readdirSync(path.join(root, dir)).filter((f) => f.endsWith(ext)).sort().map((f) => `${dir}/${f}`)
  : []);
const cFiles = list('server', '.c');
const hFiles = [...list('include/meldpunt', '.h'), ...list('server', '.h')];
const files = [...cFiles, ...hFiles];

// Comments and string literals blanked, newlines kept, so that line numbers stay right.
function code(text) {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g,
    (m) => m.replace(/[^\n]/g, ' '));
}
const lineOf = (text, index) => text.slice(0, index).split('\n').length;

const src = new Map();
for (const f of files) {
  const raw = readFileSync(path.join(root, f), 'utf8');
  const includes = [];
  raw.split('\n').forEach((l, i) => {
    const m = /^\s*#\s*include\s*([<"])([^>"]+)[>"]/.exec(l);
    if (m) includes.push({ name: m[2], system: m[1] === '<', line: i + 1 });
  });
  src.set(f, { raw, code: code(raw), includes });
}

// "meldpunt/x.h" -> include/meldpunt/x.h; "x.h" next to the including file.
function resolve(from, inc) {
  if (inc.system) return null;
  for (const cand of [path.posix.join(path.posix.dirname(from), inc.name), `include/${inc.name}`]) {
    if (src.has(cand)) return cand;
  }
  return null;
}

// Every header reached from file f, with the chain that reaches it: Map header -> [chain].
function reach(f) {
  const seen = new Map();
  const walk = (file, chain) => {
    for (const inc of src.get(file).includes) {
      const key = inc.system ? `<${inc.name}>` : (resolve(file, inc) || `"${inc.name}"`);
      if (seen.has(key)) continue;
      const next = [...chain, inc.name];
      seen.set(key, next);
      if (!inc.system && src.has(key)) walk(key, next);
    }
  };
  walk(f, []);
  return seen;
}

const findings = [];
const report = (f, line, msg) => findings.push(`${f}:${line}: ${msg}`);
const lineOfFirstInclude = (f, chain) => src.get(f).includes.find((i) => i.name === chain[0])?.line ?? 1;
const via = (chain) => (chain.length > 1 ? ` (via ${chain.slice(0, -1).join(' -> ')})` : '');

const allowFile = path.join(here, 'allow-store.txt');
const allowed = new Set(existsSync(allowFile)
  ? readFileSync(allowFile, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
  : []);
for (const a of allowed) if (!src.has(a)) report('tests/layering/allow-store.txt', 1, `lists ${a}, which does not exist`);

const isStoreHeader = (h) => /^(include\/meldpunt|server)\/store[^/]*\.h$/.test(h);
const isStoreFile = (f) => /^server\/store[^/]*\.[ch]$/.test(f);
const isApi = (f) => /^server\/api_[^/]*\.c$/.test(f);

for (const f of files) {
  const { includes } = src.get(f);
  const reached = reach(f);
  // 1, 3: followed through the headers.
  if (isApi(f) && !allowed.has(f)) {
    for (const [h, chain] of reached) {
      if (isStoreHeader(h) || h === '<sqlite3.h>') {
        report(f, lineOfFirstInclude(f, chain), `a handler reaches the store header ${chain.at(-1)}${via(chain)}`);
      }
    }
  }
  if (isStoreFile(f)) {
    for (const [h, chain] of reached) {
      if (['include/meldpunt/http.h', 'include/meldpunt/api.h', '<microhttpd.h>'].includes(h)) {
        report(f, lineOfFirstInclude(f, chain), `the store reaches ${chain.at(-1)}${via(chain)}`);
      }
    }
  }
  // 4-6: direct includes of every file (a header that includes one is itself a finding).
  for (const inc of includes.filter((i) => i.system)) {
    const n = inc.name;
    if (n === 'proj.h' && f !== 'server/geo.c') report(f, inc.line, 'only server/geo.c includes proj.h');
    if (n === 'microhttpd.h' && f !== 'server/http.c') report(f, inc.line, 'only server/http.c includes microhttpd.h');
    if ((n === 'sqlite3.h' || n === 'libpq-fe.h' || n.startsWith('spatialite')) && !isStoreFile(f)) {
      report(f, inc.line, `only server/store*.c include ${n}`);
    }
  }
  // 2: calls (or any other use) of the store's functions.
  if (isApi(f) && !allowed.has(f)) {
    const c = src.get(f).code;
    for (const m of c.matchAll(/(?<!\b(?:struct|enum|union)\s+)\bmp_store_[A-Za-z0-9_]+\b/g)) {
      report(f, lineOf(c, m.index), `a handler calls the store: ${m[0]}`);
    }
  }
}

// 7: modules and their cycles.
const stem = (f) => path.posix.basename(f).replace(/\.[ch]$/, '');
const declared = new Map(); // header -> Set of function names
const defined = new Map(); // .c -> Set of function names (not static)
for (const h of hFiles) {
  declared.set(h, new Set([...src.get(h).code.matchAll(/\b(mp_[A-Za-z0-9_]+)\s*\(/g)].map((m) => m[1])));
}
for (const c of cFiles) {
  const names = new Set();
  for (const m of src.get(c).code.matchAll(/^(?!static\b)[A-Za-z_][\w \t*]*?\b(mp_[A-Za-z0-9_]+)\s*\([^;{]*\)[^;{]*\{/gm)) {
    names.add(m[1]);
  }
  defined.set(c, names);
}
const hasC = new Set(cFiles.map(stem));
const hasH = new Set(hFiles.map(stem));
const moduleOf = new Map();
for (const f of files) if (hasC.has(stem(f)) && hasH.has(stem(f))) moduleOf.set(f, stem(f));
const storeApi = (f) => /^include\/meldpunt\/store[^/]*\.h$/.test(f)
  || (/^server\/store_[^/]*\.c$/.test(f) && files.includes(`include/meldpunt/${stem(f)}.h`));
for (const f of files) if (storeApi(f)) moduleOf.set(f, 'store');
const best = (counts) => [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
for (const c of cFiles.filter((x) => !moduleOf.has(x))) {
  const counts = new Map();
  for (const [h, names] of declared) {
    const n = [...defined.get(c)].filter((x) => names.has(x)).length;
    if (n) counts.set(stem(h), (counts.get(stem(h)) || 0) + n);
  }
  moduleOf.set(c, best(counts) || stem(c));
}
for (const h of hFiles.filter((x) => !moduleOf.has(x))) {
  const counts = new Map();
  for (const [c, names] of defined) {
    const n = [...declared.get(h)].filter((x) => names.has(x)).length;
    if (n && moduleOf.get(c) !== stem(h)) counts.set(moduleOf.get(c), (counts.get(moduleOf.get(c)) || 0) + n);
  }
  const implementers = [...counts.keys()];
  // A header implemented by a .c file of its own name-less module joins it (api.h, maint.h stay).
  const own = cFiles.some((c) => moduleOf.get(c) === stem(h));
  moduleOf.set(h, own || implementers.length === 0 ? stem(h) : best(counts));
}

const edges = new Map(); // module -> Map(module -> {file, line, header})
for (const f of files) {
  const a = moduleOf.get(f);
  for (const inc of src.get(f).includes) {
    const h = resolve(f, inc);
    if (!h) continue;
    const b = moduleOf.get(h);
    if (a === b) continue;
    if (!edges.has(a)) edges.set(a, new Map());
    if (!edges.get(a).has(b)) edges.get(a).set(b, { file: f, line: inc.line, header: inc.name });
  }
}

// Tarjan's strongly connected components; each one with more than one module holds a cycle.
const index = new Map(); const low = new Map(); const stack = []; const on = new Set(); let counter = 0;
const sccs = [];
function connect(v) {
  index.set(v, counter); low.set(v, counter); counter++; stack.push(v); on.add(v);
  for (const w of (edges.get(v) || new Map()).keys()) {
    if (!index.has(w)) { connect(w); low.set(v, Math.min(low.get(v), low.get(w))); } else if (on.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) === index.get(v)) {
    const comp = [];
    let w;
    do { w = stack.pop(); on.delete(w); comp.push(w); } while (w !== v);
    if (comp.length > 1) sccs.push(comp.sort());
  }
}
for (const m of [...new Set(moduleOf.values())].sort()) if (!index.has(m)) connect(m);

const cyclesFile = path.join(here, 'allow-cycles.txt');
const allowedCycles = new Set(existsSync(cyclesFile)
  ? readFileSync(cyclesFile, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
    .map((l) => l.split(/\s+/).sort().join(' '))
  : []);
for (const c of allowedCycles) {
  if (!sccs.some((comp) => comp.join(' ') === c)) report('tests/layering/allow-cycles.txt', 1, `lists the cycle ${c}, which is gone`);
}

// The shortest cycle through each module of a component, each cycle reported once.
function cycleThrough(start, inComp) {
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of (edges.get(v) || new Map()).keys()) {
      if (!inComp.has(w)) continue;
      if (w === start) {
        const cycle = [];
        for (let x = v; x !== null; x = prev.get(x)) cycle.unshift(x);
        return cycle;
      }
      if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return [start];
}
for (const comp of sccs.filter((x) => !allowedCycles.has(x.join(' ')))) {
  const inComp = new Set(comp);
  const seenCycles = new Set();
  for (const start of comp) {
    const cycle = cycleThrough(start, inComp);
    const key = [...cycle].sort().join(' ');
    if (seenCycles.has(key)) continue;
    seenCycles.add(key);
    const steps = cycle.map((m, i) => {
      const e = edges.get(m).get(cycle[(i + 1) % cycle.length]);
      return `${e.file}:${e.line} includes ${e.header}`;
    });
    const first = edges.get(cycle[0]).get(cycle[1 % cycle.length]);
    report(first.file, first.line, `include cycle ${[...cycle, cycle[0]].join(' -> ')}: ${steps.join('; ')}`);
  }
}

// A handler on the list that no longer needs it must leave the list.
for (const a of allowed) {
  if (!src.has(a)) continue;
  const touches = [...reach(a).keys()].some((h) => isStoreHeader(h) || h === '<sqlite3.h>') ||
    /(?<!\b(?:struct|enum|union)\s+)\bmp_store_[A-Za-z0-9_]+\b/.test(src.get(a).code);
  if (!touches) report('tests/layering/allow-store.txt', 1, `${a} no longer reaches the store: delete its line`);
}

if (process.env.LAYERING_DEBUG) console.error(files.map((f) => `${f} -> ${moduleOf.get(f)}`).join('\n'));
for (const f of findings) console.log(f);
console.log(`layering: ${files.length} files, ${new Set(moduleOf.values()).size} modules, ` +
  `${allowed.size} handlers allowed to reach the store, ${findings.length} findings`);
process.exit(findings.length ? 1 : 0);
