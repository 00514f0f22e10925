// Building blocks shared by the pages. NL Design System (Utrecht) classes
// for the standard components, mz-* for the portal's own.
import { h, icon, id, safeUrl } from './dom.js';
import { STATUS, caseDates, date, day, dueHint, overdue, plural, statusOf, whenUpdated } from './format.js';

export function heading(level, text, props = {}) {
  return h(`h${level}`, { class: [`utrecht-heading-${level}`, props.class], id: props.id, tabindex: props.tabindex }, text);
}

export function pageTitle(text, pre) {
  return h('div', { class: 'mz-page-title' },
    pre ? h('p', { class: 'utrecht-pre-heading mz-pre-heading' }, pre) : null,
    h('h1', { class: 'utrecht-heading-1', tabindex: '-1' }, text));
}

export function para(...children) {
  return h('p', { class: 'utrecht-paragraph' }, ...children);
}

export function lead(...children) {
  return h('p', { class: 'utrecht-paragraph utrecht-paragraph--lead mz-lead' }, ...children);
}

/** An internal link, handled by the router. */
export function navLink(href, text, cls = '') {
  return h('a', { class: ['utrecht-link', 'utrecht-link--html-a', cls], href, 'data-nav': '' }, text);
}

/** A link to another site: opens in the same tab, says where it goes. */
export function extLink(url, text, cls = '') {
  const href = safeUrl(url);
  if (!href) return null;
  return h('a', { class: ['utrecht-link', 'utrecht-link--html-a', 'mz-ext', cls], href, rel: 'noopener noreferrer' },
    text, icon('external', 'mz-icon--inline'));
}

export function telLink(number, cls = '') {
  if (!number) return null;
  const digits = String(number).replace(/[^0-9+]/g, '');
  return h('a', { class: ['utrecht-link', 'utrecht-link--html-a', 'utrecht-link--telephone', cls], href: `tel:${digits}` }, String(number));
}

export function buttonLink(href, text, { primary = true, nav = false, external = false, iconName } = {}) {
  const url = nav ? href : safeUrl(href);
  if (!url) return null;
  return h('a', {
    class: ['utrecht-button-link', 'utrecht-button-link--html-a', primary ? 'utrecht-button-link--primary-action' : 'utrecht-button-link--secondary-action', 'mz-button-link'],
    href: url, 'data-nav': nav ? '' : null, rel: external ? 'noopener noreferrer' : null,
  }, iconName ? icon(iconName) : null, h('span', null, text), external ? icon('external', 'mz-icon--inline') : null);
}

export function button(text, { primary = true, type = 'button', onclick, cls, iconName } = {}) {
  return h('button', {
    type, onclick,
    class: ['utrecht-button', primary ? 'utrecht-button--primary-action' : 'utrecht-button--secondary-action', type === 'submit' ? 'utrecht-button--submit' : null, cls],
  }, iconName ? icon(iconName) : null, h('span', null, text));
}

/** kind: info | ok | warning | error */
export function alert(kind, title, ...body) {
  const names = { info: 'info', ok: 'check', warning: 'warning', error: 'error' };
  // Only an error is a live alert (named by its title); the others are plain content.
  const hid = title ? id('alert') : null;
  const isAlert = kind === 'error';
  return h('div', { class: ['utrecht-alert', `utrecht-alert--${kind}`, 'mz-alert'], role: isAlert ? 'alert' : null, 'aria-labelledby': isAlert ? hid : null },
    h('div', { class: 'utrecht-alert__icon mz-alert__icon' }, icon(names[kind] || 'info')),
    h('div', { class: 'utrecht-alert__content' },
      h('div', { class: 'utrecht-alert__message' },
        title ? h('h2', { class: 'utrecht-heading-3 mz-alert__title', id: hid }, title) : null,
        ...body)));
}

/** The status group as a badge: always text, colour only supports it. */
export function statusBadge(group, text, small = false) {
  const s = statusOf(group, text);
  return h('span', { class: ['utrecht-status-badge', 'mz-status', `mz-status--${s.key}`, small ? 'mz-status--small' : null] }, s.label);
}

/** "[badge] agency text · sinds 21 november 2026" */
export function statusLine(status, { small = false } = {}) {
  const known = Object.prototype.hasOwnProperty.call(STATUS, status?.group);
  const showText = status?.text && known && status.text !== STATUS[status.group].label;
  const since = status?.since ? day(status.since) : '';
  return h('p', { class: 'mz-status-line' },
    h('span', { class: 'mz-visually-hidden' }, 'Status: '),
    statusBadge(status?.group, status?.text, small),
    showText || since ? h('span', { class: 'mz-status-line__detail' },
      showText ? h('span', { class: 'mz-status-line__text' }, status.text) : null,
      showText && since ? h('span', { class: 'mz-status-line__sep', 'aria-hidden': 'true' }, ' · ') : null,
      showText && since ? h('span', { class: 'mz-visually-hidden' }, ', ') : null,
      since ? h('span', { class: 'mz-status-line__since' }, 'sinds ', h('time', { datetime: status.since }, since)) : null) : null);
}

/** The action the citizen must take, highlighted. */
export function actionBlock(action, agencyName, { headingLevel = 4, compact = false, professional = false } = {}) {
  if (!action || !action.text) return null;
  const due = action.dueDate;
  const hint = due ? dueHint(due) : '';
  const late = hint === 'de termijn is verstreken';
  return h('div', { class: ['mz-action', compact ? 'mz-action--compact' : null] },
    h('div', { class: 'mz-action__icon' }, icon('warning')),
    h('div', { class: 'mz-action__body' },
      h(`h${headingLevel}`, { class: 'mz-action__title' }, professional ? 'Actie van de burger nodig: ' : 'Actie nodig: ', h('span', { class: 'mz-action__text' }, action.text)),
      due ? h('p', { class: ['mz-action__due', late ? 'mz-action__due--late' : null] },
        icon('clock', 'mz-icon--inline'), 'Uiterlijk ', h('time', { datetime: due }, h('strong', null, date(due))),
        hint ? ` (${hint})` : '') : null,
      // The action's link leads into the citizen's own account at the
      // organisation: of no use to a professional, who is told where instead.
      professional ? para(`De burger regelt dit bij ${agencyName || 'de organisatie'}.`)
        : safeUrl(action.url) ? buttonLink(action.url, agencyName ? `Regel dit bij ${agencyName}` : 'Regel dit bij de organisatie', { external: true }) : null));
}

/**
 * "Termijn verstreken": the legal deadline of a case that waits for a
 * decision has passed (computed here, from the date, for today in
 * Amsterdam). compact: the short note on a case card; otherwise the full
 * explanation on the case's page. professional: worded for the contact
 * centre (what to tell the citizen).
 */
export function overdueNote(c, { compact = false, professional = false } = {}) {
  const late = overdue(c);
  if (!late) return null;
  const agency = c.agency?.name || 'de organisatie';
  const when = h('time', { datetime: late.date }, date(late.date));
  const onHold = c.status?.group === 'on_hold';
  if (compact) {
    return h('div', { class: 'mz-overdue mz-overdue--compact' },
      icon('clock', 'mz-overdue__icon'),
      h('p', { class: 'mz-overdue__text' },
        h('strong', { class: 'mz-overdue__title' }, 'Termijn verstreken'), ' ',
        h('span', null, `${agency} had uiterlijk `, when, ' moeten beslissen. ',
          onHold ? 'De behandeling is opgeschort; vraag de organisatie naar de nieuwe datum.'
            : 'Neem contact op en vraag wanneer u een besluit krijgt.')));
  }
  const ago = late.days === 1 ? 'gisteren' : `${plural(late.days, 'dag', 'dagen')} geleden`;
  const body = professional
    ? [para(`${agency} had uiterlijk `, h('strong', null, when), ` moeten beslissen. Die wettelijke termijn is ${ago} verstreken.`),
      onHold ? para('De behandeling is opgeschort. Daardoor kan de termijn later liggen.') : null,
      para(`Verwijs de burger naar ${agency} om te vragen wanneer er een besluit komt. Gaat het om een aanvraag of een bezwaar, dan kan de burger de organisatie schriftelijk in gebreke stellen.`)]
    : [para(`${agency} had uiterlijk `, h('strong', null, when), ` moeten beslissen over uw zaak. Die wettelijke termijn is ${ago} verstreken.`),
      onHold ? para('De behandeling is opgeschort. Daardoor kan de termijn later liggen. Vraag de organisatie naar de nieuwe datum.') : null,
      h('p', { class: 'utrecht-paragraph mz-overdue__what' }, h('strong', null, 'Wat kunt u doen? '),
        `Neem contact op met ${agency} en vraag wanneer u een besluit krijgt. U vindt de contactgegevens op deze pagina.`),
      para('Gaat het om een aanvraag of een bezwaar? Dan kunt u de organisatie schriftelijk in gebreke stellen: een ingebrekestelling. ',
        'Beslist de organisatie daarna binnen 2 weken nog niet, dan heeft u meestal recht op een dwangsom (een vergoeding per dag) en kunt u in beroep gaan bij de rechter. ',
        'Meer hierover leest u op rijksoverheid.nl (zoek op ‘ingebrekestelling’).')];
  const box = alert('warning', 'Termijn verstreken', ...body);
  box.classList.add('mz-overdue');
  return box;
}

export function resultBlock(result, closedDate, label = 'Uitkomst') {
  if (!result || !result.text) return null;
  return h('div', { class: 'mz-result' },
    h('p', { class: 'mz-result__label' }, label),
    h('p', { class: 'mz-result__text' }, result.text),
    closedDate ? h('p', { class: 'mz-result__date' }, 'Afgerond op ', h('time', { datetime: closedDate }, date(closedDate))) : null);
}

/** The case's dates as a description list, each with its meaning. */
export function datesList(dates, { explain = false, compact = false, late = false } = {}) {
  const items = caseDates(dates);
  if (!items.length) return null;
  return h('dl', { class: ['mz-dates', compact ? 'mz-dates--compact' : null] },
    items.map((d) => h('div', { class: ['mz-dates__item', `mz-dates__item--${d.meaning}`] },
      h('dt', { class: 'mz-dates__label' }, d.label),
      h('dd', { class: 'mz-dates__value' },
        h('time', { datetime: d.date }, d.text),
        d.tag ? h('span', { class: 'mz-tag' }, d.tag) : null,
        late && d.key === 'legalDeadline' ? h('span', { class: 'mz-tag mz-tag--late' }, 'verstreken') : null,
        explain && d.explain ? h('span', { class: 'mz-dates__explain' }, d.explain) : null))));
}

/** One case in a list. */
export function caseCard(c, { href, headingLevel = 3, showProfessional = false }) {
  const hid = id('zaak');
  const agency = c.agency?.name || 'Onbekende organisatie';
  const action = c.isOpen !== false ? c.action : null;
  return h('article', { class: ['mz-case', action ? 'mz-case--action' : null, c.isOpen === false ? 'mz-case--closed' : null], 'aria-labelledby': hid, 'data-agency': c.agency?.id || '' },
    h('div', { class: 'mz-case__head' },
      h('p', { class: 'mz-case__agency' }, h('span', { class: 'mz-visually-hidden' }, 'Organisatie: '), agency),
      h(`h${headingLevel}`, { class: 'mz-case__title', id: hid },
        h('a', { class: 'mz-case__link', href, 'data-nav': '' }, c.title || 'Zaak zonder titel')),
      statusLine(c.status)),
    overdueNote(c, { compact: true }),
    action ? actionBlock(action, agency, { headingLevel: headingLevel + 1, compact: true }) : null,
    resultBlock(c.result, c.dates?.closed?.date, resultLabel(c)),
    datesList(c.dates, { compact: true, late: Boolean(overdue(c)) }),
    h('div', { class: 'mz-case__foot' },
      c.caseNumber ? h('p', { class: 'mz-case__number' }, 'Zaaknummer ', h('span', { class: 'mz-nowrap' }, c.caseNumber)) : h('span'),
      showProfessional ? null : h('a', { class: 'utrecht-link utrecht-link--html-a mz-case__more', href, 'data-nav': '' },
        'Bekijk zaak', h('span', { class: 'mz-visually-hidden' }, `: ${c.title || ''}`), icon('arrow', 'mz-icon--inline'))));
}

/** "Besluit" while a decision is in (objection may follow), else "Uitkomst". */
export function resultLabel(c) {
  return c?.status?.group === 'decided' ? 'Besluit' : 'Uitkomst';
}

/** Per organisation whose information may be out of date: one line each.
 * With more than two (and a panel listing them, detailsId), one sentence. */
export function freshnessNotice(sources, agencyFilter, detailsId, { professional = false } = {}) {
  const affected = (sources || []).filter((s) => s && s.freshness && s.freshness !== 'fresh' && (!agencyFilter || s.agency?.id === agencyFilter));
  if (!affected.length) return null;
  const nameOf = (s) => s.agency?.name || 'een organisatie';
  if (detailsId && affected.length > 2) {
    const names = affected.map(nameOf);
    const list = `${names.slice(0, -1).join(', ')} en ${names[names.length - 1]}`;
    return alert('warning', 'Niet alle informatie is actueel',
      para(`De informatie van ${list} kan verouderd zijn. `,
        h('a', { class: 'utrecht-link utrecht-link--html-a', href: `#${detailsId}` }, 'Bekijk per organisatie wanneer die is bijgewerkt'), '.'),
      para('Heeft u haast of twijfelt u? Neem dan contact op met de organisatie zelf.'));
  }
  const lines = affected.map((s) => {
    const name = nameOf(s);
    const when = s.lastSyncedAt ? whenUpdated(s.lastSyncedAt) : null;
    if (s.freshness === 'unavailable') {
      return h('li', { 'data-agency': s.agency?.id || '' },
        h('strong', null, name), ' is op dit moment niet bereikbaar. ',
        when ? `U ziet de informatie van ${when}.` : 'Er is nog geen informatie van deze organisatie.');
    }
    return h('li', { 'data-agency': s.agency?.id || '' },
      when ? ['De informatie van ', h('strong', null, name), ` kan verouderd zijn; laatst bijgewerkt ${when}.`]
        : ['Wij hebben nog geen informatie van ', h('strong', null, name), ' ontvangen. ',
          professional ? 'Mogelijk heeft de burger daar zaken die hier nog niet staan.' : 'Mogelijk heeft u daar zaken die hier nog niet staan.']);
  });
  return alert('warning', 'Niet alle informatie is actueel',
    h('ul', { class: 'utrecht-unordered-list mz-freshness' }, lines),
    para(professional ? 'Twijfelt u? Neem dan contact op met de organisatie zelf, via de lijn voor professionals.'
      : 'Heeft u haast of twijfelt u? Neem dan contact op met de organisatie zelf.'));
}

/** The history of a case, oldest first, with the expected next step. */
export function timeline(entries, c, { professional = false } = {}) {
  const list = Array.isArray(entries) ? entries.slice() : [];
  list.sort((a, b) => String(a.occurredAt).localeCompare(String(b.occurredAt)));
  const items = list.map((e, i) => {
    const current = i === list.length - 1;
    return h('li', { class: ['mz-timeline__item', current ? 'mz-timeline__item--current' : null] },
      h('span', { class: 'mz-timeline__marker' }),
      h('p', { class: 'mz-timeline__when' }, h('time', { datetime: e.occurredAt }, day(e.occurredAt))),
      h('p', { class: 'mz-timeline__what' }, statusBadge(e.statusGroup, e.text, true),
        e.text && e.text !== statusOf(e.statusGroup, e.text).label ? [' ', h('span', { class: 'mz-timeline__text' }, e.text)] : null),
      current ? h('p', { class: 'mz-timeline__current' }, 'Huidige status') : null);
  });
  if (c && c.isOpen !== false) {
    const planned = c.dates?.plannedEnd?.date;
    const deadline = c.dates?.legalDeadline?.date;
    const when = overdue(c) ? ['de wettelijke termijn (', h('strong', null, date(deadline)), ') is verstreken'] :
      planned ? ['verwacht rond ', h('strong', null, date(planned)), ' (indicatief)'] :
      deadline ? ['uiterlijk ', h('strong', null, date(deadline)), ' (wettelijke termijn)'] :
      [professional ? 'de organisatie laat het de burger weten' : 'de organisatie laat het u weten'];
    items.push(h('li', { class: 'mz-timeline__item mz-timeline__item--next' },
      h('span', { class: 'mz-timeline__marker' }),
      h('p', { class: 'mz-timeline__when' }, 'Volgende stap'),
      h('p', { class: 'mz-timeline__what' }, 'Besluit: ', ...when)));
  }
  if (!items.length) return para('Er is nog geen verloop bekend.');
  return h('ol', { class: 'mz-timeline' }, items);
}

/** A visible "loading" line (announce() tells screen readers). */
export function loading(text) {
  return h('p', { class: 'mz-loading' }, h('span', { class: 'mz-spinner', 'aria-hidden': 'true' }), text);
}

export function breadcrumb(items) {
  return h('nav', { class: 'utrecht-breadcrumb-nav mz-breadcrumb', 'aria-label': 'Kruimelpad' },
    h('ol', { class: 'utrecht-breadcrumb-nav__list' },
      items.map((it, i) => h('li', { class: 'utrecht-breadcrumb-nav__item' },
        it.href && i < items.length - 1
          ? h('a', { class: 'utrecht-breadcrumb-nav__link utrecht-link', href: it.href, 'data-nav': '' }, it.text)
          : h('span', { class: 'utrecht-breadcrumb-nav__link utrecht-breadcrumb-nav__link--current', 'aria-current': 'page' }, it.text)))));
}
