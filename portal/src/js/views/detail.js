// One case: status, what to do, result, history, dates, contact, source.
import { api, ApiError, query } from '../api.js';
import { h, icon } from '../dom.js';
import {
  actionBlock, breadcrumb, buttonLink, datesList, extLink, heading, overdueNote, pageTitle, para, resultBlock, resultLabel, statusLine, telLink,
  timeline,
} from '../components.js';
import { STATUS, VIA, overdue, whenUpdated } from '../format.js';
import { caseNotFoundView } from './errors.js';
import { overviewTitle } from './overview.js';
import { contactForms } from './contactforms.js';
import { currentSubject, loadPurposes, purposeName } from './professional.js';

export async function citizenCaseView(ctx) {
  const [caseId] = ctx.params;
  let c;
  try {
    c = await api(`/api/v1/me/cases/${encodeURIComponent(caseId)}`);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) return caseNotFoundView(ctx, '/zaken', 'Naar mijn zaken');
    throw e;
  }
  renderCase(ctx, c, { professional: false });
}

export async function professionalCaseView(ctx) {
  const [caseId] = ctx.params;
  const purpose = ctx.query.get('doel') || '';
  // The purposes come from the service; failing to load them fails the page
  // like failing to load the case would (session ended, not available).
  const purposes = await loadPurposes();
  if (!purposes.some((p) => p.id === purpose)) {
    ctx.navigate('/medewerker', { replace: true });
    return;
  }
  let c;
  try {
    c = await api(`/api/v1/cases/${encodeURIComponent(caseId)}${query({ purpose })}`);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) return caseNotFoundView(ctx, '/medewerker', 'Terug naar zoeken');
    throw e;
  }
  renderCase(ctx, c, { professional: true, purpose });
}

function renderCase(ctx, c, { professional, purpose }) {
  const agency = c.agency?.name || 'de organisatie';
  ctx.title(c.title || 'Zaak');
  const crumbs = professional
    ? [{ href: '/medewerker', text: 'Zaken opzoeken' }, { text: c.title || 'Zaak' }]
    : [{ href: '/zaken', text: overviewTitle() }, { text: c.title || 'Zaak' }];
  const statusExplain = STATUS[c.status?.group]?.explain;
  const action = c.isOpen !== false ? c.action : null;

  ctx.show(
    breadcrumb(crumbs),
    h('div', { class: 'mz-case-header' },
      pageTitle(c.title || 'Zaak', agency),
      statusLine(c.status),
      statusExplain && !professional ? h('p', { class: 'utrecht-paragraph mz-muted' }, statusExplain) : null),
    professional ? h('p', { class: 'mz-logged' }, icon('lock', 'mz-icon--inline'),
      'Deze inzage is vastgelegd met het doel: ', h('strong', null, purposeName(purpose)), '.') : null,
    overdueNote(c, { professional }),
    action ? actionBlock(action, agency, { headingLevel: 2, professional }) : null,
    resultBlock(c.result, c.dates?.closed?.date, resultLabel(c)),
    h('div', { class: 'mz-layout' },
      h('div', { class: 'mz-layout__main' },
        h('section', { class: 'mz-section', 'aria-labelledby': 'verloop' },
          heading(2, professional ? 'Verloop van de zaak' : 'Verloop van uw zaak', { id: 'verloop' }),
          timeline(c.timeline, c, { professional })),
        h('section', { class: 'mz-section', 'aria-labelledby': 'gegevens' },
          heading(2, 'Gegevens van de zaak', { id: 'gegevens' }),
          h('dl', { class: 'mz-facts' },
            fact('Organisatie', agency),
            c.caseNumber ? fact('Zaaknummer', c.caseNumber) : null,
            c.caseType?.label ? fact('Soort zaak', c.caseType.label) : null),
          datesList(c.dates, { explain: true, late: Boolean(overdue(c)) })),
        professional ? contactForms(ctx, c, currentSubject(c.id)) : null),
      h('aside', { class: 'mz-layout__aside', 'aria-label': 'Contact en bron' },
        contactPanel(c, agency, professional),
        sourcePanel(c, agency, professional))));
}

function fact(label, value) {
  return h('div', { class: 'mz-facts__item' }, h('dt', null, label), h('dd', null, value));
}

function contactPanel(c, agency, professional) {
  const contact = c.agency?.contact || {};
  const rows = [];
  if (professional && contact.professionalPhone) {
    rows.push(h('li', { class: 'mz-contact__row mz-contact__row--pro' }, icon('headset'),
      h('span', null, h('span', { class: 'mz-contact__label' }, 'Lijn voor professionals'), telLink(contact.professionalPhone))));
  }
  if (contact.phone) {
    rows.push(h('li', { class: 'mz-contact__row' }, icon('phone'),
      h('span', null, h('span', { class: 'mz-contact__label' }, professional ? 'Telefoon voor burgers' : 'Telefoon'), telLink(contact.phone))));
  }
  if (contact.url) {
    rows.push(h('li', { class: 'mz-contact__row' }, icon('external'),
      h('span', null, h('span', { class: 'mz-contact__label' }, 'Website'), extLink(contact.url, `Contact met ${agency}`))));
  }
  return h('section', { class: 'mz-panel mz-contact', 'aria-labelledby': 'contact' },
    h('h2', { class: 'utrecht-heading-3', id: 'contact' }, `Contact met ${agency}`),
    para(professional ? 'Verwijs de burger voor vragen over de inhoud naar de organisatie die de zaak behandelt.' : `Heeft u een vraag over deze zaak? ${agency} helpt u verder.`),
    rows.length ? h('ul', { class: 'mz-contact__list' }, rows) : para('Er zijn geen contactgegevens bekend.'),
    c.links?.agencyPage ? h('div', { class: 'mz-actions' }, buttonLink(c.links.agencyPage, `Bekijk de zaak bij ${agency}`, { primary: false, external: true })) : null);
}

function sourcePanel(c, agency, professional) {
  const via = VIA[c.source?.via] || 'opgehaald bij de organisatie';
  return h('section', { class: 'mz-panel mz-panel--quiet mz-source', 'aria-labelledby': 'bron' },
    h('h2', { class: 'utrecht-heading-3', id: 'bron' }, 'Bron en actualiteit'),
    h('dl', { class: 'mz-facts mz-facts--stacked' },
      fact('Bron', agency),
      fact('Manier', via.charAt(0).toUpperCase() + via.slice(1)),
      c.source?.lastSyncedAt ? fact('Laatst bijgewerkt', h('time', { datetime: c.source.lastSyncedAt }, whenUpdated(c.source.lastSyncedAt))) : null),
    h('p', { class: 'utrecht-paragraph mz-small' }, `Wat ${agency} zelf over ${professional ? 'de' : 'uw'} zaak zegt, gaat altijd voor.`));
}
