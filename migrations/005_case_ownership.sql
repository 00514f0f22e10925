-- 005_case_ownership.sql — a case never changes owner through an update,
-- and a sync skips bad records instead of failing.

-- A record that named another subject for a case we already hold (the
-- store refuses it; the case stays with its owner). One row per case,
-- counting repeated detections (a transfer at the agency shows up on every
-- run until an operator resolves it). Only our own case id: no subject,
-- no external id (a zaak URL may embed personal data). Deleting the case
-- (how a genuine transfer is resolved, see docs/security.md) removes it.
CREATE TABLE case_conflicts (
    case_id           uuid PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    agency_id         text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    last_source       text NOT NULL CHECK (last_source IN ('poll', 'webhook', 'seed')),
    first_detected_at timestamptz NOT NULL DEFAULT now(),
    last_detected_at  timestamptz NOT NULL DEFAULT now(),
    detections        bigint NOT NULL DEFAULT 1
);
CREATE INDEX case_conflicts_agency_idx ON case_conflicts (agency_id, last_detected_at DESC);

-- Records a run skipped: the last sync run's count and reasons (reason ->
-- count, reasons are fixed codes such as "url_outside_base"), and running
-- totals per agency and reason (for /metrics), also from fresh-on-read
-- refreshes.
ALTER TABLE sync_state
    ADD COLUMN last_skipped      integer,
    ADD COLUMN last_skip_reasons jsonb;

CREATE TABLE sync_skips (
    agency_id text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    reason    text NOT NULL CHECK (reason ~ '^[a-z_]{1,40}$'),
    total     bigint NOT NULL DEFAULT 0,
    last_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, reason)
);
