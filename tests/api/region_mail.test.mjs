// Mail of a pack without templates of its own (Halle-Vilvoorde carries only mail/mail.json):
// the real server and a real SMTP sink (tests/notify/smtp_sink.py). The confirmation is the
// built-in one, in the pack's default language (Dutch) for a reporter whose languages the pack
// lacks, in English for one who asks for it, with the region's own sender and city names.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServer, api, REGION_DIR } from './lib.mjs';
import { startSink } from '../notify/mail.mjs';

const FROM = 'meldpunt@halle-vilvoorde.example';
const HALLE_CENTRE = { lat: 50.7345, lon: 4.2370 };
const ASSE_CENTRE = { lat: 50.9103, lon: 4.1985 };

let sink;
let srv;

before(async () => {
  sink = await startSink();
  srv = await startServer({ city: REGION_DIR, env: { MELDPUNT_SMTP_URL: sink.url,
    MELDPUNT_SMTP_TLS: 'none', MELDPUNT_MAIL_FROM: FROM, MELDPUNT_MAIL_RETRY: '1' } });
});
after(async () => {
  await srv?.cleanup();
  await sink?.stop();
});

async function report(p, email, lang) {
  const r = await api(srv.url, 'POST', '/api/v1/reports', {
    headers: { 'Accept-Language': lang },
    json: { category: 'sluikstort', lat: p.lat, lon: p.lon, description: 'Zakken afval',
      contact: { name: 'A. Melder', email } } });
  assert.equal(r.status, 201, r.text);
  return r.body.report.id;
}

const to = (msgs, addr) => msgs.filter((m) => m.envelope.rcpt_tos.includes(addr));

test('the pack has no templates of its own', () => {
  assert.ok(existsSync(path.join(REGION_DIR, 'mail', 'mail.json')));
  assert.ok(!existsSync(path.join(REGION_DIR, 'mail', 'nl')));
  assert.ok(!existsSync(path.join(REGION_DIR, 'mail', 'en')));
});

test('a confirmation in Dutch, the default language, with the region\'s names', async () => {
  const addr = 'fr.melder@example.org';
  const id = await report(HALLE_CENTRE, addr, 'fr-BE,fr;q=0.9');
  const [m] = to(await sink.waitFor((ms) => to(ms, addr).length === 1, { what: 'the confirmation' }), addr);
  assert.match(m.subject, new RegExp(`^Uw melding ${id} is ontvangen: `));
  assert.equal(m.header('content-language'), 'nl');
  assert.equal(m.header('from'), `Meldpunt Halle-Vilvoorde – meldingen openbare ruimte <${FROM}>`);
  assert.match(m.text, /^Beste melder,/);
  assert.ok(m.text.includes('uw gemeente (arrondissement Halle-Vilvoorde)'), m.text);
  assert.ok(m.text.includes(`/r/${id}`), m.text);
  assert.ok(m.html.includes('Beste melder'), m.html);
  assert.ok(!m.text.includes('{{') && !m.html.includes('{{'));
  assert.ok(!/Chicago/.test(m.text + m.html + m.header('from')));
});

test('in English when the reporter asks for it', async () => {
  const addr = 'en.reporter@example.org';
  const id = await report(ASSE_CENTRE, addr, 'en-GB,en;q=0.9');
  const [m] = to(await sink.waitFor((ms) => to(ms, addr).length === 1, { what: 'the confirmation' }), addr);
  assert.match(m.subject, new RegExp(`^We received your report ${id}: `));
  assert.equal(m.header('content-language'), 'en');
  assert.equal(m.header('from'), `"Halle-Vilvoorde street reports" <${FROM}>`);
  assert.ok(m.text.includes('your municipality (Halle-Vilvoorde district)'), m.text);
});
