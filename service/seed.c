#include "seed.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "store.h"

const char *const mz_demo_bsns[] = {"999993653", "999990019", "999990032", NULL};

/* Adapter kind "demo": no agencies file can name it (no adapter has that
 * kind), so it marks an agency whose only source is this seed; refresh.c
 * reports such an agency fresh (its seeded cases are all the data there
 * is). An agencies file naming the same id replaces the row at start-up. */
static const mz_agency_row agencies[] = {
    {"gemeente-voorbeeld", "Gemeente Voorbeeld", "demo", "{}", "https://www.voorbeeld.nl/contact",
     "14 012", "012 345 6789", true},
    {"uwv", "UWV", "demo", "{}", "https://www.uwv.nl/particulieren/contact", "088 898 92 94",
     "088 898 20 01", true},
    {"duo", "DUO", "demo", "{}", "https://duo.nl/particulier/contact", "050 599 77 55",
     "050 599 96 00", true},
    {"toeslagen", "Dienst Toeslagen", "demo", "{}",
     "https://www.belastingdienst.nl/toeslagen/contact", "0800 0543", "0800 0544", true},
};

typedef struct demo_event {
    const char *group, *text;
    int days_ago;
} demo_event;

typedef struct demo_case {
    int citizen; /* index into mz_demo_bsns */
    const char *agency, *external_id, *number, *title, *type_code, *type_label;
    /* dates in days relative to today; 0 = absent (use 1 for "yesterday") */
    int registered_ago, planned_in, deadline_in, closed_ago;
    const char *result, *action, *action_url;
    int action_due_in;
    const char *link;
    demo_event events[4]; /* oldest first; the last is the current status */
} demo_case;

static const demo_case cases[] = {
    {0,
     "gemeente-voorbeeld",
     "zaak-1001",
     "ZAAK-2026-0001001",
     "Aanvraag parkeervergunning",
     "PARKEERVERGUNNING",
     "Parkeervergunning bewoners",
     12,
     9,
     44,
     0,
     NULL,
     NULL,
     NULL,
     0,
     "https://www.voorbeeld.nl/mijn/zaken/ZAAK-2026-0001001",
     {{"received", "Aanvraag ontvangen", 12},
      {"in_progress", "In behandeling bij team Parkeren", 5}}},
    {0,
     "gemeente-voorbeeld",
     "zaak-0988",
     "ZAAK-2026-0000988",
     "Melding openbare ruimte: losliggende stoeptegel",
     "MOR",
     "Melding openbare ruimte",
     40,
     0,
     0,
     33,
     "Opgelost: de stoeptegel is vastgezet",
     NULL,
     NULL,
     0,
     "https://www.voorbeeld.nl/mijn/zaken/ZAAK-2026-0000988",
     {{"received", "Melding ontvangen", 40},
      {"in_progress", "Ingepland", 38},
      {"closed", "Afgehandeld", 33}}},
    {0,
     "uwv",
     "WW-77120",
     "WW-2026-77120",
     "Aanvraag WW-uitkering",
     "WW",
     "WW-uitkering",
     20,
     15,
     36,
     0,
     NULL,
     "Stuur uw loonstroken van de laatste 3 maanden op",
     "https://www.uwv.nl/mijnuwv/documenten",
     7,
     "https://www.uwv.nl/mijnuwv/aanvragen/WW-77120",
     {{"received", "Aanvraag ontvangen", 20},
      {"in_progress", "In behandeling", 14},
      {"action_required", "Wij hebben informatie van u nodig", 2}}},
    {0,
     "duo",
     "SF-5531",
     "SF-2026-5531",
     "Wijziging studiefinanciering",
     "SF-WIJZIGING",
     "Studiefinanciering wijzigen",
     30,
     0,
     56,
     0,
     "Toegekend: uw aanvullende beurs gaat in op 1 "
     "december",
     NULL,
     NULL,
     0,
     "https://duo.nl/mijn/zaken/SF-5531",
     {{"received", "Wijziging ontvangen", 30},
      {"in_progress", "In behandeling", 25},
      {"decided", "Besluit genomen", 3}}},
    {0,
     "toeslagen",
     "HT-2026-0412",
     "HT-2026-0412",
     "Huurtoeslag 2026",
     "HUURTOESLAG",
     "Huurtoeslag",
     1,
     42,
     56,
     0,
     NULL,
     NULL,
     NULL,
     0,
     "https://www.belastingdienst.nl/mijntoeslagen",
     {{"received", "Aanvraag ontvangen", 1}}},
    {1,
     "gemeente-voorbeeld",
     "zaak-1202",
     "ZAAK-2026-0001202",
     "Aanvraag bijstandsuitkering",
     "PW-BIJSTAND",
     "Bijstand (Participatiewet)",
     25,
     10,
     31,
     0,
     NULL,
     NULL,
     NULL,
     0,
     "https://www.voorbeeld.nl/mijn/zaken/ZAAK-2026-0001202",
     {{"received", "Aanvraag ontvangen", 25},
      {"in_progress", "In behandeling", 20},
      {"on_hold", "Opgeschort: wacht op informatie van de werkgever", 6}}},
    {1,
     "uwv",
     "ZW-33001",
     "ZW-2026-33001",
     "Ziektewet-uitkering",
     "ZW",
     "Ziektewet",
     9,
     21,
     0,
     0,
     NULL,
     NULL,
     NULL,
     0,
     "https://www.uwv.nl/mijnuwv/aanvragen/ZW-33001",
     {{"received", "Ziekmelding ontvangen", 9},
      {"in_progress", "Beoordeling door verzekeringsarts", 4}}},
    {1,
     "toeslagen",
     "ZT-2026-8870",
     "ZT-2026-8870",
     "Zorgtoeslag 2026",
     "ZORGTOESLAG",
     "Zorgtoeslag",
     60,
     0,
     0,
     45,
     "Ingetrokken op uw verzoek",
     NULL,
     NULL,
     0,
     "https://www.belastingdienst.nl/mijntoeslagen",
     {{"received", "Aanvraag ontvangen", 60}, {"withdrawn", "Aanvraag ingetrokken", 45}}},
    {2,
     "duo",
     "BR-1180",
     "BR-2026-1180",
     "Betalingsregeling studieschuld",
     "TERUGBETALING",
     "Terugbetalen studieschuld",
     14,
     20,
     0,
     0,
     NULL,
     NULL,
     NULL,
     0,
     "https://duo.nl/mijn/zaken/BR-1180",
     {{"received", "Verzoek ontvangen", 14}, {"in_progress", "In behandeling", 8}}},
    {2,
     "gemeente-voorbeeld",
     "zaak-1310",
     "ZAAK-2026-0001310",
     "Omgevingsvergunning dakkapel",
     "OMGEVINGSVERGUNNING",
     "Omgevingsvergunning bouwen",
     35,
     21,
     21,
     0,
     NULL,
     "Lever een constructietekening aan",
     "https://www.voorbeeld.nl/mijn/zaken/ZAAK-2026-0001310/upload",
     10,
     "https://www.voorbeeld.nl/mijn/zaken/ZAAK-2026-0001310",
     {{"received", "Aanvraag ontvangen", 35},
      {"in_progress", "Beoordeling welstand", 20},
      {"action_required", "Aanvulling nodig", 4}}},
    {2,
     "uwv",
     "WIA-4410",
     "WIA-2026-4410",
     "WIA-beoordeling",
     "WIA",
     "WIA-uitkering",
     3,
     56,
     0,
     0,
     NULL,
     NULL,
     NULL,
     0,
     "https://www.uwv.nl/mijnuwv/aanvragen/WIA-4410",
     {{"received", "Aanvraag ontvangen", 3}}},
};

static void day(char out[16], int offset_days)
{
    time_t t = time(NULL) + (time_t)offset_days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

static void stamp(char out[32], int days_ago)
{
    /* Midday, so the calendar date is the same in UTC and in Amsterdam. */
    char d[16];
    day(d, -days_ago);
    snprintf(out, 32, "%s 10:%02d:00+00", d, days_ago % 60);
}

bool mz_seed_demo(mz_db *db, int *ncases, char *err, size_t errlen)
{
    *ncases = 0;
    for (size_t i = 0; i < sizeof agencies / sizeof agencies[0]; i++)
        if (!mz_store_upsert_agency(db, &agencies[i], err, errlen))
            return false;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const demo_case *d = &cases[i];
        char reg[16], planned[16], deadline[16], closed[16], due[16];
        char ev_at[4][32];
        mz_case_event ev[4];
        size_t nev = 0;
        for (; nev < 4 && d->events[nev].group; nev++) {
            stamp(ev_at[nev], d->events[nev].days_ago);
            ev[nev] = (mz_case_event){d->events[nev].group, d->events[nev].text, ev_at[nev], NULL};
        }
        const demo_event *cur = &d->events[nev - 1];
        day(reg, -d->registered_ago);
        day(planned, d->planned_in);
        day(deadline, d->deadline_in);
        day(closed, -d->closed_ago);
        day(due, d->action_due_in);
        mz_case_record rec = {
            .agency_id = d->agency,
            .external_id = d->external_id,
            .case_number = d->number,
            .title = d->title,
            .case_type_code = d->type_code,
            .case_type_label = d->type_label,
            .status_group = cur->group,
            .status_text = cur->text,
            .status_changed_at = ev_at[nev - 1],
            .registered_on = d->registered_ago ? reg : NULL,
            .planned_end_on = d->planned_in ? planned : NULL,
            .legal_deadline_on = d->deadline_in ? deadline : NULL,
            .closed_on = d->closed_ago ? closed : NULL,
            .result_text = d->result,
            .action_text = d->action,
            .action_url = d->action_url,
            .action_due_on = d->action ? due : NULL,
            .deep_link_url = d->link,
            .source_updated_at = ev_at[nev - 1],
            .source = "seed",
            .events = ev,
            .n_events = nev,
        };
        const char *bsn = mz_demo_bsns[d->citizen];
        mz_pseudonym(bsn, strlen(bsn), rec.subject_key);
        mz_upsert_result res = mz_store_upsert_case(db, &rec, err, errlen);
        if (res != MZ_UPSERT_APPLIED && res != MZ_UPSERT_STALE)
            return false;
        (*ncases)++;
    }
    return true;
}
