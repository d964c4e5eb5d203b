#include "meldpunt/tz.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only the transition table is used. Debian ships "fat" TZif files whose
 * tables run to 2037; past the last transition the last offset holds, which
 * is wrong only for daylight-saving zones after 2037. */
struct mp_tz {
    int64_t *trans; /* transition instants, ascending */
    int32_t *off;   /* offset in force from trans[i] on */
    size_t n;
    int32_t off_before; /* offset before the first transition */
};

#define TZ_MAX_FILE (256 * 1024)

static int64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return (int64_t)v;
}

static int32_t be32(const unsigned char *p)
{
    return (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
                     p[3]);
}

static bool name_ok(const char *name)
{
    if (!name || !*name || strlen(name) > 64 || strstr(name, "..") || name[0] == '/')
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '/'))
            return false;
    }
    return true;
}

static enum mp_status parse(const unsigned char *d, size_t len, struct mp_tz *tz)
{
    if (len < 44 || memcmp(d, "TZif", 4) != 0)
        return MP_EINVAL;
    /* counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
    size_t c[6];
    for (int i = 0; i < 6; i++)
        c[i] = (size_t)(uint32_t)be32(d + 20 + 4 * i);
    size_t skip = c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    int tsize = 4;
    const unsigned char *p = d + 44;
    if (d[4] >= '2') { /* skip the 32-bit block and use the 64-bit one */
        if (skip > len - 44 || len - 44 - skip < 44)
            return MP_EINVAL;
        p += skip;
        if (memcmp(p, "TZif", 4) != 0)
            return MP_EINVAL;
        for (int i = 0; i < 6; i++)
            c[i] = (size_t)(uint32_t)be32(p + 20 + 4 * i);
        p += 44;
        tsize = 8;
    }
    size_t timecnt = c[3], typecnt = c[4];
    size_t need = timecnt * (size_t)tsize + timecnt + typecnt * 6;
    if (typecnt == 0 || typecnt > 256 || timecnt > 10000 || need > (size_t)(d + len - p))
        return MP_EINVAL;
    const unsigned char *times = p, *idx = p + timecnt * (size_t)tsize, *types = idx + timecnt;
    tz->trans = malloc((timecnt ? timecnt : 1) * sizeof *tz->trans);
    tz->off = malloc((timecnt ? timecnt : 1) * sizeof *tz->off);
    if (!tz->trans || !tz->off)
        return MP_ENOMEM;
    for (size_t i = 0; i < timecnt; i++) {
        if (idx[i] >= typecnt)
            return MP_EINVAL;
        tz->trans[i] = tsize == 8 ? be64(times + 8 * i) : be32(times + 4 * i);
        tz->off[i] = be32(types + 6 * idx[i]);
    }
    tz->n = timecnt;
    /* RFC 8536: the first non-DST type (else type 0) applies before the first transition. */
    tz->off_before = be32(types);
    for (size_t t = 0; t < typecnt; t++) {
        if (types[6 * t + 4] == 0) {
            tz->off_before = be32(types + 6 * t);
            break;
        }
    }
    return MP_OK;
}

enum mp_status mp_tz_load(const char *name, struct mp_tz **out, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_tz *tz = NULL;
    unsigned char *data = NULL;
    FILE *f = NULL;
    char path[160];
    *out = NULL;

    if (!name_ok(name)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_timezone", "bad time zone name");
        goto out;
    }
    tz = calloc(1, sizeof *tz);
    if (!tz) {
        rc = MP_ENOMEM;
        goto out;
    }
    if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
        *out = tz; /* no transitions, offset 0 */
        tz = NULL;
        goto out;
    }
    int n = snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    if (n < 0 || (size_t)n >= sizeof path) {
        rc = mp_fail(err, MP_EINVAL, "invalid_timezone", "time zone name too long");
        goto out;
    }
    f = fopen(path, "rb");
    if (!f) {
        rc = mp_fail(err, MP_EINVAL, "invalid_timezone",
                     "unknown time zone %.60s (is tzdata installed?)", name);
        goto out;
    }
    data = malloc(TZ_MAX_FILE);
    if (!data) {
        rc = MP_ENOMEM;
        goto out;
    }
    size_t len = fread(data, 1, TZ_MAX_FILE, f);
    rc = parse(data, len, tz);
    if (rc) {
        rc = mp_fail(err, rc, "invalid_timezone", "cannot read time zone file for %.60s", name);
        goto out;
    }
    *out = tz;
    tz = NULL;
out:
    if (f)
        fclose(f);
    free(data);
    mp_tz_free(tz);
    return rc;
}

void mp_tz_free(struct mp_tz *tz)
{
    if (!tz)
        return;
    free(tz->trans);
    free(tz->off);
    free(tz);
}

int64_t mp_tz_offset(const struct mp_tz *tz, int64_t t)
{
    if (tz->n == 0 || t < tz->trans[0])
        return tz->off_before;
    size_t lo = 0, hi = tz->n; /* last index with trans <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->off[lo];
}

int64_t mp_tz_local_to_utc(const struct mp_tz *tz, int64_t local)
{
    /* Try the offsets in force a day either side; prefer the earlier instant. */
    int64_t a = local - mp_tz_offset(tz, local - 86400);
    int64_t b = local - mp_tz_offset(tz, local + 86400);
    bool a_ok = a + mp_tz_offset(tz, a) == local, b_ok = b + mp_tz_offset(tz, b) == local;
    if (a_ok && b_ok)
        return a < b ? a : b;
    if (a_ok)
        return a;
    if (b_ok)
        return b;
    /* In a gap (spring forward): the wall time does not exist; move forward. */
    return a > b ? a : b;
}
