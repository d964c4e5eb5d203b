// What the pages behind links in reporters' mail share: the token of the link (read once, then
// taken out of the address bar, so that it is neither bookmarked nor shown), the status line
// and the error line, and the wording of a link that is unknown, expired or used.

import { $ } from './dom.js';
import { t, applyTranslations, bindLanguageSwitch, errorText } from './i18n.js';

/** Translates the page, binds the language switch and returns the link's ?t= and ?a=. */
export function startMailPage() {
  applyTranslations(document);
  bindLanguageSwitch($('lang-switch'));
  const params = new URLSearchParams(location.search);
  const link = { token: params.get('t'), answer: params.get('a') };
  if (link.token) history.replaceState(null, '', location.pathname);
  return link;
}

export function setStatus(text) {
  $('page-status').textContent = text;
}

/** An error of the API in the page's words (tokens) or the server's. */
export function showError(err) {
  const known = { invalid_token: 'mail.link_invalid', expired_token: 'mail.link_expired', used_token: 'mail.link_used' };
  const p = $('page-error');
  p.textContent = known[err && err.code] ? t(known[err.code]) : t('mail.failed', { message: errorText(err) });
  p.hidden = false;
  setStatus('');
}

export function clearError() {
  $('page-error').hidden = true;
  $('page-error').textContent = '';
}
