// Businesses and representatives through the local OpenID provider
// (tests/oidc-op, started by scripts/browser-test.sh): demo-bedrijf-1 (a
// business, eHerkenning, KVK 90000001) sees "Zaken van uw organisatie" and
// never its KVK number; demo-machtiging-1 (Sanne acting for Fenna) sees the
// representation banner on every page, and Fenna then sees "bekeken door uw
// gemachtigde" in her access log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE_URL, checkA11y, checkReflow, expectClean, launch, newPage, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const HTTP_ERRORS = [/Failed to load resource/];
const BANNER = 'U bekijkt de zaken van een ander als gemachtigde.';
const KVK = '90000001';

async function atNarrowWidths(page, name, t) {
  for (const width of [375, 320]) {
    await page.setViewportSize({ width, height: 800 });
    await checkReflow(page, name, t);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** From the portal's sign-in page through the OP, as the given account. */
async function signIn(page, account) {
  await page.goto(`${BASE_URL}/zaken`);
  await page.getByRole('link', { name: 'Inloggen met DigiD' }).click();
  await page.getByRole('button', { name: 'Inloggen', exact: true }).waitFor();
  await page.getByLabel(account, { exact: true }).check();
  await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
}

async function session(page) {
  return page.evaluate(async () => (await fetch('/api/v1/session', { credentials: 'same-origin' })).json());
}

describe('businesses and representatives', { timeout: 180000 }, () => {
  test('a business (demo-bedrijf-1) sees "Zaken van uw organisatie", never its KVK number', async (t) => {
    const page = await newPage(browser);
    await signIn(page, 'Bakkerij Het Voorbeeld (eHerkenning), ingelogd door Daan Testmans');
    await page.getByRole('heading', { level: 1, name: 'Zaken van uw organisatie' }).waitFor();
    const s = await session(page);
    assert.equal(s.subjectKind, 'kvk', 'the session is a business');
    assert.equal(await page.title(), 'Zaken van uw organisatie – MijnZaken');
    const main = await page.locator('main').innerText();
    assert.match(main, /zaken van uw organisatie bij de overheid/, 'the lead speaks of the organisation');
    assert.doesNotMatch(main, /\bMijn zaken\b|uw aanvragen/, 'no "Mijn zaken" wording');
    // The demo business has no cases: the empty state speaks of the organisation.
    await page.getByRole('heading', { level: 2, name: 'Uw organisatie heeft geen zaken' }).waitFor();
    assert.match(main, /geen zaken van uw organisatie bekend/);
    assert.match(await page.locator('#mz-nav').innerText(), /Zaken van uw organisatie/);
    assert.doesNotMatch(await page.locator('#mz-nav').innerText(), /Mijn zaken/);
    assert.match(await page.locator('#mz-session').innerText(), /met eHerkenning/);
    assert.match(await page.locator('#mz-footer-privacy').innerText(), /KVK-nummer van uw organisatie wordt niet opgeslagen/);
    assert.equal(await page.locator('#mz-representation').count(), 0, 'an employee of the business is no "gemachtigde"');
    const html = await page.content();
    assert.ok(!html.includes(KVK) && !(await page.locator('body').innerText()).includes(KVK), 'the KVK number is nowhere on the page');
    await checkA11y(page, 'zaken van uw organisatie', t);
    await screenshot(page, 'business', t);
    await atNarrowWidths(page, 'zaken van uw organisatie', t);
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });

  test('a representative (demo-machtiging-1) sees the banner on every page; the represented person sees "bekeken door uw gemachtigde"', async (t) => {
    const page = await newPage(browser);
    await signIn(page, 'Sanne Voorbeeld, gemachtigd door Fenna Proefstra');
    await page.getByRole('heading', { level: 1, name: 'Mijn zaken' }).waitFor();
    const s = await session(page);
    assert.equal(s.subjectKind, 'bsn');
    assert.equal(s.representation.actingForSomeone, true);
    const banner = page.locator('#mz-representation');
    assert.match(await banner.innerText(), new RegExp(BANNER.replace('.', '\\.')));
    assert.match(await page.locator('#mz-session').innerText(), /als gemachtigde/);
    assert.match(await page.locator('main').innerText(), /van degene voor wie u gemachtigd bent/, 'the lead too');
    await page.locator('.mz-case').first().waitFor();
    await checkA11y(page, 'mijn zaken als gemachtigde', t);
    await screenshot(page, 'representative', t);
    await atNarrowWidths(page, 'mijn zaken als gemachtigde', t);

    // Every page: a case, the access log, an unknown page.
    await page.locator('.mz-case__link').first().click();
    await page.locator('.mz-timeline, h1').first().waitFor();
    assert.match(await banner.innerText(), /als gemachtigde/, 'on a case');
    await checkA11y(page, 'een zaak als gemachtigde', t);
    await page.getByRole('link', { name: 'Wie heeft mijn gegevens bekeken' }).click();
    await page.getByRole('heading', { level: 1, name: 'Wie heeft mijn gegevens bekeken' }).waitFor();
    assert.match(await banner.innerText(), /als gemachtigde/, 'on the access log');
    // Where the represented person's messages go is theirs to choose.
    await page.goto(`${BASE_URL}/berichten`);
    await page.getByRole('heading', { level: 2, name: 'Dit kan alleen de persoon zelf instellen' }).waitFor();
    assert.equal(await page.locator('main form').count(), 0, 'no preferences form for a representative');
    assert.match(await banner.innerText(), /als gemachtigde/, 'on "Berichten over uw zaken"');
    await checkA11y(page, 'berichten als gemachtigde', t);
    await page.goto(`${BASE_URL}/bestaat-niet`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    assert.match(await page.locator('#mz-representation').innerText(), /als gemachtigde/, 'on "Pagina niet gevonden"');
    expectClean(page, HTTP_ERRORS);
    await page.context().close();

    // Fenna herself (demo-burger-3): no banner, and her access log says her
    // representative looked (not who).
    const own = await newPage(browser);
    await signIn(own, 'Fenna Proefstra');
    await own.getByRole('heading', { level: 1, name: 'Mijn zaken' }).waitFor();
    assert.equal(await own.locator('#mz-representation').count(), 0, 'no banner in her own session');
    await own.getByRole('link', { name: 'Wie heeft mijn gegevens bekeken' }).click();
    await own.getByRole('heading', { level: 1, name: 'Wie heeft mijn gegevens bekeken' }).waitFor();
    const rows = own.locator('tbody tr', { hasText: 'Bekeken door uw gemachtigde' });
    await rows.first().waitFor();
    assert.ok(await rows.count() >= 1, 'an entry of the representative');
    assert.doesNotMatch(await own.locator('main').innerText(), /Sanne/, 'the representative is not named');
    await checkA11y(own, 'inzage met gemachtigde', t);
    await screenshot(own, 'representative-accesslog', t);
    await atNarrowWidths(own, 'inzage met gemachtigde', t);
    expectClean(own, HTTP_ERRORS);
    await own.context().close();
  });

  test('a representative with two authorisations (demo-bewindvoerder-1) chooses, sees the chosen one in the banner, and switches', async (t) => {
    const page = await newPage(browser);
    await signIn(page, 'Bram Bewind (Bewindvoering De Steun), bewindvoerder van Daan Testmans en Fenna Proefstra');
    // first: whom (no case is shown before the choice)
    await page.getByRole('heading', { level: 1, name: 'Voor wie wilt u de zaken bekijken?' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/machtigingen');
    const main = await page.locator('main').innerText();
    assert.match(main, /BSN ••••••019/);
    assert.match(main, /BSN ••••••032/);
    assert.match(main, /alleen voor de zaken bij Gemeente Voorbeeld en UWV/);
    const html = await page.content();
    for (const bsn of ['999990019', '999990032', '999990044']) assert.ok(!html.includes(bsn), `no full number (${bsn}) in the page`);
    assert.match(await page.locator('#mz-representation').innerText(), /als gemachtigde/);
    await checkA11y(page, 'kies voor wie', t);
    await screenshot(page, 'representative-choose', t);
    await atNarrowWidths(page, 'kies voor wie', t);

    // the first: Daan's cases, the banner names him masked
    await page.getByLabel(/eindigend op 0 1 9/).check();
    await page.getByRole('button', { name: 'Bekijk de zaken' }).click();
    await page.getByRole('heading', { level: 1, name: 'Mijn zaken' }).waitFor();
    await page.locator('.mz-case').first().waitFor();
    const banner = page.locator('#mz-representation');
    // seen: the masked number; heard: "burgerservicenummer eindigend op 0 1 9"
    assert.match(await banner.innerText(), /U bekijkt de zaken van BSN ••••••019\s+het burgerservicenummer eindigend op 0 1 9\s+als gemachtigde\./);
    const links = () => page.locator('.mz-case__link').evaluateAll((els) => els.map((e) => e.getAttribute('href')));
    const daan = await links();
    assert.ok(daan.length > 0);
    await checkA11y(page, 'zaken als bewindvoerder', t);
    await screenshot(page, 'representative-several', t);
    await atNarrowWidths(page, 'zaken als bewindvoerder', t);

    // switch from the banner: Fenna's cases, only of the two agencies
    await banner.getByRole('link', { name: 'Bekijk de zaken van een ander' }).click();
    await page.getByRole('heading', { level: 1, name: 'Voor wie wilt u de zaken bekijken?' }).waitFor();
    await page.getByLabel(/eindigend op 0 3 2/).check();
    await page.getByRole('button', { name: 'Bekijk de zaken' }).click();
    await page.getByRole('heading', { level: 1, name: 'Mijn zaken' }).waitFor();
    await page.locator('.mz-case').first().waitFor();
    assert.match(await banner.innerText(), /BSN ••••••032\s+het burgerservicenummer eindigend op 0 3 2\s+als gemachtigde/);
    const fenna = await links();
    assert.ok(fenna.length > 0);
    for (const href of daan) assert.ok(!fenna.includes(href), `nothing of the first person: ${href}`);
    const s = await session(page);
    assert.equal(s.representation.chosen, 1);
    const agencies = await page.locator('main').innerText();
    assert.doesNotMatch(agencies, /\bDUO\b/, 'no case of an agency outside the authorisation');
    // the menu offers the switch too
    assert.match(await page.locator('#mz-nav').innerText(), /Voor wie kijkt u\?/);
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });

  test('"Inloggen met eHerkenning" signs a business in through the eHerkenning simulator', async (t) => {
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/inloggen`);
    await page.getByRole('heading', { level: 2, name: 'Inloggen voor uw organisatie' }).waitFor();
    await checkA11y(page, 'inloggen met eHerkenning', t);
    await atNarrowWidths(page, 'inloggen met eHerkenning', t);
    await page.getByRole('link', { name: 'Inloggen met eHerkenning' }).click();
    await page.getByRole('heading', { level: 1, name: 'Kies een demo-bedrijf' }).waitFor();
    assert.equal(await page.getByLabel('Sanne Voorbeeld', { exact: true }).count(), 0, 'only businesses at eHerkenning');
    await page.getByLabel('Bakkerij Het Voorbeeld (eHerkenning), ingelogd door Daan Testmans', { exact: true }).check();
    await page.getByRole('button', { name: 'Inloggen', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Zaken van uw organisatie' }).waitFor();
    assert.match(await page.locator('#mz-session').innerText(), /met eHerkenning/);
    assert.equal((await session(page)).subjectKind, 'kvk');
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });
});
