// The service-level page, /stats: figures from GET /api/v1/stats as inline SVG charts and a
// table. No external scripts and no inline styles (the CSP allows neither): charts are SVG
// elements built here, coloured by classes from stats.css; text goes in through textContent.

const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);
const state = { timezone: null, first: true };

const nf = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const pf = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 });
const fmtDays = (v) => (v === null || v === undefined ? '–' : nf.format(v));
const fmtShare = (v) => (v === null || v === undefined ? '–' : pf.format(v));

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

async function getJSON(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  let body = null;
  try { body = await res.json(); } catch { body = null; }
  if (!res.ok) {
    const msg = body && body.error ? body.error.message : `the server answered ${res.status}`;
    throw new Error(msg);
  }
  return body;
}

/** YYYY-MM-DD of an instant in the city's time zone. */
function localDate(iso, timeZone) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(iso));
}

function addDays(ymd, n) {
  const d = new Date(`${ymd}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function params() {
  const p = new URLSearchParams();
  for (const k of ['from', 'to', 'group_by', 'category', 'district']) {
    const v = $(k).value;
    if (v) p.set(k, v);
  }
  return p;
}

function message(text, isError = false) {
  const m = $('message');
  m.textContent = text;
  m.classList.toggle('error', isError);
}

function groupLabel(g, by) {
  if (by === 'week') return `${g.key} (${g.week_start})`;
  if (by === 'district' && g.key === null) return 'Outside every district';
  return g.name || g.key;
}

function shareClass(share) {
  if (share === null) return 'track';
  if (share >= 0.9) return 'bar-good';
  if (share >= 0.7) return 'bar-warn';
  return 'bar-bad';
}

function legend(items) {
  const ul = el('ul', { class: 'legend' });
  for (const [cls, text] of items) ul.append(el('li', { class: cls }, text));
  return ul;
}

/** Horizontal bars, one row per group; rows: [{ label, bars: [{ value, cls, text }], target }]. */
function hbarChart(rows, { max, title, tick }) {
  const rowH = 22 * Math.max(...rows.map((r) => r.bars.length), 1) + 8;
  const labelW = 230;
  const chartW = 480;
  const valueW = 70;
  const top = 24;
  const width = labelW + chartW + valueW;
  const height = top + rows.length * rowH + 8;
  const s = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title });
  s.append(svg('title', {}, title));
  const x = (v) => labelW + (max > 0 ? (Math.min(v, max) / max) * chartW : 0);
  for (const t of tick.values) {
    s.append(svg('line', { class: 'grid', x1: x(t), x2: x(t), y1: top - 4, y2: height - 4 }));
    s.append(svg('text', { class: 'value', x: x(t), y: top - 8, 'text-anchor': 'middle' }, tick.format(t)));
  }
  rows.forEach((r, i) => {
    const y0 = top + i * rowH;
    s.append(svg('text', { class: 'label', x: labelW - 8, y: y0 + rowH / 2 + 4, 'text-anchor': 'end' },
      r.label.length > 34 ? `${r.label.slice(0, 33)}…` : r.label));
    r.bars.forEach((b, j) => {
      const y = y0 + 4 + j * 22;
      s.append(svg('rect', { class: 'track', x: labelW, y, width: chartW, height: 18 }));
      if (b.value !== null && b.value !== undefined) {
        s.append(svg('rect', { class: b.cls, x: labelW, y, width: Math.max(x(b.value) - labelW, 1), height: 18 }));
        if (b.value > max) {
          const e = labelW + chartW;
          s.append(svg('polygon', { class: 'overflow', points: `${e - 10},${y} ${e},${y + 9} ${e - 10},${y + 18}` }));
        }
      }
      s.append(svg('text', { class: 'value', x: labelW + chartW + 6, y: y + 14 }, b.text));
    });
    if (r.target !== undefined && r.target !== null && r.target <= max) {
      s.append(svg('line', { class: 'target', x1: x(r.target), x2: x(r.target), y1: y0 + 2, y2: y0 + rowH - 2 }));
    }
  });
  s.append(svg('line', { class: 'axis', x1: labelW, x2: labelW, y1: top - 4, y2: height - 4 }));
  return s;
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function ticks(max, n = 4) {
  const out = [];
  for (let i = 0; i <= n; i++) out.push((max * i) / n);
  return out;
}

function drawShare(data) {
  const box = $('share-chart');
  box.replaceChildren();
  const rows = data.groups.filter((g) => g.share_within_service_level !== null).map((g) => ({
    label: groupLabel(g, data.group_by),
    bars: [{
      value: g.share_within_service_level,
      cls: shareClass(g.share_within_service_level),
      text: fmtShare(g.share_within_service_level),
    }],
  }));
  if (!rows.length) {
    box.append(el('p', { class: 'note' }, 'No report in this range has a known outcome yet.'));
    return;
  }
  box.append(legend([['key-good', '90 % or more'], ['key-warn', '70–90 %'], ['key-bad', 'under 70 %']]));
  box.append(hbarChart(rows, {
    max: 1, title: 'Share fixed within the service level', tick: { values: ticks(1), format: (t) => pf.format(t) },
  }));
}

function drawTimeToFix(data) {
  const box = $('ttf-chart');
  box.replaceChildren();
  const groups = data.groups.filter((g) => g.median_days_to_fix !== null);
  if (!groups.length) {
    box.append(el('p', { class: 'note' }, 'No report in this range was fixed.'));
    return;
  }
  // One neglected job of years must not flatten every other bar: the axis stops at about twice
  // the typical figures, and longer bars end in an arrow (their value is printed beside them).
  const p90s = groups.map((g) => g.p90_days_to_fix).sort((a, b) => a - b);
  const typical = Math.max(p90s[Math.floor((p90s.length - 1) * 0.75)],
    ...groups.map((g) => g.service_days || 0));
  const max = niceMax(Math.min(p90s.at(-1), 2 * typical) || 1);
  const rows = groups.map((g) => ({
    label: groupLabel(g, data.group_by),
    target: g.service_days,
    bars: [
      { value: g.median_days_to_fix, cls: 'bar-a', text: `${fmtDays(g.median_days_to_fix)} d` },
      { value: g.p90_days_to_fix, cls: 'bar-b', text: `${fmtDays(g.p90_days_to_fix)} d` },
    ],
  }));
  const keys = [['key-a', 'Median'], ['key-b', '90th percentile']];
  if (data.group_by === 'category') keys.push(['key-target', 'Service level']);
  box.append(legend(keys));
  box.append(hbarChart(rows, {
    max, title: 'Working days to fix, median and 90th percentile', tick: { values: ticks(max), format: (t) => nf.format(t) },
  }));
}

/** Weeks: received and fixed as lines over time. Other groupings: paired bars. */
function drawVolume(data) {
  const box = $('volume-chart');
  box.replaceChildren();
  const groups = data.groups;
  if (!groups.length || data.total.received === 0) {
    box.append(el('p', { class: 'note' }, 'No reports in this range.'));
    return;
  }
  if (data.group_by !== 'week') {
    const max = niceMax(Math.max(...groups.map((g) => g.received)));
    box.append(legend([['key-a', 'Received'], ['key-fixed', 'Fixed']]));
    box.append(hbarChart(groups.map((g) => ({
      label: groupLabel(g, data.group_by),
      bars: [
        { value: g.received, cls: 'bar-a', text: String(g.received) },
        { value: g.fixed, cls: 'bar-good', text: String(g.fixed) },
      ],
    })), { max, title: 'Reports received and fixed', tick: { values: ticks(max), format: (t) => nf.format(t) } }));
    return;
  }
  const width = 780;
  const height = 260;
  const left = 48;
  const right = 12;
  const top = 12;
  const bottom = 48;
  const max = niceMax(Math.max(...groups.map((g) => g.received)));
  const n = groups.length;
  const x = (i) => left + (n === 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (n - 1));
  const y = (v) => top + (1 - v / max) * (height - top - bottom);
  const s = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
    'aria-label': 'Reports received and fixed per week' });
  s.append(svg('title', {}, 'Reports received and fixed per week'));
  for (const t of ticks(max)) {
    s.append(svg('line', { class: 'grid', x1: left, x2: width - right, y1: y(t), y2: y(t) }));
    s.append(svg('text', { class: 'value', x: left - 6, y: y(t) + 4, 'text-anchor': 'end' }, nf.format(t)));
  }
  s.append(svg('line', { class: 'axis', x1: left, x2: width - right, y1: y(0), y2: y(0) }));
  const every = Math.max(1, Math.ceil(n / 12));
  groups.forEach((g, i) => {
    if (i % every === 0) {
      s.append(svg('text', { class: 'value', x: x(i), y: height - bottom + 16, 'text-anchor': 'middle' }, g.key));
    }
  });
  for (const [field, line, dot] of [['received', 'line-a', 'dot-a'], ['fixed', 'line-b', 'dot-b']]) {
    const pts = groups.map((g, i) => `${x(i).toFixed(1)},${y(g[field]).toFixed(1)}`).join(' ');
    s.append(svg('polyline', { class: line, points: pts }));
    groups.forEach((g, i) => {
      const c = svg('circle', { class: dot, cx: x(i).toFixed(1), cy: y(g[field]).toFixed(1), r: 3 });
      c.append(svg('title', {}, `${g.key}: ${g[field]} ${field}`));
      s.append(c);
    });
  }
  box.append(legend([['key-a', 'Received'], ['key-fixed', 'Fixed']]));
  box.append(s);
}

function cells(tr, g, label, header) {
  const first = el(header ? 'th' : 'td', header ? { scope: 'row' } : {}, label);
  tr.append(first);
  const vals = [
    g.service_days ?? '–', g.received, g.open, g.fixed, g.closed_unfixed, fmtDays(g.median_days_to_fix),
    fmtDays(g.p90_days_to_fix), g.overdue_open, fmtShare(g.share_within_service_level),
  ];
  for (const v of vals) tr.append(el('td', { class: 'num' }, String(v)));
}

function drawTable(data) {
  const names = { category: 'Category', district: 'District', week: 'Week' };
  $('group-col').textContent = names[data.group_by];
  const body = $('table').tBodies[0];
  body.replaceChildren();
  for (const g of data.groups) {
    const tr = el('tr');
    cells(tr, g, groupLabel(g, data.group_by), true);
    body.append(tr);
  }
  const foot = $('table').tFoot;
  foot.replaceChildren();
  const tr = el('tr');
  cells(tr, { ...data.total, service_days: null }, 'Total', true);
  foot.append(tr);
}

function drawSummary(data) {
  const t = data.total;
  const dl = $('summary');
  dl.replaceChildren();
  const items = [
    ['Received', String(t.received)],
    ['Still open', String(t.open)],
    ['Fixed', String(t.fixed)],
    ['Median working days to fix', fmtDays(t.median_days_to_fix)],
    ['90 % fixed within (working days)', fmtDays(t.p90_days_to_fix)],
    ['Fixed within the service level', fmtShare(t.share_within_service_level)],
  ];
  for (const [k, v] of items) {
    const div = el('div');
    div.append(el('dt', {}, k), el('dd', {}, v));
    dl.append(div);
  }
}

function setLinks(data) {
  const since = data.from;
  const until = data.to;
  const base = new URLSearchParams({ since, until });
  if (data.category) base.set('category', data.category);
  if (data.district) base.set('district', data.district);
  $('dl-csv').href = `/api/v1/export?format=csv&${base}`;
  $('dl-geojson').href = `/api/v1/export?format=geojson&${base}`;
  $('dl-api').href = `/api/v1/stats?${params()}`;
  const d = data.definitions;
  $('definitions').textContent = `Days to fix: ${d.days_to_fix}. Within service level: ${d.share_within_service_level}. `
    + `Figures of ${new Date(data.generated_at).toLocaleString('en')}, time zone ${data.timezone}.`;
}

async function load(push) {
  const p = params();
  if (push) history.replaceState(null, '', `/stats?${p}`);
  message('Loading…');
  let data;
  try {
    data = await getJSON(`/api/v1/stats?${p}`);
  } catch (e) {
    message(`Cannot show the figures: ${e.message}`, true);
    $('results').hidden = true;
    return;
  }
  state.timezone = data.timezone;
  // A first visit to a database whose data is older than the default year: offer the data.
  if (data.total.received === 0 && data.data_extent) {
    const last = localDate(data.data_extent.last, data.timezone);
    const first = localDate(data.data_extent.first, data.timezone);
    const from = first > addDays(last, -364) ? first : addDays(last, -364);
    if (state.first) {
      state.first = false;
      $('from').value = from;
      $('to').value = last;
      await load(true);
      return;
    }
    message(`No reports in this range. The data runs from ${first} to ${last}.`);
  } else {
    message(`${data.total.received} reports received from ${localDate(data.from, data.timezone)} `
      + `to ${addDays(localDate(data.to, data.timezone), -1)}.`);
  }
  state.first = false;
  drawSummary(data);
  drawShare(data);
  drawTimeToFix(data);
  drawVolume(data);
  drawTable(data);
  setLinks(data);
  $('results').hidden = false;
}

async function start() {
  const q = new URLSearchParams(location.search);
  const today = new Date().toISOString().slice(0, 10);
  $('to').value = q.get('to') || today;
  $('from').value = q.get('from') || addDays(today, -364);
  $('group_by').value = q.get('group_by') || 'category';
  if (q.has('from') || q.has('to')) state.first = false;
  try {
    const [config, cats, districts] = await Promise.all([
      getJSON('/api/v1/config'), getJSON('/api/v1/categories'), getJSON('/api/v1/districts'),
    ]);
    $('city-name').textContent = config.city.name;
    for (const c of cats.categories) $('category').append(el('option', { value: c.code }, c.name.en));
    const ds = districts.features.map((f) => f.properties).sort((a, b) => a.name.localeCompare(b.name));
    for (const d of ds) $('district').append(el('option', { value: d.code }, d.name));
  } catch (e) {
    message(`Cannot load the city: ${e.message}`, true);
  }
  $('category').value = q.get('category') || '';
  $('district').value = q.get('district') || '';
  $('range').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.first = false;
    load(true);
  });
  await load(false);
}

start();
