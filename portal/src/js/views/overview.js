// "Mijn zaken": the citizen's open and closed cases across organisations.
import { api, query } from '../api.js';
import { announce, h, icon, id } from '../dom.js';
import { alert, button, caseCard, freshnessNotice, heading, lead, navLink, pageTitle, para } from '../components.js';
import { date, dueHint, plural, whenUpdated } from '../format.js';
import { business, representative } from '../session.js';

const PAGE_SIZE = 10;

function listPath(status, agency, cursor) {
  return `/api/v1/me/cases${query({ status, agency, pageSize: PAGE_SIZE, cursor })}`;
}

// A business (eHerkenning) sees "Zaken van uw organisatie": the cases are
// the organisation's, not the employee's own.
export function overviewTitle() {
  return business() ? 'Zaken van uw organisatie' : 'Mijn zaken';
}

export async function overviewView(ctx) {
  const org = business();
  ctx.title(overviewTitle());
  const agency = (ctx.query.get('organisatie') || '').trim();
  const validAgency = /^[a-z0-9][a-z0-9-]{0,62}$/.test(agency) ? agency : '';
  const [open, closed] = await Promise.all([
    api(listPath('open', validAgency || undefined)),
    api(listPath('closed', validAgency || undefined)),
  ]);
  const sources = mergeSources(open.sources, closed.sources);
  const agencies = sources.map((s) => s.agency).filter((a) => a && a.id)
    .sort((a, b) => a.name.localeCompare(b.name, 'nl'));
  const agencyName = agencies.find((a) => a.id === validAgency)?.name || null;

  const nothingAtAll = !open.items.length && !closed.items.length;

  const sections = [];
  if (nothingAtAll) {
    sections.push(emptyState(validAgency, agencyName, agencies, org));
  } else {
    const todo = open.items.filter((c) => c.action && c.action.text);
    if (todo.length) sections.push(todoSection(todo));
    sections.push(caseSection(ctx, {
      key: 'open', title: 'Lopende zaken', first: open, agency: validAgency,
      empty: org
        ? (agencyName ? `Uw organisatie heeft geen lopende zaken bij ${agencyName}.` : 'Uw organisatie heeft geen lopende zaken.')
        : (agencyName ? `U heeft geen lopende zaken bij ${agencyName}.` : 'U heeft geen lopende zaken.'),
    }));
    sections.push(caseSection(ctx, {
      key: 'closed', title: 'Afgeronde zaken', first: closed, agency: validAgency,
      empty: org
        ? (agencyName ? `Uw organisatie heeft geen afgeronde zaken bij ${agencyName}.` : 'Uw organisatie heeft geen afgeronde zaken.')
        : (agencyName ? `U heeft geen afgeronde zaken bij ${agencyName}.` : 'U heeft geen afgeronde zaken.'),
    }));
  }

  ctx.show(
    pageTitle(overviewTitle()),
    lead(org
      ? 'Hier ziet u hoe het staat met de aanvragen, meldingen en andere zaken van uw organisatie bij de overheid. De organisatie die de zaak behandelt, beslist en is uw aanspreekpunt.'
      : representative()
        ? 'Hier ziet u hoe het staat met de aanvragen, meldingen en andere zaken bij de overheid van degene voor wie u gemachtigd bent. De organisatie die de zaak behandelt, beslist en is het aanspreekpunt.'
        : 'Hier ziet u hoe het staat met uw aanvragen, meldingen en andere zaken bij de overheid. De organisatie die uw zaak behandelt, beslist en is uw aanspreekpunt.'),
    h('div', { class: 'mz-layout' },
      h('div', { class: 'mz-layout__main' },
        freshnessNotice(sources, validAgency, 'bronnen'),
        agencies.length > 1 ? filterForm(ctx, agencies, validAgency) : null,
        agencyName ? h('p', { class: 'mz-filter-state', role: 'status' },
          'U ziet alleen zaken van ', h('strong', null, agencyName), '. ',
          navLink('/zaken', 'Toon zaken van alle organisaties')) : null,
        ...sections),
      h('aside', { class: 'mz-layout__aside', 'aria-label': 'Over deze informatie' },
        sourcesPanel(sources),
        helpPanel())));
}

function mergeSources(a, b) {
  const byId = new Map();
  for (const s of [...(a || []), ...(b || [])]) {
    if (!s?.agency?.id) continue;
    const prev = byId.get(s.agency.id);
    // The least fresh answer wins: never claim more freshness than we have.
    const rank = { fresh: 0, stale: 1, unavailable: 2 };
    if (!prev || (rank[s.freshness] ?? 1) > (rank[prev.freshness] ?? 1)) byId.set(s.agency.id, s);
  }
  return [...byId.values()];
}

function filterForm(ctx, agencies, current) {
  const sid = id('organisatie');
  const select = h('select', { class: 'utrecht-select utrecht-select--html-select mz-filter__select', id: sid, name: 'organisatie' },
    h('option', { value: '' }, 'Alle organisaties'),
    agencies.map((a) => h('option', { value: a.id, selected: a.id === current }, a.name)));
  return h('form', {
    class: 'mz-filter', role: 'search', 'aria-label': 'Zaken filteren',
    onsubmit(ev) {
      ev.preventDefault();
      const v = select.value;
      ctx.navigate(v ? `/zaken?organisatie=${encodeURIComponent(v)}` : '/zaken');
    },
  },
  h('div', { class: 'mz-filter__field' },
    h('label', { class: 'utrecht-form-label mz-filter__label', for: sid }, 'Toon zaken van'),
    select),
  button('Toon zaken', { type: 'submit', primary: false, cls: 'mz-filter__button' }));
}

function todoSection(todo) {
  const hid = id('todo');
  return h('section', { class: 'mz-todo', 'aria-labelledby': hid },
    h('h2', { class: 'utrecht-heading-2 mz-todo__title', id: hid }, icon('warning'),
      todo.length === 1 ? 'U moet iets doen voor 1 zaak' : `U moet iets doen voor ${todo.length} zaken`),
    h('ul', { class: 'mz-todo__list' }, todo.map((c) => h('li', { class: 'mz-todo__item' },
      h('p', { class: 'mz-todo__case' },
        h('a', { class: 'utrecht-link utrecht-link--html-a', href: `/zaken/${encodeURIComponent(c.id)}`, 'data-nav': '' }, c.title),
        h('span', { class: 'mz-todo__agency' }, ` bij ${c.agency?.name || 'de organisatie'}`)),
      h('p', { class: 'mz-todo__what' }, c.action.text,
        c.action.dueDate ? [' — uiterlijk ', h('strong', null, h('time', { datetime: c.action.dueDate }, date(c.action.dueDate))),
          dueHint(c.action.dueDate) ? ` (${dueHint(c.action.dueDate)})` : ''] : null)))));
}

function caseSection(ctx, { key, title, first, empty, agency }) {
  const hid = `sectie-${key}`;
  const list = h('ul', { class: 'mz-cases', 'aria-labelledby': hid });
  const count = h('span', { class: 'mz-count' });
  const more = h('div', { class: 'mz-more' });
  let loaded = 0;

  function add(items, focusFirst) {
    let firstLink = null;
    for (const c of items) {
      const li = h('li', { class: 'mz-cases__item' }, caseCard(c, { href: `/zaken/${encodeURIComponent(c.id)}`, headingLevel: 3 }));
      list.append(li);
      if (!firstLink) firstLink = li.querySelector('.mz-case__link');
    }
    loaded += items.length;
    if (focusFirst && firstLink) firstLink.focus();
  }

  function setMore(next) {
    more.replaceChildren();
    count.textContent = next ? `${loaded} getoond` : plural(loaded, 'zaak', 'zaken');
    if (!next) return;
    const btn = button('Meer zaken laden', {
      primary: false, cls: 'mz-more__button', iconName: 'refresh',
      async onclick() {
        btn.disabled = true;
        btn.classList.add('utrecht-button--busy');
        btn.lastChild.textContent = 'Zaken worden geladen…';
        try {
          const page = await api(listPath(key, agency || undefined, next));
          add(page.items, true);
          announce(`${plural(page.items.length, 'zaak', 'zaken')} extra geladen`);
          setMore(page.page?.next || null);
        } catch (e) {
          btn.disabled = false;
          btn.classList.remove('utrecht-button--busy');
          btn.lastChild.textContent = 'Meer zaken laden';
          if (e?.status === 401) return ctx.sessionEnded();
          more.prepend(alert('error', null, para('Het laden van meer zaken is niet gelukt. Probeer het opnieuw.')));
        }
      },
    });
    more.append(btn);
  }

  add(first.items, false);
  setMore(first.page?.next || null);
  return h('section', { class: ['mz-section', `mz-section--${key}`], 'aria-labelledby': hid },
    h('h2', { class: 'utrecht-heading-2 mz-section__title', id: hid }, title, ' ', count),
    first.items.length ? list : para(empty),
    more);
}

function emptyState(agency, agencyName, agencies, org) {
  const whose = org ? 'van uw organisatie' : 'van u';
  return h('section', { class: 'mz-empty', 'aria-labelledby': 'geen-zaken' },
    h('div', { class: 'mz-empty__icon' }, icon('folder')),
    heading(2, agencyName ? `Geen zaken bij ${agencyName}` : (org ? 'Uw organisatie heeft geen zaken' : 'U heeft geen zaken'), { id: 'geen-zaken' }),
    agency
      ? [para(agencyName ? `Bij ${agencyName} zijn geen zaken ${whose} bekend.` : `Bij deze organisatie zijn geen zaken ${whose} bekend.`),
        para(navLink('/zaken', 'Toon zaken van alle organisaties'))]
      : [para(`Bij de organisaties die op MijnZaken zijn aangesloten, zijn op dit moment geen zaken ${whose} bekend.`),
        agencies.length ? para('Aangesloten organisaties: ', agencies.map((a) => a.name).join(', '), '.') : null,
        para(org
          ? 'Heeft uw organisatie net iets aangevraagd? Dan kan het even duren voordat de zaak hier staat.'
          : 'Heeft u net iets aangevraagd? Dan kan het even duren voordat uw zaak hier staat.')]);
}

function sourcesPanel(sources) {
  if (!sources.length) return null;
  const sorted = sources.slice().sort((a, b) => (a.agency?.name || '').localeCompare(b.agency?.name || '', 'nl'));
  const text = { fresh: 'Actueel', stale: 'Mogelijk verouderd', unavailable: 'Nu niet bereikbaar' };
  const iconFor = { fresh: 'check', stale: 'clock', unavailable: 'warning' };
  return h('section', { class: 'mz-panel mz-sources', 'aria-labelledby': 'bronnen', id: 'bronnen-panel' },
    h('h2', { class: 'utrecht-heading-3', id: 'bronnen', tabindex: '-1' }, 'Actualiteit per organisatie'),
    h('ul', { class: 'mz-sources__list' }, sorted.map((s) => {
      const f = text[s.freshness] ? s.freshness : 'stale';
      return h('li', { class: ['mz-sources__item', `mz-sources__item--${f}`] },
        icon(iconFor[f]),
        h('span', null,
          h('span', { class: 'mz-sources__name' }, s.agency?.name || ''),
          h('span', { class: 'mz-sources__state' }, text[f], s.lastSyncedAt ? `, bijgewerkt ${whenUpdated(s.lastSyncedAt)}` : ', nog niet bijgewerkt')));
    })),
    h('p', { class: 'utrecht-paragraph mz-small' }, 'MijnZaken haalt uw zaken op bij deze organisaties. Wat de organisatie zelf zegt, gaat altijd voor.'));
}

function helpPanel() {
  return h('section', { class: 'mz-panel mz-panel--quiet', 'aria-labelledby': 'hulp' },
    h('h2', { class: 'utrecht-heading-3', id: 'hulp' }, 'Vragen over een zaak?'),
    para('Neem contact op met de organisatie die uw zaak behandelt. U vindt het telefoonnummer en de website bij elke zaak.'),
    para(navLink('/inzage', 'Bekijk wie uw gegevens heeft bekeken')));
}
