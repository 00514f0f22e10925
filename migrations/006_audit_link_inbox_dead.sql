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
