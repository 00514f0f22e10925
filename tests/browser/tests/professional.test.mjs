// A contact-centre professional: the BSN search (BSN only in the POST
// body), the required purpose, results across agencies with their lines
// for professionals, opening a case with the purpose, and what the form
// says when the input is wrong.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BASE_URL, checkA11y, expectClean, launch, loginAsProfessional, newPage, screenshot,
} from './helpers.mjs';

const BSN = '999990019';
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Records every request, to check that no BSN ever travels in a URL. */
function recordRequests(page) {
  const seen = [];
  page.on('request', (r) => seen.push({ method: r.method(), url: r.url(), body: r.postData() }));
  return seen;
}

describe('professional', { timeout: 120000 }, () => {
  test('searches a citizen by BSN with a purpose and sees the agencies\' professional lines', async (t) => {
    const page = await newPage(browser);
    const requests = recordRequests(page);
    await loginAsProfessional(page);
    assert.equal(new URL(page.url()).pathname, '/medewerker');
    const bsn = page.getByLabel('Burgerservicenummer (BSN)');
    assert.equal(await bsn.getAttribute('type'), 'text');
    assert.equal(await bsn.getAttribute('inputmode'), 'numeric');
    assert.equal(await bsn.getAttribute('autocomplete'), 'off');
    await checkA11y(page, 'medewerker: zoeken', t);

    await bsn.fill(BSN);
    await page.getByLabel('Beantwoorden van een vraag van de burger over de eigen zaken').check();
    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    await page.locator('.mz-pro-group').first().waitFor();

    const groups = page.locator('.mz-pro-group');
    assert.ok(await groups.count() >= 2, 'results from more than one organisation');
    const uwv = page.locator('.mz-pro-group', { has: page.getByRole('heading', { level: 3, name: 'UWV' }) });
    assert.match(await uwv.locator('.mz-pro-line').innerText(), /Lijn voor professionals: 088 898 20 01/);
    assert.equal(await uwv.getByRole('link', { name: '088 898 20 01' }).getAttribute('href'), 'tel:0888982001');
    assert.match(await page.locator('.mz-results').innerText(), /Zaaknummer ZW-2026-33001/);
    assert.match(await page.locator('.mz-results').innerText(), /vastgelegd met het doel: Beantwoorden van een vraag/);
    assert.equal(await page.locator('.mz-pro-line').count(), await groups.count(), 'every organisation shows its line for professionals');

    const search = requests.find((r) => r.method === 'POST' && r.url.endsWith('/api/v1/cases/search'));
    assert.ok(search, 'searched with POST /api/v1/cases/search');
    assert.deepEqual(JSON.parse(search.body), { bsn: BSN, purpose: 'klantvraag', pageSize: 20 });
    await checkA11y(page, 'medewerker: resultaten', t);
    await screenshot(page, 'professional', t);

    // Open a case: GET /api/v1/cases/{id}?purpose=klantvraag
    await page.locator('.mz-pro-case__link').first().click();
    await page.locator('.mz-timeline').waitFor();
    const get = requests.find((r) => r.method === 'GET' && /\/api\/v1\/cases\/[0-9a-f-]{36}\?purpose=klantvraag$/.test(r.url));
    assert.ok(get, 'the case was opened with its purpose');
    assert.match(await page.locator('.mz-logged').innerText(), /vastgelegd met het doel: Beantwoorden van een vraag/);
    assert.match(await page.locator('.mz-contact').innerText(), /Lijn voor professionals/);
    await checkA11y(page, 'medewerker: zaak', t);
    await screenshot(page, 'professional-detail', t);

    // Back to the results without a new (logged) look-up.
    const searches = requests.filter((r) => r.url.endsWith('/api/v1/cases/search')).length;
    await page.getByRole('navigation', { name: 'Kruimelpad' }).getByRole('link', { name: 'Zaken opzoeken' }).click();
    await page.locator('.mz-pro-group').first().waitFor();
    assert.equal(requests.filter((r) => r.url.endsWith('/api/v1/cases/search')).length, searches);

    // "Nieuwe zoekopdracht" forgets the previous search.
    await page.getByRole('button', { name: 'Nieuwe zoekopdracht' }).click();
    await page.locator('.mz-pro-group').first().waitFor({ state: 'detached' });
    assert.equal(await page.getByLabel('Burgerservicenummer (BSN)').inputValue(), '');

    for (const r of requests) assert.ok(!r.url.includes(BSN), `no BSN in a URL: ${r.url}`);
    assert.ok(!page.url().includes(BSN));
    assert.equal(await page.evaluate((b) => JSON.stringify({ ...window.sessionStorage }).includes(b), BSN), false, 'no BSN in sessionStorage');
    expectClean(page);
    await page.context().close();
  });

  test('the form checks the BSN and the purpose before searching; the server has the last word', async (t) => {
    const page = await newPage(browser);
    const requests = recordRequests(page);
    await loginAsProfessional(page);
    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    const summary = page.locator('.utrecht-alert--error');
    await summary.waitFor();
    assert.match(await summary.innerText(), /Vul het burgerservicenummer in/);
    assert.match(await summary.innerText(), /Kies waarom u de zaken opzoekt/);
    assert.equal(await page.getByLabel('Burgerservicenummer (BSN)').getAttribute('aria-invalid'), 'true');
    await checkA11y(page, 'medewerker: foutmeldingen', t);

    await page.getByLabel('Burgerservicenummer (BSN)').fill('12345');
    await page.getByLabel(/Doorverwijzen van de burger/).check();
    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    await page.getByText('Een burgerservicenummer bestaat uit 9 cijfers.').first().waitFor();
    assert.equal(requests.filter((r) => r.url.endsWith('/cases/search')).length, 0, 'nothing sent yet');

    // Nine digits but not a BSN (11-proof): the service refuses it.
    await page.getByLabel('Burgerservicenummer (BSN)').fill('123456789');
    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    await page.getByText('Dit is geen geldig burgerservicenummer. Controleer het nummer.').first().waitFor();
    expectClean(page, [/status of 400/]);
    await page.context().close();
  });

  test('a session that ended before searching leads to the "sessie verlopen" page', async () => {
    const page = await newPage(browser);
    await loginAsProfessional(page);
    // Still a professional's token in form, but not one the service accepts.
    await page.evaluate(() => {
      const [h, p] = window.sessionStorage.getItem('mz.token').split('.');
      window.sessionStorage.setItem('mz.token', `${h}.${p}.bm90LWEtc2lnbmF0dXJl`);
    });
    await page.getByLabel('Burgerservicenummer (BSN)').fill(BSN);
    await page.getByLabel(/Doorverwijzen van de burger/).check();
    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    await page.getByRole('heading', { level: 1, name: 'Uw sessie is verlopen' }).waitFor();
    assert.equal(await page.locator('#bsn').count(), 0);
    // Logging in again brings the professional back to the (empty) search.
    await page.getByRole('link', { name: 'Opnieuw inloggen' }).click();
    await page.getByRole('button', { name: 'Inloggen als medewerker KCC' }).click();
    await page.getByRole('heading', { level: 1, name: 'Zaken van een burger opzoeken' }).waitFor();
    assert.equal(await page.getByLabel('Burgerservicenummer (BSN)').inputValue(), '', 'the previous BSN is gone');
    expectClean(page, [/status of 401/]);
    await page.context().close();
  });

  test('a professional is not shown the citizen pages', async () => {
    const page = await newPage(browser);
    await loginAsProfessional(page);
    await page.goto(`${BASE_URL}/zaken`);
    await page.getByRole('heading', { level: 1, name: 'Deze pagina is niet voor u bedoeld' }).waitFor();
    expectClean(page);
    await page.context().close();
  });
});
