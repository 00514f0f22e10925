// A contact-centre professional: the BSN search (BSN only in the POST
// body), the required purpose, results across agencies with their lines
// for professionals, opening a case with the purpose, the purposes offered
// as the service lists them, and what the form says when the input is wrong.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  apiAuth, BASE_URL, checkA11y, expectClean, launch, loginAsProfessional, newPage, screenshot,
} from './helpers.mjs';

const BSN = '999990019';
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** No citizen wording ("uw zaak", "Uw burgerservicenummer") anywhere on the page. */
async function assertProfessionalWording(page) {
  const text = await page.locator('body').innerText();
  const citizen = text.match(/\b[Uu]w (zaak|zaken|burgerservicenummer|privacy|gegevens)\b/g);
  assert.equal(citizen, null, `citizen wording on a professional page: ${citizen}`);
  const footer = await page.locator('footer').innerText();
  assert.match(footer, /Het burgerservicenummer wordt niet opgeslagen/);
  assert.match(footer, /Verwijs de burger naar de organisatie die de zaak behandelt/);
  assert.match(await page.locator('.mz-brand__tagline').innerText(), /^Zaken van burgers bij de overheid/);
}

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
    await page.locator('input[name="purpose"]').first().waitFor();
    const bsn = page.getByLabel('Burgerservicenummer (BSN)');
    assert.equal(await bsn.getAttribute('type'), 'text');
    assert.equal(await bsn.getAttribute('inputmode'), 'numeric');
    assert.equal(await bsn.getAttribute('autocomplete'), 'off');
    await checkA11y(page, 'medewerker: zoeken', t);

    await bsn.fill(BSN);
    await page.getByLabel('Beantwoorden van een vraag van de burger over de eigen zaken').check();
    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    await page.locator('.mz-pro-group').first().waitFor();
    await assertProfessionalWording(page);

    const groups = page.locator('.mz-pro-group');
    assert.ok(await groups.count() >= 2, 'results from more than one organisation');
    const uwv = page.locator('.mz-pro-group', { has: page.getByRole('heading', { level: 3, name: 'UWV' }) });
    assert.match(await uwv.locator('.mz-pro-line').innerText(), /Lijn voor professionals: 088 898 20 01/);
    assert.equal(await uwv.getByRole('link', { name: '088 898 20 01' }).getAttribute('href'), 'tel:0888982001');
    assert.match(await page.locator('.mz-results').innerText(), /Zaaknummer ZW-\d{4}-33001/);
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
    // Worded for the contact centre, not for the citizen: header, page, footer.
    await assertProfessionalWording(page);
    assert.match(await page.locator('.mz-source').innerText(), /zelf over de zaak zegt/);
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

  test('the purposes offered are the ones the service lists, in its order', async (t) => {
    const res = await fetch(`${BASE_URL}/api/v1/processing-activities`, {
      headers: await apiAuth({ role: 'professional' }),
    });
    assert.equal(res.status, 200);
    const listed = (await res.json()).activities;
    assert.ok(listed.length > 0);
    assert.ok(!listed.some((p) => p.id === 'mijnzaken-inzage'), 'never the citizen\'s own view');
    // scripts/browser-test.sh starts the service with an organisation's own
    // list (one purpose more than the built-in two): the endpoint serves it.
    const file = process.env.MZ_BROWSER_ACTIVITIES_FILE;
    if (file) assert.deepEqual(listed, JSON.parse(readFileSync(file, 'utf8')).activities);

    const page = await newPage(browser);
    const requests = recordRequests(page);
    await loginAsProfessional(page);
    const radios = page.locator('#doel input[type="radio"][name="purpose"]');
    await radios.first().waitFor();
    const shown = await radios.evaluateAll((els) => els.map((el) => ({ id: el.value, name: el.labels[0]?.textContent })));
    assert.deepEqual(shown, listed, 'one labelled choice per listed purpose, in the same order');
    assert.ok(requests.some((r) => r.method === 'GET' && r.url.endsWith('/api/v1/processing-activities')));

    // A purpose only the configuration has: searched with, and named in the results.
    const own = listed[listed.length - 1];
    await page.getByLabel('Burgerservicenummer (BSN)').fill(BSN);
    await page.getByLabel(own.name, { exact: true }).check();
    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    await page.locator('.mz-pro-group').first().waitFor();
    const search = requests.find((r) => r.method === 'POST' && r.url.endsWith('/api/v1/cases/search'));
    assert.equal(JSON.parse(search.body).purpose, own.id);
    assert.equal(await page.locator('.mz-logged strong').innerText(), own.name);
    await checkA11y(page, 'medewerker: resultaten met eigen doel', t);
    expectClean(page);
    await page.context().close();
  });

  test('while the purposes load the form says so; when that fails, a clear error and a retry', async (t) => {
    const page = await newPage(browser);
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    await page.route('**/api/v1/processing-activities', async (route) => {
      await held;
      await route.fulfill({
        status: 503,
        headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '30' },
        body: JSON.stringify({ type: 'urn:mijnzaken:problem:service-unavailable', title: 'Service unavailable', status: 503, detail: 'x' }),
      });
    });
    await loginAsProfessional(page);
    const purposes = page.getByRole('group', { name: 'Waarom zoekt u deze zaken op?' });
    await purposes.getByText('De doelen worden opgehaald…').waitFor();
    assert.equal(await purposes.getAttribute('aria-busy'), 'true');
    // Searching now says why it cannot.
    await page.getByLabel('Burgerservicenummer (BSN)').fill(BSN);
    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    await page.locator('.mz-error-summary').getByText('De doelen zijn nog niet opgehaald').waitFor();

    release();
    const error = purposes.getByRole('alert');
    await error.waitFor();
    assert.match(await error.innerText(), /De doelen konden niet worden opgehaald/);
    assert.match(await error.innerText(), /Probeer het over een paar minuten opnieuw/);
    assert.doesNotMatch(await error.innerText(), /503|Service unavailable/);
    assert.equal(await purposes.getAttribute('aria-busy'), null);
    assert.equal(await page.locator('input[name="purpose"]').count(), 0);
    await checkA11y(page, 'medewerker: doelen niet opgehaald', t);
    await screenshot(page, 'professional-purposes-failed', t);

    await page.unroute('**/api/v1/processing-activities');
    await purposes.getByRole('button', { name: 'Probeer het opnieuw' }).click();
    await page.locator('input[name="purpose"]').first().waitFor();
    assert.equal(await purposes.getByRole('alert').count(), 0);
    expectClean(page, [/status of 503/]);
    await page.context().close();
  });

  test('the form checks the BSN and the purpose before searching; the server has the last word', async (t) => {
    const page = await newPage(browser);
    const requests = recordRequests(page);
    await loginAsProfessional(page);
    // The purposes come from the service: the form is complete once they are there.
    await page.getByLabel(/Doorverwijzen van de burger/).waitFor();
    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    const summary = page.locator('.utrecht-alert--error');
    await summary.waitFor();
    assert.match(await summary.innerText(), /Vul het burgerservicenummer in/);
    assert.match(await summary.innerText(), /Kies waarom u de zaken opzoekt/);
    assert.equal(await page.getByLabel('Burgerservicenummer (BSN)').getAttribute('aria-invalid'), 'true');
    // The summary is no wider than the form it summarises, and lines up with it.
    const box = await summary.boundingBox();
    const form = await page.locator('.mz-pro__form').boundingBox();
    assert.ok(box.width <= form.width + 1, `summary ${box.width}px wide, form ${form.width}px`);
    assert.ok(Math.abs(box.x - form.x) <= 1, 'summary and form start at the same place');
    await checkA11y(page, 'medewerker: foutmeldingen', t);
    await screenshot(page, 'professional-errors', t);

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
    // A session cookie the service does not know (as after the idle timeout).
    await page.context().addCookies([{ name: 'mz_session', value: 'A'.repeat(43), url: BASE_URL }]);
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

  test('a case with an action and a passed deadline, and a source without information, in professional words', async (t) => {
    const page = await newPage(browser);
    const past = new Date(Date.now() - 20 * 86400000).toISOString().slice(0, 10);
    let name = null;
    await page.route('**/api/v1/cases/search', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      body.sources.forEach((s, i) => {
        s.freshness = i === 0 ? 'stale' : 'fresh';
        if (i === 0) { s.lastSyncedAt = null; name = s.agency.name; }
      });
      await route.fulfill({ response: res, json: body });
    });
    await page.route(/\/api\/v1\/cases\/[0-9a-f-]{36}\?/, async (route) => {
      const res = await route.fetch();
      const c = await res.json();
      c.isOpen = true;
      c.status = { ...c.status, group: 'action_required' };
      c.action = { text: 'Stuur uw loonstroken op.', url: 'https://www.example.org/upload', dueDate: null };
      c.dates = { ...c.dates, legalDeadline: { date: past, meaning: 'legal_deadline', label: 'Uiterste beslisdatum (wettelijke termijn)' } };
      await route.fulfill({ response: res, json: c });
    });
    await loginAsProfessional(page);
    await page.getByLabel('Burgerservicenummer (BSN)').fill(BSN);
    await page.locator('input[name="purpose"]').first().check();
    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    await page.locator('.mz-pro-group').first().waitFor();
    const fresh = await page.locator('.mz-results .utrecht-alert--warning').innerText();
    assert.ok(fresh.includes(`Wij hebben nog geen informatie van ${name} ontvangen. Mogelijk heeft de burger daar zaken die hier nog niet staan.`), fresh);
    assert.doesNotMatch(fresh, /is nog geen actuele informatie|Heeft u haast/);

    await page.locator('.mz-pro-case__link').first().click();
    await page.locator('.mz-timeline').waitFor();
    const action = await page.locator('.mz-action').innerText();
    assert.match(action, /^Actie van de burger nodig: Stuur uw loonstroken op\./);
    assert.match(action, /De burger regelt dit bij /);
    assert.equal(await page.locator('.mz-action a').count(), 0, 'no link into the citizen\'s own account');
    const late = await page.locator('.utrecht-alert.mz-overdue').innerText();
    assert.match(late, /^Termijn verstreken/);
    assert.match(late, /Verwijs de burger naar .* om te vragen wanneer er een besluit komt/);
    assert.doesNotMatch(late, /uw zaak|kunt u/);
    assert.doesNotMatch(await page.locator('.mz-timeline').innerText(), /laat het u weten/);
    await assertProfessionalWording(page);
    await checkA11y(page, 'medewerker: zaak met actie en verstreken termijn', t);
    expectClean(page);
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
