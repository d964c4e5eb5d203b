// The dispatcher's intake tab: a report taken by phone, e-mail or at the counter, placed on a
// map with the same duplicate check as the public form, sent with the dispatcher's token.

import { getNearby, postReport } from './api.js';
import { $, el } from './dom.js';
import { t, errorText } from './i18n.js';
import { deskMap } from './mapkit.js';
import { statusName } from './workflow.js';

const L = window.L;

const intake = { map: null, marker: null, point: null, nearby: null, result: null };

/** Shows the tab's map (made on the first visit). */
export function showIntake(config, districts) {
  if (intake.map) {
    intake.map.invalidateSize();
    return;
  }
  intake.map = deskMap($('intake-map'), config, { districts });
  intake.map.on('click', (e) => {
    intake.point = { lat: e.latlng.lat, lon: e.latlng.lng };
    if (intake.marker) intake.marker.setLatLng(e.latlng);
    else intake.marker = L.circleMarker(e.latlng, { radius: 9, className: 'intake-pin' }).addTo(intake.map);
    renderWhere();
    checkNearby();
  });
  $('intake-form').addEventListener('submit', submit);
  $('i-category').addEventListener('change', checkNearby);
}

function renderWhere() {
  $('i-where').textContent = intake.point
    ? t('intake.location', { lat: intake.point.lat.toFixed(6), lon: intake.point.lon.toFixed(6) })
    : t('intake.no_location');
}

function renderNearby() {
  const n = intake.nearby;
  const box = $('i-nearby');
  if (!n) {
    box.replaceChildren();
  } else if (n.error) {
    box.replaceChildren(el('p', { class: 'error', text: t('intake.dup_failed', { message: errorText(n.error) }) }));
  } else if (n.would_join) {
    const c = n.clusters.find((x) => x.id === n.would_join);
    const more = c ? t('intake.dup_details', {
      count: c.report_count, distance: Math.round(c.distance_m), status: statusName(c.status),
    }) : '';
    box.replaceChildren(el('p', { class: 'would-join', text: t('intake.dup_join', { id: n.would_join, details: more }) }));
  } else {
    box.replaceChildren(el('p', { text: t('intake.dup_new', { radius: Math.round(n.radius_m) }) }));
  }
}

function renderResult() {
  const out = $('intake-result');
  const r = intake.result;
  if (!r) return;
  out.dataset.kind = r.kind;
  if (r.error) out.textContent = t('intake.not_saved', { message: errorText(r.error) });
  else if (r.key) out.textContent = t(r.key);
  else if (r.answer.joined) {
    out.textContent = t('intake.saved_joined', {
      id: r.answer.report.id, cluster: r.answer.cluster.id, count: r.answer.cluster.report_count,
    });
  } else {
    out.textContent = t('intake.saved_new', { id: r.answer.report.id, cluster: r.answer.cluster.id });
  }
}

/** Redraws what the tab wrote, in the page's language. */
export function renderIntake() {
  if (!intake.map) return;
  renderWhere();
  renderNearby();
  renderResult();
}

async function checkNearby() {
  intake.nearby = null;
  renderNearby();
  if (!intake.point || !$('i-category').value) return;
  try {
    intake.nearby = await getNearby({ lat: intake.point.lat, lon: intake.point.lon, category: $('i-category').value });
  } catch (err) {
    intake.nearby = { error: err };
  }
  renderNearby();
}

async function submit(e) {
  e.preventDefault();
  if (!intake.point) {
    intake.result = { kind: 'error', key: 'intake.need_location' };
    renderResult();
    return;
  }
  const contact = { name: $('i-name').value.trim(), email: $('i-email').value.trim(), phone: $('i-phone').value.trim() };
  const body = {
    category: $('i-category').value,
    lat: Number(intake.point.lat.toFixed(7)),
    lon: Number(intake.point.lon.toFixed(7)),
    channel: $('i-channel').value,
  };
  if ($('i-address').value.trim()) body.address = $('i-address').value.trim();
  if ($('i-description').value.trim()) body.description = $('i-description').value.trim();
  if (contact.name || contact.email || contact.phone) {
    body.contact = Object.fromEntries(Object.entries(contact).filter(([, v]) => v));
  }
  try {
    const answer = await postReport(body, null, { staff: true });
    intake.result = { kind: 'ok', answer };
    $('intake-result').dataset.clusterId = String(answer.cluster.id);
    for (const id of ['i-address', 'i-description', 'i-name', 'i-email', 'i-phone']) $(id).value = '';
    intake.nearby = null;
    renderNearby();
  } catch (err) {
    intake.result = { kind: 'error', error: err };
  }
  renderResult();
}
