// Merging on the dispatcher page: the nearby jobs of the same category (distance, age, reports),
// a confirmation that names both jobs, a warning and a required reason beyond the category's
// limit, and the undo of a merge (right after it, and from the history entry later).

import { getMergeCandidates, getStaffCluster, postMerge, postUndoMerge } from './api.js';
import { categoryName } from './categories.js';
import { $, el } from './dom.js';
import { t, errorText, formatNumber, reportCount } from './i18n.js';
import { statusName } from './workflow.js';

const merge = {
  hooks: null, // { current(), say(text, kind), merged(into), undone(cluster) }
  list: null, // the last merge-candidates answer
  pending: null, // { into, target, distance } while the confirmation is open
  lastMerge: null, // { id, from, into } of the merge just made, for its undo button
};

/** The short description of a job in the confirmation: "#12 Pothole (3 reports, W MADISON ST)". */
function jobText(id, category, count, place) {
  const bits = [reportCount(count), place].filter(Boolean).join(', ');
  return t('merge.job', { id, category: categoryName(category), details: bits });
}

/** Metres between two points (equirectangular: the jobs are a few kilometres apart at most). */
function metresBetween(a, b) {
  const k = Math.PI / 180;
  const x = (b.lon - a.lon) * k * Math.cos(((a.lat + b.lat) / 2) * k);
  return Math.hypot(x, (b.lat - a.lat) * k) * 6371000;
}

const ageText = (days) => (days < 1 ? t('merge.age_today') : t('merge.age_days', { days: Math.floor(days) }));

function renderCandidates() {
  const box = $('m-candidates');
  const data = merge.list;
  if (!data) {
    box.replaceChildren();
    return;
  }
  $('m-limit').textContent = t('merge.limit', { limit: formatNumber(data.limit_m) });
  if (!data.candidates.length) {
    box.replaceChildren(el('li', { class: 'hint', text: t('merge.none') }));
    return;
  }
  box.replaceChildren(...data.candidates.map((c) => el('li', {},
    el('button', {
      type: 'button', class: `candidate${c.within_limit ? '' : ' far'}`, dataset: { clusterId: String(c.cluster_id) },
      onclick: () => confirmMerge(c.cluster_id),
    },
    el('span', { class: 'c-title', text: t('merge.candidate', { id: c.cluster_id, status: statusName(c.status) }) }),
    el('span', {
      class: 'c-facts',
      text: [t('merge.distance', { distance: formatNumber(c.distance_m) }), ageText(c.age_days),
        reportCount(c.report_count), c.location].filter(Boolean).join(' · '),
    }),
    c.within_limit ? null : el('span', { class: 'badge far', text: t('merge.beyond', { limit: formatNumber(data.limit_m) }) })))));
}

/** Loads the candidates of the job on screen (and closes a confirmation of another job). */
export async function loadCandidates() {
  const view = merge.hooks.current();
  closeConfirm();
  merge.list = null;
  renderCandidates();
  $('m-limit').textContent = '';
  try {
    const data = await getMergeCandidates(view.cluster.cluster_id);
    if (merge.hooks.current() === view) merge.list = data;
  } catch (err) {
    $('m-limit').textContent = t('merge.candidates_failed', { message: errorText(err) });
  }
  renderCandidates();
}

/** Opens the confirmation for merging the job on screen into `into`. */
async function confirmMerge(into) {
  const view = merge.hooks.current();
  const id = view.cluster.cluster_id;
  if (!Number.isInteger(into) || into <= 0 || into === id) {
    merge.hooks.say(t('staff.merge_which'), 'error');
    return;
  }
  let target = merge.list && merge.list.candidates.find((c) => c.cluster_id === into);
  let distance = target ? target.distance_m : null;
  let category = view.cluster.category;
  if (!target) {
    // A number typed by hand: the job is read to name it, the distance measured here.
    try {
      const other = (await getStaffCluster(into)).cluster;
      target = { cluster_id: into, report_count: other.report_count, location: other.address || other.location, status: other.status };
      category = other.category;
      distance = metresBetween(view.cluster, other);
    } catch (err) {
      merge.hooks.say(t('staff.merge_failed', { message: errorText(err) }), 'error');
      return;
    }
  }
  const limit = merge.list ? merge.list.limit_m : null;
  merge.pending = { into, target, distance, category, far: limit !== null && distance > limit };
  renderConfirm();
  $('merge-confirm').hidden = false;
  (merge.pending.far ? $('mc-reason') : $('mc-ok')).focus();
}

function renderConfirm() {
  const p = merge.pending;
  if (!p) return;
  const c = merge.hooks.current().cluster;
  $('mc-title').textContent = t('merge.confirm', {
    from: jobText(c.cluster_id, c.category, c.report_count, c.address || c.location),
    into: jobText(p.into, p.category, p.target.report_count, p.target.location),
  });
  $('mc-distance').textContent = p.distance === null ? '' : t('merge.apart', { distance: formatNumber(p.distance) });
  $('mc-warning').hidden = !p.far;
  $('mc-warning').textContent = p.far ? t('merge.far', { limit: formatNumber(merge.list.limit_m) }) : '';
  $('mc-reason-label').textContent = t(p.far ? 'merge.reason_required' : 'merge.reason');
  $('mc-reason').required = p.far;
  $('mc-ok').textContent = t('merge.do', { id: c.cluster_id, into: p.into });
}

function closeConfirm() {
  merge.pending = null;
  $('merge-confirm').hidden = true;
  $('mc-reason').value = '';
  $('mc-error').textContent = '';
}

async function doMerge() {
  const p = merge.pending;
  const id = merge.hooks.current().cluster.cluster_id;
  const reason = $('mc-reason').value.trim();
  if (p.far && !reason) {
    $('mc-error').textContent = t('merge.reason_missing');
    $('mc-reason').focus();
    return;
  }
  $('mc-ok').disabled = true;
  try {
    const r = await postMerge(id, p.into, reason || null);
    closeConfirm();
    merge.lastMerge = { id: r.merge_id, from: id, into: p.into };
    renderUndo();
    await merge.hooks.merged(p.into, t('staff.merged', { id, into: p.into }));
  } catch (err) {
    // A job the list did not hold can still be too far: the server says so, and wants a reason.
    if (err.code === 'reason_required') {
      p.far = true;
      renderConfirm();
      $('mc-reason').focus();
    }
    $('mc-error').textContent = t('staff.merge_failed', { message: errorText(err) });
  } finally {
    $('mc-ok').disabled = false;
  }
}

function renderUndo() {
  const m = merge.lastMerge;
  $('undo-merge').hidden = !m;
  if (m) $('undo-merge').textContent = t('merge.undo_last', { id: m.from, into: m.into });
}

/** Takes a merge back; the job it brought back is opened. */
export async function undoMerge(mergeId) {
  try {
    const r = await postUndoMerge(mergeId);
    if (merge.lastMerge && merge.lastMerge.id === mergeId) merge.lastMerge = null;
    renderUndo();
    await merge.hooks.undone(r.cluster.id, t('merge.undone', { id: r.cluster.id }));
  } catch (err) {
    merge.hooks.say(t('merge.undo_failed', { message: errorText(err) }), 'error');
  }
}

/** Texts again after a change of language. */
export function renderMerge() {
  renderCandidates();
  renderConfirm();
  renderUndo();
}

export function initMerge(hooks) {
  merge.hooks = hooks;
  $('merge-form').addEventListener('submit', (e) => {
    e.preventDefault();
    confirmMerge(Number($('m-into').value));
  });
  $('mc-ok').addEventListener('click', doMerge);
  $('mc-cancel').addEventListener('click', closeConfirm);
  $('undo-merge').addEventListener('click', () => merge.lastMerge && undoMerge(merge.lastMerge.id));
}
