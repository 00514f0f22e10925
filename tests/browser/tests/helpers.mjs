// Shared helpers for the browser tests: Debian's Chromium through
// playwright-core, axe-core for WCAG 2.1 AA, screenshots, demo logins.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const BASE_URL = (process.env.MZ_BROWSER_BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const SCREENSHOTS = process.env.MZ_BROWSER_SCREENSHOTS || join(here, '..', 'screenshots');
export const CHROMIUM = process.env.MZ_CHROMIUM || '/usr/bin/chromium';

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
}

/**
 * A fresh context (own sessionStorage) with a page. The page's real CSP
 * stays in force: every console error, uncaught exception and CSP
 * violation is collected in page.problems and checked by expectClean().
 */
export async function newPage(browser, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({
    viewport: { width, height },
    locale: 'nl-NL',
    timezoneId: 'Europe/Amsterdam',
    deviceScaleFactor: 1,
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => page.problems.push(`pageerror: ${err.message}`));
  return page;
}

/** No console errors, exceptions or CSP violations (expected API errors may be allowed). */
export function expectClean(page, allow = []) {
  const problems = page.problems.filter((p) => !allow.some((re) => re.test(p)));
  assert.deepEqual(problems, [], `the page reported problems:\n${problems.join('\n')}`);
}

/** Runs axe-core with the WCAG 2.1 A and AA rules; asserts no violations. */
export async function checkA11y(page, name, t) {
  const hasAxe = await page.evaluate(() => typeof window.axe !== 'undefined');
  // evaluate() runs through the DevTools protocol, so the page's CSP
  // (script-src 'self') does not block it, unlike an inline <script>.
  if (!hasAxe) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return {
      violations: r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
      })),
      passes: r.passes.length,
      incomplete: r.incomplete.length,
    };
  }, WCAG_TAGS);
  const line = `axe ${name}: ${result.violations.length} violations (${result.passes} rules passed, ${result.incomplete} need review) [${WCAG_TAGS.join(', ')}]`;
  if (t) t.diagnostic(line); else console.log(line);
  const details = result.violations.map((v) => `- ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join('\n    ')}`).join('\n');
  assert.equal(result.violations.length, 0, `axe found WCAG 2.1 AA violations on ${name}:\n${details}`);
  return result;
}

export async function screenshot(page, name, t) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path, fullPage: true });
  const line = `screenshot ${name}: ${path}`;
  if (t) t.diagnostic(line); else console.log(line);
  return path;
}

/** Logs in through the demo login page, as a person would. */
export async function loginAsCitizen(page, bsn = '999993653') {
  await page.goto(`${BASE_URL}/inloggen`);
  await page.getByRole('heading', { level: 1, name: 'Inloggen bij MijnZaken' }).waitFor();
  await page.getByLabel(new RegExp(bsn)).check();
  await page.getByRole('button', { name: 'Inloggen als burger' }).click();
  await page.getByRole('heading', { level: 1, name: 'Mijn zaken' }).waitFor();
}

export async function loginAsProfessional(page) {
  await page.goto(`${BASE_URL}/inloggen`);
  await page.getByRole('button', { name: 'Inloggen als medewerker KCC' }).click();
  await page.getByRole('heading', { level: 1, name: 'Zaken van een burger opzoeken' }).waitFor();
}

/** A token straight from the API (for setting up data, not for the UI). */
export async function apiToken(body) {
  const res = await fetch(`${BASE_URL}/api/v1/dev/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, 'the demo login answers (is the service running with MZ_DEV_MODE=1?)');
  return (await res.json()).token;
}
