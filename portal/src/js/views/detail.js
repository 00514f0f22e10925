// One case: status, what to do, result, history, dates, contact, source.
import { api, ApiError, query } from '../api.js';
import { announce, h, icon } from '../dom.js';
import {
  actionBlock, breadcrumb, button, buttonLink, datesList, extLink, heading, overdueNote, pageTitle, para, resultBlock, resultLabel, statusLine, telLink,
  timeline,
} from '../components.js';
import { STATUS, VIA, date, overdue, whenUpdated } from '../format.js';
import { caseNotFoundView } from './errors.js';
import { overviewTitle } from './overview.js';
import { contactForms } from './contactforms.js';
import { currentSubject, loadPurposes, purposeName } from './professional.js';

export async function citizenCaseView(ctx) {
  const [caseId] = ctx.params;
  let c;
  const base = `/api/v1/me/cases/${encodeURIComponent(caseId)}`;
  // The documents come along; a failure there only shows in their section.
  const docs = loadDocuments(`${base}/documents`);
  try {
    c = await api(base);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) return caseNotFoundView(ctx, '/zaken', 'Naar mijn zaken');
    throw e;
  }
  renderCase(ctx, c, { professional: false, documents: await docs, contentBase: `${base}/documents/` });
}

/** The case's documents, or null when they could not be loaded. */
async function loadDocuments(path) {
  try {
    const d = await api(path);
    return Array.isArray(d?.items) ? d.items : [];
  } catch {
    return null;
  }
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
  // The documents only on request: each load is a look-up of its own,
  // logged with the purpose and shown in the citizen's access log.
  const docsPath = `/api/v1/cases/${encodeURIComponent(caseId)}/documents${query({ purpose })}`;
  renderCase(ctx, c, { professional: true, purpose, documents: undefined, docsPath });
}

function renderCase(ctx, c, { professional, purpose, documents, contentBase, docsPath }) {
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
        decisionsSection(c.decisions, documents, contentBase, professional),
        documentsSection(documents, contentBase, professional, docsPath),
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

/** "Besluit": each decision with its dates, explanation and letter(s). */
function decisionsSection(decisions, documents, contentBase, professional) {
  if (!Array.isArray(decisions) || !decisions.length) return null;
  const byId = new Map((documents || []).map((d) => [d.id, d]));
  return h('section', { class: 'mz-section mz-decisions', 'aria-labelledby': 'besluit' },
    heading(2, decisions.length > 1 ? 'Besluiten' : 'Besluit', { id: 'besluit' }),
    decisions.map((b) => h('div', { class: 'mz-decision' },
      h('dl', { class: 'mz-facts' },
        b.date ? fact('Datum besluit', h('time', { datetime: b.date }, date(b.date))) : null,
        b.effectiveFrom ? fact('Geldig vanaf', h('time', { datetime: b.effectiveFrom }, date(b.effectiveFrom))) : null,
        b.effectiveUntil ? fact('Geldig tot', h('time', { datetime: b.effectiveUntil }, date(b.effectiveUntil))) : null),
      b.text ? para(b.text) : null,
      (b.documents || []).filter((id) => byId.has(id)).length
        ? h('ul', { class: 'mz-docs mz-docs--compact' },
          b.documents.filter((id) => byId.has(id)).map((id) => documentItem(byId.get(id), contentBase, professional)))
        : null)));
}

/** "Documenten": title (a download link for the citizen), format, size, date. */
function documentsSection(documents, contentBase, professional, docsPath) {
  if (documents === undefined && docsPath) {
    // professionals: a button, then the list (or why not) in its place
    const slot = h('div', { class: 'mz-documents__slot' });
    const show = button('Documenten tonen', {
      primary: false,
      onclick: async () => {
        show.disabled = true;
        const docs = await loadDocuments(docsPath);
        slot.replaceChildren(documentsBody(docs, contentBase, professional));
        announce(docs === null ? 'De documenten konden niet worden geladen.' : `${docs.length} documenten geladen.`);
      },
    });
    slot.append(para('Het bekijken van de documentenlijst wordt vastgelegd met het doel van deze inzage.'), show);
    return h('section', { class: 'mz-section mz-documents', 'aria-labelledby': 'documenten' },
      heading(2, 'Documenten', { id: 'documenten' }), slot);
  }
  return h('section', { class: 'mz-section mz-documents', 'aria-labelledby': 'documenten' },
    heading(2, 'Documenten', { id: 'documenten' }),
    documentsBody(documents, contentBase, professional));
}

function documentsBody(documents, contentBase, professional) {
  const body = documents === null
    ? para('De documenten konden niet worden geladen. Probeer het later opnieuw.')
    : !documents?.length
      ? para('Er zijn geen documenten bij deze zaak.')
      : h('ul', { class: 'mz-docs' }, documents.map((d) => documentItem(d, contentBase, professional)));
  return h('div', null, body,
    professional && documents?.length
      ? h('p', { class: 'utrecht-paragraph mz-small' }, 'Alleen de burger kan documenten hier downloaden; de inhoud staat bij de organisatie.')
      : null);
}

const FORMATS = {
  'application/pdf': 'PDF',
  'image/png': 'PNG-afbeelding',
  'image/jpeg': 'JPEG-afbeelding',
  'image/gif': 'GIF-afbeelding',
  'application/msword': 'Word-document',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word-document',
  'application/vnd.ms-excel': 'Excel-werkblad',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel-werkblad',
  'application/vnd.oasis.opendocument.text': 'OpenDocument-tekst',
};

function formatLabel(format) {
  return FORMATS[String(format || '').split(';')[0].trim().toLowerCase()] || 'Bestand';
}

const fmtNumber = new Intl.NumberFormat('nl-NL', { maximumFractionDigits: 1 });

/** 48213 → '47,1 kB'; 3145728 → '3 MB' */
export function fileSize(bytes) {
  if (typeof bytes !== 'number' || bytes < 0) return null;
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${fmtNumber.format(bytes / 1024)} kB`;
  return `${fmtNumber.format(bytes / (1024 * 1024))} MB`;
}

function documentItem(d, contentBase, professional) {
  const meta = [formatLabel(d.format), fileSize(d.size), d.date ? date(d.date) : null].filter(Boolean).join(', ');
  const title = professional || !contentBase
    ? h('span', { class: 'mz-docs__title' }, d.title)
    : h('a', { class: 'utrecht-link mz-docs__title', href: `${contentBase}${encodeURIComponent(d.id)}/content`, download: true }, d.title);
  return h('li', { class: 'mz-docs__item' }, icon('document', 'mz-docs__icon'),
    h('span', { class: 'mz-docs__body' }, title, h('span', { class: 'mz-docs__meta' }, meta)));
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
