// The side panels of the map page (the report form; filters and legend; the reports on the map
// as a list; the citizen's own reports): one open at a time, the map told about the room it
// lost, focus moved in and given back, Escape to close (a map popup first).

import { $ } from './dom.js';

const panels = { map: null, pinLatLng: () => null, onOpen: () => {}, open: null, opener: null };

/** Each panel `${name}-panel` has its button `open-${name}`. */
const NAMES = ['report', 'filters', 'list', 'mine'];
const panelOf = (name) => $(`${name}-panel`);
const buttonOf = (name) => $(`open-${name}`);

/**
 * `map` is the Leaflet map; `pinLatLng()` where the report pin is (kept in view), or null;
 * `onOpen(name)` runs when a panel opens (to fill it); `onPopupClosed()` when Escape closed a
 * map popup (to give the focus back to what opened it).
 */
export function initPanels(map, { pinLatLng, onOpen = () => {}, onPopupClosed = () => {} }) {
  panels.map = map;
  panels.pinLatLng = pinLatLng;
  panels.onOpen = onOpen;
  for (const name of NAMES) buttonOf(name).addEventListener('click', () => togglePanel(name, buttonOf(name)));
  for (const b of document.querySelectorAll('.panel-close')) b.addEventListener('click', () => closePanel());
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    const popup = map._popup;
    if (popup && map.hasLayer(popup)) {
      map.closePopup();
      onPopupClosed();
      e.preventDefault();
      return;
    }
    if (panels.open) {
      closePanel();
      e.preventDefault();
    }
  });
}

export const openPanelName = () => panels.open;

function togglePanel(name, opener) {
  if (panels.open === name) closePanel();
  else openPanel(name, opener);
}

export function openPanel(name, opener, { focus = true } = {}) {
  if (panels.open && panels.open !== name) closePanel({ restoreFocus: false });
  const panel = panelOf(name);
  const wasOpen = panels.open === name;
  panel.hidden = false;
  panels.open = name;
  if (!wasOpen) panels.opener = opener || buttonOf(name);
  buttonOf(name).setAttribute('aria-expanded', 'true');
  document.body.classList.add('has-panel', `has-${name}-panel`);
  relayout({ centrePin: !wasOpen });
  panels.onOpen(name);
  if (focus) {
    const heading = name === 'report' && !$('done').hidden ? $('done-title') : panel.querySelector('h2');
    heading.focus({ preventScroll: true });
  }
}

export function closePanel({ restoreFocus = true } = {}) {
  const name = panels.open;
  if (!name) return;
  panelOf(name).hidden = true;
  buttonOf(name).setAttribute('aria-expanded', 'false');
  document.body.classList.remove('has-panel', `has-${name}-panel`);
  panels.open = null;
  relayout();
  if (restoreFocus && panels.opener && document.contains(panels.opener)) panels.opener.focus();
  panels.opener = null;
}

/**
 * A panel takes room from the map; tell Leaflet, keeping the map centre where it was. When the
 * report panel opens, the pin moves to the centre of what is left of the map, under the crosshair.
 */
function relayout({ centrePin = false } = {}) {
  const map = panels.map;
  if (!map) return;
  map.invalidateSize({ pan: true, animate: false });
  const pin = panels.pinLatLng();
  if (pin && (centrePin || !map.getBounds().pad(-0.1).contains(pin))) map.panTo(pin, { animate: false });
}
