// The demo login. It stands in for DigiD (citizens) and the organisation's
// own login (professionals) and exists only when the service runs in
// development mode.
import { api, ApiError } from '../api.js';
import { h, icon, id } from '../dom.js';
import { alert, button, heading, lead, pageTitle, para } from '../components.js';
import { homeFor, role, startSession, takeReturn } from '../session.js';

const CITIZENS = [
  { bsn: '999993653', name: 'Demoburger 1', hint: 'Zaken bij vier organisaties, waaronder één waarvoor u iets moet doen' },
  { bsn: '999990019', name: 'Demoburger 2', hint: 'Onder meer een opgeschorte en een ingetrokken aanvraag' },
  { bsn: '999990032', name: 'Demoburger 3', hint: 'Onder meer een vergunning waarvoor een aanvulling nodig is' },
];

export function loginView(ctx) {
  ctx.title('Inloggen');
  const feedback = h('div', { class: 'mz-login__feedback' });

  async function login(body, submitButton) {
    feedback.replaceChildren();
    submitButton.disabled = true;
    submitButton.classList.add('utrecht-button--busy');
    submitButton.setAttribute('aria-disabled', 'true');
    try {
      const res = await api('/api/v1/dev/login', { method: 'POST', body, auth: false });
      startSession(res.token, res.expiresIn);
      const r = role();
      let target = takeReturn();
      const fits = target && (r === 'professional' ? target.startsWith('/medewerker') : !target.startsWith('/medewerker'));
      if (!fits || target.startsWith('/inloggen') || target.startsWith('/sessie-verlopen')) target = homeFor(r);
      ctx.navigate(target, { replace: true });
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

  // Citizens: choose one of the demo citizens.
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
  const citizenSubmit = button('Inloggen als burger', { type: 'submit' });
  const citizenForm = h('form', {
    class: 'utrecht-form mz-login__form', novalidate: true,
    onsubmit(ev) {
      ev.preventDefault();
      const chosen = citizenForm.querySelector('input[name="bsn"]:checked');
      if (!chosen) return;
      login({ bsn: chosen.value }, citizenSubmit);
    },
  },
  h('fieldset', { class: 'utrecht-form-fieldset utrecht-form-fieldset--html-fieldset mz-fieldset' },
    h('legend', { class: 'utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend mz-legend', id: legendId }, 'Kies een demoburger'),
    ...radios),
  h('div', { class: 'mz-actions' }, citizenSubmit));

  const proSubmit = button('Inloggen als medewerker KCC', { type: 'submit', primary: false });
  const proForm = h('form', {
    class: 'utrecht-form', novalidate: true,
    onsubmit(ev) {
      ev.preventDefault();
      login({ role: 'professional' }, proSubmit);
    },
  }, h('div', { class: 'mz-actions' }, proSubmit));

  const notices = [];
  if (ctx.query.get('uitgelogd')) notices.push(alert('ok', 'U bent uitgelogd', para('Gebruikt u een computer die ook anderen gebruiken? Sluit dan ook uw browser.')));
  if (ctx.query.get('inloggen')) notices.push(alert('info', 'Log eerst in', para('Om deze pagina te bekijken moet u ingelogd zijn.')));

  ctx.show(
    pageTitle('Inloggen bij MijnZaken'),
    ...notices,
    lead('Bekijk in één overzicht hoe het staat met uw aanvragen, meldingen en andere zaken bij de gemeente, UWV, DUO en Dienst Toeslagen.'),
    h('div', { class: 'mz-layout' },
      h('div', { class: 'mz-layout__main' },
        h('div', { class: 'mz-demo-notice', role: 'note' },
          h('div', { class: 'mz-demo-notice__icon' }, icon('info')),
          h('div', null,
            h('p', { class: 'mz-demo-notice__title' }, 'Dit is een demonstratie'),
            para('U logt hier niet in met DigiD. U kiest een verzonnen burger of medewerker. Alle zaken, namen en nummers zijn verzonnen.'))),
        feedback,
        h('section', { class: 'mz-panel', 'aria-labelledby': 'login-burger' },
          heading(2, 'Inloggen als burger', { id: 'login-burger' }),
          para('In het echt logt u hier in met DigiD.'),
          citizenForm),
        h('section', { class: 'mz-panel mz-panel--quiet', 'aria-labelledby': 'login-medewerker' },
          heading(2, 'Inloggen als medewerker', { id: 'login-medewerker' }),
          para('Voor medewerkers van een klantcontactcentrum (KCC) die een burger aan de telefoon of aan de balie helpen. Elke keer dat u zaken van een burger opzoekt, wordt dat vastgelegd.'),
          proForm)),
      h('aside', { class: 'mz-layout__aside', 'aria-labelledby': 'wat-kunt-u' },
        h('section', { class: 'mz-panel mz-benefits' },
          h('h2', { class: 'utrecht-heading-3', id: 'wat-kunt-u' }, 'In MijnZaken ziet u'),
          h('ul', { class: 'mz-benefits__list' },
            benefit('folder', 'Al uw zaken op één plek', 'Bij de gemeente, UWV, DUO en Dienst Toeslagen.'),
            benefit('warning', 'Wat u nog moet doen', 'En uiterlijk wanneer, met een link naar de organisatie.'),
            benefit('clock', 'Wanneer u een besluit kunt verwachten', 'Met de wettelijke termijn erbij.'),
            benefit('eye', 'Wie uw gegevens heeft bekeken', 'Welke organisatie, wanneer en waarom.'))))));
}

function benefit(iconName, title, text) {
  return h('li', { class: 'mz-benefits__item' },
    h('span', { class: 'mz-benefits__icon' }, icon(iconName)),
    h('span', null, h('strong', { class: 'mz-benefits__title' }, title), h('span', { class: 'mz-benefits__text' }, text)));
}
