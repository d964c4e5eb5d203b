// "Filters & legend": which status groups and categories the map shows, and the legend of the
// status symbols (the full one in the panel, a small one over the map).

import { categories, groupedCategories, groupName } from './categories.js';
import { $, el } from './dom.js';
import { t, pick } from './i18n.js';
import { statusSymbol } from './mapkit.js';
import { mapGroups, statusesInGroups } from './workflow.js';

/** The groups shown at first (and in the small legend): not the "not ours to fix" ones. */
const DEFAULT_GROUPS = ['open', 'in_progress', 'fixed'];

const filters = { groups: new Set(DEFAULT_GROUPS), hiddenCategories: new Set(), onChange: () => {} };

/** `onChange` runs after the citizen changed what the map shows. */
export function initFilters({ onChange }) {
  filters.onChange = onChange;
  $('categories-all').addEventListener('click', () => setAllCategories(true));
  $('categories-none').addEventListener('click', () => setAllCategories(false));
}

/** The statuses the map shows. */
export const selectedStatuses = () => statusesInGroups([...filters.groups]);

/** The categories the map shows. */
export const selectedCategories = () => categories().map((c) => c.code).filter((c) => !filters.hiddenCategories.has(c));

/** Whether some categories are hidden (else the map asks for all without naming them). */
export const categoriesFiltered = () => filters.hiddenCategories.size > 0;

function checkbox(id, value, checked, onchange) {
  return el('input', { type: 'checkbox', id, value, checked, onchange: (e) => onchange(e.target.checked) });
}

export function renderFilters() {
  $('status-filters').replaceChildren(...mapGroups().map((g) => {
    const id = `filter-status-${g}`;
    return el('li', {},
      checkbox(id, g, filters.groups.has(g), (on) => {
        if (on) filters.groups.add(g);
        else filters.groups.delete(g);
        filters.onChange();
      }),
      el('label', { for: id }, statusSymbol(g, 20, 1), el('span', { text: t(`legend.${g}`) })));
  }));

  const groups = groupedCategories();
  $('category-filters').replaceChildren(...groups.map(([group, cats]) => el('div', { class: 'category-group' },
    groups.length > 1 ? el('p', { class: 'group-name', text: groupName(group) }) : null,
    el('ul', { class: 'check-list' }, cats.map((c) => {
      const id = `filter-category-${c.code}`;
      return el('li', {},
        checkbox(id, c.code, !filters.hiddenCategories.has(c.code), (on) => {
          if (on) filters.hiddenCategories.delete(c.code);
          else filters.hiddenCategories.add(c.code);
          filters.onChange();
        }),
        el('label', { for: id, text: pick(c.name, c.code) }));
    })))));
}

function setAllCategories(on) {
  filters.hiddenCategories = on ? new Set() : new Set(categories().map((c) => c.code));
  renderFilters();
  filters.onChange();
}

export function renderLegend() {
  $('legend-list').replaceChildren(
    ...mapGroups().map((g) => el('li', {}, statusSymbol(g, 22, 1), el('span', { text: t(`legend.${g}`) }))),
    el('li', {}, el('span', { class: 'grid-icon legend-grid' }, el('span', { class: 'grid-count', text: '12' })),
      el('span', { text: t('legend.area') })));
  $('legend-mini').replaceChildren(...DEFAULT_GROUPS.map((g) => el('li', {}, statusSymbol(g, 16, 1),
    el('span', { text: t(`legend.${g}`) }))));
}
