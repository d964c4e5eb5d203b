// The duplicate hint of the report form: once a pin and a category are chosen, the problems of
// that kind already reported nearby, the one the server would join marked "most likely", and
// the citizen's answer (add my report to this one, or this is something else). An answer only
// marks the choice (shown, and undone with a second press or "undo"): the report goes when the
// form is sent, with its description, photo and contact details.

import { getNearby } from './api.js';
import { categoryName } from './categories.js';
import { $, el } from './dom.js';
import { setFormStatus } from './form-status.js';
import { t, timeAgo, formatDistance } from './i18n.js';
import { statusSymbol, symbolSize } from './mapkit.js';
import { pinLatLng } from './pin.js';
import { statusName, statusGroup } from './workflow.js';

const NEARBY_DELAY_MS = 300;
const NEARBY_SHOWN = 5;

const dup = {
  nearby: null, // { key, clusters, wouldJoin }
  pending: null, // { key, promise, abort }
  timer: 0,
  choice: null, // { same_as } | { not_same_as: [...] }
  onChoose: () => {},
  hidden: () => false,
  quiet: () => false,
};

/**
 * `onChoose` runs when the citizen answers or takes the answer back; the hint hides while
 * `hidden()` is true (the form shows its confirmation) and stays out of the status line while
 * `quiet()` is (a report is being sent).
 */
export function initDupHint({ onChoose, hidden, quiet }) {
  Object.assign(dup, { onChoose, hidden, quiet });
  $('dup-other').addEventListener('click', () => {
    const ids = dup.nearby ? dup.nearby.clusters.slice(0, NEARBY_SHOWN).map((c) => c.id) : [];
    choose(dup.choice && dup.choice.not_same_as ? null : { not_same_as: ids });
  });
  $('dup-undo').addEventListener('click', () => {
    const was = dup.choice;
    choose(null);
    // The button that made the choice takes the focus back (the undo button hides).
    const again = was && was.same_as !== undefined
      ? $('dup-list').querySelector(`[data-same-as="${was.same_as}"]`)
      : $('dup-other');
    if (again) again.focus();
  });
}

/** Marks (or, with null, clears) the citizen's answer; nothing is sent here. */
function choose(choice) {
  dup.choice = choice;
  renderDupChoice();
  dup.onChoose(choice);
}

/** The citizen's answer: { same_as: id }, { not_same_as: [ids] } or null. */
export const dupChoice = () => dup.choice;

/** Forgets the clusters and the answer (a new report, or the report was sent). */
export function resetDup() {
  dup.nearby = null;
  dup.choice = null;
  renderDup();
}

function nearbyKey() {
  const category = $('category').value;
  const ll = pinLatLng();
  if (!ll || !category) return null;
  return `${ll.lat.toFixed(7)},${ll.lng.toFixed(7)},${category}`;
}

/** Asks again a moment after the pin or the category changed. */
export function scheduleNearby() {
  clearTimeout(dup.timer);
  const key = nearbyKey();
  if (dup.nearby && dup.nearby.key !== key) resetDup();
  if (!key) return;
  dup.timer = setTimeout(() => {
    loadNearby().catch(() => {}); // shown again, with its error, when the form is sent
  }, NEARBY_DELAY_MS);
}

/** The nearby clusters for the current pin and category; one request per place and category. */
export function loadNearby() {
  const key = nearbyKey();
  if (!key) return Promise.resolve(null);
  if (dup.nearby && dup.nearby.key === key) return Promise.resolve(dup.nearby);
  if (dup.pending && dup.pending.key === key) return dup.pending.promise;
  if (dup.pending) dup.pending.abort.abort();
  const abort = new AbortController();
  const ll = pinLatLng();
  const category = $('category').value;
  const promise = getNearby({ lat: ll.lat, lon: ll.lng, category, signal: abort.signal })
    .then((data) => {
      if (dup.pending && dup.pending.promise === promise) dup.pending = null;
      if (nearbyKey() !== key) return null;
      const clusters = (data.clusters || []).filter((c) => !c.category || c.category === $('category').value);
      dup.nearby = { key, clusters, wouldJoin: data.would_join ?? null };
      renderDup();
      if (clusters.length && !dup.quiet()) {
        setFormStatus(clusters.length === 1 ? t('dup.found_one') : t('dup.found_many', { count: clusters.length }), 'dup');
      }
      return dup.nearby;
    }, (err) => {
      if (dup.pending && dup.pending.promise === promise) dup.pending = null;
      throw err;
    });
  dup.pending = { key, promise, abort };
  return promise;
}

export function renderDup() {
  const box = $('dup');
  const list = $('dup-list');
  const nearby = dup.nearby;
  if (!nearby || !nearby.clusters.length || dup.hidden()) {
    box.hidden = true;
    list.replaceChildren();
    if ($('form-status').dataset.kind === 'dup') setFormStatus('');
    return;
  }
  const clusters = nearby.clusters.slice(0, NEARBY_SHOWN);
  if (nearby.wouldJoin !== null) {
    const i = clusters.findIndex((c) => String(c.id) === String(nearby.wouldJoin));
    if (i > 0) clusters.unshift(...clusters.splice(i, 1));
  }
  list.replaceChildren(...clusters.map((c) => {
    const count = c.report_count || 1;
    const likely = nearby.wouldJoin !== null && String(c.id) === String(nearby.wouldJoin);
    return el('li', { class: `dup-item${likely ? ' is-likely' : ''}`, dataset: { clusterId: String(c.id) } },
      el('div', { class: 'dup-symbol' }, statusSymbol(statusGroup(c.status), symbolSize(count), count)),
      el('div', { class: 'dup-text' },
        likely ? el('p', { class: 'dup-likely', text: t('dup.likely') }) : null,
        el('p', { class: 'dup-badge', hidden: true, text: t('dup.chosen') }),
        // The id ties each button to its own summary for screen readers.
        el('p', {
          class: 'dup-summary',
          id: `dup-summary-${c.id}`,
          text: t(count === 1 ? 'dup.one' : 'dup.many', { count, distance: formatDistance(c.distance_m || 0) }),
        }),
        el('p', { class: 'dup-meta' },
          `${categoryName(c.category || $('category').value)} · ${statusName(c.status)} · ${t('popup.first', { ago: timeAgo(c.first_at) })}`,
          c.location ? ` · ${c.location}` : ''),
        el('button', {
          type: 'button',
          class: 'primary small dup-same',
          dataset: { sameAs: String(c.id) },
          'aria-describedby': `dup-summary-${c.id}`,
          'aria-pressed': 'false',
          text: t('dup.same'),
          onclick: () => {
            const chosen = dup.choice && String(dup.choice.same_as) === String(c.id);
            choose(chosen ? null : { same_as: c.id });
          },
        })));
  }));
  box.hidden = false;
  renderDupChoice();
}

/** Says what the answer will do, or asks for one (`ask`, when the form was sent without it). */
export function renderDupChoice({ ask = false } = {}) {
  const p = $('dup-choice');
  const c = dup.choice;
  if (!c) p.textContent = ask ? t('dup.choose') : '';
  else if (c.same_as !== undefined) p.textContent = t('dup.joined', { id: c.same_as });
  else p.textContent = t('dup.separate');
  p.classList.toggle('is-asking', !c && ask);
  $('dup-undo').hidden = !c;
  for (const li of $('dup-list').children) {
    const chosen = Boolean(c && String(c.same_as) === li.dataset.clusterId);
    li.classList.toggle('is-chosen', chosen);
    li.querySelector('.dup-same').setAttribute('aria-pressed', String(chosen));
    li.querySelector('.dup-badge').hidden = !chosen;
  }
  $('dup-other').setAttribute('aria-pressed', String(Boolean(c && c.not_same_as)));
  $('dup').classList.toggle('has-choice', Boolean(c));
}
