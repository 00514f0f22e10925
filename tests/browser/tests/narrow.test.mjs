// Every page on a small screen (WCAG 1.4.10, reflow): at 375 px (a common
// phone) and 320 px (the width WCAG names), nothing scrolls sideways, no
// content spills out of its box and no text overlaps other text
// (checkReflow in helpers.mjs). axe-core runs on each page at 375 px.
// Data: the demo login and what the service holds, made robust by adding
// what a page needs through the API or by amending the API's answer in the
// browser (never by depending on the demo's exact texts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  apiAuth, BASE_URL, checkA11y, checkReflow, expectClean, launch, loginAsCitizen, loginAsProfessional, newPage, screenshot,
} from './helpers.mjs';

const CITIZEN = '999993653';
const PRO_BSN = '999990019';
const WIDTHS = [375, 320];
// The browser itself logs failed requests; the portal does not.
const HTTP_ERRORS = [/Failed to load resource/];
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function narrowPage() {
  return newPage(browser, { width: WIDTHS[0], height: 812 });
}

/** Checks the page as it is at every width; axe and a screenshot at the first. */
async function atEveryWidth(page, name, t, { shot } = {}) {
  await page.evaluate(() => document.fonts.ready);
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 812 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await checkReflow(page, name, t);
    if (width === WIDTHS[0]) {
      await checkA11y(page, `${name} (${width} px)`, t);
      if (shot) await screenshot(page, shot, t);
    }
  }
  await page.setViewportSize({ width: WIDTHS[0], height: 812 });
}

/** A past or future day as YYYY-MM-DD, counted from today in Amsterdam. */
function amsterdamDay(offsetDays) {
  const fmt = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: 'Europe/Amsterdam' });
  const today = fmt.format(new Date());
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + offsetDays);
  return d.toISOString().slice(0, 10);
}

/** A professional looks this citizen up (so the access log has an entry). */
async function lookUp(bsn, purpose = 'doorverwijzen') {
  const pro = await apiAuth({ role: 'professional' });
  const res = await fetch(`${BASE_URL}/api/v1/cases/search`, {
    method: 'POST',
    headers: { ...pro, 'Content-Type': 'application/json' },
    body: JSON.stringify({ bsn, purpose }),
  });
  assert.equal(res.status, 200);
}

describe('small screens (375 and 320 px)', { timeout: 180000 }, () => {
  test('login', async (t) => {
    const page = await narrowPage();
    await page.goto(`${BASE_URL}/inloggen`);
    await page.getByRole('heading', { level: 1, name: 'Inloggen bij MijnZaken' }).waitFor();
    await atEveryWidth(page, 'inloggen', t);
    expectClean(page);
    await page.context().close();
  });

  test('overview, filtered overview and a case with an overdue legal deadline', async (t) => {
    const page = await narrowPage();
    // One open case gets a legal deadline in the past and a long title, so
    // the overdue note and wrapping are on the page whatever the demo holds.
    await page.route('**/api/v1/me/cases?*', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      const c = new URL(route.request().url()).searchParams.get('status') === 'open' ? body.items[0] : null;
      if (c) {
        c.status = { ...c.status, group: 'in_progress' };
        c.title = 'Aanvraag bijzondere bijstand voor woonkostentoeslagaanvraagformulieren';
        c.dates = { ...c.dates, legalDeadline: { date: amsterdamDay(-12), meaning: 'legal_deadline', label: 'Uiterste beslisdatum (wettelijke termijn)' } };
      }
      await route.fulfill({ response: res, json: body });
    });
    await loginAsCitizen(page, CITIZEN);
    await page.locator('.mz-overdue').first().waitFor();
    await atEveryWidth(page, 'mijn zaken', t, { shot: 'overview-overdue-375' });

    await page.getByLabel('Toon zaken van').selectOption({ index: 1 });
    await page.getByRole('button', { name: 'Toon zaken' }).click();
    await page.locator('.mz-filter-state').waitFor();
    await atEveryWidth(page, 'mijn zaken (gefilterd)', t);
    expectClean(page);
    await page.context().close();
  });

  test('a case with an action, and one with an overdue legal deadline', async (t) => {
    const page = await narrowPage();
    await loginAsCitizen(page, CITIZEN);
    const withAction = page.locator('.mz-case--action .mz-case__link').first();
    await withAction.click();
    await page.locator('.mz-timeline').waitFor();
    await atEveryWidth(page, 'zaak', t, { shot: 'detail-375' });

    await page.route('**/api/v1/me/cases/*', async (route) => {
      const res = await route.fetch();
      const c = await res.json();
      c.isOpen = true;
      c.status = { ...c.status, group: 'in_progress' };
      c.dates = { ...c.dates, legalDeadline: { date: amsterdamDay(-40), meaning: 'legal_deadline', label: 'Uiterste beslisdatum (wettelijke termijn)' } };
      await route.fulfill({ response: res, json: c });
    });
    await page.reload();
    await page.locator('.mz-overdue').waitFor();
    await atEveryWidth(page, 'zaak (termijn verstreken)', t, { shot: 'detail-overdue-375' });
    expectClean(page);
    await page.context().close();
  });

  test('who looked at my data: the entries stack, nothing overlaps', async (t) => {
    await lookUp(CITIZEN, 'doorverwijzen');
    await lookUp(CITIZEN, 'klantvraag');
    const page = await narrowPage();
    // Long organisation names and one look-up under MijnZaken's own name,
    // besides the real entries.
    await page.route('**/api/v1/me/access-log*', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      const at = body.items[0]?.at || new Date().toISOString();
      body.items.push(
        { at, organisation: 'Gemeenschappelijke Regeling Sociale Dienst Drechtsteden (KCC Werk en Inkomen)', operator: false, purpose: { id: 'klantvraag', name: 'Beantwoorden van een vraag van de burger over de eigen zaken' }, outcome: 'not_found' },
        { at, organisation: 'MijnZaken', operator: true, purpose: { id: 'doorverwijzen', name: 'Doorverwijzen van de burger naar de organisatie die de zaak behandelt' }, outcome: 'success' },
      );
      await route.fulfill({ response: res, json: body });
    });
    await loginAsCitizen(page, CITIZEN);
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Wie heeft mijn gegevens bekeken' }).click();
    await page.locator('table tbody tr').nth(2).waitFor();

    // Stacked: every cell on its own line, label beside the value.
    const cells = await page.locator('table tbody tr').first().locator('td').evaluateAll((tds) => tds.map((td) => {
      const b = td.getBoundingClientRect();
      return { top: b.top, bottom: b.bottom, left: b.left + parseFloat(window.getComputedStyle(td).paddingLeft), label: window.getComputedStyle(td, '::before').content };
    }));
    assert.equal(cells.length, 4);
    for (let i = 1; i < cells.length; i++) {
      assert.ok(cells[i].top >= cells[i - 1].bottom - 1, `cell ${i + 1} starts below cell ${i}`);
      assert.ok(Math.abs(cells[i].left - cells[0].left) < 1, `cell ${i + 1} lines up with the first (${cells[i].left} vs ${cells[0].left})`);
    }
    assert.deepEqual(cells.map((c) => c.label), ['"Datum en tijd"', '"Organisatie"', '"Doel"', '"Resultaat"']);
    await atEveryWidth(page, 'wie heeft mijn gegevens bekeken', t, { shot: 'access-log-375' });
    expectClean(page);
    await page.context().close();
  });

  test('no cases', async (t) => {
    const page = await narrowPage();
    await page.route('**/api/v1/me/cases?*', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      await route.fulfill({ response: res, json: { ...body, items: [], page: { size: body.page.size, next: null } } });
    });
    await loginAsCitizen(page, '999990032');
    await page.locator('.mz-empty').waitFor();
    await atEveryWidth(page, 'geen zaken', t);
    expectClean(page);
    await page.context().close();
  });

  test('professional: search form, form errors, results and a case', async (t) => {
    const page = await narrowPage();
    await loginAsProfessional(page);
    await page.locator('input[name="purpose"]').first().waitFor();
    await atEveryWidth(page, 'medewerker: zoeken', t);

    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    await page.locator('.mz-error-summary').waitFor();
    await atEveryWidth(page, 'medewerker: foutmeldingen', t, { shot: 'professional-errors-375' });

    await page.getByLabel('Burgerservicenummer (BSN)').fill(PRO_BSN);
    await page.locator('input[name="purpose"]').first().check();
    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    await page.locator('.mz-pro-group').first().waitFor();
    await atEveryWidth(page, 'medewerker: resultaten', t, { shot: 'professional-375' });

    await page.locator('.mz-pro-case__link').first().click();
    await page.locator('.mz-timeline').waitFor();
    await atEveryWidth(page, 'medewerker: zaak', t, { shot: 'professional-detail-375' });
    expectClean(page);
    await page.context().close();
  });

  test('error pages: not found, case not found, not for you, unavailable, error, session expired', async (t) => {
    const page = await narrowPage();
    await loginAsCitizen(page, CITIZEN);
    await page.goto(`${BASE_URL}/bestaat-niet`);
    await page.getByRole('heading', { level: 1, name: 'Pagina niet gevonden' }).waitFor();
    await atEveryWidth(page, 'pagina niet gevonden', t);

    await page.goto(`${BASE_URL}/zaken/00000000-0000-4000-8000-000000000000`);
    await page.getByRole('heading', { level: 1, name: 'Zaak niet gevonden' }).waitFor();
    await atEveryWidth(page, 'zaak niet gevonden', t);

    await page.goto(`${BASE_URL}/medewerker`);
    await page.getByRole('heading', { level: 1, name: 'Deze pagina is niet voor u bedoeld' }).waitFor();
    await atEveryWidth(page, 'niet voor u bedoeld', t);

    await page.route('**/api/v1/me/cases?*', (route) => route.fulfill({
      status: 503,
      headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '30' },
      body: JSON.stringify({ type: 'urn:mijnzaken:problem:service-unavailable', title: 'Service unavailable', status: 503, detail: 'x' }),
    }));
    await page.goto(`${BASE_URL}/zaken`);
    await page.getByRole('heading', { level: 1, name: 'Uw gegevens zijn nu niet beschikbaar' }).waitFor();
    await atEveryWidth(page, 'niet beschikbaar', t);
    await page.unroute('**/api/v1/me/cases?*');

    await page.route('**/api/v1/me/cases?*', (route) => route.fulfill({
      status: 500,
      headers: { 'Content-Type': 'application/problem+json' },
      body: JSON.stringify({ type: 'urn:mijnzaken:problem:internal', title: 'Internal error', status: 500, detail: 'x', reference: '4bf92f3577b34da6a3ce929d0e0e4736' }),
    }));
    await page.goto(`${BASE_URL}/zaken`);
    await page.getByRole('heading', { level: 1, name: 'Er ging iets mis' }).waitFor();
    await atEveryWidth(page, 'er ging iets mis', t);
    await page.unroute('**/api/v1/me/cases?*');

    await page.context().addCookies([{ name: 'mz_session', value: 'A'.repeat(43), url: BASE_URL }]); // an ended session
    await page.goto(`${BASE_URL}/zaken`);
    await page.getByRole('heading', { level: 1, name: 'Uw sessie is verlopen' }).waitFor();
    await atEveryWidth(page, 'sessie verlopen', t);
    expectClean(page, [...HTTP_ERRORS, /status of 50[03]/]);
    await page.context().close();
  });
});
