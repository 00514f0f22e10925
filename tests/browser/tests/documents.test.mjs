// A case's "Besluit" and "Documenten" sections (issue 16): the decision with
// its dates, explanation and letter; the documents with format, size, date
// and a download link to the service (never to the agency); the empty and
// failed states; the professional's view without download links. axe-core
// and reflow at 1280, 375 and 320 px.
// Data: the demo cases (seeded, without documents), with the API's answers
// amended in the browser (the integration tests cover the data itself).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  apiAuth, BASE_URL, checkA11y, checkReflow, expectClean, launch, loginAsCitizen, loginAsProfessional, newPage, screenshot,
} from './helpers.mjs';

const CITIZEN = '999993653';
const DOC_LETTER = '2c9a7f3e-1b4d-4e6f-9a0b-3c5d7e9f1a2b';
const DOC_PHOTO = '3d0b8a4f-2c5e-4f70-8b1c-4d6e8f0a2b3c';
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const DOCUMENTS = [
  { id: DOC_LETTER, title: 'Besluit op uw aanvraag voor een parkeervergunning in zone A', format: 'application/pdf', size: 48213, date: '2026-11-03' },
  { id: DOC_PHOTO, title: 'Foto_van_de_situatie_aan_de_Kerkstraat_bij_huisnummer_12_zeer_lange_naam.png', format: 'image/png', size: 3145728, date: '2026-10-28' },
];
const DECISIONS = [
  { id: 'b1e2c3d4-0000-4000-8000-000000000001', date: '2026-11-03', effectiveFrom: '2026-11-04', effectiveUntil: '2027-11-03', text: 'U krijgt een parkeervergunning voor zone A.', documents: [DOC_LETTER] },
];

/** Opens the first case of the overview with the amended answers. */
async function openCase(page, { documents = DOCUMENTS, decisions = DECISIONS, failDocuments = false } = {}) {
  await page.route('**/api/v1/me/cases/*', async (route) => {
    const res = await route.fetch();
    const c = await res.json();
    await route.fulfill({ response: res, json: { ...c, decisions } });
  });
  await page.route('**/api/v1/me/cases/*/documents', async (route) => {
    if (failDocuments) {
      await route.fulfill({ status: 503, contentType: 'application/problem+json', headers: { 'Retry-After': '1' }, body: JSON.stringify({ type: 'urn:mijnzaken:problem:service-unavailable', title: 'Service unavailable', status: 503, detail: 'x' }) });
      return;
    }
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ items: documents }) });
  });
  await loginAsCitizen(page, CITIZEN);
  const link = page.locator('.mz-case__link').first();
  const href = await link.getAttribute('href');
  await link.click();
  await page.locator('.mz-timeline').waitFor();
  return href.split('/').pop();
}

describe('documents and decisions on the case page', () => {
  test('the decision and the documents, with download links through the service', async (t) => {
    const page = await newPage(browser);
    const caseId = await openCase(page);
    const besluit = page.locator('section.mz-decisions');
    assert.equal(await besluit.getByRole('heading', { level: 2 }).innerText(), 'Besluit');
    const text = await besluit.innerText();
    assert.match(text, /Datum besluit\s*3 november 2026/);
    assert.match(text, /Geldig vanaf\s*4 november 2026/);
    assert.match(text, /Geldig tot\s*3 november 2027/);
    assert.match(text, /U krijgt een parkeervergunning voor zone A\./);
    // the decision letter, linked from the decision
    const letter = besluit.getByRole('link', { name: /Besluit op uw aanvraag/ });
    assert.equal(await letter.getAttribute('href'), `/api/v1/me/cases/${caseId}/documents/${DOC_LETTER}/content`);

    const docs = page.locator('section.mz-documents');
    assert.equal(await docs.getByRole('heading', { level: 2 }).innerText(), 'Documenten');
    const items = docs.locator('.mz-docs__item');
    assert.equal(await items.count(), 2);
    assert.match(await items.nth(0).innerText(), /PDF, 47,1 kB, 3 november 2026/);
    assert.match(await items.nth(1).innerText(), /PNG-afbeelding, 3 MB, 28 oktober 2026/);
    for (const [i, id] of [[0, DOC_LETTER], [1, DOC_PHOTO]]) {
      const a = items.nth(i).getByRole('link');
      assert.equal(await a.getAttribute('href'), `/api/v1/me/cases/${caseId}/documents/${id}/content`);
      assert.equal(await a.getAttribute('download'), '');
    }
    // nothing points at an agency's system
    const hrefs = await page.locator('section.mz-documents a, section.mz-decisions a').evaluateAll((els) => els.map((e) => e.getAttribute('href')));
    assert.ok(hrefs.every((h) => h.startsWith('/api/v1/me/cases/')), hrefs.join(' '));
    await checkA11y(page, 'zaak met besluit en documenten (1280 px)', t);
    await screenshot(page, 'detail-documents', t);
    for (const width of [375, 320]) {
      await page.setViewportSize({ width, height: 812 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await checkReflow(page, `zaak met documenten (${width} px)`, t);
      if (width === 375) {
        await checkA11y(page, 'zaak met besluit en documenten (375 px)', t);
        await screenshot(page, 'detail-documents-375', t);
      }
    }
    expectClean(page);
    await page.context().close();
  });

  test('no documents, no decision', async (t) => {
    const page = await newPage(browser);
    await openCase(page, { documents: [], decisions: [] });
    assert.equal(await page.locator('section.mz-decisions').count(), 0);
    assert.match(await page.locator('section.mz-documents').innerText(), /Er zijn geen documenten bij deze zaak\./);
    await checkA11y(page, 'zaak zonder documenten', t);
    expectClean(page);
    await page.context().close();
  });

  test('documents that cannot be loaded do not break the case page', async (t) => {
    const page = await newPage(browser);
    await openCase(page, { failDocuments: true });
    assert.match(await page.locator('section.mz-documents').innerText(), /De documenten konden niet worden geladen/);
    // the decision still shows; its letter is not linked when the list is unknown
    assert.match(await page.locator('section.mz-decisions').innerText(), /U krijgt een parkeervergunning/);
    assert.equal(await page.locator('section.mz-decisions a').count(), 0);
    await checkA11y(page, 'zaak, documenten niet geladen', t);
    expectClean(page, [/Failed to load resource/]);
    await page.context().close();
  });

  test('a professional sees the list only on request, without download links', async (t) => {
    const citizen = await apiAuth({ bsn: CITIZEN });
    const list = await (await fetch(`${BASE_URL}/api/v1/me/cases`, { headers: citizen })).json();
    const caseId = list.items[0].id;
    const pro = await apiAuth({ role: 'professional' });
    const acts = await (await fetch(`${BASE_URL}/api/v1/processing-activities`, { headers: pro })).json();
    const purpose = acts.activities[0].id;
    const page = await newPage(browser);
    let listed = 0;
    await page.route('**/api/v1/cases/*/documents?*', async (route) => {
      listed += 1;
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ items: DOCUMENTS }) });
    });
    await loginAsProfessional(page);
    await page.goto(`${BASE_URL}/medewerker/zaken/${caseId}?doel=${encodeURIComponent(purpose)}`);
    await page.locator('.mz-timeline').waitFor();
    const docs = page.locator('section.mz-documents');
    assert.equal(listed, 0, 'not loaded before asked: each load is a logged look-up');
    await docs.getByRole('button', { name: 'Documenten tonen' }).click();
    await docs.locator('.mz-docs__item').first().waitFor();
    assert.equal(listed, 1);
    assert.equal(await docs.locator('.mz-docs__item').count(), 2);
    assert.equal(await docs.locator('a').count(), 0, 'no download links for professionals');
    assert.match(await docs.innerText(), /Alleen de burger kan documenten hier downloaden/);
    await checkA11y(page, 'medewerker: documenten', t);
    expectClean(page);
    await page.context().close();
  });
});
