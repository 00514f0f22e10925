-- 003_processing_log.sql — the processing log after the Dutch "Logboek
-- Dataverwerkingen" standard, and a separate audit record of who acted.
--
-- One processing_log row per read of one person's data: the trace (W3C
-- trace id and span id), the processing activity, the data subject as its
-- pseudonym, start and end, outcome, and the organisation responsible. Who
-- did it (an employee) is NOT here but in audit_log, linked by trace id, so
-- that the citizen's own view of the log (GET /me/access-log) can show
-- organisation and purpose without ever exposing an employee.
--
-- access_log from 001 was never written; it is replaced by these two.
DROP TABLE access_log;

CREATE TABLE processing_log (
    id             bigserial PRIMARY KEY,
    trace_id       text NOT NULL CHECK (trace_id ~ '^[0-9a-f]{32}$'),
    span_id        text NOT NULL CHECK (span_id ~ '^[0-9a-f]{16}$'),
    parent_span_id text CHECK (parent_span_id ~ '^[0-9a-f]{16}$'),
    activity_id    text NOT NULL,
    activity_name  text NOT NULL,
    organisation   text NOT NULL,
    subject_key    bytea NOT NULL CHECK (length(subject_key) = 32),
    started_at     timestamptz NOT NULL,
    ended_at       timestamptz NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('success', 'not_found', 'error'))
);
CREATE INDEX processing_log_subject_idx ON processing_log (subject_key, id DESC);
CREATE INDEX processing_log_started_idx ON processing_log (started_at);
CREATE INDEX processing_log_trace_idx ON processing_log (trace_id);

CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    trace_id      text NOT NULL CHECK (trace_id ~ '^[0-9a-f]{32}$'),
    actor_kind    text NOT NULL CHECK (actor_kind IN ('citizen', 'professional', 'admin')),
    actor_id      text NOT NULL,
    organisation  text NOT NULL,
    endpoint      text NOT NULL,
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_trace_idx ON audit_log (trace_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);
