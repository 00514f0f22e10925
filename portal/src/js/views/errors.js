// Pages for when something is not as expected: never a raw technical error.
import { h, icon } from '../dom.js';
import { buttonLink, button, lead, navLink, pageTitle, para } from '../components.js';
import { homeFor, peekReturn, role, signedIn } from '../session.js';

function errorPage(ctx, { title, pre, iconName = 'info', tone = 'info', body, actions }) {
  ctx.title(title);
  ctx.show(h('section', { class: ['mz-message', `mz-message--${tone}`] },
    h('div', { class: 'mz-message__icon' }, icon(iconName)),
    h('div', { class: 'mz-message__body' },
      pageTitle(title, pre),
      ...body,
      actions && actions.length ? h('div', { class: 'mz-actions' }, ...actions) : null)));
}

export function sessionExpiredView(ctx) {
  errorPage(ctx, {
    title: 'Uw sessie is verlopen',
    iconName: 'lock',
    body: [
      lead('U bent uitgelogd, omdat u een tijd niet actief was of omdat uw sessie niet meer geldig is.'),
      para('Dit doen wij om uw gegevens te beschermen. Log opnieuw in om verder te gaan waar u was.'),
    ],
    // Staff sign in on their own page.
    actions: [buttonLink((peekReturn() || '').startsWith('/medewerker') ? '/inloggen/medewerker' : '/inloggen', 'Opnieuw inloggen', { nav: true })],
  });
}

export function notFoundView(ctx) {
  const home = signedIn() ? homeFor(role()) : '/inloggen';
  errorPage(ctx, {
    title: 'Pagina niet gevonden',
    iconName: 'search',
    body: [
      lead('Deze pagina bestaat niet (meer), of u heeft er geen toegang toe.'),
      para('Heeft u het adres zelf getypt? Controleer dan of het goed is. Kwam u hier via een link? Ga dan terug naar het overzicht.'),
    ],
    actions: [buttonLink(home, home === '/medewerker' ? 'Naar zaken opzoeken' : home === '/zaken' ? 'Naar mijn zaken' : 'Naar inloggen', { nav: true })],
  });
}

export function caseNotFoundView(ctx, back, backText) {
  errorPage(ctx, {
    title: 'Zaak niet gevonden',
    iconName: 'search',
    body: [
      lead('Wij kunnen deze zaak niet vinden.'),
      para(role() === 'professional'
        ? 'Misschien is de zaak verwijderd. Zoek de zaken van de burger opnieuw op. Staat de zaak er niet bij? Verwijs de burger dan naar de organisatie die de zaak behandelt.'
        : 'Misschien is de zaak verwijderd, of hoort zij niet bij u. Ziet u een zaak niet die u wel verwacht? Neem dan contact op met de organisatie die de zaak behandelt.'),
    ],
    actions: [buttonLink(back, backText, { nav: true })],
  });
}

export function forbiddenView(ctx, home) {
  errorPage(ctx, {
    title: 'Deze pagina is niet voor u bedoeld',
    iconName: 'lock',
    body: [
      lead(role() === 'professional'
        ? 'U bent ingelogd als medewerker. Deze pagina is voor burgers die hun eigen zaken bekijken.'
        : 'U bent ingelogd als burger. Deze pagina is voor medewerkers van een klantcontactcentrum.'),
      para('Wilt u als iemand anders verder? Log dan eerst uit.'),
    ],
    actions: [buttonLink(home, 'Naar uw startpagina', { nav: true })],
  });
}

export function unavailableView(ctx, err) {
  const wait = err?.retryAfter && err.retryAfter <= 600 ? err.retryAfter : null;
  const pro = signedIn() && role() === 'professional';
  errorPage(ctx, {
    title: pro ? 'De gegevens zijn nu niet beschikbaar' : 'Uw gegevens zijn nu niet beschikbaar',
    iconName: 'refresh',
    tone: 'warning',
    body: [
      lead(pro ? 'Het lukt op dit moment niet om de gegevens op te halen. Dit ligt niet aan u.'
        : 'Het lukt op dit moment niet om uw gegevens op te halen. Dit ligt niet aan u.'),
      para(wait ? `Probeer het over ${wait < 60 ? 'een minuut' : `${Math.ceil(wait / 60)} minuten`} opnieuw.` : 'Probeer het over een paar minuten opnieuw.',
        pro ? ' Heeft de burger haast? Verwijs dan naar de organisatie die de zaak behandelt.'
          : ' Heeft u haast? Neem dan contact op met de organisatie die uw zaak behandelt.'),
    ],
    actions: [button('Probeer het opnieuw', { onclick: () => ctx.rerender(), iconName: 'refresh' })],
  });
}

export function errorView(ctx, err) {
  const ref = err?.reference;
  errorPage(ctx, {
    title: 'Er ging iets mis',
    iconName: 'error',
    tone: 'warning',
    body: [
      lead('Door een fout bij ons kunnen wij deze pagina nu niet laten zien. Dit ligt niet aan u.'),
      para('Probeer het later opnieuw. Blijft het misgaan? Neem dan contact met ons op', ref ? ' en noem deze code: ' : '.', ref ? h('code', { class: 'mz-code' }, ref) : null),
    ],
    actions: [button('Probeer het opnieuw', { onclick: () => ctx.rerender(), iconName: 'refresh' }), navLink(signedIn() ? homeFor(role()) : '/inloggen', 'Naar de startpagina', 'mz-actions__link')],
  });
}
