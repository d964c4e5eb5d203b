// /unsubscribe.html?t=TOKEN: the page behind "no more mail" in a reporter's mail. It asks first
// (a link checker that only opens the page stops nothing), then stops mail about one report or
// all mail to the address, as the token says. The mail client's own one-click unsubscribe
// (RFC 8058) posts to the API without this page.

import { postUnsubscribe } from './api.js';
import { $ } from './dom.js';
import { t } from './i18n.js';
import { startMailPage, setStatus, showError, clearError } from './mail-link.js';

const link = startMailPage();

async function confirm() {
  const button = $('unsub-confirm');
  button.disabled = true;
  clearError();
  setStatus(t('mail.working'));
  try {
    const r = await postUnsubscribe(link.token);
    const done = { report: t('unsub.done_report', { id: r.report_id }), alert: t('unsub.done_alert') };
    setStatus(done[r.stopped] || t('unsub.done_address'));
    $('unsub-question').hidden = true;
    button.hidden = true;
  } catch (err) {
    showError(err);
    button.disabled = false;
  }
}

if (!link.token) {
  showError({ code: 'invalid_token' });
  $('unsub-confirm').hidden = true;
} else {
  $('unsub-confirm').addEventListener('click', confirm);
}
