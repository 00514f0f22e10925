// "Berichten over uw zaken" (issue 15): a citizen sets an e-mail address
// and a mobile number, reads the 6-digit codes from the fake Notify
// (tests/fixtures/fake_notify, started by scripts/browser-test.sh, which
// passes its address as MZ_BROWSER_FAKE_NOTIFY_URL), enters a wrong code
// (the error next to the field), the right ones, changes the choices
// without typing the addresses again, and deletes everything after a
// confirmation. axe and 375/320 px on each state.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE_URL, checkA11y, checkReflow, expectClean, launch, loginAsCitizen, newPage, screenshot } from './helpers.mjs';

const NOTIFY = (process.env.MZ_BROWSER_FAKE_NOTIFY_URL || '').replace(/\/$/, '');
const BSN = '999990032'; // Demoburger 3
const EMAIL = 'demo.burger3@voorbeeld.nl';
const PHONE = '06 12345678';
const HTTP_ERRORS = [/Failed to load resource/]; // the 400 of the wrong code

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function atNarrowWidths(page, name, t) {
  for (const width of [375, 320]) {
    await page.setViewportSize({ width, height: 800 });
    await checkReflow(page, name, t);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function check(page, name, t) {
  await checkA11y(page, name, t);
  await atNarrowWidths(page, name, t);
}

/** The code in the newest verification message to `to` the fake Notify holds (waits for the sender). */
async function codeSentTo(to, after = 0) {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${NOTIFY}/_control/messages`);
    assert.equal(res.status, 200);
    const { messages } = await res.json();
    const mine = messages.filter((m) => m.to === to && m.personalisation?.code && m.created_at_ms > after);
    if (mine.length) return mine[mine.length - 1].personalisation.code;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no verification message reached the fake Notify for ${to}`);
}

async function focusedId(page) {
  return page.evaluate(() => document.activeElement?.id || document.activeElement?.className || '');
}

describe('Berichten over uw zaken', { timeout: 180000 }, () => {
  test('set, verify (a wrong code first), change and delete', async (t) => {
    assert.ok(NOTIFY, 'MZ_BROWSER_FAKE_NOTIFY_URL is set (scripts/browser-test.sh starts the fake Notify)');
    const page = await newPage(browser);
    await loginAsCitizen(page, BSN);

    // From the navigation.
    await page.locator('#mz-nav').getByRole('link', { name: 'Berichten over uw zaken' }).click();
    await page.getByRole('heading', { level: 1, name: 'Berichten over uw zaken' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/berichten');
    assert.equal(await page.title(), 'Berichten over uw zaken – MijnZaken');
    assert.equal(await page.locator('#mz-nav a[aria-current="page"]').innerText(), 'Berichten over uw zaken');
    // Nothing stored yet: no addresses, no channels; "actie nodig" always on.
    const current = page.locator('section', { has: page.getByRole('heading', { name: 'Wat nu is ingesteld' }) });
    assert.match(await current.innerText(), /E-mailadres\s+Niet ingevuld/);
    assert.match(await current.innerText(), /Geen: u krijgt geen berichten/);
    const always = page.locator('#onderwerp-actie');
    assert.match(await always.innerText(), /Er is een actie van u nodig/);
    assert.match(await always.innerText(), /Altijd aan/);
    assert.equal(await page.locator('#onderwerp-actie input').count(), 0, '"actie nodig" cannot be switched off');
    assert.equal(await page.getByRole('button', { name: 'Alles verwijderen' }).count(), 0, 'nothing to delete yet');
    await check(page, 'notifications-empty', t);
    await screenshot(page, 'notifications-empty', t);

    // A bad address: the service's refusal, in Dutch, next to the field.
    await page.getByLabel('Per e-mail').check();
    await page.getByLabel('E-mailadres').fill('demo@');
    await page.getByRole('button', { name: 'Opslaan' }).click();
    await page.locator('#email-fout').waitFor();
    assert.match(await page.locator('#email-fout').innerText(), /geen geldig e-mailadres/);
    assert.equal(await page.locator('#email').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#email').getAttribute('aria-describedby'), /\bemail-fout\b/);
    assert.equal(await focusedId(page), 'email', 'the focus is on the field with the error');
    await check(page, 'notifications-bad-email', t);

    // Set both addresses and both channels.
    const sentAfter = Date.now() - 60000;
    await page.getByLabel('E-mailadres').fill(EMAIL);
    await page.getByLabel('Per sms').check();
    await page.getByLabel('Mobiel nummer').fill(PHONE);
    await page.getByRole('button', { name: 'Opslaan' }).click();
    await page.getByRole('heading', { name: 'Uw keuzes zijn opgeslagen' }).waitFor();
    assert.match(await focusedId(page), /mz-notify__flash/, 'the focus is on the message at the top');
    const text = await current.innerText();
    assert.match(text, /d\*\*\*@voorbeeld\.nl/, 'the address is shown masked');
    assert.match(text, /\+316\*\*\*\*\*\*78/, 'the number is shown masked');
    assert.ok(!(await page.locator('body').innerText()).includes(EMAIL), 'the full address is nowhere on the page');
    assert.match(text, /Nog niet bevestigd/);
    assert.match(text, /e-mail en sms/);
    await page.getByRole('heading', { name: 'Bevestig uw e-mailadres' }).waitFor();
    await page.getByRole('heading', { name: 'Bevestig uw mobiele nummer' }).waitFor();
    await check(page, 'notifications-verify', t);
    await screenshot(page, 'notifications-verify', t);

    // A wrong code: the error next to the code field.
    const code = await codeSentTo(EMAIL, sentAfter);
    assert.match(code, /^[0-9]{6}$/);
    const wrong = String((Number(code) + 1) % 1000000).padStart(6, '0');
    await page.locator('#code-email').fill(wrong);
    await page.locator('#code-email').press('Enter');
    await page.locator('#code-email-fout').waitFor();
    assert.match(await page.locator('#code-email-fout').innerText(), /Deze code klopt niet/);
    assert.equal(await page.locator('#code-email').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#code-email').getAttribute('aria-describedby'), /\bcode-email-fout\b/);
    assert.equal(await focusedId(page), 'code-email');
    await check(page, 'notifications-wrong-code', t);
    await screenshot(page, 'notifications-wrong-code', t);

    // The right codes.
    await page.locator('#code-email').fill(code);
    await page.getByRole('button', { name: 'Bevestigen' }).first().click();
    await page.getByRole('heading', { name: 'Uw e-mailadres is bevestigd' }).waitFor();
    assert.match(await current.innerText(), /d\*\*\*@voorbeeld\.nl\s*Bevestigd/);
    assert.equal(await page.getByRole('heading', { name: 'Bevestig uw e-mailadres' }).count(), 0);
    const smsCode = await codeSentTo('+31612345678', sentAfter);
    await page.locator('#code-sms').fill(smsCode);
    await page.getByRole('button', { name: 'Bevestigen' }).click();
    await page.getByRole('heading', { name: 'Uw mobiele nummer is bevestigd' }).waitFor();
    assert.equal((await current.innerText()).match(/Bevestigd/g)?.length, 2, 'both addresses verified');
    await check(page, 'notifications-verified', t);
    await screenshot(page, 'notifications-verified', t);

    // Change: no more SMS and no status changes, without typing the addresses again.
    await page.getByLabel('Per sms').uncheck();
    await page.getByLabel('Er is iets veranderd in uw zaak').uncheck();
    await page.getByRole('button', { name: 'Opslaan' }).click();
    await page.getByRole('heading', { name: 'Uw keuzes zijn opgeslagen' }).waitFor();
    const changed = await current.innerText();
    assert.match(changed, /Berichten per\s+e-mail\s*$/m);
    assert.equal(changed.match(/Bevestigd/g)?.length, 2, 'still verified: the addresses were kept');
    assert.equal(await page.getByLabel('Er is iets veranderd in uw zaak').isChecked(), false);
    assert.equal(await page.getByLabel('Er is een besluit genomen').isChecked(), true);
    const stored = await page.evaluate(async () => (await fetch('/api/v1/me/notification-preferences')).json());
    assert.deepEqual(stored.channels, { email: true, sms: false });
    assert.deepEqual(stored.events, { statusChange: false, actionRequired: true, decision: true });
    assert.deepEqual(stored.verified, { email: true, sms: true });

    // Delete everything: first a confirmation ("Nee" keeps everything).
    await page.getByRole('button', { name: 'Alles verwijderen' }).click();
    await page.getByRole('heading', { name: 'Weet u het zeker?' }).waitFor();
    assert.match(await focusedId(page), /mz-notify__confirm/, 'the focus moves to the question');
    await check(page, 'notifications-confirm-delete', t);
    await page.getByRole('button', { name: 'Nee, niet verwijderen' }).click();
    assert.equal(await page.getByRole('heading', { name: 'Weet u het zeker?' }).count(), 0);
    assert.match(await current.innerText(), /d\*\*\*@voorbeeld\.nl/);
    await page.getByRole('button', { name: 'Alles verwijderen' }).click();
    await page.getByRole('button', { name: 'Ja, verwijder alles' }).click();
    await page.getByRole('heading', { name: 'Alles is verwijderd' }).waitFor();
    assert.match(await current.innerText(), /E-mailadres\s+Niet ingevuld/);
    assert.match(await current.innerText(), /Mobiel nummer\s+Niet ingevuld/);
    const gone = await page.evaluate(async () => (await fetch('/api/v1/me/notification-preferences')).json());
    assert.equal(gone.email, null);
    assert.equal(gone.phone, null);
    await check(page, 'notifications-deleted', t);
    expectClean(page, HTTP_ERRORS);
    await page.context().close();
  });

  test('the page is for citizens only', async () => {
    const page = await newPage(browser);
    await page.goto(`${BASE_URL}/berichten`);
    await page.getByRole('heading', { level: 1, name: 'Inloggen bij MijnZaken' }).waitFor();
    await page.context().close();
  });
});
