// The one way the portal talks to the MijnZaken API (same origin).
import { token } from './session.js';

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

export async function api(path, { method = 'GET', body, auth = true } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth) {
    const t = token();
    if (!t) throw new ApiError(401, null);
    headers.Authorization = `Bearer ${t}`;
  }
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
      credentials: 'omit',
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
  if (data === null) throw new ApiError(502, null); // a 2xx without JSON: not our API
  return data;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
