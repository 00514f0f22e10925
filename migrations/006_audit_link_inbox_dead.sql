-- 006: security-review fixes at intake.
--
-- 1. The audit record points at its own processing-log record by the
--    server's id. Until now they were joined by trace id, which the caller
--    chooses (an incoming `traceparent` is continued): two employees sending
--    the same traceparent made their audit records indistinguishable as to
--    which read each one did. The trace id stays as data (it is what ties a
--    read to the caller's own logs).
--    Why no foreign key: retention (`mijnzaken purge`) removes each table's
--    rows by their own age, and in the scale-out plan (README) processing_log
--    is distributed by subject_key while audit_log is not; the link is
--    written in the same statement as both rows (plog_audit_insert), and is
--    unique. Rows written before 006 are linked where the trace id names
--    exactly one record on each side; the rest stay NULL (they cannot be told
--    apart after the fact). NOT VALID: the check holds for every row written
--    from now on without failing on those old ones.
ALTER TABLE audit_log ADD COLUMN processing_log_id bigint;
UPDATE audit_log a SET processing_log_id = p.id
  FROM processing_log p
 WHERE p.trace_id = a.trace_id
   AND (SELECT count(*) FROM processing_log p2 WHERE p2.trace_id = a.trace_id) = 1
   AND (SELECT count(*) FROM audit_log a2 WHERE a2.trace_id = a.trace_id) = 1;
CREATE UNIQUE INDEX audit_log_processing_log_idx ON audit_log (processing_log_id);
ALTER TABLE audit_log ADD CONSTRAINT audit_log_processing_log_id_required
  CHECK (processing_log_id IS NOT NULL) NOT VALID;

-- 2. Inbox rows that keep failing are given up after MZ_INBOX_MAX_ATTEMPTS
--    attempts instead of being retried (at most hourly) forever: dead_at is
--    set with the last error kept, the processor no longer takes them, and
--    the admin view and /metrics show them. `mijnzaken inbox reprocess`
--    gives them one more attempt (it clears dead_at). Processed rows never
--    have dead_at. The pending index leaves them out, so claims do not step
--    over a growing heap of dead rows (004's reasoning).
ALTER TABLE inbox ADD COLUMN dead_at timestamptz;
DROP INDEX inbox_pending_idx;
CREATE INDEX inbox_pending_idx ON inbox (kind, id) WHERE processed_at IS NULL AND dead_at IS NULL;
CREATE INDEX inbox_dead_idx ON inbox (agency_id, dead_at DESC) WHERE dead_at IS NOT NULL;
