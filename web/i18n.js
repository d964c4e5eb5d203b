// Every string the pages show, in English and Dutch, and the little machinery to use them.
// The language follows navigator.languages until the user picks one with the switch; that
// choice is kept in localStorage. Category names come from the API in both languages.

const STRINGS = {
  en: {
    'app.title': 'meldpunt',
    'lang.switch': 'Nederlands',
    'lang.switch_label': 'Schakel over naar Nederlands',
    'tiles.on': 'Street map: on',
    'tiles.off': 'Street map: off',
    'tiles.label': 'Show the street map background',
    'tiles.disabled': 'The street map background is switched off on this server; districts are shown instead.',
    'map.label': 'Map of reported problems',
    'map.loading': 'Loading the map…',
    'map.loaded_grid': '{count} reports in {cells} areas. Zoom in to see single reports.',
    'map.loaded_clusters': '{count} reported problems on the map.',
    'map.loaded_clusters_one': '1 reported problem on the map.',
    'map.loaded_none': 'No reports here with these filters.',
    'map.too_many': 'Only the first {count} are shown; zoom in to see all.',
    'map.error': 'Could not load the reports: {message}',
    'map.centre': 'Map centre: {name}',
    'map.centre_outside': 'Map centre: outside the city',
    'map.keyboard_hint': 'Arrow keys move the map, + and - zoom.',
    'district.label': 'District {name}',
    'grid.label': '{count} reported problems ({reports} reports) in this area. Zoom in.',
    'cluster.label': '{category}, {status}, {reports}',
    'action.report': 'Report a problem',
    'action.filters': 'Filters & legend',
    'action.place_centre': 'Place pin at map centre',
    'action.my_location': 'Use my location',
    'action.find': 'Find',
    'action.close': 'Close',
    'action.report_here': 'I see this too',
    'legend.title': 'Legend',
    'legend.open': 'Open',
    'legend.in_progress': 'Being worked on',
    'legend.fixed': 'Fixed',
    'legend.not_responsible': 'Not ours to fix',
    'legend.area': 'Several reports in an area (zoom in)',
    'legend.size': 'Bigger symbol: more neighbours reported it',
    'filters.title': 'Show on the map',
    'filters.status': 'Status',
    'filters.category': 'Category',
    'filters.all': 'All categories',
    'filters.none': 'No categories',
    'status.new': 'New',
    'status.acknowledged': 'Acknowledged',
    'status.scheduled': 'Scheduled',
    'status.in_progress': 'In progress',
    'status.fixed': 'Fixed',
    'status.closed': 'Closed',
    'status.not_responsible': 'Not our responsibility',
    'status.reopened': 'Reopened',
    'reports.one': '1 report',
    'reports.many': '{count} reports',
    'popup.first': 'First reported {ago}',
    'popup.last': 'last {ago}',
    'popup.history': 'History',
    'popup.loading': 'Loading details…',
    'popup.reports': 'Reports',
    'popup.no_description': '(no description)',
    'form.title': 'Report a problem',
    'form.intro': 'Tap the map where the problem is, or use one of the buttons.',
    'form.location': 'Where is it?',
    'form.location_none': 'No place chosen yet.',
    'form.location_set': 'Pin placed at {lat}, {lon}. You can drag it to the exact spot.',
    'form.locating': 'Finding your location…',
    'form.geo_error': 'Your location is not available: {message}',
    'form.geo_unsupported': 'This browser cannot share your location.',
    'form.address': 'Address or landmark (optional)',
    'form.corner': 'Or find a street corner',
    'form.corner_example': 'Clark St & Division St',
    'form.corner_empty': 'Type two streets that cross, for example Clark St & Division St.',
    'form.corner_searching': 'Looking for the corner…',
    'form.corner_not_found': 'No corner found for “{q}”. Type two streets that cross (house numbers cannot be searched), or tap the map.',
    'form.corner_error': 'The corner could not be looked up: {message}',
    'form.category': 'What kind of problem?',
    'form.category_choose': 'Choose a category…',
    'form.description': 'Describe the problem',
    'form.description_hint': 'What is wrong, and where exactly?',
    'form.chars': '{count} of {max} characters',
    'form.chars_over': '{count} of {max} characters: too long',
    'form.photo': 'Photo (optional)',
    'form.photo_hint': 'A JPEG or PNG photo, at most {size}.',
    'form.photo_too_large': 'This photo is too large: at most {size}.',
    'form.photo_remove': 'Remove photo',
    'form.contact': 'Your contact details (optional)',
    'form.contact_privacy': 'Your name, email and phone number stay private: they are not shown on the map or to other people, and are used only to send you updates about this report.',
    'form.name': 'Name',
    'form.email': 'Email',
    'form.phone': 'Phone',
    'form.submit': 'Send report',
    'form.sending': 'Sending your report…',
    'form.checking': 'Checking for reports nearby…',
    'form.need_pin': 'First place a pin on the map.',
    'form.need_category': 'Choose a category.',
    'form.need_description': 'Describe the problem.',
    'form.error': 'Your report was not sent: {message}',
    'form.error_network': 'The server could not be reached. Check your connection and try again.',
    'form.fix_errors': 'Please check the marked fields.',
    'pin.label': 'Your report: drag to move',
    'dup.title': 'Already reported nearby?',
    'dup.intro': 'Is your problem one of these? Adding your report to an existing one helps it get fixed sooner.',
    'dup.one': '1 neighbour reported this {distance} away',
    'dup.many': '{count} neighbours reported this {distance} away',
    'dup.likely': 'Most likely the same',
    'dup.same': 'Add my report to this one',
    'dup.other': 'This is something else',
    'dup.choose': 'Please tell us whether your problem is one of the reports above.',
    'dup.joined': 'Your report will be added to report {id}.',
    'dup.separate': 'Your report will be sent as a new problem.',
    'dup.found_one': 'Already reported nearby: 1 report of this kind. See below the category.',
    'dup.found_many': 'Already reported nearby: {count} reports of this kind. See below the category.',
    'done.title': 'Thank you!',
    'done.new': 'Your report {id} was received.',
    'done.joined': 'Your report {id} was added to a problem that was already reported; it has now been reported {count} times.',
    'done.follow': 'Follow your report',
    'done.another': 'Report another problem',
    'mine.title': 'Your reports',
    'mine.none': 'You have not reported anything from this browser yet.',
    'report.title': 'Report {id}',
    'report.back': 'Back to the map',
    'report.loading': 'Loading the report…',
    'report.not_found': 'This report does not exist.',
    'report.error': 'Could not load this report: {message}',
    'report.status': 'Status',
    'report.category': 'Category',
    'report.created': 'Reported',
    'report.updated': 'Last change',
    'report.description': 'Description',
    'report.location': 'Location',
    'report.photo': 'Photo',
    'report.photo_open': 'Open the photo at full size',
    'report.neighbours_one': 'This problem was reported once so far.',
    'report.neighbours_many': '{count} reports of this problem in total.',
    'report.history': 'History',
    'report.history_empty': 'No changes yet.',
    'report.map': 'Map of the report location',
    'group.streets': 'Streets and pavements',
    'group.lighting': 'Street lighting',
    'group.traffic': 'Traffic',
    'group.sanitation': 'Sanitation',
    'group.trees': 'Trees',
    'group.water': 'Water and sewers',
    'group.snow': 'Snow and ice',
    'group.other': 'Other',
    'distance.m': '{value} m',
    'distance.km': '{value} km',
    'error.photo.unsupported_media_type': 'This file is not a JPEG or PNG photo.',
    'error.photo.photo_too_large': 'This photo is too large.',
    'error.photo.invalid_photo': 'This photo could not be read; it may be damaged.',
    'error.out_of_area': 'This place is outside the area we look after.',
    'error.out_of_range': 'This place is not valid.',
    'error.unknown_category': 'Choose a category from the list.',
    'error.rate_limited': 'Too many reports were sent from here. Please wait a moment and try again.',
    'error.too_large': 'The report is too large.',
  },
  nl: {
    'app.title': 'meldpunt',
    'lang.switch': 'English',
    'lang.switch_label': 'Switch to English',
    'tiles.on': 'Stratenkaart: aan',
    'tiles.off': 'Stratenkaart: uit',
    'tiles.label': 'Toon de stratenkaart als achtergrond',
    'tiles.disabled': 'De stratenkaart staat uit op deze server; de wijken vormen de achtergrond.',
    'map.label': 'Kaart met meldingen',
    'map.loading': 'De kaart wordt geladen…',
    'map.loaded_grid': '{count} meldingen in {cells} gebieden. Zoom in om losse meldingen te zien.',
    'map.loaded_clusters': '{count} gemelde problemen op de kaart.',
    'map.loaded_clusters_one': '1 gemeld probleem op de kaart.',
    'map.loaded_none': 'Hier zijn geen meldingen met deze filters.',
    'map.too_many': 'Alleen de eerste {count} worden getoond; zoom in om alles te zien.',
    'map.error': 'De meldingen konden niet worden geladen: {message}',
    'map.centre': 'Midden van de kaart: {name}',
    'map.centre_outside': 'Midden van de kaart: buiten de stad',
    'map.keyboard_hint': 'Met de pijltjestoetsen verschuift u de kaart, met + en - zoomt u.',
    'district.label': 'Wijk {name}',
    'grid.label': '{count} gemelde problemen ({reports} meldingen) in dit gebied. Zoom in.',
    'cluster.label': '{category}, {status}, {reports}',
    'action.report': 'Meld een probleem',
    'action.filters': 'Filters en legenda',
    'action.place_centre': 'Zet de speld in het midden van de kaart',
    'action.my_location': 'Gebruik mijn locatie',
    'action.find': 'Zoek',
    'action.close': 'Sluiten',
    'action.report_here': 'Ik zie dit ook',
    'legend.title': 'Legenda',
    'legend.open': 'Open',
    'legend.in_progress': 'Wordt aan gewerkt',
    'legend.fixed': 'Opgelost',
    'legend.not_responsible': 'Niet door ons op te lossen',
    'legend.area': 'Meerdere meldingen in een gebied (zoom in)',
    'legend.size': 'Groter symbool: meer buren meldden het',
    'filters.title': 'Toon op de kaart',
    'filters.status': 'Status',
    'filters.category': 'Categorie',
    'filters.all': 'Alle categorieën',
    'filters.none': 'Geen categorieën',
    'status.new': 'Nieuw',
    'status.acknowledged': 'In behandeling genomen',
    'status.scheduled': 'Ingepland',
    'status.in_progress': 'Wordt aan gewerkt',
    'status.fixed': 'Opgelost',
    'status.closed': 'Afgesloten',
    'status.not_responsible': 'Niet onze verantwoordelijkheid',
    'status.reopened': 'Heropend',
    'reports.one': '1 melding',
    'reports.many': '{count} meldingen',
    'popup.first': 'Voor het eerst gemeld {ago}',
    'popup.last': 'laatst {ago}',
    'popup.history': 'Geschiedenis',
    'popup.loading': 'Details worden geladen…',
    'popup.reports': 'Meldingen',
    'popup.no_description': '(geen omschrijving)',
    'form.title': 'Meld een probleem',
    'form.intro': 'Tik op de kaart waar het probleem is, of gebruik een van de knoppen.',
    'form.location': 'Waar is het?',
    'form.location_none': 'Nog geen plek gekozen.',
    'form.location_set': 'Speld geplaatst op {lat}, {lon}. U kunt hem naar de juiste plek slepen.',
    'form.locating': 'Uw locatie wordt bepaald…',
    'form.geo_error': 'Uw locatie is niet beschikbaar: {message}',
    'form.geo_unsupported': 'Deze browser kan uw locatie niet delen.',
    'form.address': 'Adres of herkenningspunt (optioneel)',
    'form.corner': 'Of zoek een kruispunt',
    'form.corner_example': 'Clark St & Division St',
    'form.corner_empty': 'Typ twee straten die elkaar kruisen, bijvoorbeeld Clark St & Division St.',
    'form.corner_searching': 'Het kruispunt wordt gezocht…',
    'form.corner_not_found': 'Geen kruispunt gevonden voor “{q}”. Typ twee straten die elkaar kruisen (huisnummers kunnen niet gezocht worden), of tik op de kaart.',
    'form.corner_error': 'Het kruispunt kon niet opgezocht worden: {message}',
    'form.category': 'Wat voor probleem?',
    'form.category_choose': 'Kies een categorie…',
    'form.description': 'Beschrijf het probleem',
    'form.description_hint': 'Wat is er mis, en waar precies?',
    'form.chars': '{count} van {max} tekens',
    'form.chars_over': '{count} van {max} tekens: te lang',
    'form.photo': 'Foto (optioneel)',
    'form.photo_hint': 'Een JPEG- of PNG-foto van maximaal {size}.',
    'form.photo_too_large': 'Deze foto is te groot: maximaal {size}.',
    'form.photo_remove': 'Foto verwijderen',
    'form.contact': 'Uw contactgegevens (optioneel)',
    'form.contact_privacy': 'Uw naam, e-mailadres en telefoonnummer blijven privé: ze staan niet op de kaart en worden niet aan anderen getoond. We gebruiken ze alleen om u op de hoogte te houden van deze melding.',
    'form.name': 'Naam',
    'form.email': 'E-mail',
    'form.phone': 'Telefoon',
    'form.submit': 'Melding versturen',
    'form.sending': 'Uw melding wordt verstuurd…',
    'form.checking': 'We kijken of er meldingen in de buurt zijn…',
    'form.need_pin': 'Plaats eerst een speld op de kaart.',
    'form.need_category': 'Kies een categorie.',
    'form.need_description': 'Beschrijf het probleem.',
    'form.error': 'Uw melding is niet verstuurd: {message}',
    'form.error_network': 'De server is niet bereikbaar. Controleer uw verbinding en probeer het opnieuw.',
    'form.fix_errors': 'Controleer de gemarkeerde velden.',
    'pin.label': 'Uw melding: sleep om te verplaatsen',
    'dup.title': 'Al gemeld in de buurt?',
    'dup.intro': 'Is uw probleem een van deze? Als u uw melding bij een bestaande voegt, wordt het sneller opgelost.',
    'dup.one': '1 buur meldde dit op {distance} afstand',
    'dup.many': '{count} buren meldden dit op {distance} afstand',
    'dup.likely': 'Waarschijnlijk hetzelfde',
    'dup.same': 'Voeg mijn melding hierbij',
    'dup.other': 'Dit is iets anders',
    'dup.choose': 'Laat ons weten of uw probleem een van de meldingen hierboven is.',
    'dup.joined': 'Uw melding wordt toegevoegd aan melding {id}.',
    'dup.separate': 'Uw melding wordt als nieuw probleem verstuurd.',
    'dup.found_one': 'Al gemeld in de buurt: 1 melding van deze soort. Zie onder de categorie.',
    'dup.found_many': 'Al gemeld in de buurt: {count} meldingen van deze soort. Zie onder de categorie.',
    'done.title': 'Bedankt!',
    'done.new': 'Uw melding {id} is ontvangen.',
    'done.joined': 'Uw melding {id} is toegevoegd aan een probleem dat al gemeld was; het is nu {count} keer gemeld.',
    'done.follow': 'Volg uw melding',
    'done.another': 'Nog een probleem melden',
    'mine.title': 'Uw meldingen',
    'mine.none': 'U heeft vanuit deze browser nog niets gemeld.',
    'report.title': 'Melding {id}',
    'report.back': 'Terug naar de kaart',
    'report.loading': 'De melding wordt geladen…',
    'report.not_found': 'Deze melding bestaat niet.',
    'report.error': 'De melding kon niet worden geladen: {message}',
    'report.status': 'Status',
    'report.category': 'Categorie',
    'report.created': 'Gemeld',
    'report.updated': 'Laatste wijziging',
    'report.description': 'Omschrijving',
    'report.location': 'Locatie',
    'report.photo': 'Foto',
    'report.photo_open': 'Open de foto op volle grootte',
    'report.neighbours_one': 'Dit probleem is tot nu toe één keer gemeld.',
    'report.neighbours_many': 'In totaal {count} meldingen van dit probleem.',
    'report.history': 'Geschiedenis',
    'report.history_empty': 'Nog geen wijzigingen.',
    'report.map': 'Kaart van de plek van de melding',
    'group.streets': 'Straten en stoepen',
    'group.lighting': 'Straatverlichting',
    'group.traffic': 'Verkeer',
    'group.sanitation': 'Reiniging',
    'group.trees': 'Bomen',
    'group.water': 'Water en riool',
    'group.snow': 'Sneeuw en ijs',
    'group.other': 'Overig',
    'distance.m': '{value} m',
    'distance.km': '{value} km',
    'error.photo.unsupported_media_type': 'Dit bestand is geen JPEG- of PNG-foto.',
    'error.photo.photo_too_large': 'Deze foto is te groot.',
    'error.photo.invalid_photo': 'Deze foto kan niet worden gelezen; misschien is hij beschadigd.',
    'error.out_of_area': 'Deze plek ligt buiten ons gebied.',
    'error.out_of_range': 'Deze plek is ongeldig.',
    'error.unknown_category': 'Kies een categorie uit de lijst.',
    'error.rate_limited': 'Er zijn te veel meldingen vanaf hier verstuurd. Wacht even en probeer het opnieuw.',
    'error.too_large': 'De melding is te groot.',
  },
};

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

export function statusName(status) {
  return t(`status.${status}`);
}
