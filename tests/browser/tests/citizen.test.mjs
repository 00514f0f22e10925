// A citizen: demo login, "Mijn zaken" across organisations, filter,
// pagination, the action required, a case's detail and timeline, the
// access log, and how the overview deals with stale sources, unknown
// status groups and no cases at all. axe-core (WCAG 2.1 AA) on every page.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  BASE_URL, apiAuth, checkA11y, expectClean, launch, loginAsCitizen, newPage, screenshot,
} from './helpers.mjs';

const CITIZEN = '999993653';
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A day as YYYY-MM-DD, counted from today in Amsterdam (negative: past). */
function amsterdamDay(offsetDays) {
  const today = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: 'Europe/Amsterdam' }).format(new Date());
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + offsetDays);
  return d.toISOString().slice(0, 10);
}

/** '2026-03-01' → '1 maart 2026', as the portal writes dates. */
function dutchDate(iso) {
  return new Intl.DateTimeFormat('nl-NL', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`));
}

const legalDeadline = (date) => ({ date, meaning: 'legal_deadline', label: 'Uiterste beslisdatum (wettelijke termijn)' });

async function agenciesShown(page) {
  const names = await page.locator('.mz-case__agency').allInnerTexts();
  return names.map((n) => n.replace(/^Organisatie:\s*/i, '').trim().toLowerCase());
}

describe('citizen', { timeout: 120000 }, () => {
  test('the login page says clearly that it is a demo', async (t) => {
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/inloggen`);
    await page.getByRole('heading', { level: 1, name: 'Inloggen bij MijnZaken' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'nl');
    assert.match(await page.locator('.mz-demo-notice').innerText(), /demonstratie/i);
    assert.match(await page.locator('.mz-demo-strip').innerText(), /Demo-omgeving/);
    await page.getByRole('link', { name: 'Inloggen met DigiD' }).waitFor();
    for (const bsn of ['999993653', '999990019', '999990032']) {
      assert.equal(await page.getByLabel(new RegExp(bsn)).count(), 1, `demo citizen ${bsn} can be chosen`);
    }
    await page.getByRole('link', { name: 'Inloggen als medewerker' }).waitFor();
    await checkA11y(page, 'inloggen', t);
    await screenshot(page, 'login', t);
    expectClean(page);
    await page.context().close();
  });

  test('the overview shows cases from several organisations and the action required', async (t) => {
    const page = await newPage(browser);
    await loginAsCitizen(page, CITIZEN);
    assert.equal(new URL(page.url()).pathname, '/zaken');
    assert.equal(await page.title(), 'Mijn zaken – MijnZaken');
    const stored = await page.evaluate(() => ({ ...window.sessionStorage }));
    assert.deepEqual(Object.keys(stored).filter((k) => !['mz.returnTo', 'mz.signedIn'].includes(k)), [], 'no token in sessionStorage');
    assert.ok(!JSON.stringify(stored).includes('ey'), 'nothing token-like in sessionStorage');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is HttpOnly');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'mz_session');
    assert.ok(session && session.httpOnly && session.sameSite === 'Lax', 'an HttpOnly, SameSite=Lax session cookie');
    assert.equal(await page.evaluate(() => window.localStorage.length), 0, 'nothing in localStorage');

    const agencies = new Set(await agenciesShown(page));
    assert.ok(agencies.size >= 3, `cases from at least three organisations (saw ${[...agencies].join(', ')})`);
    await page.getByRole('heading', { level: 2, name: /Lopende zaken/ }).waitFor();
    await page.getByRole('heading', { level: 2, name: /Afgeronde zaken/ }).waitFor();

    // The action required stands out: summary at the top and on the case.
    const todo = page.locator('.mz-todo');
    assert.match(await todo.innerText(), /U moet iets doen voor 1 zaak/);
    assert.match(await todo.innerText(), /Stuur uw loonstroken/);
    const ww = page.locator('.mz-case', { has: page.getByRole('link', { name: 'Aanvraag WW-uitkering' }) });
    assert.equal(await ww.locator('.mz-status').innerText(), 'Actie nodig');
    const action = await ww.locator('.mz-action').innerText();
    assert.match(action, /Actie nodig: Stuur uw loonstroken/);
    assert.match(action, /Uiterlijk \d{1,2} [a-z]+ \d{4}/);
    assert.equal(await ww.getByRole('link', { name: /Regel dit bij UWV/ }).getAttribute('href'), 'https://www.uwv.nl/mijnuwv/documenten');

    // Status badges in Dutch words, dates with their meaning.
    const badges = new Set(await page.locator('.mz-case .mz-status').allInnerTexts());
    for (const b of badges) assert.ok(['Ontvangen', 'In behandeling', 'Actie nodig', 'Opgeschort', 'Besluit genomen', 'Afgerond', 'Ingetrokken'].includes(b), `badge ${b}`);
    const text = await page.locator('main').innerText();
    assert.match(text, /sinds \d{1,2} [a-z]+ \d{4}/);
    assert.match(text, /indicatief/);
    assert.match(text, /wettelijke termijn/);
    assert.match(text, /Uitkomst/i);

    await checkA11y(page, 'mijn zaken', t);
    await screenshot(page, 'overview', t);
    expectClean(page);
    await page.context().close();
  });

  test('the overview can be filtered by organisation', async (t) => {
    const page = await newPage(browser);
    await loginAsCitizen(page, CITIZEN);
    await page.getByLabel('Toon zaken van').selectOption({ label: 'UWV' });
    await page.getByRole('button', { name: 'Toon zaken' }).click();
    await page.waitForURL(/\/zaken\?organisatie=uwv$/);
    await page.locator('.mz-filter-state').waitFor();
    const agencies = await agenciesShown(page);
    assert.ok(agencies.length >= 1, 'UWV has cases');
    assert.deepEqual([...new Set(agencies)], ['uwv'], 'only UWV cases are shown');
    assert.equal(await page.getByLabel('Toon zaken van').inputValue(), 'uwv');
    await checkA11y(page, 'mijn zaken (gefilterd)', t);

    await page.getByRole('link', { name: 'Toon zaken van alle organisaties' }).click();
    await page.waitForURL(/\/zaken$/);
    await page.locator('.mz-filter-state').waitFor({ state: 'detached' });
    await page.locator('.mz-case').first().waitFor();
    assert.ok(new Set(await agenciesShown(page)).size >= 3);
    expectClean(page);
    await page.context().close();
  });

  test('a case detail shows its timeline, the action, contact and source', async (t) => {
    const page = await newPage(browser);
    await loginAsCitizen(page, CITIZEN);
    await page.getByRole('link', { name: 'Aanvraag WW-uitkering' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Aanvraag WW-uitkering' }).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/zaken\/[0-9a-f-]{36}$/);
    // Focus moved to the new page's heading (for screen reader users).
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H1');

    const items = page.locator('.mz-timeline__item:not(.mz-timeline__item--next)');
    assert.ok(await items.count() >= 3, 'the timeline has the case history');
    const times = await items.locator('time').evaluateAll((els) => els.map((e) => e.getAttribute('datetime')));
    assert.deepEqual(times, [...times].sort(), 'oldest first');
    assert.match(await items.last().innerText(), /Huidige status/);
    assert.match(await items.last().innerText(), /Wij hebben informatie van u nodig/);
    assert.match(await page.locator('.mz-timeline__item--next').innerText(), /Volgende stap/);

    assert.match(await page.locator('.mz-action').innerText(), /Stuur uw loonstroken/);
    const contact = page.locator('.mz-contact');
    assert.equal(await contact.getByRole('link', { name: '088 898 92 94' }).getAttribute('href'), 'tel:0888989294');
    assert.equal(await contact.getByRole('link', { name: /Bekijk de zaak bij UWV/ }).getAttribute('href'), 'https://www.uwv.nl/mijnuwv/aanvragen/WW-77120');
    const source = await page.locator('.mz-source').innerText();
    assert.match(source, /Bron en actualiteit/);
    assert.match(source, /Laatst bijgewerkt/);
    assert.match(await page.locator('.mz-dates').innerText(), /wettelijke termijn/);

    await checkA11y(page, 'zaak (detail)', t);
    await screenshot(page, 'detail', t);

    // The breadcrumb leads back; so does the browser's back button.
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: 'Mijn zaken' }).waitFor();
    expectClean(page);
    await page.context().close();
  });

  test('an open case whose legal deadline has passed says "Termijn verstreken" and what to do', async (t) => {
    const past = amsterdamDay(-12);
    const page = await newPage(browser);
    // Whatever the demo holds: the first open case gets a deadline that has
    // passed, the second one that ends today (not passed: the organisation
    // may still decide today), a third one a passed deadline but a decision;
    // the first closed case a passed deadline too (closed: nothing to flag).
    let overdueId = null;
    await page.route('**/api/v1/me/cases?*', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      const status = new URL(route.request().url()).searchParams.get('status');
      const [a, b, c, ...rest] = body.items;
      // The demo itself holds an overdue case; the cases this test does not
      // set get a deadline well ahead, so the count below is the test's own.
      for (const x of rest) {
        if (x.dates?.legalDeadline) x.dates = { ...x.dates, legalDeadline: legalDeadline(amsterdamDay(30)) };
      }
      if (status === 'open') {
        assert.ok(a && b, 'the demo citizen has at least two open cases');
        a.status = { ...a.status, group: 'in_progress' };
        a.dates = { ...a.dates, legalDeadline: legalDeadline(past) };
        overdueId = a.id;
        b.status = { ...b.status, group: 'in_progress' };
        b.dates = { ...b.dates, legalDeadline: legalDeadline(amsterdamDay(0)) };
        if (c) {
          c.status = { ...c.status, group: 'decided' };
          c.dates = { ...c.dates, legalDeadline: legalDeadline(past) };
        }
      } else if (a) {
        a.dates = { ...a.dates, legalDeadline: legalDeadline(past) };
      }
      await route.fulfill({ response: res, json: body });
    });
    await page.route('**/api/v1/me/cases/*', async (route) => {
      const res = await route.fetch();
      const c = await res.json();
      if (c.id === overdueId) {
        c.status = { ...c.status, group: 'in_progress' };
        c.dates = { ...c.dates, legalDeadline: legalDeadline(past) };
      }
      await route.fulfill({ response: res, json: c });
    });
    await loginAsCitizen(page, CITIZEN);

    const open = page.locator('section.mz-section--open');
    const card = open.locator('.mz-case').first();
    const agency = (await card.locator('.mz-case__agency').textContent()).replace(/^Organisatie:\s*/i, '').trim(); // (shown in capitals)
    const note = await card.locator('.mz-overdue').innerText();
    assert.match(note, /^Termijn verstreken/);
    assert.ok(note.includes(`${agency} had uiterlijk ${dutchDate(past)} moeten beslissen`), note);
    assert.match(note, /Neem contact op en vraag wanneer u een besluit krijgt/);
    assert.match(await card.locator('.mz-dates__item--legal_deadline').innerText(), /verstreken/);
    assert.equal(await open.locator('.mz-overdue').count(), 1, 'only the case whose deadline passed (not today\'s, not a decided one)');
    assert.equal(await page.locator('section.mz-section--closed .mz-overdue').count(), 0, 'never a closed case');
    await checkA11y(page, 'mijn zaken (termijn verstreken)', t);

    await card.locator('.mz-case__link').click();
    await page.locator('.mz-timeline').waitFor();
    const alertBox = page.locator('.utrecht-alert.mz-overdue');
    const text = await alertBox.innerText();
    assert.match(text, /^Termijn verstreken/);
    assert.ok(text.includes(`${agency} had uiterlijk ${dutchDate(past)} moeten beslissen over uw zaak`), text);
    assert.match(text, /12 dagen geleden verstreken/);
    assert.ok(text.includes(`Neem contact op met ${agency} en vraag wanneer u een besluit krijgt`), text);
    assert.match(text, /ingebrekestelling/);
    assert.match(text, /dwangsom/);
    assert.equal(await alertBox.locator('a').count(), 0, 'no links to other sites in the note');
    assert.match(await page.locator('.mz-timeline__item--next').innerText(), new RegExp(`wettelijke termijn \\(${dutchDate(past)}\\) is verstreken`));
    assert.match(await page.locator('.mz-dates').innerText(), /verstreken/);
    await checkA11y(page, 'zaak (termijn verstreken)', t);
    await screenshot(page, 'detail-overdue', t);
    expectClean(page);
    await page.context().close();
  });

  test('the "Toon zaken van" select shows its arrow', async () => {
    const page = await newPage(browser);
    await loginAsCitizen(page, CITIZEN);
    const select = page.getByLabel('Toon zaken van');
    const style = await select.evaluate((el) => {
      const cs = window.getComputedStyle(el);
      return { image: cs.backgroundImage, appearance: cs.appearance, paddingRight: parseFloat(cs.paddingRight), repeat: cs.backgroundRepeat };
    });
    assert.equal(style.appearance, 'none', 'the browser\'s own arrow is off (Utrecht select)...');
    const url = /url\("?([^")]+)"?\)/.exec(style.image)?.[1];
    assert.ok(url, `...so the select has an arrow of its own (background-image: ${style.image})`);
    assert.equal(style.repeat, 'no-repeat');
    assert.ok(style.paddingRight >= 40, `room for the arrow (${style.paddingRight}px)`);
    // The image loads under the page's CSP (img-src 'self') and is an image.
    const loaded = await page.evaluate(async (src) => {
      const img = new Image();
      img.src = src;
      try { await img.decode(); } catch { return 0; }
      return img.naturalWidth;
    }, url);
    assert.ok(loaded > 0, `the arrow ${url} loads`);
    assert.equal(new URL(url).origin, new URL(BASE_URL).origin, 'from the service itself');
    expectClean(page);
    await page.context().close();
  });

  test('a source without any information yet is named in plain Dutch', async () => {
    const page = await newPage(browser);
    let name = null;
    await page.route('**/api/v1/me/cases?*', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      body.sources.forEach((s, i) => {
        s.freshness = i === 0 ? 'stale' : 'fresh';
        if (i === 0) { s.lastSyncedAt = null; name = s.agency.name; }
      });
      await route.fulfill({ response: res, json: body });
    });
    await loginAsCitizen(page, CITIZEN);
    const text = await page.locator('.utrecht-alert--warning').first().innerText();
    assert.ok(text.includes(`Wij hebben nog geen informatie van ${name} ontvangen. Mogelijk heeft u daar zaken die hier nog niet staan.`), text);
    assert.doesNotMatch(text, /is nog geen actuele informatie/);
    expectClean(page);
    await page.context().close();
  });

  test('a slow answer shows that the cases are being fetched', async () => {
    const page = await newPage(browser);
    await loginAsCitizen(page, CITIZEN);
    await page.route('**/api/v1/me/cases?*', async (route) => {
      await new Promise((r) => setTimeout(r, 1200));
      await route.continue();
    });
    await page.getByRole('link', { name: 'Wie heeft mijn gegevens bekeken' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Wie heeft mijn gegevens bekeken' }).waitFor();
    await page.getByRole('link', { name: 'Mijn zaken' }).first().click();
    await page.locator('main').getByText('Uw zaken worden opgehaald bij de organisaties…').waitFor();
    await page.waitForFunction(() => document.getElementById('mz-announcer').textContent.includes('Uw zaken worden opgehaald'));
    await page.locator('.mz-case').first().waitFor();
    assert.equal(await page.locator('main .mz-loading').count(), 0);
    expectClean(page);
    await page.context().close();
  });

  test('"Meer zaken laden" follows page.next', async () => {
    const page = await newPage(browser);
    // Ask the real service for pages of 2, so the demo data spans pages.
    await page.route('**/api/v1/me/cases?*', (route) => {
      const url = new URL(route.request().url());
      url.searchParams.set('pageSize', '2');
      return route.continue({ url: url.href });
    });
    await loginAsCitizen(page, CITIZEN);
    const open = page.locator('section.mz-section--open');
    assert.equal(await open.locator('.mz-case').count(), 2);
    const more = open.getByRole('button', { name: 'Meer zaken laden' });
    await more.click();
    await page.waitForFunction(() => document.querySelectorAll('section.mz-section--open .mz-case').length > 2);
    const n = await open.locator('.mz-case').count();
    assert.ok(n > 2 && n <= 4);
    // Focus moves to the first newly loaded case.
    assert.equal(await page.evaluate(() => document.activeElement?.closest('.mz-cases__item') === document.querySelectorAll('section.mz-section--open .mz-cases__item')[2]), true);
    while (await open.getByRole('button', { name: 'Meer zaken laden' }).count()) {
      const before = await open.locator('.mz-case').count();
      await open.getByRole('button', { name: 'Meer zaken laden' }).click();
      await page.waitForFunction((b) => document.querySelectorAll('section.mz-section--open .mz-case').length > b, before);
    }
    const ids = await open.locator('.mz-case__link').evaluateAll((els) => els.map((e) => e.getAttribute('href')));
    assert.equal(new Set(ids).size, ids.length, 'no case twice');
    assert.match(await open.locator('.mz-count').innerText(), /^\d+ zaken$/);
    expectClean(page);
    await page.context().close();
  });

  test('the overview works on a 375 px wide screen', async (t) => {
    const page = await newPage(browser, { width: 375, height: 812 });
    await loginAsCitizen(page, CITIZEN);
    await page.locator('.mz-case').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px too wide)`);
    await checkA11y(page, 'mijn zaken (375 px)', t);
    await screenshot(page, 'overview-375', t);
    expectClean(page);
    await page.context().close();
  });

  test('the access log shows who looked, when and why', async (t) => {
    // A contact-centre look-up of this citizen, so there is something to see.
    const pro = await apiAuth({ role: 'professional' });
    const res = await fetch(`${BASE_URL}/api/v1/cases/search`, {
      method: 'POST',
      headers: { ...pro, 'Content-Type': 'application/json' },
      body: JSON.stringify({ bsn: CITIZEN, purpose: 'doorverwijzen' }),
    });
    assert.equal(res.status, 200);

    const page = await newPage(browser);
    await loginAsCitizen(page, CITIZEN);
    await page.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: 'Wie heeft mijn gegevens bekeken' }).click();
    await page.getByRole('heading', { level: 1, name: 'Wie heeft mijn gegevens bekeken' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Wie heeft mijn gegevens bekeken' }).getAttribute('aria-current'), 'page');
    const rows = page.locator('table tbody tr');
    assert.ok(await rows.count() >= 1);
    const first = await rows.first().innerText();
    assert.match(first, /Gemeente Voorbeeld \(KCC, demo\)/);
    assert.match(first, /Doorverwijzen van de burger naar de organisatie die de zaak behandelt/);
    assert.match(first, /\d{1,2} [a-z]+ \d{4} om \d{2}:\d{2}/);
    assert.match(first, /Gegevens bekeken/);
    assert.doesNotMatch(first, /beheerder van MijnZaken/, 'a look-up by the organisation in the token is not MijnZaken\'s own');
    // Whom to ask: the organisation, whoever runs MijnZaken, the AP.
    const help = page.locator('section[aria-labelledby="klopt-er-iets-niet"]');
    assert.match(await help.innerText(), /Neem dan contact op met de organisatie die in de lijst staat/);
    const mail = help.locator('a[href^="mailto:"]');
    assert.equal(await mail.count(), 1, 'an e-mail address for MijnZaken itself');
    assert.match(await help.innerText(), /Neem dan contact op met de beheerder van MijnZaken: \S+@\S+/);
    assert.equal(await help.getByRole('link', { name: /autoriteitpersoonsgegevens\.nl/ }).getAttribute('href'), 'https://autoriteitpersoonsgegevens.nl/');
    assert.match(await help.innerText(), /klacht indienen bij de Autoriteit Persoonsgegevens/);
    await checkA11y(page, 'wie heeft mijn gegevens bekeken', t);
    await screenshot(page, 'access-log', t);
    expectClean(page);
    await page.context().close();
  });

  test('a look-up recorded under MijnZaken\'s own name says it was the operator', async (t) => {
    // The service marks such entries (a professional token without an org
    // claim, recorded under MZ_ORGANISATION) with operator: true.
    const citizen = await apiAuth({ bsn: CITIZEN });
    const res = await fetch(`${BASE_URL}/api/v1/me/access-log`, { headers: citizen });
    assert.equal(res.status, 200);
    for (const e of (await res.json()).items) assert.equal(typeof e.operator, 'boolean', 'every entry says whether it is the operator\'s');
    const page = await newPage(browser);
    await page.route('**/api/v1/me/access-log*', async (route) => {
      const r = await route.fetch();
      const body = await r.json();
      body.items.unshift({ at: new Date().toISOString(), organisation: 'MijnZaken', operator: true, purpose: { id: 'klantvraag', name: 'Beantwoorden van een vraag van de burger over de eigen zaken' }, outcome: 'success' });
      await route.fulfill({ response: r, json: body });
    });
    await loginAsCitizen(page, CITIZEN);
    await page.goto(`${BASE_URL}/inzage`);
    const rows = page.locator('table tbody tr');
    await rows.first().waitFor();
    const cell = rows.first().locator('td[data-label="Organisatie"]');
    assert.equal(await cell.innerText(), 'MijnZaken\nDit is de beheerder van MijnZaken.');
    const n = await rows.count();
    for (let i = 1; i < n; i++) {
      // The real entries: the demo's professional token names its organisation.
      assert.doesNotMatch(await rows.nth(i).locator('td[data-label="Organisatie"]').innerText(), /beheerder/);
    }
    assert.match(await page.locator('section[aria-labelledby="klopt-er-iets-niet"]').innerText(), /Was het volgens de lijst de beheerder van MijnZaken/);
    await checkA11y(page, 'wie heeft mijn gegevens bekeken (beheerder)', t);
    expectClean(page);
    await page.context().close();
  });

  test('stale and unavailable organisations are named, with their last update', async (t) => {
    const page = await newPage(browser);
    await page.route('**/api/v1/me/cases?*', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      for (const s of body.sources) {
        if (s.agency.id === 'uwv') s.freshness = 'stale';
        if (s.agency.id === 'duo') s.freshness = 'unavailable';
      }
      await route.fulfill({ response: res, json: body });
    });
    await loginAsCitizen(page, CITIZEN);
    const notice = page.locator('.utrecht-alert--warning').first();
    const text = await notice.innerText();
    assert.match(text, /De informatie van UWV kan verouderd zijn; laatst bijgewerkt (vandaag|gisteren|\d)/);
    assert.match(text, /DUO is op dit moment niet bereikbaar/);
    assert.doesNotMatch(text, /Gemeente Voorbeeld/);
    assert.match(await page.locator('.mz-sources').innerText(), /UWV\s*Mogelijk verouderd/);
    await checkA11y(page, 'mijn zaken (verouderde bron)', t);
    expectClean(page);
    await page.context().close();
  });

  test('an unknown status group is shown with the agency\'s own text', async () => {
    const page = await newPage(browser);
    await page.route('**/api/v1/me/cases?*', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      if (body.items[0]) body.items[0].status = { group: 'under_review', text: 'Ter beoordeling bij de commissie', since: body.items[0].status.since };
      await route.fulfill({ response: res, json: body });
    });
    await loginAsCitizen(page, CITIZEN);
    const badge = page.locator('.mz-status--unknown').first();
    assert.equal(await badge.innerText(), 'Ter beoordeling bij de commissie');
    expectClean(page);
    await page.context().close();
  });

  test('a citizen without cases gets a clear "no cases" page', async (t) => {
    const page = await newPage(browser);
    await page.route('**/api/v1/me/cases?*', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      await route.fulfill({ response: res, json: { ...body, items: [], page: { size: body.page.size, next: null } } });
    });
    await loginAsCitizen(page, '999990032');
    await page.getByRole('heading', { level: 2, name: 'U heeft geen zaken' }).waitFor();
    assert.match(await page.locator('.mz-empty').innerText(), /Aangesloten organisaties: .*UWV/);
    assert.equal(await page.locator('.mz-case').count(), 0);
    await checkA11y(page, 'geen zaken', t);
    expectClean(page);
    await page.context().close();
  });
});
