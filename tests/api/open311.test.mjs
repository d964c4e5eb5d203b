// Open311 GeoReport v2 under /open311/v2/: every JSON answer is validated against the JSON
// Schemas in ../shared/open311/schema (ajv), every XML answer is parsed with a strict parser
// and compared element by element with its JSON twin; a round trip the way an Open311
// client (FixMyStreet) works; and the standard's errors for bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { startServer, api, postReportWithPhoto, SHARED_DIR, LOOP, offset } from './lib.mjs';

const Ajv = AjvModule.default ?? AjvModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;

// ---- schemas ----

const O311_DIR = path.join(SHARED_DIR, 'open311');
const readJson = (p) => JSON.parse(readFileSync(path.join(O311_DIR, p), 'utf8'));

// The README lists the defects of the published schemas: custom formats "uid"/"uint" that
// validators reject, and strings that may not be null although the standard shows nulls.
// relax() drops those formats and lets every optional member be null as well.
function relax(schema) {
  if (Array.isArray(schema)) return schema.map(relax);
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'xml' || k === 'example') continue;
    if (k === 'format' && (v === 'uid' || v === 'uint')) continue;
    out[k] = relax(v);
  }
  if (out.properties) {
    const required = new Set(out.required || []);
    for (const [name, prop] of Object.entries(out.properties)) {
      if (!required.has(name) && typeof prop.type === 'string') {
        out.properties[name] = { ...prop, type: [prop.type, 'null'] };
      }
    }
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
for (const f of ['service.json', 'services.json', 'service-definition.json', 'request.json', 'requests.json']) {
  ajv.addSchema(readJson(path.join('schema', f)), f);
}
const fms = readJson('mysociety-fms-open311-openapi.json').components.schemas;
ajv.addSchema({ type: 'array', items: relax(fms.RequestResponse) }, 'post-response');
ajv.addSchema({ type: 'array', items: relax(fms.Update) }, 'updates');
// The standard has no schema for errors and discovery: these follow its text.
ajv.addSchema({
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    required: ['code', 'description'],
    additionalProperties: false,
    properties: { code: { type: 'integer' }, description: { type: 'string', minLength: 1 } },
  },
}, 'errors');
ajv.addSchema({
  type: 'object',
  required: ['changeset', 'contact', 'key_service', 'endpoints'],
  properties: {
    changeset: { type: 'string', minLength: 1 },
    contact: { type: 'string', minLength: 1 },
    key_service: { type: 'string', minLength: 1 },
    endpoints: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['specification', 'url', 'changeset', 'type', 'formats'],
        properties: {
          specification: { type: 'string' },
          url: { type: 'string', format: 'uri' },
          changeset: { type: 'string' },
          type: { enum: ['production', 'test'] },
          formats: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
}, 'discovery');

function validate(name, data) {
  const v = ajv.getSchema(name);
  assert.ok(v, `no schema ${name}`);
  assert.ok(v(data), `${name}: ${ajv.errorsText(v.errors)}\n${JSON.stringify(data).slice(0, 2000)}`);
}

// ---- a strict little XML parser (enough for the standard's schemaless documents) ----

const ENTITIES = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(raw) {
  if (raw.includes('<')) throw new Error(`"<" in text: ${raw}`);
  return raw.replace(/&([^;]*);|&/g, (m, name) => {
    if (name === undefined) throw new Error(`bare & in text: ${raw}`);
    if (name in ENTITIES) return ENTITIES[name];
    const num = /^#(\d+)$/.exec(name) || /^#x([0-9a-fA-F]+)$/.exec(name);
    if (num) return String.fromCodePoint(parseInt(num[1], name[1] === 'x' ? 16 : 10));
    throw new Error(`unknown entity &${name};`);
  });
}

/** Parses a whole document; returns the root { name, children, text }. Throws on anything
 * that is not well-formed, on attributes and on mixed content. */
function parseXml(doc) {
  const decl = '<?xml version="1.0" encoding="UTF-8"?>';
  if (!doc.startsWith(decl)) throw new Error(`no XML declaration with encoding UTF-8: ${doc.slice(0, 60)}`);
  let i = decl.length;
  const ws = () => { while (i < doc.length && /\s/.test(doc[i])) i++; };
  const NAME = /[A-Za-z_][A-Za-z0-9_.-]*/y;
  function element() {
    if (doc[i] !== '<') throw new Error(`element expected at ${i}: ${doc.slice(i, i + 40)}`);
    i++;
    NAME.lastIndex = i;
    const m = NAME.exec(doc);
    if (!m) throw new Error(`bad element name at ${i}`);
    const name = m[0];
    i += name.length;
    if (doc.startsWith('/>', i)) { i += 2; return { name, children: [], text: '' }; }
    if (doc[i] !== '>') throw new Error(`attributes or junk in <${name}> at ${i}: ${doc.slice(i, i + 30)}`);
    i++;
    const children = [];
    let text = '';
    for (;;) {
      const lt = doc.indexOf('<', i);
      if (lt < 0) throw new Error(`<${name}> not closed`);
      text += doc.slice(i, lt);
      i = lt;
      if (doc.startsWith('</', i)) {
        const close = `</${name}>`;
        if (!doc.startsWith(close, i)) throw new Error(`expected ${close} at ${i}: ${doc.slice(i, i + 40)}`);
        i += close.length;
        break;
      }
      children.push(element());
    }
    if (children.length && text.trim()) throw new Error(`mixed content in <${name}>`);
    return { name, children, text: children.length ? '' : decodeText(text) };
  }
  ws();
  const root = element();
  ws();
  if (i !== doc.length) throw new Error(`junk after the root: ${doc.slice(i, i + 40)}`);
  return root;
}

// The item element of each list element (the Spark convention maps lists to JSON arrays).
const ITEMS = {
  services: 'service', service_requests: 'request', attributes: 'attribute', values: 'value',
  endpoints: 'endpoint', formats: 'format', errors: 'error', notes: 'note',
  service_request_updates: 'request_update',
};

/** Element by element: the XML element el against its JSON twin v - same names in the same
 * order, lists made of the right item elements, the same text (null is an empty element). */
function assertSameDoc(el, v, at = el.name) {
  if (Array.isArray(v)) {
    assert.ok(el.name in ITEMS, `${at}: <${el.name}> is not a list element`);
    assert.equal(el.children.length, v.length, `${at}: ${el.children.length} items in XML, ${v.length} in JSON`);
    el.children.forEach((c, k) => {
      assert.equal(c.name, ITEMS[el.name], `${at}[${k}]: <${c.name}> in <${el.name}>`);
      assertSameDoc(c, v[k], `${at}[${k}]`);
    });
  } else if (v !== null && typeof v === 'object') {
    assert.deepEqual(el.children.map((c) => c.name), Object.keys(v), `${at}: elements and their order`);
    el.children.forEach((c) => assertSameDoc(c, v[c.name], `${at}.${c.name}`));
  } else {
    assert.equal(el.children.length, 0, `${at}: a scalar has no child elements`);
    assert.equal(el.text, v === null ? '' : String(v), at);
  }
}

const ROOTS = {
  discovery: 'discovery', services: 'services', requests: 'service_requests',
  servicerequestupdates: 'service_request_updates',
};

// ---- HTTP helpers ----

let server;
let base;
let clientToken;
let staffToken;

async function get(p) {
  const r = await api(base, 'GET', p);
  return r;
}

async function getJson(p, status = 200) {
  const r = await get(p);
  assert.equal(r.status, status, `${p}: ${r.text}`);
  assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
  return r.body;
}

async function getXml(p, status = 200) {
  const r = await get(p);
  assert.equal(r.status, status, `${p}: ${r.text}`);
  assert.equal(r.headers.get('content-type'), 'text/xml; charset=utf-8');
  return { root: parseXml(r.text), text: r.text };
}

/** Both formats of one GET; checks them against each other and returns the JSON. */
async function getBoth(p, status = 200) {
  const [stem, query] = p.split('?');
  const q = query ? `?${query}` : '';
  const json = await getJson(`${stem}.json${q}`, status);
  const { root } = await getXml(`${stem}.xml${q}`, status);
  const top = stem.split('/')[1];
  assert.equal(root.name, stem.split('/').length > 2 && top === 'services' ? 'service_definition' : ROOTS[top]);
  assertSameDoc(root, json);
  return json;
}

/** POST the way an Open311 client does: application/x-www-form-urlencoded. */
async function post(fmt, fields) {
  const r = await api(base, 'POST', `/requests.${fmt}`, { form: new URLSearchParams(fields) });
  return r;
}

function assertError(r, status, pattern, fmt = 'json') {
  assert.equal(r.status, status, r.text);
  if (fmt === 'json') {
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    validate('errors', r.body);
    assert.equal(r.body[0].code, status);
    if (pattern) assert.match(r.body[0].description, pattern);
  } else {
    assert.equal(r.headers.get('content-type'), 'text/xml; charset=utf-8');
    const root = parseXml(r.text);
    assert.equal(root.name, 'errors');
    assert.equal(root.children.length, 1);
    const [e] = root.children;
    assert.equal(e.name, 'error');
    assert.deepEqual(e.children.map((c) => c.name), ['code', 'description']);
    assert.equal(e.children[0].text, String(status));
    if (pattern) assert.match(e.children[1].text, pattern);
  }
}

const W3C = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/;
const CHICAGO_OFFSET = /-0[56]:00$/;

before(async () => {
  server = await startServer();
  base = `${server.url}/open311/v2`;
  clientToken = await server.user('fixmystreet', 'client');
  staffToken = await server.user('dispatch', 'dispatcher', 'streets');
});

after(async () => {
  const exit = await server?.stop();
  const log = server?.log() ?? '';
  await server?.cleanup();
  // The server runs under ASan and UBSan in CTest: any report of theirs is a failure.
  assert.doesNotMatch(log, /AddressSanitizer|LeakSanitizer|runtime error/, log);
  assert.equal(exit?.code, 0, `server exit ${JSON.stringify(exit)}\n${log}`);
});

// ---- discovery and services ----

test('discovery in both formats', async () => {
  const d = await getBoth('/discovery');
  validate('discovery', d);
  const [ep] = d.endpoints;
  assert.equal(ep.specification, 'http://wiki.open311.org/GeoReport_v2');
  assert.equal(ep.url, `${server.url}/open311/v2`);
  assert.deepEqual(ep.formats, ['text/xml', 'application/json']);
  assert.match(d.key_service, /client/);
});

test('services: one per category, with group, keywords and metadata', async () => {
  const services = await getBoth('/services');
  validate('services.json', services);
  const cats = (await api(server.url, 'GET', '/api/v1/categories')).body.categories;
  assert.deepEqual(services.map((s) => s.service_code), cats.map((c) => c.code));
  const pothole = services.find((s) => s.service_code === 'pothole');
  assert.deepEqual(pothole, {
    service_code: 'pothole',
    service_name: 'Pothole in street',
    description: 'A hole or broken patch in the road surface of a street.',
    metadata: true,
    type: 'realtime',
    keywords: 'pothole, hole, road, asphalt, gat, kuil, wegdek, asfalt',
    group: 'streets',
  });
  const hydrant = services.find((s) => s.service_code === 'open_hydrant');
  assert.equal(hydrant.metadata, false, 'a category without attributes needs no definition');
  for (const s of services) assert.equal(s.type, 'realtime');
  // Dutch texts on request, the same document otherwise.
  const nl = await getBoth('/services?locale=nl');
  assert.equal(nl.find((s) => s.service_code === 'pothole').service_name, 'Gat in de weg');
  // jurisdiction_id: ours is fine, another one is not found.
  await getBoth('/services?jurisdiction_id=chicago');
  assertError(await get('/services.json?jurisdiction_id=sfgov.org'), 404, /jurisdiction_id 'sfgov.org' was not found/);
  assertError(await get('/services.xml?jurisdiction_id=sfgov.org'), 404, /jurisdiction_id/, 'xml');
});

test('service definitions carry the city pack attributes', async () => {
  const def = await getBoth('/services/pothole');
  validate('service-definition.json', def);
  assert.equal(def.service_code, 'pothole');
  assert.deepEqual(def.attributes.map((a) => a.code), ['depth', 'size', 'position']);
  const depth = def.attributes[0];
  assert.deepEqual(depth, {
    variable: true,
    code: 'depth',
    datatype: 'singlevaluelist',
    required: false,
    datatype_description: null,
    order: 1,
    description: 'How deep is it?',
    values: [
      { key: 'shallow', name: 'Shallower than 5 cm' },
      { key: 'medium', name: '5 to 10 cm deep' },
      { key: 'deep', name: 'Deeper than 10 cm' },
    ],
  });
  const signal = await getBoth('/services/traffic_signal_out');
  assert.equal(signal.attributes[0].required, true);
  const hydrant = await getBoth('/services/open_hydrant');
  validate('service-definition.json', hydrant);
  assert.deepEqual(hydrant.attributes, []);
  assertError(await get('/services/no_such_thing.json'), 404, /service_code 'no_such_thing' was not found/);
  assertError(await get('/services/no_such_thing.xml'), 404, /no_such_thing/, 'xml');
  assertError(await get('/services/pothole.html'), 404, /services\/SERVICE_CODE/, 'xml');
});

// ---- the round trip ----

test('round trip: POST as an Open311 client, find it, staff changes the status, see the update', async () => {
  const spot = offset(LOOP, 120, -80);
  const t0 = Math.floor(Date.now() / 1000) - 1;
  const fields = {
    api_key: clientToken,
    jurisdiction_id: 'chicago',
    service_code: 'pothole',
    lat: spot.lat.toFixed(7),
    long: spot.lon.toFixed(7),
    address_string: 'W Madison St at N Clark St',
    'attribute[depth]': 'deep',
    'attribute[position]': 'bike_lane',
    description: 'Deep hole in the bike lane',
    media_url: 'https://media.example.org/photos/hole.jpg',
    email: 'reporter@example.org',
    first_name: 'Ada',
    last_name: 'Reporter',
    phone: '+1 312 555 0100',
    device_id: 'device-XYZ-1',
    account_id: 'acct-77',
  };
  const r1 = await post('json', fields);
  assert.equal(r1.status, 200, r1.text);
  assert.equal(r1.headers.get('content-type'), 'application/json; charset=utf-8');
  validate('post-response', r1.body);
  assert.equal(r1.body.length, 1);
  const id1 = r1.body[0].service_request_id;
  assert.match(id1, /^[1-9]\d*$/);
  assert.equal(r1.body[0].service_notice, null, 'a new problem has no notice');
  assert.equal(r1.body[0].account_id, 'acct-77');
  assert.equal(r1.body[0].token, undefined, 'realtime: no token');

  // A second client report 6 m away joins the same cluster: XML this time.
  const near = offset(spot, 4, 4);
  const r2 = await post('xml', {
    api_key: clientToken, service_code: 'pothole', lat: near.lat.toFixed(7), long: near.lon.toFixed(7),
    description: 'Same hole',
  });
  assert.equal(r2.status, 200, r2.text);
  assert.equal(r2.headers.get('content-type'), 'text/xml; charset=utf-8');
  const x2 = parseXml(r2.text);
  assert.equal(x2.name, 'service_requests');
  assert.deepEqual(x2.children[0].children.map((c) => c.name), ['service_request_id', 'service_notice', 'account_id']);
  const id2 = x2.children[0].children[0].text;
  assert.notEqual(id2, id1);
  assert.match(x2.children[0].children[1].text, /already been reported/);

  // The JSON API sees the same reports: channel open311, one cluster, no contact data.
  const rep1 = await api(server.url, 'GET', `/api/v1/reports/${id1}`);
  const rep2 = await api(server.url, 'GET', `/api/v1/reports/${id2}`);
  assert.equal(rep1.body.properties.channel, 'open311');
  assert.equal(rep2.body.properties.cluster_id, rep1.body.properties.cluster_id);
  const clusterId = rep1.body.properties.cluster_id;

  // GET one request: a list of one, the standard's fields.
  const one = await getBoth(`/requests/${id1}`);
  validate('requests.json', one);
  assert.equal(one.length, 1);
  const req1 = one[0];
  assert.equal(req1.service_request_id, id1);
  assert.equal(req1.status, 'open');
  assert.equal(req1.service_code, 'pothole');
  assert.equal(req1.service_name, 'Pothole in street');
  assert.equal(req1.description, 'Deep hole in the bike lane');
  assert.equal(req1.agency_responsible, 'streets');
  assert.equal(req1.service_notice, null);
  assert.equal(req1.address, 'W Madison St at N Clark St');
  assert.equal(req1.address_id, '');
  assert.equal(req1.zipcode, null);
  assert.equal(req1.lat, Number(spot.lat.toFixed(7)));
  assert.equal(req1.long, Number(spot.lon.toFixed(7)));
  assert.equal(req1.media_url, 'https://media.example.org/photos/hole.jpg');
  for (const k of ['requested_datetime', 'updated_datetime', 'expected_datetime']) {
    assert.match(req1[k], W3C, k);
    assert.match(req1[k], CHICAGO_OFFSET, `${k} is in the city's time zone`);
  }
  const requested = Date.parse(req1.requested_datetime) / 1000;
  assert.ok(requested >= t0 && requested <= t0 + 60, req1.requested_datetime);
  // pothole: 7 working days; at least 9 calendar days with a weekend in between.
  const days = (Date.parse(req1.expected_datetime) - Date.parse(req1.requested_datetime)) / 86400000;
  assert.ok(days >= 9 && days <= 15, `expected in ${days} days`);
  assert.equal(req1.expected_datetime.slice(11, 19), req1.requested_datetime.slice(11, 19));
  const second = (await getBoth(`/requests/${id2}`))[0];
  assert.match(second.service_notice, /already been reported/);
  // Contact data stays private in both formats.
  for (const fmt of ['json', 'xml']) {
    const { text } = await get(`/requests/${id1}.${fmt}?extensions=true`);
    for (const secret of ['reporter@example.org', 'Ada', '555 0100', 'device-XYZ-1', 'acct-77']) {
      assert.ok(!text.includes(secret), `${secret} leaked in ${fmt}`);
    }
  }

  // GET requests: the default window (last 90 days), newest first, filters and pages.
  const all = await getBoth('/requests');
  validate('requests.json', all);
  assert.deepEqual(all.slice(0, 2).map((x) => x.service_request_id), [id2, id1]);
  const both = await getBoth(`/requests?service_request_id=${id1},${id2},999999`);
  assert.deepEqual(both.map((x) => x.service_request_id), [id1, id2]);
  assert.deepEqual((await getBoth('/requests?service_code=graffiti,dead_animal')).map((x) => x.service_request_id), []);
  assert.ok((await getBoth('/requests?service_code=pothole')).some((x) => x.service_request_id === id1));
  assert.deepEqual(await getBoth('/requests?status=closed'), []);
  assert.deepEqual((await getBoth('/requests?status=open&page_size=1')).map((x) => x.service_request_id), [id2]);
  assert.deepEqual((await getBoth('/requests?page_size=1&page=2')).map((x) => x.service_request_id), [id1]);
  assert.deepEqual(await getBoth('/requests?page_size=1&page=50'), []);
  const since = new Date((t0 - 5) * 1000).toISOString().replace('.000Z', 'Z');
  const window = await getBoth(`/requests?start_date=${since}&end_date=${encodeURIComponent(new Date(Date.now() + 5000).toISOString())}`);
  assert.deepEqual(window.map((x) => x.service_request_id).sort(), [id1, id2].sort());
  const past = await getBoth('/requests?start_date=2021-01-01T00:00:00Z&end_date=2021-03-31T00:00:00Z');
  assert.deepEqual(past, []);

  // extensions=true: the attributes as answered, the channel and the notes.
  const ext = (await getBoth(`/requests/${id1}?extensions=true`))[0];
  validate('request.json', ext);
  assert.deepEqual(ext.attributes, [
    { label: 'How deep is it?', name: 'depth', value: 'Deeper than 10 cm', code: 'deep' },
    { label: 'Where in the street is it?', name: 'position', value: 'In a bike lane', code: 'bike_lane' },
  ]);
  assert.equal(ext.extended_attributes.channel, 'open311');
  assert.equal(ext.extended_attributes.report_count, 2);
  assert.ok(Array.isArray(ext.notes));

  // Staff walk the cluster through the workflow (an internal note on the way), then
  // FixMyStreet pulls the updates.
  const note = 'Filled with cold asphalt; permanent repair in spring';
  const internal = 'Crew 7 to bring the small roller';
  const steps = [
    { status: 'acknowledged', note: internal, note_public: false },
    { status: 'in_progress' },
    { status: 'fixed', note, note_public: true },
  ];
  for (const step of steps) {
    const change = await api(server.url, 'POST', `/api/v1/clusters/${clusterId}/status`, {
      token: staffToken, json: step,
    });
    assert.equal(change.status, 200, change.text);
  }
  const start = new Date((t0 - 5) * 1000).toISOString();
  const end = new Date(Date.now() + 5000).toISOString();
  const window2 = `start_date=${encodeURIComponent(start)}&end_date=${encodeURIComponent(end)}`;
  const updates = await getBoth(`/servicerequestupdates?${window2}`);
  validate('updates', updates);
  for (const id of [id1, id2]) {
    const mine = updates.filter((u) => u.service_request_id === id);
    const statuses = mine.map((u) => u.status);
    for (const s of ['INVESTIGATING', 'IN_PROGRESS', 'FIXED']) {
      assert.equal(statuses.filter((x) => x === s).length, 1, `one ${s} update for ${id}: ${JSON.stringify(mine)}`);
    }
    assert.deepEqual(statuses.slice(-3), ['INVESTIGATING', 'IN_PROGRESS', 'FIXED'], 'oldest first');
    const fixed = mine.find((u) => u.status === 'FIXED');
    assert.equal(fixed.description, note);
    assert.match(fixed.updated_datetime, CHICAGO_OFFSET);
    assert.equal(mine.find((u) => u.status === 'INVESTIGATING').description, '');
  }
  assert.equal(new Set(updates.map((u) => u.update_id)).size, updates.length, 'update ids are unique');
  for (const fmt of ['json', 'xml']) {
    for (const p of [`/servicerequestupdates.${fmt}?${window2}`, `/requests/${id1}.${fmt}?extensions=true`]) {
      assert.ok(!(await get(p)).text.includes('small roller'), `internal note leaked in ${p}`);
    }
  }
  // Paging the updates: the same entries one by one.
  const paged = [];
  for (let page = 1; page <= updates.length + 1; page++) {
    paged.push(...await getJson(`/servicerequestupdates.json?${window2}&page_size=1&page=${page}`));
  }
  assert.deepEqual(paged, updates);
  const after = (await getBoth(`/requests/${id1}`))[0];
  assert.equal(after.status, 'closed');
  assert.equal(after.status_notes, note);
  assert.ok(Date.parse(after.updated_datetime) >= Date.parse(req1.updated_datetime));
  const closed = await getBoth('/requests?status=closed');
  assert.deepEqual(closed.map((x) => x.service_request_id), [id2, id1]);
  // Nothing before the window.
  assert.deepEqual(await getBoth('/servicerequestupdates?start_date=2021-01-01T00:00:00Z&end_date=2021-02-01T00:00:00Z'), []);
});

test('a corner in address_string, without lat and long, is placed on the street layer', async () => {
  const r = await post('json', {
    api_key: clientToken, service_code: 'graffiti', address_string: 'Clark St & Division St',
    description: 'Tag on the corner box',
  });
  assert.equal(r.status, 200, r.text);
  const id = r.body[0].service_request_id;
  const [req] = await getJson(`/requests/${id}.json`);
  // N Clark St meets W Division St at -87.63145 41.90390 in geodata/chicago/streets.tsv.
  assert.ok(Math.abs(req.lat - 41.90390) < 0.0001 && Math.abs(req.long - -87.63145) < 0.0001,
    `placed at ${req.lat},${req.long}`);
  assert.equal(req.address, 'Clark St & Division St', 'the text as sent is kept');
  // lat and long, when sent, win over the corner.
  const r2 = await post('json', {
    api_key: clientToken, service_code: 'graffiti', address_string: 'Clark St & Division St',
    lat: '41.8781', long: '-87.6298',
  });
  assert.equal(r2.status, 200, r2.text);
  const [req2] = await getJson(`/requests/${r2.body[0].service_request_id}.json`);
  assert.ok(Math.abs(req2.lat - 41.8781) < 0.0001, `placed at ${req2.lat}`);
});

test('XML escaping keeps the text exact', async () => {
  const text = 'A <b>big</b> hole & a "deep" one; it\'s ]]> here\r\nsecond line\ttab, caf\u00e9 \u20ac';
  const r = await post('json', {
    api_key: clientToken, service_code: 'sidewalk_damage', lat: '41.88', long: '-87.63', description: text,
    address_string: 'Tom & Jerry <corner>',
  });
  assert.equal(r.status, 200, r.text);
  const id = r.body[0].service_request_id;
  const { root, text: raw } = await getXml(`/requests/${id}.xml`);
  assert.ok(raw.includes('A &lt;b&gt;big&lt;/b&gt; hole &amp; a'), raw);
  assert.ok(raw.includes(']]&gt;'), 'no CDATA end in text');
  assert.ok(raw.includes('&#13;\n'), 'CR kept as a reference');
  const req = root.children[0];
  const byName = Object.fromEntries(req.children.map((c) => [c.name, c.text]));
  assert.equal(byName.description, text);
  assert.equal(byName.address, 'Tom & Jerry <corner>');
  const [json] = await getJson(`/requests/${id}.json`);
  assert.equal(json.description, text);
  assertSameDoc(root, [json]);
});

test('media_url of a report with a photo is an absolute URL of this server', async () => {
  const made = await postReportWithPhoto(server.url);
  assert.equal(made.status, 201, made.text);
  const id = made.body.report.id;
  const [req] = await getBoth(`/requests/${id}`);
  validate('request.json', req);
  assert.equal(req.media_url, `${server.url}/api/v1/reports/${id}/photo`);
  const img = await fetch(req.media_url);
  assert.equal(img.headers.get('content-type'), 'image/jpeg');
  // A client that is no trusted proxy does not choose the scheme or the host of the URL
  // (the trusted proxy's case is in tests/api/links.test.mjs); nor is a forged Host echoed.
  const proxied = await api(base, 'GET', `/requests/${id}.json`, { headers: { 'X-Forwarded-Proto': 'https' } });
  assert.equal(proxied.body[0].media_url, `${server.url}/api/v1/reports/${id}/photo`);
  const forged = await new Promise((resolve, reject) => {
    const u = new URL(`${base}/requests/${id}.xml`);
    http.get({ host: u.hostname, port: u.port, path: u.pathname, headers: { Host: 'x"><evil/>' } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  const media = parseXml(forged).children[0].children.find((c) => c.name === 'media_url');
  assert.equal(media.text, `${server.url}/api/v1/reports/${id}/photo`);
  assert.equal(req.extended_attributes, undefined, 'extensions only on request');
  // A channel other than open311 shows as such in the extension.
  const [ext] = await getJson(`/requests/${id}.json?extensions=true`);
  assert.equal(ext.extended_attributes.channel, 'web');
  assert.deepEqual(ext.attributes, []);
});

test('contact details typed into public text are masked', async () => {
  const r = await post('json', {
    api_key: clientToken, service_code: 'abandoned_vehicle', lat: '41.79', long: '-87.60',
    description: 'Blue van, owner said mail owner@example.com', 'attribute[make]': 'Ford, call 312 555 0199',
    'attribute[plate]': 'XYZ 123',
  });
  assert.equal(r.status, 200, r.text);
  const [req] = await getBoth(`/requests/${r.body[0].service_request_id}?extensions=true`);
  assert.equal(req.description, 'Blue van, owner said mail [hidden]');
  const make = req.attributes.find((a) => a.name === 'make');
  assert.equal(make.value, 'Ford, call [hidden]');
  assert.equal(req.attributes.find((a) => a.name === 'plate').value, 'XYZ 123');
  for (const fmt of ['json', 'xml']) {
    const { text } = await get(`/requests/${r.body[0].service_request_id}.${fmt}?extensions=true`);
    assert.ok(!text.includes('555 0199') && !text.includes('owner@example.com'), text);
  }
});

test('a multivaluelist takes several keys; the stored answers come back', async () => {
  const r = await post('json', {
    api_key: clientToken, service_code: 'speeding', lat: '41.9', long: '-87.65',
    'attribute[when][]': 'morning,night',
  });
  assert.equal(r.status, 200, r.text);
  const [req] = await getBoth(`/requests/${r.body[0].service_request_id}?extensions=true`);
  assert.deepEqual(req.attributes.map((a) => a.code), ['morning', 'night']);
  assertError(await post('json', {
    api_key: clientToken, service_code: 'speeding', lat: '41.9', long: '-87.65', 'attribute[when]': 'morning,noon',
  }), 400, /attribute\[when\] has no value 'noon'/);
});

// ---- bad input ----

test('POST errors: api_key, service_code, location, attributes, body', async () => {
  const ok = { api_key: clientToken, service_code: 'pothole', lat: '41.8781', long: '-87.6298' };
  const without = (k) => Object.fromEntries(Object.entries(ok).filter(([x]) => x !== k));
  const before = (await getJson('/requests.json')).length;
  for (const fmt of ['json', 'xml']) {
    assertError(await post(fmt, without('api_key')), 403, /api_key/, fmt);
    assertError(await post(fmt, { ...ok, api_key: 'mp_not-a-real-key-at-all' }), 403, /Invalid api_key/, fmt);
    assertError(await post(fmt, without('service_code')), 400, /service_code was not provided/, fmt);
    assertError(await post(fmt, { ...ok, service_code: 'unicorn' }), 404, /service_code 'unicorn' was not found/, fmt);
    assertError(await post(fmt, without('lat')), 400, /lat and long must both be sent/, fmt);
    assertError(await post(fmt, { api_key: clientToken, service_code: 'pothole' }), 400, /location is required/, fmt);
  }
  // A house number cannot be placed (no address ranges in the street layer), nor an address_id.
  assertError(await post('json', { api_key: clientToken, service_code: 'pothole', address_string: '121 N LaSalle St' }),
    400, /address_string '121 N LaSalle St' could not be placed: name a corner/);
  assertError(await post('json', { api_key: clientToken, service_code: 'pothole', address_string: 'N Clark St & N State St' }),
    400, /could not be placed/);
  assertError(await post('json', { api_key: clientToken, service_code: 'pothole', address_id: 'A-1234' }),
    400, /address_id/);
  assertError(await post('json', { ...ok, lat: 'north' }), 400, /numbers in decimal degrees/);
  assertError(await post('json', { ...ok, lat: '40.7128', long: '-74.0060' }), 400, /outside the service area/);
  assertError(await post('json', { ...ok, jurisdiction_id: 'nyc.gov' }), 404, /jurisdiction_id 'nyc.gov' was not found/);
  assertError(await post('json', { ...ok, 'attribute[depth]': 'bottomless' }), 400, /attribute\[depth\] has no value 'bottomless'/);
  assertError(await post('json', { ...ok, 'attribute[colour]': 'x'.repeat(2001) }), 400, /attribute\[colour\] must be UTF-8 text of at most 2000/);
  assertError(await post('json', { ...ok, service_code: 'traffic_signal_out' }), 400, /attribute\[problem\] is required/);
  assertError(await post('json', { ...ok, media_url: 'javascript:alert(1)' }), 400, /media_url/);
  assertError(await post('json', { ...ok, email: 'not-an-address' }), 400, /email/);
  assertError(await post('json', { ...ok, description: 'x'.repeat(2001) }), 400, /description/);
  // A JSON body is not what the standard sends.
  const asJson = await api(base, 'POST', '/requests.json', { json: ok });
  assertError(asJson, 400, /form-encoded/);
  // The key is checked before anything else is looked at.
  assertError(await post('json', { api_key: 'mp_wrong-wrong-wrong', lat: 'x' }), 403, /api_key/);
  // Nothing of the above was stored.
  assert.equal((await getJson('/requests.json')).length, before);
});

test('GET errors: dates, the 90-day span, status, pages, ids, unknown resources', async () => {
  for (const fmt of ['json', 'xml']) {
    assertError(await get(`/requests.${fmt}?start_date=2021-13-01T00:00:00Z`), 400, /start_date '2021-13-01T00:00:00Z' is not a W3C date-time/, fmt);
    assertError(await get(`/requests.${fmt}?end_date=yesterday`), 400, /end_date 'yesterday'/, fmt);
    assertError(await get(`/requests.${fmt}?start_date=2021-01-01T00:00:00Z&end_date=2021-04-02T00:00:01Z`), 400, /at most 90 days/, fmt);
    assertError(await get(`/servicerequestupdates.${fmt}?start_date=2021-01-01T00:00:00Z&end_date=2021-06-01T00:00:00Z`), 400, /at most 90 days/, fmt);
    assertError(await get(`/servicerequestupdates.${fmt}?start_date=31/01/2021`), 400, /start_date/, fmt);
  }
  // Exactly 90 days is allowed; so is an offset whose "+" arrived unencoded (as a space).
  await getBoth('/requests?start_date=2021-01-01T00:00:00Z&end_date=2021-04-01T00:00:00Z');
  await getBoth('/requests?start_date=2021-01-01T00:00:00+01:00&end_date=2021-02-01T00:00:00-06:00');
  await getBoth('/requests?start_date=2021-01-01&end_date=2021-02-01');
  assertError(await get('/requests.json?start_date=2021-02-01T00:00:00Z&end_date=2021-01-01T00:00:00Z'), 400, /before start_date/);
  assertError(await get('/requests.json?status=pending'), 400, /status 'pending' is not open or closed/);
  assertError(await get('/requests.json?service_code=unicorn'), 400, /service_code 'unicorn'/);
  assertError(await get('/requests.json?page_size=0'), 400, /page_size/);
  assertError(await get('/requests.json?page_size=1001'), 400, /page_size/);
  assertError(await get('/requests.json?page=0'), 400, /page must be/);
  assertError(await get('/requests.json?service_request_id=1,abc'), 400, /service_request_id 'abc'/);
  assertError(await get('/requests.json?jurisdiction_id=other'), 404, /jurisdiction_id/);
  assertError(await get('/requests/987654.json'), 404, /'987654' was not found/);
  assertError(await get('/requests/987654.xml'), 404, /987654/, 'xml');
  assertError(await get('/requests/abc.json'), 404, /'abc' was not found/);
  assertError(await get('/tokens/12345.json'), 404, /token '12345' was not found/);
  assertError(await get('/tokens/12345.xml'), 404, /never with a token/, 'xml');
  // Empty optional arguments count as absent.
  validate('requests.json', await getBoth('/requests?start_date=&status=&service_code='));
});
