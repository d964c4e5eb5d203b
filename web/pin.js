// Where the citizen's problem is: the draggable pin on the map, the sentence that says where it
// stands, and the two other ways to place it (the device's location, a street corner).

import { getPlace } from './api.js';
import { $ } from './dom.js';
import { showFieldError, setFormStatus } from './form-status.js';
import { t, lang } from './i18n.js';
import { districtName } from './mapkit.js';

const L = window.L;
const PIN_ZOOM = 17;

const pin = { kit: null, marker: null, onMove: () => {} };

/** `kit` is the map of mapkit.createMap; `onMove` runs whenever the pin is placed or dragged. */
export function initPin(kit, { onMove }) {
  pin.kit = kit;
  pin.onMove = onMove;
}

/** The pin's position (a Leaflet LatLng), or null when there is none. */
export const pinLatLng = () => (pin.marker ? pin.marker.getLatLng() : null);

export function placePin(latlng, { pan = false } = {}) {
  const map = pin.kit.map;
  const ll = L.latLng(latlng.lat, latlng.lng);
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
      renderLocation();
      pin.onMove();
    });
    pin.marker.getElement().classList.add('report-pin');
  } else {
    pin.marker.setLatLng(ll);
  }
  if (pan) map.setView(ll, Math.max(map.getZoom(), PIN_ZOOM));
  $('location-error').hidden = true;
  renderLocation();
  pin.onMove();
}

export const placePinAtCentre = () => placePin(pin.kit.map.getCenter());

export function removePin() {
  if (pin.marker) pin.marker.remove();
  pin.marker = null;
}

export function renderLocation() {
  const p = $('location-text');
  if (pin.marker) {
    const ll = pin.marker.getLatLng();
    const fmt = new Intl.NumberFormat(lang(), { minimumFractionDigits: 5, maximumFractionDigits: 5 });
    let text = t('form.location_set', { lat: fmt.format(ll.lat), lon: fmt.format(ll.lng) });
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

/** Places the pin on a corner typed as two crossing streets (the server's street layer). */
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
    showFieldError('location', err.status === 404
      ? t('form.corner_not_found', { q })
      : t('form.corner_error', { message: err.message }));
  }
}
