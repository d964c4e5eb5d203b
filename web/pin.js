// Where the citizen's problem is: the draggable pin on the map, the sentences that say where it
// stands (its street and cross street from the server, its district and coordinates), whether
// it is inside the area the city looks after (said at once, not after sending), and the two
// other ways to place it (the device's location, an address or a street corner, with
// suggestions while it is typed).

import { getPlace, getPlaceAt, getPlaceSuggestions } from './api.js';
import { $, el } from './dom.js';
import { clearFieldError, showFieldError, setFormStatus } from './form-status.js';
import { t, lang } from './i18n.js';
import { districtName } from './mapkit.js';

const L = window.L;
const PIN_ZOOM = 17;
const PLACE_DELAY_MS = 250;
const SUGGEST_DELAY_MS = 200;
const SUGGEST_MIN_CHARS = 3;

/** The suggestions of the search box: what was asked last, and the kind of each label offered. */
const suggest = { timer: 0, abort: null, asked: '', kinds: new Map() };

const pin = {
  kit: null,
  marker: null,
  onMove: () => {},
  place: null, // { key, label } of the last street look-up, label null when no street is near
  lookup: null, // { key, abort } of the look-up under way
  timer: 0,
  outside: false, // the pin stands outside the service area
};

/** `kit` is the map of mapkit.createMap; `onMove` runs whenever the pin is placed or dragged. */
export function initPin(kit, { onMove }) {
  pin.kit = kit;
  pin.onMove = onMove;
  // The service area may arrive after the first pin: say it then.
  kit.ready.then(() => {
    if (pin.marker) checkArea();
  });
}

/** The pin's position (a Leaflet LatLng), or null when there is none. */
export const pinLatLng = () => (pin.marker ? pin.marker.getLatLng() : null);

/** Whether the pin stands outside the service area (known once the area has loaded). */
export const pinOutside = () => Boolean(pin.marker) && pin.outside;

const fmtCoord = (v) => new Intl.NumberFormat(lang(), { minimumFractionDigits: 5, maximumFractionDigits: 5 }).format(v);

/**
 * Puts the pin at latlng; with `pan` the map moves there. A place the map cannot show (far
 * outside the city: the map keeps to the city's surroundings) gets no pin, only the message.
 */
export function placePin(latlng, { pan = false } = {}) {
  const map = pin.kit.map;
  const ll = L.latLng(latlng.lat, latlng.lng);
  const reach = map.options.maxBounds;
  if (reach && !reach.contains(ll)) {
    showFieldError('location', t('form.location_far', { lat: fmtCoord(ll.lat), lon: fmtCoord(ll.lng) }));
    return false;
  }
  if (!pin.marker) {
    pin.marker = L.marker(ll, {
      draggable: true,
      autoPan: true,
      keyboard: true,
      title: t('pin.label'),
      alt: t('pin.label'),
      zIndexOffset: 1000,
    }).addTo(map);
    pin.marker.on('dragend', () => {
      checkArea();
      renderLocation();
      schedulePlace();
      pin.onMove();
    });
    pin.marker.getElement().classList.add('report-pin');
  } else {
    pin.marker.setLatLng(ll);
  }
  if (pan) map.setView(ll, Math.max(map.getZoom(), PIN_ZOOM));
  else if (!map.getBounds().contains(ll)) map.panTo(ll);
  clearFieldError('location');
  checkArea();
  renderLocation();
  schedulePlace();
  pin.onMove();
  return true;
}

export const placePinAtCentre = () => placePin(pin.kit.map.getCenter());

export function removePin() {
  if (pin.marker) pin.marker.remove();
  pin.marker = null;
  pin.outside = false;
  clearTimeout(pin.timer);
  if (pin.lookup) pin.lookup.abort.abort();
  pin.lookup = null;
  pin.place = null;
}

/** Says at once when the pin stands outside the area (the server would refuse the report). */
function checkArea() {
  const inside = pin.kit.inArea(pin.marker.getLatLng());
  pin.outside = inside === false;
  const icon = pin.marker.getElement();
  if (icon) icon.classList.toggle('is-outside', pin.outside);
  if (pin.outside) showFieldError('location', t('form.location_outside'));
  else if ($('location-error').dataset.kind === 'outside') clearFieldError('location');
  $('location-error').dataset.kind = pin.outside ? 'outside' : '';
}

const placeKey = (ll) => `${ll.lat.toFixed(6)},${ll.lng.toFixed(6)}`;

/** Asks the server for the pin's street and cross street a moment after it stopped moving. */
function schedulePlace() {
  clearTimeout(pin.timer);
  const ll = pinLatLng();
  if (!ll) return;
  const key = placeKey(ll);
  if (pin.place && pin.place.key === key) return;
  if (pin.lookup) pin.lookup.abort.abort();
  pin.lookup = null;
  pin.place = null;
  renderPlace();
  if (pin.outside) return;
  pin.timer = setTimeout(async () => {
    const abort = new AbortController();
    pin.lookup = { key, abort };
    try {
      const f = await getPlaceAt({ lat: ll.lat, lon: ll.lng, signal: abort.signal });
      pin.place = { key, label: f.properties.label };
    } catch (err) {
      if (err.name === 'AbortError') return;
      pin.place = { key, label: null };
    }
    if (pin.lookup && pin.lookup.key === key) pin.lookup = null;
    renderPlace();
  }, PLACE_DELAY_MS);
}

/** The pin's street and cross street ("S COTTAGE GROVE AVE near E 87TH ST"), when known. */
function renderPlace() {
  const p = $('location-place');
  const ll = pinLatLng();
  const current = ll && pin.place && pin.place.key === placeKey(ll) ? pin.place : null;
  let text = '';
  if (current && current.label) text = t('form.place', { place: current.label });
  else if (current) text = t('form.place_none');
  p.textContent = text;
  p.hidden = !text;
}

export function renderLocation() {
  const p = $('location-text');
  if (pin.marker) {
    const ll = pin.marker.getLatLng();
    let text = t('form.location_set', { lat: fmtCoord(ll.lat), lon: fmtCoord(ll.lng) });
    const d = pin.kit && pin.kit.districtAt(ll);
    if (d) text = `${districtName(d)}. ${text}`;
    p.textContent = text;
    p.classList.add('is-set');
    const icon = pin.marker.getElement();
    if (icon) {
      icon.title = t('pin.label');
      icon.alt = t('pin.label');
    }
  } else {
    p.textContent = t('form.location_none');
    p.classList.remove('is-set');
  }
  renderPlace();
  if (pin.marker && pin.outside) showFieldError('location', t('form.location_outside'));
}

export function useMyLocation() {
  if (!navigator.geolocation) {
    showFieldError('location', t('form.geo_unsupported'));
    return;
  }
  $('location-error').hidden = true;
  setFormStatus(t('form.locating'));
  navigator.geolocation.getCurrentPosition((pos) => {
    setFormStatus('');
    placePin({ lat: pos.coords.latitude, lng: pos.coords.longitude }, { pan: true });
  }, (err) => {
    setFormStatus('');
    showFieldError('location', t('form.geo_error', { message: err.message }));
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
}

/**
 * Offers completions of what is typed in the search box (a street, a house number the city can
 * place, a corner that exists) in its list; picking a whole place searches it at once.
 */
export function onSearchInput(e) {
  const q = $('corner').value.trim();
  const kind = suggest.kinds.get(q);
  // A suggestion picked from the list (the browser replaces the text): go there.
  if (kind && kind !== 'street' && (!e || e.inputType === 'insertReplacementText' || !e.inputType)) {
    findCorner();
    return;
  }
  clearTimeout(suggest.timer);
  if (q.length < SUGGEST_MIN_CHARS || q === suggest.asked) return;
  suggest.timer = setTimeout(() => askSuggestions(q), SUGGEST_DELAY_MS);
}

async function askSuggestions(q) {
  if (suggest.abort) suggest.abort.abort();
  const abort = new AbortController();
  suggest.abort = abort;
  try {
    const { suggestions } = await getPlaceSuggestions(q, abort.signal);
    suggest.asked = q;
    suggest.kinds = new Map(suggestions.map((s) => [s.label, s.kind]));
    $('corner-suggestions').replaceChildren(...suggestions.map((s) => el('option', { value: s.label })));
    const n = suggestions.length;
    $('corner-hint').textContent = n ? t(n === 1 ? 'form.suggestions_one' : 'form.suggestions_many', { count: n }) : '';
  } catch (err) {
    // A newer question replaced this one, or the server did not answer: no suggestions then.
    if (err.name !== 'AbortError') $('corner-suggestions').replaceChildren();
  }
}

/** Places the pin on a corner typed as two crossing streets or on an address (the server's street layer). */
export async function findCorner() {
  const q = $('corner').value.trim();
  if (!q) {
    showFieldError('location', t('form.corner_empty'));
    $('corner').focus();
    return;
  }
  $('location-error').hidden = true;
  setFormStatus(t('form.corner_searching'));
  try {
    const place = await getPlace(q);
    setFormStatus('');
    const [lon, lat] = place.geometry.coordinates;
    placePin({ lat, lng: lon }, { pan: true });
    if (!$('address').value.trim()) $('address').value = place.properties.label;
  } catch (err) {
    setFormStatus('');
    let text = t('form.corner_error', { message: err.message });
    if (err.code === 'out_of_area') text = t('form.location_outside');
    else if (err.status === 404) text = t('form.corner_not_found', { q });
    showFieldError('location', text);
  }
}
