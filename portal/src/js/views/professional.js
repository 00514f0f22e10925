// The contact-centre professional: look up a citizen's cases by BSN (in
// the request body only, never in an address), naming the purpose.
import { api, ApiError } from '../api.js';
import { announce, h, icon, id } from '../dom.js';
import {
  alert, button, freshnessNotice, heading, lead, loading, pageTitle, para, statusLine, telLink,
} from '../components.js';
import { dateTime, plural } from '../format.js';

// The processing activities professionals may name come from the service
// (GET /api/v1/processing-activities): each organisation configures its own.
// Loaded when the search form opens (or a case is opened), kept for the
// page's lifetime; a failed load is tried again next time.
let purposes = null;
let pending = null;

/** The purposes a professional may name: [{ id, name }], in the service's order. */
export function loadPurposes() {
  if (purposes) return Promise.resolve(purposes);
  if (!pending) {
    pending = api('/api/v1/processing-activities')
      .then((res) => {
        const list = Array.isArray(res?.activities) ? res.activities : null;
        if (!list || !list.every((p) => typeof p?.id === 'string' && typeof p?.name === 'string')) throw new ApiError(502, null);
        purposes = list.map(({ id: pid, name }) => ({ id: pid, name }));
        return purposes;
      })
      .finally(() => { pending = null; });
  }
  return pending;
}

/** The name of a purpose from the loaded list (its id when unknown). */
export function purposeName(pid) {
  return purposes?.find((p) => p.id === pid)?.name || pid;
}

const NOT_LOADED = 'De doelen zijn nog niet opgehaald. U kunt pas zoeken als u een doel kunt kiezen.';
const PAGE_SIZE = 20;
// Kept in memory only (gone on reload): the last search, so that coming
// back from a case shows the results without a new (logged) look-up.
let last = null;

/**
 * The subject of the last search ({ bsn, purpose }) while it is in memory:
 * the case page records contact with it (the BSN goes only into a POST
 * body). null after a reload, or for a case that search did not list.
 */
export function currentSubject(caseId) {
  // Only for a case of that search: never a note under another person's case.
  if (!last || (caseId && !last.items.some((c) => c.id === caseId))) return null;
  return { bsn: last.bsn, purpose: last.purpose };
}

const CHANNEL = { phone: 'telefoon', desk: 'balie', chat: 'chat', email: 'e-mail', letter: 'brief' };
const HO_STATE = {
  pending: 'nog niet afgeleverd', delivering: 'wordt afgeleverd', delivered: 'afgeleverd, nog niet opgepakt',
  acknowledged: 'opgepakt', closed: 'afgerond', failed: 'niet afgeleverd',
};

/** The subject's recent contact moments and open hand-overs, across organisations. */
function contactSection(moments) {
  const hid = id('eerder-contact');
  return h('section', { class: 'mz-section mz-pro-contact', 'aria-labelledby': hid },
    h('h2', { class: 'utrecht-heading-2', id: hid }, 'Eerder contact'),
    moments.length
      ? h('ul', { class: 'mz-pro-contact__list' }, moments.map((m) => h('li', { class: 'mz-pro-contact__item' },
        h('p', { class: 'mz-pro-contact__head' },
          h('strong', null, m.topic), ' — ', m.organisation, ', ', CHANNEL[m.channel] || m.channel, ', ',
          h('time', { datetime: m.at }, dateTime(m.at)), m.answered ? ' (vraag beantwoord)' : ' (vraag niet beantwoord)'),
        h('p', { class: 'mz-pro-contact__summary' }, m.summary),
        m.handover ? h('p', { class: 'mz-pro-contact__handover' }, icon('headset', 'mz-icon--inline'),
          `${m.handover.callback ? 'Terugbelverzoek' : 'Overgedragen'} aan ${m.handover.organisation}: ${HO_STATE[m.handover.state] || m.handover.state}.`) : null)))
      : para('Er is geen eerder contact vastgelegd.'));
}

export function professionalView(ctx) {
  ctx.title('Zaken van een burger opzoeken');

  const bsnId = 'bsn';
  const bsnHint = id('bsn-uitleg');
  const bsnErr = id('bsn-fout');
  const purposeErr = id('doel-fout');
  const summary = h('div', { class: 'mz-error-summary-slot' });
  const results = h('div', { class: 'mz-results', id: 'resultaten' });

  const bsnInput = h('input', {
    class: 'utrecht-textbox utrecht-textbox--html-input mz-bsn', id: bsnId, name: 'bsn', type: 'text',
    inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false', maxlength: '11', 'aria-describedby': bsnHint,
    value: last?.bsn || '',
  });
  const bsnError = h('p', { class: 'utrecht-form-field-error-message mz-field-error', id: bsnErr, hidden: true });
  const bsnField = h('div', { class: 'utrecht-form-field utrecht-form-field--text mz-field' },
    h('div', { class: 'utrecht-form-field__label' }, h('label', { class: 'utrecht-form-label', for: bsnId }, 'Burgerservicenummer (BSN)')),
    h('div', { class: 'utrecht-form-field__description utrecht-form-field-description', id: bsnHint }, '9 cijfers. Vraag de burger om het nummer; u ziet het op het paspoort of de identiteitskaart.'),
    bsnError,
    h('div', { class: 'utrecht-form-field__input' }, bsnInput));

  const purposeError = h('p', { class: 'utrecht-form-field-error-message mz-field-error', id: purposeErr, hidden: true });
  // The choices, filled in once the service has sent its list.
  const choices = h('div', { class: 'mz-choices' });
  let radios = [];
  const purposeSet = h('fieldset', { class: 'utrecht-form-fieldset utrecht-form-fieldset--html-fieldset mz-fieldset', id: 'doel' },
    h('legend', { class: 'utrecht-form-fieldset__legend utrecht-form-fieldset__legend--html-legend mz-legend' }, 'Waarom zoekt u deze zaken op?'),
    h('p', { class: 'utrecht-form-field-description mz-legend-hint' }, 'Kies het doel. Het wordt vastgelegd bij uw opzoeking en de burger kan het zien.'),
    purposeError,
    choices);

  function purposeRadio(p) {
    const rid = `doel-${p.id}`;
    return h('div', { class: 'utrecht-form-field utrecht-form-field--radio mz-choice' },
      h('div', { class: 'utrecht-form-field__input' },
        h('input', { class: 'utrecht-radio-button utrecht-radio-button--html-input', type: 'radio', name: 'purpose', id: rid, value: p.id, checked: last?.purpose === p.id })),
      h('div', { class: 'utrecht-form-field__label' }, h('label', { class: 'utrecht-form-label utrecht-form-label--radio', for: rid }, p.name)));
  }

  // Where the error summary's link for the purpose leads: the first choice,
  // or (no choices yet) the button that tries loading them again.
  function purposeFocus() {
    return radios[0]?.querySelector('input')?.id || choices.querySelector('button')?.id || 'doel';
  }

  async function showPurposes() {
    radios = [];
    purposeSet.setAttribute('aria-busy', 'true');
    choices.replaceChildren(loading('De doelen worden opgehaald…'));
    try {
      const list = await loadPurposes();
      radios = list.map(purposeRadio);
      if (purposeError.textContent === NOT_LOADED) setPurposeError(null);
      choices.replaceChildren(...(radios.length ? radios
        : [alert('warning', 'Er zijn geen doelen ingesteld', para('U kunt nu geen zaken opzoeken. Neem contact op met uw beheerder.'))]));
    } catch (e) {
      if (!ctx.current()) return;
      if (e instanceof ApiError && e.status === 401) return ctx.sessionEnded();
      const retry = button('Probeer het opnieuw', { primary: false, iconName: 'refresh', onclick: () => showPurposes() });
      retry.id = id('doelen-opnieuw');
      choices.replaceChildren(alert('error', 'De doelen konden niet worden opgehaald',
        para(e instanceof ApiError && e.status === 403
          ? 'Uw account heeft geen toegang tot het opzoeken van zaken. Neem contact op met uw beheerder.'
          : 'Zonder doel kunt u geen zaken opzoeken. MijnZaken is op dit moment niet bereikbaar. Probeer het over een paar minuten opnieuw.'),
        h('div', { class: 'mz-actions' }, retry)));
    } finally {
      purposeSet.removeAttribute('aria-busy');
    }
  }

  const submit = button('Zaken opzoeken', { type: 'submit', iconName: 'search' });
  const form = h('form', { class: 'utrecht-form mz-search-form', novalidate: true, onsubmit: onSubmit },
    bsnField, purposeSet, h('div', { class: 'mz-actions' }, submit,
      last ? button('Nieuwe zoekopdracht', { primary: false, onclick: () => { last = null; ctx.navigate('/medewerker', { replace: true }); } }) : null));

  function setError(field, errEl, input, message) {
    errEl.textContent = message || '';
    errEl.hidden = !message;
    field.classList.toggle('utrecht-form-field--invalid', Boolean(message));
    if (input) {
      if (message) {
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', `${errEl.id} ${bsnHint}`);
        input.classList.add('utrecht-textbox--invalid');
      } else {
        input.removeAttribute('aria-invalid');
        input.setAttribute('aria-describedby', bsnHint);
        input.classList.remove('utrecht-textbox--invalid');
      }
    }
  }

  function setPurposeError(message) {
    purposeError.textContent = message || '';
    purposeError.hidden = !message;
    purposeSet.classList.toggle('utrecht-form-fieldset--invalid', Boolean(message));
    if (message) purposeSet.setAttribute('aria-describedby', purposeErr); else purposeSet.removeAttribute('aria-describedby');
  }

  function showSummary(errors) {
    summary.replaceChildren();
    if (!errors.length) return;
    const box = alert('error', 'Controleer het formulier',
      h('ul', { class: 'utrecht-unordered-list mz-error-summary' },
        errors.map((e) => h('li', null, h('a', { class: 'utrecht-link utrecht-link--html-a', href: `#${e.target}`, onclick(ev) { ev.preventDefault(); document.getElementById(e.focus || e.target)?.focus(); } }, e.text)))));
    box.setAttribute('tabindex', '-1');
    summary.append(box);
    box.focus();
  }

  async function onSubmit(ev) {
    ev.preventDefault();
    const bsn = bsnInput.value.replace(/[\s.-]/g, '');
    const purpose = form.querySelector('input[name="purpose"]:checked')?.value || '';
    const errors = [];
    let bsnMsg = null;
    if (!bsn) bsnMsg = 'Vul het burgerservicenummer in.';
    else if (!/^[0-9]{9}$/.test(bsn)) bsnMsg = 'Een burgerservicenummer bestaat uit 9 cijfers.';
    setError(bsnField, bsnError, bsnInput, bsnMsg);
    if (bsnMsg) errors.push({ target: bsnId, text: bsnMsg });
    let pMsg = null;
    if (!purpose) pMsg = radios.length ? 'Kies waarom u de zaken opzoekt.' : NOT_LOADED;
    setPurposeError(pMsg);
    if (pMsg) errors.push({ target: 'doel', focus: purposeFocus(), text: pMsg });
    showSummary(errors);
    if (errors.length) return;

    submit.disabled = true;
    submit.classList.add('utrecht-button--busy');
    results.replaceChildren(loading('Zaken worden opgezocht bij de aangesloten organisaties…'));
    announce('Zaken worden opgezocht');
    try {
      const res = await api('/api/v1/cases/search', { method: 'POST', body: { bsn, purpose, pageSize: PAGE_SIZE } });
      last = { bsn, purpose, items: res.items || [], sources: res.sources || [], next: res.page?.next || null, contactMoments: res.contactMoments || [] };
      renderResults(true);
    } catch (e) {
      results.replaceChildren();
      if (e instanceof ApiError && e.status === 401) return ctx.sessionEnded();
      if (e instanceof ApiError && e.status === 400) {
        const detail = String(e.problem?.detail || '');
        if (detail.startsWith('purpose')) {
          // The service's list changed since it was loaded: load it again.
          purposes = null;
          await showPurposes();
          setPurposeError('Dit doel is niet (meer) toegestaan. Kies een ander doel.');
          showSummary([{ target: 'doel', focus: purposeFocus(), text: 'Dit doel is niet toegestaan.' }]);
        } else {
          const msg = 'Dit is geen geldig burgerservicenummer. Controleer het nummer.';
          setError(bsnField, bsnError, bsnInput, msg);
          showSummary([{ target: bsnId, text: msg }]);
        }
      } else if (e instanceof ApiError && e.status === 403) {
        results.append(alert('error', 'U mag deze zaken niet opzoeken', para('Uw account heeft geen toegang tot het opzoeken van zaken. Neem contact op met uw beheerder.')));
      } else {
        results.append(alert('warning', 'Het opzoeken is niet gelukt',
          para('MijnZaken of een aangesloten organisatie is op dit moment niet bereikbaar. Probeer het over een paar minuten opnieuw.')));
      }
    } finally {
      submit.disabled = false;
      submit.classList.remove('utrecht-button--busy');
    }
  }

  function renderResults(focus) {
    const { items, sources, purpose, next } = last;
    const groups = new Map();
    for (const c of items) {
      const key = c.agency?.id || '?';
      if (!groups.has(key)) groups.set(key, { agency: c.agency || { name: 'Onbekende organisatie' }, cases: [] });
      groups.get(key).cases.push(c);
    }
    const hid = id('resultaat');
    const more = h('div', { class: 'mz-more' });
    if (next) {
      const btn = button('Meer zaken laden', {
        primary: false, iconName: 'refresh',
        async onclick() {
          btn.disabled = true;
          try {
            const res = await api('/api/v1/cases/search', { method: 'POST', body: { bsn: last.bsn, purpose: last.purpose, pageSize: PAGE_SIZE, cursor: next } });
            const before = last.items.length;
            last.items = last.items.concat(res.items || []);
            last.next = res.page?.next || null;
            renderResults(false);
            announce(`${plural(last.items.length - before, 'zaak', 'zaken')} extra geladen`);
            results.querySelectorAll('.mz-pro-case__link')[before]?.focus();
          } catch (e) {
            btn.disabled = false;
            if (e?.status === 401) return ctx.sessionEnded();
            more.prepend(alert('error', null, para('Het laden van meer zaken is niet gelukt. Probeer het opnieuw.')));
          }
        },
      });
      more.append(btn);
    }
    const heading2 = h('h2', { class: 'utrecht-heading-2', id: hid, tabindex: '-1' }, items.length
      ? `${plural(items.length, 'zaak', 'zaken')}${next ? ' (meer beschikbaar)' : ''}`
      : 'Geen zaken gevonden');
    results.replaceChildren(h('section', { class: 'mz-section mz-results__section', 'aria-labelledby': hid },
      heading2,
      h('p', { class: 'mz-logged' }, icon('lock', 'mz-icon--inline'),
        `Zaken bij het BSN dat eindigt op ${last.bsn.slice(-3)}. Deze opzoeking is vastgelegd met het doel: `, h('strong', null, purposeName(purpose)), '.'),
      freshnessNotice(sources, null, null, { professional: true }),
      items.length ? null : para('Bij de aangesloten organisaties zijn geen zaken bekend voor dit burgerservicenummer. Controleer het nummer met de burger.'),
      [...groups.values()].map((g) => agencyGroup(g, purpose)),
      more),
    contactSection(last.contactMoments || []));
    if (focus) heading2.focus();
  }

  ctx.show(
    h('div', { class: 'mz-pro' },
      pageTitle('Zaken van een burger opzoeken', 'Klantcontactcentrum'),
      lead('Zoek de zaken van een burger op bij alle aangesloten organisaties, om een vraag te beantwoorden of de burger door te verwijzen.'),
      h('div', { class: 'mz-pro__notice' }, alert('info', 'Elke opzoeking wordt vastgelegd',
        para('Wie, wanneer en met welk doel: de burger kan zien dat uw organisatie de zaken heeft bekeken. Zoek alleen zaken op als u de burger daarmee helpt.'))),
      summary,
      h('section', { class: 'mz-panel mz-pro__form', 'aria-labelledby': 'zoeken' },
        heading(2, 'Zoeken', { id: 'zoeken', class: 'mz-visually-hidden' }),
        form),
      results));
  if (last) renderResults(false);
  showPurposes();
}

function agencyGroup(g, purpose) {
  const contact = g.agency.contact || {};
  const hid = id('org');
  return h('section', { class: 'mz-pro-group', 'aria-labelledby': hid },
    h('div', { class: 'mz-pro-group__head' },
      h('h3', { class: 'utrecht-heading-3 mz-pro-group__title', id: hid }, g.agency.name),
      h('ul', { class: 'mz-pro-group__lines' },
        contact.professionalPhone ? h('li', { class: 'mz-pro-line' }, icon('headset'), h('span', null, 'Lijn voor professionals: ', telLink(contact.professionalPhone))) : null,
        contact.phone ? h('li', null, icon('phone'), h('span', null, 'Burgers: ', telLink(contact.phone))) : null)),
    h('ul', { class: 'mz-pro-cases' }, g.cases.map((c) => h('li', { class: 'mz-pro-case' },
      h('div', { class: 'mz-pro-case__main' },
        h('p', { class: 'mz-pro-case__title' },
          h('a', { class: 'utrecht-link utrecht-link--html-a mz-pro-case__link', href: `/medewerker/zaken/${encodeURIComponent(c.id)}?doel=${encodeURIComponent(purpose)}`, 'data-nav': '' }, c.title || 'Zaak')),
        c.caseNumber ? h('p', { class: 'mz-pro-case__number' }, 'Zaaknummer ', h('span', { class: 'mz-nowrap' }, c.caseNumber)) : null),
      statusLine(c.status, { small: true }),
      c.isOpen !== false && c.action?.text ? h('p', { class: 'mz-pro-case__action' }, icon('warning', 'mz-icon--inline'), h('strong', null, 'Actie burger: '), c.action.text) : null))));
}
