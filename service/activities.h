/*
 * activities.h — processing activities ("verwerkingsactiviteiten"): the
 * purposes for which personal data may be read, each with an id and a
 * name. A professional names one with every look-up; the processing log
 * records it; the citizen sees its name in their access log.
 *
 * Why configuration: the register of processing activities belongs to the
 * organisation's privacy officer, not to the code. MZ_PROCESSING_ACTIVITIES_FILE
 * holds {"activities": [{"id": "...", "name": "..."}]}; without it a built-in
 * list applies. The citizen's own view is always the activity
 * MZ_ACTIVITY_SELF and cannot be named by a professional.
 *
 * Ownership: the list is loaded once at start-up and read-only after;
 * pointers returned live for the process.
 */
#ifndef MZ_ACTIVITIES_H
#define MZ_ACTIVITIES_H

#include <stdbool.h>
#include <stddef.h>

#define MZ_ACTIVITY_SELF "mijnzaken-inzage"
/* A representative's read for the person (or business) they act for
 * ("acting as representative"): shown in that person's access log as
 * "bekeken door uw gemachtigde". Like the self-view, never a purpose a
 * professional can name. */
#define MZ_ACTIVITY_REPRESENTATIVE "mijnzaken-inzage-gemachtigde"

typedef struct mz_activity {
    const char *id;
    const char *name;
} mz_activity;

/* Loads the file (NULL path: the built-in list). false with a message. */
bool mz_activities_load(const char *path, char *err, size_t errlen);
void mz_activities_free(void);
/* An activity a professional may name (never the self-view); NULL if none. */
const mz_activity *mz_activity_for_purpose(const char *id);
/* The citizen's self-view activity. */
const mz_activity *mz_activity_self(void);
/* The representative's activity (MZ_ACTIVITY_REPRESENTATIVE). */
const mz_activity *mz_activity_representative(void);
/* All activities (for the OpenAPI-documented list endpoint and the portal). */
const mz_activity *mz_activities(size_t *n);

#endif
