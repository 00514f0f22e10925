-- 015_contact_moments.sql — contact moments and hand-over between
-- organisations (issue 17), in the vocabulary of VNG Klantinteracties
-- (klantcontact, onderwerpobject, interne taak). Never edit once landed.

-- One contact moment ("klantcontact"): a professional spoke with (or wrote
-- to) a subject. Keyed by the subject's pseudonym like cases; the employee
-- is not here (only in audit_log, through the processing-log record of the
-- request that recorded it). The summary is personal data: its own
-- retention (MZ_RETENTION_CONTACT_DAYS, `purge`), rewritten by `rekey`.
CREATE TABLE contact_moments (
    id            uuid PRIMARY KEY,
    subject_key   bytea NOT NULL CHECK (length(subject_key) = 32),
    subject_kind  text NOT NULL DEFAULT 'bsn' CHECK (subject_kind IN ('bsn', 'kvk')),
    organisation  text NOT NULL CHECK (length(organisation) BETWEEN 1 AND 200),
    channel       text NOT NULL CHECK (channel IN ('phone', 'desk', 'chat', 'email', 'letter')),
    topic         text NOT NULL CHECK (length(topic) BETWEEN 1 AND 200),
    summary       text NOT NULL CHECK (length(summary) BETWEEN 1 AND 2000),
    answered      boolean NOT NULL,
    -- the case it is about (onderwerpobject); a purged case leaves the note
    case_id       uuid REFERENCES cases (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- The next professional's view and the citizen's list: newest first.
CREATE INDEX contact_moments_subject_idx ON contact_moments (subject_key, created_at DESC, id);
CREATE INDEX contact_moments_created_idx ON contact_moments (created_at);

-- A hand-over ("interne taak") to another organisation: the outbox row its
-- delivery worker claims (FOR UPDATE SKIP LOCKED, lease claimed_until) and
-- delivers as a Standard-Webhooks-signed POST to the agency's handover.url,
-- the row id as webhook-id (idempotency). The callback number and the
-- subject's identifier (the agency must know whom to call) are sealed with
-- AES-256-GCM under MZ_CONTACT_KEY_FILE (service/contact.h), the aad bound
-- to this row's id, so `rekey` need not touch them.
--   pending      waiting for its next attempt (next_attempt_at)
--   delivering   claimed by a worker (an expired lease: a worker died)
--   delivered    the agency answered 2xx
--   acknowledged the agency said it took it on (signed event back)
--   closed       the agency said it is done (signed event back)
--   failed       refused for good (a 4xx other than 408/429, no config)
CREATE TABLE handovers (
    id                 uuid PRIMARY KEY,
    contact_moment_id  uuid NOT NULL REFERENCES contact_moments (id) ON DELETE CASCADE,
    agency_id          text NOT NULL REFERENCES agencies (id),
    question           text NOT NULL CHECK (length(question) BETWEEN 1 AND 2000),
    callback           boolean NOT NULL,
    key_id             text NOT NULL CHECK (key_id ~ '^[0-9a-f]{16}$'),
    callback_enc       bytea,
    subject_enc        bytea NOT NULL,
    state              text NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'delivering', 'delivered', 'acknowledged',
                                        'closed', 'failed')),
    attempts           integer NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    claimed_until      timestamptz,
    last_http_status   integer,
    last_error         text,
    delivered_at       timestamptz,
    acknowledged_at    timestamptz,
    closed_at          timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (callback = (callback_enc IS NOT NULL))
);
CREATE INDEX handovers_due_idx ON handovers (next_attempt_at) WHERE state IN ('pending', 'delivering');
CREATE INDEX handovers_moment_idx ON handovers (contact_moment_id);
