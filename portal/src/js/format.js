// Dutch wording and formatting: status groups, dates with their meaning,
// times in Europe/Amsterdam.
const TZ = 'Europe/Amsterdam';
const fmtDate = new Intl.DateTimeFormat('nl-NL', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const fmtDay = new Intl.DateTimeFormat('nl-NL', { day: 'numeric', month: 'long', year: 'numeric', timeZone: TZ });
const fmtTime = new Intl.DateTimeFormat('nl-NL', { hour: '2-digit', minute: '2-digit', timeZone: TZ });
const fmtIsoDay = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: TZ });

/** The status groups of the API, in citizen language. */
export const STATUS = {
  received: { label: 'Ontvangen', explain: 'De organisatie heeft uw aanvraag of melding ontvangen.' },
  in_progress: { label: 'In behandeling', explain: 'De organisatie werkt aan uw zaak.' },
  action_required: { label: 'Actie nodig', explain: 'U moet iets doen voordat de organisatie verder kan.' },
  on_hold: { label: 'Opgeschort', explain: 'De behandeling ligt tijdelijk stil, bijvoorbeeld omdat de organisatie wacht op informatie van een ander. Termijnen kunnen daardoor verschuiven.' },
  decided: { label: 'Besluit genomen', explain: 'Er is een besluit genomen. Bent u het er niet mee eens? Dan kunt u meestal bezwaar maken.' },
  closed: { label: 'Afgerond', explain: 'De zaak is afgerond.' },
  withdrawn: { label: 'Ingetrokken', explain: 'De aanvraag is ingetrokken.' },
};

/** {key, label}: an unknown group falls back to the agency's own text. */
export function statusOf(group, text) {
  if (Object.prototype.hasOwnProperty.call(STATUS, group)) return { key: group, label: STATUS[group].label };
  return { key: 'unknown', label: text ? String(text) : 'Status onbekend' };
}

function parseDay(isoDate) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(isoDate || ''));
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : null;
}

/** '2026-11-30' → '30 november 2026' */
export function date(isoDate) {
  const d = parseDay(isoDate);
  return d ? fmtDate.format(d) : String(isoDate || '');
}

/** A timestamp's calendar day in Amsterdam: '21 november 2026' */
export function day(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : fmtDay.format(d);
}

/** '21 november 2026 om 11:02' */
export function dateTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : `${fmtDay.format(d)} om ${fmtTime.format(d)}`;
}

/** 'vandaag om 12:40', 'gisteren om 09:15' or '3 november 2026 om 12:40' */
export function whenUpdated(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const today = fmtIsoDay.format(new Date());
  const yesterday = fmtIsoDay.format(new Date(Date.now() - 86400000));
  const that = fmtIsoDay.format(d);
  if (that === today) return `vandaag om ${fmtTime.format(d)}`;
  if (that === yesterday) return `gisteren om ${fmtTime.format(d)}`;
  return dateTime(iso);
}

/** Whole days from today (Amsterdam) until an ISO date; negative = past.
 * now: the moment that counts as "now" (tests pass one). */
export function daysUntil(isoDate, now = new Date()) {
  const d = parseDay(isoDate);
  if (!d) return null;
  const today = parseDay(fmtIsoDay.format(now));
  return Math.round((d - today) / 86400000);
}

/** Groups in which the organisation has still to decide. */
const UNDECIDED = new Set(['received', 'in_progress', 'action_required', 'on_hold']);

/**
 * The legal deadline of an open case that still waits for a decision has
 * passed: { date, days } (days: how many days ago), else null. The deadline
 * day itself still counts (the organisation may decide on it), and "today"
 * is the calendar day in Amsterdam, whatever the browser's time zone. An
 * unknown status group counts as undecided: better one note too many than
 * a missed one, and the note tells the citizen to ask.
 */
export function overdue(c, now = new Date()) {
  if (!c || c.isOpen === false) return null;
  const group = c.status?.group;
  if (group && !UNDECIDED.has(group) && Object.prototype.hasOwnProperty.call(STATUS, group)) return null;
  const deadline = c.dates?.legalDeadline?.date;
  const n = daysUntil(deadline, now);
  return n !== null && n < 0 ? { date: deadline, days: -n } : null;
}

/** 'nog 7 dagen', 'morgen', 'vandaag', 'de termijn is verstreken' */
export function dueHint(isoDate) {
  const n = daysUntil(isoDate);
  if (n === null) return '';
  if (n < 0) return 'de termijn is verstreken';
  if (n === 0) return 'vandaag';
  if (n === 1) return 'morgen';
  return `nog ${n} dagen`;
}

/** The dates of a case, in a fixed order, each with its meaning. */
const DATE_ORDER = ['registered', 'plannedEnd', 'legalDeadline', 'closed'];
const DATE_DEFAULT = {
  registered: { label: 'Ontvangen op' },
  indicative: { label: 'Verwachte beslisdatum', tag: 'indicatief', explain: 'Een verwachting, geen toezegging.' },
  legal_deadline: { label: 'Uiterste beslisdatum', tag: 'wettelijke termijn', explain: 'Uiterlijk op deze datum moet de organisatie beslissen, tenzij de behandeling is opgeschort.' },
  closed: { label: 'Afgerond op' },
};

export function caseDates(dates) {
  const out = [];
  for (const key of DATE_ORDER) {
    const d = dates?.[key];
    if (!d || !d.date) continue;
    const meaning = d.meaning || ({ registered: 'registered', plannedEnd: 'indicative', legalDeadline: 'legal_deadline', closed: 'closed' })[key];
    const def = DATE_DEFAULT[meaning] || { label: key };
    // The API's label may carry the qualifier in brackets; we show it as a tag.
    let label = typeof d.label === 'string' && d.label.trim() ? d.label.trim() : def.label;
    label = label.replace(/\s*\((indicatief|wettelijke termijn)\)\s*$/i, '');
    out.push({ key, meaning, label, tag: def.tag || null, explain: def.explain || null, date: d.date, text: date(d.date) });
  }
  return out;
}

export const VIA = {
  poll: 'opgehaald uit het systeem van de organisatie',
  webhook: 'doorgegeven door de organisatie zelf',
  seed: 'demogegevens',
};

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}
