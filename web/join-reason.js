// Why a report is in its cluster, in words, from the join_reason the API sends with each report:
// {"kind","rule","evidence","distance_m","along_street_m","number_gap","street_match","age_s",
// "radius_m","along_limit_m","address_span","window_days","limit_m","limit_numbers"}
// ({"kind":"staff","rule":null} after a correction; reasons stored before the evidence was
// named have no "evidence" and no limits). Two tables: REASONS says which evidence decided (the
// first entry that matches speaks), EVIDENCE adds what else the server measured. A new kind of
// reason or of evidence is one entry in one of them.

import { t, hasKey, formatNumber } from './i18n.js';

const metres = (v) => formatNumber(v, 1);
const has = (v) => v !== undefined && v !== null;
const ruleWord = (rule) => (hasKey(`staff.rule.${rule}`) ? t(`staff.rule.${rule}`) : String(rule));

/** The limit along the street: the reason's own, else the category's. */
const alongLimit = (j, category) => j.limit_m ?? j.along_limit_m ?? (category ? category.along_m : null);

/**
 * Which evidence put the report here. `match(j)` picks the entry, `text(j, category)` says it;
 * `category` is the cluster's category from /api/v1/categories, or null. `covers` names the
 * evidence the sentence already says.
 */
const REASONS = [
  { match: (j) => j.kind === 'new', text: () => t('staff.join_new') },
  {
    match: (j) => j.kind === 'same_as',
    text: (j) => t('staff.join_same_as', { distance: Math.round(j.distance_m || 0) }),
  },
  { match: (j) => j.kind === 'staff', text: () => t('staff.join_staff') },
  {
    // House numbers on the same street within the category's span.
    match: (j) => j.evidence === 'address_span',
    covers: ['street_match'],
    text: (j) => t('staff.join_address', {
      gap: j.number_gap ?? 0, limit: j.limit_numbers ?? j.address_span, rule: ruleWord(j.rule),
    }),
  },
  {
    // Along the street, measured between the house numbers placed on it.
    match: (j) => j.evidence === 'along_numbers',
    covers: ['street_match'],
    text: (j, category) => t('staff.join_along_numbers', {
      along: metres(j.along_street_m ?? 0), limit: Math.round(alongLimit(j, category) ?? 0), rule: ruleWord(j.rule),
    }),
  },
  {
    // The pins: the cluster's centre within the radius.
    match: (j) => j.evidence === 'pin_distance'
      || (!j.evidence && j.kind === 'nearest' && has(j.distance_m) && has(j.radius_m) && j.distance_m <= j.radius_m),
    text: (j) => t('staff.join_pins', {
      distance: metres(j.distance_m), radius: Math.round(j.limit_m ?? j.radius_m), rule: ruleWord(j.rule),
    }),
  },
  {
    // Farther than the radius, but along the same street (from the pins snapped to it).
    match: (j) => j.evidence === 'along_pins' || (!j.evidence && j.kind === 'nearest' && has(j.along_street_m)),
    covers: ['street_match'],
    text: (j, category) => {
      const limit = alongLimit(j, category);
      const vars = { along: metres(j.along_street_m ?? 0), distance: metres(j.distance_m), rule: ruleWord(j.rule) };
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
