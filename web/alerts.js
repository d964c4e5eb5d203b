// /alerts.html: subscribing to alerts for new problems in an area (around a point, e.g. the map's
// centre: ?lat=&lon=, or in a district), and, with ?t=TOKEN from the confirmation mail, starting
// the alert. Confirming needs a click: a link checker that only opens the page starts nothing.

import { postAlert, postAlertConfirm, getDistricts } from './api.js';
import { $, el } from './dom.js';
import { t, lang } from './i18n.js';
import { loadCategories, categories, categoryName } from './categories.js';
import { startMailPage, setStatus, showError, clearError } from './mail-link.js';

const link = startMailPage();

async function confirm() {
  const button = $('alert-confirm');
  button.disabled = true;
  clearError();
  setStatus(t('mail.working'));
  try {
    await postAlertConfirm(link.token);
    setStatus(t('alerts.confirmed'));
    $('confirm-question').hidden = true;
    button.hidden = true;
  } catch (err) {
    showError(err);
    button.disabled = false;
  }
}

function whereChanged() {
  const district = document.querySelector('input[name="where"]:checked').value === 'district';
  $('where-point').hidden = district;
  $('where-district').hidden = !district;
}

async function fillChoices() {
  try {
    await loadCategories();
    for (const c of categories()) {
      $('alert-category').append(el('option', { value: c.code, text: categoryName(c.code) }));
    }
    const d = await getDistricts();
    const list = (d.features || []).map((f) => f.properties).sort((a, b) => String(a.name).localeCompare(String(b.name)));
    for (const p of list) {
      $('alert-district').append(el('option', { value: p.code, text: p.name || p.code }));
    }
  } catch (err) {
    showError(err);
  }
}

async function submit(ev) {
  ev.preventDefault();
  clearError();
  const email = $('alert-email').value.trim();
  const body = { email, lang: lang(),
    frequency: document.querySelector('input[name="frequency"]:checked').value };
  if ($('alert-category').value) body.category = $('alert-category').value;
  if (document.querySelector('input[name="where"]:checked').value === 'district') {
    body.district = $('alert-district').value;
  } else {
    body.lat = Number($('alert-lat').value);
    body.lon = Number($('alert-lon').value);
    body.radius_m = Number($('alert-radius').value);
  }
  setStatus(t('mail.working'));
  try {
    await postAlert(body);
    setStatus(t('alerts.sent', { email }));
  } catch (err) {
    showError(err);
  }
}

if (link.token) {
  $('confirm-part').hidden = false;
  $('alert-confirm').addEventListener('click', confirm);
} else {
  const params = new URLSearchParams(location.search);
  if (params.get('lat')) $('alert-lat').value = params.get('lat');
  if (params.get('lon')) $('alert-lon').value = params.get('lon');
  for (const r of document.querySelectorAll('input[name="where"]')) r.addEventListener('change', whereChanged);
  $('alert-form').addEventListener('submit', submit);
  $('alert-form').hidden = false;
  fillChoices();
}
