// "Berichten over uw zaken": how the citizen wants to be told about changes
// (GET|PUT|DELETE /api/v1/me/notification-preferences, POST .../verify).
//
// The service shows addresses only masked (j***@voorbeeld.nl), so the form
// never fills them in: an empty field keeps the stored address (the PUT
// leaves the member out), a filled-in one replaces it and gets a new code.
// After each change the page is drawn anew from the service's answer, with
// a message at the top that takes the focus. A refusal (400) names the
// field in its detail: the Dutch message goes next to that field
// (aria-describedby) and the focus to the field.
import { ApiError, api } from '../api.js';
import { alert, button, heading, lead, para, pageTitle } from '../components.js';
import { announce, h, icon, id } from '../dom.js';
import { representative } from '../session.js';

const PATH = '/api/v1/me/notification-preferences';

// Dutch, per field the service names in a 400's detail ("field 'x': ...").
function fieldMessage(field, detail) {
  const d = String(detail || '');
  switch (field) {
    case 'email':
      return 'Dit is geen geldig e-mailadres. Een e-mailadres ziet eruit als naam@voorbeeld.nl.';
    case 'phone':
      return 'Dit is geen Nederlands mobiel nummer. Een mobiel nummer begint met 06 of +31 6, bijvoorbeeld 06 12345678.';
    case 'channels.email':
      return 'Vul een e-mailadres in als u berichten per e-mail wilt krijgen.';
    case 'channels.sms':
      return 'Vul een mobiel nummer in als u berichten per sms wilt krijgen.';
    case 'code':
      if (/too many/.test(d)) return 'U heeft te vaak een verkeerde code ingevuld. Vraag hieronder een nieuwe code aan.';
      if (/expired/.test(d)) return 'De code is verlopen. Een code is 15 minuten geldig. Vraag hieronder een nieuwe code aan.';
      if (/no code/.test(d)) return 'Er wacht geen code meer. Vraag hieronder een nieuwe code aan.';
      if (/6 digits/.test(d)) return 'De code bestaat uit 6 cijfers.';
      return 'Deze code klopt niet. Controleer de code in het bericht en probeer het opnieuw.';
    default:
      return 'Dit is niet gelukt. Controleer wat u heeft ingevuld.';
  }
}

/** The field a 400 names ("field 'channels.sms': ..."), or null. */
function problemField(e) {
  const m = /^field '([a-zA-Z.]+)'/.exec(String(e?.problem?.detail || ''));
  return m ? m[1] : null;
}

function textField({ fid, label, hint, type, autocomplete, inputmode, maxlength }) {
  const hintId = `${fid}-uitleg`;
  const errId = `${fid}-fout`;
  const input = h('input', {
    class: 'utrecht-textbox utrecht-textbox--html-input mz-notify__input', id: fid, name: fid, type,
    autocomplete, inputmode, spellcheck: 'false', maxlength, 'aria-describedby': hintId,
  });
  const error = h('p', { class: 'utrecht-form-field-error-message mz-field-error', id: errId, hidden: true });
  const field = h('div', { class: 'utrecht-form-field utrecht-form-field--text mz-field' },
    h('div', { class: 'utrecht-form-field__label' }, h('label', { class: 'utrecht-form-label', for: fid }, label)),
    h('div', { class: 'utrecht-form-field__description utrecht-form-field-description', id: hintId }, hint),
    error,
    h('div', { class: 'utrecht-form-field__input' }, input));
  function setError(message) {
    error.textContent = message || '';
    error.hidden = !message;
    field.classList.toggle('utrecht-form-field--invalid', Boolean(message));
    input.classList.toggle('utrecht-textbox--invalid', Boolean(message));
    if (message) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', `${errId} ${hintId}`);
    } else {
      input.removeAttribute('aria-invalid');
      input.setAttribute('aria-describedby', hintId);
    }
  }
  return { field, input, setError };
}

function checkbox(cid, label, checked, description) {
  const descId = description ? `${cid}-uitleg` : null;
  return h('div', { class: 'utrecht-form-field utrecht-form-field--checkbox mz-choice mz-notify__check' },
    h('div', { class: 'utrecht-form-field__input' },
      h('input', { class: 'utrecht-checkbox utrecht-checkbox--html-input mz-checkbox', type: 'checkbox', id: cid, name: cid, checked, 'aria-describedby': descId })),
    h('div', { class: 'utrecht-form-field__label' },
      h('label', { class: 'utrecht-form-label utrecht-form-label--checkbox', for: cid }, label),
      description ? h('p', { class: 'utrecht-form-field__description', id: descId }, description) : null));
}

function statusText(address, verified) {
  if (!address) return 'Niet ingevuld';
  return verified ? 'Bevestigd' : 'Nog niet bevestigd';
}

export async function notificationsView(ctx) {
  ctx.title('Berichten over uw zaken');
  // A representative never sees or sets where the represented person's
  // messages go (the service answers 403; docs/security.md "Notifications").
  const notYours = () => ctx.show(pageTitle('Berichten over uw zaken'),
    alert('info', 'Dit kan alleen de persoon zelf instellen',
      para('U bekijkt de zaken van iemand anders als gemachtigde. Waar die persoon berichten over de zaken krijgt, kiest die persoon zelf. Wilt u zelf berichten krijgen over uw eigen zaken? Log dan in voor uzelf.')));
  if (representative()) {
    notYours();
    return;
  }
  let prefs;
  try {
    prefs = await api(PATH);
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) {
      notYours();
      return;
    }
    if (!(e instanceof ApiError) || e.status !== 503) throw e;
    ctx.show(pageTitle('Berichten over uw zaken'),
      alert('warning', 'Berichten zijn nu niet beschikbaar',
        para('U kunt op dit moment niet instellen dat u berichten krijgt. Probeer het later opnieuw. Uw zaken kunt u wel bekijken.')));
    return;
  }
  draw(ctx, prefs, null);
}

// flash: { kind, title, text } shown at the top and focused, or null.
function draw(ctx, prefs, flash) {
  const has = { email: Boolean(prefs.email), sms: Boolean(prefs.phone) };
  const nothing = !has.email && !has.sms;

  const top = flash ? alert(flash.kind, flash.title, para(flash.text)) : null;
  if (top) {
    top.classList.add('mz-notify__flash');
    top.setAttribute('tabindex', '-1');
    top.setAttribute('role', flash.kind === 'error' ? 'alert' : 'status');
  }

  // --- what is stored now
  const rows = [
    ['E-mailadres', prefs.email || 'Niet ingevuld', prefs.email ? statusText(prefs.email, prefs.verified?.email) : null],
    ['Mobiel nummer', prefs.phone || 'Niet ingevuld', prefs.phone ? statusText(prefs.phone, prefs.verified?.sms) : null],
    ['Berichten per', [prefs.channels?.email ? 'e-mail' : null, prefs.channels?.sms ? 'sms' : null].filter(Boolean).join(' en ') || 'Geen: u krijgt geen berichten'],
  ];
  const current = h('section', { class: 'mz-panel mz-notify__current', 'aria-labelledby': 'nu-ingesteld' },
    heading(2, 'Wat nu is ingesteld', { id: 'nu-ingesteld' }),
    h('dl', { class: 'utrecht-data-list mz-notify__list' },
      rows.map(([k, v, state]) => h('div', { class: 'utrecht-data-list__item mz-notify__row' },
        h('dt', { class: 'utrecht-data-list__item-key' }, k),
        h('dd', { class: 'utrecht-data-list__item-value' }, h('span', { class: 'mz-notify__value' }, v),
          state ? h('span', { class: ['mz-notify__state', state === 'Bevestigd' ? 'mz-notify__state--ok' : 'mz-notify__state--todo'] },
            icon(state === 'Bevestigd' ? 'check' : 'clock'), state) : null)))),
    nothing ? para('U heeft nog geen e-mailadres of mobiel nummer ingevuld. Vul hieronder in waar u berichten wilt krijgen.') : null);

  // --- codes to enter, one per unverified address
  const verify = ['email', 'sms']
    .filter((ch) => has[ch] && !prefs.verified?.[ch])
    .map((ch) => verifyForm(ctx, prefs, ch));

  ctx.show(
    pageTitle('Berichten over uw zaken'),
    top,
    lead('Wilt u bericht krijgen als er iets verandert in uw zaken? Kies hier hoe u dat wilt: per e-mail, per sms, of allebei.'),
    para('In het bericht staat alleen bij welke organisatie er nieuws is. Wat er in uw zaak staat, leest u na het inloggen in MijnZaken. In een bericht van ons staat nooit een link waarmee u meteen bent ingelogd.'),
    current,
    verify,
    settingsForm(ctx, prefs),
    nothing && !prefs.channels?.email && !prefs.channels?.sms ? null : deletePanel(ctx));
  if (top) {
    top.focus();
    announce(flash.title);
  }
}

function verifyForm(ctx, prefs, channel) {
  const where = channel === 'email' ? prefs.email : prefs.phone;
  const what = channel === 'email' ? 'e-mailadres' : 'mobiele nummer';
  const fid = channel === 'email' ? 'code-email' : 'code-sms';
  const hid = id('bevestigen');
  const f = textField({
    fid, label: 'Code van 6 cijfers', type: 'text', autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: '6',
    hint: `U vindt de code in het bericht dat wij naar ${where} hebben gestuurd. De code is 15 minuten geldig. U kunt het 5 keer proberen.`,
  });
  const submit = button('Bevestigen', { type: 'submit' });
  async function onSubmit(ev) {
    ev.preventDefault();
    const code = f.input.value.replace(/\s/g, '');
    if (!/^[0-9]{6}$/.test(code)) {
      f.setError(code ? 'De code bestaat uit 6 cijfers.' : 'Vul de code in.');
      f.input.focus();
      return;
    }
    submit.disabled = true;
    try {
      const next = await api(`${PATH}/verify`, { method: 'POST', body: { channel, code } });
      if (!ctx.current()) return;
      draw(ctx, next, { kind: 'ok', title: `Uw ${what} is bevestigd`, text: `Wij sturen berichten over uw zaken nu ook naar ${where}, als u dat heeft gekozen.` });
    } catch (e) {
      submit.disabled = false;
      if (!handleFieldError(ctx, e, { code: f })) failed(ctx, prefs, e);
    }
  }
  return h('section', { class: 'mz-panel mz-notify__verify', 'aria-labelledby': hid },
    heading(2, channel === 'email' ? 'Bevestig uw e-mailadres' : 'Bevestig uw mobiele nummer', { id: hid }),
    para(`Wij gebruiken uw ${what} pas als u het heeft bevestigd.`),
    h('form', { class: 'utrecht-form mz-notify__form', novalidate: true, onsubmit: onSubmit }, f.field, h('div', { class: 'mz-actions' }, submit)),
    para(`Geen code gekregen, of is de code verlopen? Vul uw ${what} hieronder opnieuw in en kies "Opslaan". U krijgt dan een nieuwe code.`));
}

/** A 400 naming one of fields: its message next to the field, focus there. */
function handleFieldError(ctx, e, fields) {
  if (!(e instanceof ApiError)) return false;
  if (e.status === 401) {
    ctx.sessionEnded();
    return true;
  }
  if (e.status !== 400) return false;
  const name = problemField(e);
  const target = fields[name] || Object.values(fields)[0];
  for (const f of Object.values(fields)) f.setError(null);
  target.setError(fieldMessage(name, e.problem?.detail));
  target.input.focus();
  return true;
}

/** Anything else (the service unreachable, a bug): said at the top, in Dutch. */
function failed(ctx, prefs, e) {
  if (!(e instanceof ApiError)) console.error(e); // a bug in the portal: keep it visible to developers
  draw(ctx, prefs, {
    kind: 'error',
    title: 'Dit is niet gelukt',
    text: 'MijnZaken is op dit moment niet bereikbaar. Er is niets veranderd. Probeer het over een paar minuten opnieuw.',
  });
}

function settingsForm(ctx, prefs) {
  const hid = id('wijzigen');
  const email = textField({
    fid: 'email', label: 'E-mailadres', type: 'email', autocomplete: 'email', maxlength: '254',
    hint: prefs.email
      ? `Nu: ${prefs.email}. Laat dit leeg als u het niet wilt veranderen.`
      : 'Bijvoorbeeld naam@voorbeeld.nl.',
  });
  const phone = textField({
    fid: 'mobiel', label: 'Mobiel nummer', type: 'tel', autocomplete: 'tel', inputmode: 'tel', maxlength: '32',
    hint: prefs.phone
      ? `Nu: ${prefs.phone}. Laat dit leeg als u het niet wilt veranderen.`
      : 'Een Nederlands mobiel nummer, bijvoorbeeld 06 12345678.',
  });
  const chEmail = checkbox('kanaal-email', 'Per e-mail', Boolean(prefs.channels?.email));
  const chSms = checkbox('kanaal-sms', 'Per sms', Boolean(prefs.channels?.sms),
    'Een sms sturen wij alleen tussen 8.00 en 21.00 uur.');
  const channelsErr = h('p', { class: 'utrecht-form-field-error-message mz-field-error', id: 'kanalen-fout', hidden: true });
  const channelSet = h('fieldset', { class: 'utrecht-form-fieldset utrecht-form-fieldset--html-fieldset mz-fieldset', id: 'kanalen' },
    h('legend', { class: 'utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend mz-legend' }, 'Hoe wilt u berichten krijgen?'),
    channelsErr, chEmail, chSms);
  // The channel errors ("needs an address") belong to the address field.
  const fields = {
    email, phone, 'channels.email': email, 'channels.sms': phone,
  };
  const removeEmail = prefs.email ? checkbox('email-weg', 'Mijn e-mailadres verwijderen', false) : null;
  const removePhone = prefs.phone ? checkbox('mobiel-weg', 'Mijn mobiele nummer verwijderen', false) : null;

  const evStatus = checkbox('onderwerp-status', 'Er is iets veranderd in uw zaak', prefs.events?.statusChange !== false,
    'Bijvoorbeeld: uw aanvraag is ontvangen of wordt behandeld.');
  const evDecision = checkbox('onderwerp-besluit', 'Er is een besluit genomen', prefs.events?.decision !== false,
    'De organisatie heeft beslist over uw aanvraag.');
  const always = h('div', { class: 'mz-choice mz-notify__always', id: 'onderwerp-actie' },
    h('p', { class: 'mz-notify__always-title' }, icon('check'), h('span', null, 'Er is een actie van u nodig'), h('span', { class: 'mz-notify__badge' }, 'Altijd aan')),
    h('p', { class: 'utrecht-form-field__description' },
      'Bijvoorbeeld: u moet nog iets opsturen. Dit bericht kunt u niet uitzetten. Mist u het, dan kunt u een recht verliezen. U krijgt het ook een paar dagen voor de uiterste datum. U kiest wel zelf of u het per e-mail of per sms krijgt.'));
  const eventSet = h('fieldset', { class: 'utrecht-form-fieldset utrecht-form-fieldset--html-fieldset mz-fieldset', id: 'onderwerpen' },
    h('legend', { class: 'utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend mz-legend' }, 'Waarover wilt u een bericht?'),
    always, evStatus, evDecision);

  const submit = button('Opslaan', { type: 'submit' });
  async function onSubmit(ev) {
    ev.preventDefault();
    const q = (sel) => form.querySelector(sel)?.checked === true;
    const body = {
      channels: { email: q('#kanaal-email'), sms: q('#kanaal-sms') },
      events: { statusChange: q('#onderwerp-status'), actionRequired: true, decision: q('#onderwerp-besluit') },
    };
    const e = email.input.value.trim();
    const p = phone.input.value.trim();
    if (e) body.email = e;
    else if (q('#email-weg')) body.email = null;
    if (p) body.phone = p;
    else if (q('#mobiel-weg')) body.phone = null;
    email.setError(null);
    phone.setError(null);
    submit.disabled = true;
    try {
      const next = await api(PATH, { method: 'PUT', body });
      if (!ctx.current()) return;
      const sent = [e ? 'uw e-mailadres' : null, p ? 'uw mobiele nummer' : null].filter(Boolean);
      draw(ctx, next, {
        kind: 'ok',
        title: 'Uw keuzes zijn opgeslagen',
        text: sent.length
          ? `Wij hebben een code van 6 cijfers gestuurd naar ${sent.join(' en ')}. Vul die code hieronder in om het te bevestigen.`
          : 'U krijgt berichten zoals u hierboven ziet.',
      });
    } catch (err) {
      submit.disabled = false;
      if (!handleFieldError(ctx, err, fields)) failed(ctx, prefs, err);
    }
  }
  const form = h('form', { class: 'utrecht-form mz-notify__form', novalidate: true, onsubmit: onSubmit },
    channelSet,
    email.field, removeEmail,
    phone.field, removePhone,
    eventSet,
    h('div', { class: 'mz-actions' }, submit));
  return h('section', { class: 'mz-panel mz-notify__settings', 'aria-labelledby': hid },
    heading(2, prefs.email || prefs.phone ? 'Uw keuzes wijzigen' : 'Berichten aanzetten', { id: hid }),
    form);
}

function deletePanel(ctx) {
  const hid = id('verwijderen');
  const slot = h('div', { class: 'mz-notify__confirm-slot' });
  const start = button('Alles verwijderen', { primary: false, onclick: ask });
  function ask() {
    const qid = id('zeker');
    const yes = button('Ja, verwijder alles', { cls: 'mz-notify__danger', onclick: doDelete });
    const no = button('Nee, niet verwijderen', { primary: false, onclick: () => { slot.replaceChildren(); start.hidden = false; start.focus(); } });
    const box = h('div', { class: 'mz-notify__confirm', role: 'group', 'aria-labelledby': qid, tabindex: '-1' },
      h('h3', { class: 'utrecht-heading-3', id: qid }, 'Weet u het zeker?'),
      para('Wij verwijderen uw e-mailadres, uw mobiele nummer en uw keuzes. Berichten die nog niet zijn verstuurd, sturen wij niet meer. U krijgt daarna geen berichten meer over uw zaken.'),
      h('div', { class: 'mz-actions' }, yes, no));
    start.hidden = true;
    slot.replaceChildren(box);
    box.focus();
  }
  async function doDelete() {
    try {
      await api(PATH, { method: 'DELETE' });
      const next = await api(PATH);
      if (!ctx.current()) return;
      draw(ctx, next, { kind: 'ok', title: 'Alles is verwijderd', text: 'Uw e-mailadres, uw mobiele nummer en uw keuzes zijn verwijderd. U krijgt geen berichten meer over uw zaken.' });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return ctx.sessionEnded();
      slot.replaceChildren(alert('error', 'Verwijderen is niet gelukt', para('MijnZaken is op dit moment niet bereikbaar. Probeer het over een paar minuten opnieuw.')));
      start.hidden = false;
      start.focus();
    }
  }
  return h('section', { class: 'mz-panel mz-panel--quiet mz-notify__delete', 'aria-labelledby': hid },
    heading(2, 'Alles verwijderen', { id: hid }),
    para('Wilt u geen berichten meer? Dan kunt u uw e-mailadres, mobiele nummer en keuzes verwijderen.'),
    start, slot);
}
