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
    if (msg.type() !== 'error') return;
    // "Who is signed in?" answers 401 when nobody is: the portal asks on
    // every page load, Chromium logs each 401 it gets.
    if (/status of 401/.test(msg.text()) && /\/api\/v1\/session$/.test(msg.location()?.url || '')) return;
    page.problems.push(`console: ${msg.text()}`);
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

/** The service with a 20-second idle timeout (scripts/browser-test.sh). */
export const SHORT_IDLE_URL = (process.env.MZ_BROWSER_SHORT_IDLE_URL || '').replace(/\/$/, '');

/**
 * Logs in through the development login on the sign-in page (a cookie
 * session, MZ_DEV_MODE), as a person would. signin.test.mjs goes through
 * the real OpenID Connect flow instead.
 */
export async function loginAsCitizen(page, bsn = '999993653', base = BASE_URL) {
  await page.goto(`${base}/inloggen`);
  await page.getByRole('heading', { level: 1, name: 'Inloggen bij MijnZaken' }).waitFor();
  await page.getByLabel(new RegExp(bsn)).check();
  await page.getByRole('button', { name: 'Inloggen als burger' }).click();
  await page.getByRole('heading', { level: 1, name: 'Mijn zaken' }).waitFor();
}

export async function loginAsProfessional(page) {
  await page.goto(`${BASE_URL}/inloggen/medewerker`);
  await page.getByRole('button', { name: 'Inloggen als medewerker KCC' }).click();
  await page.getByRole('heading', { level: 1, name: 'Zaken van een burger opzoeken' }).waitFor();
}

/**
 * Headers for calling the API from the test itself (for setting up data,
 * not for the UI): a development-login session cookie, and the portal's
 * Origin that the service requires with a cookie on unsafe requests.
 */
export async function apiAuth(body) {
  const res = await fetch(`${BASE_URL}/api/v1/dev/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, 'the demo login answers (is the service running with MZ_DEV_MODE=1?)');
  const cookie = (res.headers.get('set-cookie') || '').split(';')[0];
  assert.match(cookie, /^mz_session=[A-Za-z0-9_-]{43}$/, 'the demo login sets the session cookie');
  return { Cookie: cookie, Origin: BASE_URL };
}

/**
 * WCAG 1.4.10 (reflow) at the page's current width: asserts that
 * - the page does not scroll sideways;
 * - no visible element's content is wider than its box (scrollWidth >
 *   clientWidth), and no text runs out of any box around it (such as
 *   wrapped lines in a table cell of fixed height: they land on the next
 *   cell);
 * - no text sticks out of the viewport;
 * - no two pieces of text overlap: the line boxes of every visible text node
 *   (Range.getClientRects) are compared pairwise, each trimmed to its middle
 *   half vertically (so that tight line-heights, where glyph boxes of
 *   adjacent lines touch, do not count) and by 1 px horizontally;
 * - the cells of each table row do not intersect.
 * Hidden and visually hidden text (display: none, visibility: hidden,
 * clipped) is left out. Returns what it checked, for the diagnostics.
 */
export async function checkReflow(page, name, t) {
  const r = await page.evaluate(() => {
    const problems = [];
    const vw = document.documentElement.clientWidth;
    const label = (el) => {
      const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).slice(0, 2).join('.')}` : '';
      return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${cls}`;
    };
    const hiddenCache = new Map();
    const hidden = (el) => {
      if (!el || el === document.documentElement) return false;
      if (hiddenCache.has(el)) return hiddenCache.get(el);
      const cs = window.getComputedStyle(el);
      const v = cs.display === 'none' || cs.visibility === 'hidden' || cs.visibility === 'collapse'
        || (cs.clipPath && cs.clipPath !== 'none') || (cs.clip && cs.clip !== 'auto')
        // off-screen (the skip link: position fixed at -200% of the viewport, so on
        // a page scrolled that far it would seem to overlap the text at the top)
        || ((cs.position === 'absolute' || cs.position === 'fixed') && el.getBoundingClientRect().bottom < 0)
        || hidden(el.parentElement);
      hiddenCache.set(el, v);
      return v;
    };
    if (document.documentElement.scrollWidth > vw) {
      problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth}px content in ${vw}px`);
    }
    let boxes = 0;
    for (const el of document.body.querySelectorAll('*')) {
      if (!(el instanceof HTMLElement) || hidden(el)) continue;
      if (['INPUT', 'SELECT', 'TEXTAREA', 'OPTION', 'SCRIPT', 'STYLE', 'NOSCRIPT'].includes(el.tagName)) continue;
      const cs = window.getComputedStyle(el);
      if (cs.display === 'inline' || cs.display === 'contents') continue;
      boxes += 1;
      if (el.scrollWidth > el.clientWidth + 1) {
        problems.push(`${label(el)} is too narrow for its content (${el.scrollWidth}px in ${el.clientWidth}px): "${el.textContent.trim().slice(0, 60)}"`);
      }
    }
    const texts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const text = node.textContent.replace(/\s+/g, ' ').trim();
      if (!text || hidden(node.parentElement)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const b of range.getClientRects()) {
        if (b.width < 1 || b.height < 1) continue;
        if (b.left < -1 || b.right > vw + 1) problems.push(`text outside the screen (${Math.round(b.left)}..${Math.round(b.right)}px of ${vw}px): "${text.slice(0, 60)}"`);
        const box = { node, text, x1: b.left + 1, x2: b.right - 1, y1: b.top + b.height / 4, y2: b.bottom - b.height / 4 };
        texts.push(box);
        // The text stays inside every box around it.
        for (let el = node.parentElement; el && el !== document.body; el = el.parentElement) {
          const d = window.getComputedStyle(el).display;
          if (d === 'inline' || d === 'contents') continue;
          const r = el.getBoundingClientRect();
          if (box.y2 > r.bottom + 1 || box.y1 < r.top - 1 || box.x2 > r.right + 1 || box.x1 < r.left - 1) {
            problems.push(`text spills out of ${label(el)}: "${text.slice(0, 60)}"`);
            break;
          }
        }
      }
    }
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i];
        const b = texts[j];
        if (a.node === b.node) continue;
        if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) {
          problems.push(`text overlaps: "${a.text.slice(0, 50)}" and "${b.text.slice(0, 50)}"`);
        }
      }
    }
    for (const tr of document.querySelectorAll('tr')) {
      const cells = [...tr.children].filter((c) => !hidden(c)).map((c) => ({ c, b: c.getBoundingClientRect() }));
      for (let i = 0; i < cells.length; i++) {
        for (let j = i + 1; j < cells.length; j++) {
          const a = cells[i].b;
          const b = cells[j].b;
          if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) {
            problems.push(`table cells overlap: "${cells[i].c.textContent.trim().slice(0, 40)}" and "${cells[j].c.textContent.trim().slice(0, 40)}"`);
          }
        }
      }
    }
    return { problems: [...new Set(problems)], boxes, texts: texts.length, width: vw };
  });
  const line = `reflow ${name} at ${r.width}px: ${r.problems.length} problems (${r.boxes} boxes, ${r.texts} text lines checked)`;
  if (t) t.diagnostic(line); else console.log(line);
  assert.deepEqual(r.problems, [], `layout problems on ${name} at ${r.width}px:\n${r.problems.join('\n')}`);
  return r;
}
