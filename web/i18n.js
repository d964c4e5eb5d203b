// The one translation module of every page: English and Dutch, the language follows
// navigator.languages until the user picks one with the switch (kept in localStorage, so the
// choice holds on every page of the site). The texts live in data-only tables, one per group
// of pages; names that come from the API (categories, statuses) carry both languages.

import publicStrings from './strings-public.js';
import staffStrings from './strings-staff.js';
import crewStrings from './strings-crew.js';
import statsStrings from './strings-stats.js';
import mailStrings from './strings-mail.js';

/** Texts every page uses: the switch, sign-in of staff and crews, units, errors. */
const COMMON = {
  en: {
    'app.title': 'meldpunt',
    'lang.switch': 'Nederlands',
    'lang.switch_label': 'Schakel over naar Nederlands',
    'reports.one': '1 report',
    'reports.many': '{count} reports',
    'distance.m': '{value} m',
    'distance.km': '{value} km',
    'error.network': 'The server could not be reached. Check your connection and try again.',
    'signin.title': 'Sign in',
    'signin.submit': 'Sign in',
    'signin.out': 'Sign out',
    'signin.empty': 'Enter your token.',
    'signin.invalid': 'This token is not valid.',
    'signin.expired': 'Your sign-in is no longer valid. Please sign in again.',
  },
  nl: {
    'app.title': 'meldpunt',
    'lang.switch': 'English',
    'lang.switch_label': 'Switch to English',
    'reports.one': '1 melding',
    'reports.many': '{count} meldingen',
    'distance.m': '{value} m',
    'distance.km': '{value} km',
    'error.network': 'De server is niet bereikbaar. Controleer uw verbinding en probeer het opnieuw.',
    'signin.title': 'Aanmelden',
    'signin.submit': 'Aanmelden',
    'signin.out': 'Afmelden',
    'signin.empty': 'Vul uw token in.',
    'signin.invalid': 'Dit token is niet geldig.',
    'signin.expired': 'Uw aanmelding is niet meer geldig. Meld u opnieuw aan.',
  },
};

/** Every table, for tests that compare the languages; pages use t(). */
export const TABLES = {
  common: COMMON, public: publicStrings, staff: staffStrings, crew: crewStrings, stats: statsStrings, mail: mailStrings,
};

const STRINGS = {};
for (const table of Object.values(TABLES)) {
  for (const [code, texts] of Object.entries(table)) STRINGS[code] = { ...STRINGS[code], ...texts };
}

export const LANGUAGES = Object.keys(STRINGS);
const STORAGE_KEY = 'meldpunt.lang';
const listeners = new Set();

function storedLanguage() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage may be blocked; the switch then lasts for this page only
  }
}

function detectLanguage() {
  const stored = storedLanguage();
  if (stored && STRINGS[stored]) return stored;
  for (const tag of navigator.languages || [navigator.language || 'en']) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (STRINGS[base]) return base;
  }
  return 'en';
}

let current = detectLanguage();

/** Whether `key` has a text (in the current language or English). */
export function hasKey(key) {
  return key in STRINGS[current] || key in STRINGS.en;
}

export function lang() {
  return current;
}

/** Looks up `key` in the current language and fills {name} placeholders from `vars`. */
export function t(key, vars = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** Picks the current language from an API object like {"en": "...", "nl": "..."}. */
export function pick(names, fallback = '') {
  if (!names) return fallback;
  if (typeof names === 'string') return names;
  return names[current] ?? names.en ?? Object.values(names)[0] ?? fallback;
}

export function setLang(code) {
  if (!STRINGS[code] || code === current) return;
  current = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // not persisted; see storedLanguage()
  }
  applyTranslations(document);
  for (const fn of listeners) fn(code);
}

export function onLangChange(fn) {
  listeners.add(fn);
}

/**
 * Fills elements marked up with data-i18n="key" (text content) and
 * data-i18n-attr="attr:key;attr:key" (attributes such as aria-label, placeholder, title).
 */
export function applyTranslations(root) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

/** The language switch: a button naming the other language, in that language. */
export function bindLanguageSwitch(button) {
  const other = () => LANGUAGES.find((l) => l !== current) || 'en';
  const render = () => {
    button.textContent = t('lang.switch');
    button.setAttribute('lang', other());
    button.setAttribute('aria-label', t('lang.switch_label'));
  };
  button.addEventListener('click', () => setLang(other()));
  onLangChange(render);
  render();
}

const UNITS = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** "3 days ago" / "3 dagen geleden" for an ISO 8601 time. */
export function timeAgo(iso, now = Date.now()) {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const seconds = Math.round((then - now) / 1000);
  const fmt = new Intl.RelativeTimeFormat(current, { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return fmt.format(Math.trunc(seconds / size), unit);
  }
  return fmt.format(0, 'minute');
}

/** A date and time in the city's time zone when known, else the browser's. */
export function formatDateTime(iso, timeZone) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const options = { dateStyle: 'medium', timeStyle: 'short' };
  try {
    return new Intl.DateTimeFormat(current, { ...options, timeZone }).format(d);
  } catch {
    return new Intl.DateTimeFormat(current, options).format(d);
  }
}

/** A number with exactly `digits` decimals, written as the language writes it (5.0 / 5,0). */
export function formatNumber(value, digits = 0) {
  return new Intl.NumberFormat(current, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

export function formatDistance(metres) {
  if (metres < 1000) return t('distance.m', { value: Math.round(metres) });
  const km = new Intl.NumberFormat(current, { maximumFractionDigits: 1 }).format(metres / 1000);
  return t('distance.km', { value: km });
}

export function formatBytes(bytes) {
  const mb = bytes / (1024 * 1024);
  return `${new Intl.NumberFormat(current, { maximumFractionDigits: 1 }).format(mb)} MB`;
}

export function reportCount(count) {
  return count === 1 ? t('reports.one') : t('reports.many', { count });
}

/** The message of an ApiError for the page: a network failure in words, else the server's. */
export function errorText(err) {
  if (err && err.code === 'network') return t('error.network');
  return (err && err.message) || String(err);
}
