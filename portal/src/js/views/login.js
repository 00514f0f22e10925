// Signing in: DigiD for citizens and the organisation's own sign-in for
// staff, both through the service's OpenID Connect routes (/auth/{kind}/
// login: a full page load to the provider and back); the development
// login (MZ_DEV_MODE only) stands in for both on a demo. Which buttons
// exist comes from GET /api/v1/signin-options. Nothing here sees a token:
// the service sets an HttpOnly session cookie.
import { api, ApiError, loadSession } from '../api.js';
import { h, icon, id } from '../dom.js';
import { alert, button, buttonLink, heading, lead, navLink, pageTitle, para } from '../components.js';
import { homeFor, returnFor, role, takeSignedOut } from '../session.js';

const CITIZENS = [
  { bsn: '999993653', name: 'Demoburger 1', hint: 'Zaken bij vier organisaties, waaronder één waarvoor u iets moet doen' },
  { bsn: '999990019', name: 'Demoburger 2', hint: 'Onder meer een opgeschorte en een ingetrokken aanvraag' },
  { bsn: '999990032', name: 'Demoburger 3', hint: 'Onder meer een vergunning waarvoor een aanvulling nodig is' },
];

let options = null;

/** GET /api/v1/signin-options, once per page load. */
async function signinOptions() {
  if (!options) options = await api('/api/v1/signin-options');
  return options;
}

/** The service's sign-in route for kind, returning to path afterwards;
 * means 'eherkenning': a business through the same provider. */
function signinUrl(kind, path, means) {
  return `/auth/${kind}/login?returnTo=${encodeURIComponent(path)}${means ? `&middel=${means}` : ''}`;
}

/** A link that leaves the portal for the sign-in (a full page load). */
function signinLink(kind, text, path, iconName, means) {
  return h('a', {
    class: ['utrecht-button-link', 'utrecht-button-link--html-a', 'utrecht-button-link--primary-action', 'mz-button-link', 'mz-signin-button'],
    href: signinUrl(kind, path, means),
  }, iconName ? icon(iconName) : null, h('span', null, text));
}

async function devLogin(ctx, body, submitButton, feedback) {
  feedback.replaceChildren();
  submitButton.disabled = true;
  submitButton.classList.add('utrecht-button--busy');
  submitButton.setAttribute('aria-disabled', 'true');
  try {
    await api('/api/v1/dev/login', { method: 'POST', body });
    await loadSession();
    ctx.navigate(returnFor(role()), { replace: true });
  } catch (e) {
    submitButton.disabled = false;
    submitButton.classList.remove('utrecht-button--busy');
    submitButton.removeAttribute('aria-disabled');
    const notHere = e instanceof ApiError && (e.status === 404 || e.status === 405);
    feedback.replaceChildren(alert('error', 'Inloggen is niet gelukt',
      para(notHere
        ? 'De demo-login is in deze omgeving niet beschikbaar. Log in via DigiD.'
        : e instanceof ApiError && (e.status === 0 || e.status >= 500)
          ? 'MijnZaken is op dit moment niet bereikbaar. Probeer het over een paar minuten opnieuw.'
          : 'Er ging iets mis bij het inloggen. Probeer het opnieuw.')));
    feedback.querySelector('.utrecht-alert')?.setAttribute('tabindex', '-1');
    feedback.querySelector('.utrecht-alert')?.focus();
  }
}

function notices(ctx) {
  const out = [];
  if (takeSignedOut() || ctx.query.get('uitgelogd')) out.push(alert('ok', 'U bent uitgelogd', para('Gebruikt u een computer die ook anderen gebruiken? Sluit dan ook uw browser.')));
  if (ctx.query.get('inloggen')) out.push(alert('info', 'Log eerst in', para('Om deze pagina te bekijken moet u ingelogd zijn.')));
  return out;
}

function demoNotice(text) {
  return h('div', { class: 'mz-demo-notice', role: 'note' },
    h('div', { class: 'mz-demo-notice__icon' }, icon('info')),
    h('div', null,
      h('p', { class: 'mz-demo-notice__title' }, 'Dit is een demonstratie'),
      para(text)));
}

function unavailable(ctx, title) {
  ctx.show(pageTitle(title), alert('warning', 'Inloggen is nu niet mogelijk',
    para('MijnZaken is op dit moment niet bereikbaar. Probeer het over een paar minuten opnieuw.')),
  h('div', { class: 'mz-actions' }, button('Probeer het opnieuw', { onclick: () => ctx.rerender(), iconName: 'refresh' })));
}

/** /inloggen: citizens (DigiD), with a link to the staff page. */
export async function loginView(ctx) {
  ctx.title('Inloggen');
  let opts;
  try {
    opts = await signinOptions();
  } catch {
    return unavailable(ctx, 'Inloggen bij MijnZaken');
  }
  const ret = returnFor('citizen', { keep: true });
  const feedback = h('div', { class: 'mz-login__feedback' });
  const sections = [];
  if (opts.citizen) {
    sections.push(h('section', { class: 'mz-panel', 'aria-labelledby': 'login-digid' },
      heading(2, 'Inloggen met DigiD', { id: 'login-digid' }),
      para('U logt in met uw DigiD app of met uw gebruikersnaam, wachtwoord en sms-controle. U heeft DigiD met het betrouwbaarheidsniveau Substantieel of Hoog nodig.'),
      opts.devLogin ? para('Op deze demo is DigiD nagebootst: u kiest daar een verzonnen burger.') : null,
      h('div', { class: 'mz-actions' }, signinLink('citizen', 'Inloggen met DigiD', ret, 'lock'))));
  }
  if (opts.eherkenning) {
    // Businesses (issue 14): eHerkenning through the same provider.
    sections.push(h('section', { class: 'mz-panel', 'aria-labelledby': 'login-eherkenning' },
      heading(2, 'Inloggen voor uw organisatie', { id: 'login-eherkenning' }),
      para('Bekijkt u de zaken van een bedrijf of organisatie? Log dan in met eHerkenning. U heeft een eHerkenningsmiddel nodig met een machtiging voor MijnZaken.'),
      opts.devLogin ? para('Op deze demo is eHerkenning nagebootst: u kiest daar een verzonnen bedrijf.') : null,
      h('div', { class: 'mz-actions' }, signinLink('citizen', 'Inloggen met eHerkenning', ret, 'lock', 'eherkenning'))));
  }
  if (opts.devLogin) sections.push(devCitizenSection(ctx, feedback));
  if (!sections.length) {
    sections.push(alert('info', 'Inloggen als burger is hier niet mogelijk', para('In deze omgeving is inloggen met DigiD niet ingesteld.')));
  }
  ctx.show(
    pageTitle('Inloggen bij MijnZaken'),
    ...notices(ctx),
    lead('Bekijk in één overzicht hoe het staat met uw aanvragen, meldingen en andere zaken bij de gemeente, UWV, DUO en Dienst Toeslagen.'),
    h('div', { class: 'mz-layout' },
      h('div', { class: 'mz-layout__main' },
        opts.devLogin ? demoNotice('Alle zaken, namen en nummers zijn verzonnen. U logt hier niet in met uw echte DigiD.') : null,
        feedback,
        ...sections,
        h('section', { class: 'mz-panel mz-panel--quiet', 'aria-labelledby': 'login-medewerker' },
          heading(2, 'Bent u medewerker?', { id: 'login-medewerker' }),
          para('Medewerkers van een klantcontactcentrum (KCC) loggen in met het account van hun organisatie.'),
          h('p', { class: 'utrecht-paragraph' }, navLink('/inloggen/medewerker', 'Inloggen als medewerker')))),
      h('aside', { class: 'mz-layout__aside', 'aria-labelledby': 'wat-kunt-u' },
        h('section', { class: 'mz-panel mz-benefits' },
          h('h2', { class: 'utrecht-heading-3', id: 'wat-kunt-u' }, 'In MijnZaken ziet u'),
          h('ul', { class: 'mz-benefits__list' },
            benefit('folder', 'Al uw zaken op één plek', 'Bij de gemeente, UWV, DUO en Dienst Toeslagen.'),
            benefit('warning', 'Wat u nog moet doen', 'En uiterlijk wanneer, met een link naar de organisatie.'),
            benefit('clock', 'Wanneer u een besluit kunt verwachten', 'Met de wettelijke termijn erbij.'),
            benefit('eye', 'Wie uw gegevens heeft bekeken', 'Welke organisatie, wanneer en waarom.'))))));
}

function devCitizenSection(ctx, feedback) {
  const legendId = id('legend');
  const radios = CITIZENS.map((c, i) => {
    const rid = id('burger');
    const did = id('omschrijving');
    return h('div', { class: 'utrecht-form-field utrecht-form-field--radio mz-choice' },
      h('div', { class: 'utrecht-form-field__input' },
        h('input', { class: 'utrecht-radio-button utrecht-radio-button--html-input', type: 'radio', name: 'bsn', id: rid, value: c.bsn, checked: i === 0, 'aria-describedby': did })),
      h('div', { class: 'utrecht-form-field__label' },
        h('label', { class: 'utrecht-form-label utrecht-form-label--radio mz-choice__label', for: rid },
          h('span', { class: 'mz-choice__name' }, c.name), ' ', h('span', { class: 'mz-choice__bsn' }, `BSN ${c.bsn}`))),
      h('div', { class: 'utrecht-form-field__description utrecht-form-field-description', id: did }, c.hint));
  });
  const submit = button('Inloggen als burger', { type: 'submit', primary: false });
  const form = h('form', {
    class: 'utrecht-form mz-login__form', novalidate: true,
    onsubmit(ev) {
      ev.preventDefault();
      const chosen = form.querySelector('input[name="bsn"]:checked');
      if (chosen) devLogin(ctx, { bsn: chosen.value }, submit, feedback);
    },
  },
  h('fieldset', { class: 'utrecht-form-fieldset utrecht-form-fieldset--html-fieldset mz-fieldset' },
    h('legend', { class: 'utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend mz-legend', id: legendId }, 'Kies een demoburger'),
    ...radios),
  h('div', { class: 'mz-actions' }, submit));
  return h('section', { class: 'mz-panel mz-panel--quiet', 'aria-labelledby': 'login-demo' },
    heading(2, 'Snel inloggen zonder DigiD (ontwikkelaars)', { id: 'login-demo' }),
    para('Alleen in de ontwikkelomgeving: meteen inloggen als een demoburger, zonder de nagebootste DigiD.'),
    form);
}

/** /inloggen/medewerker: staff sign in with their organisation's account. */
export async function staffLoginView(ctx) {
  ctx.title('Inloggen als medewerker');
  let opts;
  try {
    opts = await signinOptions();
  } catch {
    return unavailable(ctx, 'Inloggen als medewerker');
  }
  const feedback = h('div', { class: 'mz-login__feedback' });
  const ret = returnFor('professional', { keep: true });
  const sections = [];
  if (opts.professional) {
    sections.push(h('section', { class: 'mz-panel', 'aria-labelledby': 'login-organisatie' },
      heading(2, 'Inloggen met uw organisatieaccount', { id: 'login-organisatie' }),
      para('U logt in bij uw eigen organisatie. Elke keer dat u zaken van een burger opzoekt, wordt dat vastgelegd, met het doel.'),
      h('div', { class: 'mz-actions' }, signinLink('professional', 'Inloggen als medewerker', ret, 'headset'))));
  }
  if (opts.devLogin) {
    const submit = button('Inloggen als medewerker KCC', { type: 'submit', primary: false });
    sections.push(h('section', { class: 'mz-panel mz-panel--quiet', 'aria-labelledby': 'login-demo-medewerker' },
      heading(2, 'Snel inloggen zonder organisatieaccount (ontwikkelaars)', { id: 'login-demo-medewerker' }),
      para('Alleen in de ontwikkelomgeving: meteen inloggen als demomedewerker van Gemeente Voorbeeld.'),
      h('form', {
        class: 'utrecht-form', novalidate: true,
        onsubmit(ev) {
          ev.preventDefault();
          devLogin(ctx, { role: 'professional' }, submit, feedback);
        },
      }, h('div', { class: 'mz-actions' }, submit))));
  }
  if (!sections.length) {
    sections.push(alert('info', 'Inloggen als medewerker is hier niet mogelijk', para('In deze omgeving is inloggen voor medewerkers niet ingesteld.')));
  }
  ctx.show(
    pageTitle('Inloggen als medewerker'),
    ...notices(ctx),
    lead('Voor medewerkers van een klantcontactcentrum (KCC) die een burger aan de telefoon of aan de balie helpen.'),
    opts.devLogin ? demoNotice('U logt in als een verzonnen medewerker. Alle zaken, namen en nummers zijn verzonnen.') : null,
    feedback,
    ...sections,
    h('p', { class: 'utrecht-paragraph' }, navLink('/inloggen', 'Inloggen als burger')));
}

// Why a sign-in failed: the service's reden (h_auth.c, fixed slugs) and
// kind (soort). Every text says what happened and what to do now.
const FAILURES = {
  cancelled: (p) => ({
    title: 'U heeft het inloggen afgebroken',
    lead: `U heeft het inloggen bij ${p.op} geannuleerd. U bent niet ingelogd.`,
    text: 'Wilt u toch verder? Log dan opnieuw in.',
  }),
  acr_too_low: (p) => ({
    title: 'Deze manier van inloggen is niet veilig genoeg',
    lead: p.pro
      ? 'Uw organisatie heeft u ingelogd op een betrouwbaarheidsniveau dat voor MijnZaken te laag is.'
      : 'Voor MijnZaken heeft u DigiD nodig met het betrouwbaarheidsniveau Substantieel of Hoog.',
    text: p.pro
      ? 'Log opnieuw in met een sterkere methode (bijvoorbeeld met een tweede factor). Lukt dat niet? Neem contact op met de beheerder van uw organisatie.'
      : 'Log opnieuw in met de DigiD app met identiteitscheck, of met uw identiteitskaart. Met alleen een gebruikersnaam en wachtwoord, of met sms-controle, kunt u hier niet inloggen.',
  }),
  no_access: (p) => ({
    title: 'U heeft geen toegang tot MijnZaken',
    lead: p.pro
      ? 'U bent ingelogd bij uw organisatie, maar uw account heeft geen rol voor MijnZaken.'
      : 'Wij hebben van DigiD niet de gegevens gekregen die nodig zijn om uw zaken te laten zien.',
    text: p.pro
      ? 'Vraag de beheerder van uw organisatie om u toegang te geven tot MijnZaken. Daarna kunt u opnieuw inloggen.'
      : 'Probeer het opnieuw. Logt u in voor iemand anders? Controleer dan bij DigiD Machtigen of uw machtiging nog geldt. Gaat het steeds mis? Neem dan contact met ons op.',
  }),
  expired_state: () => ({
    title: 'Het inloggen is verlopen',
    lead: 'Het inloggen duurde te lang, of is in een ander venster begonnen. U bent niet ingelogd.',
    text: 'Log opnieuw in. Doe dat in één venster en binnen tien minuten.',
  }),
  op_unavailable: (p) => ({
    title: `${p.opTitle} is nu niet bereikbaar`,
    lead: `Het lukt op dit moment niet om in te loggen, omdat ${p.op} niet reageert. Dit ligt niet aan u.`,
    text: 'Probeer het over een paar minuten opnieuw.',
    tone: 'warning',
  }),
  invalid_response: (p) => ({
    title: 'Inloggen is niet gelukt',
    lead: `Wij kregen een antwoord van ${p.op} dat wij niet konden controleren. Daarom bent u voor de zekerheid niet ingelogd. Dit ligt niet aan u.`,
    text: 'Probeer het opnieuw. Blijft het misgaan? Probeer het later nog eens.',
    tone: 'warning',
  }),
  op_error: (p) => ({
    title: 'Inloggen is niet gelukt',
    lead: `${p.opTitle} meldde een fout bij het inloggen. U bent niet ingelogd.`,
    text: 'Probeer het opnieuw. Blijft het misgaan? Probeer het later nog eens.',
    tone: 'warning',
  }),
  service_error: () => ({
    title: 'Inloggen is niet gelukt',
    lead: 'Door een fout bij ons kunt u nu niet inloggen. Dit ligt niet aan u.',
    text: 'Probeer het over een paar minuten opnieuw.',
    tone: 'warning',
  }),
};

/** /inloggen/mislukt?reden=<code>&soort=<citizen|professional> */
export function signinFailedView(ctx) {
  const pro = ctx.query.get('soort') === 'professional';
  const p = { pro, op: pro ? 'uw organisatie' : 'DigiD', opTitle: pro ? 'Het inloggen van uw organisatie' : 'DigiD' };
  const make = FAILURES[ctx.query.get('reden')] || FAILURES.invalid_response;
  const f = make(p);
  ctx.title(f.title);
  const again = pro ? '/inloggen/medewerker' : '/inloggen';
  ctx.show(h('section', { class: ['mz-message', `mz-message--${f.tone || 'info'}`] },
    h('div', { class: 'mz-message__icon' }, icon(f.tone === 'warning' ? 'warning' : 'lock')),
    h('div', { class: 'mz-message__body' },
      pageTitle(f.title),
      lead(f.lead),
      para(f.text),
      h('div', { class: 'mz-actions' }, buttonLink(again, 'Opnieuw inloggen', { nav: true })))));
}

function benefit(iconName, title, text) {
  return h('li', { class: 'mz-benefits__item' },
    h('span', { class: 'mz-benefits__icon' }, icon(iconName)),
    h('span', null, h('strong', { class: 'mz-benefits__title' }, title), h('span', { class: 'mz-benefits__text' }, text)));
}

export { homeFor };
