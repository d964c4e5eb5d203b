// The pages' code read as text (no browser): every page loads one module and, through it, only
// modules of web/; the shared modules are the only place for what they share (fetch in api.js,
// DOM building in dom.js, texts in i18n.js and its tables, statuses in workflow.js); every text
// key used exists in English and Dutch; colours live in theme.css only.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SOURCE_DIR } from './server.mjs';

const WEB = path.join(SOURCE_DIR, 'web');
const read = (name) => readFileSync(path.join(WEB, name), 'utf8');
const files = (ext) => readdirSync(WEB).filter((f) => f.endsWith(ext)).sort();
const scripts = Object.fromEntries(files('.js').map((f) => [f, read(f)]));
const pages = Object.fromEntries(files('.html').map((f) => [f, read(f)]));
// The page "not found" is written by the server (server/errtext.c), not kept in web/: its
// markup is the C string literal, unescaped.
{
  const c = readFileSync(path.join(SOURCE_DIR, 'server', 'errtext.c'), 'utf8');
  const body = /void mp_errtext_html_404[\s\S]*?mp_buf_printf\(b,\s*([\s\S]*?),\s*page_404\[i\]/.exec(c);
  assert.ok(body, 'server/errtext.c writes the page "not found"');
  pages['(server) not found'] = [...body[1].matchAll(/"((?:\\.|[^"\\])*)"/g)]
    .map((m) => m[1].replace(/\\n/g, '\n').replace(/\\"/g, '"')).join('');
}

/** Comments blanked out, so that code checks do not match prose. */
function code(src) {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:\\])\/\/.*$/gm, '$1');
}

/** { from: './x.js', names: [...] } of every static import. */
function imports(src) {
  const out = [];
  for (const m of src.matchAll(/import\s+(?:([\w$]+)|\{([^}]*)\})\s+from\s+'([^']+)'/g)) {
    const names = m[1] ? ['default'] : m[2].split(',').map((s) => s.trim().split(/\s+as\s+/)[0]).filter(Boolean);
    out.push({ from: m[3], names });
  }
  return out;
}

/** The names a module exports. */
function exportsOf(src) {
  const names = new Set();
  for (const m of src.matchAll(/export\s+(?:async\s+)?(?:function|const|let|class)\s+([\w$]+)/g)) names.add(m[1]);
  if (/export\s+default\b/.test(src)) names.add('default');
  return names;
}

/** The top-level functions and constants a module defines. */
function definitions(src) {
  const names = new Set();
  for (const m of code(src).matchAll(/^(?:export\s+)?(?:async\s+)?(?:function\s+([\w$]+)|(?:const|let)\s+([\w$]+)\s*=)/gm)) {
    names.add(m[1] || m[2]);
  }
  return names;
}

test('every page loads one module, and its imports resolve inside web/', () => {
  const reached = new Set();
  for (const [page, html] of Object.entries(pages)) {
    const entries = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);
    assert.ok(entries.every((a) => /\bsrc="/.test(a)), `${page}: no inline script`);
    assert.doesNotMatch(html, /<style|\sstyle=/, `${page}: no inline style`);
    const modules = entries.filter((a) => /type="module"/.test(a)).map((a) => /src="\/([\w.-]+\.js)"/.exec(a)?.[1]);
    assert.equal(modules.length, 1, `${page}: one module script`);
    const todo = [modules[0]];
    while (todo.length) {
      const name = todo.pop();
      if (reached.has(name)) continue;
      assert.ok(scripts[name] !== undefined, `${name} (reached from ${page}) is in web/`);
      reached.add(name);
      assert.doesNotMatch(code(scripts[name]), /\bimport\s*\(/, `${name}: no dynamic import`);
      for (const { from, names } of imports(scripts[name])) {
        assert.match(from, /^\.\/[\w-]+\.js$/, `${name} imports ${from}: a module of web/ by its file name`);
        const target = from.slice(2);
        assert.ok(scripts[target] !== undefined, `${name} imports ${from}, which does not exist`);
        const exported = exportsOf(scripts[target]);
        for (const n of names) assert.ok(exported.has(n), `${name} imports ${n} from ${from}, which does not export it`);
        todo.push(target);
      }
    }
  }
  assert.deepEqual(Object.keys(scripts).filter((f) => !reached.has(f)), [], 'every module is used by a page');
});

test('the shared modules are the only place for what they share', () => {
  const only = [
    [/\bfetch\s*\(/, 'api.js', 'fetch()'],
    [/\bXMLHttpRequest\b/, 'api.js', 'XMLHttpRequest'],
    [/\bcreateElement(NS)?\s*\(/, 'dom.js', 'createElement'],
    [/\bgetElementById\s*\(/, 'dom.js', 'getElementById'],
    [/\blocalStorage\.(get|set)Item\(\s*['"]meldpunt\.lang/, 'i18n.js', 'the language choice'],
    [/\binnerHTML\b|\bouterHTML\b|insertAdjacentHTML/, null, 'HTML parsing'],
  ];
  for (const [name, src] of Object.entries(scripts)) {
    for (const [re, home, what] of only) {
      if (name !== home) assert.doesNotMatch(code(src), re, `${name} uses ${what}; that is ${home || 'not done'}`);
    }
  }
  // A helper exported by a shared module is not written again elsewhere.
  const shared = ['api.js', 'dom.js', 'i18n.js', 'workflow.js', 'categories.js', 'session.js', 'mapkit.js', 'form-status.js'];
  for (const home of shared) {
    for (const helper of exportsOf(scripts[home])) {
      for (const [name, src] of Object.entries(scripts)) {
        if (name !== home && helper !== 'default') {
          assert.ok(!definitions(src).has(helper), `${name} defines ${helper}() again; import it from ${home}`);
        }
      }
    }
  }
});

test('no page script spells out the status vocabulary (it comes from /api/v1/config)', () => {
  // The server's status table (server/vocab.c) is the one list; a page that names a status the
  // workflow could rename or drop has a second list. in_progress and fixed (the crew's two
  // buttons) and new (the queue's badge) are the only codes the pages act on by name;
  // not_responsible is also a map group (mapkit.js draws each group's symbol).
  const named = /['"`](acknowledged|scheduled|closed|reopened)['"`]/;
  for (const [name, src] of Object.entries(scripts)) {
    const m = code(src).match(named);
    assert.equal(m, null, `${name} names the status ${m && m[1]}; read it from workflow.js`);
  }
});

test('every text key exists in English and Dutch, with the same placeholders', async () => {
  const tables = {};
  for (const f of files('.js').filter((n) => n.startsWith('strings-'))) {
    tables[f] = (await import(pathToFileURL(path.join(WEB, f)).href)).default;
  }
  // The common table sits in i18n.js, which needs a browser to load: read it as text.
  const common = /const COMMON = (\{[\s\S]*?\n\});/.exec(scripts['i18n.js']);
  assert.ok(common, 'i18n.js has its COMMON table');
  tables['i18n.js'] = Function(`return ${common[1]}`)();
  const all = { en: new Map(), nl: new Map() };
  for (const [file, table] of Object.entries(tables)) {
    assert.deepEqual(Object.keys(table).sort(), ['en', 'nl'], `${file}: English and Dutch`);
    assert.deepEqual(Object.keys(table.nl).sort(), Object.keys(table.en).sort(), `${file}: the same keys in both`);
    for (const [key, en] of Object.entries(table.en)) {
      const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(holes(table.nl[key]), holes(en), `${file} ${key}: the same placeholders`);
      assert.ok(!all.en.has(key), `${key} is in ${file} and ${all.en.get(key)}`);
      all.en.set(key, file);
    }
    assert.ok(!Object.keys(table.en).some((k) => k.startsWith('status.')), `${file}: status names come from the server`);
  }
  const used = [];
  for (const [name, src] of Object.entries(scripts)) {
    for (const m of src.matchAll(/\b(?:t|hasKey|say|message)\(\s*'([\w.]+)'/g)) used.push([name, m[1]]);
    for (const m of src.matchAll(/\bt\(\s*`([\w.]*)\$\{/g)) {
      assert.ok([...all.en.keys()].some((k) => k.startsWith(m[1])), `${name}: some key starts with ${m[1]}`);
    }
  }
  for (const [name, html] of Object.entries(pages)) {
    for (const m of html.matchAll(/data-i18n="([\w.]+)"/g)) used.push([name, m[1]]);
    for (const m of html.matchAll(/data-i18n-attr="([^"]+)"/g)) {
      for (const pair of m[1].split(';')) used.push([name, pair.split(':')[1].trim()]);
    }
  }
  assert.ok(used.length > 300, `${used.length} keys used`);
  const missing = used.filter(([, key]) => key.includes('.') && !all.en.has(key));
  assert.deepEqual(missing, [], 'every key used has a text');
});

test('colours are named in theme.css only', () => {
  const colour = /#[0-9a-f]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch)\(|:\s*(?:white|black|red|green|blue|gray|grey|yellow|orange|purple|silver|navy)\b/i;
  for (const f of files('.css')) {
    const lines = read(f).replace(/\/\*[\s\S]*?\*\//g, '').split('\n');
    if (f === 'theme.css') {
      assert.ok(lines.filter((l) => colour.test(l)).every((l) => /^\s*--[\w-]+:/.test(l)), 'theme.css: colours as custom properties');
      continue;
    }
    const found = lines.filter((l) => colour.test(l)).map((l) => l.trim());
    assert.deepEqual(found, [], `${f}: colours through var(--...) only`);
  }
  for (const [name, src] of Object.entries(scripts)) {
    const found = code(src).split('\n').filter((l) => /['"`]#[0-9a-f]{3,8}['"`]|\brgba?\(/i.test(l));
    assert.deepEqual(found, [], `${name}: no colours in scripts`);
  }
});
