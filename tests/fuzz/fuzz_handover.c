/*
 * fuzz_handover.c — the input rules of contact moments and hand-over
 * (service/handover.c): the hand-over event an agency pushes
 * (mz_handover_is_event, mz_handover_event before any database), and the
 * text, channel and call-back number rules of POST /api/v1/contact-moments.
 *
 * Input: the bytes as a pushed body, and as text / a number.
 *
 * Properties checked:
 *   - mz_handover_is_event ⇒ the body (after white space) starts with '{'
 *     and holds "\"handover."; no event without both;
 *   - without a database mz_handover_event is INVALID (with a message naming
 *     "type:" or "handoverId:") or UNAVAILABLE (then without a message: it
 *     got as far as asking the database);
 *   - mz_contact_text_ok: single-line text is also valid multi-line text;
 *     valid single-line text holds no byte below 0x20 and no DEL;
 *   - mz_callback_number_normalise: the result is "+31" and 9 digits, the
 *     first not 0, and normalising it again gives itself;
 *   - mz_contact_channel_valid only for the five channels.
 */
#define _GNU_SOURCE /* memmem */
#include "fuzz_util.h"

#include "handover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_copy(data, size);
    const char *body = s;

    bool ev = mz_handover_is_event(body, size);
    size_t i = 0;
    while (i < size && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    bool shaped = i < size && s[i] == '{' && memmem(s, size, "\"handover.", 10) != NULL;
    FZ_CHECK(!ev || shaped);

    char err[200] = "";
    mz_handover_event_result r = mz_handover_event(NULL, "uwv", body, size, err, sizeof err);
    FZ_CHECK(r == MZ_HO_EVENT_INVALID || r == MZ_HO_EVENT_UNAVAILABLE);
    if (r == MZ_HO_EVENT_INVALID)
        FZ_CHECK(strncmp(err, "type:", 5) == 0 || strncmp(err, "handoverId:", 11) == 0);
    if (r == MZ_HO_EVENT_UNAVAILABLE) /* valid as far as it goes without a database */
        FZ_CHECK(err[0] == '\0');

    bool one = mz_contact_text_ok(s, size, false), multi = mz_contact_text_ok(s, size, true);
    FZ_CHECK(!one || multi);
    for (size_t k = 0; one && k < size; k++)
        FZ_CHECK((unsigned char)s[k] >= 0x20 && (unsigned char)s[k] != 0x7f);

    char out[13], again[13];
    if (mz_callback_number_normalise(s, out)) {
        FZ_CHECK(strlen(out) == 12 && strncmp(out, "+31", 3) == 0 && out[3] != '0');
        for (int k = 3; k < 12; k++)
            FZ_CHECK(out[k] >= '0' && out[k] <= '9');
        FZ_CHECK(mz_callback_number_normalise(out, again) && strcmp(out, again) == 0);
    }

    if (mz_contact_channel_valid(s))
        FZ_CHECK(!strcmp(s, "phone") || !strcmp(s, "desk") || !strcmp(s, "chat") ||
                 !strcmp(s, "email") || !strcmp(s, "letter"));
    free(s);
    return 0;
}
