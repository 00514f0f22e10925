// The professional's case page (issue 17): "Contact vastleggen" records a
// contact moment with the citizen of the last search about this case;
// "Overdragen aan …" hands it over to the organisation that handles the
// case, with a call-back when the citizen wants one. Both POST
// /api/v1/contact-moments (the BSN only in the body); the service validates
// everything and names the field it refuses.
import { api, ApiError } from '../api.js';
import { announce, h, id } from '../dom.js';
import { alert, button, heading, navLink, para } from '../components.js';

const CHANNELS = [['phone', 'Telefoon'], ['desk', 'Balie'], ['chat', 'Chat'], ['email', 'E-mail'], ['letter', 'Brief']];
// The service's field names, as the form's labels say them.
const FIELD = {
  channel: 'Kanaal', topic: 'Onderwerp', summary: 'Samenvatting', answered: 'Vraag beantwoord',
  'handover.question': 'Vraag aan de organisatie', 'handover.callbackNumber': 'Telefoonnummer voor terugbellen',
  'handover.agencyId': 'Organisatie', caseId: 'Zaak',
};

function field(label, control, hint) {
  const hintId = hint ? id('hint') : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'utrecht-form-field mz-field' },
    h('div', { class: 'utrecht-form-field__label' }, h('label', { class: 'utrecht-form-label', for: control.id }, label)),
    hint ? h('div', { class: 'utrecht-form-field__description utrecht-form-field-description', id: hintId }, hint) : null,
    h('div', { class: 'utrecht-form-field__input' }, control));
}

function textbox(name, { max, type = 'text', multiline = false } = {}) {
  return multiline
    ? h('textarea', { class: 'utrecht-textarea utrecht-textarea--html-textarea mz-textarea', id: id(name), name, maxlength: String(max), rows: '4', required: true })
    : h('input', { class: 'utrecht-textbox utrecht-textbox--html-input', id: id(name), name, type, maxlength: String(max), autocomplete: 'off', required: true });
}

function channelSelect() {
  return h('select', { class: 'utrecht-select utrecht-select--html-select', id: id('kanaal'), name: 'channel' },
    CHANNELS.map(([v, t]) => h('option', { value: v }, t)));
}

function checkbox(name, label) {
  const cid = id(name);
  const input = h('input', { class: 'utrecht-checkbox utrecht-checkbox--html-input', type: 'checkbox', id: cid, name });
  return { input, el: h('div', { class: 'utrecht-form-field utrecht-form-field--checkbox mz-field mz-check' },
    h('div', { class: 'utrecht-form-field__input' }, input),
    h('div', { class: 'utrecht-form-field__label' }, h('label', { class: 'utrecht-form-label utrecht-form-label--checkbox', for: cid }, label))) };
}

/** One form: the shared fields, extra fields, and what to send. */
function contactForm(ctx, { title, submitText, subject, caseId, extra = [], body, done }) {
  const hid = id('form');
  const status = h('div', { class: 'mz-form-status' });
  const channel = channelSelect();
  const topic = textbox('onderwerp', { max: 200 });
  const summary = textbox('samenvatting', { max: 2000, multiline: true });
  const submit = button(submitText, { type: 'submit' });
  const form = h('form', { class: 'mz-form mz-contact-form', novalidate: true, 'aria-labelledby': hid },
    field('Kanaal', channel),
    field('Onderwerp', topic),
    field('Samenvatting', summary, 'Korte, zakelijke notitie voor de volgende medewerker (hoogstens 2000 tekens). De burger ziet deze notitie niet.'),
    ...extra,
    h('div', { class: 'mz-actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    const missing = [];
    if (!topic.value.trim()) missing.push('Onderwerp');
    if (!summary.value.trim()) missing.push('Samenvatting');
    const own = body.check ? body.check() : [];
    missing.push(...own);
    if (missing.length) {
      const box = alert('error', 'Controleer het formulier', para(`Vul in: ${missing.join(', ')}.`));
      box.setAttribute('tabindex', '-1');
      status.append(box);
      box.focus();
      return;
    }
    submit.disabled = true;
    try {
      const res = await api('/api/v1/contact-moments', {
        method: 'POST',
        body: { bsn: subject.bsn, purpose: subject.purpose, caseId, channel: channel.value, topic: topic.value, summary: summary.value, ...body.fields() },
      });
      form.reset();
      const box = alert('ok', done(res));
      box.setAttribute('tabindex', '-1');
      status.append(box);
      box.focus();
      announce(done(res));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return ctx.sessionEnded();
      const detail = String(e?.problem?.detail || '');
      const f = detail.split(':')[0];
      const text = f === 'handover.agencyId'
        ? 'Deze organisatie neemt (nog) geen overdrachten aan via MijnZaken. Verwijs de burger naar de lijn van de organisatie.'
        : FIELD[f] ? `${FIELD[f]}: ${detail.slice(f.length + 1).trim()}` : detail;
      const box = e instanceof ApiError && e.status === 400
        ? alert('error', 'Niet vastgelegd', para(text))
        : alert('warning', 'Niet vastgelegd', para('Het vastleggen is nu niet gelukt. Probeer het over een paar minuten opnieuw.'));
      box.setAttribute('tabindex', '-1');
      status.append(box);
      box.focus();
    } finally {
      submit.disabled = false;
    }
  });
  return h('section', { class: 'mz-panel mz-section mz-contact-form__panel', 'aria-labelledby': hid },
    heading(2, title, { id: hid }), status, form);
}

/** Both forms for the case c, or a pointer back to the search. */
export function contactForms(ctx, c, subject) {
  const agency = c.agency?.name || 'de organisatie';
  if (!subject) {
    return h('section', { class: 'mz-panel mz-section', 'aria-labelledby': 'contact-vastleggen' },
      heading(2, 'Contact vastleggen', { id: 'contact-vastleggen' }),
      para('Zoek de burger opnieuw op om contact vast te leggen of over te dragen. ', navLink('/medewerker', 'Naar zoeken')));
  }
  const answered = checkbox('beantwoord', 'De vraag is beantwoord');
  const record = contactForm(ctx, {
    title: 'Contact vastleggen', submitText: 'Contact vastleggen', subject, caseId: c.id,
    extra: [answered.el],
    body: { fields: () => ({ answered: answered.input.checked }) },
    done: () => 'Het contact is vastgelegd.',
  });
  const question = textbox('vraag', { max: 2000, multiline: true });
  const callback = checkbox('terugbellen', 'De burger wil teruggebeld worden');
  const number = textbox('telefoon', { max: 40, type: 'tel' });
  number.required = false;
  const numberField = field('Telefoonnummer voor terugbellen', number, 'Het nummer dat de burger heeft bevestigd, bijvoorbeeld 06 12345678.');
  numberField.hidden = true;
  callback.input.addEventListener('change', () => { numberField.hidden = !callback.input.checked; });
  const handover = contactForm(ctx, {
    title: `Overdragen aan ${agency}`, submitText: `Overdragen aan ${agency}`, subject, caseId: c.id,
    extra: [field(`Vraag aan ${agency}`, question), callback.el, numberField],
    body: {
      check: () => [
        ...(question.value.trim() ? [] : [`Vraag aan ${agency}`]),
        ...(callback.input.checked && !number.value.trim() ? ['Telefoonnummer voor terugbellen'] : []),
      ],
      fields: () => ({
        answered: false,
        handover: {
          agencyId: c.agency?.id, question: question.value, callback: callback.input.checked,
          ...(callback.input.checked ? { callbackNumber: number.value } : {}),
        },
      }),
    },
    done: () => `Overgedragen aan ${agency}. ${agency} krijgt de vraag nu binnen.`,
  });
  handover.addEventListener('reset', () => { numberField.hidden = true; }, true);
  return h('div', { class: 'mz-contact-forms' }, record, handover);
}
