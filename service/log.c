#include "log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static atomic_int g_level = MZ_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void mz_log_set_level(mz_log_level lvl)
{
    atomic_store(&g_level, (int)lvl);
}

int mz_log_parse_level(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void mz_log_begin(mz_logline *l, mz_log_level lvl, const char *msg)
{
    l->b = (mz_buf)MZ_BUF_INIT;
    l->enabled = (int)lvl >= atomic_load(&g_level);
    if (!l->enabled)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[40];
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
    mz_buf_puts(&l->b, "{\"ts\":\"");
    mz_buf_puts(&l->b, ts);
    mz_buf_puts(&l->b, "\",\"level\":\"");
    mz_buf_puts(&l->b, level_names[lvl]);
    mz_buf_puts(&l->b, "\",\"msg\":");
    mz_json_cstr(&l->b, msg);
}

void mz_log_str(mz_logline *l, const char *key, const char *val)
{
    if (!l->enabled)
        return;
    mz_buf_putc(&l->b, ',');
    mz_json_key(&l->b, key);
    mz_json_cstr(&l->b, val);
}

void mz_log_int(mz_logline *l, const char *key, int64_t val)
{
    if (!l->enabled)
        return;
    mz_buf_putc(&l->b, ',');
    mz_json_key(&l->b, key);
    mz_json_int(&l->b, val);
}

void mz_log_end(mz_logline *l)
{
    if (l->enabled) {
        mz_buf_puts(&l->b, "}\n");
        (void)!write(STDERR_FILENO, l->b.data, l->b.len);
    }
    mz_buf_free(&l->b);
}

void mz_log_msg(mz_log_level lvl, const char *msg)
{
    mz_logline l;
    mz_log_begin(&l, lvl, msg);
    mz_log_end(&l);
}

void mz_log_msg_str(mz_log_level lvl, const char *msg, const char *key, const char *val)
{
    mz_logline l;
    mz_log_begin(&l, lvl, msg);
    mz_log_str(&l, key, val);
    mz_log_end(&l);
}
