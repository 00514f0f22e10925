/*
 * purge.h — `mijnzaken purge`: retention. Removes cases closed longer ago
 * than MZ_RETENTION_CLOSED_DAYS (with their timeline), processing-log and
 * audit records older than MZ_RETENTION_LOG_DAYS and processed inbox rows
 * older than MZ_RETENTION_INBOX_DAYS, and expired sessions and sign-in
 * requests (oidc_flows), in one transaction; --dry-run counts only.
 *
 * Returns a process exit status (0 = success) and prints a report.
 */
#ifndef MZ_PURGE_H
#define MZ_PURGE_H

int mz_cmd_purge(int argc, char **argv);

#endif
