// Test harness: starts the OP as its own process (as run.sh and the service's
// tests will), a tiny relying-party receiver for redirects and back-channel
// logout tokens, and a client that speaks plain HTTP (no browser): follow
// redirects by hand, keep the OP's cookies, post the login form.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as jose from 'jose';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SERVER = path.join(HERE, '..', 'server.mjs');

/** A local receiver standing in for the relying party: records back-channel logout posts. */
export async function startReceiver() {
  const logoutTokens = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/auth/backchannel-logout') {
        const token = new URLSearchParams(body).get('logout_token');
        logoutTokens.push({ token, contentType: req.headers['content-type'] });
        waiters.splice(0).forEach((w) => w());
        res.writeHead(200, { 'cache-control': 'no-store' });
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('rp\n');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    logoutTokens,
    async waitForLogoutTokens(n, ms = 5000) {
      const until = Date.now() + ms;
      while (logoutTokens.length < n && Date.now() < until) {
        await new Promise((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
      return logoutTokens;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

export function clientKey(alg = 'RS256') {
  const { privateKey } =
    alg === 'ES256'
      ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }), key: privateKey, alg };
}

/** Writes a config + client keys into a fresh 0700 directory and starts the OP. */
export async function startOp({ receiver, testControls = true }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mz-oidc-op-test-'));
  const rpKey = clientKey('RS256');
  const staffKey = clientKey('ES256');
  fs.writeFileSync(path.join(dir, 'rp.pem'), rpKey.pem, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'staff-rp.pem'), staffKey.pem, { mode: 0o600 });
  const secret = crypto.randomBytes(24).toString('base64url');
  fs.writeFileSync(path.join(dir, 'secret'), `${secret}\n`, { mode: 0o600 });
  const rp = receiver.base;
  const config = {
    issuers: {
      citizen: {
        clients: [
          {
            client_id: 'mijnzaken',
            client_name: 'MijnZaken (test)',
            redirect_uris: [`${rp}/auth/citizen/callback`],
            post_logout_redirect_uris: [`${rp}/`],
            token_endpoint_auth_method: 'private_key_jwt',
            key_file: 'rp.pem',
            backchannel_logout_uri: `${rp}/auth/backchannel-logout`,
          },
          {
            client_id: 'mijnzaken-secret',
            redirect_uris: [`${rp}/auth/citizen/callback`],
            token_endpoint_auth_method: 'client_secret_basic',
            client_secret_file: 'secret',
            id_token_signed_response_alg: 'PS256',
          },
        ],
      },
      staff: {
        clients: [
          {
            client_id: 'mijnzaken-staff',
            redirect_uris: [`${rp}/auth/professional/callback`],
            token_endpoint_auth_method: 'private_key_jwt',
            key_file: 'staff-rp.pem',
            id_token_signed_response_alg: 'ES256',
          },
        ],
      },
    },
  };
  const configFile = path.join(dir, 'op.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });
  const stateDir = path.join(dir, 'state');
  const args = [SERVER, '--port', '0', '--config', configFile, '--state-dir', stateDir];
  if (testControls) args.push('--test-controls');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Never leave an OP behind, also when the test process ends early.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const started = await new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`the OP did not start: ${stderr}`)), 20000);
    child.stdout.on('data', (c) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(t);
        resolve(JSON.parse(out.slice(0, nl)));
      }
    });
    child.on('exit', (code) => reject(new Error(`the OP exited (${code}): ${stderr}`)));
  });
  return {
    ...started,
    dir,
    stateDir,
    rpKey,
    staffKey,
    secret,
    base: `http://127.0.0.1:${started.port}`,
    stderr: () => stderr,
    async stop() {
      const exited = new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
      process.removeListener('exit', killOnExit);
      // The suite's scan for personal data in logs (scripts/check-logs.sh)
      // covers the OP's log too.
      if (process.env.MZ_TEST_TMPDIR) fs.appendFileSync(path.join(process.env.MZ_TEST_TMPDIR, 'server-oidc-op.log'), stderr);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A browser stand-in: a cookie jar for one host and manual redirects. */
export class Agent {
  constructor() {
    this.cookies = new Map(); // name -> { value, path }
  }

  cookieHeader(url) {
    const p = new URL(url).pathname;
    return [...this.cookies.entries()]
      .filter(([, c]) => p === c.path || p.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .map(([n, c]) => `${n}=${c.value}`)
      .join('; ');
  }

  store(res) {
    for (const sc of res.headers.getSetCookie()) {
      const [pair, ...attrs] = sc.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const pathAttr = attrs.find((a) => a.toLowerCase().startsWith('path='));
      const expired = attrs.some((a) => /^expires=thu, 01 jan 1970/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, { value, path: pathAttr ? pathAttr.slice(5) : '/' });
    }
  }

  async request(url, { method = 'GET', form, headers = {} } = {}) {
    const h = { ...headers };
    const cookie = this.cookieHeader(url);
    if (cookie) h.cookie = cookie;
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, { method, headers: h, body, redirect: 'manual' });
    this.store(res);
    return res;
  }

  /** Follows redirects until one leaves for `stopAt` (returned, not fetched). */
  async follow(res, stopAt) {
    for (let i = 0; i < 10; i++) {
      if (res.status < 300 || res.status > 399) return { res };
      const loc = new URL(res.headers.get('location'), res.url).href;
      if (loc.startsWith(stopAt)) return { res, location: new URL(loc) };
      res = await this.request(loc);
    }
    throw new Error('too many redirects');
  }
}

export function pkce() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

export function rand() {
  return crypto.randomBytes(16).toString('base64url');
}

/** The login form's fields from the simulator's page. */
export function formActions(html) {
  const actions = [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
  return { login: actions.find((a) => a.endsWith('/login')), abort: actions.find((a) => a.endsWith('/abort')) };
}

/**
 * GET authorize → the login page → POST the choice → redirects → the
 * client's redirect_uri. Returns the callback URL's parameters and the
 * request's state, nonce and PKCE verifier.
 */
export async function authorize(agent, op, { issuer = 'citizen', clientId = 'mijnzaken', redirectUri, account, acr, acrValues, scope = 'openid', cancel = false, expectLoginPage = true }) {
  const disco = await (await fetch(`${op.issuers[issuer]}/.well-known/openid-configuration`)).json();
  const { verifier, challenge } = pkce();
  const state = rand();
  const nonce = rand();
  const q = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope,
    redirect_uri: redirectUri,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  if (acrValues) q.set('acr_values', acrValues);
  let res = await agent.request(`${disco.authorization_endpoint}?${q}`);
  let r = await agent.follow(res, redirectUri);
  let loginHtml;
  if (!r.location) {
    if (!expectLoginPage) throw new Error(`expected no login page, got ${r.res.status}`);
    loginHtml = await r.res.text();
    if (r.res.status !== 200) throw new Error(`login page: ${r.res.status} ${loginHtml}`);
    const { login, abort } = formActions(loginHtml);
    const base = new URL(r.res.url).origin;
    res = cancel
      ? await agent.request(`${base}${abort}`, { method: 'POST', form: {} })
      : await agent.request(`${base}${login}`, { method: 'POST', form: { account, ...(acr ? { acr } : {}) } });
    r = await agent.follow(res, redirectUri);
  }
  if (!r.location) throw new Error(`no redirect to the client: ${r.res.status} ${await r.res.text()}`);
  return { params: r.location.searchParams, state, nonce, verifier, disco, loginHtml };
}

export async function clientAssertion({ key, alg }, clientId, audience) {
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT({ jti: rand() })
    .setProtectedHeader({ alg })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(key);
}

/** The token request, with private_key_jwt (key) or client_secret_basic (secret). */
export async function exchange(disco, { code, verifier, redirectUri, clientId, key, secret }) {
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (key) {
    form.set('client_id', clientId);
    form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    form.set('client_assertion', await clientAssertion(key, clientId, disco.issuer));
  } else {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  }
  const res = await fetch(disco.token_endpoint, { method: 'POST', headers, body: form });
  return { status: res.status, body: await res.json().catch(() => null), res };
}

export async function verifyIdToken(disco, idToken, { clientId, algorithms = ['RS256', 'PS256', 'ES256'] }) {
  const jwks = jose.createRemoteJWKSet(new URL(disco.jwks_uri));
  return jose.jwtVerify(idToken, jwks, { issuer: disco.issuer, audience: clientId, algorithms });
}
