/* export.c - export writers (GeoJSON, GeoJSON text sequences, CSV) and the
 * pull-based producer behind GET /api/v1/export and `meldpunt export`. */
#include "meldpunt/export.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/cluster.h"
#include "meldpunt/csv.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"

/* A producer refills its buffer until it holds what the reader asked for;
 * one row is a few KiB at most, so this bounds the memory of a download. */
#define EXPORT_BUF_MAX ((size_t)16 << 20)

enum mp_status mp_export_format_parse(const char *s, enum mp_export_format *out,
                                      struct mp_error *err)
{
    if (s && strcmp(s, "geojson") == 0)
        *out = MP_EXPORT_GEOJSON;
    else if (s && strcmp(s, "geojsonseq") == 0)
        *out = MP_EXPORT_GEOJSONSEQ;
    else if (s && strcmp(s, "csv") == 0)
        *out = MP_EXPORT_CSV;
    else
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "format must be geojson, geojsonseq or csv");
    return MP_OK;
}

enum mp_status mp_export_what_parse(const char *s, enum mp_export_what *out, struct mp_error *err)
{
    if (s && strcmp(s, "reports") == 0)
        *out = MP_EXPORT_REPORTS;
    else if (s && strcmp(s, "clusters") == 0)
        *out = MP_EXPORT_CLUSTERS;
    else
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "what must be reports or clusters");
    return MP_OK;
}

const char *mp_export_content_type(enum mp_export_format f)
{
    switch (f) {
    case MP_EXPORT_GEOJSONSEQ: return "application/geo+json-seq";
    case MP_EXPORT_CSV: return "text/csv; charset=utf-8; header=present";
    case MP_EXPORT_GEOJSON: break;
    }
    return "application/geo+json";
}

const char *mp_export_extension(enum mp_export_format f)
{
    switch (f) {
    case MP_EXPORT_GEOJSONSEQ: return "geojsons";
    case MP_EXPORT_CSV: return "csv";
    case MP_EXPORT_GEOJSON: break;
    }
    return "geojson";
}

enum mp_status mp_export_add_status(struct mp_query *q, const char *item, struct mp_error *err)
{
    static const struct {
        const char *alias;
        const char *members[6];
    } families[] = {
        {"open", {"new", "acknowledged", "scheduled", "reopened", "in_progress", NULL}},
        {"unresolved", {"new", "acknowledged", "scheduled", "reopened", "in_progress", NULL}},
        {"resolved", {"fixed", "closed", "not_responsible", NULL}},
    };
    for (size_t f = 0; f < sizeof families / sizeof *families; f++) {
        if (strcmp(item, families[f].alias) != 0)
            continue;
        for (const char *const *m = families[f].members; *m; m++)
            if (q->nstatuses < MP_QUERY_MAX_LIST)
                q->statuses[q->nstatuses++] = *m;
        return MP_OK;
    }
    if (!mp_cluster_status_valid(item))
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "unknown status '%.24s' (use new, acknowledged, scheduled, in_progress, "
                       "fixed, closed, not_responsible, reopened, open or resolved)",
                       item);
    if (q->nstatuses >= MP_QUERY_MAX_LIST)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "status lists too many items");
    q->statuses[q->nstatuses++] = item;
    return MP_OK;
}

/* ---- field values shared by the formats ---- */

/* Contact details typed into public text are masked. Returns s itself when
 * nothing in it could be an address or a phone number - no '@' and fewer
 * than six digits in all, while text.h's phone numbers have at least six -
 * so that a million street addresses do not cost a million allocations;
 * else a new string in *owned. NULL only when s is NULL or on allocation
 * failure (*owned stays NULL and failed is set). */
static const char *masked(const char *s, char **owned, bool *failed)
{
    *owned = NULL;
    if (!s)
        return NULL;
    unsigned digits = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '@')
            digits = 99;
        else if (*p >= '0' && *p <= '9')
            digits++;
        if (digits >= 6)
            break;
    }
    if (digits < 6)
        return s;
    *owned = mp_text_mask_contacts(s);
    if (!*owned)
        *failed = true;
    return *owned;
}

static const char *category_name(const struct mp_city *city, const char *code)
{
    const struct mp_category *c = mp_city_category(city, code);
    return c ? c->name_en : NULL;
}

static const char *district_name(const struct mp_city *city, const char *code)
{
    const struct mp_district *d = mp_city_district(city, code);
    return d ? d->name : NULL;
}

/* ---- numbers and times without printf: a million rows format several
 * million of them, and snprintf was most of the writer's time. ---- */

static size_t fmt_int(int64_t v, char out[24])
{
    char tmp[24];
    size_t n = 0, o = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[o++] = '-';
    while (n)
        out[o++] = tmp[--n];
    out[o] = '\0';
    return o;
}

static void two(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DDTHH:MM:SSZ", as mp_time_format writes it. */
static size_t fmt_time(int64_t t, char out[32])
{
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days -= 1;
    }
    int y;
    unsigned m, d;
    mp_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        mp_time_format(t, out, 32);
        return strlen(out);
    }
    two(out, (unsigned)y / 100);
    two(out + 2, (unsigned)y % 100);
    out[4] = '-';
    two(out + 5, m);
    out[7] = '-';
    two(out + 8, d);
    out[10] = 'T';
    two(out + 11, (unsigned)(secs / 3600));
    out[13] = ':';
    two(out + 14, (unsigned)(secs / 60 % 60));
    out[16] = ':';
    two(out + 17, (unsigned)(secs % 60));
    out[19] = 'Z';
    out[20] = '\0';
    return 20;
}

static void put_int(struct mp_buf *b, int64_t v)
{
    char tmp[24];
    mp_buf_add(b, tmp, fmt_int(v, tmp));
}

static void put_time(struct mp_buf *b, int64_t t)
{
    char tmp[34];
    tmp[0] = '"';
    size_t n = fmt_time(t, tmp + 1);
    tmp[n + 1] = '"';
    mp_buf_add(b, tmp, n + 2);
}

/* ---- GeoJSON ---- */

static void json_time_or_null(struct mp_buf *b, int64_t t)
{
    if (t > 0)
        put_time(b, t);
    else
        mp_buf_add(b, "null", 4);
}

static void report_props(struct mp_buf *b, const struct mp_export_opts *o,
                         const struct mp_export_report *r)
{
    char *m1 = NULL, *m2 = NULL;
    mp_buf_adds(b, "{\"id\":");
    put_int(b, r->id);
    mp_buf_adds(b, ",\"category\":");
    mp_json_str(b, r->category);
    mp_buf_adds(b, ",\"category_name\":");
    mp_json_str(b, category_name(o->city, r->category));
    mp_buf_adds(b, ",\"status\":");
    mp_json_str(b, r->status);
    mp_buf_adds(b, ",\"created_at\":");
    put_time(b, r->created_at);
    mp_buf_adds(b, ",\"updated_at\":");
    put_time(b, r->updated_at);
    mp_buf_adds(b, ",\"fixed_at\":");
    json_time_or_null(b, r->fixed_at);
    mp_buf_adds(b, ",\"district\":");
    mp_json_str(b, district_name(o->city, r->district));
    mp_buf_adds(b, ",\"location\":");
    mp_json_str(b, r->location);
    mp_buf_adds(b, ",\"address\":");
    mp_json_str(b, masked(r->address, &m1, &b->failed));
    mp_buf_adds(b, ",\"description\":");
    mp_json_str(b, masked(r->description, &m2, &b->failed));
    free(m1);
    free(m2);
    if (o->internal) {
        mp_buf_adds(b, ",\"district_code\":");
        mp_json_str(b, r->district);
        mp_buf_adds(b, ",\"cluster_id\":");
        put_int(b, r->cluster_id);
        mp_buf_adds(b, ",\"channel\":");
        mp_json_str(b, r->channel);
        mp_buf_adds(b, ",\"external_id\":");
        mp_json_str(b, r->external_id);
        mp_buf_adds(b, ",\"join_reason\":");
        /* Stored by the server itself as a JSON object; anything else is
         * not trusted into the document. */
        mp_buf_adds(b, r->join_reason && r->join_reason[0] == '{' ? r->join_reason : "null");
    }
    mp_buf_addc(b, '}');
}

static void cluster_props(struct mp_buf *b, const struct mp_export_opts *o,
                          const struct mp_export_cluster *c)
{
    mp_buf_adds(b, "{\"id\":");
    put_int(b, c->id);
    mp_buf_adds(b, ",\"category\":");
    mp_json_str(b, c->category);
    mp_buf_adds(b, ",\"category_name\":");
    mp_json_str(b, category_name(o->city, c->category));
    mp_buf_adds(b, ",\"status\":");
    mp_json_str(b, c->status);
    mp_buf_adds(b, ",\"report_count\":");
    put_int(b, c->report_count);
    mp_buf_adds(b, ",\"first_at\":");
    put_time(b, c->first_at);
    mp_buf_adds(b, ",\"last_at\":");
    put_time(b, c->last_at);
    mp_buf_adds(b, ",\"fixed_at\":");
    json_time_or_null(b, c->fixed_at);
    mp_buf_adds(b, ",\"updated_at\":");
    put_time(b, c->updated_at);
    mp_buf_adds(b, ",\"district\":");
    mp_json_str(b, district_name(o->city, c->district));
    mp_buf_adds(b, ",\"location\":");
    mp_json_str(b, c->location);
    if (o->internal) {
        mp_buf_adds(b, ",\"district_code\":");
        mp_json_str(b, c->district);
    }
    mp_buf_addc(b, '}');
}

void mp_export_feature(struct mp_buf *b, const struct mp_export_opts *o,
                       const struct mp_export_row *row)
{
    bool rep = row->what == MP_EXPORT_REPORTS;
    mp_buf_adds(b, "{\"type\":\"Feature\",\"id\":");
    put_int(b, rep ? row->report.id : row->cluster.id);
    mp_buf_adds(b, ",\"geometry\":{\"type\":\"Point\",\"coordinates\":");
    if (rep)
        mp_json_coord(b, row->report.lon, row->report.lat);
    else
        mp_json_coord(b, row->cluster.lon, row->cluster.lat);
    mp_buf_adds(b, "},\"properties\":");
    if (rep)
        report_props(b, o, &row->report);
    else
        cluster_props(b, o, &row->cluster);
    mp_buf_addc(b, '}');
}

/* ---- CSV ---- */

static int buf_sink(void *ctx, const char *data, size_t len)
{
    struct mp_buf *b = ctx;
    mp_buf_add(b, data, len);
    return b->failed ? -1 : 0;
}

struct csv_row {
    struct mp_buf *b;
    bool first;
};

static void cell(struct csv_row *cr, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (mp_csv_write_field(buf_sink, cr->b, s, len, cr->first) != MP_OK)
        cr->b->failed = true;
    cr->first = false;
}

static void cell_int(struct csv_row *cr, int64_t v)
{
    char tmp[24];
    fmt_int(v, tmp);
    cell(cr, tmp);
}

static void cell_time(struct csv_row *cr, int64_t t)
{
    char tmp[32];
    if (t <= 0) {
        cell(cr, NULL);
        return;
    }
    fmt_time(t, tmp);
    cell(cr, tmp);
}

/* Coordinates as in the GeoJSON exports: 7 decimals, trailing zeros
 * trimmed, a plain decimal number that spreadsheets read as a number. */
static void cell_coord(struct csv_row *cr, double v)
{
    char tmp[400]; /* room for any double in %.7f */
    if (v != v || v > 1e9 || v < -1e9) {
        cell(cr, NULL);
        return;
    }
    int n = snprintf(tmp, sizeof tmp, "%.7f", v);
    if (n <= 0 || (size_t)n >= sizeof tmp) {
        cell(cr, NULL);
        return;
    }
    size_t len = (size_t)n;
    while (len > 0 && tmp[len - 1] == '0')
        len--;
    if (len > 0 && tmp[len - 1] == '.')
        len--;
    tmp[len] = '\0';
    cell(cr, strcmp(tmp, "-0") == 0 ? "0" : tmp);
}

static void csv_end(struct csv_row *cr)
{
    if (mp_csv_end_row(buf_sink, cr->b) != MP_OK)
        cr->b->failed = true;
}

static const char *const report_cols[] = {"id",          "category",   "category_name", "status",
                                          "created_at",  "updated_at", "fixed_at",      "district",
                                          "location",    "address",    "description",   "lon",
                                          "lat",         NULL};
static const char *const report_cols_internal[] = {"district_code", "cluster_id", "channel",
                                                   "external_id", "join_reason", NULL};
static const char *const cluster_cols[] = {"id", "category", "category_name", "status",
                                           "report_count", "first_at", "last_at", "fixed_at",
                                           "updated_at", "district", "location", "lon", "lat",
                                           NULL};
static const char *const cluster_cols_internal[] = {"district_code", NULL};

static void csv_header(struct mp_buf *b, const struct mp_export_opts *o)
{
    struct csv_row cr = {b, true};
    bool rep = o->what == MP_EXPORT_REPORTS;
    for (const char *const *c = rep ? report_cols : cluster_cols; *c; c++)
        cell(&cr, *c);
    if (o->internal)
        for (const char *const *c = rep ? report_cols_internal : cluster_cols_internal; *c; c++)
            cell(&cr, *c);
    csv_end(&cr);
}

static void csv_report(struct mp_buf *b, const struct mp_export_opts *o,
                       const struct mp_export_report *r)
{
    struct csv_row cr = {b, true};
    char *m1 = NULL, *m2 = NULL;
    cell_int(&cr, r->id);
    cell(&cr, r->category);
    cell(&cr, category_name(o->city, r->category));
    cell(&cr, r->status);
    cell_time(&cr, r->created_at);
    cell_time(&cr, r->updated_at);
    cell_time(&cr, r->fixed_at);
    cell(&cr, district_name(o->city, r->district));
    cell(&cr, r->location);
    cell(&cr, masked(r->address, &m1, &b->failed));
    cell(&cr, masked(r->description, &m2, &b->failed));
    free(m1);
    free(m2);
    cell_coord(&cr, r->lon);
    cell_coord(&cr, r->lat);
    if (o->internal) {
        cell(&cr, r->district);
        cell_int(&cr, r->cluster_id);
        cell(&cr, r->channel);
        cell(&cr, r->external_id);
        cell(&cr, r->join_reason);
    }
    csv_end(&cr);
}

static void csv_cluster(struct mp_buf *b, const struct mp_export_opts *o,
                        const struct mp_export_cluster *c)
{
    struct csv_row cr = {b, true};
    cell_int(&cr, c->id);
    cell(&cr, c->category);
    cell(&cr, category_name(o->city, c->category));
    cell(&cr, c->status);
    cell_int(&cr, c->report_count);
    cell_time(&cr, c->first_at);
    cell_time(&cr, c->last_at);
    cell_time(&cr, c->fixed_at);
    cell_time(&cr, c->updated_at);
    cell(&cr, district_name(o->city, c->district));
    cell(&cr, c->location);
    cell_coord(&cr, c->lon);
    cell_coord(&cr, c->lat);
    if (o->internal)
        cell(&cr, c->district);
    csv_end(&cr);
}

/* ---- documents ---- */

void mp_export_begin(struct mp_buf *b, const struct mp_export_opts *o)
{
    switch (o->format) {
    case MP_EXPORT_GEOJSON:
        mp_buf_adds(b, "{\"type\":\"FeatureCollection\",\"features\":[");
        break;
    case MP_EXPORT_CSV:
        /* The byte order mark is what makes spreadsheet programs read the
         * file as UTF-8 rather than a local code page. */
        mp_buf_add(b, "\xEF\xBB\xBF", 3);
        csv_header(b, o);
        break;
    case MP_EXPORT_GEOJSONSEQ:
        break;
    }
}

void mp_export_row(struct mp_buf *b, const struct mp_export_opts *o,
                   const struct mp_export_row *row, bool first)
{
    switch (o->format) {
    case MP_EXPORT_GEOJSON:
        /* One feature per line: diffable, greppable, still one JSON text. */
        mp_buf_adds(b, first ? "\n" : ",\n");
        mp_export_feature(b, o, row);
        break;
    case MP_EXPORT_GEOJSONSEQ:
        mp_buf_addc(b, '\x1e');
        mp_export_feature(b, o, row);
        mp_buf_addc(b, '\n');
        break;
    case MP_EXPORT_CSV:
        if (row->what == MP_EXPORT_REPORTS)
            csv_report(b, o, &row->report);
        else
            csv_cluster(b, o, &row->cluster);
        break;
    }
}

void mp_export_end(struct mp_buf *b, const struct mp_export_opts *o)
{
    if (o->format == MP_EXPORT_GEOJSON)
        mp_buf_adds(b, "\n]}\n");
}

/* ---- producer ---- */

enum stage { STAGE_BEGIN, STAGE_ROWS, STAGE_DONE, STAGE_FAILED };

struct mp_export {
    struct mp_export_cursor *cur; /* owned */
    struct mp_export_opts o;
    struct mp_buf buf; /* pending output: buf.data[off .. len) */
    size_t off;
    size_t rows;
    enum stage stage;
};

enum mp_status mp_export_new(struct mp_export_cursor *cur, const struct mp_export_opts *o,
                             struct mp_export **out)
{
    struct mp_export *x = calloc(1, sizeof *x);
    *out = NULL;
    if (!x) {
        mp_store_export_close(cur);
        return MP_ENOMEM;
    }
    x->cur = cur;
    x->o = *o;
    mp_buf_init(&x->buf, EXPORT_BUF_MAX);
    *out = x;
    return MP_OK;
}

/* Produce until at least want bytes are pending or the document ends. */
static void fill(struct mp_export *x, size_t want)
{
    if (x->off > 0) {
        /* Move the unread tail to the front so the buffer never grows past
         * one read plus one row. */
        size_t rest = x->buf.len - x->off;
        memmove(x->buf.data, x->buf.data + x->off, rest);
        x->buf.len = rest;
        x->off = 0;
    }
    while (x->buf.len < want && (x->stage == STAGE_BEGIN || x->stage == STAGE_ROWS)) {
        if (x->stage == STAGE_BEGIN) {
            mp_export_begin(&x->buf, &x->o);
            x->stage = STAGE_ROWS;
            /* The document's start leaves at once, before a filter that
             * matches few rows has scanned far for the first of them. */
            if (x->buf.len)
                break;
            continue;
        }
        const struct mp_export_row *row;
        enum mp_status rc = mp_store_export_next(x->cur, &row);
        if (rc == MP_OK) {
            mp_export_row(&x->buf, &x->o, row, x->rows == 0);
            x->rows++;
        } else if (rc == MP_ENOTFOUND) {
            mp_export_end(&x->buf, &x->o);
            x->stage = STAGE_DONE;
            /* Release the snapshot and the connection at once rather than
             * when the client has read the last bytes. */
            mp_store_export_close(x->cur);
            x->cur = NULL;
        } else {
            x->stage = STAGE_FAILED;
        }
        if (x->buf.failed)
            x->stage = STAGE_FAILED;
    }
}

long mp_export_read(struct mp_export *x, char *out, size_t max)
{
    if (max == 0)
        return 0;
    if (x->buf.len - x->off < max)
        fill(x, max);
    if (x->stage == STAGE_FAILED)
        return -1;
    size_t n = x->buf.len - x->off;
    if (n > max)
        n = max;
    if (n > (size_t)0x7fffffff)
        n = 0x7fffffff;
    if (n)
        memcpy(out, x->buf.data + x->off, n);
    x->off += n;
    return (long)n;
}

size_t mp_export_rows(const struct mp_export *x) { return x->rows; }

void mp_export_free(struct mp_export *x)
{
    if (!x)
        return;
    mp_store_export_close(x->cur);
    mp_buf_free(&x->buf);
    free(x);
}
