-- 016: the processing log partitioned by month (issue 18).
--
-- Why: one row per read of a person's data, kept MZ_RETENTION_LOG_DAYS
-- (default 730). At national scale that is billions of rows; removing the
-- expired ones row by row (DELETE, then VACUUM) costs as much I/O and WAL
-- as writing them did. Partitioned by month on started_at (declarative
-- range partitioning), `purge` drops every partition that lies wholly
-- before the cut-off (a catalogue change, no WAL per row, no vacuum) and
-- deletes row by row only inside the one partition the cut-off falls in
-- (run daily: about one day of rows), so what it removes is exactly what it
-- removed before.
--
-- Partitions are made ahead by the service itself (mz_log_partitions_ensure:
-- this migration, then the processing-log committer at start and hourly,
-- three months ahead), not by pg_partman: that is one more extension to
-- install and upgrade with every PostgreSQL (managed offerings differ in
-- which versions they carry) and a background worker to run, for one table
-- with monthly ranges — 60 lines of PL/pgSQL here, tested with the rest.
-- A DEFAULT partition takes what no month holds yet (rows dated before the
-- partitions made ahead, as tests and imports write), so an insert never
-- fails for want of a partition; when a month is created later its rows
-- are moved out of the default first.
--
-- audit_log is not partitioned: it grows with professionals' look-ups only
-- (not with citizens' reads, by far the most), and its unique link to the
-- processing-log record (006) could not stay unique on its own once
-- partitioned (a partitioned table's unique index must include the
-- partition key).
--
-- Existing rows are kept: the table is renamed, the partitioned one made
-- with the same columns, checks and indexes (its primary key now
-- (id, started_at), which partitioning requires; ids still come from the
-- one sequence, so they stay unique), one partition per month the old rows
-- span, the rows copied with their ids, the old table dropped.

ALTER TABLE processing_log RENAME TO processing_log_unpartitioned;
ALTER INDEX processing_log_pkey RENAME TO processing_log_unpartitioned_pkey;
ALTER INDEX processing_log_subject_idx RENAME TO processing_log_unpartitioned_subject_idx;
ALTER INDEX processing_log_started_idx RENAME TO processing_log_unpartitioned_started_idx;
ALTER INDEX processing_log_trace_idx RENAME TO processing_log_unpartitioned_trace_idx;

CREATE TABLE processing_log (
    id             bigint NOT NULL DEFAULT nextval('processing_log_id_seq'),
    trace_id       text NOT NULL CHECK (trace_id ~ '^[0-9a-f]{32}$'),
    span_id        text NOT NULL CHECK (span_id ~ '^[0-9a-f]{16}$'),
    parent_span_id text CHECK (parent_span_id ~ '^[0-9a-f]{16}$'),
    activity_id    text NOT NULL,
    activity_name  text NOT NULL,
    organisation   text NOT NULL,
    subject_key    bytea NOT NULL CHECK (length(subject_key) = 32),
    started_at     timestamptz NOT NULL,
    ended_at       timestamptz NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('success', 'not_found', 'error')),
    subject_kind   text NOT NULL DEFAULT 'bsn' CHECK (subject_kind IN ('bsn', 'kvk')),
    actor_key      bytea CHECK (actor_key IS NULL OR length(actor_key) = 32),
    PRIMARY KEY (id, started_at)
) PARTITION BY RANGE (started_at);
ALTER SEQUENCE processing_log_id_seq OWNED BY processing_log.id;
CREATE INDEX processing_log_subject_idx ON processing_log (subject_key, id DESC);
CREATE INDEX processing_log_trace_idx ON processing_log (trace_id);
-- (no index on started_at: the partitions are the time index)
CREATE TABLE processing_log_default PARTITION OF processing_log DEFAULT;

-- Makes sure the month m (any time in it) has its partition; moves that
-- month's rows out of the default partition first (a month made late).
-- Returns true when it created one. Concurrent callers (several instances)
-- are serialised by an advisory lock.
CREATE FUNCTION mz_log_partition_for(m timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    lo timestamptz := date_trunc('month', m AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    hi timestamptz := (date_trunc('month', m AT TIME ZONE 'UTC') + interval '1 month')
                      AT TIME ZONE 'UTC';
    name text := 'processing_log_' || to_char(lo AT TIME ZONE 'UTC', '"y"YYYY"m"MM');
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('mz_log_partitions'));
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM processing_log_default WHERE started_at >= lo AND started_at < hi)
    THEN
        EXECUTE format('CREATE TABLE %I (LIKE processing_log INCLUDING DEFAULTS '
                       'INCLUDING CONSTRAINTS)', name);
        EXECUTE format('WITH m AS (DELETE FROM processing_log_default WHERE started_at >= $1 '
                       'AND started_at < $2 RETURNING *) INSERT INTO %I SELECT * FROM m', name)
            USING lo, hi;
        EXECUTE format('ALTER TABLE processing_log ATTACH PARTITION %I '
                       'FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    ELSE
        EXECUTE format('CREATE TABLE %I PARTITION OF processing_log '
                       'FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    END IF;
    RETURN true;
END $$;

-- This month and the next `ahead` months; returns how many it created.
CREATE FUNCTION mz_log_partitions_ensure(ahead int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    made int := 0;
BEGIN
    FOR i IN 0 .. ahead LOOP
        IF mz_log_partition_for(now() + make_interval(months => i)) THEN
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END $$;

-- Retention: every record started before cut is removed. Whole months
-- before it are dropped (their rows counted first, for purge's report: one
-- sequential read, no WAL); the rest (the month the cut-off falls in, and
-- the default partition) row by row. Returns the number of records.
CREATE FUNCTION mz_log_purge(cut timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    part record;
    n bigint;
    total bigint := 0;
BEGIN
    FOR part IN
        SELECT c.oid::regclass AS rel,
               (regexp_match(pg_get_expr(c.relpartbound, c.oid),
                             'TO \(''([^'']+)''\)'))[1]::timestamptz AS upper_bound
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'processing_log'::regclass
           AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
    LOOP
        IF part.upper_bound <= cut THEN
            EXECUTE format('SELECT count(*) FROM %s', part.rel) INTO n;
            EXECUTE format('DROP TABLE %s', part.rel);
            total := total + n;
        END IF;
    END LOOP;
    DELETE FROM processing_log WHERE started_at < cut;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN total + n;
END $$;

-- The months the existing rows span, and three ahead; then the rows.
SELECT mz_log_partition_for(m)
  FROM generate_series(date_trunc('month', (SELECT min(started_at) FROM processing_log_unpartitioned)),
                       now(), interval '1 month') AS m;
SELECT mz_log_partitions_ensure(3);
INSERT INTO processing_log (id, trace_id, span_id, parent_span_id, activity_id, activity_name,
                            organisation, subject_key, started_at, ended_at, outcome,
                            subject_kind, actor_key)
SELECT id, trace_id, span_id, parent_span_id, activity_id, activity_name, organisation,
       subject_key, started_at, ended_at, outcome, subject_kind, actor_key
  FROM processing_log_unpartitioned;
DROP TABLE processing_log_unpartitioned;
