/* open311_form.h - decoding the arguments of the Open311 GeoReport v2
 * endpoints: the query of the listings (time window, pages, id and service
 * lists, jurisdiction) and the fields of a POSTed service request.
 *
 * Where the standard is silent the decoding is lenient the way deployed
 * clients need: an empty argument counts as absent ("Optional Arguments"),
 * and POST fields may come in the form body or, as the published Swagger
 * files declare them, in the query string.
 *
 * A decoder that refuses the request returns false with the refusal: the
 * standard's HTTP code and the description of its error document.
 *
 * Thread-safety: pure functions over one request; results borrow from it.
 */
#ifndef MELDPUNT_OPEN311_FORM_H
#define MELDPUNT_OPEN311_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/city.h"
#include "meldpunt/ctx.h"
#include "meldpunt/http.h"
#include "meldpunt/region.h"
#include "meldpunt/open311.h"
#include "meldpunt/tz.h"

#define MP_OPEN311_MAX_SPAN_S (90 * 86400) /* the standard's largest start..end */
#define MP_OPEN311_PAGE_SIZE_MAX 1000      /* and its default page: "first 1000 requests" */
#define MP_OPEN311_PAGE_MAX 1000000
#define MP_OPEN311_MAX_IDS 100 /* service_request_id list */

struct mp_open311_refusal {
    int http;       /* 400, 403, 404 or 503 */
    char text[240]; /* the error's description */
};

/* An optional query argument; empty counts as absent. Borrowed. */
const char *mp_open311_form_arg(const struct mp_request *req, const char *name);
/* A POST field from the form body, else from the query string; empty
 * counts as absent, and so does a file part. Borrowed. */
const char *mp_open311_form_field(const struct mp_request *req, const char *name);

/* Every query argument's name is in allowed (NULL-terminated); otherwise
 * refused (400) naming the first that is not, so that a misspelt filter
 * never widens a listing silently. */
bool mp_open311_form_known_args(const struct mp_request *req, const char *const *allowed,
                                struct mp_open311_refusal *why);

/* jurisdiction_id may be left out (one city or region per endpoint); if
 * given (j not NULL) it must be the city's (the region's) id or, in a
 * region (not NULL), a member's: then *member (may be NULL) gets that member
 * (borrowed), else NULL. */
bool mp_open311_form_jurisdiction(const struct mp_region *region, const struct mp_city *city,
                                  const char *j, const struct mp_city **member,
                                  struct mp_open311_refusal *why);

/* start_date and end_date as [since, until) in UTC seconds: W3C date-times,
 * a time without a zone and a date being the city's local time (tz); one
 * side missing means the standard's 90 days from the other, both missing the
 * 90 days before now; at most 90 days. */
bool mp_open311_form_window(const struct mp_request *req, const struct mp_tz *tz, int64_t now,
                            int64_t *since, int64_t *until, struct mp_open311_refusal *why);
/* page (from 1) and page_size (1..1000, default 1000) as limit and offset. */
bool mp_open311_form_page(const struct mp_request *req, size_t *limit, size_t *offset,
                          struct mp_open311_refusal *why);
/* A service_request_id list: up to MP_OPEN311_MAX_IDS ids separated by
 * commas into ids (room for MP_OPEN311_MAX_IDS). */
bool mp_open311_form_ids(const char *list, int64_t *ids, size_t *n, struct mp_open311_refusal *why);
/* A whole number in [lo, hi] without sign or spaces. */
bool mp_open311_form_uint(const char *v, long long lo, long long hi, long long *out);
/* A service_code filter: up to MP_QUERY_MAX_LIST codes of the city's
 * services, separated by commas. copy (cap bytes) holds the split text that
 * codes (room for MP_QUERY_MAX_LIST) point into. */
bool mp_open311_form_services(const struct mp_city *city, const char *list, char *copy, size_t cap,
                              const char **codes, size_t *n, struct mp_open311_refusal *why);

/* The filters of a request listing, each argument possibly repeated and
 * comma-separated: service_code (codes of the city's services) and status
 * (open, closed). *n stays 0 when an argument is absent or lists both
 * statuses. Strings borrow from f. */
struct mp_open311_filters {
    char codes_copy[MP_QUERY_MAX_LIST * 49];
    const char *codes[MP_QUERY_MAX_LIST];
    size_t ncodes;
    const char *statuses[MP_QUERY_MAX_LIST];
    size_t nstatuses;
};
bool mp_open311_form_filters(const struct mp_city *city, const struct mp_request *req,
                             struct mp_open311_filters *f, struct mp_open311_refusal *why);

/* The common spatial extensions of a listing into q: bbox=minLon,minLat,
 * maxLon,maxLat, and lat, long and radius (metres, default
 * MP_OPEN311_RADIUS_DEFAULT, at most MP_OPEN311_RADIUS_MAX). */
#define MP_OPEN311_RADIUS_DEFAULT 500
#define MP_OPEN311_RADIUS_MAX 50000
bool mp_open311_form_area(const struct mp_request *req, struct mp_open311_query *q,
                          struct mp_open311_refusal *why);

/* The first file part of a multipart POST (a photo, whatever its field is
 * called: FixMyStreet names them by number), or NULL. Borrowed. */
const struct mp_form_field *mp_open311_form_first_file(const struct mp_request *req);

/* The body of a POST: form-encoded (or empty, fields in the query) and
 * within the form's bounds. */
bool mp_open311_form_body(const struct mp_request *req, struct mp_open311_refusal *why);
/* The fields of a POSTed service request into s (zeroed first; free its
 * report strings with mp_report_input_clear even on failure): jurisdiction,
 * service_code (known to the city; xml picks the file name that the 404
 * names), the place (lat and long, or a corner of two crossing streets in
 * address_string placed on ctx's street layer), attribute[CODE] answers
 * from the body and the query, media_url, device_id, account_id, the
 * contact fields and the description. What needs the service definition or
 * the database is checked by mp_open311_submit. */
bool mp_open311_form_submission(struct mp_ctx *ctx, const struct mp_request *req, bool xml,
                                struct mp_open311_submission *s, struct mp_open311_refusal *why);

/* The fields of a POSTed update (FixMyStreet's servicerequestupdates) into u:
 * jurisdiction_id, service_request_id (required), update_id (required;
 * update_id_ext, as older FixMyStreets send it, stands in for it),
 * updated_datetime (required, W3C date-time; without a zone the city's
 * time), status (required), description, media_url (the first when
 * repeated). The contact fields (email, phone, first_name, last_name) and
 * FixMyStreet's other extras (title, service_request_id_ext,
 * public_anonymity_required, email_alerts_requested, account_id) are taken
 * but not kept. A file part is refused: an update links its media. What
 * needs the database is checked by mp_open311_post_update. */
bool mp_open311_form_update(const struct mp_region *region, const struct mp_city *city,
                            const struct mp_tz *tz,
                            const struct mp_request *req, struct mp_open311_update_in *u,
                            struct mp_open311_refusal *why);

#endif
