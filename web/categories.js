// The city's categories as every page shows them: names and descriptions in the page's
// language, and the groups they fall in. Read once from GET /api/v1/categories.

import { getCategories } from './api.js';
import { t, pick, lang, hasKey } from './i18n.js';

const catalog = { list: [], byCode: new Map() };
let loading = null;

/** Loads the categories (once per page); a failure leaves the list empty and is thrown. */
export function loadCategories() {
  if (!loading) {
    loading = getCategories().then((answer) => {
      catalog.list = answer.categories || [];
      catalog.byCode = new Map(catalog.list.map((c) => [c.code, c]));
      return catalog.list;
    });
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

export const categories = () => catalog.list;
export const category = (code) => catalog.byCode.get(code) || null;

/** The category's name in the page's language; `fallback` (or the code) when it is unknown. */
export function categoryName(code, fallback) {
  const c = catalog.byCode.get(code);
  return c ? pick(c.name, code) : fallback || code || '';
}

/** The name of a group of categories ("streets" -> "Streets and pavements"). */
export function groupName(code) {
  if (!code) return '';
  if (hasKey(`group.${code}`)) return t(`group.${code}`);
  const words = code.replace(/[_-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** [[group, [category, ...]], ...] in the order the groups first come, names sorted. */
export function groupedCategories() {
  const groups = new Map();
  for (const c of catalog.list) {
    const g = c.group || '';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(c);
  }
  for (const list of groups.values()) {
    list.sort((a, b) => pick(a.name, a.code).localeCompare(pick(b.name, b.code), lang()));
  }
  return [...groups.entries()];
}
