// Who is signed in. The service keeps the session (an HttpOnly cookie the
// portal cannot read); the portal only asks GET /api/v1/session and keeps
// the answer in memory: no token, no BSN, nothing in storage but the page
// to return to after signing in.
const RETURN = 'mz.returnTo';
const SIGNED_OUT = 'mz.signedOut';
const WAS_IN = 'mz.signedIn'; // a flag only: a 401 after it means the session ended

let current = null; // the last answer of GET /api/v1/session, or null
let skewMs = 0; // server clock minus ours (from the Date header)
let idleDeadline = 0; // our clock: the session's idle expiry, at the earliest
const listeners = new Set();

function store() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/** Sets what GET /api/v1/session answered (null: not signed in). */
export function setSession(s, serverDate) {
  current = s && typeof s === 'object' ? s : null;
  if (serverDate) {
    const t = Date.parse(serverDate);
    if (!Number.isNaN(t)) skewMs = t - Date.now();
  }
  idleDeadline = current ? deadlineOf(current) : 0;
  if (current) store()?.setItem(WAS_IN, '1');
  for (const f of listeners) f(current);
}

function deadlineOf(s) {
  const idle = Date.parse(s.idleExpiresAt);
  const max = Date.parse(s.expiresAt);
  const t = Math.min(Number.isNaN(idle) ? Infinity : idle, Number.isNaN(max) ? Infinity : max);
  return Number.isFinite(t) ? t - skewMs : 0;
}

/**
 * Any API call the service answered renews the session's idle expiry, but
 * the service writes that at most once per idleTimeout/15 (session.c), so
 * the earliest the session can now end is now + idle - idle/15 (never past
 * the absolute expiry).
 */
export function noteActivity() {
  if (!current) return;
  const idle = Number(current.idleTimeoutSeconds) || 0;
  if (idle <= 0) return;
  const max = Date.parse(current.expiresAt);
  let t = Date.now() + (idle - Math.floor(idle / 15)) * 1000;
  if (!Number.isNaN(max)) t = Math.min(t, max - skewMs);
  if (t > idleDeadline) {
    idleDeadline = t;
    for (const f of listeners) f(current);
  }
}

/** ms (our clock) when the session ends at the earliest; 0 when none. */
export function sessionDeadline() {
  return idleDeadline;
}

/** True when the absolute maximum, not idleness, ends the session. */
export function endsAtMaximum() {
  if (!current) return false;
  const max = Date.parse(current.expiresAt);
  return !Number.isNaN(max) && Math.abs(max - skewMs - idleDeadline) < 1000;
}

export function onSessionChange(f) {
  listeners.add(f);
}

export function signedIn() {
  return current !== null;
}

export function endSession() {
  setSession(null);
}

/** 'citizen', 'professional', 'admin' or null (for navigation only: the
 * service decides what a session may do). */
export function role() {
  if (!current) return null;
  const roles = Array.isArray(current.roles) ? current.roles : [];
  if (roles.includes('professional')) return 'professional';
  if (roles.length) return String(roles[0]);
  return current.kind === 'citizen' ? 'citizen' : null;
}

/** The professional's organisation, if any. */
export function organisation() {
  return current && typeof current.organisation === 'string' ? current.organisation : null;
}

/** Someone acts for the citizen (a machtiging). */
export function actingForSomeone() {
  return Boolean(current?.representation?.actingForSomeone);
}

/** The session shows a business's cases (eHerkenning, subjectKind "kvk").
 * The session never carries the KVK number, so the portal cannot show it.
 * A representative who chose a business among several authorisations is
 * not "your organisation": that is a representation (below). */
export function business() {
  return current?.kind === 'citizen' && current?.subjectKind === 'kvk' && choices().length === 0;
}

/** Several authorisations (the provider's `represents`, issue 14): whom the
 * representative may act for, as the service masks them ({index, kind,
 * label: "BSN ••••••019", agencies, agencyNames}); [] for other sessions. */
export function choices() {
  const c = current?.representation?.choices;
  return current?.kind === 'citizen' && Array.isArray(c) ? c : [];
}

/** The index of the chosen authorisation, or null (none yet / no choices). */
export function chosen() {
  const c = current?.representation?.chosen;
  return Number.isInteger(c) ? c : null;
}

/** A representative with several authorisations who has not chosen yet:
 * the service shows no case until then (403), the portal asks first. */
export function needsChoice() {
  return choices().length > 0 && chosen() === null;
}

/** The chosen authorisation ({label, ...}) or null. */
export function chosenChoice() {
  const i = chosen();
  return i === null ? null : choices().find((c) => c.index === i) || null;
}

/** A person signed in for someone else (a machtiging for a citizen). An
 * eHerkenning sign-in always has an acting employee (`act`), so a business
 * session is "your organisation", not "someone else": no banner there. */
export function representative() {
  return current?.kind === 'citizen' && actingForSomeone() && !business();
}

/** A session of the development login (no DigiD). */
export function devSession() {
  return current?.assuranceLevel === 'dev';
}

export function rememberReturn(path) {
  store()?.setItem(RETURN, path);
}

/** The remembered page, left in place. */
export function peekReturn() {
  return store()?.getItem(RETURN) || null;
}

export function takeReturn() {
  const s = store();
  const p = s?.getItem(RETURN);
  s?.removeItem(RETURN);
  return p && p.startsWith('/') && !p.startsWith('//') && !p.includes('\\') ? p : null;
}

/** Where to go after signing in as r: the remembered page when it fits
 * (keep: leave it remembered, for a sign-in that has not happened yet). */
export function returnFor(r, { keep = false } = {}) {
  const target = keep ? peekReturn() : takeReturn();
  const fits = target && (r === 'professional' ? target.startsWith('/medewerker') : !target.startsWith('/medewerker'));
  if (!fits || target.startsWith('/inloggen') || target.startsWith('/sessie-verlopen')) return homeFor(r);
  return target;
}

/** Set just before the sign-out form is sent, so the sign-in page can say so. */
export function markSignedOut() {
  store()?.setItem(SIGNED_OUT, '1');
  store()?.removeItem(WAS_IN);
}

/** True (once) when this tab was signed in and the session is gone now. */
export function takeWasSignedIn() {
  const s = store();
  const v = s?.getItem(WAS_IN);
  s?.removeItem(WAS_IN);
  return v === '1';
}

export function takeSignedOut() {
  const s = store();
  const v = s?.getItem(SIGNED_OUT);
  s?.removeItem(SIGNED_OUT);
  return v === '1';
}

/** Where a role starts. */
export function homeFor(r) {
  if (r === 'professional') return '/medewerker';
  return r === 'citizen' ? '/zaken' : '/inloggen';
}
