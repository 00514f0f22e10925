-- 002_sync.sql — pull sync: leases on sync_state, and per-citizen freshness.

-- A claimed agency carries a lease: another instance skips it until the
-- lease ends (also after a crash). Claims use FOR UPDATE SKIP LOCKED.
ALTER TABLE sync_state
    ADD COLUMN lease_owner     text,
    ADD COLUMN lease_until     timestamptz,
    ADD COLUMN last_duration_ms integer,
    ADD COLUMN last_seen       integer,
    ADD COLUMN last_applied    integer,
    ADD COLUMN runs            bigint NOT NULL DEFAULT 0;

-- When each citizen's data was last refreshed from each agency (fresh on
-- read), and how that went. Keyed by the pseudonym, never the BSN.
CREATE TABLE subject_refresh (
    agency_id     text NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    subject_key   bytea NOT NULL CHECK (length(subject_key) = 32),
    refreshed_at  timestamptz,     -- last successful refresh
    attempted_at  timestamptz NOT NULL,
    ok            boolean NOT NULL,
    PRIMARY KEY (subject_key, agency_id)
);
