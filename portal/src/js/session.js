// The login session: the token lives in sessionStorage only (gone when the
// tab closes), never in localStorage or a cookie. The BSN is never stored.
const TOKEN = 'mz.token';
const EXPIRES = 'mz.expiresAt';
const RETURN = 'mz.returnTo';

function store() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function token() {
  return store()?.getItem(TOKEN) || null;
}

export function startSession(tok, expiresIn) {
  const s = store();
  if (!s) return;
  s.setItem(TOKEN, tok);
  s.setItem(EXPIRES, String(Date.now() + Math.max(0, Number(expiresIn) || 0) * 1000));
}

export function endSession() {
  const s = store();
  if (!s) return;
  s.removeItem(TOKEN);
  s.removeItem(EXPIRES);
}

/** True when the token's lifetime we were told at login has passed. */
export function expired() {
  const at = Number(store()?.getItem(EXPIRES) || 0);
  return at > 0 && Date.now() > at;
}

function claims() {
  const t = token();
  if (!t) return null;
  try {
    const b64 = t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const c = JSON.parse(new TextDecoder().decode(bytes));
    return c && typeof c === 'object' ? c : {};
  } catch {
    return {}; // unreadable: the service will answer 401
  }
}

/** 'citizen', 'professional', 'admin' or null, read from the token's claims
 * (for navigation only: the service decides what a token may do). */
export function role() {
  const c = claims();
  if (!c) return null;
  if (Array.isArray(c.roles) && c.roles.length) {
    return c.roles.includes('professional') ? 'professional' : String(c.roles[0]);
  }
  return 'citizen';
}

/** The professional's organisation (the token's org claim), if any. */
export function organisation() {
  const c = claims();
  return c && typeof c.org === 'string' ? c.org : null;
}

export function rememberReturn(path) {
  store()?.setItem(RETURN, path);
}

export function takeReturn() {
  const s = store();
  const p = s?.getItem(RETURN);
  s?.removeItem(RETURN);
  return p && p.startsWith('/') && !p.startsWith('//') ? p : null;
}

/** Where a role starts. */
export function homeFor(r) {
  if (r === 'professional') return '/medewerker';
  return r === 'citizen' ? '/zaken' : '/inloggen';
}
