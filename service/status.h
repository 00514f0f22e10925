/*
 * status.h — the seven status groups a case can be in, defined once.
 *
 * Why one list: the groups are the citizen-facing vocabulary of the whole
 * service — Postgres' enum type status_group (migration 001), the OpenAPI
 * document's StatusGroup enum, and every check of pushed events, agency
 * configuration and stored records. tests/integration/test_status_groups.c
 * compares this list with the database's enum_range and the document's
 * enum, in order.
 *
 * Ownership: everything here is static.
 */
#ifndef MZ_STATUS_H
#define MZ_STATUS_H

#include <stdbool.h>

/* X(name) per group, SEP between two, in the order of the enum type. */
#define MZ_STATUS_GROUPS(X, SEP)                                                                   \
    X(received)                                                                                    \
    SEP X(in_progress)                                                                             \
    SEP X(action_required)                                                                         \
    SEP X(on_hold)                                                                                 \
    SEP X(decided)                                                                                 \
    SEP X(closed)                                                                                  \
    SEP X(withdrawn)

#define MZ_STATUS_GROUP_STR(name) #name
#define MZ_STATUS_GROUP_ONE(name) +1
#define MZ_STATUS_COMMA           ,

enum { MZ_STATUS_GROUP_COUNT = 0 MZ_STATUS_GROUPS(MZ_STATUS_GROUP_ONE, ) };

/* "received, in_progress, ..., withdrawn": for messages naming the choice. */
#define MZ_STATUS_GROUPS_TEXT MZ_STATUS_GROUPS(MZ_STATUS_GROUP_STR, ", ")

/* The groups' names, in order. */
extern const char *const mz_status_groups[MZ_STATUS_GROUP_COUNT];

/* True when s is one of the groups. */
bool mz_status_group_valid(const char *s);

#endif
