/*
 * test_store_batch.c — the store's batches (what a sync writes through):
 * set-based batches must leave exactly what record-by-record writes leave
 * (case rows, timeline entries and their order), over several batches;
 * a value Postgres refuses costs that record only (the batch is written
 * again record by record); a case named twice in one batch, and stale
 * records, come out as they would one by one; the sink's counts are the
 * per-record outcomes; a record naming another subject for a stored case
 * is a conflict on every path (single, set-based batch, record-by-record
 * fallback): nothing of it is written, and it is counted.
 *
 * How "the same" is checked: two agencies get the same records, one through
 * mz_store_upsert_case (one transaction per record, the reference), one
 * through the batching store sink; a digest of every stored column (ids and
 * write times left out) and of each case's timeline in reading order
 * (occurred_at, id) must be equal.
 */
// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db.h"
#include "mzt.h"
#include "status.h"
#include "store.h"
#include "sync.h"

static mzt_env g_env;
static mz_db *g_db;

static int setup(void **state)
{
    (void)state;
    if (!mzt_env_setup(&g_env, "store_batch"))
        return -1;
    char keyfile[300], err[200];
    snprintf(keyfile, sizeof keyfile, "%s/keys/pseudonym.key", g_env.dir);
    if (!mz_pseudonym_load_key(keyfile, err, sizeof err))
        return -1;
    g_db = mz_db_connect(g_env.db_url, 0, err, sizeof err);
    if (!g_db)
        return -1;
    return mzt_sql(&g_env, "INSERT INTO agencies (id, name, adapter_kind) VALUES "
                           "('ref', 'Reference', 'zgw'), ('bat', 'Batched', 'zgw'), "
                           "('bad', 'Refused values', 'zgw'), ('dup', 'Twice', 'zgw'), "
                           "('ref2', 'Twice reference', 'zgw'), ('own', 'Owners', 'zgw'), "
                           "('bg', 'Background', 'zgw'), ('bg2', 'Background 2', 'zgw'), "
                           "('bg3', 'Background 3', 'zgw')")
               ? 0
               : -1;
}

static int teardown(void **state)
{
    (void)state;
    mz_db_close(g_db);
    return mzt_env_teardown(&g_env) ? 0 : -1;
}

/* Record i of a deterministic set: statuses, dates and histories of 0 to 3
 * entries (some holding the current status, some with equal moments, some
 * without an event key), optional fields sometimes absent. */
typedef struct gen {
    char ext[64], num[32], title[64], at[40], reg[16], closed[16];
    char ev_at[3][40], ev_key[3][40], ev_text[3][40];
    mz_case_event ev[3];
    mz_case_record rec;
} gen;

#define GROUPS mz_status_groups

static void gen_record(gen *g, const char *agency, int i, int version)
{
    memset(g, 0, sizeof *g);
    snprintf(g->ext, sizeof g->ext, "https://zaken.test/zaken/%05d", i);
    snprintf(g->num, sizeof g->num, "ZAAK-%05d", i);
    snprintf(g->title, sizeof g->title, "Zaak \"%d\" met \\ en é", i);
    snprintf(g->at, sizeof g->at, "2026-03-%02d %02d:00:00+00", 1 + i % 27, version);
    snprintf(g->reg, sizeof g->reg, "2026-02-%02d", 1 + i % 28);
    const char *group = GROUPS[(i + version) % MZ_STATUS_GROUP_COUNT];
    size_t n = (size_t)(i % 4);
    for (size_t k = 0; k < n; k++) {
        /* entries 0 and 1 share a moment when i % 8 == 3: ids break the tie */
        int hour = (i % 8 == 3 && k == 1) ? 0 : (int)k;
        snprintf(g->ev_at[k], sizeof g->ev_at[k], "2026-01-%02d %02d:00:00+00", 1 + i % 27, hour);
        snprintf(g->ev_text[k], sizeof g->ev_text[k], "Stap %zu", k);
        snprintf(g->ev_key[k], sizeof g->ev_key[k], "%s/statussen/%zu", g->ext + 20, k);
        g->ev[k] = (mz_case_event){GROUPS[k % MZ_STATUS_GROUP_COUNT], g->ev_text[k], g->ev_at[k],
                                   (i % 5 == 0) ? NULL : g->ev_key[k], false};
    }
    if (n > 0 && i % 3 == 0) { /* the history holds the current status */
        snprintf(g->ev_at[n - 1], sizeof g->ev_at[n - 1], "%s", g->at);
        g->ev[n - 1].status_group = group;
    }
    g->rec = (mz_case_record){
        .agency_id = agency,
        .external_id = g->ext,
        .case_number = i % 6 == 0 ? NULL : g->num,
        .title = g->title,
        .case_type_code = i % 2 ? "ZT-1" : NULL,
        .case_type_label = i % 2 ? "Omgevingsvergunning" : NULL,
        .status_group = group,
        .status_text = version ? "Bijgewerkt" : "In behandeling",
        .status_changed_at = g->at,
        .registered_on = g->reg,
        .closed_on = i % 10 == 0 ? "2026-04-01" : NULL,
        .result_text = i % 7 == 0 ? "Verleend" : NULL,
        .source_url = g->ext,
        .source_updated_at = g->at,
        .source = "poll",
        .events = n ? g->ev : NULL,
        .n_events = n,
    };
    mz_pseudonym(i % 2 ? "999990019" : "999993653", 9, g->rec.subject_key);
}

/* Everything stored for one agency, as a digest. */
static char *digest(const char *agency)
{
    char sql[2000];
    snprintf(sql, sizeof sql,
             "SELECT md5(string_agg(row, E'\\n' ORDER BY row)) FROM ("
             "SELECT concat_ws('|', c.external_id, encode(c.subject_key, 'hex'), c.case_number, "
             "c.title, c.case_type_code, c.case_type_label, c.status_group, c.status_text, "
             "c.status_changed_at, c.registered_on, c.planned_end_on, c.legal_deadline_on, "
             "c.closed_on, c.result_text, c.action_text, c.action_url, c.action_due_on, "
             "c.deep_link_url, c.source_url, c.source_updated_at, c.last_source, "
             "(SELECT string_agg(concat_ws('/', e.status_group, e.status_text, e.occurred_at, "
             "e.source, e.event_key), ';' ORDER BY e.occurred_at, e.id) FROM case_events e "
             "WHERE e.case_id = c.id)) AS row FROM cases c WHERE c.agency_id = '%s') s",
             agency);
    return mzt_query_text(&g_env, sql);
}

static long count(const char *sql)
{
    return mzt_query_long(&g_env, sql);
}

/* Writes records [from, to) of `version` through a store sink (with its
 * writer thread when g_background); returns the report. */
static bool g_background;

static mz_sync_report sink_write(const char *agency, int from, int to, int version,
                                 void (*tweak)(gen *g, int i))
{
    mz_sync_report rep;
    memset(&rep, 0, sizeof rep);
    mz_store_sink s;
    mz_store_sink_init(&s, g_db, &rep);
    if (g_background)
        assert_true(mz_store_sink_background(&s));
    gen g;
    for (int i = from; i < to; i++) {
        gen_record(&g, agency, i, version);
        if (tweak)
            tweak(&g, i);
        assert_true(s.sink.emit(&s.sink, &g.rec));
    }
    assert_true(mz_store_sink_finish(&s, true));
    return rep;
}

static void test_batches_equal_one_by_one(void **state)
{
    (void)state;
    enum { N = 2 * MZ_STORE_BATCH + 57 };
    gen g;
    char err[200];
    for (int v = 0; v < 2; v++) {
        /* version 1 updates every case; then version 0 again: all stale */
        for (int i = 0; i < N; i++) {
            gen_record(&g, "ref", i, v);
            mz_upsert_result r = mz_store_upsert_case(g_db, &g.rec, err, sizeof err);
            assert_true(r == MZ_UPSERT_APPLIED);
        }
        mz_sync_report rep = sink_write("bat", 0, N, v, NULL);
        assert_int_equal(rep.seen, N);
        assert_int_equal(rep.applied, N);
        assert_int_equal(rep.stale + rep.invalid, 0);
    }
    for (int i = 0; i < N; i++) {
        gen_record(&g, "ref", i, 0);
        assert_int_equal(mz_store_upsert_case(g_db, &g.rec, err, sizeof err), MZ_UPSERT_STALE);
    }
    mz_sync_report rep = sink_write("bat", 0, N, 0, NULL);
    assert_int_equal(rep.stale, N);
    assert_int_equal(rep.applied + rep.invalid, 0);

    assert_int_equal(count("SELECT count(*) FROM cases WHERE agency_id = 'bat'"), N);
    assert_true(count("SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
                      "WHERE c.agency_id = 'bat'") > 2 * N);
    char *a = digest("ref"), *b = digest("bat");
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* Record 5 carries a date Postgres refuses (it passes the store's own
 * checks): that record alone is dropped and counted invalid. */
static void refuse_5(gen *g, int i)
{
    if (i == 5)
        g->rec.registered_on = "2026-02-30";
}

static void test_refused_value_costs_one_record(void **state)
{
    (void)state;
    mz_sync_report rep = sink_write("bad", 0, 30, 0, refuse_5);
    assert_int_equal(rep.seen, 30);
    assert_int_equal(rep.invalid, 1);
    assert_int_equal(rep.applied, 29);
    assert_int_equal(count("SELECT count(*) FROM cases WHERE agency_id = 'bad'"), 29);
    assert_int_equal(count("SELECT count(*) FROM cases WHERE agency_id = 'bad' AND "
                           "external_id LIKE '%/00005'"),
                     0);
    /* the others kept their timelines */
    assert_int_equal(count("SELECT count(*) FROM cases c WHERE agency_id = 'bad' AND NOT EXISTS "
                           "(SELECT 1 FROM case_events e WHERE e.case_id = c.id)"),
                     0);
    /* nothing is left open */
    assert_false(mz_db_in_tx(g_db));
}

static void test_case_twice_in_one_batch(void **state)
{
    (void)state;
    /* Newer, then older, then newer again of the same case, plus others. */
    static const int order[][2] = {{1, 1}, {2, 0}, {1, 0}, {3, 0}, {1, 2}};
    mz_sync_report rep;
    memset(&rep, 0, sizeof rep);
    mz_store_sink s;
    mz_store_sink_init(&s, g_db, &rep);
    gen g;
    char err[200];
    size_t applied = 0, stale = 0;
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        gen_record(&g, "dup", order[k][0], order[k][1]);
        assert_true(s.sink.emit(&s.sink, &g.rec));
        gen_record(&g, "ref2", order[k][0], order[k][1]);
        mz_upsert_result r = mz_store_upsert_case(g_db, &g.rec, err, sizeof err);
        applied += r == MZ_UPSERT_APPLIED;
        stale += r == MZ_UPSERT_STALE;
    }
    assert_true(mz_store_sink_finish(&s, true));
    assert_int_equal(rep.applied, applied);
    assert_int_equal(rep.stale, stale);
    assert_int_equal(stale, 1);
    char *a = digest("ref2"), *b = digest("dup");
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* A run that fails keeps what it queued before the failure. */
static void test_failed_run_keeps_queued(void **state)
{
    (void)state;
    mz_sync_report rep;
    memset(&rep, 0, sizeof rep);
    mz_store_sink s;
    mz_store_sink_init(&s, g_db, &rep);
    gen g;
    for (int i = 100; i < 110; i++) {
        gen_record(&g, "dup", i, 0);
        assert_true(s.sink.emit(&s.sink, &g.rec));
    }
    assert_int_equal(count("SELECT count(*) FROM cases WHERE agency_id = 'dup' AND "
                           "external_id LIKE '%/001__'"),
                     0); /* queued, not written yet */
    assert_true(mz_store_sink_finish(&s, false));
    assert_int_equal(rep.applied, 10);
    assert_int_equal(count("SELECT count(*) FROM cases WHERE agency_id = 'dup' AND "
                           "external_id LIKE '%/001__'"),
                     10);
}

/* Even records get another subject (an agency "transfer"). */
static void other_subject_even(gen *g, int i)
{
    if (i % 2 == 0)
        mz_pseudonym("111222333", 9, g->rec.subject_key);
}

/* ... and record 13 a value Postgres refuses: the batch is written again
 * record by record, where conflicts are found one at a time. */
static void other_subject_even_refuse_13(gen *g, int i)
{
    other_subject_even(g, i);
    if (i == 13)
        g->rec.registered_on = "2026-02-30";
}

static char *owned_digest(void)
{
    return mzt_query_text(&g_env, "SELECT md5(string_agg(concat_ws('|', c.external_id, "
                                  "encode(c.subject_key, 'hex'), c.status_text, "
                                  "c.status_changed_at, (SELECT count(*) FROM case_events e "
                                  "WHERE e.case_id = c.id)), ',' ORDER BY c.external_id)) "
                                  "FROM cases c WHERE c.agency_id = 'own' AND "
                                  "c.external_id ~ '/0000[02468]$'");
}

static void test_other_subject_is_a_conflict(void **state)
{
    (void)state;
    gen g;
    char err[200];
    for (int i = 0; i < 10; i++) {
        gen_record(&g, "own", i, 0);
        assert_int_equal(mz_store_upsert_case(g_db, &g.rec, err, sizeof err), MZ_UPSERT_APPLIED);
    }
    char *before = owned_digest();
    assert_non_null(before);
    /* one record, newer, another subject */
    gen_record(&g, "own", 4, 1);
    other_subject_even(&g, 4);
    assert_int_equal(mz_store_upsert_case(g_db, &g.rec, err, sizeof err), MZ_UPSERT_CONFLICT);
    assert_false(mz_db_in_tx(g_db));
    /* set-based: 0..9 (the even ones conflict) and new ones 10..14 */
    mz_sync_report rep = sink_write("own", 0, 15, 1, other_subject_even);
    assert_int_equal(rep.conflicts, 5);
    assert_int_equal(rep.applied, 5 + 5);
    assert_int_equal(rep.stale, 0);
    /* record by record (a refused value in the batch) */
    rep = sink_write("own", 0, 15, 2, other_subject_even_refuse_13);
    assert_int_equal(rep.conflicts, 5);
    assert_int_equal(rep.invalid, 1);
    assert_int_equal(rep.applied, 5 + 4); /* 1, 3, .. 9; 10, 11, 12, 14 (their own subject) */
    char *after = owned_digest();
    assert_string_equal(before, after);
    /* one row per case, every detection counted: case 4 three times */
    assert_int_equal(count("SELECT count(*) FROM case_conflicts x JOIN cases c ON c.id = x.case_id "
                           "WHERE c.agency_id = 'own'"),
                     5);
    assert_int_equal(count("SELECT x.detections FROM case_conflicts x JOIN cases c ON "
                           "c.id = x.case_id WHERE c.external_id LIKE '%/00004' AND "
                           "c.agency_id = 'own'"),
                     3);
    assert_int_equal(count("SELECT sum(detections) FROM case_conflicts WHERE agency_id = 'own'"),
                     11);
    free(before);
    free(after);
}

/* The sink with its writer thread (what a sync uses): full batches are
 * written on the thread while the next fills; the result must be the same
 * as record by record, with the same counts, over several batches, and a
 * refused value or a conflict in a later batch costs that record only. */
static void test_background_equals_one_by_one(void **state)
{
    (void)state;
    enum { N = 2 * MZ_STORE_BATCH + 57 };
    g_background = true;
    for (int v = 0; v < 2; v++) {
        mz_sync_report rep = sink_write("bg", 0, N, v, NULL);
        assert_int_equal(rep.seen, N);
        assert_int_equal(rep.applied, N);
        assert_int_equal(rep.stale + rep.invalid + rep.conflicts, 0);
    }
    mz_sync_report rep = sink_write("bg", 0, N, 0, NULL);
    assert_int_equal(rep.stale, N);
    assert_int_equal(rep.applied + rep.invalid, 0);
    char *a = digest("ref"), *b = digest("bg");
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    free(a);
    free(b);
    g_background = false;
}

/* Record 250 (in the second batch) refused by Postgres, even records of
 * the third batch another subject's. */
static void bg_tweak(gen *g, int i)
{
    if (i == 250)
        g->rec.registered_on = "2026-02-30";
    if (i >= 2 * MZ_STORE_BATCH && i % 2 == 0)
        mz_pseudonym("111222333", 9, g->rec.subject_key);
}

static void test_background_refused_and_conflicts(void **state)
{
    (void)state;
    enum { N = 2 * MZ_STORE_BATCH + 20 };
    g_background = true;
    mz_sync_report rep = sink_write("bg2", 0, N, 0, NULL);
    assert_int_equal(rep.applied, N);
    rep = sink_write("bg2", 0, N, 1, bg_tweak);
    assert_int_equal(rep.seen, N);
    assert_int_equal(rep.invalid, 1);
    assert_int_equal(rep.conflicts, 10);
    assert_int_equal(rep.applied, N - 11);
    assert_int_equal(count("SELECT count(*) FROM cases WHERE agency_id = 'bg2' AND "
                           "status_text = 'Bijgewerkt'"),
                     N - 11);
    assert_int_equal(count("SELECT count(*) FROM case_conflicts WHERE agency_id = 'bg2'"), 10);
    assert_false(mz_db_in_tx(g_db));
    g_background = false;
}

/* A batch the writer cannot write (here: the cases table locked by
 * another session beyond the connection's lock_timeout) fails the run:
 * the next hand-over reports it, finish too, and nothing of that batch or
 * of the queued one is written. */
static void test_background_failed_batch_fails_the_run(void **state)
{
    (void)state;
    char err[200];
    mz_db *db = mz_db_connect(g_env.db_url, 0, err, sizeof err);
    assert_non_null(db);
    PGresult *r = PQexec(mz_db_pg(db), "SET lock_timeout = '100ms'");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    PGconn *holder = PQconnectdb(g_env.db_url);
    assert_int_equal(PQstatus(holder), CONNECTION_OK);
    mz_sync_report rep;
    memset(&rep, 0, sizeof rep);
    mz_store_sink s;
    mz_store_sink_init(&s, db, &rep);
    assert_true(mz_store_sink_background(&s));
    r = PQexec(holder, "BEGIN; LOCK TABLE cases IN SHARE MODE");
    assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    gen g;
    bool emitted = true;
    int i = 0;
    for (; emitted && i < 3 * MZ_STORE_BATCH; i++) {
        gen_record(&g, "bg3", i, 0);
        emitted = s.sink.emit(&s.sink, &g.rec);
    }
    assert_false(emitted);
    assert_int_equal(i, 2 * MZ_STORE_BATCH); /* the second hand-over found the failure */
    PQclear(PQexec(holder, "ROLLBACK"));
    PQfinish(holder);
    assert_false(mz_store_sink_finish(&s, false));
    assert_true(rep.error[0] != '\0');
    assert_int_equal(rep.applied, 0);
    assert_false(mz_db_in_tx(db));
    assert_int_equal(count("SELECT count(*) FROM cases WHERE agency_id = 'bg3'"), 0);
    mz_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_equal_one_by_one),
        cmocka_unit_test(test_refused_value_costs_one_record),
        cmocka_unit_test(test_case_twice_in_one_batch),
        cmocka_unit_test(test_failed_run_keeps_queued),
        cmocka_unit_test(test_other_subject_is_a_conflict),
        cmocka_unit_test(test_background_equals_one_by_one),
        cmocka_unit_test(test_background_refused_and_conflicts),
        cmocka_unit_test(test_background_failed_batch_fails_the_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
