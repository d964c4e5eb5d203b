// Why a report is in its cluster, in words, from the join_reason the API sends with each report
// ({"kind","rule","distance_m","along_street_m","street_match","age_s","radius_m",
// "window_days"}; {"kind":"staff","rule":null} after a correction). Two tables: REASONS says
// which rule decided (the first entry that matches speaks), EVIDENCE adds what else the server
// measured. A new kind of reason or of evidence is one entry in one of them.

import { t, formatNumber } from './i18n.js';

const metres = (v) => formatNumber(v, 1);
const has = (v) => v !== undefined && v !== null;

/**
 * Which rule put the report here. `match(j)` picks the entry, `text(j, category)` says it;
 * `category` is the cluster's category from /api/v1/categories (its along_m), or null.
 * `covers` names the evidence the sentence already says.
 */
const REASONS = [
  { match: (j) => j.kind === 'new', text: () => t('staff.join_new') },
  {
    match: (j) => j.kind === 'same_as',
    text: (j) => t('staff.join_same_as', { distance: Math.round(j.distance_m || 0) }),
  },
  { match: (j) => j.kind === 'staff', text: () => t('staff.join_staff') },
  {
    // Within the category's radius: the point rule, and the street rule across the street.
    match: (j) => j.kind === 'nearest' && has(j.distance_m) && has(j.radius_m) && j.distance_m <= j.radius_m,
    text: (j) => t(j.rule === 'street' ? 'staff.join_across' : 'staff.join_point', {
      distance: metres(j.distance_m), radius: Math.round(j.radius_m),
    }),
  },
  {
    // Farther than the radius, but along the same street within the category's along limit.
    match: (j) => j.kind === 'nearest' && j.rule === 'street' && has(j.along_street_m),
    covers: ['street_match'],
    text: (j, category) => {
      const vars = { along: metres(j.along_street_m), distance: metres(j.distance_m) };
      // The reason's own limit when it carries one, else the category's.
      const limit = has(j.along_limit_m) ? j.along_limit_m : category && category.along_m;
      return has(limit)
        ? t('staff.join_along_limit', { ...vars, limit: Math.round(limit) })
        : t('staff.join_along', vars);
    },
  },
  { match: (j) => j.kind === 'nearest', text: (j) => t('staff.join_nearest', { distance: metres(j.distance_m || 0) }) },
];

/** What else was measured: each entry a clause, or null when it says nothing here. */
const EVIDENCE = [
  {
    key: 'street_match',
    text: (v, j) => (v === true && j.kind !== 'staff' ? t('staff.evidence_same_street') : null),
  },
  {
    key: 'age_s',
    text: (v, j) => (has(v) && j.kind !== 'new' && j.kind !== 'staff'
      ? t('staff.evidence_age', { days: Math.round(v / 86400), window: j.window_days ?? '?' })
      : null),
  },
];

/** The reason in the page's language: "joined: 3.6 m from the centre, …; on the same street; …". */
export function joinText(reason, category = null) {
  if (!reason || typeof reason !== 'object') return t('staff.join_none');
  const hit = REASONS.find((r) => r.match(reason));
  const main = hit ? hit.text(reason, category) : String(reason.kind || t('staff.join_none'));
  const covered = new Set((hit && hit.covers) || []);
  const clauses = EVIDENCE
    .filter((e) => e.key in reason && !covered.has(e.key))
    .map((e) => e.text(reason[e.key], reason))
    .filter(Boolean);
  return [main, ...clauses].join('; ');
}
