// The warning before the session ends for idleness: a minute before (half
// the idle time when that is shorter, for tests), a non-modal dialog at the
// top of the page takes the focus and is announced; "Blijf ingelogd" asks
// GET /api/v1/session (any API call renews the session), "Uitloggen" signs
// out. When the time has passed, the "Uw sessie is verlopen" page follows.
import { ApiError, loadSession } from './api.js';
import { h } from './dom.js';
import { endsAtMaximum, onSessionChange, sessionDeadline, signedIn } from './session.js';

const LEAD_MS = 60000;
let warnTimer = 0;
let endTimer = 0;
let box = null;
let returnFocus = null;
let onExpired = () => {};
let signOutForm = () => null;

function leadMs() {
  // With a very short idle timeout (tests), warn halfway.
  const total = sessionDeadline() - Date.now();
  return Math.min(LEAD_MS, Math.max(1000, total / 2));
}

function schedule() {
  window.clearTimeout(warnTimer);
  window.clearTimeout(endTimer);
  if (!signedIn()) {
    hide(false);
    return;
  }
  const deadline = sessionDeadline();
  if (!deadline) return;
  const now = Date.now();
  if (box && deadline - now > LEAD_MS) hide(true);
  warnTimer = window.setTimeout(show, Math.max(0, deadline - leadMs() - now));
  endTimer = window.setTimeout(() => {
    if (sessionDeadline() <= Date.now() + 250) onExpired();
  }, Math.max(0, deadline - now));
}

function show() {
  if (box || !signedIn()) return;
  const atMax = endsAtMaximum();
  const secs = Math.max(1, Math.round((sessionDeadline() - Date.now()) / 1000));
  const when = secs >= 50 ? 'over 1 minuut' : `over ${secs} seconden`;
  returnFocus = document.activeElement;
  const stay = h('button', { type: 'button', class: 'utrecht-button utrecht-button--primary-action mz-idle__stay', onclick: stayIn }, h('span', null, 'Blijf ingelogd'));
  const out = signOutForm('utrecht-button utrecht-button--secondary-action', 'Uitloggen');
  box = h('div', { class: 'mz-idle', role: 'alertdialog', 'aria-modal': 'false', 'aria-labelledby': 'mz-idle-title', 'aria-describedby': 'mz-idle-text' },
    h('div', { class: 'mz-container mz-idle__inner' },
      h('h2', { class: 'utrecht-heading-3 mz-idle__title', id: 'mz-idle-title' }, `U wordt ${when} uitgelogd`),
      h('p', { class: 'utrecht-paragraph', id: 'mz-idle-text' }, atMax
        ? 'U bent al lang ingelogd. Om uw gegevens te beschermen, loggen wij u dan uit. Daarna kunt u opnieuw inloggen.'
        : 'U bent een tijd niet actief geweest. Om uw gegevens te beschermen, loggen wij u dan uit.'),
      h('div', { class: 'mz-actions' }, atMax ? null : stay, out)));
  document.querySelector('.mz-header')?.after(box);
  (atMax ? box.querySelector('button') : stay).focus();
}

function hide(restore) {
  if (!box) return;
  const had = box.contains(document.activeElement);
  box.remove();
  box = null;
  if (restore && had && returnFocus && document.contains(returnFocus)) returnFocus.focus();
  else if (restore && had) document.getElementById('inhoud')?.focus();
  returnFocus = null;
}

async function stayIn() {
  try {
    const s = await loadSession();
    if (!s) return onExpired();
    hide(true);
    const live = document.getElementById('mz-announcer');
    if (live) live.textContent = 'U blijft ingelogd.';
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) onExpired();
    // otherwise keep the warning: the user can try again
  }
}

/** expired: called when the session has ended; form(cls, text): the sign-out form. */
export function startIdleWatch(expired, form) {
  onExpired = () => {
    hide(false);
    expired();
  };
  signOutForm = form;
  onSessionChange(schedule);
  schedule();
}
