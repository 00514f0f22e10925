// Reading the simulator's configuration: the command line (no secrets on it),
// the environment, and a JSON file with the issuers' clients.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { ISSUERS, CLAIM_NAMES, DIGID_LEVELS, EIDAS_LEVELS } from './defaults.mjs';
import { readSecretFile } from './keys.mjs';

const USAGE = `usage: node server.mjs [--port P] [--config FILE] [--state-dir DIR] [--test-controls]
  --port P          listen on 127.0.0.1:P (0 = any free port; default 0; env MZ_OIDC_OP_PORT)
  --config FILE     JSON: issuers and their clients (env MZ_OIDC_OP_CONFIG)
  --state-dir DIR   signing keys and cookie secrets, mode 0600 (env MZ_OIDC_OP_STATE_DIR;
                    default: "state" beside the config file, else ./.oidc-op-state)
  --test-controls   also serve POST /_control/... (key rotation, slow, down; env MZ_OIDC_OP_TEST_CONTROLS=1)
Keys and client secrets are read from files (or the environment), never from arguments.`;

export function parseArgs(argv, env = process.env) {
  const o = {
    port: env.MZ_OIDC_OP_PORT ?? '0',
    config: env.MZ_OIDC_OP_CONFIG,
    stateDir: env.MZ_OIDC_OP_STATE_DIR,
    testControls: env.MZ_OIDC_OP_TEST_CONTROLS === '1',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value\n${USAGE}`);
      return argv[++i];
    };
    if (a === '--port') o.port = val();
    else if (a === '--config') o.config = val();
    else if (a === '--state-dir') o.stateDir = val();
    else if (a === '--test-controls') o.testControls = true;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (!/^\d{1,5}$/.test(String(o.port)) || Number(o.port) > 65535) throw new Error(`--port: not a port: ${o.port}`);
  o.port = Number(o.port);
  return o;
}

function resolveFrom(base, p) {
  return path.isAbsolute(p) ? p : path.join(base, p);
}

/** A client's public key from a PEM file (public or private key). */
function jwkFromPem(file) {
  const pem = fs.readFileSync(file, 'utf8');
  const pub = pem.includes('PRIVATE KEY') ? crypto.createPublicKey(crypto.createPrivateKey(pem)) : crypto.createPublicKey(pem);
  const jwk = pub.export({ format: 'jwk' });
  // kid = the RFC 7638 thumbprint, so a client can name its key without
  // agreeing on an id (a client may also send no kid at all).
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  jwk.kid = crypto.createHash('sha256').update(JSON.stringify(members)).digest('base64url');
  jwk.use = 'sig';
  return jwk;
}

/** oidc-provider client metadata from one entry of the config file. */
function clientFrom(entry, base, env) {
  const c = { ...entry };
  for (const k of ['jwks_file', 'key_file', 'client_secret_file', 'client_secret_env']) delete c[k];
  if (entry.jwks_file) c.jwks = JSON.parse(fs.readFileSync(resolveFrom(base, entry.jwks_file), 'utf8'));
  if (entry.key_file) {
    const files = Array.isArray(entry.key_file) ? entry.key_file : [entry.key_file];
    c.jwks = { keys: [...(c.jwks?.keys ?? []), ...files.map((f) => jwkFromPem(resolveFrom(base, f)))] };
  }
  if (entry.client_secret_file) c.client_secret = readSecretFile(resolveFrom(base, entry.client_secret_file)).trim();
  if (entry.client_secret_env) {
    c.client_secret = env[entry.client_secret_env];
    if (!c.client_secret) throw new Error(`client ${entry.client_id}: ${entry.client_secret_env} is not set`);
  }
  c.grant_types ??= ['authorization_code'];
  c.response_types ??= ['code'];
  c.token_endpoint_auth_method ??= 'private_key_jwt';
  if (c.backchannel_logout_uri) c.backchannel_logout_session_required ??= true;
  return c;
}

function levels(v) {
  if (v === 'digid') return DIGID_LEVELS;
  if (v === 'eidas') return EIDAS_LEVELS;
  return v;
}

/**
 * The issuers to serve: name -> { path, kind, title, heading, acrValues,
 * accounts, claimNames, clients }. Without a config file both built-in
 * issuers are served without clients (discovery works, sign-in does not).
 */
export function loadConfig(file, env = process.env) {
  const raw = file ? JSON.parse(fs.readFileSync(file, 'utf8')) : { issuers: { citizen: {}, staff: {} } };
  const base = file ? path.dirname(path.resolve(file)) : process.cwd();
  const issuers = {};
  for (const [name, ic] of Object.entries(raw.issuers ?? {})) {
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) throw new Error(`issuer name ${name}: lowercase letters, digits and -`);
    const def = ISSUERS[name] ?? ISSUERS[ic.kind === 'staff' ? 'staff' : 'citizen'];
    const i = {
      name,
      path: ic.path ?? def.path ?? `/${name}`,
      kind: ic.kind ?? def.kind,
      title: ic.title ?? def.title,
      heading: ic.heading ?? def.heading,
      acrValues: levels(ic.acrValues ?? def.acrValues),
      accounts: ic.accounts ?? def.accounts,
      claimNames: { ...CLAIM_NAMES, ...(ic.claimNames ?? {}) },
      clients: (ic.clients ?? []).map((c) => clientFrom(c, base, env)),
    };
    if (!/^\/[a-z0-9-]+$/.test(i.path) || i.path === '/_control' || i.path === '/_static') {
      throw new Error(`issuer ${name}: path must be one segment like /citizen`);
    }
    issuers[name] = i;
  }
  if (!Object.keys(issuers).length) throw new Error('the config names no issuer');
  const stateDir = raw.stateDir ? resolveFrom(base, raw.stateDir) : undefined;
  return { issuers, stateDir, base };
}
