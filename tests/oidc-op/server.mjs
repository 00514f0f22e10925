#!/usr/bin/env node
// A local OpenID provider for MijnZaken's tests and demo: the OpenID-certified
// oidc-provider package serving one issuer per path on 127.0.0.1 — by default
// /citizen (a DigiD/eHerkenning simulator) and /staff (an organisation's IdP).
// Authorization code flow only, PKCE S256 required, ID tokens signed with
// RS256 (PS256 and ES256 on request), RP-initiated logout and OIDC
// Back-Channel Logout 1.0. See README.md beside this file.
//
// On start it prints one JSON line to stdout:
//   {"msg":"listening","port":P,"issuers":{"citizen":"http://127.0.0.1:P/citizen",...}}
// Logs (JSON lines) go to stderr and never hold a token, code or BSN.
import http from 'node:http';
import path from 'node:path';

import { Provider, interactionPolicy } from 'oidc-provider';

import { createStore, adapterFor, sessionsIn } from './lib/adapter.mjs';
import { parseArgs, loadConfig } from './lib/config.mjs';
import { ensureStateDir, loadOrCreateKeys, loadOrCreateCookieKeys, rotateKeys } from './lib/keys.mjs';
import { CSS, loginPage, logoutPage, loggedOutPage, errorPage } from './lib/views.mjs';
// The identity claims a citizen issuer releases (issue 14: the scope of an
// `act` authorisation, and several authorisations in `represents`).
const CITIZEN_CLAIMS = ['bsn', 'kvk', 'act', 'authorization', 'represents'];
// A citizen issuer is a broker for DigiD and eHerkenning: the scope
// `eherkenning` asks for a business sign-in (only accounts with a KVK
// number; an OP session of a person signs in again).
const EHERKENNING_SCOPE = 'eherkenning';

function wantsEherkenning(issuer, scope) {
  return issuer.kind !== 'staff' && String(scope ?? '').split(' ').includes(EHERKENNING_SCOPE);
}

const { Check } = interactionPolicy;
const BODY_LIMIT = 16 * 1024;

function log(msg, fields = {}) {
  process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), msg, ...fields })}\n`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function readBody(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > BODY_LIMIT) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

const HTML_HEADERS = {
  // No script at all; styles only from the simulator itself. No form-action:
  // Chromium applies it to the redirects after a submit, and the login
  // form's answer redirects to the client.
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
};

function sendJson(res, status, obj) {
  send(res, status, 'application/json', `${JSON.stringify(obj)}\n`);
}

// --- one issuer --------------------------------------------------------------

/** The rank of an acr value in the issuer's ordered list (-1: not ours). */
function rank(issuer, acr) {
  return issuer.acrValues.findIndex((l) => l.value === acr);
}

/** The lowest of the requested acr_values this issuer knows (undefined: none). */
function minimumRequested(issuer, acrValues) {
  const ranks = String(acrValues ?? '')
    .split(' ')
    .map((v) => rank(issuer, v))
    .filter((r) => r >= 0);
  return ranks.length ? issuer.acrValues[Math.min(...ranks)].value : undefined;
}

function claimsOf(issuer, account) {
  const n = issuer.claimNames;
  const out = { sub: account.id };
  for (const k of issuer.kind === 'staff' ? ['roles', 'org', 'name'] : CITIZEN_CLAIMS) {
    if (account[k] !== undefined) out[n[k]] = account[k];
  }
  return out;
}

function buildProvider(issuer, state) {
  const policy = interactionPolicy.base();
  // acr_values honoured: a session signed in at a lower level than the
  // client asks for signs in again. Not right after a login (the user may
  // pick a lower level on purpose: that is the "too low" test of the RP).
  policy.get('login').checks.add(
    new Check('acr_values', 'the session does not meet the requested assurance level', (ctx) => {
      const min = minimumRequested(issuer, ctx.oidc.params.acr_values);
      if (!min || ctx.oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
      return rank(issuer, ctx.oidc.session.acr) >= rank(issuer, min) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );

  policy.get('login').checks.add(
    new Check('eherkenning', 'eHerkenning is asked for and the session is not a business', (ctx) => {
      if (!wantsEherkenning(issuer, ctx.oidc.params.scope) || ctx.oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
      const account = issuer.accounts.find((a) => a.id === ctx.oidc.session.accountId);
      return account?.kvk ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );

  // A citizen issuer speaks of citizens and businesses, a staff issuer of
  // employees: each lists (and releases) only its own claims.
  const ours = issuer.kind === 'staff' ? ['roles', 'org', 'name'] : CITIZEN_CLAIMS;
  const claimNames = ours.map((k) => issuer.claimNames[k]);
  const provider = new Provider(issuer.url, {
    adapter: adapterFor(state.store),
    clients: issuer.clients,
    jwks: state.jwks,
    cookies: {
      keys: state.cookieKeys,
      names: { session: `${issuer.name}_session`, interaction: `${issuer.name}_interaction`, resume: `${issuer.name}_resume` },
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    scopes: issuer.kind === 'staff' ? ['openid'] : ['openid', EHERKENNING_SCOPE],
    // acr and auth_time always: the RP checks the level on every sign-in,
    // also when it sent no acr_values.
    claims: { openid: ['sub', 'acr', 'auth_time', ...claimNames], sid: null },
    // The identity claims go in the ID token (the relying party reads them
    // there), not only from the userinfo endpoint.
    conformIdTokenClaims: false,
    acrValues: issuer.acrValues.map((l) => l.value),
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['private_key_jwt', 'client_secret_basic'],
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'PS256', 'ES256'],
      requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256'],
    },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
      id_token_signed_response_alg: 'RS256',
    },
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          ctx.set(HTML_HEADERS);
          ctx.type = 'html';
          const c = ctx.oidc.client;
          ctx.body = logoutPage({ issuer, form, clientName: c?.clientName ?? c?.clientId });
        },
        postLogoutSuccessSource(ctx) {
          ctx.set(HTML_HEADERS);
          ctx.type = 'html';
          const c = ctx.oidc.client;
          ctx.body = loggedOutPage({ issuer, clientName: c?.clientName ?? c?.clientId });
        },
      },
    },
    interactions: {
      policy,
      url: (ctx, interaction) => `${issuer.path}/interaction/${interaction.uid}`,
    },
    async findAccount(ctx, id) {
      const account = issuer.accounts.find((a) => a.id === id);
      if (!account) return undefined;
      return { accountId: id, claims: async () => claimsOf(issuer, account) };
    },
    // First-party clients: no consent screen; the grant covers openid.
    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const id = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
      if (id) {
        const g = await oidc.provider.Grant.find(id);
        if (g && g.accountId === oidc.session.accountId) return g;
      }
      if (!oidc.session.accountId) return undefined;
      const grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId: oidc.session.accountId });
      grant.addOIDCScope(issuer.kind === 'staff' ? 'openid' : `openid ${EHERKENNING_SCOPE}`);
      await grant.save();
      return grant;
    },
    async renderError(ctx, out) {
      ctx.set(HTML_HEADERS);
      ctx.type = 'html';
      ctx.body = errorPage({ issuer, error: out.error, description: out.error_description });
    },
    // oidc-provider refuses outgoing requests to special-use addresses (SSRF
    // protection), loopback included; this OP lives on loopback and calls
    // only relying parties there (back-channel logout), so it allows exactly
    // loopback and nothing else.
    fetch(url, options) {
      const host = new URL(url).hostname;
      if (!['127.0.0.1', '[::1]', 'localhost'].includes(host)) {
        return Promise.reject(new Error('this simulator only calls loopback addresses'));
      }
      const { dispatcher: _ssrf, ...rest } = options;
      return globalThis.fetch(url, rest);
    },
    ttl: {
      AccessToken: 300,
      AuthorizationCode: 60,
      IdToken: 300,
      Interaction: 900,
      Session: 8 * 3600,
      Grant: 8 * 3600,
    },
  });

  // The test controls act on the token endpoint: a delay (the RP's deadline)
  // and broken answers (the RP's size cap and parser).
  provider.use(async (ctx, next) => {
    const ctl = state.controls;
    if (ctx.path === '/token' && ctl.slowMs > 0) await sleep(ctl.slowMs);
    await next();
    if (ctx.path === '/token' && ctx.status === 200 && ctl.tokenResponse) {
      if (ctl.tokenResponse === 'oversized') {
        ctx.body = { ...ctx.body, padding: 'x'.repeat(2 * 1024 * 1024) };
      } else if (ctl.tokenResponse === 'malformed') {
        ctx.type = 'application/json';
        ctx.body = '{"access_token": "x", "id_token": ';
      } else if (ctl.tokenResponse === 'no-id-token') {
        const { id_token: _drop, ...rest } = ctx.body;
        ctx.body = rest;
      }
    }
  });

  provider.on('server_error', (ctx, err) => log('server_error', { issuer: issuer.name, error: err.message }));
  provider.on('backchannel.success', (ctx, client) => log('backchannel logout delivered', { issuer: issuer.name, client: client.clientId }));
  provider.on('backchannel.error', (ctx, err, client) =>
    log('backchannel logout failed', { issuer: issuer.name, client: client.clientId, error: err.message }),
  );
  provider.on('grant.success', (ctx) => log('token issued', { issuer: issuer.name, client: ctx.oidc.client?.clientId }));
  provider.on('end_session.success', () => log('end session', { issuer: issuer.name }));
  return provider;
}

// --- interactions (our own login page) ---------------------------------------

async function interaction(issuer, state, req, res, rest) {
  const provider = state.provider;
  const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login|\/abort)?$/.exec(rest);
  if (!m) return send(res, 404, 'text/plain; charset=utf-8', 'Niet gevonden\n');
  const [, uid, action] = m;
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    return send(
      res,
      400,
      'text/html; charset=utf-8',
      errorPage({ issuer, error: 'interaction_expired', description: 'The sign-in attempt expired or is unknown; start again at the service.' }),
      HTML_HEADERS,
    );
  }
  if (details.uid !== uid) return send(res, 400, 'text/plain; charset=utf-8', 'Onbekende inlogpoging\n');
  const { prompt, params } = details;

  if (!action) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Methode niet toegestaan\n', { allow: 'GET' });
    if (prompt.name === 'consent') {
      // loadExistingGrant grants first-party clients; should a consent
      // prompt still come, grant openid and go on.
      const grant = new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      grant.addOIDCScope(issuer.kind === 'staff' ? 'openid' : `openid ${EHERKENNING_SCOPE}`);
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    const client = await provider.Client.find(params.client_id);
    // eHerkenning asked for: the business accounts only, worded for it.
    const eh = wantsEherkenning(issuer, params.scope);
    const shown = eh
      ? { ...issuer, title: 'eHerkenning-simulator', heading: 'Kies een demo-bedrijf', accounts: issuer.accounts.filter((a) => a.kvk) }
      : issuer;
    const html = loginPage({
      issuer: shown,
      uid,
      clientName: client?.clientName ?? params.client_id,
      acrValues: issuer.acrValues,
      minimumAcr: minimumRequested(issuer, params.acr_values),
      action: `${issuer.path}/interaction/${uid}/login`,
      abortAction: `${issuer.path}/interaction/${uid}/abort`,
    });
    return send(res, 200, 'text/html; charset=utf-8', html, HTML_HEADERS);
  }

  if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'Methode niet toegestaan\n', { allow: 'POST' });
  const form = new URLSearchParams(await readBody(req));
  if (action === '/abort') {
    log('sign-in cancelled', { issuer: issuer.name, client: params.client_id });
    return provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'End-User cancelled the sign-in' },
      { mergeWithLastSubmission: false },
    );
  }
  const account = issuer.accounts.find(
    (a) => a.id === form.get('account') && (!wantsEherkenning(issuer, params.scope) || a.kvk),
  );
  // Every sign-in has a level (the page always sends one; a bare post gets
  // the lowest the client asked for, else the issuer's lowest).
  const acr = form.get('acr') || minimumRequested(issuer, params.acr_values) || issuer.acrValues[0]?.value;
  if (!account || (acr !== undefined && rank(issuer, acr) < 0)) {
    return send(
      res,
      400,
      'text/html; charset=utf-8',
      errorPage({ issuer, error: 'invalid_choice', description: 'Choose one of the listed accounts and levels.' }),
      HTML_HEADERS,
    );
  }
  log('sign-in', { issuer: issuer.name, client: params.client_id, account: account.id, acr });
  return provider.interactionFinished(
    req,
    res,
    { login: { accountId: account.id, ...(acr ? { acr } : {}), remember: false } },
    { mergeWithLastSubmission: false },
  );
}

// --- test controls -------------------------------------------------------------

function pickIssuers(issuers, name) {
  if (name === undefined || name === 'all') return Object.values(issuers);
  if (!issuers[name]) throw Object.assign(new Error(`unknown issuer ${name}`), { status: 400 });
  return [issuers[name]];
}

async function control(issuers, states, req, res, what) {
  if (what === '/state' && req.method === 'GET') {
    const out = {};
    for (const i of Object.values(issuers)) {
      const s = states.get(i.name);
      out[i.name] = { ...s.controls, kids: s.jwks.keys.map((k) => k.kid), sessions: sessionsIn(s.store).length };
    }
    return sendJson(res, 200, out);
  }
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST' });
  const text = await readBody(req);
  let body = {};
  if (text.trim()) {
    try {
      body = JSON.parse(text);
    } catch {
      throw Object.assign(new Error('the body is not JSON'), { status: 400 });
    }
  }
  const targets = pickIssuers(issuers, body.issuer);
  const out = {};
  for (const i of targets) {
    const s = states.get(i.name);
    switch (what) {
      case '/rotate-keys':
        s.jwks = rotateKeys(s.keysFile, s.jwks, { keepOld: body.keepOld !== false });
        // The keystore is fixed per Provider: build a new one over the same
        // store, so sessions and codes survive the rotation.
        s.provider = buildProvider(i, s);
        out[i.name] = { kids: s.jwks.keys.map((k) => k.kid) };
        break;
      case '/slow':
        s.controls.slowMs = Math.max(0, Number(body.ms) || 0);
        out[i.name] = { slowMs: s.controls.slowMs };
        break;
      case '/down':
        if (![false, '503', 'reset'].includes(body.mode ?? '503')) throw Object.assign(new Error('mode: "503", "reset" or false'), { status: 400 });
        s.controls.down = body.mode ?? '503';
        out[i.name] = { down: s.controls.down };
        break;
      case '/token-response':
        if (![null, 'oversized', 'malformed', 'no-id-token'].includes(body.mode ?? null)) {
          throw Object.assign(new Error('mode: "oversized", "malformed", "no-id-token" or null'), { status: 400 });
        }
        s.controls.tokenResponse = body.mode ?? null;
        out[i.name] = { tokenResponse: s.controls.tokenResponse };
        break;
      case '/backchannel-logout': {
        // The OP ends an account's sessions on its own (as when the user
        // signs out at DigiD elsewhere): a logout token to every client of
        // every session of that account.
        let sent = 0;
        for (const { id, payload } of sessionsIn(s.store)) {
          if (body.account && payload.accountId !== body.account) continue;
          for (const [clientId, auth] of Object.entries(payload.authorizations ?? {})) {
            const client = await s.provider.Client.find(clientId);
            if (!client?.backchannelLogoutUri) continue;
            await client.backchannelLogout(payload.accountId, auth.sid);
            sent++;
          }
          s.store.delete(`Session:${id}`);
        }
        out[i.name] = { sent };
        break;
      }
      case '/reset':
        s.controls = freshControls();
        out[i.name] = s.controls;
        break;
      default:
        return sendJson(res, 404, { error: 'unknown control' });
    }
  }
  log('control', { what, issuers: targets.map((i) => i.name) });
  return sendJson(res, 200, out);
}

function freshControls() {
  return { slowMs: 0, down: false, tokenResponse: null };
}

// --- the server -----------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const cfg = loadConfig(args.config);
  const stateDir = path.resolve(
    args.stateDir ?? cfg.stateDir ?? (args.config ? path.join(cfg.base, 'state') : path.join(process.cwd(), '.oidc-op-state')),
  );
  ensureStateDir(stateDir);

  const states = new Map();
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      const status = err.status ?? 500;
      if (status >= 500) log('error', { error: err.message });
      if (!res.headersSent) sendJson(res, status, { error: status >= 500 ? 'server_error' : 'invalid_request', error_description: err.message });
      else res.destroy();
    });
  });

  async function handle(req, res) {
    const url = new URL(req.url, 'http://127.0.0.1');
    const p = url.pathname;
    if (p === '/_static/op.css') return send(res, 200, 'text/css; charset=utf-8', CSS, { 'cache-control': 'max-age=300' });
    if (p.startsWith('/_control/')) {
      if (!args.testControls) return sendJson(res, 404, { error: 'not_found', error_description: 'start with --test-controls' });
      return control(cfg.issuers, states, req, res, p.slice('/_control'.length));
    }
    for (const issuer of Object.values(cfg.issuers)) {
      if (p !== issuer.path && !p.startsWith(`${issuer.path}/`)) continue;
      const s = states.get(issuer.name);
      if (!s) return sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'starting' });
      if (s.controls.down === 'reset') return req.socket.destroy();
      if (s.controls.down) return sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'the OP is down (test control)' });
      const rest = p.slice(issuer.path.length) || '/';
      if (rest.startsWith('/interaction/')) return interaction(issuer, s, req, res, rest);
      // Mounted under the issuer's path: oidc-provider routes on req.url
      // and builds its own URLs from originalUrl minus req.url.
      req.originalUrl = req.url;
      req.url = req.url.slice(issuer.path.length) || '/';
      return s.provider.callback()(req, res);
    }
    return send(res, 404, 'text/plain; charset=utf-8', 'Niet gevonden\n');
  }

  // Loopback only: this OP signs anyone in as anyone.
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.port, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const urls = {};
  for (const issuer of Object.values(cfg.issuers)) {
    issuer.url = `http://127.0.0.1:${port}${issuer.path}`;
    const { file, jwks } = loadOrCreateKeys(stateDir, issuer.name);
    const s = { store: createStore(), jwks, keysFile: file, cookieKeys: loadOrCreateCookieKeys(stateDir, issuer.name), controls: freshControls() };
    s.provider = buildProvider(issuer, s);
    states.set(issuer.name, s);
    urls[issuer.name] = issuer.url;
  }
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port, issuers: urls, stateDir, testControls: args.testControls })}\n`);

  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    // Whatever still holds the loop (a back-channel call in flight), the
    // process ends.
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  log('fatal', { error: err.message });
  process.exit(1);
});
