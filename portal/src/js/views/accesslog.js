// "Wie heeft mijn gegevens bekeken": the citizen's access log.
import { api, query } from '../api.js';
import { announce, h } from '../dom.js';
import { alert, button, extLink, lead, pageTitle, para } from '../components.js';
import { dateTime, plural } from '../format.js';
import { DPA, OPERATOR } from '../operator.js';

const PAGE_SIZE = 20;
const OUTCOME = { success: 'Gegevens bekeken', not_found: 'Geen gegevens gevonden', error: 'Niet gelukt' };

export async function accessLogView(ctx) {
  ctx.title('Wie heeft mijn gegevens bekeken');
  const first = await api(`/api/v1/me/access-log${query({ pageSize: PAGE_SIZE })}`);
  const intro = [
    pageTitle('Wie heeft mijn gegevens bekeken'),
    lead('Hier ziet u wanneer een organisatie uw zaken in MijnZaken heeft bekeken, en waarom.'),
    para('Medewerkers van een klantcontactcentrum mogen uw zaken alleen bekijken als zij u daarmee helpen, bijvoorbeeld als u belt met een vraag. Elke keer wordt vastgelegd wie het was, wanneer en met welk doel. U ziet hier de organisatie; welke medewerker het was, legt de organisatie zelf vast. Heeft u iemand gemachtigd, dan ziet u ook wanneer uw gemachtigde uw zaken heeft bekeken. Uw eigen bezoeken staan hier niet bij.'),
  ];
  const help = helpPanel();

  if (!first.items.length) {
    ctx.show(...intro,
      h('div', { class: 'mz-empty' }, h('h2', { class: 'utrecht-heading-2' }, 'Nog niemand heeft uw gegevens bekeken'),
        para('Er zijn geen inzagen door organisaties vastgelegd.')),
      help);
    return;
  }

  const body = h('tbody', { class: 'utrecht-table__body' });
  const caption = h('caption', { class: 'utrecht-table__caption mz-visually-hidden' }, 'Inzagen in uw gegevens, nieuwste eerst');
  const table = h('div', { class: 'mz-table-wrap' },
    h('table', { class: 'utrecht-table utrecht-table--html-table mz-table mz-table--stack' },
      caption,
      h('thead', { class: 'utrecht-table__header' },
        h('tr', { class: 'utrecht-table__row' },
          ['Datum en tijd', 'Organisatie', 'Doel', 'Resultaat'].map((t) => h('th', { class: 'utrecht-table__header-cell', scope: 'col' }, t)))),
      body));
  const count = h('p', { class: 'mz-count-line' });
  const more = h('div', { class: 'mz-more' });
  let loaded = 0;

  function add(items, focusFirst) {
    let firstRow = null;
    for (const e of items) {
      const row = h('tr', { class: 'utrecht-table__row' },
        h('td', { class: 'utrecht-table__cell', 'data-label': 'Datum en tijd' }, h('time', { datetime: e.at }, dateTime(e.at))),
        h('td', { class: 'utrecht-table__cell', 'data-label': 'Organisatie' },
          h('span', null, e.organisation || 'Onbekende organisatie',
            e.operator === true ? h('span', { class: 'mz-table__note' }, `Dit is ${OPERATOR.name}.`) : null,
            // A representative (machtiging) looked: said so, not who (the
            // service does not say; the citizen knows whom they authorised).
            e.viewedBy === 'representative'
              ? h('span', { class: 'mz-table__note mz-table__note--representative' }, capitalised(e.description || 'bekeken door uw gemachtigde'), '.')
              : null)),
        h('td', { class: 'utrecht-table__cell', 'data-label': 'Doel' }, e.purpose?.name || e.purpose?.id || 'Onbekend'),
        h('td', { class: 'utrecht-table__cell', 'data-label': 'Resultaat' }, OUTCOME[e.outcome] || e.outcome || ''));
      body.append(row);
      if (!firstRow) firstRow = row;
    }
    loaded += items.length;
    if (focusFirst && firstRow) {
      firstRow.firstChild.setAttribute('tabindex', '-1');
      firstRow.firstChild.focus();
    }
  }

  function setMore(next) {
    more.replaceChildren();
    count.textContent = next ? `De ${loaded} meest recente inzagen.` : `${plural(loaded, 'inzage', 'inzagen')} in totaal.`;
    if (!next) return;
    const btn = button('Meer inzagen laden', {
      primary: false, iconName: 'refresh',
      async onclick() {
        btn.disabled = true;
        try {
          const page = await api(`/api/v1/me/access-log${query({ pageSize: PAGE_SIZE, cursor: next })}`);
          add(page.items, true);
          announce(`${plural(page.items.length, 'inzage', 'inzagen')} extra geladen`);
          setMore(page.page?.next || null);
        } catch (e) {
          btn.disabled = false;
          if (e?.status === 401) return ctx.sessionEnded();
          more.prepend(alert('error', null, para('Het laden is niet gelukt. Probeer het opnieuw.')));
        }
      },
    });
    more.append(btn);
  }

  add(first.items, false);
  setMore(first.page?.next || null);
  ctx.show(...intro,
    h('section', { class: 'mz-section', 'aria-labelledby': 'inzagen' },
      h('h2', { class: 'utrecht-heading-2', id: 'inzagen' }, 'Inzagen'),
      count, table, more),
    help);
}

function capitalised(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** Whom to ask: the organisation in the list, whoever runs MijnZaken (its
 * own look-ups, or when in doubt), and the Autoriteit Persoonsgegevens. */
function helpPanel() {
  const mail = OPERATOR.privacyEmail
    ? h('a', { class: 'utrecht-link utrecht-link--html-a', href: `mailto:${OPERATOR.privacyEmail}` }, OPERATOR.privacyEmail) : null;
  const page = OPERATOR.privacyUrl ? extLink(OPERATOR.privacyUrl, 'privacy bij MijnZaken') : null;
  const operatorContact = mail && page ? [mail, ' of ', page] : mail || page;
  return h('section', { class: 'mz-panel mz-panel--quiet mz-access-help', 'aria-labelledby': 'klopt-er-iets-niet' },
    h('h2', { class: 'utrecht-heading-3', id: 'klopt-er-iets-niet' }, 'Klopt er iets niet?'),
    para('Ziet u een inzage die u niet herkent? Neem dan contact op met de organisatie die in de lijst staat, en vraag naar de functionaris voor gegevensbescherming.'),
    para(`Was het volgens de lijst ${OPERATOR.name}, of weet u niet bij wie u moet zijn? Neem dan contact op met ${OPERATOR.name}`,
      operatorContact ? [': ', operatorContact, '.'] : '.'),
    para(`Komt u er met de organisatie niet uit? Dan kunt u een klacht indienen bij de ${DPA.name}: `,
      extLink(DPA.url, DPA.host)));
}
