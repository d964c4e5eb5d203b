/* vocab.c - the status and transition tables. The names are the wording the
 * pages used before they read them from here (web/i18n.js), so that the pages
 * did not change when they switched. */
#include "meldpunt/vocab.h"

#include <stdio.h>
#include <string.h>

/* Every status is public today: the map hides none, and a citizen following
 * a report sees the status staff set. The column is there so that an
 * internal status can never leak by omission. The last column says which
 * changes are worth a mail to the reporters (notify_reporters.c): the ones a
 * citizen waits for, not the crew starting work, and not the reporter's own
 * request to reopen. reopen_requested is open (a defect that came back
 * absorbs new reports of it) and, to FixMyStreet, the council looking again. */
static const struct mp_vocab_status statuses[] = {
    {"new", "New", "Nieuw", true, true, "open", "OPEN", "open", false},
    {"acknowledged", "Acknowledged", "In behandeling genomen", true, true, "open",
     "INVESTIGATING", "open", true},
    {"scheduled", "Scheduled", "Ingepland", true, true, "open", "ACTION_SCHEDULED", "open", true},
    {"in_progress", "In progress", "Wordt aan gewerkt", true, true, "open", "IN_PROGRESS",
     "in_progress", false},
    {"fixed", "Fixed", "Opgelost", false, true, "closed", "FIXED", "fixed", true},
    {"closed", "Closed", "Afgesloten", false, true, "closed", "CLOSED", "fixed", true},
    {"not_responsible", "Not our responsibility", "Niet onze verantwoordelijkheid", false, true,
     "closed", "NOT_COUNCILS_RESPONSIBILITY", "not_responsible", true},
    {"reopened", "Reopened", "Heropend", true, true, "open", "OPEN", "open", true},
    {"reopen_requested", "Reopen requested", "Heropenen gevraagd", true, true, "open",
     "INVESTIGATING", "open", false},
};

/* Every allowed move. Going back is allowed where work really goes back
 * (a job that was scheduled but cannot be done yet; a fix that did not
 * hold); refusing, closing without a fix and reopening need a reason. The
 * moves into reopen_requested are the reporter's (a "not fixed" answer to
 * the satisfaction check, kto.c); staff then reopen the job or keep it
 * fixed or closed, saying why. */
static const struct mp_vocab_transition transitions[] = {
    {"new", "acknowledged", false, false, false},
    {"new", "scheduled", false, false, false},
    {"new", "not_responsible", false, true, false},
    {"new", "closed", false, true, false},
    {"acknowledged", "scheduled", false, false, false},
    {"acknowledged", "in_progress", true, false, false},
    {"acknowledged", "not_responsible", false, true, false},
    {"acknowledged", "closed", false, true, false},
    {"scheduled", "in_progress", true, false, false},
    {"scheduled", "acknowledged", false, false, false},
    {"scheduled", "not_responsible", false, true, false},
    {"in_progress", "fixed", true, false, false},
    {"in_progress", "scheduled", false, true, false},
    {"fixed", "closed", false, false, false},
    {"fixed", "reopened", false, true, false},
    {"closed", "reopened", false, true, false},
    {"not_responsible", "reopened", false, true, false},
    {"reopened", "acknowledged", false, false, false},
    {"reopened", "scheduled", false, false, false},
    {"reopened", "in_progress", false, false, false},
    {"reopened", "not_responsible", false, true, false},
    {"reopened", "closed", false, true, false},
    {"fixed", "reopen_requested", false, false, true},
    {"closed", "reopen_requested", false, false, true},
    {"reopen_requested", "reopened", false, false, false},
    {"reopen_requested", "fixed", false, true, false},
    {"reopen_requested", "closed", false, true, false},
};

#define NSTATUSES (sizeof statuses / sizeof *statuses)
#define NTRANSITIONS (sizeof transitions / sizeof *transitions)

_Static_assert(NSTATUSES <= MP_VOCAB_STATUSES_MAX, "MP_VOCAB_STATUSES_MAX is too small");

const struct mp_vocab_status *mp_vocab_statuses(size_t *n)
{
    *n = NSTATUSES;
    return statuses;
}

const struct mp_vocab_status *mp_vocab_status_find(const char *code)
{
    for (size_t i = 0; code && i < NSTATUSES; i++)
        if (strcmp(statuses[i].code, code) == 0)
            return &statuses[i];
    return NULL;
}

static bool selected(const struct mp_vocab_status *s, enum mp_vocab_which which)
{
    switch (which) {
    case MP_VOCAB_ALL:
        return true;
    case MP_VOCAB_OPEN:
        return s->open;
    case MP_VOCAB_RESOLVED:
        return !s->open;
    case MP_VOCAB_OPEN311_OPEN:
        return strcmp(s->open311, "open") == 0;
    case MP_VOCAB_OPEN311_CLOSED:
        return strcmp(s->open311, "closed") == 0;
    }
    return false;
}

size_t mp_vocab_status_codes(enum mp_vocab_which which, const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < NSTATUSES && n < cap; i++)
        if (selected(&statuses[i], which))
            out[n++] = statuses[i].code;
    return n;
}

bool mp_vocab_status_list(char *out, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return false;
    out[0] = '\0';
    for (size_t i = 0; i < NSTATUSES; i++) {
        int w = snprintf(out + len, cap - len, "%s%s", i ? ", " : "", statuses[i].code);
        if (w < 0 || (size_t)w >= cap - len) {
            out[0] = '\0';
            return false;
        }
        len += (size_t)w;
    }
    return true;
}

const struct mp_vocab_transition *mp_vocab_transitions(size_t *n)
{
    *n = NTRANSITIONS;
    return transitions;
}

const struct mp_vocab_transition *mp_vocab_transition_find(const char *from, const char *to)
{
    for (size_t i = 0; from && to && i < NTRANSITIONS; i++)
        if (strcmp(transitions[i].from, from) == 0 && strcmp(transitions[i].to, to) == 0)
            return &transitions[i];
    return NULL;
}
