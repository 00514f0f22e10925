-- 011_notifications.sql — proactive notifications (issue 15): the citizen's
-- contact preferences, address verification, and the transactional outbox
-- of messages to NotifyNL (GOV.UK Notify API v2). Never edit once landed.

-- One row per subject (pseudonym) that asked to be told. Addresses are
-- sealed with AES-256-GCM under MZ_CONTACT_KEY_FILE (service/contact.h):
-- nonce || ciphertext || tag, aad = subject key || field name; key_id names
-- the key that sealed them (rotation). "actionRequired" has no column: it
-- cannot be switched off.
CREATE TABLE notify_preferences (
    subject_key        bytea PRIMARY KEY CHECK (length(subject_key) = 32),
    key_id             text NOT NULL CHECK (key_id ~ '^[0-9a-f]{16}$'),
    email_enc          bytea,
    phone_enc          bytea,
    email_verified_at  timestamptz,
    phone_verified_at  timestamptz,
    channel_email      boolean NOT NULL DEFAULT false,
    channel_sms        boolean NOT NULL DEFAULT false,
    ev_status_change   boolean NOT NULL DEFAULT true,
    ev_decision        boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (email_verified_at IS NULL OR email_enc IS NOT NULL),
    CHECK (phone_verified_at IS NULL OR phone_enc IS NOT NULL)
);

-- A pending verification of one channel's address: only a keyed hash of the
-- 6-digit code (contact.h), the tries made, and when it expires.
CREATE TABLE notify_verifications (
    subject_key  bytea NOT NULL REFERENCES notify_preferences (subject_key) ON DELETE CASCADE,
    channel      text NOT NULL CHECK (channel IN ('email', 'sms')),
    code_hash    text NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    tries        integer NOT NULL DEFAULT 0,
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject_key, channel)
);

-- The outbox: one row per message, written by the store in the transaction
-- that applied the change (or by the preferences API for a verification
-- code). Changes of one subject and channel fold into its one pending row
-- until it is due (the digest). The sender claims due rows (SKIP LOCKED,
-- lease claimed_until) and records each outcome here; Notify's delivery
-- callback sets delivery_status. Deleting the preferences deletes these
-- rows: pending messages are never sent.
CREATE TABLE notify_outbox (
    id               bigserial PRIMARY KEY,
    subject_key      bytea NOT NULL REFERENCES notify_preferences (subject_key) ON DELETE CASCADE,
    channel          text NOT NULL CHECK (channel IN ('email', 'sms')),
    kind             text NOT NULL
                     CHECK (kind IN ('verification', 'statusChange', 'actionRequired', 'decision')),
    organisations    text[] NOT NULL DEFAULT '{}',
    changes          integer NOT NULL DEFAULT 1,
    code_enc         bytea,          -- verification only; wiped once sent
    -- pending: folding changes in until due_at; sending: claimed (lease
    -- claimed_until; an expired lease is a sender that died mid-send: the
    -- next claim asks Notify by reference before sending again); retry:
    -- a failed attempt waiting for due_at; sent, failed: final.
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sending', 'retry', 'sent', 'failed')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    due_at           timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0,
    claimed_until    timestamptz,
    last_http_status integer,
    last_error       text,
    notify_id        text,
    sent_at          timestamptz,
    delivery_status  text,
    delivered_at     timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- The one open (pending) digest per subject and channel that changes fold into.
CREATE UNIQUE INDEX notify_outbox_open_idx ON notify_outbox (subject_key, channel)
    WHERE state = 'pending' AND kind <> 'verification';
-- The sender's claim: due pending rows and expired leases.
CREATE INDEX notify_outbox_due_idx ON notify_outbox (due_at) WHERE state IN ('pending', 'sending', 'retry');
CREATE INDEX notify_outbox_subject_idx ON notify_outbox (subject_key);
