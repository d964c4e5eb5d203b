// Merging as a dispatcher expects it (issue 18 point 3) and photos that reach who needs them
// (point 6), in the browser: the staff page lists nearby clusters of the same category with
// distance and age, asks for confirmation naming both clusters, warns and requires a reason
// beyond the category's limit, shows the merge in the history with the citizen's photo, and
// undoes it; the citizen's page keeps its own pin and says "merged" once; the crew page shows a
// job's descriptions and photos (its own department's only); the citizen's page shows the crew's
// repair photo. Desktop in English, phone in Dutch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { launchBrowser, newPage, screenshot, DESKTOP, PHONE } from './server.mjs';
import { startServer, api, offset7, SOURCE_DIR } from '../api/lib.mjs';

// West of the Loop; sidewalk damage folds within 20 m, these are 90 m apart.
const P = { lat: 41.8830, lon: -87.6650 };
const Q = offset7(P, 0, 90);
const JPEG = path.join(SOURCE_DIR, 'tests/fixtures/photos/gray.jpg');

let server;
let browser;
const tok = {};
let A; // { cluster, report } of the first report, no photo
let B; // the second, 90 m east, with a photo

async function reportWithPhoto(p, description) {
  const form = new FormData();
  form.set('category', 'sidewalk_damage');
  form.set('lat', String(p.lat));
  form.set('lon', String(p.lon));
  form.set('description', description);
  form.set('photo', new Blob([await readFile(JPEG)], { type: 'image/jpeg' }), 'slab.jpg');
  const r = await api(server.url, 'POST', '/api/v1/reports', { form });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

before(async () => {
  server = await startServer();
  tok.disp = await server.user('dana', 'dispatcher');
  tok.streets = await server.user('crew-streets', 'crew', 'streets');
  tok.parks = await server.user('crew-parks', 'crew', 'forestry');
  const a = await api(server.url, 'POST', '/api/v1/reports', {
    json: { category: 'sidewalk_damage', lat: P.lat, lon: P.lon, description: 'slab lifted by a root' },
  });
  assert.equal(a.status, 201, a.text);
  A = a.body;
  B = await reportWithPhoto(Q, 'the other end of the same slab');
  assert.notEqual(A.cluster.id, B.cluster.id);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.cleanup();
});

async function signIn(page, token) {
  await page.goto(`${server.url}/staff`);
  await page.fill('#token', token);
  await page.click('#signin-form button[type=submit]');
}

async function openCluster(page, id) {
  const item = page.locator(`.queue-item[data-cluster-id="${id}"]`);
  await item.waitFor();
  await item.click();
  await page.waitForFunction((cid) => document.getElementById('detail').dataset.clusterId === String(cid), id);
}

test('staff: candidates, confirmation with a required reason, the merge in the history, undo', { timeout: 120000 }, async () => {
  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    await signIn(page, tok.disp);
    await openCluster(page, B.cluster.id);
    // The citizen's photo in the staff view: a thumbnail that loads, a link to the full size.
    const thumb = page.locator(`#detail-reports li[data-report-id="${B.report.id}"] .r-photo img`);
    await thumb.waitFor();
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await thumb.elementHandle());
    assert.equal(await page.getAttribute(`#detail-reports li[data-report-id="${B.report.id}"] .r-photo`, 'href'),
      `/api/v1/reports/${B.report.id}/photo`);

    const cand = page.locator(`#m-candidates .candidate[data-cluster-id="${A.cluster.id}"]`);
    await cand.waitFor();
    assert.equal(await page.textContent('#m-limit'), 'Reports of this category within 20 m are one cluster.');
    assert.match(await cand.textContent(), new RegExp(`Merge into #${A.cluster.id} \\(New\\)90 m away · reported today · 1 report`));
    assert.match(await cand.textContent(), /farther than 20 m/);

    await cand.click();
    await page.locator('#merge-confirm').waitFor();
    assert.match(await page.textContent('#mc-title'),
      new RegExp(`^Merge cluster #${B.cluster.id} Damaged sidewalk \\(1 report, .+\\) into cluster #${A.cluster.id} Damaged sidewalk \\(1 report, .+\\)\\?$`));
    assert.equal(await page.textContent('#mc-distance'), 'They are 90 m apart.');
    assert.equal(await page.textContent('#mc-warning'),
      'That is farther than the 20 m of this category: say why they are one cluster.');
    assert.equal(await page.textContent('#mc-reason-label'), 'Reason (required)');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'mc-reason', 'the reason has the focus');
    await screenshot(page, 'staff-merge-confirm');

    // Without a reason nothing is sent.
    await page.click('#mc-ok');
    assert.equal(await page.textContent('#mc-error'), 'Say why these are one cluster.');
    assert.equal((await api(server.url, 'GET', `/api/v1/clusters/${B.cluster.id}`)).status, 200, 'not merged');

    await page.fill('#mc-reason', 'one slab, lifted at both ends');
    await page.click('#mc-ok');
    await page.waitForFunction((id) => document.getElementById('detail').dataset.clusterId === String(id), A.cluster.id);
    assert.equal(await page.textContent('#message'), `Cluster #${B.cluster.id} merged into #${A.cluster.id}.`);
    assert.equal(await page.isVisible('#merge-confirm'), false);
    const entry = page.locator('#detail-history li.merge-entry[data-event="merged_in"]');
    assert.match(await entry.textContent(),
      new RegExp(`cluster #${B.cluster.id} merged into this one, 90 m away.*Reason: one slab, lifted at both ends`, 's'));
    assert.match(await page.textContent(`#detail-reports li[data-report-id="${B.report.id}"]`),
      new RegExp(`merged in with cluster #${B.cluster.id} \\(in #${B.cluster.id}: started this cluster\\)`));
    assert.equal(await page.locator('#detail-history li').filter({ hasText: /\(cluster #\d+\)/ }).count() >= 1, true,
      'the merged cluster\'s own entries are marked as its');
    // The audit log in words, not codes and JSON.
    assert.match(await page.textContent('#detail-audit'),
      new RegExp(`dana: merged \\(from: ${B.cluster.id}, into: ${A.cluster.id}, merge: \\d+\\)$`));
    await screenshot(page, 'staff-merged');

    // The citizen of B: their own pin, "new" once, the merge once.
    const pb = (await api(server.url, 'GET', `/api/v1/reports/${B.report.id}`)).body;
    assert.deepEqual(pb.geometry.coordinates, [Q.lon, Q.lat]);

    // Undo from the history entry: B is back, with its report.
    await page.click('#detail-history li.merge-entry button.undo');
    await page.waitForFunction((id) => document.getElementById('detail').dataset.clusterId === String(id), B.cluster.id);
    assert.equal(await page.textContent('#message'), `Merge undone: cluster #${B.cluster.id} is back.`);
    assert.match(await page.textContent('#detail-history'), new RegExp(`merge with cluster #${A.cluster.id} undone`));
    assert.equal((await api(server.url, 'GET', `/api/v1/clusters/${B.cluster.id}`)).body.properties.report_count, 1);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('staff on a phone in Dutch: a number typed by hand is named and refused without a reason; undo right after', { timeout: 120000 }, async () => {
  const { context, page, problems } = await newPage(browser, { viewport: PHONE, locale: 'nl-NL', mobile: true });
  try {
    await signIn(page, tok.disp);
    await openCluster(page, B.cluster.id);
    await page.locator('#m-candidates .candidate').first().waitFor();
    assert.match(await page.textContent('#m-candidates'), /90 m verderop · vandaag gemeld/);
    await page.fill('#m-into', String(A.cluster.id));
    await page.click('#merge-form button[type=submit]');
    await page.locator('#merge-confirm').waitFor();
    assert.match(await page.textContent('#mc-title'),
      new RegExp(`^cluster #${B.cluster.id} Beschadigde stoep \\(1 melding, .+\\) samenvoegen met cluster #${A.cluster.id} `));
    assert.equal(await page.textContent('#mc-distance'), 'Ze liggen 90 m uit elkaar.');
    assert.equal(await page.textContent('#mc-reason-label'), 'Reden (verplicht)');
    await page.click('#mc-ok');
    assert.equal(await page.textContent('#mc-error'), 'Zeg waarom dit één cluster is.');
    await page.fill('#mc-reason', 'zelfde tegel');
    await page.click('#mc-ok');
    await page.waitForFunction((id) => document.getElementById('detail').dataset.clusterId === String(id), A.cluster.id);
    assert.equal(await page.textContent('#undo-merge'), `Ongedaan maken: #${B.cluster.id} weer uit #${A.cluster.id} halen`);
    assert.match(await page.textContent('#detail-audit'),
      new RegExp(`dana: samengevoegd \\(van: ${B.cluster.id}, in: ${A.cluster.id}, samenvoeging: \\d+\\)$`));
    await screenshot(page, 'staff-merged-phone-nl');

    // The citizen's page of B while merged: own pin, "Nieuw" once, the merge once, in Dutch.
    const citizen = await context.newPage();
    await citizen.goto(`${server.url}/r/${B.report.id}`);
    await citizen.locator('#report-history li').first().waitFor();
    const lines = await citizen.locator('#report-history li').allTextContents();
    // Merged on the desktop, undone, merged again here: "Nieuw" once, each merge once.
    assert.deepEqual(lines.map((l) => l.replace(/^.*\) /, '')), [
      'Nieuw',
      `Samengevoegd met klus ${A.cluster.id}: hetzelfde probleem, vaker gemeld`,
      `Weer losgemaakt van klus ${A.cluster.id}: toch niet hetzelfde probleem`,
      `Samengevoegd met klus ${A.cluster.id}: hetzelfde probleem, vaker gemeld`,
    ]);
    assert.match(await citizen.textContent('#report-location'), new RegExp(`${Q.lat.toFixed(5)}, ${Q.lon.toFixed(5)}`));
    const pin = await citizen.evaluate(() => {
      const m = document.querySelector('#report-map .leaflet-marker-icon');
      const r = m.getBoundingClientRect();
      const box = document.getElementById('report-map').getBoundingClientRect();
      return [r.left + r.width / 2 - box.left - box.width / 2, r.top + r.height / 2 - box.top - box.height / 2];
    });
    assert.ok(Math.abs(pin[0]) < 2 && Math.abs(pin[1]) < 2, `the marker stands at the report's own place: ${pin}`);
    await screenshot(citizen, 'report-merged-phone-nl');

    await page.click('#undo-merge');
    await page.waitForFunction((id) => document.getElementById('detail').dataset.clusterId === String(id), B.cluster.id);
    assert.equal(await page.textContent('#message'), `Samenvoeging teruggedraaid: cluster #${B.cluster.id} is terug.`);
    assert.equal(await page.isVisible('#undo-merge'), false);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('crew: a job\'s descriptions and photos, its own department only; the citizen sees the repair photo', { timeout: 120000 }, async () => {
  const id = B.cluster.id;
  const ack = await api(server.url, 'POST', `/api/v1/clusters/${id}/status`, { json: { status: 'acknowledged' }, token: tok.disp });
  assert.equal(ack.status, 200, ack.text);
  const assigned = await api(server.url, 'POST', `/api/v1/clusters/${id}/assign`,
    { json: { department: 'streets' }, token: tok.disp });
  assert.equal(assigned.status, 200, assigned.text);

  const district = (await api(server.url, 'GET', `/api/v1/reports/${B.report.id}`)).body.properties.district;
  assert.ok(district && district.code, 'the report lies in a district');
  const crewJob = async (token, fn) => {
    const { context, page, problems } = await newPage(browser, { viewport: PHONE, mobile: true });
    try {
      await page.goto(`${server.url}/crew`);
      await page.fill('#token', token);
      await page.click('#signin-form button[type=submit]');
      await page.locator('#work').waitFor();
      await page.selectOption('#district', String(district.code));
      await page.click('#area-form button[type=submit]');
      if (!fn) {
        await page.waitForFunction(() => /forestry/.test(document.getElementById('summary').textContent));
        assert.equal(await page.textContent('#summary'), 'No open jobs for forestry in this area.');
        assert.equal(await page.locator(`#jobs li[data-cluster-id="${id}"]`).count(), 0);
        return;
      }
      const job = page.locator(`#jobs li[data-cluster-id="${id}"]`);
      await job.waitFor();
      await job.locator('.job-details summary').click();
      await fn(page, job);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  };

  await crewJob(tok.streets, async (page, job) => {
    const item = job.locator(`.job-reports li[data-report-id="${B.report.id}"]`);
    await item.waitFor();
    assert.equal(await item.locator('.job-desc').textContent(), 'the other end of the same slab');
    const img = item.locator('.job-photo img');
    await page.waitForFunction((i) => i.complete && i.naturalWidth > 0, await img.elementHandle());
    assert.equal(await img.getAttribute('alt'), `Photo of report ${B.report.id}`);
    await screenshot(page, 'crew-job-details-phone');
  });
  // Another department's crew does not get the job on its list (nor its reports: the API
  // answers 403, tests/api/merge.test.mjs).
  await crewJob(tok.parks, null);

  // The crew marks it fixed with a photo: the citizen's page shows the repair.
  await api(server.url, 'POST', `/api/v1/clusters/${id}/status`, { json: { status: 'in_progress' }, token: tok.streets });
  const fix = new FormData();
  fix.set('status', 'fixed');
  fix.set('photo', new Blob([await readFile(JPEG)], { type: 'image/jpeg' }), 'after.jpg');
  const done = await api(server.url, 'POST', `/api/v1/clusters/${id}/status`, { form: fix, token: tok.streets });
  assert.equal(done.status, 200, done.text);
  const { context, page, problems } = await newPage(browser, { viewport: DESKTOP });
  try {
    await page.goto(`${server.url}/r/${B.report.id}`);
    await page.locator('#fix-section').waitFor();
    assert.equal(await page.textContent('#fix-heading'), 'Photo of the repair');
    const img = page.locator('#fix-photo');
    await page.waitForFunction((i) => i.complete && i.naturalWidth > 0, await img.elementHandle());
    assert.match(await img.getAttribute('alt'), /^The repair, photographed by the crew on /);
    assert.equal(await page.getAttribute('#fix-photo-link', 'href'), `/api/v1/reports/${B.report.id}/fix-photo`);
    await screenshot(page, 'report-fix-photo');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
