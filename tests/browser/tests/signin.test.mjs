// Sign-in through the real OpenID Connect flow: the portal's buttons, the
// local OpenID provider's pages (tests/oidc-op, started by
// scripts/browser-test.sh), the callback, the session cookie, sign-out
// through the provider, the failure pages, and the idle warning (on a
// second service with a 20-second idle timeout).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BASE_URL, SHORT_IDLE_URL, checkA11y, checkReflow, expectClean, launch, loginAsCitizen, newPage, screenshot,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const HTTP_ERRORS = [/Failed to load resource/];

async function atNarrowWidths(page, name, t) {
  for (const width of [375, 320]) {
    await page.setViewportSize({ width, height: 800 });
    await checkReflow(page, name, t);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** On the OP's login page: pick an account (and a level), then Inloggen. */
async function signInAtOp(page, account, level) {
  await page.getByRole('button', { name: 'Inloggen', exact: true }).waitFor();
  await page.getByLabel(account, { exact: true }).check();
  if (level) await page.getByLabel('Betrouwbaarheidsniveau').selectOption({ label: level });
  await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
}

describe('sign-in through the local OpenID provider', { timeout: 180000 }, () => {
  test('a citizen signs in with DigiD, lands on "Mijn zaken", and signs out', async (t) => {
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/zaken`);
    await page.getByRole('heading', { level: 1, name: 'Inloggen bij MijnZaken' }).waitFor();
    await page.getByRole('link', { name: 'Inloggen met DigiD' }).click();
    assert.notEqual(new URL(page.url()).origin, BASE_URL, 'at the OpenID provider');
    let callbackAt = 0;
    page.on('request', (r) => { if (r.url().includes('/auth/citizen/callback')) callbackAt = Date.now(); });
    await signInAtOp(page, 'Sanne Voorbeeld');
    await page.getByRole('heading', { level: 1, name: 'Mijn zaken' }).waitFor();
    await page.locator('.mz-case').first().waitFor();
    const ms = Date.now() - callbackAt;
    t.diagnostic(`sign-in latency (callback request to "Mijn zaken" with its cases rendered): ${ms} ms`);
    assert.ok(callbackAt > 0 && ms < 5000, `sign-in took ${ms} ms`);
    assert.equal(new URL(page.url()).pathname, '/zaken', 'back where the citizen wanted to go');
    assert.match(await page.locator('#mz-session').innerText(), /met DigiD/);
    const session = (await page.context().cookies()).find((c) => c.name === 'mz_session');
    assert.ok(session?.httpOnly, 'an HttpOnly session cookie');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the portal cannot read it');
    assert.equal(await page.evaluate(() => window.sessionStorage.getItem('mz.token')), null);

    // Sign out: the service ends the session, the OP asks, back at the portal.
    await page.getByRole('button', { name: 'Uitloggen' }).click();
    await page.getByRole('heading', { level: 1, name: 'Uitloggen' }).waitFor();
    await page.getByRole('button', { name: 'Uitloggen', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Inloggen bij MijnZaken' }).waitFor();
    assert.match(await page.locator('main').innerText(), /U bent uitgelogd/);
    const status = await page.evaluate(async () => (await fetch('/api/v1/session', { credentials: 'same-origin' })).status);
    assert.equal(status, 401, 'the session has ended');
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });

  test('a staff member signs in with the organisation account', async (t) => {
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/inloggen`);
    await page.getByRole('link', { name: 'Inloggen als medewerker' }).click();
    await page.getByRole('heading', { level: 1, name: 'Inloggen als medewerker' }).waitFor();
    await checkA11y(page, 'inloggen als medewerker', t);
    await screenshot(page, 'login-staff', t);
    await atNarrowWidths(page, 'inloggen als medewerker', t);
    await page.getByRole('link', { name: 'Inloggen als medewerker' }).click();
    await signInAtOp(page, 'Kim Klantcontact (medewerker klantcontactcentrum)');
    await page.getByRole('heading', { level: 1, name: 'Zaken van een burger opzoeken' }).waitFor();
    assert.match(await page.locator('#mz-session').innerText(), /gemeente-voorbeeld/);
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });

  test('cancelling at DigiD ends on a clear page', async (t) => {
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/inloggen`);
    await page.getByRole('link', { name: 'Inloggen met DigiD' }).click();
    await page.getByRole('button', { name: 'Annuleren' }).click();
    await page.getByRole('heading', { level: 1, name: 'U heeft het inloggen afgebroken' }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('reden'), 'cancelled');
    await checkA11y(page, 'inloggen afgebroken', t);
    await screenshot(page, 'signin-cancelled', t);
    await atNarrowWidths(page, 'inloggen afgebroken', t);
    await page.getByRole('link', { name: 'Opnieuw inloggen' }).click();
    await page.getByRole('heading', { level: 1, name: 'Inloggen bij MijnZaken' }).waitFor();
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });

  test('too low an assurance level ends on its own page', async (t) => {
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/inloggen`);
    await page.getByRole('link', { name: 'Inloggen met DigiD' }).click();
    await signInAtOp(page, 'Sanne Voorbeeld', 'Midden (sms-controle of DigiD app)');
    await page.getByRole('heading', { level: 1, name: 'Deze manier van inloggen is niet veilig genoeg' }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('reden'), 'acr_too_low');
    assert.match(await page.locator('main').innerText(), /Substantieel of Hoog/);
    const status = await page.evaluate(async () => (await fetch('/api/v1/session', { credentials: 'same-origin' })).status);
    assert.equal(status, 401, 'no session');
    await checkA11y(page, 'betrouwbaarheidsniveau te laag', t);
    await atNarrowWidths(page, 'betrouwbaarheidsniveau te laag', t);
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });

  test('every failure code has a Dutch page', async (t) => {
    const page = await newPage(browser);
    const seen = new Set();
    for (const [reden, soort] of [['no_access', 'professional'], ['no_access', 'citizen'], ['expired_state', 'citizen'],
      ['op_unavailable', 'citizen'], ['invalid_response', 'citizen'], ['op_error', 'professional'], ['service_error', 'citizen'], ['onbekend', 'citizen']]) {
      await page.goto(`${BASE_URL}/inloggen/mislukt?reden=${reden}&soort=${soort}`);
      const h1 = page.locator('main h1');
      await h1.waitFor();
      const text = await page.locator('main').innerText();
      assert.doesNotMatch(text, /undefined|null|_/, `${reden}: no raw code on the page`);
      seen.add(`${await h1.innerText()} | ${text.length}`);
      await page.getByRole('link', { name: 'Opnieuw inloggen' }).waitFor();
      if (reden === 'no_access' || reden === 'op_unavailable') {
        await checkA11y(page, `inloggen mislukt (${reden}, ${soort})`, t);
        await atNarrowWidths(page, `inloggen mislukt (${reden})`, t);
      }
    }
    assert.ok(seen.size >= 7, 'each code says something of its own');
    expectClean(page);
    await page.context().close();
  });
});

describe('the idle warning', { timeout: 180000, skip: !SHORT_IDLE_URL && 'no short-idle service' }, () => {
  test('a minute (here: half the time) before the end, "Blijf ingelogd" keeps the session', async (t) => {
    const page = await newPage(browser);
    page.setDefaultTimeout(25000);
    await loginAsCitizen(page, '999993653', SHORT_IDLE_URL);
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /U wordt over \d+ seconden uitgelogd/);
    const stay = page.getByRole('button', { name: 'Blijf ingelogd' });
    assert.ok(await stay.evaluate((el) => el === document.activeElement), 'the focus is on "Blijf ingelogd"');
    await checkA11y(page, 'waarschuwing sessie', t);
    await screenshot(page, 'idle-warning', t);
    await stay.click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.locator('#mz-announcer').innerText(), 'U blijft ingelogd.');
    // Not answered this time: the session ends and the portal says so.
    await dialog.waitFor();
    await page.getByRole('heading', { level: 1, name: 'Uw sessie is verlopen' }).waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/v1/session', { credentials: 'same-origin' })).status);
    assert.equal(status, 401, 'the service ended the session too');
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });
});
