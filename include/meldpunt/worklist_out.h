/* worklist_out.h - writers of jobs and worklists (worklist.h): the JSON
 * members every staff view of a job shares, the staff view of one job
 * (workflow.h) as JSON, and a worklist as GeoJSON (the stops as Features
 * plus the route as a LineString), as CSV (RFC 4180, one row a stop) and as
 * GPX 1.1 (waypoints and a route, for satnavs).
 *
 * Pure functions over borrowed jobs and the city; output is appended to b
 * (a failed buffer is the caller's to check with mp_buf_status). Thread-safe.
 */
#ifndef MELDPUNT_WORKLIST_OUT_H
#define MELDPUNT_WORKLIST_OUT_H

#include <stdint.h>

#include "meldpunt/auth.h"
#include "meldpunt/buf.h"
#include "meldpunt/city.h"
#include "meldpunt/status.h"
#include "meldpunt/workflow.h"
#include "meldpunt/worklist.h"

/* The members of a job without the braces around them: ids, names, place,
 * counts, times, what the rules made of it, and the status changes who may
 * make (actions) at now. */
void mp_worklist_out_job(struct mp_buf *b, const struct mp_city *city,
                         const struct mp_principal *who, const struct mp_job *j, int64_t now);

/* The staff view of a job as one JSON object: {"cluster":{the job's
 * members},"reports":[...],"history":[...],"photos":[...],"audit":[...]}.
 * Fill b, city, who and now (the rest zero), hand mp_worklist_out_view_cbs
 * and the struct to mp_workflow_view, then close the object with
 * mp_worklist_out_view_end. Borrowed members must outlive the writer. */
struct mp_worklist_view_out {
    struct mp_buf *b;
    const struct mp_city *city;
    const struct mp_principal *who;
    int64_t now;
    int part; /* the array being written (0: the job) */
    size_t n; /* items written into it */
};
extern const struct mp_workflow_view_cbs mp_worklist_out_view_cbs;
void mp_worklist_out_view_end(struct mp_worklist_view_out *v);

/* A FeatureCollection of the stops (properties: stop, the job's members,
 * leg_m, cumulative_m) with members route, route_length_m, count, start,
 * department and generated_at. */
void mp_worklist_out_geojson(struct mp_buf *b, const struct mp_city *city,
                             const struct mp_principal *who, const struct mp_worklist *w);

/* A header row and one row a stop. MP_ENOMEM "internal" when the buffer
 * refused a row. */
enum mp_status mp_worklist_out_csv(struct mp_buf *b, const struct mp_city *city,
                                   const struct mp_worklist *w, struct mp_error *err) MP_WUR;

/* A GPX 1.1 document: a waypoint a stop, then the route through them. */
void mp_worklist_out_gpx(struct mp_buf *b, const struct mp_city *city,
                         const struct mp_worklist *w);

#endif
