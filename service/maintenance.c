/* Placeholder until the implementation lands; see maintenance.h. */
#include <stdio.h>

#include "maintenance.h"

int mz_cmd_purge(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "purge: not implemented yet\n");
    return 1;
}

int mz_cmd_rekey(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "rekey: not implemented yet\n");
    return 1;
}
