/* store_map.c - the public map list from report_map (see store_map.h): one
 * statement scans the strips a box covers, the packed records are copied,
 * sorted by id in memory and decoded in place for the callback, in id order.
 *
 * Why not ORDER BY id in SQL: SQLite sorts through an ephemeral B-tree of
 * whole records, which cost more than the scan itself (1.7 ms of 2.2 ms for
 * a page of 1,000 in a test harness); a radix sort of the ids costs tens of
 * microseconds. */
#include "store_sqlite_map.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

/* Beyond these the box is a zoomed-out view: the id-ordered query of store_reports.c,
 * which decodes only the rows of the page, is cheaper than copying every row
 * in the box, and a request's scratch stays within about 5 MB (a page of
 * 1,000 takes about 300 KB), so concurrent zoomed-out views cannot push the
 * server's resident size far. */
#define MAP_MAX_STRIPS 2000
#define MAP_MAX_ROWS 16384
#define MAP_MAX_BYTES ((size_t)4 << 20)
/* Scratch kept by a session between requests, at most (per buffer). */
#define MAP_KEEP_BYTES ((size_t)2 << 20)

enum { F_CATEGORY, F_STATUS, F_DISTRICT, F_CHANNEL, F_DESCRIPTION, F_ADDRESS, F_LOCATION, F__N };

/* A row as copied out of SQLite: the fixed part, then the packed record and
 * one spare byte (for the last field's NUL), padded to 8 bytes. */
struct entry {
    double lon, lat;
    int64_t count;
    size_t len;
    char rec[];
};

struct key {
    int64_t id;
    size_t off; /* of the entry in the arena */
};

/* Session scratch: [0] the arena of entries, [1] keys and the radix sort's
 * second array. */
static bool room(struct mp_store_sess *s, int i, size_t need)
{
    if (need <= mp_sq(s)->map_scratch_cap[i])
        return true;
    size_t cap = mp_sq(s)->map_scratch_cap[i] ? mp_sq(s)->map_scratch_cap[i] : (size_t)64 << 10;
    while (cap < need)
        cap *= 2;
    void *p = realloc(mp_sq(s)->map_scratch[i], cap);
    if (!p)
        return false;
    mp_sq(s)->map_scratch[i] = p;
    mp_sq(s)->map_scratch_cap[i] = cap;
    return true;
}

static void trim(struct mp_store_sess *s)
{
    for (int i = 0; i < 2; i++) {
        if (mp_sq(s)->map_scratch_cap[i] > MAP_KEEP_BYTES) {
            free(mp_sq(s)->map_scratch[i]);
            mp_sq(s)->map_scratch[i] = NULL;
            mp_sq(s)->map_scratch_cap[i] = 0;
        }
    }
}

#define MAP_WHERE                                                                                \
    "WITH RECURSIVE strips(s) AS (VALUES (?12) UNION ALL SELECT s + 1 FROM strips"               \
    " WHERE s < ?13)"                                                                            \
    " SELECT m.id, m.lon, m.lat, m.rec, m.cluster_count FROM strips CROSS JOIN report_map m"                      \
    " WHERE m.strip = strips.s AND m.lon BETWEEN ?1 AND ?3 AND m.lat BETWEEN ?2 AND ?4"          \
    " AND m.id > ?10"
/* Without filters the per-row tests of the filtered form are measurable. */
static const char sql_map[] = MAP_WHERE;
static const char sql_map_filtered[] =
    MAP_WHERE " AND (?5 IS NULL OR m.category IN (SELECT value FROM json_each(?5)))"
              " AND (?6 IS NULL OR m.status IN (SELECT value FROM json_each(?6)))"
              " AND (?7 IS NULL OR m.district = ?7)"
              " AND (?8 IS NULL OR m.created_at >= ?8) AND (?9 IS NULL OR m.created_at < ?9)";

static int64_t strip_of(double lat) { return (int64_t)((lat + 90.0) * MAP_STRIPS_PER_DEG); }

/* LSD radix sort of keys by id (ids are positive), 8 bits a pass; passes in
 * which every key has the same byte are skipped. Returns the sorted array
 * (keys or tmp). */
static struct key *sort_keys(struct key *keys, struct key *tmp, size_t n)
{
    size_t count[8][256] = {{0}};
    for (size_t i = 0; i < n; i++) {
        uint64_t v = (uint64_t)keys[i].id;
        for (int d = 0; d < 8; d++)
            count[d][(v >> (8 * d)) & 0xff]++;
    }
    for (int d = 0; d < 8; d++) {
        uint64_t first = n ? ((uint64_t)keys[0].id >> (8 * d)) & 0xff : 0;
        if (count[d][first] == n)
            continue;
        size_t pos = 0;
        for (int b = 0; b < 256; b++) {
            size_t c = count[d][b];
            count[d][b] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[d][((uint64_t)keys[i].id >> (8 * d)) & 0xff]++] = keys[i];
        struct key *t = keys;
        keys = tmp;
        tmp = t;
    }
    return keys;
}

/* An integer field up to its ','; false when malformed. */
static bool take_int(const char **p, const char *end, int64_t *out)
{
    const char *s = *p;
    bool neg = s < end && *s == '-';
    uint64_t v = 0;
    s += neg;
    const char *digits = s;
    while (s < end && (unsigned)(*s - '0') <= 9u)
        v = v * 10 + (uint64_t)(*s++ - '0');
    if (s == digits || s - digits > 19 || s >= end || *s != ',')
        return false;
    *out = neg ? -(int64_t)v : (int64_t)v;
    *p = s + 1;
    return true;
}

/* Decode an entry's packed record (store_map.h) in place: each text field is
 * NUL-terminated where the next field's length prefix was (read before). */
static bool decode(struct entry *e, int64_t id, struct mp_report_row *r)
{
    char *p = e->rec, *end = e->rec + e->len;
    const char *q = p;
    int64_t photo;
    char *text[F__N];
    size_t len[F__N];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->lon = e->lon;
    r->lat = e->lat;
    r->cluster_count = e->count;
    if (!take_int(&q, end, &r->cluster_id) || !take_int(&q, end, &r->created_at) || !take_int(&q, end, &r->updated_at) ||
        !take_int(&q, end, &photo))
        return false;
    r->has_photo = photo != 0;
    p += q - e->rec;
    for (int f = 0; f < F__N; f++) {
        if (p < end && *p == '~') {
            text[f] = NULL;
            p++;
            continue;
        }
        size_t n = 0;
        const char *digits = p;
        while (p < end && (unsigned)(*p - '0') <= 9u && p - digits < 10)
            n = n * 10 + (size_t)(*p++ - '0');
        if (p == digits || p >= end || *p != ':' || n > (size_t)(end - p - 1))
            return false;
        text[f] = ++p;
        len[f] = n;
        p += n;
    }
    if (p != end)
        return false;
    for (int f = 0; f < F__N; f++)
        if (text[f])
            text[f][len[f]] = '\0'; /* at most end: the spare byte */
    r->category = text[F_CATEGORY];
    r->status = text[F_STATUS];
    r->district = text[F_DISTRICT];
    r->channel = text[F_CHANNEL];
    r->description = text[F_DESCRIPTION];
    r->address = text[F_ADDRESS];
    r->location = text[F_LOCATION];
    return true;
}

static bool filtered(const struct mp_query *q)
{
    return q->ncategories || q->nstatuses || q->district || q->since || q->until;
}

/* The copy of the rows of a box into session scratch. */
struct scan {
    struct mp_store_sess *s;
    int64_t s0, s1, strip; /* strips of the box, strip of the last row */
    size_t n, used;        /* rows and arena bytes so far */
    bool gave_up;          /* too many rows for this path */
    enum mp_status rc;     /* MP_ENOMEM stops the scan */
};

static int scan_row(void *ctx, sqlite3_stmt *st)
{
    struct scan *c = ctx;
    struct mp_store_sess *s = c->s;
    /* Rows come strip by strip: at each new strip the rows so far, spread
     * over the strips not yet read, tell whether the box will pass
     * MAP_MAX_ROWS, so that a zoomed-out view gives up after a strip or
     * two, not after MAP_MAX_ROWS rows. */
    int64_t rs = strip_of(sqlite3_column_double(st, 2));
    if (c->n == MAP_MAX_ROWS || c->used > MAP_MAX_BYTES ||
        (rs != c->strip && rs > c->s0 &&
         (double)c->n * (double)(c->s1 - c->s0 + 1) / (double)(rs - c->s0) > MAP_MAX_ROWS)) {
        c->gave_up = true;
        return 1;
    }
    c->strip = rs;
    const void *rec = sqlite3_column_blob(st, 3);
    size_t len = (size_t)sqlite3_column_bytes(st, 3);
    size_t size = (sizeof(struct entry) + len + 1 + 7) & ~(size_t)7;
    if ((!rec && len) || !room(s, 0, c->used + size) ||
        !room(s, 1, 2 * (c->n + 1) * sizeof(struct key))) {
        c->rc = MP_ENOMEM;
        return 1;
    }
    struct entry *e = (struct entry *)((char *)mp_sq(s)->map_scratch[0] + c->used);
    e->lon = sqlite3_column_double(st, 1);
    e->lat = sqlite3_column_double(st, 2);
    e->count = sqlite3_column_int64(st, 4);
    e->len = len;
    if (len)
        memcpy(e->rec, rec, len);
    struct key *k = (struct key *)mp_sq(s)->map_scratch[1] + c->n;
    k->id = sqlite3_column_int64(st, 0);
    k->off = c->used;
    c->used += size;
    c->n++;
    return 0;
}

enum mp_status mp_store_map_reports(struct mp_store_sess *s, const struct mp_query *q,
                                    mp_report_cb cb, void *ctx, bool *handled)
{
    enum mp_status rc = MP_OK;
    *handled = false;
    /* The negated test also turns NaN away: the strip numbers below are
     * conversions of lat to integers. */
    if (!q->has_bbox || q->with_private ||
        !(q->bbox.min_lat >= -90.0 && q->bbox.max_lat <= 90.0 &&
          q->bbox.min_lat <= q->bbox.max_lat))
        return MP_OK;
    struct scan c = {.s = s, .s0 = strip_of(q->bbox.min_lat), .s1 = strip_of(q->bbox.max_lat)};
    if (c.s1 - c.s0 >= MAP_MAX_STRIPS)
        return MP_OK;
    c.strip = c.s0;
    sqlite3_stmt *st = mp_stmt(s, filtered(q) ? sql_map_filtered : sql_map);
    if (!st)
        return MP_EDB;
    mp_bind_bbox(st, &q->bbox);
    if (filtered(q)) {
        if ((rc = mp_bind_list(st, 5, q->categories, q->ncategories, true)) ||
            (rc = mp_bind_list(st, 6, q->statuses, q->nstatuses, true))) {
            mp_stmt_done(st);
            goto out;
        }
        mp_bind_text(st, 7, q->district);
        if (q->since)
            sqlite3_bind_int64(st, 8, q->since);
        if (q->until)
            sqlite3_bind_int64(st, 9, q->until);
    }
    sqlite3_bind_int64(st, 10, q->after_id);
    sqlite3_bind_int64(st, 12, c.s0);
    sqlite3_bind_int64(st, 13, c.s1);
    /* One statement, so one snapshot, as the general query. */
    if ((rc = mp_stmt_each(s, st, scan_row, &c, "map")) || (rc = c.rc) || c.gave_up)
        goto out;
    *handled = true;
    size_t n = c.n;
    struct key *keys = mp_sq(s)->map_scratch[1];
    keys = sort_keys(keys, keys + n, n);
    size_t emit = q->limit && q->limit < n ? q->limit : n;
    for (size_t i = 0; i < emit; i++) {
        struct mp_report_row row;
        if (!decode((struct entry *)((char *)mp_sq(s)->map_scratch[0] + keys[i].off), keys[i].id,
                    &row)) {
            fprintf(stderr, "meldpunt: store: report_map: malformed record of report %lld\n",
                    (long long)keys[i].id);
            rc = MP_EDB;
            break;
        }
        if (cb(ctx, &row))
            break;
    }
out:
    trim(s);
    return rc;
}
