// Signing keys and cookie secrets of the local OpenID provider, kept in files
// only their owner can read (mode 0600 in a 0700 directory): never on the
// command line, where every local user sees them in ps.
//
// Each issuer has its own key set (a real DigiD broker and a staff IdP do not
// share keys): one RS256, one PS256 and one ES256 key, so that a client can
// ask for any of the three algorithms (id_token_signed_response_alg) and the
// relying party's algorithm checks can be tested. Rotation puts fresh keys in
// front (oidc-provider signs with the first key of an algorithm) and keeps
// the old public keys published unless told to drop them.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const SIGNING_ALGS = ['RS256', 'PS256', 'ES256'];

function newKey(alg) {
  const { privateKey } =
    alg === 'ES256'
      ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  // A kid that says which key it is and when it was made, unique per key.
  const kid = `${alg.toLowerCase()}-${Date.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`;
  return { ...jwk, kid, alg, use: 'sig' };
}

export function newKeySet() {
  return SIGNING_ALGS.map(newKey);
}

/** Writes data as JSON to file with mode 0600 (atomically: temp file + rename). */
export function writeSecretJson(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600); // also when umask or an old file made it wider
  fs.renameSync(tmp, file);
}

export function ensureStateDir(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

/** Reads a file holding secrets; refuses one that others can read. */
export function readSecretFile(file) {
  const st = fs.statSync(file);
  if (st.mode & 0o077) {
    throw new Error(`${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
  }
  return fs.readFileSync(file, 'utf8');
}

/** The issuer's private JWKS: loaded from its file, or generated and saved there. */
export function loadOrCreateKeys(dir, name) {
  const file = path.join(dir, `${name}-jwks.json`);
  if (fs.existsSync(file)) {
    const jwks = JSON.parse(readSecretFile(file));
    if (Array.isArray(jwks.keys) && jwks.keys.length) return { file, jwks };
  }
  const jwks = { keys: newKeySet() };
  writeSecretJson(file, jwks);
  return { file, jwks };
}

/** New keys for every algorithm in front of the old ones (or instead of them). */
export function rotateKeys(file, jwks, { keepOld = true } = {}) {
  const fresh = newKeySet();
  const next = { keys: keepOld ? [...fresh, ...jwks.keys] : fresh };
  writeSecretJson(file, next);
  return next;
}

export function loadOrCreateCookieKeys(dir, name) {
  const file = path.join(dir, `${name}-cookie-keys.json`);
  if (fs.existsSync(file)) return JSON.parse(readSecretFile(file));
  const keys = [crypto.randomBytes(32).toString('base64url')];
  writeSecretJson(file, keys);
  return keys;
}
