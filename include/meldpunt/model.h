/* model.h - the records that the domain and the store exchange: queries,
 * rows handed to callbacks and records to write. Plain types only, no
 * functions, so that every layer (handlers, domain, the store engines) can
 * share them without seeing the store's interface.
 *
 * Rows handed to callbacks hold BORROWED strings, valid only during the
 * callback (export rows: until the cursor's next step or close).
 */
#ifndef MELDPUNT_MODEL_H
#define MELDPUNT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/geom.h"

/* ---- clusters, as the clustering code sees them ---- */

/* The municipality a report or cluster belongs to: the id of its city pack
 * (city.json "id", e.g. "chicago"). Duplicates never fold across it, and a
 * region can partition or shard its tables by it. */
#define MP_MUNICIPALITY_MAXLEN 48

/* The municipalities a staff member's lists are limited to (scope.h decides
 * it from the principal): n member ids, borrowed. A query whose scope
 * pointer is NULL is not limited (region-wide staff, the public). The
 * engines bind the set as ONE parameter (SQLite json_each, PostgreSQL
 * text[]), never as SQL text. */
struct mp_scope_set {
    size_t n;
    const char (*names)[MP_MUNICIPALITY_MAXLEN];
};

/* Public workflow statuses; a cluster and its reports share one. */
#define MP_STATUS_MAXLEN 24
struct mp_cluster_state {
    int64_t id;
    char municipality[MP_MUNICIPALITY_MAXLEN];
    char category[48];
    char status[MP_STATUS_MAXLEN];
    int64_t report_count;
    double x, y;         /* centre, metric CRS */
    double sum_x, sum_y; /* sums of member coordinates (centre = sum / count) */
    double lon, lat;     /* centre, WGS84 */
    int64_t first_at, last_at, fixed_at; /* fixed_at 0 when never fixed */
    char district[32];
    char street[64];    /* street of its first report, "" when none */
    char location[128]; /* readable location of its first report */
};

/* ---- corrections and re-clustering ---- */

/* Aggregates of a cluster's members (count 0 when it has none). */
struct mp_member_stats {
    int64_t count, first_at, last_at, first_report;
    double sum_x, sum_y;
};

/* A staff correction as the log keeps it. */
struct mp_correction_rec {
    const char *kind; /* "merge", "move" */
    int64_t report_id, from_cluster, to_cluster, at;
    const char *actor;
};

/* A report as re-clustering replays it. */
struct mp_replay_row {
    int64_t id, cluster_id, created_at;
    const char *category, *address; /* borrowed for the callback */
    const char *municipality;       /* borrowed for the callback; never NULL */
    double lon, lat, x, y;
};

typedef int (*mp_replay_cb)(void *ctx, const struct mp_replay_row *r);
typedef int (*mp_constraint_cb)(void *ctx, int64_t a, int64_t b, bool must);
typedef int (*mp_state_cb)(void *ctx, const struct mp_cluster_state *st);

/* Every cluster's id and category (borrowed for the callback), in no set order. */
typedef int (*mp_cluster_id_cb)(void *ctx, int64_t id, const char *category);

/* ---- reports ---- */

struct mp_report_rec {
    const char *municipality; /* never NULL or empty */
    const char *category;
    const char *description; /* never NULL */
    const char *address;     /* NULL when none */
    const char *channel;
    const char *status;
    const char *district;    /* NULL outside every district */
    const char *external_id; /* NULL, or the id in the system it was imported from */
    const char *contact_name, *contact_email, *contact_phone; /* private; NULL when none */
    const char *join_reason; /* JSON text: why it joined its cluster, or NULL */
    const char *street;      /* street it was matched to, or NULL */
    const char *location;    /* readable location, or NULL */
    double lon, lat, x, y;
    int64_t created_at;
    int64_t cluster_id;
};

/* Photos: processed images (metadata already stripped) of one report. */
struct mp_photo_rec {
    const void *full, *thumb;
    size_t full_len, thumb_len;
    unsigned width, height;
    const char *mime; /* of the stored images, "image/jpeg" */
};

/* Status history entry (cluster-wide when report_id is 0). */
struct mp_history_rec {
    int64_t cluster_id, report_id, at;
    const char *status;
    const char *note;   /* NULL when none */
    bool note_public;
    const char *actor;  /* NULL for the system */
};

/* ---- reading: queries and rows ---- */

struct mp_report_row {
    int64_t id, cluster_id, created_at, updated_at, cluster_count;
    const char *municipality; /* NULL from the public map table (bbox lists) */
    const char *category, *description, *address, *channel, *status, *district, *external_id;
    const char *contact_name, *contact_email, *contact_phone; /* only with q->with_private */
    const char *join_reason;
    const char *street, *location;
    double lon, lat;
    bool has_photo;
};

struct mp_cluster_row {
    int64_t id, report_count, first_at, last_at, created_at, updated_at;
    const char *municipality;
    const char *category, *status, *district, *location;
    double lon, lat;
};

#define MP_QUERY_MAX_LIST 32
struct mp_query {
    bool has_bbox;
    struct mp_bbox bbox;
    const char *categories[MP_QUERY_MAX_LIST];
    size_t ncategories;
    const char *statuses[MP_QUERY_MAX_LIST];
    size_t nstatuses;
    const char *district;     /* NULL for any */
    int64_t since, until;     /* created_at range; 0 for open-ended */
    /* updated_at range, [updated_since, updated_until); 0 for open-ended.
     * Read only by the export cursors and counts (store_export.h). */
    int64_t updated_since, updated_until;
    /* A region pack's member (its id, as reports.municipality holds it);
     * NULL for any. Read only by the export cursors and counts, as the
     * updated_at range (the OGC API's municipality queryable). */
    const char *municipality;
    int64_t after_id;         /* keyset cursor: ids strictly greater */
    size_t limit;             /* rows at most; 0 for no limit (exports) */
    bool with_private;        /* include contact fields (staff only) */
    const struct mp_scope_set *scope; /* NULL: every municipality (borrowed) */
};

typedef int (*mp_report_cb)(void *ctx, const struct mp_report_row *row);
typedef int (*mp_cluster_cb)(void *ctx, const struct mp_cluster_row *row);

struct mp_history_row {
    int64_t id, cluster_id, report_id, at;
    const char *status, *note, *actor;
    bool note_public;
};

typedef int (*mp_history_cb)(void *ctx, const struct mp_history_row *row);

/* Grid aggregation of clusters for the map at low zoom. */
struct mp_grid_cell {
    int64_t gx, gy, clusters, reports;
    double lon, lat; /* mean position of the clusters in the cell */
};

typedef int (*mp_grid_cb)(void *ctx, const struct mp_grid_cell *cell);

/* ---- the staff side of a cluster: assignment, notes, crew photos, worklist rows ---- */

struct mp_work_assignment {
    bool exists;          /* false: nobody assigned it yet (rules apply) */
    char department[48];  /* "" when unset */
    char crew[64];        /* account name of a crew, "" when unset */
    int priority;         /* 1..3, 0 when unset */
    int64_t due_at;       /* deadline set by hand, 0 when unset */
    int64_t updated_at;
    char updated_by[64];
};

/* An open job as the worklist and the queue see it. */
struct mp_work_row {
    int64_t id, report_count, first_at, last_at, updated_at;
    const char *category, *status, *district; /* district NULL outside every one */
    const char *location; /* readable location of the first report, or NULL */
    const char *address;  /* first address a reporter gave, or NULL */
    double lon, lat, x, y; /* centre: WGS84 and metric */
    bool assigned;
    const char *department, *crew; /* manual assignment, NULL when none */
    int priority;                  /* manual, 0 when none */
    int64_t due_at;                /* manual, 0 when none */
    const char *municipality;      /* member id (tenancy) */
};

typedef int (*mp_work_cb)(void *ctx, const struct mp_work_row *row);

struct mp_work_query {
    bool has_bbox;
    struct mp_bbox bbox;
    const char *district;                        /* NULL for any */
    const char *categories[MP_QUERY_MAX_LIST];   /* none: any */
    size_t ncategories;
    const char *statuses[MP_QUERY_MAX_LIST];     /* required: at least one */
    size_t nstatuses;
    int64_t cluster_id;                          /* 0, or only this cluster */
    const struct mp_scope_set *scope;            /* NULL: every municipality */
};

struct mp_work_note_row {
    int64_t id, cluster_id, at;
    const char *status, *note, *actor;
};

typedef int (*mp_work_note_cb)(void *ctx, const struct mp_work_note_row *row);

struct mp_work_photo_row {
    int64_t id, cluster_id, at;
    const char *status, *actor;
    unsigned width, height;
};

typedef int (*mp_work_photo_cb)(void *ctx, const struct mp_work_photo_row *row);

/* ---- Open311 requests and updates ---- */

/* What an Open311 client sent with a report (strings borrowed; NULL = none). */
struct mp_open311_extra {
    int64_t report_id;
    int64_t client_id;      /* account (role client or above) whose api_key was used */
    const char *attributes; /* JSON object {code: value or [values]} */
    const char *extra;      /* JSON object {code: value}: attributes the service does not define */
    const char *media_url;  /* public */
    const char *device_id;  /* private, like the contact fields */
    const char *account_id; /* private */
};

/* A service request as Open311 shows it: the report, its cluster's start,
 * size and latest public note, and what the client sent with it. */
struct mp_open311_row {
    int64_t id, cluster_id, created_at, updated_at, cluster_first_at, cluster_count;
    const char *category, *description, *address, *status, *channel;
    const char *status_notes; /* latest public note of the cluster, or NULL */
    const char *attributes;   /* JSON text or NULL */
    const char *extra;        /* JSON text of the undefined attributes, or NULL */
    const char *media_url;    /* the client's, or NULL */
    double lon, lat;
    bool has_photo;
    bool joined; /* it joined an existing cluster when submitted */
    const char *municipality; /* the region member it belongs to (model.h: mp_report) */
};

typedef int (*mp_open311_cb)(void *ctx, const struct mp_open311_row *row);

struct mp_open311_query {
    int64_t since, until;          /* created_at in [since, until) */
    bool has_bbox;                 /* only requests in bbox (lon/lat) */
    struct mp_bbox bbox;
    /* Only requests within radius_m metres of (near_lon, near_lat); the
     * domain fills x, y (the centre in the metric CRS) and narrows bbox to
     * the circle's envelope for the spatial index. */
    bool near;
    double near_lon, near_lat, radius_m, x, y;
    const char *const *categories; /* NULL or ncategories codes */
    size_t ncategories;
    const char *const *statuses; /* NULL or nstatuses workflow statuses */
    size_t nstatuses;
    size_t limit, offset; /* limit >= 1 */
    const char *municipality; /* only this region member's requests; NULL for any */
};

/* A status update of one request: a history entry of its cluster made at or
 * after the report was created (report-specific entries only for their
 * report). note is NULL unless the note is public. */
struct mp_open311_update {
    int64_t history_id, report_id, at;
    const char *status, *note;
    const char *media_url; /* a client's update: its media URL, or NULL */
};

/* An update a client posted (servicerequestupdates): a public note on the
 * request's cluster, and what came with it. Strings borrowed. */
struct mp_open311_note_rec {
    int64_t report_id, cluster_id, client_id, at;
    const char *status;           /* the cluster's status, unchanged */
    const char *note;             /* the text, contacts masked; "" when only media */
    const char *actor;            /* the client account's name */
    const char *client_update_id; /* the client's own id of the update */
    const char *client_status;    /* the status the client said, kept as said */
    int64_t client_at;            /* when the client says it was written */
    const char *media_url;        /* NULL when none */
};

typedef int (*mp_open311_update_cb)(void *ctx, const struct mp_open311_update *u);

/* ---- export rows ---- */

enum mp_export_what {
    MP_EXPORT_REPORTS = 0,
    MP_EXPORT_CLUSTERS,
};

/* A report as exports see it. Strings are BORROWED until the next call of
 * mp_store_export_next or mp_store_export_close. */
struct mp_export_report {
    int64_t id, cluster_id, created_at, updated_at;
    int64_t fixed_at; /* the cluster's latest fix when the report is fixed or closed, else 0 */
    const char *category, *description, *address, *channel, *status, *district, *external_id;
    const char *join_reason; /* JSON text or NULL */
    const char *location;    /* readable place ("W 97TH ST near S HARVARD AVE") or NULL */
    double lon, lat;
    const char *municipality; /* the region member it belongs to (model.h: mp_report) */
};

struct mp_export_cluster {
    int64_t id, report_count, first_at, last_at, created_at, updated_at;
    int64_t fixed_at; /* its latest fix when it is fixed or closed, else 0 */
    const char *category, *status, *district;
    const char *location; /* readable place or NULL */
    double lon, lat;
    const char *municipality; /* the region member it belongs to */
};

struct mp_export_row {
    enum mp_export_what what;
    union {
        struct mp_export_report report;
        struct mp_export_cluster cluster;
    };
};

/* ---- accounts and audit ---- */

struct mp_user_row {
    int64_t id, created_at, last_seen_at;
    const char *name, *role, *department;
    bool disabled;
    /* Tenancy (schema 12): a region-wide account sees every municipality;
     * otherwise only those of municipalities, comma-separated member ids in
     * order ("" or NULL when none: then it sees nothing). */
    bool region_wide;
    const char *municipalities;
};

typedef int (*mp_user_cb)(void *ctx, const struct mp_user_row *u);

struct mp_audit_rec {
    int64_t user_id, object_id, at;
    const char *user_name, *action, *object_type, *detail;
};

struct mp_audit_row {
    int64_t id, user_id, object_id, at;
    const char *user_name, *action, *object_type, *detail;
};

typedef int (*mp_audit_cb)(void *ctx, const struct mp_audit_row *a);

/* ---- statistics rows ---- */

struct mp_stats_row {
    int64_t created_at;
    /* When the report's cluster was last marked fixed: clusters.fixed_at,
     * or the latest 'fixed' history entry when that is 0; 0 if never. */
    int64_t fixed_at;
    const char *category, *district, *status; /* district NULL outside every district */
};

typedef int (*mp_stats_cb)(void *ctx, const struct mp_stats_row *r);

#endif
