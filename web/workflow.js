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
      if (!config.workflow) throw new Error('the server sent no status table (config.workflow)');
      use(config.workflow);
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

/** The moves out of a status, in the server's order: [{ from, to, crew, note_required }]. */
export const movesFrom = (from) => vocabulary.transitions.filter((m) => m.from === from);
