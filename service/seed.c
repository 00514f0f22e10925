#include "seed.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <stdlib.h>

#include "agencies.h"
#include "contact.h"
#include "crypto.h"
#include "handover.h"
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

/* Texts may hold "{Y}": the year the case was registered (case numbers and
 * the benefit year of a toeslag), so the demo never ages. */
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

/*
 * The demo: what three citizens would recognise. Rules the data keeps (and
 * tests/integration/test_demo_data.c checks, also for the demo
 * municipality served by `fake_zgw --demo`):
 *  - no citizen has two cases with the same title; a title names its type;
 *  - one case-number format per agency (ZAAK-<year>-<6 digits> for the
 *    municipality, as its zaaksysteem numbers; <product>-<year>-<digits>
 *    elsewhere, the same digit count within an agency);
 *  - open cases' planned end and legal deadline lie ahead, except exactly
 *    one deliberately overdue case (the parkeervergunning: its legal
 *    deadline passed 11 days ago while it is still in behandeling);
 *  - a melding (a report) has no planned end or legal deadline (there is no
 *    decision to wait for), and a handled one is closed with what was done;
 *  - dates follow from the registration date and the agency's term
 *    (mostly 8 weeks), the timeline ends in the current status.
 * The municipality's four cases are also served by `fake_zgw --demo` (the
 * run command's live municipality), with the same numbers, titles, texts
 * and dates: keep tests/fixtures/fake_zgw/data.c DEMO_ZAKEN in step.
 */
static const demo_case cases[] = {
    /* Citizen 0: five cases at four agencies, one action required. */
    {0,
     "gemeente-voorbeeld",
     "zaak-1001",
     "ZAAK-{Y}-001001",
     "Parkeervergunning bewoners zone A",
     "PARKEERVERGUNNING",
     "Aanvraag parkeervergunning",
     95,
     -39, /* registration + 56 days: passed */
     -11, /* registration + 84 days: passed, still open — the one overdue case */
     0,
     NULL,
     NULL,
     NULL,
     0,
     "https://www.voorbeeld.nl/mijn/zaken/ZAAK-{Y}-001001",
     {{"received", "Wij hebben uw aanvraag ontvangen.", 95},
      {"in_progress", "In behandeling", 88}}},
    {0,
     "gemeente-voorbeeld",
     "zaak-0988",
     "ZAAK-{Y}-000988",
     "Melding: losliggende stoeptegel Kerkstraat",
     "MELDING-OPENBARE-RUIMTE",
     "Melding openbare ruimte",
     40,
     0,
     0,
     33,
     "Opgelost: De stoeptegel is vastgezet.",
     NULL,
     NULL,
     0,
     "https://www.voorbeeld.nl/mijn/zaken/ZAAK-{Y}-000988",
     {{"received", "Wij hebben uw melding ontvangen.", 40},
      {"in_progress", "Doorgestuurd naar uitvoering", 38},
      {"closed", "Uw melding is afgehandeld. Bedankt voor uw melding.", 33}}},
    {0,
     "uwv",
     "WW-77120",
     "WW-{Y}-77120",
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
     "SF-{Y}-5531",
     "Wijziging studiefinanciering",
     "SF-WIJZIGING",
     "Studiefinanciering wijzigen",
     30,
     0,
     26,
     0,
     "Toegekend: u krijgt een aanvullende beurs vanaf de eerste dag van de volgende maand",
     NULL,
     NULL,
     0,
     "https://duo.nl/mijn/zaken/SF-5531",
     {{"received", "Wijziging ontvangen", 30},
      {"in_progress", "In behandeling", 25},
      {"decided", "Besluit genomen", 3}}},
    {0,
     "toeslagen",
     "HT-0412",
     "HT-{Y}-0412",
     "Huurtoeslag {Y}",
     "HUURTOESLAG",
     "Huurtoeslag",
     1,
     42,
     55,
     0,
     NULL,
     NULL,
     NULL,
     0,
     "https://www.belastingdienst.nl/mijntoeslagen",
     {{"received", "Aanvraag ontvangen", 1}}},
    /* Citizen 1: a suspended application, a sick-leave benefit, a withdrawn
     * toeslag. */
    {1,
     "gemeente-voorbeeld",
     "zaak-1202",
     "ZAAK-{Y}-001202",
     "Bijstandsuitkering voor levensonderhoud",
     "BIJSTANDSUITKERING",
     "Aanvraag bijstandsuitkering",
     25,
     31, /* registration + 56 days */
     66, /* registration + 91 days */
     0,
     NULL,
     NULL,
     NULL,
     0,
     "https://www.voorbeeld.nl/mijn/zaken/ZAAK-{Y}-001202",
     {{"received", "Wij hebben uw aanvraag ontvangen.", 25},
      {"on_hold", "Wij hebben meer gegevens van u nodig. U krijgt hierover een brief.", 6}}},
    {1,
     "uwv",
     "ZW-33001",
     "ZW-{Y}-33001",
     "Ziektewet-uitkering",
     "ZW",
     "Ziektewet",
     9,
     21,
     47,
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
     "ZT-8870",
     "ZT-{Y}-8870",
     "Zorgtoeslag {Y}",
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
    /* Citizen 2: a payment arrangement, a report just made, a new WIA
     * application. */
    {2,
     "duo",
     "BR-1180",
     "BR-{Y}-1180",
     "Betalingsregeling studieschuld",
     "TERUGBETALING",
     "Terugbetalen studieschuld",
     14,
     20,
     42,
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
     "ZAAK-{Y}-001310",
     "Melding: kapotte lantaarnpaal Stationsplein",
     "MELDING-OPENBARE-RUIMTE",
     "Melding openbare ruimte",
     3,
     0,
     0,
     0,
     NULL,
     NULL,
     NULL,
     0,
     "https://www.voorbeeld.nl/mijn/zaken/ZAAK-{Y}-001310",
     {{"received", "Wij hebben uw melding ontvangen.", 3},
      {"in_progress", "Doorgestuurd naar uitvoering", 2}}},
    {2,
     "uwv",
     "WIA-44100",
     "WIA-{Y}-44100",
     "Aanvraag WIA-uitkering",
     "WIA",
     "WIA-uitkering",
     3,
     40,
     53,
     0,
     NULL,
     NULL,
     NULL,
     0,
     "https://www.uwv.nl/mijnuwv/aanvragen/WIA-44100",
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

/* Copies src into out (n bytes) with "{Y}" replaced by year. */
static const char *with_year(char *out, size_t n, const char *src, const char *year)
{
    if (!src)
        return NULL;
    size_t o = 0;
    for (const char *p = src; *p && o + 1 < n; p++) {
        if (strncmp(p, "{Y}", 3) == 0) {
            o += (size_t)snprintf(out + o, n - o, "%s", year);
            if (o >= n)
                o = n - 1;
            p += 2;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return out;
}

/* The demo's contact moments (issue 17): citizen 0 phoned the municipality
 * about their WW-uitkering; the employee could not answer and handed it
 * over to UWV with a call-back, which UWV has taken on but not yet done
 * (an open call-back at another organisation); a week earlier they came
 * to the desk. Fixed ids, so seeding again replaces them. The hand-over's
 * subject and number are sealed as the service seals them, so it needs the
 * contact key (MZ_CONTACT_KEY_FILE); without it only the moments are
 * seeded. */
#define DEMO_CM1 "dec0c0de-0000-4000-8000-000000000001"
#define DEMO_CM2 "dec0c0de-0000-4000-8000-000000000002"
#define DEMO_HO1 "dec0c0de-0000-4000-8000-0000000000a1"

static bool seed_contact(mz_db *db, char *err, size_t errlen)
{
    const char *cv[1] = {"{" DEMO_CM1 "," DEMO_CM2 "}"};
    PGresult *r = MZ_DB_EXEC(db, MZ_STMT_SEED_CONTACT_CLEAR, cv);
    bool ok = mz_db_ok(r);
    PQclear(r);
    const char *bsn = mz_demo_bsns[0];
    unsigned char key[MZ_PSEUDONYM_LEN];
    mz_pseudonym(bsn, strlen(bsn), key);
    struct {
        const char *id, *org, *channel, *topic, *summary, *answered, *agency, *external_id, *days;
    } m[2] = {
        {DEMO_CM1, "Gemeente Voorbeeld", "phone", "Vraag over WW-uitkering",
         "Burger belt over de aanvraag WW-uitkering: wanneer komt het besluit? Uitgelegd dat UWV "
         "beslist; burger wil door UWV teruggebeld worden over de termijn.",
         "false", "uwv", "WW-77120", "1"},
        {DEMO_CM2, "Gemeente Voorbeeld", "desk", "Parkeervergunning bewoners",
         "Aan de balie gevraagd naar de parkeervergunning; stand van zaken uitgelegd, vraag "
         "beantwoord.",
         "true", "gemeente-voorbeeld", "zaak-1001", "8"},
    };
    for (int i = 0; i < 2 && ok; i++) {
        const char *v[11] = {m[i].id,      (const char *)key, "bsn",           m[i].org,
                             m[i].channel, m[i].topic,        m[i].summary,    m[i].answered,
                             m[i].agency,  m[i].days,         m[i].external_id};
        const int l[11] = {0, MZ_PSEUDONYM_LEN}, f[11] = {0, 1};
        r = MZ_DB_EXEC_BIN(db, MZ_STMT_SEED_CONTACT_MOMENT, v, l, f);
        ok = mz_db_ok(r);
        PQclear(r);
    }
    if (ok && mz_contact_ready()) {
        char subject[64], aad[80];
        snprintf(subject, sizeof subject, "{\"kind\":\"bsn\",\"id\":\"%s\"}", bsn);
        size_t sn = 0, cn = 0;
        size_t alen = mz_handover_aad(DEMO_HO1, "subject", aad);
        unsigned char *se = mz_contact_seal(subject, strlen(subject), aad, alen, &sn);
        alen = mz_handover_aad(DEMO_HO1, "callback", aad);
        unsigned char *ce = mz_contact_seal("+31612345678", 12, aad, alen, &cn);
        const char *v[7] = {DEMO_HO1,
                            DEMO_CM1,
                            "uwv",
                            "Graag terugbellen over de termijn van het besluit op de WW-aanvraag.",
                            mz_contact_key_id(),
                            (const char *)ce,
                            (const char *)se};
        const int l[7] = {0, 0, 0, 0, 0, (int)cn, (int)sn}, f[7] = {0, 0, 0, 0, 0, 1, 1};
        r = MZ_DB_EXEC_BIN(db, MZ_STMT_SEED_HANDOVER, v, l, f);
        ok = mz_db_ok(r);
        PQclear(r);
        free(se);
        free(ce);
    }
    if (!ok)
        snprintf(err, errlen, "cannot write the demo contact moments");
    return ok;
}

bool mz_seed_demo(mz_db *db, const mz_agencies *live, int *ncases, char *err, size_t errlen)
{
    *ncases = 0;
    for (size_t i = 0; i < sizeof agencies / sizeof agencies[0]; i++) {
        const char *v[1] = {agencies[i].id};
        PGresult *r = MZ_DB_EXEC(db, MZ_STMT_SEED_CLEAR, v);
        bool ok = mz_db_ok(r);
        PQclear(r);
        if (!ok) {
            snprintf(err, errlen, "cannot remove the earlier demo cases");
            return false;
        }
        /* A live source (in the agencies file) brings its own cases and
         * its own agency row: demo cases beside them would be invented. */
        if (live && mz_agencies_find(live, agencies[i].id))
            continue;
        if (!mz_store_upsert_agency(db, &agencies[i], err, errlen))
            return false;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const demo_case *d = &cases[i];
        if (live && mz_agencies_find(live, d->agency))
            continue;
        char reg[16], planned[16], deadline[16], closed[16], due[16];
        char ev_at[4][32];
        mz_case_event ev[4];
        size_t nev = 0;
        for (; nev < 4 && d->events[nev].group; nev++) {
            stamp(ev_at[nev], d->events[nev].days_ago);
            ev[nev] =
                (mz_case_event){d->events[nev].group, d->events[nev].text, ev_at[nev], NULL, false};
        }
        const demo_event *cur = &d->events[nev - 1];
        day(reg, -d->registered_ago);
        day(planned, d->planned_in);
        day(deadline, d->deadline_in);
        day(closed, -d->closed_ago);
        day(due, d->action_due_in);
        char year[5], number[64], title[200], link[300];
        snprintf(year, sizeof year, "%.4s", reg);
        mz_case_record rec = {
            .agency_id = d->agency,
            .external_id = d->external_id,
            .case_number = with_year(number, sizeof number, d->number, year),
            .title = with_year(title, sizeof title, d->title, year),
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
            .deep_link_url = with_year(link, sizeof link, d->link, year),
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
    return seed_contact(db, err, errlen);
}
