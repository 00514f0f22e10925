// MijnZaken portal: a small single-page app with history routing. The
// service answers every extension-less path with index.html, so each page
// has a real, shareable address.
import { ApiError, loadSession } from './api.js';
import { loading } from './components.js';
import { announce, clear, h, icon } from './dom.js';
import { startIdleWatch } from './idle.js';
import { business, choices, chosenChoice, devSession, endSession, homeFor, markSignedOut, needsChoice, organisation, rememberReturn, representative, role, signedIn, takeWasSignedIn } from './session.js';
import { chooseView } from './views/choose.js';
import { accessLogView } from './views/accesslog.js';
import { contactView } from './views/contact.js';
import { citizenCaseView, professionalCaseView } from './views/detail.js';
import { errorView, forbiddenView, notFoundView, sessionExpiredView, unavailableView } from './views/errors.js';
import { loginView, signinFailedView, staffLoginView } from './views/login.js';
import { notificationsView } from './views/notifications.js';
import { overviewTitle, overviewView } from './views/overview.js';
import { professionalView } from './views/professional.js';

const UUID = '([0-9a-fA-F-]{36})';
const routes = [
  { path: /^\/$/, view: homeRedirect },
  { path: /^\/inloggen$/, view: loginView, public: true },
  { path: /^\/inloggen\/medewerker$/, view: staffLoginView, public: true },
  { path: /^\/inloggen\/mislukt$/, view: signinFailedView, public: true },
  { path: /^\/sessie-verlopen$/, view: sessionExpiredView, public: true },
  { path: /^\/zaken$/, view: overviewView, role: 'citizen', nav: 'zaken', loading: 'Uw zaken worden opgehaald bij de organisaties…' },
  { path: new RegExp(`^/zaken/${UUID}$`), view: citizenCaseView, role: 'citizen', nav: 'zaken', loading: 'De zaak wordt opgehaald…' },
  { path: /^\/zaken\/([^/]+)$/, view: notFoundView, role: 'citizen', nav: 'zaken' },
  { path: /^\/machtigingen$/, view: chooseView, role: 'citizen', nav: 'machtigingen' },
  { path: /^\/inzage$/, view: accessLogView, role: 'citizen', nav: 'inzage', loading: 'Even geduld…' },
  { path: /^\/berichten$/, view: notificationsView, role: 'citizen', nav: 'berichten', loading: 'Even geduld…' },
  { path: /^\/contact$/, view: contactView, role: 'citizen', nav: 'contact', loading: 'Even geduld…' },
  { path: /^\/medewerker$/, view: professionalView, role: 'professional', nav: 'medewerker' },
  { path: new RegExp(`^/medewerker/zaken/${UUID}$`), view: professionalCaseView, role: 'professional', nav: 'medewerker', loading: 'De zaak wordt opgehaald…' },
];

const NAV = {
  citizen: [
    { key: 'zaken', href: '/zaken', text: 'Mijn zaken', icon: 'folder' },
    { key: 'inzage', href: '/inzage', text: 'Wie heeft mijn gegevens bekeken', icon: 'eye' },
    { key: 'berichten', href: '/berichten', text: 'Berichten over uw zaken', icon: 'bell' },
    { key: 'contact', href: '/contact', text: 'Contact', icon: 'phone' },
  ],
  professional: [
    { key: 'medewerker', href: '/medewerker', text: 'Zaken van een burger opzoeken', icon: 'search' },
  ],
};

function homeRedirect(ctx) {
  ctx.navigate(signedIn() ? homeFor(role()) : '/inloggen', { replace: true });
}

let seq = 0;

function main() {
  return document.querySelector('#inhoud > .mz-container');
}

export function navigate(path, { replace = false, focus = true } = {}) {
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  window.scrollTo(0, 0);
  return render({ focus });
}

// The header's tagline and the footer speak to the citizen ("uw zaken");
// a contact-centre employee looks at someone else's cases.
const CHROME_TEXT = {
  citizen: {
    'mz-tagline': 'Uw zaken bij de overheid op één plek',
    'mz-footer-about': 'MijnZaken laat de stand van uw zaken zien. De organisatie die uw zaak behandelt, blijft verantwoordelijk voor uw zaak en neemt de besluiten.',
    'mz-footer-questions': 'Neem contact op met de organisatie die uw zaak behandelt. U vindt de contactgegevens bij elke zaak.',
    'mz-footer-privacy-heading': 'Uw privacy',
    'mz-footer-privacy': 'Uw burgerservicenummer wordt niet opgeslagen. Iedere keer dat een organisatie uw zaken bekijkt, wordt dat vastgelegd. U kunt zelf zien wie dat was.',
  },
  professional: {
    'mz-tagline': 'Zaken van burgers bij de overheid op één plek',
    'mz-footer-about': 'MijnZaken laat de stand van de zaken van een burger zien. De organisatie die de zaak behandelt, blijft verantwoordelijk voor de zaak en neemt de besluiten.',
    'mz-footer-questions': 'Verwijs de burger naar de organisatie die de zaak behandelt. Bij elke organisatie staat de lijn voor professionals.',
    'mz-footer-privacy-heading': 'Privacy',
    'mz-footer-privacy': 'Het burgerservicenummer wordt niet opgeslagen. Elke opzoeking wordt vastgelegd, met het doel. De burger kan zien welke organisatie de zaken heeft bekeken.',
  },
};

function updateChrome(route) {
  const r = signedIn() ? role() : null;
  const texts = { ...CHROME_TEXT[r === 'professional' ? 'professional' : 'citizen'] };
  if (r === 'citizen' && business()) {
    texts['mz-footer-privacy'] = 'Het KVK-nummer van uw organisatie wordt niet opgeslagen. Iedere keer dat een organisatie de zaken van uw organisatie bekijkt, wordt dat vastgelegd. U kunt zelf zien wie dat was.';
  }
  for (const [elId, text] of Object.entries(texts)) {
    const el = document.getElementById(elId);
    if (el && el.textContent !== text) el.textContent = text;
  }
  const session = document.getElementById('mz-session');
  const nav = document.getElementById('mz-nav');
  clear(session);
  clear(nav);
  if (r) {
    const how = representative() ? 'als gemachtigde' : business() ? 'met eHerkenning' : devSession() ? 'als demoburger' : 'met DigiD';
    const who = r === 'professional'
      ? h('span', { class: 'mz-who' }, icon('headset'), h('span', null, h('strong', null, 'Medewerker KCC'), h('span', { class: 'mz-who__sub' }, organisation() || 'MijnZaken')))
      : h('span', { class: 'mz-who' }, icon('user'), h('span', null, h('strong', null, 'Ingelogd'), h('span', { class: 'mz-who__sub' }, how)));
    session.append(who, signOutForm('mz-logout', 'Uitloggen'));
  }
  const items = [...(NAV[r] || [])];
  // several authorisations: switching is one menu item away (issue 14)
  if (r === 'citizen' && choices().length > 1) items.push({ key: 'machtigingen', href: '/machtigingen', text: 'Voor wie kijkt u?', icon: 'user' });
  nav.hidden = items.length === 0;
  if (items.length) {
    nav.append(h('div', { class: 'mz-container' }, h('ul', { class: 'mz-nav__list' },
      items.map((it) => h('li', { class: 'mz-nav__item' },
        h('a', { class: 'mz-nav__link', href: it.href, 'data-nav': '', 'aria-current': route?.nav === it.key ? 'page' : null },
          icon(it.icon), h('span', null, it.key === 'zaken' ? overviewTitle() : it.text)))))));
  }
  representationBanner(r === 'citizen' && representative());
}

// Someone signed in for another person (a machtiging): said on every page,
// in the header, so that nobody mistakes the cases for their own. The
// session does not carry the represented person's name (nor should the
// browser get it): with one machtiging the banner names no one (the
// representative knows for whom they signed in); with several (issue 14)
// it names the chosen one as the service masks it ("BSN ••••••019") and
// offers to switch (/machtigingen).
function representationBanner(show) {
  let el = document.getElementById('mz-representation');
  const several = choices().length > 1;
  const picked = chosenChoice();
  const key = show ? `${several}|${picked?.index ?? ''}` : '';
  if (!show) {
    el?.remove();
    return;
  }
  if (el && el.dataset.key === key) return;
  el?.remove();
  const whom = picked
    ? h('strong', null, 'U bekijkt de zaken van ', h('span', { 'aria-hidden': 'true' }, picked.label),
      h('span', { class: 'mz-visually-hidden' }, `${picked.kind === 'kvk' ? 'het KVK-nummer' : 'het burgerservicenummer'} eindigend op ${String(picked.label).replace(/[^0-9]/g, '').split('').join(' ')}`),
      ' als gemachtigde.')
    : choices().length
      ? h('strong', null, 'U bent ingelogd als gemachtigde. Kies voor wie u de zaken wilt bekijken.')
      : h('strong', null, 'U bekijkt de zaken van een ander als gemachtigde.');
  el = h('div', { class: 'mz-representation', id: 'mz-representation', 'data-key': key },
    h('div', { class: 'mz-container mz-representation__inner' }, icon('user'),
      h('p', { class: 'mz-representation__text' },
        whom, ' ',
        !picked && choices().length
          ? 'Elke keer dat u zaken bekijkt, wordt vastgelegd; de persoon of organisatie voor wie u dit doet, kan zien dat een gemachtigde heeft gekeken.'
          : 'Wat u hier ziet, zijn niet uw eigen zaken. Elke keer dat u kijkt, wordt vastgelegd; de persoon voor wie u dit doet, kan zien dat zijn of haar gemachtigde heeft gekeken.',
        several && picked ? h('span', null, ' ', h('a', { class: 'utrecht-link mz-representation__switch', href: '/machtigingen', 'data-nav': '' }, 'Bekijk de zaken van een ander')) : null)));
  document.getElementById('mz-nav').after(el);
}

// Signing out is a form POST to the service (not fetch), so that the
// browser follows its 303 to the provider's end_session page and back; the
// browser adds the Origin header the service checks. The page loads anew,
// so nothing of the session stays behind in memory (such as a
// professional's last search).
function signOutForm(cls, text) {
  return h('form', { method: 'post', action: '/auth/logout', class: 'mz-logout-form', onsubmit: () => markSignedOut() },
    h('button', { type: 'submit', class: cls }, h('span', null, text)));
}

function match(path) {
  for (const r of routes) {
    const m = r.path.exec(path);
    if (m) return { route: r, params: m.slice(1) };
  }
  return null;
}

let rendered = null;

export async function render({ focus = true } = {}) {
  const mine = ++seq;
  let path = window.location.pathname;
  if (path.length > 1 && path.endsWith('/')) {
    path = path.replace(/\/+$/, '') || '/';
    window.history.replaceState(null, '', path + window.location.search);
  }
  rendered = path + window.location.search;
  const found = match(path);
  const route = found?.route || null;
  const container = main();
  let shown = false;
  const ctx = {
    path,
    params: found?.params || [],
    query: new URLSearchParams(window.location.search),
    current: () => mine === seq,
    navigate: (p, o) => navigate(p, o),
    rerender: () => render({ focus: true }),
    sessionEnded: () => sessionExpired(path + window.location.search),
    title(text) {
      document.title = text ? `${text} – MijnZaken` : 'MijnZaken';
    },
    show(...nodes) {
      if (mine !== seq) return false;
      shown = true;
      clear(container);
      container.append(...nodes.flat().filter(Boolean));
      return true;
    },
  };
  updateChrome(route);

  if (!route) {
    notFoundView(ctx);
  } else if (!route.public && route.view !== homeRedirect && !signedIn()) {
    // This tab was signed in and the service no longer knows the session.
    if (takeWasSignedIn()) return sessionExpired(path + window.location.search);
    rememberReturn(path + window.location.search);
    return navigate('/inloggen?inloggen=1', { replace: true, focus });
  } else if (route.role && role() !== route.role) {
    forbiddenView(ctx, homeFor(role()));
  } else if (route.role === 'citizen' && needsChoice() && route.view !== chooseView) {
    // several authorisations, none chosen: the service shows no case yet
    return navigate('/machtigingen', { replace: true, focus });
  } else {
    // Only say "loading" when the answer takes a moment (no flicker).
    const slow = window.setTimeout(() => {
      if (mine !== seq || shown) return;
      clear(container);
      container.append(loading(route.loading || 'Even geduld…'));
      announce(route.loading || 'Even geduld…');
    }, 200);
    try {
      await route.view(ctx);
    } catch (e) {
      if (mine !== seq) return;
      if (e instanceof ApiError && e.status === 401) return sessionExpired(path + window.location.search);
      handleError(ctx, e);
    } finally {
      window.clearTimeout(slow);
    }
  }
  if (mine !== seq) return;
  if (focus) {
    const h1 = container.querySelector('h1');
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: true });
    }
  }
}

function sessionExpired(returnPath) {
  endSession();
  takeWasSignedIn();
  rememberReturn(returnPath);
  window.location.replace('/sessie-verlopen');
}

function handleError(ctx, e) {
  if (!(e instanceof ApiError)) {
    console.error(e); // a bug in the portal: keep it visible to developers
    return errorView(ctx, null);
  }
  if (e.status === 403) return forbiddenView(ctx, homeFor(role()));
  if (e.status === 404) return notFoundView(ctx);
  if (e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504) return unavailableView(ctx, e);
  return errorView(ctx, e);
}

// Internal links are handled here: no page reload, focus moves to the new
// page's heading.
document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target instanceof Element ? ev.target.closest('a[href]') : null;
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, window.location.href);
  if (url.origin !== window.location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/auth/')) return;
  if (url.pathname === window.location.pathname && url.search === window.location.search && url.hash) return; // in-page anchor
  ev.preventDefault();
  navigate(url.pathname + url.search);
});

// Back and forward re-render, except when only the #fragment changed.
window.addEventListener('popstate', () => {
  if (window.location.pathname + window.location.search === rendered) return;
  render({ focus: true });
});

// First: who is signed in (GET /api/v1/session; 401 = nobody).
async function boot() {
  let down = false;
  try {
    await loadSession();
  } catch {
    down = true; // the service is unreachable: public pages still work
  }
  document.getElementById('mz-boot')?.remove();
  startIdleWatch(() => sessionExpired(window.location.pathname + window.location.search), signOutForm);
  if (down && !match(window.location.pathname)?.route.public) {
    const ctx = { title: (t) => { document.title = `${t} – MijnZaken`; }, show: (...n) => { clear(main()); main().append(...n.flat().filter(Boolean)); return true; }, rerender: () => window.location.reload() };
    updateChrome(null);
    return unavailableView(ctx, new ApiError(0, null));
  }
  return render({ focus: false });
}
boot();
