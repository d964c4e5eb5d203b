// Signing in with a token, for the dispatcher and crew pages: the form, the check against
// GET /api/v1/me, keeping the token for the tab (or on the device when asked), signing out,
// and back to the form when the server stops accepting the token. Both pages use the same
// element ids: signin, signin-form, token, signin-error, who, who-name, sign-out, and
// optionally remember (a checkbox "keep me signed in").

import { getMe, setToken } from './api.js';
import { $ } from './dom.js';
import { t, hasKey, errorText, onLangChange } from './i18n.js';

function stored(key) {
  try {
    return { token: sessionStorage.getItem(key) || localStorage.getItem(key), remembered: Boolean(localStorage.getItem(key)) };
  } catch {
    return { token: null, remembered: false };
  }
}

function keep(key, token, remember) {
  try {
    sessionStorage.removeItem(key);
    localStorage.removeItem(key);
    if (token) (remember ? localStorage : sessionStorage).setItem(key, token);
  } catch {
    // storage blocked (private mode): the token lives as long as the page
  }
}

/** A role's name in the page's language ("dispatcher" when no text is known). */
export function roleName(role) {
  return hasKey(`role.${role}`) ? t(`role.${role}`) : role;
}

/**
 * Wires the sign-in form and signs in with a kept token if there is one. Options:
 *   storageKey  where the token is kept
 *   refuse(who) a text when this account may not use the page, else null
 *   whoText(who) the line shown next to "Sign out"
 *   onSignIn(who) (async) shows the page; a failure signs out again
 *   onSignOut() hides it
 * Returns { signOut(reason), user() }.
 */
export function startSession({ storageKey, refuse, whoText, onSignIn, onSignOut }) {
  const state = { user: null };

  function signOut(reason) {
    state.user = null;
    setToken(null);
    keep(storageKey, null);
    $('who').hidden = true;
    $('signin').hidden = false;
    $('token').value = '';
    $('signin-error').textContent = reason || '';
    $('signin-error').hidden = !reason;
    onSignOut();
  }

  async function signIn(candidate, remember) {
    const who = await getMe(candidate);
    const refused = refuse(who);
    if (refused) throw Object.assign(new Error(refused), { code: 'forbidden', status: 403 });
    state.user = who;
    setToken(candidate, () => signOut(t('signin.expired')));
    keep(storageKey, candidate, remember);
    $('who-name').textContent = whoText(who);
    $('who').hidden = false;
    $('signin').hidden = true;
    await onSignIn(who);
  }

  $('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const value = $('token').value.trim();
    const error = $('signin-error');
    error.hidden = true;
    if (!value) {
      error.textContent = t('signin.empty');
      error.hidden = false;
      return;
    }
    try {
      await signIn(value, Boolean($('remember') && $('remember').checked));
    } catch (err) {
      error.textContent = err.status === 401 ? t('signin.invalid') : errorText(err);
      error.hidden = false;
    }
  });
  $('sign-out').addEventListener('click', () => signOut());
  onLangChange(() => {
    if (state.user) $('who-name').textContent = whoText(state.user);
  });

  const saved = stored(storageKey);
  (saved.token ? signIn(saved.token, saved.remembered) : Promise.reject(new Error('no token')))
    .catch(() => signOut());
  return { signOut, user: () => state.user };
}
