-- 009: sign-in through OpenID Connect (issue 13): pending authorization
-- requests and server-side sessions (service/session.c).
--
-- oidc_flows: one row per authorization request between /auth/{kind}/login
-- and its callback. Keyed by SHA-256 of `state` (the state itself travels
-- through the browser and the OP, so a copy of this table cannot answer a
-- callback); single use: the callback deletes the row it reads. Rows live
-- about ten minutes; purge (and sign-in itself, now and then) removes the
-- expired ones.
CREATE TABLE oidc_flows (
    state_hash bytea PRIMARY KEY CHECK (octet_length(state_hash) = 32),
    kind text NOT NULL CHECK (kind IN ('citizen', 'professional')),
    nonce text NOT NULL,
    code_verifier text NOT NULL,
    return_to text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX oidc_flows_expires_idx ON oidc_flows (expires_at);

-- sessions: only SHA-256 of the random 256-bit session id (the cookie
-- value) is stored, so the table cannot be used to take over a session.
-- The subject is its pseudonym (the HMAC of the BSN, as in cases), never
-- the BSN. What a request needs in plain — the citizen's BSN for the
-- agencies, the ID token for RP-initiated logout (it holds the BSN) — is
-- AES-256-GCM encrypted under a key derived from the session id itself
-- (HKDF-SHA256), so only a request bearing the cookie can read it: the
-- database alone cannot.
CREATE TABLE sessions (
    id_hash bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
    kind text NOT NULL CHECK (kind IN ('citizen', 'professional')),
    subject_key bytea CHECK (subject_key IS NULL OR octet_length(subject_key) = 32),
    subject_enc bytea,        -- citizens: the BSN, encrypted (see above)
    acting_for boolean NOT NULL DEFAULT false, -- `act`: someone acts for the subject
    roles integer NOT NULL DEFAULT 0,          -- professionals: MZ_ROLE_* bits
    organisation text,
    actor text,               -- professionals: the OP's sub (audit records); citizens: NULL
    acr text NOT NULL,
    op_sid text,              -- the OP's session id (back-channel logout)
    op_sub_hash bytea NOT NULL, -- SHA-256 of the OP's sub (back-channel logout)
    id_token_enc bytea,       -- id_token_hint for RP-initiated logout, encrypted (see above)
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    idle_expires_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expires_idx ON sessions (least(idle_expires_at, expires_at));
CREATE INDEX sessions_op_sid_idx ON sessions (kind, op_sid) WHERE op_sid IS NOT NULL;
CREATE INDEX sessions_op_sub_idx ON sessions (kind, op_sub_hash);
