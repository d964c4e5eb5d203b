// The page of one report, /r/{id}: its status, history, category, place and photo.

import { getConfig, getDistricts, getServiceArea, getReport } from './api.js';
import { categoryName, loadCategories } from './categories.js';
import { $, el } from './dom.js';
import {
  t, applyTranslations, bindLanguageSwitch, onLangChange, timeAgo, formatDateTime,
} from './i18n.js';
import { createMap, statusSymbol, symbolSize, districtName } from './mapkit.js';
import { initStreets } from './streets-layer.js';
import { loadWorkflow, statusName, statusGroup } from './workflow.js';

const L = window.L;
const REPORT_ZOOM = 17;

const state = { config: null, report: null, kit: null, marker: null };

function reportId() {
  const m = /^\/r\/([^/]+)\/?$/.exec(location.pathname);
  if (m) return decodeURIComponent(m[1]);
  return new URLSearchParams(location.search).get('id');
}

async function start() {
  applyTranslations(document);
  bindLanguageSwitch($('lang-switch'));
  onLangChange(render);
  const id = reportId();
  if (!id) {
    showMessage(t('report.not_found'), true);
    return;
  }
  let report;
  try {
    const [config, feature] = await Promise.all([
      getConfig(),
      getReport(id),
      loadCategories().catch(() => []),
      loadWorkflow(),
    ]);
    state.config = config;
    report = feature;
  } catch (err) {
    showMessage(err.status === 404 ? t('report.not_found') : t('report.error', { message: err.message }), true);
    return;
  }
  state.report = report;
  $('city-name').textContent = state.config.city.name || '';
  showMessage('');
  $('report').hidden = false;
  render();
  drawMap();
}

function showMessage(text, isError = false) {
  const p = $('report-status-message');
  p.textContent = text;
  p.classList.toggle('form-error', isError && Boolean(text));
  p.hidden = !text;
}

function render() {
  const f = state.report;
  if (!f) return;
  const p = f.properties || {};
  const id = p.id ?? f.id;
  const tz = state.config.city.timezone;
  document.title = `${t('report.title', { id })} · ${t('app.title')}`;
  $('report-heading').textContent = `${t('report.title', { id })}: ${categoryName(p.category)}`;

  const status = $('report-status');
  status.replaceChildren(statusSymbol(statusGroup(p.status), 28, 1), statusName(p.status));
  status.dataset.status = p.status || '';
  status.setAttribute('aria-label', `${t('report.status')}: ${statusName(p.status)}`);

  $('report-category').textContent = categoryName(p.category);
  $('report-created').replaceChildren(timeEl(p.created_at, tz));
  $('report-updated').replaceChildren(timeEl(p.updated_at || p.created_at, tz));
  const where = [p.address, p.location, p.district && districtName({ properties: p.district })]
    .filter(Boolean);
  const [lon, lat] = (f.geometry && f.geometry.coordinates) || [];
  if (typeof lat === 'number') {
    where.push(`${lat.toFixed(5)}, ${lon.toFixed(5)}`);
    // Back to the map, at this report.
    $('back-link').href = `/#${REPORT_ZOOM}/${lat.toFixed(5)}/${lon.toFixed(5)}`;
  }
  $('report-location').textContent = [...new Set(where)].join(' · ');

  const count = p.report_count || 1;
  $('report-neighbours').textContent = count > 1
    ? t('report.neighbours_many', { count })
    : t('report.neighbours_one');

  $('report-description').textContent = p.description || '';

  const photo = p.photo;
  $('photo-section').hidden = !(photo && (photo.thumb_url || photo.url));
  if (photo && (photo.thumb_url || photo.url)) {
    const img = $('report-photo');
    img.src = photo.thumb_url || photo.url;
    img.alt = t('report.photo');
    const link = $('report-photo-link');
    link.href = photo.url || photo.thumb_url;
    link.setAttribute('aria-label', t('report.photo_open'));
  }

  const fix = p.fix_photo;
  $('fix-section').hidden = !fix;
  if (fix) {
    $('fix-photo').src = fix.thumb_url;
    $('fix-photo').alt = t('report.fix_photo_alt', { at: formatDateTime(fix.at, tz) });
    $('fix-photo-link').href = fix.url;
    $('fix-photo-link').setAttribute('aria-label', t('report.photo_open'));
  }

  const history = p.history || [];
  const list = $('report-history');
  if (!history.length) {
    list.replaceChildren(el('li', { text: t('report.history_empty') }));
  } else {
    list.replaceChildren(...history.map((h) => el('li', {},
      timeEl(h.at, tz), ' ',
      mergeLine(h) || el('span', { class: 'status-line' }, statusSymbol(statusGroup(h.status), 16, 1), statusName(h.status)),
      h.note ? el('span', { class: 'history-note', text: h.note }) : null)));
  }
  if (state.marker) state.marker.setIcon(markerIcon());
}

/** A merge's entry: the report's job went together with another one (or apart again). */
function mergeLine(h) {
  if (h.merged_with) return el('span', { class: 'status-line merge-line', text: t('report.merged_with', { id: h.merged_with }) });
  if (h.unmerged_from) return el('span', { class: 'status-line merge-line', text: t('report.unmerged_from', { id: h.unmerged_from }) });
  return null;
}

function timeEl(iso, tz) {
  return el('time', { datetime: iso || '', text: iso ? `${formatDateTime(iso, tz)} (${timeAgo(iso)})` : '' });
}

function markerIcon() {
  const p = state.report.properties || {};
  const size = symbolSize(p.report_count || 1) + 8;
  return L.divIcon({
    html: statusSymbol(statusGroup(p.status), size, p.report_count || 1),
    className: `cluster-icon cluster-${statusGroup(p.status)}`,
    iconSize: [size, size],
  });
}

function drawMap() {
  const f = state.report;
  if (!f.geometry || f.geometry.type !== 'Point') return;
  const [lon, lat] = f.geometry.coordinates;
  const kit = createMap($('report-map'), state.config, {
    districts: getDistricts().catch(() => null),
    serviceArea: getServiceArea().catch(() => null),
    interactiveDistricts: false,
    scrollWheelZoom: false,
  });
  state.kit = kit;
  kit.map.setView([lat, lon], REPORT_ZOOM, { animate: false });
  state.marker = L.marker([lat, lon], { icon: markerIcon(), keyboard: false, interactive: false }).addTo(kit.map);
  initStreets(kit.map, { wanted: () => !kit.tilesOn() });
}

start();
