// The JSON API of meldpunt, seen from the pages: the one place that calls fetch(). Every
// failure becomes an ApiError with the server's {"error":{"code","message","detail"}} when
// there is one (code "network" when the server was not reached), so a page shows it next to
// the field it concerns. Staff and crew calls carry the bearer token given to setToken();
// public calls never do. Requests ask for the page's language (Accept-Language): the server
// then words its messages in it, with the technical text apart in `detail`.

import { lang } from './i18n.js';

export class ApiError extends Error {
  constructor(status, code, message, detail = '') {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

const session = { token: null, onExpired: null };

/**
 * The bearer token of the signed-in dispatcher or crew (null signs out). `onExpired` runs
 * when the server refuses it later (401), so the page can ask for it again.
 */
export function setToken(token, onExpired = null) {
  session.token = token;
  session.onExpired = token ? onExpired : null;
}

/**
 * One request. Options: method, json (a body sent as JSON), form (FormData), token (a bearer
 * token), headers (more of them), raw (resolve the body as a Blob), signal. Resolves the
 * parsed JSON answer.
 */
export async function request(path, { method = 'GET', json, form, token, headers: more = {}, raw = false, signal } = {}) {
  const headers = { Accept: 'application/json', 'Accept-Language': lang(), ...more };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) {
    body = form; // the browser sets the multipart boundary
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', err.message || 'network error');
  }
  if (response.ok && raw) return response.blob();
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const e = data && data.error ? data.error : {};
    if (response.status === 401 && token && token === session.token && session.onExpired) session.onExpired();
    throw new ApiError(response.status, e.code || `http_${response.status}`,
      e.message || response.statusText || `HTTP ${response.status}`, e.detail || '');
  }
  if (data === null) throw new ApiError(response.status, 'invalid_response', 'the server sent no JSON');
  return data;
}

/** A request with the signed-in user's token. */
const authed = (path, options = {}) => request(path, { ...options, token: session.token });

/** "?a=1&b=2" of the params that have a value (arrays are joined with commas); "" when none. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/* ---------- public ---------- */

let configPromise = null;

/** On a municipality's own map (/m/{slug}) of a region: its slug, else null. */
export const MUNICIPALITY = (() => {
  const m = /^\/m\/([a-z0-9-]+)\/?$/.exec(globalThis.location ? location.pathname : '');
  return m ? m[1] : null;
})();
const own = MUNICIPALITY ? `?municipality=${MUNICIPALITY}` : '';

/** The city (on /m/{slug}: the municipality), limits and workflow: asked once per page. */
export function getConfig() {
  if (!configPromise) {
    configPromise = request(`/api/v1/config${own}`);
    configPromise.catch(() => {
      configPromise = null; // a later call may try again
    });
  }
  return configPromise;
}

export const getCategories = () => request(`/api/v1/categories${own}`);
export const getDistricts = () => request(`/api/v1/districts${own}`);
export const getServiceArea = () => request(`/api/v1/service-area${own}`);
/**
 * A street corner ("Clark St & Division St") or a house number ("1600 W Fullerton Ave") as a
 * GeoJSON Feature (properties.kind "corner" or "address"); 404 when none matches.
 */
export const getPlace = (q) => request(`/api/v1/places${query({ q })}`);

/** Completions of a place being typed: { suggestions: [{ kind, label }] }, at most eight. */
export const getPlaceSuggestions = (q, signal) => request(`/api/v1/places/suggest${query({ q })}`, { signal });

/** The street and cross street of a point ("S COTTAGE GROVE AVE near E 87TH ST"). */
export const getPlaceAt = ({ lat, lon, signal }) =>
  request(`/api/v1/places${query({ lat: lat.toFixed(6), lon: lon.toFixed(6) })}`, { signal });

/**
 * The city's street lines in bbox [minLon,minLat,maxLon,maxLat] (at most 0.05 degrees each
 * way). `bbox` is a string the caller keeps fixed per area, so the browser's cache answers
 * the same area again.
 */
export const getStreets = (bbox, signal) => request(`/api/v1/streets${query({ bbox })}`, { signal });

/** Clusters (or grid cells when `grid` is true) inside bbox [minLon,minLat,maxLon,maxLat]. */
export function getClusters({ bbox, zoom, categories, statuses, limit, grid, signal }) {
  const params = {
    bbox: bbox.map((v) => v.toFixed(6)).join(','),
    category: categories,
    status: statuses,
  };
  if (grid) params.zoom = zoom;
  else params.limit = limit;
  return request(`/api/v1/clusters${grid ? '/grid' : ''}${query(params)}`, { signal });
}

export const getCluster = (id, signal) =>
  request(`/api/v1/clusters/${encodeURIComponent(id)}`, { signal });

export const getNearby = ({ lat, lon, category, signal }) =>
  request(`/api/v1/nearby${query({ lat: lat.toFixed(7), lon: lon.toFixed(7), category })}`, { signal });

export const getReport = (id) => request(`/api/v1/reports/${encodeURIComponent(id)}`);

/** Service-level figures; `params` is a URLSearchParams of from, to, group_by, category, district. */
export const getStats = (params) => request(`/api/v1/stats?${params}`);

/** [first, last] report times (ISO 8601), from the OGC collection's temporal extent; null when empty. */
export async function getReportsExtent() {
  const c = await request('/ogc/collections/reports');
  const interval = c.extent && c.extent.temporal && c.extent.temporal.interval && c.extent.temporal.interval[0];
  return interval && interval[0] && interval[1] ? interval : null;
}

/**
 * Sends a report. With a photo it goes as multipart/form-data, otherwise as JSON. Staff send
 * it with their token (and a `channel`: phone, email, counter).
 */
export function postReport(report, photo, { staff = false } = {}) {
  const token = staff ? session.token : undefined;
  if (!photo) return request('/api/v1/reports', { method: 'POST', json: report, token });
  const form = new FormData();
  const put = (k, v) => {
    if (v !== undefined && v !== null && v !== '') form.append(k, String(v));
  };
  put('category', report.category);
  put('lat', report.lat);
  put('lon', report.lon);
  put('description', report.description);
  put('address', report.address);
  if (report.contact) {
    put('contact_name', report.contact.name);
    put('contact_email', report.contact.email);
    put('contact_phone', report.contact.phone);
  }
  put('same_as', report.same_as);
  if (report.not_same_as && report.not_same_as.length) put('not_same_as', report.not_same_as.join(','));
  form.append('photo', photo, photo.name || 'photo.jpg');
  return request('/api/v1/reports', { method: 'POST', form, token });
}

/* ---------- links out of reporters' mail (a token each, no account) ---------- */

/** Stops mail with the token of an unsubscribe link: { stopped: 'report' | 'address' }. */
export const postUnsubscribe = (token) =>
  request(`/api/v1/notify/unsubscribe${query({ t: token })}`, { method: 'POST' });
/** Subscribes an address to alerts for new problems (a confirmation mail goes out first). */
export const postAlert = (json) => request('/api/v1/alerts', { method: 'POST', json });
/** Confirms an alert with the token of its confirmation link. */
export const postAlertConfirm = (token) => request('/api/v1/alerts/confirm', { method: 'POST', json: { token } });
/** The answer behind a satisfaction link; resolves the form token and the reasons to offer. */
export const postKto = (token, satisfied) => request('/api/v1/kto', { method: 'POST', json: { token, satisfied } });
/** The details of that answer: FormData with form_token, reasons (comma list), text, photo. */
export const postKtoDetails = (form) => request('/api/v1/kto/details', { method: 'POST', form });
/** Mails a one-time sign-in link for "my reports" to the address (if it reported). */
export const postSignin = (email) => request('/api/v1/notify/signin', { method: 'POST', json: { email } });
/** Trades the sign-in link's token for a short session: { session, expires_at }. */
export const postSession = (token) => request('/api/v1/notify/session', { method: 'POST', json: { token } });
const mine = (session) => ({ 'X-Meldpunt-Session': session });
export const getMine = (session) => request('/api/v1/notify/mine', { headers: mine(session) });
/** Stops mail about one of the session's reports ({ report_id }) or all mail ({ all: true }). */
export const postStop = (session, body) =>
  request('/api/v1/notify/stop', { method: 'POST', json: body, headers: mine(session) });

/* ---------- staff and crew (bearer token) ---------- */

/** Who `token` belongs to: checked before it is kept. */
export const getMe = (token) => request('/api/v1/me', { token });

export const getStaffCrews = () => authed('/api/v1/staff/crews');
export const getQueue = (params) => authed(`/api/v1/staff/queue${query(params)}`);
export const getStaffCluster = (id) => authed(`/api/v1/staff/clusters/${encodeURIComponent(id)}`);

/** A status change: `body` is an object (sent as JSON) or FormData (with a photo). */
export function postStatus(clusterId, body) {
  const path = `/api/v1/clusters/${encodeURIComponent(clusterId)}/status`;
  return authed(path, body instanceof FormData ? { method: 'POST', form: body } : { method: 'POST', json: body });
}

export const postAssign = (clusterId, body) =>
  authed(`/api/v1/clusters/${encodeURIComponent(clusterId)}/assign`, { method: 'POST', json: body });

/** Merges cluster `clusterId` into `into`; `reason` is required beyond the category's limit. */
export const postMerge = (clusterId, into, reason) =>
  authed(`/api/v1/clusters/${encodeURIComponent(clusterId)}/merge`,
    { method: 'POST', json: reason ? { into, reason } : { into } });

/** Nearby jobs of the same category, nearest first, with distance, age and the category's limit. */
export const getMergeCandidates = (clusterId) =>
  authed(`/api/v1/staff/clusters/${encodeURIComponent(clusterId)}/merge-candidates`);

/** Takes merge `mergeId` back: the merged job returns under its old number. */
export const postUndoMerge = (mergeId) =>
  authed(`/api/v1/merges/${encodeURIComponent(mergeId)}/undo`, { method: 'POST', json: {} });

/** Moves a report to cluster `to`, or into a new cluster of its own when `to` is null. */
export const postMove = (reportId, to) =>
  authed(`/api/v1/reports/${encodeURIComponent(reportId)}/move`, { method: 'POST', json: { to } });

/** The crew's worklist as GeoJSON; with `format` (gpx, csv) the file as a Blob. */
export function getWorklist(params, format) {
  const path = `/api/v1/worklist${query({ ...params, format })}`;
  return format ? authed(path, { raw: true }) : authed(path);
}

/** A file behind the token (a photo of the staff view) as a Blob. */
export const getBlob = (path) => authed(path, { raw: true });
