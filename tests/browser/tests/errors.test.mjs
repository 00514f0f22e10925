// The pages for when things go wrong: session expired (401), an
// organisation or MijnZaken unavailable (503, network), an unknown page or
// case (404); and the basics of keyboard use.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BASE_URL, checkA11y, expectClean, launch, loginAsCitizen, newPage, screenshot,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The browser itself logs failed requests; the portal does not.
const HTTP_ERRORS = [/Failed to load resource/];

describe('errors and keyboard', { timeout: 120000 }, () => {
  test('a session that ended leads to the "sessie verlopen" page, and back after logging in', async (t) => {
    const page = await newPage(browser);
    await loginAsCitizen(page);
    // The service ends the session (as after the idle timeout); the page
    // still thinks it is signed in until the next API call answers 401.
    await page.route('**/api/v1/session', (route) => route.fulfill({
      status: 200, contentType: 'application/json',
      body: JSON.stringify({ kind: 'citizen', roles: [], organisation: null, representation: { actingForSomeone: false }, assuranceLevel: 'dev', idleExpiresAt: new Date(Date.now() + 600000).toISOString(), expiresAt: new Date(Date.now() + 3600000).toISOString(), idleTimeoutSeconds: 900 }),
    }));
    await page.context().addCookies([{ name: 'mz_session', value: 'A'.repeat(43), url: BASE_URL }]);
    await page.goto(`${BASE_URL}/zaken?organisatie=uwv`);
    await page.getByRole('heading', { level: 1, name: 'Uw sessie is verlopen' }).waitFor();
    await page.unroute('**/api/v1/session');
    assert.equal(new URL(page.url()).pathname, '/sessie-verlopen');
    assert.doesNotMatch(await page.locator('main').innerText(), /401|token|Unauthorized/i);
    await checkA11y(page, 'sessie verlopen', t);
    await screenshot(page, 'session-expired', t);

    await page.getByRole('link', { name: 'Opnieuw inloggen' }).click();
    await page.getByLabel(/999993653/).check();
    await page.getByRole('button', { name: 'Inloggen als burger' }).click();
    await page.waitForURL(/\/zaken\?organisatie=uwv$/);
    await page.locator('.mz-case').first().waitFor();
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });

  test('an expired session found while navigating also leads there', async () => {
    const page = await newPage(browser);
    await loginAsCitizen(page);
    await page.context().addCookies([{ name: 'mz_session', value: 'A'.repeat(43), url: BASE_URL }]); // ended
    await page.getByRole('link', { name: 'Aanvraag WW-uitkering' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Uw sessie is verlopen' }).waitFor();
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });

  test('without a session, a page asks to log in first', async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/inzage`);
    await page.getByRole('heading', { level: 1, name: 'Inloggen bij MijnZaken' }).waitFor();
    assert.match(await page.locator('main').innerText(), /Log eerst in/);
    await page.getByRole('button', { name: 'Inloggen als burger' }).click();
    await page.getByRole('heading', { level: 1, name: 'Wie heeft mijn gegevens bekeken' }).waitFor();
    expectClean(page);
    await page.context().close();
  });

  test('when the service is unavailable (503) the citizen gets a friendly page and can retry', async (t) => {
    const page = await newPage(browser);
    await loginAsCitizen(page);
    await page.route('**/api/v1/me/cases?*', (route) => route.fulfill({
      status: 503,
      headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '30' },
      body: JSON.stringify({ type: 'urn:mijnzaken:problem:service-unavailable', title: 'Service unavailable', status: 503, detail: 'The database is not reachable.' }),
    }));
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Uw gegevens zijn nu niet beschikbaar' }).waitFor();
    const text = await page.locator('main').innerText();
    assert.match(text, /Dit ligt niet aan u/);
    assert.doesNotMatch(text, /503|database|Service unavailable/i);
    await checkA11y(page, 'niet beschikbaar', t);
    await screenshot(page, 'unavailable', t);

    await page.unroute('**/api/v1/me/cases?*');
    await page.getByRole('button', { name: 'Probeer het opnieuw' }).click();
    await page.getByRole('heading', { level: 1, name: 'Mijn zaken' }).waitFor();
    await page.locator('.mz-case').first().waitFor();
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });

  test('a network failure is shown the same way', async () => {
    const page = await newPage(browser);
    await loginAsCitizen(page);
    await page.route('**/api/v1/me/access-log*', (route) => route.abort('failed'));
    await page.getByRole('link', { name: 'Wie heeft mijn gegevens bekeken' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Uw gegevens zijn nu niet beschikbaar' }).waitFor();
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });

  test('an unknown page and an unknown case get a clear 404 page', async (t) => {
    const page = await newPage(browser);
    await loginAsCitizen(page);
    await page.goto(`${BASE_URL}/bestaat-niet`);
    await page.getByRole('heading', { level: 1, name: 'Pagina niet gevonden' }).waitFor();
    await checkA11y(page, 'pagina niet gevonden', t);
    await screenshot(page, 'not-found', t);
    await page.getByRole('link', { name: 'Naar mijn zaken' }).click();
    await page.getByRole('heading', { level: 1, name: 'Mijn zaken' }).waitFor();

    await page.goto(`${BASE_URL}/zaken/00000000-0000-4000-8000-000000000000`);
    await page.getByRole('heading', { level: 1, name: 'Zaak niet gevonden' }).waitFor();
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });

  test('the skip link is the first stop and leads to the content; focus is visible', async () => {
    const page = await newPage(browser);
    await loginAsCitizen(page);
    await page.goto(`${BASE_URL}/zaken`);
    await page.locator('.mz-case').first().waitFor();
    await page.keyboard.press('Tab');
    const first = await page.evaluate(() => ({ text: document.activeElement?.textContent, href: document.activeElement?.getAttribute('href') }));
    assert.deepEqual(first, { text: 'Direct naar de inhoud', href: '#inhoud' });
    const box = await page.locator('.utrecht-skip-link').boundingBox();
    assert.ok(box && box.y >= 0 && box.height > 20, 'the skip link is visible when focused');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'inhoud');
    // The next Tab lands inside the main content, with a visible focus ring.
    await page.keyboard.press('Tab');
    const style = await page.evaluate(() => {
      const el = document.activeElement;
      const cs = window.getComputedStyle(el);
      return { inMain: Boolean(el.closest('main')), outline: cs.outlineStyle, shadow: cs.boxShadow, bg: cs.backgroundColor };
    });
    assert.ok(style.inMain);
    assert.ok(style.outline !== 'none' || style.shadow !== 'none', 'focus is visible');
    expectClean(page);
    await page.context().close();
  });
});
