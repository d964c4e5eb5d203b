// The service-level page, /stats: figures from GET /api/v1/stats as inline SVG charts and a
// table. No external scripts and no inline styles (the CSP allows neither): charts are SVG
// elements built here, coloured by classes from stats.css; text goes in through textContent.

import { getConfig, getDistricts, getReportsExtent, getStats } from './api.js';
import { categoryName, categories, loadCategories } from './categories.js';
import { $, el, svg } from './dom.js';
import {
  t, pick, lang, applyTranslations, bindLanguageSwitch, onLangChange, formatDateTime, errorText,
} from './i18n.js';

// compare: the answer grouped by municipality with within_days (region packs only).
const state = { data: null, compare: null, message: null, width: 0, region: false };

/** Charts are drawn to the width they get (at most WIDE px): text keeps its size on a phone. */
const WIDE = 780;
const NARROW = 560; // below this, a bar's label goes on its own line above it

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
  for (const k of ['from', 'to', 'group_by', 'category', 'district', 'municipality']) {
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
  if (by === 'municipality' && g.key === '') return t('stats.outside_districts');
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

/** The width to draw the charts at: the room the page gives them. */
function chartWidth() {
  const room = $('share-chart').clientWidth || WIDE;
  return Math.max(280, Math.min(WIDE, Math.floor(room)));
}

/**
 * Horizontal bars, one row per group; rows: [{ label, bars: [{ value, cls, text }], target }].
 * Wide: labels left of the bars; narrow: each label on a line of its own above its bars.
 */
function hbarChart(rows, { max, title, tick }) {
  const width = chartWidth();
  const narrow = width < NARROW;
  const labelH = narrow ? 18 : 0;
  const rowH = 22 * Math.max(...rows.map((r) => r.bars.length), 1) + 8 + labelH;
  const labelW = narrow ? 16 : 230; // narrow: room for the first tick's text
  const valueW = 70;
  const chartW = width - labelW - valueW;
  const top = 24;
  const height = top + rows.length * rowH + 8;
  const labelChars = narrow ? Math.floor(width / 7.5) : 34;
  const s = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title });
  s.append(svg('title', {}, title));
  const x = (v) => labelW + (max > 0 ? (Math.min(v, max) / max) * chartW : 0);
  for (const t of tick.values) {
    s.append(svg('line', { class: 'grid', x1: x(t), x2: x(t), y1: top - 4, y2: height - 4 }));
    s.append(svg('text', { class: 'value', x: x(t), y: top - 8, 'text-anchor': 'middle' }, tick.format(t)));
  }
  rows.forEach((r, i) => {
    const y0 = top + i * rowH;
    const label = r.label.length > labelChars ? `${r.label.slice(0, labelChars - 1)}…` : r.label;
    if (narrow) s.append(svg('text', { class: 'label', x: 0, y: y0 + 14 }, label));
    else s.append(svg('text', { class: 'label', x: labelW - 8, y: y0 + rowH / 2 + 4, 'text-anchor': 'end' }, label));
    r.bars.forEach((b, j) => {
      const y = y0 + labelH + 4 + j * 22;
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
      s.append(svg('line', { class: 'target', x1: x(r.target), x2: x(r.target), y1: y0 + labelH + 2, y2: y0 + rowH - 2 }));
    }
  });
  s.append(svg('line', { class: 'axis', x1: labelW, x2: labelW, y1: top - 4, y2: height - 4 }));
  return s;
}

/**
 * An axis from 0 to at least v in about n steps of 1, 2 or 5 times a power of ten, with the
 * decimals its step needs: 0.02 days gives 0, 0.005, 0.01, 0.015, 0.02 (not "0 0 0 0 0").
 * Returns { max, values, format }.
 */
function axis(v, n = 4) {
  const top = v > 0 ? v : 1;
  const raw = top / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((x) => x >= raw * (1 - 1e-9));
  const count = Math.max(1, Math.ceil(top / step - 1e-9));
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const fmt = new Intl.NumberFormat(lang(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return {
    max: count * step,
    values: Array.from({ length: count + 1 }, (_, i) => i * step),
    format: (x) => fmt.format(x),
  };
}

/** The share axis: 0 to 100 % in quarters. */
const SHARE_TICKS = { values: [0, 0.25, 0.5, 0.75, 1], format: (v) => pf().format(v) };

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
  box.append(hbarChart(rows, { max: 1, title: t('stats.share_title'), tick: SHARE_TICKS }));
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
  const scale = axis(Math.min(p90s.at(-1), 2 * typical));
  const { max } = scale;
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
  box.append(hbarChart(rows, { max, title: t('stats.ttf_title'), tick: scale }));
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
  const scale = axis(Math.max(...groups.map((g) => g.received)));
  const { max } = scale;
  if (data.group_by !== 'week') {
    box.append(legend([['key-a', t('stats.received')], ['key-fixed', t('stats.fixed')]]));
    box.append(hbarChart(groups.map((g) => ({
      label: groupLabel(g, data.group_by),
      bars: [
        { value: g.received, cls: 'bar-a', text: String(g.received) },
        { value: g.fixed, cls: 'bar-good', text: String(g.fixed) },
      ],
    })), { max, title: t('stats.volume_title'), tick: scale }));
    return;
  }
  const width = chartWidth();
  const height = 260;
  const left = 48;
  const right = 12;
  const top = 12;
  const bottom = 48;
  const n = groups.length;
  const x = (i) => left + (n === 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (n - 1));
  const y = (v) => top + (1 - v / max) * (height - top - bottom);
  const title = t('stats.volume_week_title');
  const s = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title });
  s.append(svg('title', {}, title));
  for (const v of scale.values) {
    s.append(svg('line', { class: 'grid', x1: left, x2: width - right, y1: y(v), y2: y(v) }));
    s.append(svg('text', { class: 'value', x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, scale.format(v)));
  }
  s.append(svg('line', { class: 'axis', x1: left, x2: width - right, y1: y(0), y2: y(0) }));
  const every = Math.max(1, Math.ceil(n / Math.max(2, Math.floor((width - left - right) / 64))));
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

/** The members side by side: reports, fixes, median, within N working days, within the service level. */
function drawCompare() {
  const c = state.compare;
  $('compare').hidden = !c;
  if (!c) return;
  const days = c.total.within_days ? c.total.within_days.days : Number($('within_days').value);
  $('compare-within-col').textContent = t('stats.compare_within', { days });
  const row = (g, label) => {
    const tr = el('tr', {}, el('th', { scope: 'row' }, label));
    const w = g.within_days || {};
    for (const v of [g.received, g.fixed, fmtDays(g.median_days_to_fix), fmtShare(w.share),
      fmtShare(g.share_within_service_level)]) tr.append(el('td', { class: 'num' }, String(v)));
    return tr;
  };
  $('compare-table').tBodies[0].replaceChildren(...c.groups.map((g) => row(g, groupLabel(g, 'municipality'))));
  $('compare-table').tFoot.replaceChildren(row(c.total, t('stats.total')));
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
  if (data.total.received === 0 && data.data_extent) {
    message('stats.none_in_range', {
      first: localDate(data.data_extent.first, data.timezone), last: localDate(data.data_extent.last, data.timezone),
    });
  } else {
    message('stats.received_range', {
      count: data.total.received, from: localDate(data.from, data.timezone),
      to: addDays(localDate(data.to, data.timezone), -1),
    });
  }
  state.data = data;
  state.compare = null;
  if (state.region) {
    // The comparison across the members: the same range and category, every municipality.
    const c = new URLSearchParams({ from: p.get('from'), to: p.get('to'), group_by: 'municipality' });
    if (p.get('category')) c.set('category', p.get('category'));
    const days = Number($('within_days').value);
    if (Number.isInteger(days) && days >= 1 && days <= 365) c.set('within_days', String(days));
    try {
      state.compare = await getStats(c);
    } catch (e) {
      message('stats.error', { message: errorText(e) }, true);
    }
  }
  $('results').hidden = false; // first: the charts take the width they are given
  draw();
}

function draw() {
  const data = state.data;
  if (!data) return;
  state.width = chartWidth();
  drawSummary(data);
  drawShare(data);
  drawTimeToFix(data);
  drawVolume(data);
  drawTable(data);
  drawCompare();
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
  try {
    const [config, , districts, extent] = await Promise.all([
      getConfig(), loadCategories(), getDistricts(),
      q.has('from') || q.has('to') ? null : getReportsExtent().catch(() => null),
    ]);
    $('city-name').textContent = config.city.name;
    // The first view holds all the data there is (the demo city's is from 2021), not an
    // empty last year: from the first report to the last, in the city's days.
    if (extent) {
      $('from').value = localDate(extent[0], config.city.timezone);
      $('to').value = localDate(extent[1], config.city.timezone);
    }
    renderCategories();
    const ds = districts.features.map((f) => f.properties)
      .sort((a, b) => pick(a.name, a.code).localeCompare(pick(b.name, b.code)));
    for (const d of ds) $('district').append(el('option', { value: d.code }, pick(d.name, d.code)));
    // A region pack: pick a municipality, group by them, and compare them.
    if (Array.isArray(config.municipalities) && config.municipalities.length > 1) {
      state.region = true;
      $('municipality-pick').hidden = false;
      $('by-municipality').hidden = false;
      $('by-municipality').disabled = false;
      for (const m of config.municipalities) $('municipality').append(el('option', { value: m.id }, m.name));
    }
  } catch (e) {
    message('stats.error_city', { message: errorText(e) }, true);
  }
  $('category').value = q.get('category') || '';
  $('district').value = q.get('district') || '';
  $('municipality').value = q.get('municipality') || '';
  $('group_by').value = q.get('group_by') || 'category';
  if (q.get('within_days')) $('within_days').value = q.get('within_days');
  let resizing = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      if (state.data && Math.abs(chartWidth() - state.width) > 24) draw();
    }, 150);
  });
  $('range').addEventListener('submit', (ev) => {
    ev.preventDefault();
    load(true);
  });
  await load(!q.has('from') && !q.has('to'));
}

start();
