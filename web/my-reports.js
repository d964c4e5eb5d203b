// /my-reports.html: every report a reporter made with an address, from any device, without an
// account. The form mails a one-time sign-in link; the link (?t=) opens a short session, kept
// in this page only, that lists the reports and can stop mail about one or all of them.

import { postSignin, postSession, getMine, postStop } from './api.js';
import { categoryName, loadCategories } from './categories.js';
import { $, el } from './dom.js';
import { t, onLangChange, timeAgo } from './i18n.js';
import { startMailPage, setStatus, showError, clearError } from './mail-link.js';
import { loadWorkflow, statusName } from './workflow.js';

const link = startMailPage();
const state = { session: null, reports: [] };

function render() {
  $('mine').hidden = !state.session;
  $('mine-reports').replaceChildren(...state.reports.map((r) => el('li', { dataset: { id: r.id } },
    el('a', { href: r.url, text: `${categoryName(r.category)} (${r.id})` }),
    ` · ${statusName(r.status)} · ${timeAgo(r.created_at)} · `,
    r.mail ? t('myrep.mail_on') : t('myrep.mail_off'),
    r.mail ? el('button', { type: 'button', class: 'link-button', text: t('myrep.stop'), onclick: () => stop({ report_id: r.id }) }) : null)));
  if (state.session && !state.reports.length) setStatus(t('myrep.none'));
}

async function load() {
  const r = await getMine(state.session);
  state.reports = r.reports;
  render();
}

async function stop(body) {
  clearError();
  try {
    await postStop(state.session, body);
    if (body.all) setStatus(t('myrep.stopped_all'));
    await load();
  } catch (err) {
    if (err.status === 401) {
      state.session = null;
      render();
      setStatus(t('myrep.expired'));
    } else {
      showError(err);
    }
  }
}

async function signIn() {
  setStatus(t('mail.working'));
  try {
    await Promise.all([loadCategories().catch(() => []), loadWorkflow().catch(() => null)]);
    state.session = (await postSession(link.token)).session;
    await load();
    setStatus('');
    $('signin-form').hidden = true;
  } catch (err) {
    showError(err);
  }
}

async function ask(event) {
  event.preventDefault();
  clearError();
  $('signin-send').disabled = true;
  try {
    await postSignin($('signin-email').value.trim());
    setStatus(t('myrep.sent'));
  } catch (err) {
    showError(err);
  } finally {
    $('signin-send').disabled = false;
  }
}

onLangChange(render);
$('signin-form').addEventListener('submit', ask);
$('mine-stop-all').addEventListener('click', () => stop({ all: true }));
if (link.token) signIn();
