// The DOM helpers every page uses. Text always goes in through textContent and attributes
// through setAttribute: nothing is parsed as HTML (the CSP allows no inline script anyway).

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

function fill(node, props, children) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.setAttribute('class', v);
    else if (k === 'text') node.textContent = String(v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) node.append(typeof c === 'number' ? String(c) : c);
  }
  return node;
}

/**
 * A new HTML element. `props`: class, text, dataset (an object), on<event> (a listener), and
 * any other key as an attribute (true gives an empty attribute; false, null and undefined none).
 * Children may be nodes, strings or (nested) arrays of them; null and false are skipped.
 */
export function el(tag, props = {}, ...children) {
  return fill(document.createElement(tag), props, children);
}

/** The same for an SVG element (charts, map symbols). */
export function svg(tag, props = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), props, children);
}
