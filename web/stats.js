// The service-level page, /stats: figures from GET /api/v1/stats as inline SVG charts and a
// table. No external scripts and no inline styles (the CSP allows neither): charts are SVG
// elements built here, coloured by classes from stats.css; text goes in through textContent.

import { getConfig, getDistricts, getStats } from './api.js';
import { categoryName, categories, loadCategories } from './categories.js';
import { $, el, svg } from './dom.js';
import {
  t, pick, lang, applyTranslations, bindLanguageSwitch, onLangChange, formatDateTime, errorText,
} from './i18n.js';

const state = { first: true, data: null, message: null };

const nf = () => new Intl.NumberFormat(lang(), { maximumFractionDigits: 1 });
const pf = () => new Intl.NumberFormat(lang(), { style: 'percent', maximumFractionDigits: 1 });
const fmtDays = (v) => (v === null || v === undefined ? '–' : nf().format(v));
const fmtShare = (v) => (v === null || v === undefined ? '–' : pf().format(v));

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

/** The status line: a text key and its values, kept so a language change redraws it. */
function message(key, vars = {}, isError = false) {
  state.message = { key, vars, isError };
  renderMessage();
}

function renderMessage() {
  const m = state.message;
  if (!m) return;
  $('message').textContent = t(m.key, m.vars);
  $('message').classList.toggle('error', m.isError);
}

function groupLabel(g, by) {
  if (by === 'week') return `${g.key} (${g.week_start})`;
  if (by === 'district' && g.key === null) return t('stats.outside_districts');
  if (by === 'category') return categoryName(g.key, g.name);
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
    box.append(el('p', { class: 'note' }, t('stats.share_none')));
    return;
  }
  box.append(legend([['key-good', t('stats.share_good')], ['key-warn', t('stats.share_warn')], ['key-bad', t('stats.share_bad')]]));
  box.append(hbarChart(rows, {
    max: 1, title: t('stats.share_title'), tick: { values: ticks(1), format: (v) => pf().format(v) },
  }));
}

function drawTimeToFix(data) {
  const box = $('ttf-chart');
  box.replaceChildren();
  const groups = data.groups.filter((g) => g.median_days_to_fix !== null);
  if (!groups.length) {
    box.append(el('p', { class: 'note' }, t('stats.ttf_none')));
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
      { value: g.median_days_to_fix, cls: 'bar-a', text: t('stats.days', { days: fmtDays(g.median_days_to_fix) }) },
      { value: g.p90_days_to_fix, cls: 'bar-b', text: t('stats.days', { days: fmtDays(g.p90_days_to_fix) }) },
    ],
  }));
  const keys = [['key-a', t('stats.median')], ['key-b', t('stats.p90')]];
  if (data.group_by === 'category') keys.push(['key-target', t('stats.service_level')]);
  box.append(legend(keys));
  box.append(hbarChart(rows, {
    max, title: t('stats.ttf_title'), tick: { values: ticks(max), format: (v) => nf().format(v) },
  }));
}

/** Weeks: received and fixed as lines over time. Other groupings: paired bars. */
function drawVolume(data) {
  const box = $('volume-chart');
  box.replaceChildren();
  const groups = data.groups;
  if (!groups.length || data.total.received === 0) {
    box.append(el('p', { class: 'note' }, t('stats.volume_none')));
    return;
  }
  if (data.group_by !== 'week') {
    const max = niceMax(Math.max(...groups.map((g) => g.received)));
    box.append(legend([['key-a', t('stats.received')], ['key-fixed', t('stats.fixed')]]));
    box.append(hbarChart(groups.map((g) => ({
      label: groupLabel(g, data.group_by),
      bars: [
        { value: g.received, cls: 'bar-a', text: String(g.received) },
        { value: g.fixed, cls: 'bar-good', text: String(g.fixed) },
      ],
    })), { max, title: t('stats.volume_title'), tick: { values: ticks(max), format: (v) => nf().format(v) } }));
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
  const title = t('stats.volume_week_title');
  const s = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title });
  s.append(svg('title', {}, title));
  for (const v of ticks(max)) {
    s.append(svg('line', { class: 'grid', x1: left, x2: width - right, y1: y(v), y2: y(v) }));
    s.append(svg('text', { class: 'value', x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, nf().format(v)));
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
      c.append(svg('title', {}, t(`stats.point_${field}`, { week: g.key, count: g[field] })));
      s.append(c);
    });
  }
  box.append(legend([['key-a', t('stats.received')], ['key-fixed', t('stats.fixed')]]));
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
  $('group-col').textContent = t(`stats.by_${data.group_by}`);
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
  cells(tr, { ...data.total, service_days: null }, t('stats.total'), true);
  foot.append(tr);
}

function drawSummary(data) {
  const total = data.total;
  const dl = $('summary');
  dl.replaceChildren();
  const items = [
    [t('stats.received'), String(total.received)],
    [t('stats.still_open'), String(total.open)],
    [t('stats.fixed'), String(total.fixed)],
    [t('stats.sum_median'), fmtDays(total.median_days_to_fix)],
    [t('stats.sum_p90'), fmtDays(total.p90_days_to_fix)],
    [t('stats.share_heading'), fmtShare(total.share_within_service_level)],
  ];
  for (const [k, v] of items) dl.append(el('div', {}, el('dt', {}, k), el('dd', {}, v)));
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
  $('definitions').textContent = t('stats.definitions', {
    at: formatDateTime(data.generated_at, data.timezone), timezone: data.timezone,
  });
}

async function load(push) {
  const p = params();
  if (push) history.replaceState(null, '', `/stats?${p}`);
  message('stats.loading');
  let data;
  try {
    data = await getStats(p);
  } catch (e) {
    message('stats.error', { message: errorText(e) }, true);
    $('results').hidden = true;
    return;
  }
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
    message('stats.none_in_range', { first, last });
  } else {
    message('stats.received_range', {
      count: data.total.received, from: localDate(data.from, data.timezone),
      to: addDays(localDate(data.to, data.timezone), -1),
    });
  }
  state.first = false;
  state.data = data;
  draw();
  $('results').hidden = false;
}

function draw() {
  const data = state.data;
  if (!data) return;
  drawSummary(data);
  drawShare(data);
  drawTimeToFix(data);
  drawVolume(data);
  drawTable(data);
  setLinks(data);
}

/** The choices of the form; category names follow the page's language. */
function renderCategories() {
  const select = $('category');
  const chosen = select.value;
  select.replaceChildren(select.options[0], ...categories().map((c) => el('option', { value: c.code }, categoryName(c.code))));
  select.value = chosen;
}

async function start() {
  applyTranslations(document);
  bindLanguageSwitch($('lang-switch'));
  onLangChange(() => {
    renderCategories();
    renderMessage();
    draw();
  });
  const q = new URLSearchParams(location.search);
  const today = new Date().toISOString().slice(0, 10);
  $('to').value = q.get('to') || today;
  $('from').value = q.get('from') || addDays(today, -364);
  $('group_by').value = q.get('group_by') || 'category';
  if (q.has('from') || q.has('to')) state.first = false;
  try {
    const [config, , districts] = await Promise.all([getConfig(), loadCategories(), getDistricts()]);
    $('city-name').textContent = config.city.name;
    renderCategories();
    const ds = districts.features.map((f) => f.properties)
      .sort((a, b) => pick(a.name, a.code).localeCompare(pick(b.name, b.code)));
    for (const d of ds) $('district').append(el('option', { value: d.code }, pick(d.name, d.code)));
  } catch (e) {
    message('stats.error_city', { message: errorText(e) }, true);
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
