// The status vocabulary of every page, as the server defines it: names in both languages,
// open or closed, the group a status is drawn in on the map, and the allowed moves. Read once
// from GET /api/v1/config ("workflow"); no page spells out a list of statuses of its own.

import { getConfig } from './api.js';
import { pick } from './i18n.js';

const vocabulary = { statuses: [], byCode: new Map(), transitions: [] };
let loading = null;

function use(workflow) {
  vocabulary.statuses = workflow.statuses || [];
  vocabulary.byCode = new Map(vocabulary.statuses.map((s) => [s.code, s]));
  vocabulary.transitions = workflow.transitions || [];
}

/** Loads the vocabulary (once per page); the functions below answer after it resolved. */
export function loadWorkflow() {
  if (!loading) {
    loading = getConfig().then((config) => {
      use(config.workflow || STOPGAP);
      return vocabulary;
    });
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

/** Every status in the server's order: [{ code, name: {en, nl}, open, map_group, ... }]. */
export const statuses = () => vocabulary.statuses;

/** The status's name in the page's language (the code itself when the server has none). */
export function statusName(code) {
  const s = vocabulary.byCode.get(code);
  return s ? pick(s.name, code) : code || '';
}

export const isOpen = (code) => Boolean(vocabulary.byCode.get(code)?.open);

/** The map group of a status (open, in_progress, fixed, not_responsible): its symbol. */
export function statusGroup(code) {
  const s = vocabulary.byCode.get(code);
  return (s && s.map_group) || (vocabulary.statuses[0] && vocabulary.statuses[0].map_group) || 'open';
}

/** The map groups in the order their first status comes. */
export function mapGroups() {
  return [...new Set(vocabulary.statuses.map((s) => s.map_group).filter(Boolean))];
}

/** The codes of the statuses drawn in one of `groups`. */
export function statusesInGroups(groups) {
  const wanted = new Set(groups);
  return vocabulary.statuses.filter((s) => wanted.has(s.map_group)).map((s) => s.code);
}

/** The move from one status to another, or null when the workflow does not allow it. */
export function transition(from, to) {
  return vocabulary.transitions.find((m) => m.from === from && m.to === to) || null;
}

// STOPGAP until the server's status table is on main (GET /api/v1/config "workflow"): the
// same vocabulary in the same shape. Deleted at the switch-over.
const S = (code, en, nl, open, group) => ({ code, name: { en, nl }, open, map_group: group });
const M = (from, to, crew = false, note = false) => ({ from, to, crew, note_required: note });
const STOPGAP = {
  statuses: [
    S('new', 'New', 'Nieuw', true, 'open'),
    S('acknowledged', 'Acknowledged', 'In behandeling genomen', true, 'open'),
    S('scheduled', 'Scheduled', 'Ingepland', true, 'open'),
    S('in_progress', 'In progress', 'Wordt aan gewerkt', true, 'in_progress'),
    S('fixed', 'Fixed', 'Opgelost', false, 'fixed'),
    S('closed', 'Closed', 'Afgesloten', false, 'fixed'),
    S('not_responsible', 'Not our responsibility', 'Niet onze verantwoordelijkheid', false, 'not_responsible'),
    S('reopened', 'Reopened', 'Heropend', true, 'open'),
  ],
  transitions: [
    M('new', 'acknowledged'), M('new', 'scheduled'), M('new', 'not_responsible', false, true),
    M('new', 'closed', false, true), M('acknowledged', 'scheduled'), M('acknowledged', 'in_progress', true),
    M('acknowledged', 'not_responsible', false, true), M('acknowledged', 'closed', false, true),
    M('scheduled', 'in_progress', true), M('scheduled', 'acknowledged'), M('scheduled', 'not_responsible', false, true),
    M('in_progress', 'fixed', true), M('in_progress', 'scheduled', false, true), M('fixed', 'closed'),
    M('fixed', 'reopened', false, true), M('closed', 'reopened', false, true), M('not_responsible', 'reopened', false, true),
    M('reopened', 'acknowledged'), M('reopened', 'scheduled'), M('reopened', 'in_progress'),
    M('reopened', 'not_responsible', false, true), M('reopened', 'closed', false, true),
  ],
};
