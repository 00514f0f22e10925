-- 001_initial.sql — the normalised case model (see docs/architecture.md).
-- Never edit this file once landed: the migrate command records its SHA-256
-- and refuses to run when it changes. Add a new numbered file instead.

CREATE TYPE status_group AS ENUM (
    'received', 'in_progress', 'action_required', 'on_hold', 'decided', 'closed', 'withdrawn'
);

-- One row per agency (municipality, UWV, DUO, ...). Loaded from the agencies
-- configuration file (or the demo seed); the file stays the source of truth.
CREATE TABLE agencies (
    id                         text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name                       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    adapter_kind               text NOT NULL,
    adapter_config             jsonb NOT NULL DEFAULT '{}'::jsonb,
    contact_url                text,
    contact_phone              text,
    contact_professional_phone text,
    enabled                    boolean NOT NULL DEFAULT true,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);

-- One row per case ("zaak") at an agency. subject_key is HMAC-SHA256 of the
-- BSN under a key kept outside the database: the plain BSN is never stored.
CREATE TABLE cases (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id            text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    external_id          text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 1000),
    subject_key          bytea NOT NULL CHECK (length(subject_key) = 32),
    case_number          text,
    title                text NOT NULL,
    case_type_code       text,
    case_type_label      text,
    status_group         status_group NOT NULL,
    status_text          text NOT NULL,
    status_changed_at    timestamptz NOT NULL,
    registered_on        date,
    planned_end_on       date,          -- indicative (einddatumGepland)
    legal_deadline_on    date,          -- uiterlijkeEinddatumAfdoening
    closed_on            date,          -- set means the case is closed
    result_text          text,
    action_text          text,
    action_url           text,
    action_due_on        date,
    deep_link_url        text,
    source_url           text,
    source_updated_at    timestamptz NOT NULL,  -- ordering: older updates never win
    last_source          text NOT NULL CHECK (last_source IN ('poll', 'webhook', 'seed')),
    last_synced_at       timestamptz NOT NULL DEFAULT now(),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agency_id, external_id)
);
-- The citizen's list: one index range scan per subject, newest change first.
CREATE INDEX cases_subject_idx ON cases (subject_key, status_changed_at DESC, id DESC);

-- The status timeline of a case. event_key deduplicates repeated deliveries.
CREATE TABLE case_events (
    id            bigserial PRIMARY KEY,
    case_id       uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    status_group  status_group NOT NULL,
    status_text   text NOT NULL,
    occurred_at   timestamptz NOT NULL,
    source        text NOT NULL CHECK (source IN ('poll', 'webhook', 'seed')),
    event_key     text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_id, event_key)
);
CREATE INDEX case_events_case_idx ON case_events (case_id, occurred_at);

-- Per-agency pull state, claimed with FOR UPDATE SKIP LOCKED so several
-- service instances share agencies without syncing one twice.
CREATE TABLE sync_state (
    agency_id             text PRIMARY KEY REFERENCES agencies (id) ON DELETE CASCADE,
    cursor                text,
    last_attempt_at       timestamptz,
    last_success_at       timestamptz,
    last_error            text,
    consecutive_failures  integer NOT NULL DEFAULT 0,
    next_run_at           timestamptz NOT NULL DEFAULT now()
);

-- Every accepted push body, committed before the acknowledgement goes out.
CREATE TABLE inbox (
    id             bigserial PRIMARY KEY,
    agency_id      text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('event', 'notification')),
    event_id       text NOT NULL,
    body           text NOT NULL,  -- BSNs replaced by their pseudonym before storing
    received_at    timestamptz NOT NULL DEFAULT now(),
    attempts       integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    processed_at   timestamptz,
    error          text,
    UNIQUE (agency_id, event_id)
);
CREATE INDEX inbox_pending_idx ON inbox (next_attempt_at) WHERE processed_at IS NULL;

-- One record per read of a person's data (after "Logboek Dataverwerkingen").
CREATE TABLE access_log (
    id           bigserial PRIMARY KEY,
    trace_id     text NOT NULL,
    span_id      text NOT NULL,
    actor_kind   text NOT NULL CHECK (actor_kind IN ('citizen', 'professional', 'admin')),
    actor_id     text,          -- professional's employee id; NULL for the citizen self
    subject_key  bytea NOT NULL CHECK (length(subject_key) = 32),
    purpose      text NOT NULL,
    endpoint     text NOT NULL,
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz NOT NULL,
    outcome      text NOT NULL
);
CREATE INDEX access_log_subject_idx ON access_log (subject_key, started_at DESC);
