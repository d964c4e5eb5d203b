/* automation.c - loading, checking and applying the city pack's rules. */
#include "meldpunt/automation.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/cluster.h"

#define ID_MAX 48
#define RULES_MAX 256
#define LIST_MAX 128
#define WHERE_MAX 64 /* a rule's name in messages */
/* A service level longer than ten years is a typo. */
#define SERVICE_DAYS_MAX 2600

struct route_rule {
    char id[ID_MAX];
    char *description;
    char **categories;
    size_t ncategories;
    char **districts; /* NULL: any district */
    size_t ndistricts;
    char department[MP_DEPARTMENT_MAX];
};

struct prio_rule {
    char id[ID_MAX];
    char *description;
    char **categories; /* NULL: every category */
    size_t ncategories;
    int64_t min_reports;
    int priority;
};

struct mp_automation {
    char *description;
    struct mp_dept_mail *depts; /* departments that get mail */
    size_t ndepts;
    struct route_rule *routes;
    size_t nroutes;
    struct prio_rule *prios;
    size_t nprios;
    int *service_days; /* per city category (same index); -1: the category's own */
    size_t ncategories;
    /* References: 1 from the load, one more per mp_automation_ref (the
     * cache of automation_cache.h shares one object between threads). */
    atomic_uint refs;
};

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; l && i < n; i++)
        free(l[i]);
    free(l);
}

struct mp_automation *mp_automation_ref(struct mp_automation *a)
{
    if (a)
        atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
    return a;
}

void mp_automation_free(struct mp_automation *a)
{
    /* acq_rel: the last holder sees every other holder's reads finished. */
    if (!a || atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) != 1)
        return;
    free(a->depts);
    for (size_t i = 0; i < a->nroutes; i++) {
        free(a->routes[i].description);
        free_list(a->routes[i].categories, a->routes[i].ncategories);
        free_list(a->routes[i].districts, a->routes[i].ndistricts);
    }
    for (size_t i = 0; i < a->nprios; i++) {
        free(a->prios[i].description);
        free_list(a->prios[i].categories, a->prios[i].ncategories);
    }
    free(a->routes);
    free(a->prios);
    free(a->service_days);
    free(a->description);
    free(a);
}

bool mp_automation_department_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= MP_DEPARTMENT_MAX)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return false;
    return true;
}

/* Every key of o must be in known: a misspelt key would otherwise silently
 * turn a rule into a different one. */
static enum mp_status known_keys(const json_t *o, const char *const *known, const char *where,
                                 struct mp_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v)
    {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok)
            return mp_fail(err, MP_EINVAL, "automation", "%s: unknown field '%.40s'", where, key);
    }
    return MP_OK;
}

static enum mp_status take_id(const json_t *o, char *dst, const char *where, struct mp_error *err)
{
    const char *s = json_string_value(json_object_get(o, "id"));
    if (!s || !mp_automation_department_ok(s) || strlen(s) >= ID_MAX)
        return mp_fail(err, MP_EINVAL, "automation",
                       "%s: 'id' must be 1-47 characters of a-z, 0-9, '-', '_'", where);
    snprintf(dst, ID_MAX, "%s", s);
    return MP_OK;
}

static enum mp_status take_description(const json_t *o, char **dst, const char *where,
                                       struct mp_error *err)
{
    const json_t *d = json_object_get(o, "description");
    if (!d)
        return MP_OK;
    if (!json_is_string(d))
        return mp_fail(err, MP_EINVAL, "automation", "%s: 'description' must be text", where);
    *dst = strdup(json_string_value(d));
    return *dst ? MP_OK : MP_ENOMEM;
}

/* A list of category codes or district codes, each checked against the city. */
static enum mp_status take_codes(const struct mp_city *city, const json_t *arr, bool districts,
                                 char ***out, size_t *n, const char *where, struct mp_error *err)
{
    const char *what = districts ? "districts" : "categories";
    size_t cnt = json_array_size(arr);
    if (!json_is_array(arr) || cnt == 0 || cnt > LIST_MAX)
        return mp_fail(err, MP_EINVAL, "automation", "%s: '%s' must be a list of 1-%d codes",
                       where, what, LIST_MAX);
    *out = calloc(cnt, sizeof **out);
    if (!*out)
        return MP_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!s)
            return mp_fail(err, MP_EINVAL, "automation", "%s: '%s' must list strings", where,
                           what);
        if (districts ? !mp_city_district(city, s) : !mp_city_category(city, s))
            return mp_fail(err, MP_EINVAL, "automation", "%s: unknown %s '%.40s'", where,
                           districts ? "district" : "category", s);
        if (!((*out)[i] = strdup(s)))
            return MP_ENOMEM;
        (*n)++;
    }
    return MP_OK;
}

/* What every rule starts with: an object with only known keys, an id and
 * an optional description. where names the rule in messages ("routing rule
 * 3" until its id is known, then "routing rule 'x'"). */
static enum mp_status take_rule_head(const json_t *o, const char *kind, size_t idx,
                                     const char *const *known, char id[ID_MAX],
                                     char **description, char where[WHERE_MAX],
                                     struct mp_error *err)
{
    enum mp_status rc;
    snprintf(where, WHERE_MAX, "%s rule %zu", kind, idx + 1);
    if (!json_is_object(o))
        return mp_fail(err, MP_EINVAL, "automation", "%s must be an object", where);
    if ((rc = known_keys(o, known, where, err)) || (rc = take_id(o, id, where, err)))
        return rc;
    snprintf(where, WHERE_MAX, "%s rule '%s'", kind, id);
    return take_description(o, description, where, err);
}

static enum mp_status parse_route(const struct mp_city *city, const json_t *o,
                                  struct route_rule *r, size_t idx, struct mp_error *err)
{
    static const char *const known[] = {"id", "description", "categories", "districts",
                                        "department", NULL};
    char where[WHERE_MAX];
    enum mp_status rc;
    if ((rc = take_rule_head(o, "routing", idx, known, r->id, &r->description, where, err)) ||
        (rc = take_codes(city, json_object_get(o, "categories"), false, &r->categories,
                         &r->ncategories, where, err)))
        return rc;
    const json_t *d = json_object_get(o, "districts");
    if (d && (rc = take_codes(city, d, true, &r->districts, &r->ndistricts, where, err)))
        return rc;
    const char *dept = json_string_value(json_object_get(o, "department"));
    if (!mp_automation_department_ok(dept))
        return mp_fail(err, MP_EINVAL, "automation",
                       "%s: 'department' must be 1-47 characters of a-z, 0-9, '-', '_'", where);
    snprintf(r->department, sizeof r->department, "%s", dept);
    return MP_OK;
}

static enum mp_status parse_prio(const struct mp_city *city, const json_t *o, struct prio_rule *r,
                                 size_t idx, struct mp_error *err)
{
    static const char *const known[] = {"id", "description", "categories", "min_reports",
                                        "priority", NULL};
    char where[WHERE_MAX];
    enum mp_status rc;
    if ((rc = take_rule_head(o, "priority", idx, known, r->id, &r->description, where, err)))
        return rc;
    const json_t *c = json_object_get(o, "categories");
    if (c && (rc = take_codes(city, c, false, &r->categories, &r->ncategories, where, err)))
        return rc;
    const json_t *m = json_object_get(o, "min_reports"), *p = json_object_get(o, "priority");
    if (!json_is_integer(m) || json_integer_value(m) < 2 || json_integer_value(m) > 1000000)
        return mp_fail(err, MP_EINVAL, "automation",
                       "%s: 'min_reports' must be a whole number of at least 2", where);
    if (!json_is_integer(p) || json_integer_value(p) < 1 || json_integer_value(p) > 3)
        return mp_fail(err, MP_EINVAL, "automation", "%s: 'priority' must be 1, 2 or 3", where);
    r->min_reports = json_integer_value(m);
    r->priority = (int)json_integer_value(p);
    return MP_OK;
}

static enum mp_status parse_overdue(const struct mp_city *city, const json_t *o,
                                    struct mp_automation *a, struct mp_error *err)
{
    static const char *const known[] = {"description", "service_days", NULL};
    enum mp_status rc;
    if (!json_is_object(o))
        return mp_fail(err, MP_EINVAL, "automation", "'overdue' must be an object");
    if ((rc = known_keys(o, known, "overdue", err)))
        return rc;
    const json_t *sd = json_object_get(o, "service_days");
    if (!sd)
        return MP_OK;
    if (!json_is_object(sd))
        return mp_fail(err, MP_EINVAL, "automation",
                       "overdue: 'service_days' must map category codes to working days");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)sd, key, v)
    {
        const struct mp_category *cat = mp_city_category(city, key);
        if (!cat)
            return mp_fail(err, MP_EINVAL, "automation", "overdue: unknown category '%.40s'",
                           key);
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > SERVICE_DAYS_MAX)
            return mp_fail(err, MP_EINVAL, "automation",
                           "overdue: service_days of '%.40s' must be 0-%d working days", key,
                           SERVICE_DAYS_MAX);
        a->service_days[cat - city->categories] = (int)json_integer_value(v);
    }
    return MP_OK;
}

/* "departments": {"<code>": {"email", "mail": "immediate"|"digest", "lang"}}:
 * the departments that get mail of new and overdue jobs (deptmail.h). */
static enum mp_status parse_departments(const json_t *o, struct mp_automation *a,
                                        struct mp_error *err)
{
    static const char *const known[] = {"email", "mail", "lang", "description", NULL};
    if (!json_is_object(o) || json_object_size(o) > RULES_MAX)
        return mp_fail(err, MP_EINVAL, "automation",
                       "'departments' must map at most %d department codes to their mail",
                       RULES_MAX);
    if (!(a->depts = calloc(json_object_size(o) + 1, sizeof *a->depts)))
        return MP_ENOMEM;
    const char *code;
    const json_t *d;
    enum mp_status rc;
    json_object_foreach((json_t *)o, code, d) {
        struct mp_dept_mail *m = &a->depts[a->ndepts];
        char where[WHERE_MAX + 16];
        snprintf(where, sizeof where, "department '%.40s'", code);
        if (!mp_automation_department_ok(code))
            return mp_fail(err, MP_EINVAL, "automation",
                           "departments: '%.40s' is not a department code (a-z, 0-9, -, _)", code);
        if (!json_is_object(d))
            return mp_fail(err, MP_EINVAL, "automation", "%s must be an object", where);
        if ((rc = known_keys(d, known, where, err)))
            return rc;
        const char *email = json_string_value(json_object_get(d, "email"));
        const char *mail = json_string_value(json_object_get(d, "mail"));
        const char *lang = json_string_value(json_object_get(d, "lang"));
        if (!email || !strchr(email, '@') || strlen(email) >= sizeof m->email ||
            strpbrk(email, " \t\r\n<>\",;"))
            return mp_fail(err, MP_EINVAL, "automation", "%s: 'email' must be an e-mail address",
                           where);
        if (mail && strcmp(mail, "immediate") != 0 && strcmp(mail, "digest") != 0)
            return mp_fail(err, MP_EINVAL, "automation",
                           "%s: 'mail' must be \"immediate\" or \"digest\"", where);
        if (lang && (strlen(lang) < 2 || strlen(lang) >= sizeof m->lang))
            return mp_fail(err, MP_EINVAL, "automation", "%s: 'lang' must be a language code",
                           where);
        snprintf(m->code, sizeof m->code, "%s", code);
        snprintf(m->email, sizeof m->email, "%s", email);
        snprintf(m->lang, sizeof m->lang, "%s", lang ? lang : "");
        m->digest = mail && strcmp(mail, "digest") == 0;
        a->ndepts++;
    }
    return MP_OK;
}

static enum mp_status parse_root(const struct mp_city *city, const json_t *root,
                                 struct mp_automation *a, struct mp_error *err)
{
    static const char *const known[] = {"version", "description", "routing", "priority",
                                        "overdue", "departments", NULL};
    enum mp_status rc;
    if (!json_is_object(root))
        return mp_fail(err, MP_EINVAL, "automation", "the file must hold a JSON object");
    if ((rc = known_keys(root, known, "automation.json", err)))
        return rc;
    const json_t *ver = json_object_get(root, "version");
    if (!json_is_integer(ver) || json_integer_value(ver) != 1)
        return mp_fail(err, MP_EINVAL, "automation", "'version' must be 1");
    if ((rc = take_description(root, &a->description, "automation.json", err)))
        return rc;
    const json_t *routing = json_object_get(root, "routing"),
                 *prio = json_object_get(root, "priority"),
                 *overdue = json_object_get(root, "overdue");
    if ((routing && (!json_is_array(routing) || json_array_size(routing) > RULES_MAX)) ||
        (prio && (!json_is_array(prio) || json_array_size(prio) > RULES_MAX)))
        return mp_fail(err, MP_EINVAL, "automation",
                       "'routing' and 'priority' must be lists of at most %d rules", RULES_MAX);
    size_t nr = json_array_size(routing), np = json_array_size(prio);
    a->routes = calloc(nr + 1, sizeof *a->routes);
    a->prios = calloc(np + 1, sizeof *a->prios);
    if (!a->routes || !a->prios)
        return MP_ENOMEM;
    for (size_t i = 0; i < nr; i++) {
        a->nroutes = i + 1;
        if ((rc = parse_route(city, json_array_get(routing, i), &a->routes[i], i, err)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->routes[j].id, a->routes[i].id) == 0)
                return mp_fail(err, MP_EINVAL, "automation", "routing rule id '%s' is used twice",
                               a->routes[i].id);
    }
    for (size_t i = 0; i < np; i++) {
        a->nprios = i + 1;
        if ((rc = parse_prio(city, json_array_get(prio, i), &a->prios[i], i, err)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->prios[j].id, a->prios[i].id) == 0)
                return mp_fail(err, MP_EINVAL, "automation",
                               "priority rule id '%s' is used twice", a->prios[i].id);
    }
    if (overdue && (rc = parse_overdue(city, overdue, a, err)))
        return rc;
    const json_t *depts = json_object_get(root, "departments");
    if (depts && (rc = parse_departments(depts, a, err)))
        return rc;
    return MP_OK;
}

static struct mp_automation *empty_rules(const struct mp_city *city)
{
    struct mp_automation *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    atomic_init(&a->refs, 1);
    a->ncategories = city->ncategories;
    a->service_days = malloc((city->ncategories + 1) * sizeof *a->service_days);
    if (!a->service_days) {
        free(a);
        return NULL;
    }
    for (size_t i = 0; i < city->ncategories; i++)
        a->service_days[i] = -1;
    return a;
}

enum mp_status mp_automation_parse(const struct mp_city *city, const char *json, size_t len,
                                   struct mp_automation **out, struct mp_error *err)
{
    json_error_t je;
    *out = NULL;
    struct mp_automation *a = empty_rules(city);
    if (!a)
        return MP_ENOMEM;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    enum mp_status rc = root ? parse_root(city, root, a, err)
                             : mp_fail(err, MP_EINVAL, "automation",
                                       "automation.json line %d: %.100s", je.line, je.text);
    json_decref(root);
    if (rc) {
        mp_automation_free(a);
        return rc;
    }
    *out = a;
    return MP_OK;
}

enum mp_status mp_automation_load(const struct mp_city *city, struct mp_automation **out,
                                  struct mp_error *err)
{
    char path[1100];
    *out = NULL;
    if (!mp_city_file(city, MP_AUTOMATION_FILE, path, sizeof path))
        return mp_fail(err, MP_EINVAL, "automation", "city pack path too long");
    FILE *f = fopen(path, "rb");
    if (!f) {
        *out = empty_rules(city);
        return *out ? MP_OK : MP_ENOMEM;
    }
    /* A rules file is a few kilobytes; 1 MiB is a generous bound. */
    char *text = malloc(1 << 20);
    size_t len = text ? fread(text, 1, 1 << 20, f) : 0;
    bool too_big = text && len == (1 << 20);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (!text)
        return MP_ENOMEM;
    enum mp_status rc;
    if (too_big || failed)
        rc = mp_fail(err, MP_EINVAL, "automation", "cannot read %.200s", path);
    else
        rc = mp_automation_parse(city, text, len, out, err);
    free(text);
    return rc;
}

/* ---- applying ---- */

static bool in_list(char **l, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (s && strcmp(l[i], s) == 0)
            return true;
    return false;
}

int64_t mp_automation_due(const struct mp_city *city, const struct mp_tz *tz, int64_t from,
                          int service_days)
{
    int64_t local = from + mp_tz_offset(tz, from);
    int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    int64_t left = (int64_t)service_days * 86400, due_local = local;
    /* The rest of the first day counts only if it is a working day. */
    if (mp_city_is_workday(city, day)) {
        int64_t avail = (day + 1) * 86400 - local;
        if (left <= avail)
            return mp_tz_local_to_utc(tz, local + left);
        left -= avail;
    }
    /* Bounded walk: SERVICE_DAYS_MAX working days fit in well under 20 years. */
    for (int64_t d = day + 1; d < day + 7300; d++) {
        if (!mp_city_is_workday(city, d))
            continue;
        if (left <= 86400) {
            due_local = d * 86400 + left;
            break;
        }
        left -= 86400;
    }
    return mp_tz_local_to_utc(tz, due_local);
}

void mp_automation_eval(const struct mp_automation *a, const struct mp_city *city,
                        const struct mp_tz *tz, const struct mp_automation_input *in,
                        int64_t now, struct mp_automation_result *out)
{
    const struct mp_category *cat = mp_city_category(city, in->category);
    memset(out, 0, sizeof *out);
    out->department = cat ? cat->department : "";
    out->route_rule = "category";
    out->priority = cat && cat->priority >= 1 && cat->priority <= 3 ? cat->priority : 2;
    out->priority_rule = "category";
    out->service_days = cat ? cat->service_days : 0;
    const char *district = in->district && in->district[0] ? in->district : NULL;
    if (in->department && in->department[0]) {
        out->department = in->department;
        out->route_rule = "manual";
    } else {
        for (size_t i = 0; a && i < a->nroutes; i++) {
            const struct route_rule *r = &a->routes[i];
            if (!in_list(r->categories, r->ncategories, in->category))
                continue;
            if (r->districts && !in_list(r->districts, r->ndistricts, district))
                continue;
            out->department = r->department;
            out->route_rule = r->id;
            break;
        }
    }
    if (in->manual_priority >= 1 && in->manual_priority <= 3) {
        out->priority = in->manual_priority;
        out->priority_rule = "manual";
    }
    /* Raising only: the highest priority (lowest number) of every rule that
     * fires; the first such rule names the reason. */
    for (size_t i = 0; a && i < a->nprios; i++) {
        const struct prio_rule *r = &a->prios[i];
        if (r->categories && !in_list(r->categories, r->ncategories, in->category))
            continue;
        if (in->report_count >= r->min_reports && r->priority < out->priority) {
            out->priority = r->priority;
            out->priority_rule = r->id;
        }
    }
    if (a && cat && (size_t)(cat - city->categories) < a->ncategories &&
        a->service_days[cat - city->categories] >= 0)
        out->service_days = a->service_days[cat - city->categories];
    out->due_at = in->manual_due_at > 0 ? in->manual_due_at
                                        : mp_automation_due(city, tz, in->first_at,
                                                            out->service_days);
    out->overdue = in->status && mp_cluster_status_open(in->status) && now > out->due_at;
}

/* ---- showing ---- */

static size_t add_unique(const char **out, size_t n, size_t cap, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i], s) == 0)
            return n;
    if (n < cap && s[0])
        out[n++] = s;
    return n;
}

size_t mp_automation_departments(const struct mp_automation *a, const struct mp_city *city,
                                 const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < city->ncategories; i++)
        n = add_unique(out, n, cap, city->categories[i].department);
    for (size_t i = 0; a && i < a->nroutes; i++)
        n = add_unique(out, n, cap, a->routes[i].department);
    return n;
}

/* A list of codes, or null for none (NULL: a rule that applies to all). */
static void json_list(struct mp_buf *b, char **l, size_t n)
{
    if (!l) {
        mp_buf_adds(b, "null");
        return;
    }
    mp_buf_addc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            mp_buf_addc(b, ',');
        mp_json_str(b, l[i]);
    }
    mp_buf_addc(b, ']');
}

/* The members every rule shows first, without the closing brace. */
static void json_rule_head(struct mp_buf *b, const char *id, const char *description,
                           char **categories, size_t ncategories)
{
    mp_buf_adds(b, "{\"id\":");
    mp_json_str(b, id);
    mp_buf_adds(b, ",\"description\":");
    mp_json_str(b, description);
    mp_buf_adds(b, ",\"categories\":");
    json_list(b, categories, ncategories);
}

void mp_automation_json(const struct mp_automation *a, const struct mp_city *city,
                        struct mp_buf *b)
{
    mp_buf_adds(b, "{\"source\":");
    mp_json_str(b, MP_AUTOMATION_FILE);
    mp_buf_adds(b, ",\"description\":");
    mp_json_str(b, a ? a->description : NULL);
    mp_buf_adds(b, ",\"routing\":[");
    for (size_t i = 0; a && i < a->nroutes; i++) {
        const struct route_rule *r = &a->routes[i];
        if (i)
            mp_buf_addc(b, ',');
        json_rule_head(b, r->id, r->description, r->categories, r->ncategories);
        mp_buf_adds(b, ",\"districts\":");
        json_list(b, r->districts, r->ndistricts);
        mp_buf_adds(b, ",\"department\":");
        mp_json_str(b, r->department);
        mp_buf_addc(b, '}');
    }
    mp_buf_adds(b, "],\"priority\":[");
    for (size_t i = 0; a && i < a->nprios; i++) {
        const struct prio_rule *r = &a->prios[i];
        if (i)
            mp_buf_addc(b, ',');
        json_rule_head(b, r->id, r->description, r->categories, r->ncategories);
        mp_buf_adds(b, ",\"min_reports\":");
        mp_json_int(b, r->min_reports);
        mp_buf_adds(b, ",\"priority\":");
        mp_json_int(b, r->priority);
        mp_buf_addc(b, '}');
    }
    /* The effective defaults per category: what happens when no rule fires. */
    mp_buf_adds(b, "],\"categories\":[");
    for (size_t i = 0; i < city->ncategories; i++) {
        const struct mp_category *c = &city->categories[i];
        int sd = a && i < a->ncategories && a->service_days[i] >= 0 ? a->service_days[i]
                                                                    : c->service_days;
        if (i)
            mp_buf_addc(b, ',');
        mp_buf_adds(b, "{\"code\":");
        mp_json_str(b, c->code);
        mp_buf_adds(b, ",\"department\":");
        mp_json_str(b, c->department);
        mp_buf_adds(b, ",\"priority\":");
        mp_json_int(b, c->priority);
        mp_buf_adds(b, ",\"service_days\":");
        mp_json_int(b, sd);
        mp_buf_adds(b, ",\"service_days_source\":");
        mp_json_str(b, a && i < a->ncategories && a->service_days[i] >= 0 ? "automation"
                                                                           : "category");
        mp_buf_addc(b, '}');
    }
    mp_buf_adds(b, "],\"calendar\":{\"timezone\":");
    mp_json_str(b, city->timezone);
    mp_buf_adds(b, ",\"workdays\":[");
    bool first = true;
    for (int d = 1; d <= 7; d++)
        if (city->workdays & (1u << d)) {
            if (!first)
                mp_buf_addc(b, ',');
            mp_json_int(b, d);
            first = false;
        }
    mp_buf_adds(b, "],\"holidays\":");
    mp_json_int(b, (int64_t)city->nholidays);
    mp_buf_adds(b, "}}");
}

const struct mp_dept_mail *mp_automation_dept_mail(const struct mp_automation *a, size_t *n)
{
    *n = a ? a->ndepts : 0;
    return a ? a->depts : NULL;
}

const struct mp_dept_mail *mp_automation_dept_mail_find(const struct mp_automation *a,
                                                        const char *code)
{
    for (size_t i = 0; a && code && i < a->ndepts; i++)
        if (strcmp(a->depts[i].code, code) == 0)
            return &a->depts[i];
    return NULL;
}
