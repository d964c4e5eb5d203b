// The citizen's report form: category, description, photo and contact, the checks before
// sending, sending (after the duplicate hint had its say), the server's errors placed at the
// field they concern, and the confirmation.

import { postReport } from './api.js';
import { categoryName, category, groupedCategories, groupName } from './categories.js';
import { $, el } from './dom.js';
import { dupChoice, initDupHint, loadNearby, renderDup, renderDupChoice, resetDup, scheduleNearby } from './dup-hint.js';
import {
  FIELD_INPUT, clearErrors, clearFieldError, setFormStatus, showFieldError, showFormError,
} from './form-status.js';
import { t, pick, hasKey, formatBytes } from './i18n.js';
import { districtName } from './mapkit.js';
import { saveMine } from './mine.js';
import {
  findCorner, onSearchInput, pinLatLng, pinOutside, placePinAtCentre, removePin, renderLocation, useMyLocation,
} from './pin.js';
import { statusName } from './workflow.js';

const form = {
  config: null,
  photo: null,
  sending: false,
  done: null, // the last POST answer while the confirmation is shown
  onSent: () => {},
};

/** The confirmation of the last report is showing (the next tap starts a new report). */
export const formDone = () => Boolean(form.done);

/** Wires the form; `onSent(answer)` runs after a report was accepted. */
export function initForm(config, { onSent }) {
  form.config = config;
  form.onSent = onSent;
  initDupHint({ onChoose: onDupChoice, hidden: formDone, quiet: () => form.sending });
  $('report-form').addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  $('form-place-centre').addEventListener('click', placePinAtCentre);
  $('form-my-location').addEventListener('click', useMyLocation);
  $('corner-find').addEventListener('click', findCorner);
  $('corner').addEventListener('input', onSearchInput);
  $('corner').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { // search, do not submit the report
      e.preventDefault();
      findCorner();
    }
  });
  $('category').addEventListener('change', () => {
    clearFieldError('category');
    renderCategoryDescription();
    scheduleNearby();
  });
  $('description').addEventListener('input', () => {
    renderCounter();
    if (descriptionLength() > 0) clearFieldError('description');
  });
  $('photo').addEventListener('change', onPhotoChange);
  $('photo-remove').addEventListener('click', () => {
    $('photo').value = '';
    onPhotoChange();
    $('photo').focus();
  });
  $('contact-email').addEventListener('input', () => clearFieldError('contact-email'));
  $('done-another').addEventListener('click', () => {
    resetForm();
    $('report-title').focus();
  });
}

/** Redraws every text of the form in the page's language. */
export function renderForm() {
  renderCategorySelect();
  renderCounter();
  renderPhotoHint();
  renderLocation();
  renderDup();
  renderDone();
}

const limit = (name, fallback) => (form.config && form.config.limits && form.config.limits[name]) || fallback;
const descriptionMax = () => limit('description_max', 2000);
const photoMax = () => limit('photo_max_bytes', 8 * 1024 * 1024);
const descriptionLength = () => [...$('description').value].length;

function renderCounter() {
  const count = descriptionLength();
  const max = descriptionMax();
  const over = count > max;
  const p = $('description-count');
  p.textContent = t(over ? 'form.chars_over' : 'form.chars', { count, max });
  p.classList.toggle('is-over', over);
  // Only going over the limit is announced; every keystroke would be noise.
  p.setAttribute('aria-live', over ? 'assertive' : 'off');
  if (over) $('description').setAttribute('aria-invalid', 'true');
  else if ($('description-error').hidden) $('description').removeAttribute('aria-invalid');
}

function renderPhotoHint() {
  $('photo-hint').textContent = t('form.photo_hint', { size: formatBytes(photoMax()) });
}

function renderCategorySelect() {
  const select = $('category');
  const value = select.value;
  const groups = groupedCategories();
  const options = groups.map(([group, cats]) => {
    const opts = cats.map((c) => el('option', { value: c.code, text: pick(c.name, c.code) }));
    return groups.length > 1 && group ? el('optgroup', { label: groupName(group) }, opts) : opts;
  });
  select.replaceChildren(el('option', { value: '', text: t('form.category_choose') }), ...options.flat());
  select.value = category(value) ? value : '';
  renderCategoryDescription();
}

function renderCategoryDescription() {
  const c = category($('category').value);
  const p = $('category-description');
  const text = c ? pick(c.description, '') : '';
  p.textContent = text;
  p.hidden = !text;
}

/** Starts a report of this category ("I see this too" at a reported problem). */
export function prepareReport(categoryCode) {
  if (form.done) resetForm();
  if (categoryCode && category(categoryCode)) $('category').value = categoryCode;
  renderCategoryDescription();
}

function onPhotoChange() {
  const input = $('photo');
  const file = input.files && input.files[0];
  clearFieldError('photo');
  const preview = $('photo-preview');
  const img = $('photo-preview-img');
  form.photo = null;
  preview.hidden = true;
  img.removeAttribute('src');
  if (!file) return;
  form.photo = file;
  if (file.size > photoMax()) {
    showFieldError('photo', t('form.photo_too_large', { size: formatBytes(photoMax()) }));
    return;
  }
  preview.hidden = false;
  // A data: URL, because the page's CSP allows data: images but not blob: ones.
  const reader = new FileReader();
  reader.onload = () => {
    if (form.photo !== file) return;
    img.onerror = () => {
      img.removeAttribute('src');
      img.hidden = true;
    };
    img.hidden = false;
    img.src = String(reader.result);
  };
  reader.readAsDataURL(file);
}

/* ---------- sending ---------- */

/**
 * The citizen answered the duplicate hint (or took the answer back): nothing is sent yet. A
 * report added to an existing one needs no description, so that error goes; the prompt to
 * answer the hint goes too.
 */
function onDupChoice(choice) {
  if (choice && choice.same_as !== undefined) clearFieldError('description');
  if (choice) {
    $('form-error').hidden = true;
    $('form-error').textContent = '';
  }
}

/** Checks what can be checked here; returns the first field in error, or null. */
function validate() {
  const errors = [];
  if (!pinLatLng()) errors.push(['location', t('form.need_pin')]);
  else if (pinOutside()) errors.push(['location', t('form.location_outside')]);
  if (!$('category').value) errors.push(['category', t('form.need_category')]);
  const count = descriptionLength();
  // Adding one's report to an existing one needs no words; a new problem does.
  const choice = dupChoice();
  const joining = Boolean(choice && choice.same_as !== undefined);
  if (!$('description').value.trim() && !joining) errors.push(['description', t('form.need_description')]);
  else if (count > descriptionMax()) errors.push(['description', t('form.chars_over', { count, max: descriptionMax() })]);
  if (form.photo && form.photo.size > photoMax()) errors.push(['photo', t('form.photo_too_large', { size: formatBytes(photoMax()) })]);
  const email = $('contact-email');
  if (email.value && !email.checkValidity()) errors.push(['contact-email', email.validationMessage]);
  for (const [field, message] of errors) showFieldError(field, message);
  if (!errors.length) return null;
  if (errors.some(([f]) => f === 'contact-email')) $('contact-email').closest('details').open = true;
  return errors[0][0];
}

async function submit() {
  if (form.sending) return;
  clearErrors();
  const bad = validate();
  if (bad) {
    showFormError(t('form.fix_errors'));
    $(FIELD_INPUT[bad]).focus();
    return;
  }
  form.sending = true;
  $('submit').disabled = true;
  try {
    if (!dupChoice()) {
      setFormStatus(t('form.checking'));
      let nearby = null;
      try {
        nearby = await loadNearby();
      } catch {
        nearby = null; // the server still joins obvious duplicates itself
      }
      if (nearby && nearby.clusters.length) {
        setFormStatus('');
        renderDupChoice({ ask: true });
        $('dup-title').focus({ preventScroll: true });
        $('dup').scrollIntoView({ block: 'start' });
        return;
      }
    }
    setFormStatus(t('form.sending'));
    const answer = await postReport(payload(), form.photo);
    setFormStatus('');
    onSent(answer);
  } catch (err) {
    setFormStatus('');
    showSendError(err);
  } finally {
    form.sending = false;
    $('submit').disabled = false;
  }
}

function payload() {
  const ll = pinLatLng();
  const round = (v) => Math.round(v * 1e7) / 1e7;
  const out = {
    category: $('category').value,
    lat: round(ll.lat),
    lon: round(ll.lng),
    description: $('description').value.trim(),
  };
  const address = $('address').value.trim();
  if (address) out.address = address;
  const contact = {};
  for (const [k, id] of [['name', 'contact-name'], ['email', 'contact-email'], ['phone', 'contact-phone']]) {
    const v = $(id).value.trim();
    if (v) contact[k] = v;
  }
  if (Object.keys(contact).length) out.contact = contact;
  const choice = dupChoice();
  if (choice && choice.same_as !== undefined) out.same_as = choice.same_as;
  if (choice && choice.not_same_as && choice.not_same_as.length) out.not_same_as = choice.not_same_as;
  return out;
}

const PHOTO_CODES = new Set(['unsupported_media_type', 'photo_too_large', 'invalid_photo']);
const LOCATION_CODES = new Set(['out_of_area', 'out_of_range']);
const FIELD_OF_WORD = {
  description: 'description', category: 'category', email: 'contact-email', phone: 'contact-phone', lat: 'location', lon: 'location',
};

/**
 * The server's error, next to the field it concerns, in the page's language: the page's own
 * words for the codes it knows, else the server's message (asked for in the page's language).
 * The technical detail of a Dutch answer is not shown; it stays in the answer.
 */
function showSendError(err) {
  const code = err.code || '';
  const server = err.message || '';
  let field = null;
  let text = server;
  if (code === 'network') {
    showFormError(t('form.error_network'));
    return;
  }
  if (PHOTO_CODES.has(code) || (err.status === 413 && form.photo)) {
    field = 'photo';
    text = hasKey(`error.photo.${code}`) ? t(`error.photo.${code}`) : t('error.photo.photo_too_large');
  } else if (LOCATION_CODES.has(code)) {
    field = 'location';
    text = t(`error.${code}`);
  } else if (code === 'unknown_category') {
    field = 'category';
    text = t('error.unknown_category');
  } else if (err.status === 429) {
    text = t('error.rate_limited');
  } else if (err.status === 413) {
    text = t('error.too_large');
  } else if (code === 'missing_field' || code === 'invalid_field') {
    // The English text names the field (a Dutch answer carries it as the detail).
    const m = /description|category|email|phone|lat|lon/.exec(err.detail || server);
    field = m ? FIELD_OF_WORD[m[0]] : null;
  }
  if (field) {
    if (field.startsWith('contact-')) $(field).closest('details').open = true;
    showFieldError(field, text);
  }
  showFormError(t('form.error', { message: text }));
  if (field) $(FIELD_INPUT[field]).focus();
}

function onSent(answer) {
  form.done = answer;
  saveMine(answer.report || {});
  removePin();
  resetDup();
  $('report-form').hidden = true;
  $('done').hidden = false;
  document.body.classList.add('report-done');
  renderDone();
  $('done-title').focus();
  form.onSent(answer);
}

function renderDone() {
  const answer = form.done;
  if (!answer) return;
  const r = answer.report || {};
  const count = (answer.cluster && answer.cluster.report_count) || 1;
  $('done-text').textContent = answer.joined
    ? t('done.joined', { id: r.id, count })
    : t('done.new', { id: r.id });
  const district = r.district && districtName({ properties: r.district });
  $('done-summary').textContent = [categoryName(r.category), r.address, district, statusName(r.status)]
    .filter(Boolean).join(' · ');
  const link = $('done-link');
  link.href = r.url || `/r/${encodeURIComponent(r.id)}`;
  link.dataset.reportId = String(r.id);
}

export function resetForm() {
  form.done = null;
  document.body.classList.remove('report-done');
  $('report-form').reset();
  $('report-form').hidden = false;
  $('done').hidden = true;
  clearErrors();
  onPhotoChange();
  removePin();
  resetDup();
  renderCounter();
  renderLocation();
  renderCategoryDescription();
}
