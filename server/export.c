/* export.c - export writers (GeoJSON, GeoJSON text sequences, CSV) and the
 * pull-based producer behind GET /api/v1/export and `meldpunt export`. */
#include "meldpunt/export.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/cluster.h"
#include "meldpunt/csv.h"
#include "meldpunt/ctx.h"
#include "meldpunt/geo.h"
#include "meldpunt/scope.h"
#include "meldpunt/store_export.h"
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

/* ---- the fields: one table per row type, walked by every format ---- */

enum kind {
    K_INT,      /* int64_t */
    K_TIME,     /* int64_t seconds, always set */
    K_TIME_OPT, /* int64_t seconds, 0 for none */
    K_TEXT,     /* const char * */
    K_MASKED,   /* const char *, contact details masked (see masked) */
    K_CATEGORY, /* const char * category code, written as its English name */
    K_DISTRICT, /* const char * district code, written as the district's name */
    K_OBJECT,   /* const char * JSON object the server stored (CSV: its text) */
};

struct field {
    const char *name;
    const char *key; /* the GeoJSON member's start: ,"name": */
    size_t key_len;
    enum kind kind;
    size_t off; /* of the value in struct mp_export_report or mp_export_cluster */
};

#define FIELD(type, name, member, kind)                                                            \
    {name, ",\"" name "\":", sizeof(",\"" name "\":") - 1, kind, offsetof(type, member)}
#define REPORT(name, member, kind) FIELD(struct mp_export_report, name, member, kind)
#define CLUSTER(name, member, kind) FIELD(struct mp_export_cluster, name, member, kind)

/* In export.h's order. Every format writes the public fields, then (CSV:
 * after lon and lat) the municipality in a region of several members, then
 * the staff fields of an internal export. */
static const struct field report_fields[] = {
    REPORT("id", id, K_INT),
    REPORT("category", category, K_TEXT),
    REPORT("category_name", category, K_CATEGORY),
    REPORT("status", status, K_TEXT),
    REPORT("created_at", created_at, K_TIME),
    REPORT("updated_at", updated_at, K_TIME),
    REPORT("fixed_at", fixed_at, K_TIME_OPT),
    REPORT("district", district, K_DISTRICT),
    REPORT("location", location, K_TEXT),
    REPORT("address", address, K_MASKED),
    REPORT("description", description, K_MASKED),
};
static const struct field report_fields_internal[] = {
    REPORT("district_code", district, K_TEXT),
    REPORT("cluster_id", cluster_id, K_INT),
    REPORT("channel", channel, K_TEXT),
    REPORT("external_id", external_id, K_TEXT),
    REPORT("join_reason", join_reason, K_OBJECT),
};
static const struct field cluster_fields[] = {
    CLUSTER("id", id, K_INT),
    CLUSTER("category", category, K_TEXT),
    CLUSTER("category_name", category, K_CATEGORY),
    CLUSTER("status", status, K_TEXT),
    CLUSTER("report_count", report_count, K_INT),
    CLUSTER("first_at", first_at, K_TIME),
    CLUSTER("last_at", last_at, K_TIME),
    CLUSTER("fixed_at", fixed_at, K_TIME_OPT),
    CLUSTER("updated_at", updated_at, K_TIME),
    CLUSTER("district", district, K_DISTRICT),
    CLUSTER("location", location, K_TEXT),
};
static const struct field cluster_fields_internal[] = {
    CLUSTER("district_code", district, K_TEXT),
};
/* With mp_export_opts.with_municipality. */
static const struct field report_field_municipality[] = {
    REPORT("municipality", municipality, K_TEXT),
};
static const struct field cluster_field_municipality[] = {
    CLUSTER("municipality", municipality, K_TEXT),
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

struct row_type {
    const struct field *pub, *internal, *municipality;
    size_t npub, ninternal;
    size_t id, lon, lat; /* offsets of the Feature id and the geometry's coordinates */
};

#define ROW_TYPE(type, pub, internal, muni)                                                        \
    {pub, internal, muni, COUNT(pub), COUNT(internal), offsetof(type, id), offsetof(type, lon),  \
     offsetof(type, lat)}

static const struct row_type row_types[] = {
    [MP_EXPORT_REPORTS] = ROW_TYPE(struct mp_export_report, report_fields, report_fields_internal,
                                   report_field_municipality),
    [MP_EXPORT_CLUSTERS] = ROW_TYPE(struct mp_export_cluster, cluster_fields,
                                    cluster_fields_internal, cluster_field_municipality),
};

static const struct row_type *row_type(enum mp_export_what what)
{
    return &row_types[what == MP_EXPORT_CLUSTERS ? MP_EXPORT_CLUSTERS : MP_EXPORT_REPORTS];
}

/* The row's own struct, which the offsets of its fields refer to. */
static const char *row_data(const struct mp_export_row *row)
{
    return row->what == MP_EXPORT_CLUSTERS ? (const char *)&row->cluster
                                           : (const char *)&row->report;
}

static int64_t int_at(const char *row, size_t off) { return *(const int64_t *)(row + off); }
static double double_at(const char *row, size_t off) { return *(const double *)(row + off); }
static const char *str_at(const char *row, size_t off) { return *(const char *const *)(row + off); }

/* The text of a text field (K_TEXT .. K_OBJECT); a masked copy is a new
 * string in *owned (see masked). */
static inline const char *field_text(const struct mp_export_opts *o, const struct field *f,
                                     const char *row, char **owned, bool *failed)
{
    const char *s = str_at(row, f->off);
    *owned = NULL;
    switch (f->kind) {
    case K_MASKED: return masked(s, owned, failed);
    case K_CATEGORY: return category_name(o->city, s);
    case K_DISTRICT: return district_name(o->city, s);
    default: return s;
    }
}

/* ---- GeoJSON ---- */

/* Members of the properties object; first: no member before them. */
static void json_fields(struct mp_buf *b, const struct mp_export_opts *o, const struct field *f,
                        size_t n, const char *row, bool first)
{
    for (size_t i = 0; i < n; i++) {
        size_t comma = first && i == 0 ? 1 : 0;
        char *owned;
        mp_buf_add(b, f[i].key + comma, f[i].key_len - comma);
        switch (f[i].kind) {
        case K_INT:
            mp_json_int(b, int_at(row, f[i].off));
            break;
        case K_TIME:
            mp_json_time(b, int_at(row, f[i].off));
            break;
        case K_TIME_OPT:
            if (int_at(row, f[i].off) > 0)
                mp_json_time(b, int_at(row, f[i].off));
            else
                mp_buf_lit(b, "null");
            break;
        case K_OBJECT: {
            /* Stored by the server itself as a JSON object; anything else is
             * not trusted into the document. */
            const char *s = str_at(row, f[i].off);
            mp_buf_adds(b, s && s[0] == '{' ? s : "null");
            break;
        }
        case K_TEXT:
            mp_json_str(b, str_at(row, f[i].off));
            break;
        default:
            mp_json_str(b, field_text(o, &f[i], row, &owned, &b->failed));
            free(owned);
            break;
        }
    }
}

void mp_export_feature(struct mp_buf *b, const struct mp_export_opts *o,
                       const struct mp_export_row *row, mp_json_extra_fn extra,
                       const void *extra_arg)
{
    const struct row_type *t = row_type(row->what);
    const char *data = row_data(row);
    mp_buf_lit(b, "{\"type\":\"Feature\",\"id\":");
    mp_json_int(b, int_at(data, t->id));
    mp_buf_lit(b, ",\"geometry\":");
    double lon = double_at(data, t->lon), lat = double_at(data, t->lat), x, y;
    if (!o->crs || mp_geo_crs_from_lonlat(o->crs, lon, lat, &x, &y) == MP_OK) {
        mp_buf_lit(b, "{\"type\":\"Point\",\"coordinates\":");
        (void)mp_export_coord(b, o->crs, lon, lat);
        mp_buf_addc(b, '}');
    } else {
        /* Outside what the CRS can show: a feature without a position. */
        mp_buf_lit(b, "null");
    }
    mp_buf_lit(b, ",\"properties\":{");
    json_fields(b, o, t->pub, t->npub, data, true);
    if (o->with_municipality)
        json_fields(b, o, t->municipality, 1, data, false);
    if (o->internal)
        json_fields(b, o, t->internal, t->ninternal, data, false);
    mp_buf_addc(b, '}');
    if (extra)
        extra(b, extra_arg);
    mp_buf_addc(b, '}');
}

bool mp_export_coord(struct mp_buf *b, struct mp_geo_crs *crs, double lon, double lat)
{
    double x, y;
    if (!crs) {
        mp_json_coord(b, lon, lat);
        return true;
    }
    if (mp_geo_crs_from_lonlat(crs, lon, lat, &x, &y) != MP_OK)
        return false;
    int decimals = mp_geo_crs_is_geographic(crs) ? 7 : 3;
    mp_buf_addc(b, '[');
    mp_json_num(b, x, decimals);
    mp_buf_addc(b, ',');
    mp_json_num(b, y, decimals);
    mp_buf_addc(b, ']');
    return true;
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

static void cell_n(struct csv_row *cr, const char *s, size_t len)
{
    if (mp_csv_write_field(buf_sink, cr->b, s, len, cr->first) != MP_OK)
        cr->b->failed = true;
    cr->first = false;
}

static void cell(struct csv_row *cr, const char *s) { cell_n(cr, s, s ? strlen(s) : 0); }

static void cell_int(struct csv_row *cr, int64_t v)
{
    char tmp[MP_JSON_INT_MAX];
    cell_n(cr, tmp, (size_t)(mp_json_put_int(tmp, v) - tmp));
}

static void cell_time(struct csv_row *cr, int64_t t)
{
    char tmp[21]; /* mp_time_format's 20 characters and a NUL */
    if (t <= 0) {
        cell(cr, NULL);
        return;
    }
    mp_time_format(t, tmp, sizeof tmp);
    cell_n(cr, tmp, 20);
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

static void csv_names(struct csv_row *cr, const struct field *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cell(cr, f[i].name);
}

static void csv_header(struct mp_buf *b, const struct mp_export_opts *o)
{
    struct csv_row cr = {b, true};
    const struct row_type *t = row_type(o->what);
    csv_names(&cr, t->pub, t->npub);
    cell(&cr, "lon");
    cell(&cr, "lat");
    if (o->with_municipality)
        csv_names(&cr, t->municipality, 1);
    if (o->internal)
        csv_names(&cr, t->internal, t->ninternal);
    csv_end(&cr);
}

static void csv_fields(struct csv_row *cr, const struct mp_export_opts *o, const struct field *f,
                       size_t n, const char *row)
{
    for (size_t i = 0; i < n; i++) {
        char *owned;
        switch (f[i].kind) {
        case K_INT:
            cell_int(cr, int_at(row, f[i].off));
            break;
        case K_TIME:
        case K_TIME_OPT:
            cell_time(cr, int_at(row, f[i].off));
            break;
        case K_TEXT:
        case K_OBJECT:
            cell(cr, str_at(row, f[i].off));
            break;
        default:
            cell(cr, field_text(o, &f[i], row, &owned, &cr->b->failed));
            free(owned);
            break;
        }
    }
}

static void csv_row(struct mp_buf *b, const struct mp_export_opts *o,
                    const struct mp_export_row *row)
{
    struct csv_row cr = {b, true};
    const struct row_type *t = row_type(row->what);
    const char *data = row_data(row);
    csv_fields(&cr, o, t->pub, t->npub, data);
    cell_coord(&cr, double_at(data, t->lon));
    cell_coord(&cr, double_at(data, t->lat));
    if (o->with_municipality)
        csv_fields(&cr, o, t->municipality, 1, data);
    if (o->internal)
        csv_fields(&cr, o, t->internal, t->ninternal, data);
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
        mp_export_feature(b, o, row, NULL, NULL);
        break;
    case MP_EXPORT_GEOJSONSEQ:
        mp_buf_addc(b, '\x1e');
        mp_export_feature(b, o, row, NULL, NULL);
        mp_buf_addc(b, '\n');
        break;
    case MP_EXPORT_CSV:
        csv_row(b, o, row);
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
            /* Release the connection at once rather than when the client
             * has read the last bytes. */
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

enum mp_status mp_export_open_path(const char *db_path, const struct mp_query *q,
                                   const struct mp_export_opts *o, struct mp_export **out,
                                   struct mp_error *err)
{
    enum mp_status rc;
    struct mp_export_cursor *cur = NULL;
    struct mp_scope sc;
    struct mp_query scoped = *q;
    *out = NULL;
    if ((rc = mp_scope_list(o->who, o->municipality, &sc, err)))
        return rc;
    /* The store copies the set when it opens the cursor. */
    scoped.scope = sc.filter;
    if ((rc = mp_store_export_open_path(db_path, o->what, &scoped, &cur, err)))
        return rc;
    if ((rc = mp_export_new(cur, o, out))) /* takes cur */
        return mp_fail(err, rc, "out_of_memory", "out of memory");
    return MP_OK;
}

/* ---- reading for feature services ---- */

enum mp_status mp_export_cursor_open(struct mp_ctx *ctx, enum mp_export_what what,
                                     const struct mp_query *q, struct mp_export_cursor **out,
                                     struct mp_error *err)
{
    return mp_store_export_open(ctx->db, what, q, out, err);
}

enum mp_status mp_export_cursor_next(struct mp_export_cursor *c, const struct mp_export_row **row)
{
    return mp_store_export_next(c, row);
}

void mp_export_cursor_close(struct mp_export_cursor *c)
{
    mp_store_export_close(c);
}

static int64_t row_id(const struct mp_export_row *row)
{
    return row->what == MP_EXPORT_CLUSTERS ? row->cluster.id : row->report.id;
}

enum mp_status mp_export_find(struct mp_ctx *ctx, enum mp_export_what what, int64_t id,
                              mp_export_row_fn fn, void *arg, struct mp_error *err)
{
    enum mp_status rc;
    struct mp_export_cursor *cur = NULL;
    struct mp_query q;
    const struct mp_export_row *row;
    /* The keyset query with after_id = id - 1 and limit 1 is a look-up by id
     * through the same public row shape as the listings. */
    memset(&q, 0, sizeof q);
    q.after_id = id - 1;
    q.limit = 1;
    if ((rc = mp_store_export_open(ctx->db, what, &q, &cur, err)))
        return rc;
    rc = mp_store_export_next(cur, &row);
    if (rc == MP_OK && row_id(row) == id)
        fn(arg, row);
    else if (rc == MP_OK || rc == MP_ENOTFOUND)
        rc = MP_ENOTFOUND;
    else
        rc = mp_fail(err, rc, "unavailable", "cannot read the feature right now");
    mp_store_export_close(cur);
    return rc;
}

enum mp_status mp_export_count(struct mp_ctx *ctx, enum mp_export_what what,
                               const struct mp_query *q, int64_t *n)
{
    return mp_store_export_count(ctx->db, what, q, n);
}

enum mp_status mp_export_time_extent(struct mp_ctx *ctx, int64_t *first, int64_t *last)
{
    return mp_store_export_time_extent(ctx->db, first, last);
}
