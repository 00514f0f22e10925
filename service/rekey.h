/*
 * rekey.h — `mijnzaken rekey`: re-keying the BSN pseudonyms after a key
 * rotation.
 *
 * Why re-keying enumerates: the store holds only HMAC-SHA256(key, bsn), so
 * an old pseudonym cannot be turned into a new one directly. The command
 * computes HMAC(old key, b) for every candidate BSN b (all 9-digit numbers
 * passing the 11-proof, about 9 * 10^7, or only those with a given prefix),
 * matches them against the pseudonyms in use, and rewrites each match to
 * HMAC(new key, b) in one transaction, inbox bodies included. The BSNs live
 * only in memory while it runs.
 *
 * Returns a process exit status (0 = success) and prints a report.
 */
#ifndef MZ_REKEY_H
#define MZ_REKEY_H

int mz_cmd_rekey(int argc, char **argv);

#endif
