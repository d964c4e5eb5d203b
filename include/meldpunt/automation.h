/* automation.h - the city's "action sequences": rules from the city pack
 * (geodata/<city>/automation.json, format in geodata/README.md) that route a
 * cluster to a department by category and district, raise its priority once
 * enough people reported it, and set its service level, from which the due
 * time and the overdue flag follow (working days of the pack's calendar:
 * weekends and public holidays do not count).
 *
 * The rules are applied when clusters are read (queue, worklist, detail),
 * never stored: a cluster that staff have not assigned by hand always shows
 * what the current rules say, so a changed rules file takes effect for every
 * open cluster at once. A manual assignment (store_work.h) wins over the
 * routing rule; the priority rules can only raise a priority, never lower it.
 *
 * Ownership: mp_automation_load returns a new object (mp_automation_free).
 * The object is reference counted: mp_automation_ref returns another
 * reference, and each reference is dropped with mp_automation_free.
 * Results borrow strings from the rules and the city.
 * Thread-safety: a loaded object is read-only, so it may be shared; the
 * reference count is atomic.
 */
#ifndef MELDPUNT_AUTOMATION_H
#define MELDPUNT_AUTOMATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/buf.h"
#include "meldpunt/city.h"
#include "meldpunt/status.h"
#include "meldpunt/tz.h"

#define MP_AUTOMATION_FILE "automation.json"
#define MP_DEPARTMENT_MAX 48 /* bytes with the NUL */

struct mp_automation;

/* Load and check city->dir/automation.json against the city (categories and
 * districts must exist). A pack without the file has no rules: every
 * cluster goes to its category's department with the category's priority
 * and service level. err names the rule and field that are wrong. */
enum mp_status mp_automation_load(const struct mp_city *city, struct mp_automation **out,
                                  struct mp_error *err) MP_WUR;
/* The same from JSON text (tests). */
enum mp_status mp_automation_parse(const struct mp_city *city, const char *json, size_t len,
                                   struct mp_automation **out, struct mp_error *err) MP_WUR;
/* Drop one reference; the last frees the rules. Accepts NULL. */
void mp_automation_free(struct mp_automation *a);
/* Another reference to a (returned; NULL stays NULL). */
struct mp_automation *mp_automation_ref(struct mp_automation *a);

/* What the rules see of a cluster, and what a person decided for it. */
struct mp_automation_input {
    const char *category;
    const char *district;     /* NULL or "" outside every district */
    const char *status;
    int64_t report_count;
    int64_t first_at;         /* the service level runs from the first report */
    const char *department;   /* manual assignment, or NULL */
    int manual_priority;      /* 1..3, or 0 for none */
    int64_t manual_due_at;    /* a deadline set by hand, or 0 */
};

struct mp_automation_result {
    const char *department;    /* borrowed; "" when nothing routes it */
    const char *route_rule;    /* id of the routing rule, "manual", or "category" */
    int priority;              /* 1 (high) .. 3 (low) */
    const char *priority_rule; /* id of the raising rule, "manual", or "category" */
    int service_days;          /* working days */
    int64_t due_at;            /* UTC */
    bool overdue;              /* open and past due_at */
};

/* Apply the rules to one cluster at time now. a may be NULL (no rules). */
void mp_automation_eval(const struct mp_automation *a, const struct mp_city *city,
                        const struct mp_tz *tz, const struct mp_automation_input *in,
                        int64_t now, struct mp_automation_result *out);

/* The instant at which service_days working days have passed since from:
 * working time counts the part of each local working day that lies after
 * from (whole days of 24 h, as workdays.h defines it). */
int64_t mp_automation_due(const struct mp_city *city, const struct mp_tz *tz, int64_t from,
                          int service_days);

/* The rules as JSON, with the effective defaults of every category. */
void mp_automation_json(const struct mp_automation *a, const struct mp_city *city,
                        struct mp_buf *b);

/* The departments the pack knows (of its categories and routing rules),
 * each once, in first-seen order: up to cap borrowed names into out;
 * returns how many. a may be NULL. */
size_t mp_automation_departments(const struct mp_automation *a, const struct mp_city *city,
                                 const char **out, size_t cap);

/* A department that gets mail of new and overdue jobs (automation.json's
 * "departments"; deptmail.h): at once, or as a digest on working-day
 * mornings. */
struct mp_dept_mail {
    char code[MP_DEPARTMENT_MAX];
    char email[255];
    char lang[24]; /* "" for the mail pack's default */
    bool digest;
};

/* The departments with mail, *n of them (borrowed from a; a may be NULL). */
const struct mp_dept_mail *mp_automation_dept_mail(const struct mp_automation *a, size_t *n);
/* The mail of department code, or NULL when it gets none. */
const struct mp_dept_mail *mp_automation_dept_mail_find(const struct mp_automation *a,
                                                        const char *code);

/* Whether s is a well-formed department code: 1-47 bytes of a-z, 0-9, '-', '_'. */
bool mp_automation_department_ok(const char *s);

#endif
