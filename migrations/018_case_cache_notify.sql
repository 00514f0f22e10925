-- 018: invalidation of the in-memory "my cases" cache (issue 18, item 4,
-- service/case_cache.h). Triggers, not calls in the store: a new write path
-- cannot forget them.
--
-- Channel mz_subject, payload: the hex pseudonym of a subject whose cases
-- (or per-subject freshness) changed, or '*' when something every answer
-- shows changed (an agency's name or contact, its sync state, its push
-- inbox: lastPushAt, the push backlog) or a table was truncated.
-- Statement-level triggers with transition tables: one trigger call per
-- statement (a 200-record batch is one call), and pg_notify folds the
-- repeated payloads of one transaction into one.
-- A NOTIFY is delivered after its transaction commits, in commit order; a
-- listener that was not connected misses it (the service then drops its
-- whole cache when it reconnects).
CREATE FUNCTION mz_notify_subjects_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mz_subject', k)
        FROM (SELECT DISTINCT encode(subject_key, 'hex') AS k FROM mz_new) s;
    RETURN NULL;
END $$;

CREATE FUNCTION mz_notify_subjects_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mz_subject', k)
        FROM (SELECT DISTINCT encode(subject_key, 'hex') AS k FROM mz_old) s;
    RETURN NULL;
END $$;

-- An update (rekey changes subject_key) names the old and the new subject.
CREATE FUNCTION mz_notify_subjects_both() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mz_subject', k)
        FROM (SELECT encode(subject_key, 'hex') AS k FROM mz_old
              UNION SELECT encode(subject_key, 'hex') FROM mz_new) s;
    RETURN NULL;
END $$;

CREATE FUNCTION mz_notify_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mz_subject', '*');
    RETURN NULL;
END $$;

CREATE TRIGGER cases_notify_ins AFTER INSERT ON cases
    REFERENCING NEW TABLE AS mz_new FOR EACH STATEMENT EXECUTE FUNCTION mz_notify_subjects_new();
CREATE TRIGGER cases_notify_upd AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS mz_old NEW TABLE AS mz_new
    FOR EACH STATEMENT EXECUTE FUNCTION mz_notify_subjects_both();
CREATE TRIGGER cases_notify_del AFTER DELETE ON cases
    REFERENCING OLD TABLE AS mz_old FOR EACH STATEMENT EXECUTE FUNCTION mz_notify_subjects_old();
CREATE TRIGGER cases_notify_trunc AFTER TRUNCATE ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION mz_notify_all();

CREATE TRIGGER subject_refresh_notify_ins AFTER INSERT ON subject_refresh
    REFERENCING NEW TABLE AS mz_new FOR EACH STATEMENT EXECUTE FUNCTION mz_notify_subjects_new();
CREATE TRIGGER subject_refresh_notify_upd AFTER UPDATE ON subject_refresh
    REFERENCING OLD TABLE AS mz_old NEW TABLE AS mz_new
    FOR EACH STATEMENT EXECUTE FUNCTION mz_notify_subjects_both();
CREATE TRIGGER subject_refresh_notify_del AFTER DELETE ON subject_refresh
    REFERENCING OLD TABLE AS mz_old FOR EACH STATEMENT EXECUTE FUNCTION mz_notify_subjects_old();
CREATE TRIGGER subject_refresh_notify_trunc AFTER TRUNCATE ON subject_refresh
    FOR EACH STATEMENT EXECUTE FUNCTION mz_notify_all();

-- What every answer shows: the agency (name, contact, enabled, kind), its
-- sync state (last success) and its inbox (last push, oldest pending).
CREATE TRIGGER agencies_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agencies
    FOR EACH STATEMENT EXECUTE FUNCTION mz_notify_all();
-- Only the columns the answer reads: a lease renewal or a claim changes
-- nothing a citizen sees and must not empty the cache.
CREATE TRIGGER sync_state_notify
    AFTER INSERT OR UPDATE OF agency_id, last_success_at OR DELETE OR TRUNCATE ON sync_state
    FOR EACH STATEMENT EXECUTE FUNCTION mz_notify_all();
CREATE TRIGGER inbox_notify
    AFTER INSERT OR UPDATE OF agency_id, received_at, processed_at OR DELETE OR TRUNCATE ON inbox
    FOR EACH STATEMENT EXECUTE FUNCTION mz_notify_all();
