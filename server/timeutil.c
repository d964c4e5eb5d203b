#include "meldpunt/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t mp_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

/* Howard Hinnant's civil-calendar algorithms: exact for the proleptic
 * Gregorian calendar without touching the C library's time zone state. */
int64_t mp_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void mp_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

void mp_time_format(int64_t t, char *out, size_t cap)
{
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days -= 1;
    }
    int y;
    unsigned m, d;
    mp_civil_from_days(days, &y, &m, &d);
    /* Digits by hand: printf was a visible cost on pages of a thousand.
     * Years outside 0-9999 cannot be written in this form: clamp them. */
    if (cap < 21) {
        if (cap)
            out[0] = '\0';
        return;
    }
    y = y < 0 ? 0 : y > 9999 ? 9999 : y;
    unsigned h = (unsigned)(secs / 3600), mi = (unsigned)(secs / 60 % 60),
             s = (unsigned)(secs % 60), yy = (unsigned)y;
    char *o = out;
    *o++ = (char)('0' + yy / 1000), *o++ = (char)('0' + yy / 100 % 10);
    *o++ = (char)('0' + yy / 10 % 10), *o++ = (char)('0' + yy % 10), *o++ = '-';
    *o++ = (char)('0' + m / 10), *o++ = (char)('0' + m % 10), *o++ = '-';
    *o++ = (char)('0' + d / 10), *o++ = (char)('0' + d % 10), *o++ = 'T';
    *o++ = (char)('0' + h / 10), *o++ = (char)('0' + h % 10), *o++ = ':';
    *o++ = (char)('0' + mi / 10), *o++ = (char)('0' + mi % 10), *o++ = ':';
    *o++ = (char)('0' + s / 10), *o++ = (char)('0' + s % 10), *o++ = 'Z';
    *o = '\0';
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

enum mp_status mp_time_parse(const char *s, int64_t tz_default, int64_t *out)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        return MP_EINVAL;
    if (y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return MP_EINVAL;
    int64_t offset = tz_default;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return MP_EINVAL;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &se))
                return MP_EINVAL;
            if (*p == '.' || *p == ',') { /* fractions are accepted and dropped */
                p++;
                if (!isdigit((unsigned char)*p))
                    return MP_EINVAL;
                while (isdigit((unsigned char)*p))
                    p++;
            }
        }
        if (h > 23 || mi > 59 || se > 60)
            return MP_EINVAL;
        if (*p == 'Z' || *p == 'z') {
            offset = 0;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om = 0;
            p++;
            if (digits(&p, 2, &oh))
                return MP_EINVAL;
            if (*p == ':') { /* +HH:MM: the minutes must follow */
                p++;
                if (digits(&p, 2, &om))
                    return MP_EINVAL;
            } else if (isdigit((unsigned char)*p) && digits(&p, 2, &om)) {
                return MP_EINVAL;
            }
            if (oh > 14 || om > 59)
                return MP_EINVAL;
            offset = sign * (oh * 3600 + om * 60);
        }
    } else if (*p == 'Z') {
        offset = 0;
        p++;
    }
    if (*p != '\0')
        return MP_EINVAL;
    if (se == 60)
        se = 59; /* leap second: clamp rather than reject */
    *out = mp_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se -
           offset;
    return MP_OK;
}
