// The messages of the citizen report form: the error under each field (tied to its input for
// screen readers), the polite status line, and the alert above the send button.

import { $ } from './dom.js';

/** The input each field's error belongs to (its id is `${field}-error`). */
export const FIELD_INPUT = {
  location: 'form-place-centre',
  category: 'category',
  description: 'description',
  photo: 'photo',
  'contact-email': 'contact-email',
  'contact-phone': 'contact-phone',
};

export function showFieldError(field, message) {
  const p = $(`${field}-error`);
  p.textContent = message;
  p.hidden = false;
  const input = $(FIELD_INPUT[field]);
  if (input && field !== 'location') input.setAttribute('aria-invalid', 'true');
}

export function clearFieldError(field) {
  const p = $(`${field}-error`);
  p.hidden = true;
  p.textContent = '';
  const input = $(FIELD_INPUT[field]);
  if (input) input.removeAttribute('aria-invalid');
}

export function clearErrors() {
  for (const f of Object.keys(FIELD_INPUT)) clearFieldError(f);
  $('form-error').hidden = true;
  $('form-error').textContent = '';
}

/** The polite status line of the form; `kind` marks text that belongs to one feature. */
export function setFormStatus(text, kind = '') {
  const p = $('form-status');
  p.textContent = text;
  p.dataset.kind = kind;
}

export function showFormError(text) {
  const p = $('form-error');
  p.textContent = text;
  p.hidden = false;
}
