// The local OP is a real OpenID provider: discovery, JWKS, the code flow with
// PKCE as a relying party runs it (over plain HTTP, driving the login page),
// private_key_jwt and client_secret_basic, signed ID tokens with the claims
// MijnZaken reads, cancel, acr_values, RP-initiated and back-channel logout,
// key rotation and the test controls.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as jose from 'jose';

import { Agent, authorize, exchange, startOp, startReceiver, verifyIdToken, pkce } from './support.mjs';

const SUBSTANTIEEL = 'urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard';
const MIDDEN = 'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract';
const HOOG = 'urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI';

let receiver;
let op;
let cb;

before(async () => {
  receiver = await startReceiver();
  op = await startOp({ receiver });
  cb = `${receiver.base}/auth/citizen/callback`;
});

after(async () => {
  if (process.env.MZ_OIDC_OP_DEBUG) console.error(op?.stderr());
  await op?.stop();
  await receiver?.close();
});

async function citizenSignIn(opts = {}) {
  const agent = opts.agent ?? new Agent();
  const a = await authorize(agent, op, { redirectUri: cb, account: 'demo-burger-1', acr: SUBSTANTIEEL, ...opts });
  return { agent, ...a };
}

async function tokens(a, { clientId = 'mijnzaken', key = op.rpKey, secret, redirectUri = cb } = {}) {
  return exchange(a.disco, { code: a.params.get('code'), verifier: a.verifier, redirectUri, clientId, key: secret ? undefined : key, secret });
}

describe('discovery and keys', () => {
  test('each issuer publishes its metadata: code flow only, PKCE S256, RS256/PS256/ES256, logout', async () => {
    for (const [name, issuer] of Object.entries(op.issuers)) {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`);
      assert.equal(res.status, 200);
      const d = await res.json();
      assert.equal(d.issuer, issuer, name);
      assert.ok(issuer.startsWith('http://127.0.0.1:'));
      assert.deepEqual(d.response_types_supported, ['code']);
      assert.deepEqual(d.grant_types_supported, ['authorization_code']);
      assert.deepEqual(d.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(d.id_token_signing_alg_values_supported, ['RS256', 'PS256', 'ES256']);
      assert.deepEqual(d.token_endpoint_auth_methods_supported, ['private_key_jwt', 'client_secret_basic']);
      assert.equal(d.end_session_endpoint, `${issuer}/session/end`);
      assert.equal(d.backchannel_logout_supported, true);
      assert.equal(d.backchannel_logout_session_supported, true);
      assert.equal(d.authorization_response_iss_parameter_supported, true);
    }
    const c = await (await fetch(`${op.issuers.citizen}/.well-known/openid-configuration`)).json();
    assert.ok(c.acr_values_supported.includes(SUBSTANTIEEL));
    assert.ok(c.claims_supported.includes('bsn') && c.claims_supported.includes('act'));
    const s = await (await fetch(`${op.issuers.staff}/.well-known/openid-configuration`)).json();
    assert.ok(s.claims_supported.includes('roles') && s.claims_supported.includes('org'));
    assert.ok(!s.claims_supported.includes('bsn'), 'the staff IdP releases no BSN');
  });

  test('the JWKS holds public keys only, one per algorithm; the key files are 0600', async () => {
    const jwks = await (await fetch(`${op.issuers.citizen}/jwks`)).json();
    assert.deepEqual(jwks.keys.map((k) => k.alg).sort(), ['ES256', 'PS256', 'RS256']);
    for (const k of jwks.keys) {
      assert.equal(k.d, undefined, 'no private part published');
      assert.ok(k.kid);
    }
    const staff = await (await fetch(`${op.issuers.staff}/jwks`)).json();
    assert.equal(staff.keys.filter((k) => jwks.keys.some((c) => c.kid === k.kid)).length, 0, 'issuers do not share keys');
    for (const f of fs.readdirSync(op.stateDir)) {
      assert.equal(fs.statSync(path.join(op.stateDir, f)).mode & 0o777, 0o600, f);
    }
    assert.equal(fs.statSync(op.stateDir).mode & 0o777, 0o700);
  });
});

describe('citizen sign-in (DigiD simulator)', () => {
  test('the code flow with PKCE and private_key_jwt yields a verified ID token with bsn, acr and nonce', async () => {
    const a = await citizenSignIn();
    assert.match(a.loginHtml, /Kies een demo-burger/);
    assert.match(a.loginHtml, /simulator/);
    assert.match(a.loginHtml, /lang="nl"/);
    for (const bsn of ['999993653', '999990019', '999990032']) assert.ok(!a.loginHtml.includes(bsn), 'no BSN on the page');
    assert.equal(a.params.get('state'), a.state);
    assert.equal(a.params.get('iss'), op.issuers.citizen);
    assert.ok(a.params.get('code'));

    const t = await tokens(a);
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal(t.body.token_type, 'Bearer');
    const { payload, protectedHeader } = await verifyIdToken(a.disco, t.body.id_token, { clientId: 'mijnzaken' });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(payload.iss, op.issuers.citizen);
    assert.equal(payload.aud, 'mijnzaken');
    assert.equal(payload.nonce, a.nonce);
    assert.equal(payload.acr, SUBSTANTIEEL);
    assert.equal(payload.bsn, '999993653');
    assert.equal(payload.sub, 'demo-burger-1');
    assert.equal(payload.act, undefined);
    assert.ok(payload.sid, 'sid for back-channel logout');
    assert.ok(payload.exp > payload.iat);

    // A code is single use.
    const again = await tokens(a);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
  });

  test('a wrong code_verifier, a wrong client key or a wrong redirect_uri is refused', async () => {
    const a = await citizenSignIn();
    const wrongVerifier = await exchange(a.disco, {
      code: a.params.get('code'),
      verifier: pkce().verifier,
      redirectUri: cb,
      clientId: 'mijnzaken',
      key: op.rpKey,
    });
    assert.equal(wrongVerifier.status, 400);
    assert.equal(wrongVerifier.body.error, 'invalid_grant');

    const b = await citizenSignIn();
    const wrongKey = await tokens(b, { key: op.staffKey });
    assert.equal(wrongKey.status, 401);
    assert.equal(wrongKey.body.error, 'invalid_client');

    const c = await citizenSignIn();
    const wrongRedirect = await tokens(c, { redirectUri: `${receiver.base}/elsewhere` });
    assert.equal(wrongRedirect.status, 400);
    assert.equal(wrongRedirect.body.error, 'invalid_grant');
  });

  test('PKCE is required and only S256 is accepted', async () => {
    const agent = new Agent();
    for (const extra of [{}, { code_challenge: pkce().challenge, code_challenge_method: 'plain' }]) {
      const q = new URLSearchParams({ client_id: 'mijnzaken', response_type: 'code', scope: 'openid', redirect_uri: cb, state: 's1', nonce: 'n1', ...extra });
      const res = await agent.request(`${op.issuers.citizen}/auth?${q}`);
      assert.ok(res.status === 302 || res.status === 303, `status ${res.status}`);
      const loc = new URL(res.headers.get('location'));
      assert.equal(loc.origin + loc.pathname, cb);
      assert.equal(loc.searchParams.get('error'), 'invalid_request');
      assert.equal(loc.searchParams.get('state'), 's1');
      assert.equal(loc.searchParams.get('code'), null);
    }
  });

  test('implicit and hybrid response types are refused', async () => {
    const q = new URLSearchParams({ client_id: 'mijnzaken', response_type: 'id_token', scope: 'openid', redirect_uri: cb, state: 's', nonce: 'n' });
    const res = await fetch(`${op.issuers.citizen}/auth?${q}`, { redirect: 'manual' });
    const loc = new URL(res.headers.get('location'));
    assert.equal(loc.searchParams.get('error') ?? new URLSearchParams(loc.hash.slice(1)).get('error'), 'unsupported_response_type');
  });

  test('"Annuleren" returns access_denied with the state, and no code', async () => {
    const a = await citizenSignIn({ cancel: true });
    assert.equal(a.params.get('error'), 'access_denied');
    assert.equal(a.params.get('state'), a.state);
    assert.equal(a.params.get('iss'), op.issuers.citizen);
    assert.equal(a.params.get('code'), null);
  });

  test('acr_values: the page preselects the requested level; a lower pick is issued as such; a higher request signs in again', async () => {
    const agent = new Agent();
    const a = await citizenSignIn({ agent, acrValues: SUBSTANTIEEL, acr: MIDDEN });
    assert.match(a.loginHtml, new RegExp(`<option value="${SUBSTANTIEEL}" selected>`));
    const t = await tokens(a);
    const { payload } = await verifyIdToken(a.disco, t.body.id_token, { clientId: 'mijnzaken' });
    assert.equal(payload.acr, MIDDEN, 'the RP gets what the user chose and must refuse it');

    // Same browser session at Midden; asking for Midden again needs no login page.
    const sso = await authorize(agent, op, { redirectUri: cb, acrValues: MIDDEN, expectLoginPage: false });
    assert.ok(sso.params.get('code'));

    // Asking for Hoog: the Midden session is not enough, the login page comes back.
    const up = await citizenSignIn({ agent, acrValues: HOOG, acr: HOOG });
    assert.ok(up.loginHtml, 'signed in again');
    const t2 = await tokens(up);
    const { payload: p2 } = await verifyIdToken(up.disco, t2.body.id_token, { clientId: 'mijnzaken' });
    assert.equal(p2.acr, HOOG);
  });

  test('representation (act) and a business (kvk)', async () => {
    const a = await citizenSignIn({ account: 'demo-machtiging-1' });
    const { payload } = await verifyIdToken(a.disco, (await tokens(a)).body.id_token, { clientId: 'mijnzaken' });
    assert.equal(payload.bsn, '999990032');
    assert.deepEqual(payload.act, { bsn: '999993653' });

    const b = await citizenSignIn({ account: 'demo-bedrijf-1' });
    const { payload: pb } = await verifyIdToken(b.disco, (await tokens(b)).body.id_token, { clientId: 'mijnzaken' });
    assert.equal(pb.kvk, '90000001');
    assert.equal(pb.bsn, undefined);
    assert.deepEqual(pb.act, { bsn: '999990019' });

    // issue 14: the scope of a machtiging, and several authorisations
    const c = await citizenSignIn({ account: 'demo-machtiging-2' });
    const { payload: pc } = await verifyIdToken(c.disco, (await tokens(c)).body.id_token, { clientId: 'mijnzaken' });
    assert.deepEqual(pc.authorization, { agencies: ['gemeente-voorbeeld'] });
    const d = await citizenSignIn({ account: 'demo-bewindvoerder-1' });
    const { payload: pd } = await verifyIdToken(d.disco, (await tokens(d)).body.id_token, { clientId: 'mijnzaken' });
    assert.equal(pd.bsn, '999990044');
    assert.equal(pd.act, undefined);
    assert.deepEqual(pd.represents, [{ bsn: '999990019' }, { bsn: '999990032', scope: { agencies: ['gemeente-voorbeeld', 'uwv'] } }]);
  });

  test('the scope eherkenning: a business sign-in; a business session then signs in without a page', async () => {
    const agent = new Agent();
    const e = await citizenSignIn({ agent, scope: 'openid eherkenning', account: 'demo-bedrijf-1' });
    assert.match(e.loginHtml, /Kies een demo-bedrijf/);
    assert.match(e.loginHtml, /eHerkenning-simulator/);
    assert.ok(!e.loginHtml.includes('demo-burger-1'), 'only business accounts are offered');
    const { payload } = await verifyIdToken(e.disco, (await tokens(e)).body.id_token, { clientId: 'mijnzaken' });
    assert.equal(payload.kvk, '90000001');
    const again = await citizenSignIn({ agent, scope: 'openid eherkenning', expectLoginPage: false });
    assert.ok(again.params.get('code'));
    await assert.rejects(citizenSignIn({ scope: 'openid eherkenning', account: 'demo-burger-1' }), /400/);
  });

  test('client_secret_basic works, and a client registered for PS256 gets PS256 ID tokens', async () => {
    const a = await citizenSignIn({ clientId: 'mijnzaken-secret' });
    const bad = await tokens(a, { clientId: 'mijnzaken-secret', secret: 'wrong' });
    assert.equal(bad.status, 401);
    const b = await citizenSignIn({ clientId: 'mijnzaken-secret' });
    const t = await tokens(b, { clientId: 'mijnzaken-secret', secret: op.secret });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    const { protectedHeader, payload } = await verifyIdToken(b.disco, t.body.id_token, { clientId: 'mijnzaken-secret' });
    assert.equal(protectedHeader.alg, 'PS256');
    assert.equal(payload.bsn, '999993653');
  });

  test('a forged login post (unknown account or level) is refused with a page, not a sign-in', async () => {
    const agent = new Agent();
    const q = new URLSearchParams({ client_id: 'mijnzaken', response_type: 'code', scope: 'openid', redirect_uri: cb, state: 's', nonce: 'n', ...(() => ({ code_challenge: pkce().challenge, code_challenge_method: 'S256' }))() });
    const r = await agent.follow(await agent.request(`${op.issuers.citizen}/auth?${q}`), cb);
    const uid = new URL(r.res.url).pathname.split('/').pop();
    for (const form of [{ account: 'iemand-anders' }, { account: 'demo-burger-1', acr: 'urn:other' }]) {
      const res = await agent.request(`${op.issuers.citizen}/interaction/${uid}/login`, { method: 'POST', form });
      assert.equal(res.status, 400);
      assert.match(res.headers.get('content-type'), /text\/html/);
    }
    // Without the interaction cookie the page is not served.
    const res = await fetch(`${op.issuers.citizen}/interaction/${uid}`);
    assert.equal(res.status, 400);
  });

  test('an unknown client gets the OP error page, not a redirect', async () => {
    const q = new URLSearchParams({ client_id: 'nobody', response_type: 'code', scope: 'openid', redirect_uri: cb, code_challenge: pkce().challenge, code_challenge_method: 'S256' });
    const res = await fetch(`${op.issuers.citizen}/auth?${q}`, { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /Er ging iets mis/);
  });
});

describe('staff sign-in', () => {
  const staffCb = () => `${receiver.base}/auth/professional/callback`;
  async function staff(account) {
    const a = await authorize(new Agent(), op, { issuer: 'staff', clientId: 'mijnzaken-staff', redirectUri: staffCb(), account });
    const t = await exchange(a.disco, { code: a.params.get('code'), verifier: a.verifier, redirectUri: staffCb(), clientId: 'mijnzaken-staff', key: op.staffKey });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    return { a, ...(await verifyIdToken(a.disco, t.body.id_token, { clientId: 'mijnzaken-staff' })) };
  }

  test('roles and org of a professional, an admin and one without roles; ES256 as registered', async () => {
    const p = await staff('demo-medewerker-1');
    assert.match(p.a.loginHtml, /Kies een medewerker/);
    assert.equal(p.protectedHeader.alg, 'ES256');
    assert.equal(p.payload.iss, op.issuers.staff);
    assert.deepEqual(p.payload.roles, ['kcc-medewerker']);
    assert.equal(p.payload.org, 'gemeente-voorbeeld');
    assert.equal(p.payload.acr, 'http://eidas.europa.eu/LoA/substantial');
    assert.equal(p.payload.bsn, undefined);
    const admin = await staff('demo-beheerder-1');
    assert.deepEqual(admin.payload.roles, ['kcc-medewerker', 'functioneel-beheerder']);
    const none = await staff('demo-zonder-rol-1');
    assert.deepEqual(none.payload.roles, []);
  });

  test('a citizen session does not sign anyone in at the staff issuer', async () => {
    const agent = new Agent();
    await citizenSignIn({ agent });
    const a = await authorize(agent, op, { issuer: 'staff', clientId: 'mijnzaken-staff', redirectUri: staffCb(), account: 'demo-medewerker-1' });
    assert.ok(a.loginHtml, 'the staff issuer asks for its own login');
  });
});

describe('logout', () => {
  async function verifyLogoutToken(disco, token) {
    const jwks = jose.createRemoteJWKSet(new URL(disco.jwks_uri));
    return jose.jwtVerify(token, jwks, { issuer: disco.issuer, audience: 'mijnzaken', typ: 'logout+jwt' });
  }

  test('RP-initiated logout with id_token_hint and post_logout_redirect_uri, and a back-channel logout token', async () => {
    const a = await citizenSignIn();
    const t = await tokens(a);
    const { payload: idt } = await verifyIdToken(a.disco, t.body.id_token, { clientId: 'mijnzaken' });
    const before = receiver.logoutTokens.length;

    const q = new URLSearchParams({ id_token_hint: t.body.id_token, post_logout_redirect_uri: `${receiver.base}/`, state: 'bye' });
    const page = await a.agent.request(`${a.disco.end_session_endpoint}?${q}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /Uitloggen/);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)[1];
    const done = await a.agent.request(action, { method: 'POST', form: { xsrf, logout: 'yes' } });
    assert.ok([302, 303].includes(done.status), `status ${done.status}`);
    const loc = new URL(done.headers.get('location'));
    assert.equal(`${loc.origin}${loc.pathname}`, `${receiver.base}/`);
    assert.equal(loc.searchParams.get('state'), 'bye');

    const got = await receiver.waitForLogoutTokens(before + 1);
    assert.equal(got.length, before + 1, 'one logout token delivered');
    const { token, contentType } = got[before];
    assert.match(contentType, /application\/x-www-form-urlencoded/);
    const { payload } = await verifyLogoutToken(a.disco, token);
    assert.equal(payload.sub, idt.sub);
    assert.equal(payload.sid, idt.sid);
    assert.ok(payload.events['http://schemas.openid.net/event/backchannel-logout']);
    assert.equal(payload.nonce, undefined);
    assert.ok(payload.jti);

    // The OP session is gone: the next authorize shows the login page again.
    const again = await citizenSignIn({ agent: a.agent });
    assert.ok(again.loginHtml);
  });

  test('the OP can end an account\'s sessions on its own (control), with a logout token', async () => {
    const a = await citizenSignIn({ account: 'demo-burger-2' });
    const t = await tokens(a);
    const { payload: idt } = await verifyIdToken(a.disco, t.body.id_token, { clientId: 'mijnzaken' });
    const before = receiver.logoutTokens.length;
    const res = await fetch(`${op.base}/_control/backchannel-logout`, { method: 'POST', body: JSON.stringify({ issuer: 'citizen', account: 'demo-burger-2' }) });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).citizen.sent, 1);
    const got = await receiver.waitForLogoutTokens(before + 1);
    const { payload } = await verifyLogoutToken(a.disco, got[before].token);
    assert.equal(payload.sid, idt.sid);
  });
});

describe('key rotation and test controls', () => {
  test('rotate-keys: new kid in the JWKS and on new ID tokens; the old key stays published unless dropped', async () => {
    const a = await citizenSignIn();
    const old = await tokens(a);
    const oldKid = jose.decodeProtectedHeader(old.body.id_token).kid;

    const r = await fetch(`${op.base}/_control/rotate-keys`, { method: 'POST', body: JSON.stringify({ issuer: 'citizen' }) });
    assert.equal(r.status, 200);
    const jwks = await (await fetch(`${op.issuers.citizen}/jwks`)).json();
    assert.equal(jwks.keys.length, 6);
    assert.ok(jwks.keys.some((k) => k.kid === oldKid));

    const b = await citizenSignIn();
    const fresh = await tokens(b);
    const newKid = jose.decodeProtectedHeader(fresh.body.id_token).kid;
    assert.notEqual(newKid, oldKid);
    assert.equal(newKid, jwks.keys.find((k) => k.alg === 'RS256').kid, 'signed with the newest RS256 key');
    await verifyIdToken(b.disco, fresh.body.id_token, { clientId: 'mijnzaken' });
    await verifyIdToken(a.disco, old.body.id_token, { clientId: 'mijnzaken' });

    const drop = await fetch(`${op.base}/_control/rotate-keys`, { method: 'POST', body: JSON.stringify({ issuer: 'citizen', keepOld: false }) });
    assert.equal(drop.status, 200);
    const after = await (await fetch(`${op.issuers.citizen}/jwks`)).json();
    assert.equal(after.keys.length, 3);
    assert.ok(!after.keys.some((k) => k.kid === oldKid || k.kid === newKid));
    const saved = JSON.parse(fs.readFileSync(path.join(op.stateDir, 'citizen-jwks.json'), 'utf8'));
    assert.deepEqual(saved.keys.map((k) => k.kid), after.keys.map((k) => k.kid), 'the key file follows');
  });

  test('slow delays the token endpoint; down answers 503 or drops the connection; reset restores', async () => {
    const a = await citizenSignIn();
    await fetch(`${op.base}/_control/slow`, { method: 'POST', body: JSON.stringify({ ms: 700 }) });
    const t0 = Date.now();
    const t = await tokens(a);
    assert.equal(t.status, 200);
    assert.ok(Date.now() - t0 >= 650, `took ${Date.now() - t0} ms`);

    await fetch(`${op.base}/_control/down`, { method: 'POST', body: JSON.stringify({ issuer: 'citizen' }) });
    assert.equal((await fetch(`${op.issuers.citizen}/.well-known/openid-configuration`)).status, 503);
    assert.equal((await fetch(`${op.issuers.staff}/.well-known/openid-configuration`)).status, 200, 'only the named issuer');
    await fetch(`${op.base}/_control/down`, { method: 'POST', body: JSON.stringify({ issuer: 'citizen', mode: 'reset' }) });
    await assert.rejects(fetch(`${op.issuers.citizen}/jwks`));

    const reset = await fetch(`${op.base}/_control/reset`, { method: 'POST' });
    assert.equal(reset.status, 200);
    assert.equal((await fetch(`${op.issuers.citizen}/jwks`)).status, 200);
    const state = await (await fetch(`${op.base}/_control/state`)).json();
    assert.deepEqual({ slowMs: state.citizen.slowMs, down: state.citizen.down }, { slowMs: 0, down: false });
  });

  test('token-response: oversized and malformed answers for the RP\'s parser', async () => {
    await fetch(`${op.base}/_control/token-response`, { method: 'POST', body: JSON.stringify({ mode: 'oversized' }) });
    let a = await citizenSignIn();
    let t = await tokens(a);
    assert.ok(JSON.stringify(t.body).length > 2 * 1024 * 1024);
    await fetch(`${op.base}/_control/token-response`, { method: 'POST', body: JSON.stringify({ mode: 'malformed' }) });
    a = await citizenSignIn();
    t = await tokens(a);
    assert.equal(t.status, 200);
    assert.equal(t.body, null, 'not JSON');
    await fetch(`${op.base}/_control/reset`, { method: 'POST' });
    a = await citizenSignIn();
    t = await tokens(a);
    assert.ok(t.body.id_token);
  });

  test('a bad control request is a 400, not a crash', async () => {
    const r1 = await fetch(`${op.base}/_control/slow`, { method: 'POST', body: '{not json' });
    assert.equal(r1.status, 400);
    const r2 = await fetch(`${op.base}/_control/down`, { method: 'POST', body: JSON.stringify({ issuer: 'nope' }) });
    assert.equal(r2.status, 400);
    assert.equal((await fetch(`${op.issuers.citizen}/jwks`)).status, 200);
  });
});

describe('without --test-controls', () => {
  test('the control endpoints do not exist', async () => {
    const other = await startOp({ receiver, testControls: false });
    try {
      const r = await fetch(`${other.base}/_control/rotate-keys`, { method: 'POST', body: '{}' });
      assert.equal(r.status, 404);
      assert.equal((await fetch(`${other.issuers.citizen}/.well-known/openid-configuration`)).status, 200);
    } finally {
      await other.stop();
    }
  });
});


