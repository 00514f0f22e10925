// "Uw contact met de overheid": the citizen's contact moments with
// organisations (issue 17) — when, which organisation, how, about what, and
// the state of a call-back or hand-over. Never the employee, never their
// note: the service does not send them (GET /api/v1/me/contact-moments).
import { api } from '../api.js';
import { h } from '../dom.js';
import { lead, pageTitle, para } from '../components.js';
import { dateTime } from '../format.js';

export const CONTACT_TITLE = 'Uw contact met de overheid';

const CHANNEL = { phone: 'Telefoon', desk: 'Balie', chat: 'Chat', email: 'E-mail', letter: 'Brief' };
const STATE = {
  aangevraagd: 'Aangevraagd, nog niet opgepakt',
  inBehandeling: 'Opgepakt, nog niet afgerond',
  afgerond: 'Afgerond',
};

function followUp(ho) {
  if (!ho) return 'Geen';
  const what = ho.callback ? `Terugbelverzoek aan ${ho.organisation}` : `Doorgegeven aan ${ho.organisation}`;
  return h('span', null, what, h('span', { class: 'mz-table__note' }, `${STATE[ho.state] || ho.state}.`));
}

export async function contactView(ctx) {
  ctx.title(CONTACT_TITLE);
  const res = await api('/api/v1/me/contact-moments');
  const intro = [
    pageTitle(CONTACT_TITLE),
    lead('Hier ziet u wanneer u contact had met een organisatie via MijnZaken, waarover, en wat er met uw vraag gebeurt.'),
    para('Heeft een medewerker uw vraag doorgegeven aan een andere organisatie, of vroeg u om teruggebeld te worden? Dan ziet u hier of die organisatie uw vraag al heeft opgepakt.'),
  ];
  if (!res.items.length) {
    ctx.show(...intro,
      h('div', { class: 'mz-empty' }, h('h2', { class: 'utrecht-heading-2' }, 'Er is geen contact vastgelegd'),
        para('Als u een organisatie belt, mailt of aan de balie spreekt en de medewerker legt dat vast, ziet u het hier.')));
    return;
  }
  const rows = res.items.map((m) => h('tr', { class: 'utrecht-table__row mz-contact-row' },
    h('td', { class: 'utrecht-table__cell', 'data-label': 'Datum en tijd' }, h('time', { datetime: m.at }, dateTime(m.at))),
    h('td', { class: 'utrecht-table__cell', 'data-label': 'Organisatie' }, m.organisation),
    h('td', { class: 'utrecht-table__cell', 'data-label': 'Hoe' }, CHANNEL[m.channel] || m.channel),
    h('td', { class: 'utrecht-table__cell', 'data-label': 'Onderwerp' }, m.topic),
    h('td', { class: 'utrecht-table__cell', 'data-label': 'Vervolg' }, followUp(m.handover))));
  ctx.show(...intro,
    h('div', { class: 'mz-table-wrap' },
      h('table', { class: 'utrecht-table utrecht-table--html-table mz-table mz-table--stack' },
        h('caption', { class: 'utrecht-table__caption mz-visually-hidden' }, 'Uw contact met organisaties, nieuwste eerst'),
        h('thead', { class: 'utrecht-table__header' },
          h('tr', { class: 'utrecht-table__row' },
            ['Datum en tijd', 'Organisatie', 'Hoe', 'Onderwerp', 'Vervolg'].map((t) => h('th', { class: 'utrecht-table__header-cell', scope: 'col' }, t)))),
        h('tbody', { class: 'utrecht-table__body' }, rows))));
}
