#include "plog.h"

#include <stdio.h>
#include <string.h>

static bool lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static bool all_zero(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0')
            return false;
    return true;
}

bool mz_traceparent_parse(const char *v, char trace_id[33], char span_id[17])
{
    /* 00-<32 hex>-<16 hex>-<2 hex> */
    if (!v || strlen(v) != 55 || strncmp(v, "00-", 3) != 0 || v[35] != '-' || v[52] != '-')
        return false;
    if (!lower_hex(v + 3, 32) || !lower_hex(v + 36, 16) || !lower_hex(v + 53, 2))
        return false;
    if (all_zero(v + 3, 32) || all_zero(v + 36, 16))
        return false;
    memcpy(trace_id, v + 3, 32);
    trace_id[32] = '\0';
    memcpy(span_id, v + 36, 16);
    span_id[16] = '\0';
    return true;
}

void mz_trace_begin(const mz_req *r, mz_trace *t)
{
    if (!mz_traceparent_parse(mz_req_header(r, "traceparent"), t->trace_id, t->parent_span_id)) {
        mz_random_hex(t->trace_id, 16);
        t->parent_span_id[0] = '\0';
    }
    mz_random_hex(t->span_id, 8);
}

void mz_trace_header(mz_req *r, const mz_trace *t)
{
    char v[64];
    snprintf(v, sizeof v, "00-%s-%s-01", t->trace_id, t->span_id);
    mz_reply_header(r, "traceparent", v);
}

/* One statement either way (autocommit): the record, and for an employee
 * the audit record with it, commit together in one round trip. */
bool mz_plog_write(mz_db *db, const mz_plog_entry *e)
{
    if (!db)
        return false;
    const char *v[14] = {e->trace->trace_id,
                         e->trace->span_id,
                         e->trace->parent_span_id[0] ? e->trace->parent_span_id : NULL,
                         e->activity->id,
                         e->activity->name,
                         e->organisation,
                         (const char *)e->subject_key,
                         e->started_at,
                         e->outcome,
                         e->subject_kind ? e->subject_kind : "bsn",
                         (const char *)e->actor_key,
                         e->actor_kind,
                         e->actor_id,
                         e->endpoint};
    int lens[14] = {0};
    int fmts[14] = {0};
    lens[6] = lens[10] = MZ_PSEUDONYM_LEN;
    fmts[6] = fmts[10] = 1;
    /* The audit form takes all fourteen values, the plain one the first eleven. */
    mz_stmt id = e->actor_kind ? MZ_STMT_PLOG_AUDIT_INSERT : MZ_STMT_PLOG_INSERT;
    PGresult *r = mz_db_exec(db, id, e->actor_kind ? 14 : 11, v, lens, fmts);
    bool ok = mz_db_ok(r) && (!e->actor_kind || strcmp(PQcmdTuples(r), "1") == 0);
    PQclear(r);
    return ok;
}
