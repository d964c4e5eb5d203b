// "Your reports": the reports sent from this browser, kept in localStorage (no account), with
// a link to each one's page.

import { categoryName } from './categories.js';
import { $, el } from './dom.js';
import { timeAgo } from './i18n.js';

const MINE_KEY = 'meldpunt.mine';
const MINE_KEPT = 20;

function loadMine() {
  try {
    const list = JSON.parse(localStorage.getItem(MINE_KEY) || '[]');
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

/** Remembers a report the server accepted (the newest first, at most MINE_KEPT). */
export function saveMine(r) {
  if (r.id === undefined) return;
  const list = loadMine().filter((m) => String(m.id) !== String(r.id));
  list.unshift({ id: r.id, category: r.category, created_at: r.created_at, url: r.url });
  try {
    localStorage.setItem(MINE_KEY, JSON.stringify(list.slice(0, MINE_KEPT)));
  } catch {
    // storage full or blocked: the confirmation link still works
  }
}

export function renderMine() {
  const list = loadMine();
  $('mine-none').hidden = list.length > 0;
  $('mine-list').replaceChildren(...list.map((m) => el('li', {},
    el('a', { href: m.url || `/r/${encodeURIComponent(m.id)}`, text: `${categoryName(m.category)} (${m.id})` }),
    m.created_at ? ` · ${timeAgo(m.created_at)}` : '')));
}
