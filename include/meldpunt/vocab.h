/* vocab.h - the workflow vocabulary: every status a cluster (and so each of
 * its reports) can have, what it means to citizens, to Open311 and
 * FixMyStreet clients and to the map, and the moves between statuses.
 *
 * This is the one place where the statuses are spelled. Lists elsewhere
 * (status filters, SQL parameters, error texts, GET /api/v1/config and so the
 * pages) are read from these tables. Who may make a move (roles,
 * departments) is workflow.c's rule; which moves exist is data, here.
 *
 * Thread-safety: the tables are constant; every function only reads them.
 */
#ifndef MELDPUNT_VOCAB_H
#define MELDPUNT_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

/* Room for every status code; callers size their lists with it. */
#define MP_VOCAB_STATUSES_MAX 16

struct mp_vocab_status {
    const char *code;        /* "in_progress": API, database, history */
    const char *name_en;     /* as the pages show it */
    const char *name_nl;
    bool open;               /* not yet resolved: the "open" filter family, still absorbing */
    bool public;             /* shown to citizens (map, report page, public API) */
    const char *open311;     /* GeoReport v2 status: "open" or "closed" */
    const char *fixmystreet; /* FixMyStreet update status ("ACTION_SCHEDULED", ...) */
    const char *map_group;   /* map legend group: open, in_progress, fixed, not_responsible */
    bool mail;               /* a change to it is mailed to the job's reporters */
};

struct mp_vocab_transition {
    const char *from, *to;
    bool crew;          /* a crew of the cluster's department may make it */
    bool note_required; /* the reason must be written down */
    bool reporter;      /* the reporter's move (kto.c), never staff's */
};

/* Which statuses a list holds. */
enum mp_vocab_which {
    MP_VOCAB_ALL,
    MP_VOCAB_OPEN,           /* open (the filter family "open" and "unresolved") */
    MP_VOCAB_RESOLVED,       /* not open (the family "resolved") */
    MP_VOCAB_OPEN311_OPEN,   /* Open311 status "open" */
    MP_VOCAB_OPEN311_CLOSED, /* Open311 status "closed" */
};

/* The whole status table, in its stable order (new, acknowledged, scheduled,
 * in_progress, fixed, closed, not_responsible, reopened, reopen_requested):
 * static, *n rows. */
const struct mp_vocab_status *mp_vocab_statuses(size_t *n);

/* The row of code, or NULL for NULL or an unknown code (exact match). */
const struct mp_vocab_status *mp_vocab_status_find(const char *code);

/* The codes of the statuses in which, in table order: up to cap borrowed
 * static strings into out. Returns how many were written. */
size_t mp_vocab_status_codes(enum mp_vocab_which which, const char **out, size_t cap);

/* Every code in table order joined by ", " into out (cap bytes, always
 * NUL-terminated), for error texts that name the choices. Returns false when
 * cap was too small (out then holds "" ). */
bool mp_vocab_status_list(char *out, size_t cap);

/* The whole transition table (static, *n entries), grouped by from. */
const struct mp_vocab_transition *mp_vocab_transitions(size_t *n);

/* The table's entry for from -> to, or NULL when that is not a move (or
 * either is NULL). */
const struct mp_vocab_transition *mp_vocab_transition_find(const char *from, const char *to);

#endif
