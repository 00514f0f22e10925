// Contact moments and hand-over (issue 17): the citizen's "Contact" tab
// ("Uw contact met de overheid": when, which organisation, the topic and
// the state of a call-back, never the employee's note), the professional's
// "Eerder contact" under the search results, and "Contact vastleggen" /
// "Overdragen aan …" on the case page. axe 0 and reflow at 375 px on each.
// Data: the demo (seed-demo with the contact key: citizen 999993653 phoned
// the municipality and has an open call-back at UWV), and what the tests
// record through the portal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  checkA11y, checkReflow, expectClean, launch, loginAsCitizen, loginAsProfessional, newPage, screenshot,
} from './helpers.mjs';

const CITIZEN = '999993653';
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function narrow(page, name, t) {
  await page.setViewportSize({ width: 375, height: 812 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await checkReflow(page, `${name} (375 px)`, t);
  await checkA11y(page, `${name} (375 px)`, t);
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe('contact moments', { timeout: 150000 }, () => {
  test('the citizen sees their contact with organisations and the state of a call-back', async (t) => {
    const page = await newPage(browser);
    await loginAsCitizen(page, CITIZEN);
    await page.getByRole('link', { name: 'Contact' }).click();
    await page.getByRole('heading', { level: 1, name: 'Uw contact met de overheid' }).waitFor();
    const rows = page.locator('.mz-contact-row');
    assert.ok(await rows.count() >= 2, 'the demo\'s two contact moments');
    const text = await page.locator('main').innerText();
    assert.match(text, /Gemeente Voorbeeld/);
    assert.match(text, /Vraag over WW-uitkering/);
    assert.match(text, /Terugbelverzoek aan UWV/);
    assert.match(text, /Opgepakt, nog niet afgerond/);
    // never the employee's note
    assert.doesNotMatch(text, /wil door UWV teruggebeld worden/);
    await checkA11y(page, 'burger: contact', t);
    await screenshot(page, 'contact-citizen', t);
    await narrow(page, 'burger: contact', t);
    expectClean(page);
  });

  test('a professional reads earlier contact, records contact and tries a hand-over', async (t) => {
    const page = await newPage(browser);
    const requests = [];
    page.on('request', (r) => requests.push({ method: r.method(), url: r.url(), body: r.postData() }));
    await loginAsProfessional(page);
    await page.locator('input[name="purpose"]').first().waitFor();
    await page.getByLabel('Burgerservicenummer (BSN)').fill(CITIZEN);
    await page.getByLabel('Beantwoorden van een vraag van de burger over de eigen zaken').check();
    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    const earlier = page.locator('.mz-pro-contact');
    await earlier.waitFor();
    const before = await page.locator('.mz-pro-contact__item').count();
    assert.ok(before >= 2);
    assert.match(await earlier.innerText(), /wil door UWV teruggebeld worden/);
    assert.match(await earlier.innerText(), /Terugbelverzoek aan UWV: opgepakt/);
    await checkA11y(page, 'medewerker: eerder contact', t);

    await page.getByRole('link', { name: 'Aanvraag WW-uitkering' }).click();
    const record = page.locator('section', { has: page.getByRole('heading', { level: 2, name: 'Contact vastleggen' }) });
    await record.waitFor();
    await checkA11y(page, 'medewerker: zaak met contactformulieren', t);
    await narrow(page, 'medewerker: zaak met contactformulieren', t);

    // empty: said in the form, nothing sent
    await record.getByRole('button', { name: 'Contact vastleggen' }).click();
    assert.match(await record.locator('.mz-form-status').innerText(), /Vul in: Onderwerp, Samenvatting/);
    assert.equal(requests.filter((r) => r.url.endsWith('/api/v1/contact-moments')).length, 0);

    await record.getByLabel('Kanaal').selectOption('phone');
    await record.getByLabel('Onderwerp').fill('Termijn WW-besluit');
    await record.getByLabel('Samenvatting').fill('Burger belde opnieuw over de termijn.\nUitgelegd dat UWV terugbelt.');
    await record.getByLabel('De vraag is beantwoord').check();
    await record.getByRole('button', { name: 'Contact vastleggen' }).click();
    await record.getByText('Het contact is vastgelegd.').waitFor();
    const post = requests.find((r) => r.method === 'POST' && r.url.endsWith('/api/v1/contact-moments'));
    assert.ok(post);
    assert.ok(!post.url.includes(CITIZEN), 'the BSN never in a URL');
    const sent = JSON.parse(post.body);
    assert.equal(sent.bsn, CITIZEN);
    assert.equal(sent.purpose, 'klantvraag');
    assert.equal(sent.channel, 'phone');
    assert.equal(sent.answered, true);
    assert.match(sent.caseId, /^[0-9a-f-]{36}$/);

    // UWV in the demo takes no hand-overs (no handover configuration): said plainly
    const handover = page.locator('section', { has: page.getByRole('heading', { level: 2, name: 'Overdragen aan UWV' }) });
    await handover.getByLabel('Onderwerp').fill('Terugbelverzoek');
    await handover.getByLabel('Samenvatting').fill('Wil UWV spreken over het besluit.');
    await handover.getByLabel('Vraag aan UWV').fill('Graag terugbellen.');
    await handover.getByLabel('De burger wil teruggebeld worden').check();
    await handover.getByLabel('Telefoonnummer voor terugbellen').fill('06 12345678');
    await handover.getByRole('button', { name: 'Overdragen aan UWV' }).click();
    await handover.getByText(/neemt \(nog\) geen overdrachten aan/).waitFor();
    await checkA11y(page, 'medewerker: overdracht geweigerd', t);
    await screenshot(page, 'contact-professional', t);

    // the next search shows the new note
    await page.getByRole('link', { name: 'Zaken opzoeken' }).first().click();
    await page.getByLabel('Burgerservicenummer (BSN)').fill(CITIZEN);
    await page.getByLabel('Beantwoorden van een vraag van de burger over de eigen zaken').check();
    await page.getByRole('button', { name: 'Zaken opzoeken' }).click();
    await page.getByText('Burger belde opnieuw over de termijn.', { exact: false }).waitFor();
    assert.equal(await page.locator('.mz-pro-contact__item').count(), before + 1);
    // the refused hand-over's 400: the browser logs the failed request itself
    expectClean(page, [/Failed to load resource/]);
  });
});
