// /kto.html?t=TOKEN&a=yes|no: the page behind the two links of the satisfaction check in the
// mail that says a job is fixed. Opening it records the answer (once: the token is then used),
// then offers the details: reasons from the city pack's list, free text and a photo. Not
// satisfied for a reason that reopens sends the job back to a dispatcher.

import { postKto, postKtoDetails } from './api.js';
import { $, el } from './dom.js';
import { t, onLangChange } from './i18n.js';
import { startMailPage, setStatus, showError, clearError } from './mail-link.js';

const link = startMailPage();
const state = { answer: null };

function renderAnswer() {
  const a = state.answer;
  if (!a) return;
  setStatus(t(a.satisfied ? 'kto.thanks_yes' : 'kto.thanks_no', { id: a.report_id }));
  $('kto-reasons-legend').textContent = t(a.satisfied ? 'kto.reasons_yes' : 'kto.reasons_no');
  $('kto-reasons').replaceChildren(...a.reasons.map((r) => el('li', {},
    el('input', { type: 'checkbox', id: `reason-${r.code}`, name: 'reasons', value: r.code }),
    el('label', { for: `reason-${r.code}`, text: r.reopen ? `${r.name} (${t('kto.reopens')})` : r.name }))));
  $('kto-report').href = a.report_url;
  $('kto-report').hidden = false;
}

async function answer() {
  setStatus(t('mail.working'));
  try {
    state.answer = await postKto(link.token, link.answer === 'yes');
    renderAnswer();
    $('kto-form').hidden = false;
  } catch (err) {
    if (err.code === 'already_answered') setStatus(t('kto.already'));
    else showError(err);
  }
}

async function send(event) {
  event.preventDefault();
  clearError();
  const form = new FormData();
  const reasons = [...document.querySelectorAll('#kto-reasons input:checked')].map((i) => i.value);
  form.append('form_token', state.answer.form_token);
  if (reasons.length) form.append('reasons', reasons.join(','));
  const text = $('kto-text').value.trim();
  if (text) form.append('text', text);
  const photo = $('kto-photo').files[0];
  if (photo) form.append('photo', photo, photo.name || 'photo.jpg');
  $('kto-send').disabled = true;
  setStatus(t('mail.working'));
  try {
    const r = await postKtoDetails(form);
    $('kto-form').hidden = true;
    setStatus(t(r.reopen_requested ? 'kto.sent_reopen' : 'kto.sent'));
  } catch (err) {
    showError(err);
    $('kto-send').disabled = false;
  }
}

onLangChange(renderAnswer);
$('kto-form').addEventListener('submit', send);
if (!link.token || (link.answer !== 'yes' && link.answer !== 'no')) showError({ code: 'invalid_token' });
else answer();
