// The dispatcher page: the incoming queue, a cluster with its reports and why they were folded
// together, merge and split, status and assignment; the intake form for reports taken by phone,
// e-mail or at the counter is in staff-intake.js. Talks to the JSON API with the dispatcher's
// bearer token; nothing is cached beyond the page.

import {
  getConfig, getDistricts, getStaffCrews, getQueue, getStaffCluster, postStatus,
  postAssign, postMove, getBlob,
} from './api.js';
import { categories, category, categoryName, loadCategories } from './categories.js';
import { $, el } from './dom.js';
import {
  t, hasKey, applyTranslations, bindLanguageSwitch, onLangChange, formatDateTime, errorText,
  formatNumber, reportCount,
} from './i18n.js';
import { joinText } from './join-reason.js';
import { deskMap } from './mapkit.js';
import { startSession, roleName } from './session.js';
import { showIntake, renderIntake } from './staff-intake.js';
import { initMerge, loadCandidates, renderMerge, undoMerge } from './staff-merge.js';
import { loadWorkflow, statuses, statusName, transition } from './workflow.js';

const L = window.L;

const state = {
  config: null,
  departments: [],
  crews: [],
  current: null, // the staff view of the cluster in the detail
  detailMap: null,
  detailLayer: null,
  blobUrls: [],
  districts: null, // a promise, fetched once for both maps
};

function say(text, kind = 'info') {
  $('message').textContent = text;
  $('message').dataset.kind = kind;
}

const when = (iso) => (iso ? formatDateTime(iso, state.config && state.config.city.timezone) : '');

/** A rule's name: the built-in ones in words, a city's own rule by its id. */
const ruleName = (code) => (hasKey(`staff.rule.${code}`) ? t(`staff.rule.${code}`) : code);
const channelName = (code) => (hasKey(`channel.${code}`) ? t(`channel.${code}`) : code);

/* ---------- signing in ---------- */

const session = startSession({
  storageKey: 'meldpunt.staff.token',
  refuse: (who) => {
    if (['dispatcher', 'admin'].includes(who.role)) return null;
    return who.role === 'crew' ? t('staff.refuse_crew') : t('staff.refuse');
  },
  whoText: (who) => `${who.name} · ${roleName(who.role)}`,
  onSignIn: async () => {
    $('tabs').hidden = false;
    await loadLookups();
    showTab('queue');
    await loadQueue();
  },
  onSignOut: () => {
    for (const id of ['tabs', 'queue-view', 'intake-view', 'detail']) $(id).hidden = true;
    state.current = null;
    say('');
  },
});

async function loadLookups() {
  if (state.config) return;
  const [config, , staff] = await Promise.all([getConfig(), loadCategories(), getStaffCrews(), loadWorkflow()]);
  state.config = config;
  state.departments = staff.departments;
  state.crews = staff.crews.filter((c) => !c.disabled);
  renderLookups();
}

/** Fills a select after its first, fixed option, keeping the chosen value. */
function fill(select, items) {
  const value = select.value;
  select.replaceChildren(select.options[0], ...items.map(([v, label]) => el('option', { value: v, text: label })));
  select.value = value;
}

function renderLookups() {
  const statusSelect = $('f-status');
  const chosen = statusSelect.value;
  // "" asks for the server's default: the incoming reports (new and reopened).
  statusSelect.replaceChildren(
    el('option', { value: '', text: t('staff.filter_incoming') }),
    el('option', { value: 'open', text: t('staff.filter_open') }),
    ...statuses().map((s) => el('option', { value: s.code, text: statusName(s.code) })));
  statusSelect.value = chosen;
  fill($('f-department'), state.departments.map((d) => [d, d]));
  fill($('a-department'), state.departments.map((d) => [d, d]));
  fill($('a-crew'), state.crews.map((c) => [c.name, `${c.name} (${c.department})`]));
  const items = categories().map((c) => [c.code, categoryName(c.code)]);
  fill($('f-category'), items);
  const intake = $('i-category');
  const chosenCategory = intake.value;
  intake.replaceChildren(...items.map(([v, label]) => el('option', { value: v, text: label })));
  if (chosenCategory) intake.value = chosenCategory;
}

/* ---------- the queue ---------- */

async function loadQueue() {
  const data = await getQueue({
    status: $('f-status').value, department: $('f-department').value, category: $('f-category').value, limit: 200,
  });
  $('queue').replaceChildren(...data.clusters.map((c) => {
    const facts = [c.district_name, reportCount(c.report_count),
      t('staff.age_days', { days: Math.floor(c.age_days) }), `P${c.priority}`, c.department || '—'];
    const id = c.cluster_id;
    const selected = state.current && state.current.cluster.cluster_id === id;
    return el('li', {}, el('button', {
      class: `queue-item${selected ? ' selected' : ''}`, type: 'button', dataset: { clusterId: String(id) },
      onclick: () => openDetail(id).catch((err) => say(t('staff.error_detail', { message: errorText(err) }), 'error')),
    },
    el('span', { class: 'q-title', text: `#${id} ${categoryName(c.category, c.category_name)}` }),
    el('span', { class: 'q-place', text: c.address || c.location || '' }),
    el('span', { class: 'q-facts', text: facts.filter(Boolean).join(' · ') }),
    c.overdue ? el('span', { class: 'badge overdue', text: t('staff.overdue') }) : null,
    c.status !== 'new' ? el('span', { class: 'badge', text: statusName(c.status) }) : null));
  }));
  $('queue-count').textContent = data.total > data.count
    ? t('staff.queue_oldest', { count: data.count, total: data.total })
    : t(data.count === 1 ? 'staff.queue_one' : 'staff.queue_many', { count: data.count });
}

/* ---------- one cluster ---------- */

const fact = (term, value) => [el('dt', { text: term }), el('dd', { text: value })];

async function openDetail(id) {
  const data = await getStaffCluster(id);
  state.current = data;
  renderDetail();
  resetForms();
  await Promise.all([showPhotos(data.photos), loadCandidates()]);
  showDetailMap(data);
}

/** A citizen's photo of a report: the thumbnail, the full size on tap (public, like the report). */
function reportPhoto(r) {
  if (!r.has_photo) return null;
  const base = `/api/v1/reports/${encodeURIComponent(r.id)}/photo`;
  return el('a', { class: 'r-photo', href: base, target: '_blank', rel: 'noopener', 'aria-label': t('staff.report_photo_open', { id: r.id }) },
    el('img', { src: `${base}/thumb`, alt: t('staff.report_photo', { id: r.id }), loading: 'lazy' }));
}

/** What a history entry says: a merge's own entry in words (with its reason), else the status. */
function historyLine(h) {
  const head = h.actor ? t('staff.history_by', { at: when(h.at), status: statusName(h.status), actor: h.actor })
    : `${when(h.at)} — ${statusName(h.status)}`;
  const from = h.from_cluster ? ` ${t('staff.history_from', { cluster: h.from_cluster })}` : '';
  if (!h.merge) return [head + from, h.note];
  const m = h.merge;
  const what = t(`staff.history_${m.event}`, { cluster: m.cluster_id, distance: formatNumber(m.distance_m) });
  const undone = m.undone && m.event !== 'unmerged' ? ` ${t('staff.history_undone')}` : '';
  return [`${head}${from} — ${what}${undone}`, m.reason ? t('staff.history_reason', { reason: m.reason }) : null];
}

function renderDetail() {
  const data = state.current;
  const c = data.cluster;
  const id = c.cluster_id;
  for (const b of document.querySelectorAll('.queue-item')) b.classList.toggle('selected', b.dataset.clusterId === String(id));
  $('detail').hidden = false;
  $('detail').dataset.clusterId = String(id);
  $('detail-title').textContent = `#${id} ${categoryName(c.category, c.category_name)} — ${statusName(c.status)}`;
  $('detail-place').textContent = [c.address, c.location, c.district_name].filter(Boolean).join(' · ');
  const routed = c.route_rule === 'manual' ? t('staff.assigned') : t('staff.by_rule', { rule: ruleName(c.route_rule) });
  $('detail-facts').replaceChildren(
    ...fact(t('staff.reports'), c.report_count),
    ...fact(t('staff.first_report'), when(c.first_at)),
    ...fact(t('staff.department'), `${c.department || '—'} (${routed})`),
    ...fact(t('staff.crew'), c.crew || '—'),
    ...fact(t('staff.priority'), `${c.priority} (${ruleName(c.priority_rule)})`),
    ...fact(t('staff.due'), `${when(c.due_at)}${c.overdue ? ` — ${t('staff.overdue_caps')}` : ''} (${t('staff.working_days', { days: c.service_days })})`));

  const select = $('s-status');
  const chosen = select.value;
  select.replaceChildren(...c.actions.map((a) => el('option', { value: a, text: statusName(a) })));
  if (c.actions.includes(chosen)) select.value = chosen;
  $('status-form').querySelector('button').disabled = !c.actions.length;
  renderNoteHint();

  $('detail-reports').replaceChildren(...data.reports.map((r) => {
    const contact = r.contact ? [r.contact.name, r.contact.email, r.contact.phone].filter(Boolean) : [];
    return el('li', { dataset: { reportId: String(r.id) } },
      el('div', { class: 'r-head', text: t('staff.report_head', { id: r.id, at: when(r.created_at), channel: channelName(r.channel) }) }),
      el('div', { class: 'r-desc', text: r.description || t('staff.no_description') }),
      // A report that came with a merged cluster says so first: its reason is its old cluster's.
      el('div', {
        class: r.merged_from ? 'r-why r-merged' : 'r-why',
        text: r.merged_from
          ? t('staff.report_merged_from', { cluster: r.merged_from, why: joinText(r.join_reason, category(c.category)) })
          : joinText(r.join_reason, category(c.category)),
      }),
      r.address ? el('div', { class: 'r-addr', text: r.address }) : null,
      reportPhoto(r),
      contact.length ? el('div', { class: 'r-contact', text: t('staff.contact', { contact: contact.join(', ') }) }) : null,
      data.reports.length > 1
        ? el('button', { type: 'button', class: 'small', text: t('staff.split'), onclick: () => moveReport(r.id) })
        : null);
  }));
  $('detail-history').replaceChildren(...data.history.map((h) => {
    const [line, note] = historyLine(h);
    return el('li', { class: h.merge ? 'merge-entry' : null, dataset: h.merge ? { mergeId: String(h.merge.id), event: h.merge.event } : {} },
      line,
      note && h.merge ? el('div', { class: 'note internal', text: note }) : null,
      note && !h.merge ? el('div', {
        class: h.note_public ? 'note public' : 'note internal',
        text: t(h.note_public ? 'staff.note_public_text' : 'staff.note_internal_text', { note }),
      }) : null,
      h.merge && h.merge.undoable ? el('button', {
        type: 'button', class: 'small undo', text: t('staff.undo_merge', { cluster: h.merge.cluster_id }),
        onclick: () => undoMerge(h.merge.id),
      }) : null);
  }));
  $('detail-audit').replaceChildren(...data.audit.map((a) => el('li', { text: auditLine(a) })));
}

/** One value of an audit entry's detail: statuses and the kind of note by name. */
function auditValue(action, key, v) {
  if (action === 'status' && (key === 'from' || key === 'to')) return statusName(v);
  if (key === 'note' && hasKey(`staff.audit_note.${v}`)) return t(`staff.audit_note.${v}`);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** An audit entry in the page's language: the action named, its details as "what: value". */
function auditLine(a) {
  const action = hasKey(`staff.audit.${a.action}`) ? t(`staff.audit.${a.action}`) : a.action;
  const detail = a.detail && typeof a.detail === 'object'
    ? Object.entries(a.detail).filter(([, v]) => v !== null && v !== 0 && v !== '')
      .map(([k, v]) => `${hasKey(`staff.audit_key.${k}`) ? t(`staff.audit_key.${k}`) : k}: ${auditValue(a.action, k, v)}`)
      .join(', ')
    : '';
  return `${when(a.at)} ${a.user}: ${action}${detail ? ` (${detail})` : ''}`;
}

/** Says when the chosen move needs a note (the workflow asks a reason for refusing, reopening ...). */
function renderNoteHint() {
  const c = state.current && state.current.cluster;
  const move = c && transition(c.status, $('s-status').value);
  $('s-note-hint').hidden = !(move && move.note_required);
}

async function showPhotos(photos) {
  while (state.blobUrls.length) URL.revokeObjectURL(state.blobUrls.pop());
  const box = $('detail-photos');
  box.replaceChildren();
  if (!photos.length) return;
  box.append(el('h3', { text: t('staff.crew_photos') }));
  for (const p of photos) {
    try {
      const url = URL.createObjectURL(await getBlob(p.thumb_url));
      state.blobUrls.push(url);
      const alt = t('staff.photo_alt', { actor: p.actor, status: statusName(p.status) });
      box.append(el('figure', {},
        el('button', { type: 'button', class: 'photo-open', 'aria-label': t('staff.photo_open'), onclick: () => openFull(p) },
          el('img', { src: url, alt })),
        el('figcaption', { text: `${when(p.at)} · ${p.actor}` })));
    } catch {
      box.append(el('p', { class: 'hint', text: t('staff.photo_failed', { id: p.id }) }));
    }
  }
}

/** A crew photo at full size (behind the token: fetched, then opened as a blob). */
async function openFull(photo) {
  try {
    const url = URL.createObjectURL(await getBlob(photo.url));
    state.blobUrls.push(url);
    window.open(url, '_blank', 'noopener');
  } catch {
    say(t('staff.photo_failed', { id: photo.id }), 'error');
  }
}

function showDetailMap(data) {
  if (!state.detailMap) state.detailMap = deskMap($('detail-map'), state.config, { districts: districtsIfNoTiles() });
  if (state.detailLayer) state.detailLayer.remove();
  state.detailLayer = L.layerGroup().addTo(state.detailMap);
  for (const r of data.reports) {
    L.circleMarker([r.lat, r.lon], { radius: 7, className: 'report-dot' })
      .bindTooltip(() => t('staff.report', { id: r.id })).addTo(state.detailLayer);
  }
  L.circleMarker([data.cluster.lat, data.cluster.lon], { radius: 11, className: 'cluster-ring' }).addTo(state.detailLayer);
  state.detailMap.invalidateSize();
  const pts = data.reports.map((r) => [r.lat, r.lon]);
  if (pts.length) state.detailMap.fitBounds(L.latLngBounds(pts).pad(0.5), { maxZoom: 18 });
}

/** The staff maps draw the districts only when there are no tiles. */
function districtsIfNoTiles() {
  if (state.config.tiles && state.config.tiles.url) return null;
  if (!state.districts) state.districts = getDistricts();
  return state.districts;
}

async function refreshAfter(text) {
  say(text, 'ok');
  const id = state.current && state.current.cluster.cluster_id;
  await loadQueue();
  if (id) {
    try {
      await openDetail(id);
    } catch {
      $('detail').hidden = true; // merged away
    }
  }
}

async function moveReport(reportId) {
  try {
    const r = await postMove(reportId, null);
    const landed = r && r.cluster && (r.cluster.id || r.cluster.cluster_id);
    await refreshAfter(landed ? t('staff.moved_to', { id: reportId, cluster: landed }) : t('staff.moved', { id: reportId }));
  } catch (err) {
    say(t('staff.move_failed', { id: reportId, message: errorText(err) }), 'error');
  }
}

/* ---------- the forms of the detail ---------- */

async function changeStatus(e) {
  e.preventDefault();
  const id = state.current.cluster.cluster_id;
  const status = $('s-status').value;
  try {
    await postStatus(id, { status, note: $('s-note').value.trim() || null, note_public: $('s-public').checked });
    await refreshAfter(t('staff.status_changed', { id, status: statusName(status) }));
  } catch (err) {
    say(t('staff.status_failed', { message: errorText(err) }), 'error');
  }
}

async function assign(e) {
  e.preventDefault();
  const id = state.current.cluster.cluster_id;
  const priority = $('a-priority').value;
  try {
    await postAssign(id, {
      department: $('a-department').value || null,
      crew: $('a-crew').value || null,
      priority: priority ? Number(priority) : null,
    });
    await refreshAfter(t('staff.assigned_done', { id }));
  } catch (err) {
    say(t('staff.assign_failed', { message: errorText(err) }), 'error');
  }
}

/** The assignment form shows what is set by hand; a new cluster starts it afresh. */
function resetForms() {
  const c = state.current.cluster;
  $('s-note').value = '';
  $('s-public').checked = false;
  $('a-department').value = c.route_rule === 'manual' ? (c.department || '') : '';
  $('a-crew').value = c.crew || '';
  $('a-priority').value = c.priority_rule === 'manual' ? String(c.priority) : '';
  $('m-into').value = '';
}

/* ---------- wiring ---------- */

function showTab(name) {
  const queue = name === 'queue';
  $('queue-view').hidden = !queue;
  $('intake-view').hidden = queue;
  $('tab-queue').setAttribute('aria-pressed', String(queue));
  $('tab-intake').setAttribute('aria-pressed', String(!queue));
  if (!queue) showIntake(state.config, districtsIfNoTiles());
  else if (state.detailMap) state.detailMap.invalidateSize();
}

function start() {
  applyTranslations(document);
  bindLanguageSwitch($('lang-switch'));
  onLangChange(() => {
    if (!session.user() || !state.config) return;
    renderLookups();
    renderIntake();
    loadQueue().catch((err) => say(errorText(err), 'error'));
    if (state.current) {
      renderDetail();
      renderMerge();
    }
  });
  $('tab-queue').addEventListener('click', () => showTab('queue'));
  $('tab-intake').addEventListener('click', () => showTab('intake'));
  $('queue-filters').addEventListener('submit', (e) => {
    e.preventDefault();
    loadQueue().catch((err) => say(t('staff.queue_failed', { message: errorText(err) }), 'error'));
  });
  for (const id of ['f-status', 'f-department', 'f-category']) {
    $(id).addEventListener('change', () => loadQueue().catch((err) => say(errorText(err), 'error')));
  }
  $('s-status').addEventListener('change', renderNoteHint);
  $('status-form').addEventListener('submit', changeStatus);
  $('assign-form').addEventListener('submit', assign);
  initMerge({
    current: () => state.current,
    say,
    merged: async (into, text) => {
      say(text, 'ok');
      await loadQueue();
      await openDetail(into);
    },
    undone: async (cluster, text) => {
      say(text, 'ok');
      await loadQueue();
      await openDetail(cluster);
    },
  });
}

start();
