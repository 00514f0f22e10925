/*
 * log.h — structured logging: one JSON object per line on stderr.
 *
 * Why a builder and not printf: every value is escaped by construction, and
 * a line is written with one write(2) so lines from worker threads never
 * interleave. What goes in is the caller's responsibility: never a BSN,
 * never a token, never a raw URL (log the route pattern instead). The
 * tests scan the suite's logs for 11-proof numbers and "eyJ" to hold us to
 * that.
 *
 * Ownership: mz_logline is a stack value; mz_log_end releases its buffer.
 */
#ifndef MZ_LOG_H
#define MZ_LOG_H

#include <stdint.h>

#include "buf.h"

typedef enum mz_log_level { MZ_LOG_DEBUG, MZ_LOG_INFO, MZ_LOG_WARN, MZ_LOG_ERROR } mz_log_level;

typedef struct mz_logline {
    mz_buf b;
    int enabled;
} mz_logline;

void mz_log_set_level(mz_log_level lvl);
/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int mz_log_parse_level(const char *s);

void mz_log_begin(mz_logline *l, mz_log_level lvl, const char *msg);
void mz_log_str(mz_logline *l, const char *key, const char *val); /* NULL → null */
void mz_log_int(mz_logline *l, const char *key, int64_t val);
void mz_log_end(mz_logline *l);

/* One-liners for a message with no fields, or one string field. */
void mz_log_msg(mz_log_level lvl, const char *msg);
void mz_log_msg_str(mz_log_level lvl, const char *msg, const char *key, const char *val);

#endif
