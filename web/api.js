// The JSON API of meldpunt, seen from the page. Every failure becomes an ApiError with the
// server's {"error":{"code","message"}} when there is one, so callers can show it next to
// the field it concerns.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

async function request(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: 'application/json' }, ...options });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', err.message || 'network error');
  }
  let body = null;
  const text = await response.text();
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const e = body && body.error ? body.error : {};
    throw new ApiError(response.status, e.code || `http_${response.status}`,
      e.message || response.statusText || `HTTP ${response.status}`);
  }
  if (body === null) throw new ApiError(response.status, 'invalid_response', 'the server sent no JSON');
  return body;
}

const query = (params) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
};

export const getConfig = () => request('/api/v1/config');
export const getCategories = () => request('/api/v1/categories');
export const getDistricts = () => request('/api/v1/districts');
export const getServiceArea = () => request('/api/v1/service-area');
/** A street corner ("Clark St & Division St") as a GeoJSON Feature; 404 when none matches. */
export const getPlace = (q) => request(`/api/v1/places${query({ q })}`);

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

/**
 * Sends a report. With a photo it goes as multipart/form-data (the browser sets the
 * boundary), otherwise as JSON.
 */
export function postReport(report, photo) {
  if (!photo) {
    return request('/api/v1/reports', {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify(report),
    });
  }
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
  return request('/api/v1/reports', { method: 'POST', body: form });
}
