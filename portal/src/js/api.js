// The one way the portal talks to the MijnZaken API (same origin). The
// session is the service's HttpOnly cookie, sent by the browser
// (credentials: 'same-origin'); for POST/PUT/DELETE the browser adds the
// Origin header the service checks (CSRF). The portal never holds a token.
import { noteActivity, setSession } from './session.js';

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem?.title || `HTTP ${status}`);
    this.status = status; // 0 = network failure or time-out
    this.problem = problem || null;
    this.retryAfter = retryAfter ? Number(retryAfter) || null : null;
  }

  /** The support reference from the problem's instance (a request id). */
  get reference() {
    const inst = this.problem?.instance;
    return typeof inst === 'string' && inst.startsWith('urn:mijnzaken:request:') ? inst.slice(22) : null;
  }
}

const TIMEOUT_MS = 20000;

async function request(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const ctl = new AbortController();
  const timer = window.setTimeout(() => ctl.abort(), TIMEOUT_MS);
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctl.signal,
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, null);
  } finally {
    window.clearTimeout(timer);
  }
  let data = null;
  if ((res.headers.get('Content-Type') || '').includes('json')) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (!res.ok) throw new ApiError(res.status, data, res.headers.get('Retry-After'));
  if (res.status === 204) return { data: null, date: res.headers.get('Date') }; // DELETE: done, no body
  if (data === null) throw new ApiError(502, null); // a 2xx without JSON: not our API
  return { data, date: res.headers.get('Date') };
}

/** An API call; a success renews the session (noteActivity). */
export async function api(path, options = {}) {
  const { data } = await request(path, options);
  noteActivity();
  return data;
}

/**
 * Asks the service who is signed in (and so renews the session). Resolves
 * to the session, or null when not signed in (401); other failures throw.
 */
export async function loadSession() {
  try {
    const { data, date } = await request('/api/v1/session');
    setSession(data, date);
    return data;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      setSession(null);
      return null;
    }
    throw e;
  }
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
