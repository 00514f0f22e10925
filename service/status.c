#include "status.h"

#include <string.h>

const char *const mz_status_groups[MZ_STATUS_GROUP_COUNT] = {
    MZ_STATUS_GROUPS(MZ_STATUS_GROUP_STR, MZ_STATUS_COMMA)};

bool mz_status_group_valid(const char *s)
{
    if (!s)
        return false;
    for (int i = 0; i < MZ_STATUS_GROUP_COUNT; i++)
        if (strcmp(s, mz_status_groups[i]) == 0)
            return true;
    return false;
}
