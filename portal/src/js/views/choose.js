// /machtigingen: a representative whose sign-in carries several
// authorisations (a bewindvoerder, a mentor, a family member for more than
// one person) chooses whose cases to see. The service lists them masked
// ("BSN ••••••019", never the number) and switches the session with
// PUT /api/v1/session/representation (cookie only; the browser adds the
// Origin header the service checks); every read after that is logged under
// the chosen person and the representative.
import { api, ApiError } from '../api.js';
import { alert, button, lead, pageTitle, para } from '../components.js';
import { h, id } from '../dom.js';
import { choices, chosen, setSession } from '../session.js';

/** How a screen reader says a masked label: "burgerservicenummer eindigend op 019". */
function spoken(c) {
  const digits = String(c.label || '').replace(/[^0-9]/g, '');
  return `${c.kind === 'kvk' ? 'KVK-nummer' : 'burgerservicenummer'} eindigend op ${digits.split('').join(' ')}`;
}

function scopeText(c) {
  const names = Array.isArray(c.agencyNames) ? c.agencyNames : Array.isArray(c.agencies) ? c.agencies : null;
  if (!names) return 'Uw machtiging geldt voor de zaken bij alle organisaties.';
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} en ${names[names.length - 1]}` : names[0];
  return `Uw machtiging geldt alleen voor de zaken bij ${list}.`;
}

export async function chooseView(ctx) {
  const title = 'Voor wie wilt u de zaken bekijken?';
  ctx.title(title);
  const list = choices();
  const current = chosen();
  const feedback = h('div', { class: 'mz-login__feedback' });
  const radios = list.map((c, i) => {
    const rid = id('machtiging');
    const did = id('omschrijving');
    const checked = current === null ? i === 0 : c.index === current;
    return h('div', { class: 'utrecht-form-field utrecht-form-field--radio mz-choice' },
      h('div', { class: 'utrecht-form-field__input' },
        h('input', { class: 'utrecht-radio-button utrecht-radio-button--html-input', type: 'radio', name: 'choice', id: rid, value: String(c.index), checked, 'aria-describedby': did })),
      h('div', { class: 'utrecht-form-field__label' },
        h('label', { class: 'utrecht-form-label utrecht-form-label--radio mz-choice__label', for: rid },
          h('span', { class: 'mz-choice__name', 'aria-hidden': 'true' }, c.label),
          h('span', { class: 'mz-visually-hidden' }, spoken(c)),
          current === c.index ? h('span', { class: 'mz-choice__bsn' }, ' (nu gekozen)') : null)),
      h('div', { class: 'utrecht-form-field__description utrecht-form-field-description', id: did }, scopeText(c)));
  });
  const submit = button('Bekijk de zaken', { type: 'submit', iconName: 'folder' });
  const form = h('form', {
    class: 'utrecht-form mz-login__form', novalidate: true,
    async onsubmit(ev) {
      ev.preventDefault();
      const picked = form.querySelector('input[name="choice"]:checked');
      if (!picked) return;
      submit.disabled = true;
      feedback.replaceChildren();
      try {
        const s = await api('/api/v1/session/representation', { method: 'PUT', body: { choice: Number(picked.value) } });
        setSession(s);
        ctx.navigate('/zaken');
      } catch (e) {
        submit.disabled = false;
        if (e instanceof ApiError && e.status === 401) return ctx.sessionEnded();
        feedback.replaceChildren(alert('error', 'Kiezen is niet gelukt',
          para(e instanceof ApiError && (e.status === 0 || e.status >= 500)
            ? 'MijnZaken is op dit moment niet bereikbaar. Probeer het over een paar minuten opnieuw.'
            : 'Er ging iets mis. Log opnieuw in en probeer het nog eens.')));
        feedback.querySelector('.utrecht-alert')?.setAttribute('tabindex', '-1');
        feedback.querySelector('.utrecht-alert')?.focus();
      }
    },
  },
  h('fieldset', { class: 'utrecht-form-fieldset utrecht-form-fieldset--html-fieldset mz-fieldset' },
    h('legend', { class: 'utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend mz-legend' }, 'U bent gemachtigd voor'),
    ...radios),
  h('div', { class: 'mz-actions' }, submit));
  ctx.show(
    pageTitle(title),
    lead('U bent ingelogd als gemachtigde van meer dan één persoon of organisatie. Kies van wie u de zaken wilt bekijken. U kunt later wisselen.'),
    para('Wij tonen alleen de laatste cijfers van het nummer. Elke keer dat u zaken bekijkt, wordt vastgelegd; de persoon of organisatie voor wie u dit doet, kan zien dat een gemachtigde heeft gekeken.'),
    feedback,
    list.length ? form : alert('info', 'Geen machtigingen', para('Uw inlog bevat geen machtigingen om uit te kiezen.')));
}
