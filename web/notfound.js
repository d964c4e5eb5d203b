// The page "not found" (the server writes it, server/errtext.c, in the browser's language):
// the same texts in the language chosen on this site, and the switch between the languages.

import { $ } from './dom.js';
import { applyTranslations, bindLanguageSwitch } from './i18n.js';

applyTranslations(document);
const button = $('lang-switch');
bindLanguageSwitch(button);
button.hidden = false;
