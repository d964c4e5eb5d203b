/* city.h - the city pack: service area, districts, categories and their
 * duplicate rules, metric CRS, time zone, holidays. Loaded once from a folder
 * (geodata/<city>/) at start-up; another city is another folder of data.
 *
 * Read-only after mp_city_load: safe to share between threads.
 */
#ifndef MELDPUNT_CITY_H
#define MELDPUNT_CITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/geom.h"
#include "meldpunt/status.h"

struct mp_source {
    char *format; /* owned, e.g. "chicago311" */
    char *name;   /* owned, e.g. "Pothole in Street Complaint" */
};

/* How a category's reports are matched to a cluster (cluster.h has the
 * rules themselves; geodata/README.md explains them). */
enum mp_rule {
    MP_RULE_POINT = 0, /* pin distance (and the address span when set) */
    MP_RULE_STREET,    /* as point, or the same street within along_m */
    MP_RULE_ADDRESS,   /* when both carry a house number the address span alone decides;
                          otherwise as the street rule */
    MP_RULE__COUNT
};

/* "point", "street", "address" (the pack's and the API's word for a rule). */
const char *mp_rule_name(enum mp_rule r);
/* The rule named name; false when it is none of them. */
bool mp_rule_parse(const char *name, enum mp_rule *out);

struct mp_category {
    char code[48];
    char group[48];
    char department[48];
    char *name_en; /* owned */
    char *name_nl; /* owned */
    enum mp_rule rule;
    double radius_m;      /* point rule radius; for the street rule, the cross-street radius */
    double along_m;       /* street rule: along-street distance */
    int address_span;     /* same street and house numbers at most this far apart; 0 = off */
    bool address_side;    /* ... and on the same side of the street (odd/even) */
    int window_days;      /* a cluster absorbs reports this long after its latest report */
    int fixed_absorb_days;/* ... and this long after it was fixed */
    int service_days;     /* service level in working days */
    int priority;         /* 1 (high) .. 3 (low) */
    struct mp_source *sources; /* owned: external type names mapped here (import) */
    size_t nsources;
};

struct mp_district {
    char code[32];
    char *name; /* owned */
    struct mp_multipolygon area;
    /* {"code":..,"name":..} rendered once at load (owned, NUL-terminated):
     * every public feature carries it. */
    char *json;
    size_t json_len;
};

struct mp_city {
    char id[48];
    char *name;     /* owned */
    char *crs;      /* owned, e.g. "EPSG:26916" */
    char *timezone; /* owned, e.g. "America/Chicago" */
    char *dir;      /* owned: the folder it was loaded from */
    /* owned: a region member's region folder, whose files stand in for the
     * member's missing ones (geodata/README.md, "Region packs"); else NULL */
    char *base_dir;
    char *name_local; /* owned: the name in the other language (city.json name_fr), or NULL */
    double center_lon, center_lat;
    int zoom;
    struct mp_bbox bbox;
    struct mp_multipolygon area;
    double area_margin_m; /* points this close outside the area are accepted */
    struct mp_category *categories; /* owned */
    size_t ncategories;
    struct mp_district *districts;  /* owned */
    size_t ndistricts;
    /* Indexes into districts sorted by code (then by position), for
     * mp_city_district's binary search (owned). */
    size_t *district_order;
    int64_t *holidays; /* owned: days since epoch, ascending */
    size_t nholidays;
    unsigned workdays; /* bit d set = ISO weekday d (1 = Monday .. 7) is a working day */
    char *tile_url;    /* owned; NULL when tiles are off */
    char *tile_attribution;
    int tile_max_zoom;
    /* Public JSON bodies rendered once at load (owned, NUL-terminated). */
    char *categories_json;
    size_t categories_json_len;
    char *districts_json;
    size_t districts_json_len;
    char *area_json;
    size_t area_json_len;
};

/* Load the pack in folder dir. On success *out is a new city (mp_city_free).
 * err names the file and the problem on failure. */
enum mp_status mp_city_load(const char *dir, struct mp_city **out, struct mp_error *err) MP_WUR;
/* Load a member of a region pack: folder dir, with the region folder
 * base_dir standing in for what dir lacks (its city.json and an extending
 * categories.json are laid over the region's). base_dir NULL = mp_city_load. */
enum mp_status mp_city_load_member(const char *base_dir, const char *dir, struct mp_city **out,
                                   struct mp_error *err) MP_WUR;
void mp_city_free(struct mp_city *c);

/* The path of the pack file `file` (e.g. "automation.json") in effect for c:
 * its own folder's, else its region's. False when it does not fit in cap. */
bool mp_city_file(const struct mp_city *c, const char *file, char *path, size_t cap);

/* Borrowed pointer into the city, or NULL when the code is unknown. */
const struct mp_category *mp_city_category(const struct mp_city *c, const char *code);
/* The category whose sources (for format fmt) include name, or NULL. */
const struct mp_category *mp_city_category_by_source(const struct mp_city *c, const char *fmt,
                                                     const char *name);
/* District containing the point, or NULL. */
const struct mp_district *mp_city_district_at(const struct mp_city *c, double lon, double lat);
/* District by code (the first in the pack when codes repeat), or NULL; a
 * binary search over district_order. */
const struct mp_district *mp_city_district(const struct mp_city *c, const char *code);
bool mp_city_in_area(const struct mp_city *c, double lon, double lat);

/* Replace the duplicate rules (rule, radius_m, along_m, address_span,
 * address_side, window_days, fixed_absorb_days) of c's categories with
 * those of the categories.json at path, matched by code; categories the
 * file lacks keep theirs. *applied counts the categories changed. For
 * evaluation commands, before the city is shared. MP_EINVAL (nothing
 * changed for the bad category) with the reason in err. */
enum mp_status mp_city_apply_rules(struct mp_city *c, const char *path, size_t *applied,
                                   struct mp_error *err) MP_WUR;

/* Set the rule fields of c (as categories.json spells them) in the JSON
 * object o. */
enum mp_status mp_city_rule_json(const struct mp_category *c, json_t *o) MP_WUR;

/* Replace the tile URL (NULL or "" switches tiles off). For configuration at
 * start-up only, before the city is shared. */
enum mp_status mp_city_set_tiles(struct mp_city *c, const char *url) MP_WUR;

/* Whether a local calendar day (days since 1970-01-01) is a working day:
 * its weekday is in workdays and it is not a holiday. */
bool mp_city_is_workday(const struct mp_city *c, int64_t day);

#endif
