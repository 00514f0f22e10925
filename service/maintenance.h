/*
 * maintenance.h — store maintenance commands: retention (`mijnzaken purge`)
 * and re-keying the BSN pseudonyms after a key rotation (`mijnzaken rekey`).
 *
 * Why re-keying enumerates: the store holds only HMAC-SHA256(key, bsn), so
 * an old pseudonym cannot be turned into a new one directly. The command
 * computes HMAC(old key, b) for every candidate BSN b (all 9-digit numbers
 * passing the 11-proof, about 9 * 10^7, or only those with a given prefix),
 * matches them against the pseudonyms in use, and rewrites each match to
 * HMAC(new key, b) in one transaction, inbox bodies included. The BSNs live
 * only in memory while it runs.
 *
 * Both return a process exit status (0 = success) and print a report.
 */
#ifndef MZ_MAINTENANCE_H
#define MZ_MAINTENANCE_H

int mz_cmd_purge(int argc, char **argv);
int mz_cmd_rekey(int argc, char **argv);

#endif
