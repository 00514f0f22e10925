-- 013_notify_reminders.sql — reminders before an action's due date (issue 15).
-- Never edit once landed.
--
-- One row per (case, due date) for which a reminder was written to the
-- outbox: the unique key that makes the notify worker's reminder step
-- idempotent across instances and restarts (INSERT ... ON CONFLICT DO
-- NOTHING; only the rows it inserted get an outbox message). A moved due
-- date is a new key, so a new reminder. Rows go with their case, and
-- `purge` removes those whose due date passed longer ago than
-- MZ_RETENTION_NOTIFY_DAYS (they can never match again).
CREATE TABLE notify_reminders (
    case_id      uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    due_on       date NOT NULL,
    subject_key  bytea NOT NULL CHECK (length(subject_key) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, due_on)
);
CREATE INDEX notify_reminders_due_idx ON notify_reminders (due_on);

-- The reminder step looks for open cases waiting for the citizen with a
-- due date: a small partial index instead of a scan of all cases.
CREATE INDEX cases_action_due_idx ON cases (action_due_on)
    WHERE status_group = 'action_required' AND action_due_on IS NOT NULL AND closed_on IS NULL;

-- purge: final outbox rows by the time of their last outcome.
CREATE INDEX notify_outbox_final_idx ON notify_outbox (updated_at) WHERE state IN ('sent', 'failed');
