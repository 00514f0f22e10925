/*
 * zgw_map.h — the pure rules of the ZGW adapter (zgw.c): how a zaak's
 * fields become a case record's, and who is entitled to see a zaak.
 *
 * Why separate: these are the rules a reviewer or a municipality asks
 * about ("why is my case 'decided'?", "why is it not shown to me?"); kept
 * free of I/O, locks and allocation they are tested one by one with tables
 * of cases (tests/unit/test_zgw_map.c) instead of only through a fake
 * agency. The rules themselves are described in zgw.c's header comment.
 *
 * Ownership: nothing here allocates. Returned strings are either static
 * text, the caller's own buffer, or point into the arguments (the JSON
 * document, the type, the agency's configuration) and live as long as they.
 * BSNs are only ever copied into a mz_zgw_owner, which the caller wipes
 * with mz_zgw_owner_clear.
 */
#ifndef MZ_ZGW_MAP_H
#define MZ_ZGW_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "adapter.h"
#include "json.h"

/* What the mapping needs of a Catalogi object (zaaktype, statustype or
 * resultaattype). The strings are owned by whoever filled it
 * (zgw_catalogi.h: mz_zgw_type_clear frees them); NULL when absent. */
typedef struct mz_zgw_type {
    char *omschrijving;
    char *statustekst;   /* statustype */
    char *identificatie; /* zaaktype */
    long volgnummer;     /* statustype; 0 when absent */
    bool eind;           /* statustype.isEindstatus */
    bool no_inform;      /* statustype.informeren is false */
    bool intern;         /* zaaktype.indicatieInternOfExtern is "intern": its documents and
                          * decisions are never shown to the citizen (issue 16) */
} mz_zgw_type;

/* A non-empty string member of o, else NULL (absent, empty, not a string). */
const char *mz_zgw_str(const mz_json *o, const char *key);

/* --- status */

/* The status group of a zaak in status st (NULL: the zaak has no status):
 * the agency's statusGroups mapping by omschrijving, then by statustekst;
 * else isEindstatus → closed, or decided when the zaak has a resultaat; a
 * resultaat before the end → decided; suspended (opschorting) → on_hold;
 * volgnummer 1 → received; otherwise in_progress. Without a status:
 * on_hold when suspended, else received. agency may be NULL (no mapping). */
const char *mz_zgw_status_group(const mz_agency *agency, const mz_zgw_type *st, bool has_result,
                                bool suspended);
/* The status text shown: statustekst when set, else omschrijving, else
 * "Onbekende status"; "Ontvangen" when the zaak has no status (st NULL). */
const char *mz_zgw_status_text(const mz_zgw_type *st);
/* The agency asked not to inform the citizen of this status (statustype
 * informeren: false; absent means inform): the store then notifies no one
 * of it (mz_case_record.silent, notify.h). st NULL: false. */
bool mz_zgw_status_silent(const mz_zgw_type *st);
/* zaak.opschorting.indicatie is true. */
bool mz_zgw_suspended(const mz_json *zaak);

/* --- dates */

/* The date part ("2026-01-02") of a date or date-time text, into out;
 * NULL when absent or not a real calendar date (what the store would
 * refuse must not reach it: a notification's fetch would fail forever). */
const char *mz_zgw_date(const char *s, char out[11]);
/* The zaak's registration: registratiedatum, else startdatum (raw text;
 * pass it through mz_zgw_date). */
const char *mz_zgw_registered(const mz_json *zaak);
/* When the status last changed: the status's datumStatusGezet when it is
 * a valid date-time; else midnight UTC of the registration date (written
 * into out); NULL when neither is usable (the zaak is then incomplete). */
const char *mz_zgw_changed_at(const char *datum_status_gezet, const char *registered, char out[32]);

/* --- texts and links */

/* The deep link for a zaak: the agency's caseLinkTemplate with its first
 * "{identificatie}" replaced by ident (the template as is when it has no
 * placeholder), into out; NULL when there is no template or no ident. */
const char *mz_zgw_deep_link(const char *tmpl, const char *ident, char *out, size_t outlen);
/* The result text: the resultaattype's omschrijving (else "Resultaat
 * vastgesteld"), then ": <toelichting>" when the resultaat has one, into
 * out; NULL when the zaak has no resultaat (has_result false). */
const char *mz_zgw_result_text(bool has_result, const char *rt_omschrijving,
                               const char *toelichting, char *out, size_t outlen);
/* The title: zaak.omschrijving, else the zaaktype's omschrijving, else "Zaak". */
const char *mz_zgw_title(const mz_json *zaak, const mz_zgw_type *zaaktype);

/* --- entitlement (whose case a zaak is) */

/* Rol.omschrijvingGeneriek (Zaken API 1.5.1, Rol_omschrijvingGeneriekEnum). */
#define MZ_ZGW_N_ROLES 8
extern const char *const mz_zgw_role_names[MZ_ZGW_N_ROLES];

/* The agency's subjectRoles: indices into mz_zgw_role_names, in order of
 * precedence. */
/* What the agency's niet_natuurlijk_persoon.innNnpId holds
 * (`businessIdentifier`): absent = businesses are not entitled (rollen of
 * a business are ignored, as before subjects had kinds); "kvk" = the
 * 8-digit KVK number (what many zaaksystemen fill in: "door een kamer
 * toegekend"), so such a rol names the business; "rsin" = the RSIN, which
 * is no KVK number and cannot be turned into one without the
 * Handelsregister, so such a rol entitles no one. In both modes a
 * `vestiging` rol's kvkNummer names the business. */
typedef enum mz_zgw_business {
    MZ_ZGW_BUSINESS_NONE,
    MZ_ZGW_BUSINESS_KVK,
    MZ_ZGW_BUSINESS_RSIN
} mz_zgw_business;

typedef struct mz_zgw_roles {
    int idx[MZ_ZGW_N_ROLES];
    int n;
    mz_zgw_business business; /* businessIdentifier */
} mz_zgw_roles;

/* Reads `subjectRoles` from the adapter settings s: default ["initiator"];
 * otherwise a non-empty array of distinct enum values. Also reads
 * `businessIdentifier` (absent, "kvk" or "rsin": mz_zgw_business). Anything
 * else is refused with a message naming the field (a typo must not
 * silently entitle no one, or everyone). */
bool mz_zgw_subject_roles(const mz_json *s, mz_zgw_roles *out, char *err, size_t errlen);

/* The owner of a zaak, built up from its rollen (possibly over several
 * pages). Holds a BSN or KVK number: wipe it with mz_zgw_owner_clear. */
typedef struct mz_zgw_owner {
    int rank; /* position in the roles of the owner's role; roles->n = no owner (yet) */
    mz_subject who;
} mz_zgw_owner;

void mz_zgw_owner_init(mz_zgw_owner *o, const mz_zgw_roles *roles);
bool mz_zgw_owner_found(const mz_zgw_owner *o, const mz_zgw_roles *roles);
void mz_zgw_owner_clear(mz_zgw_owner *o);
/* Takes the entitled subjects of an array of rollen into o: only rollen of
 * this zaak (their `zaak` field equals zaak_url), in one of the roles, and
 * of these betrokkeneTypes: natuurlijk_persoon with a valid inpBsn (a
 * person); with roles->business set, vestiging with a valid kvkNummer, and
 * (business "kvk" only) niet_natuurlijk_persoon whose innNnpId is a valid
 * KVK number (a business). A business rol without a usable number names
 * no one. The earliest role wins, then a person before a business, then
 * the lowest number (one owner, whoever asks). rollen may be NULL or not an
 * array (nothing taken). */
void mz_zgw_owner_consider(mz_zgw_owner *o, const mz_zgw_roles *roles, const mz_json *rollen,
                           const char *zaak_url);
/* The zaak's `_expand.rollen` when it holds all of its rollen (as many as
 * its `rollen` URL list names, when it has that list), else NULL. */
const mz_json *mz_zgw_expanded_rollen(const mz_json *zaak);

#endif
