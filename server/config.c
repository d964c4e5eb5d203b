#include "meldpunt/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mp_config_defaults(struct mp_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->db_path, sizeof c->db_path, "var/meldpunt.sqlite");
    snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
    c->listen_port = 8080;
    snprintf(c->city_dir, sizeof c->city_dir, "geodata/chicago");
    snprintf(c->web_dir, sizeof c->web_dir, "web");
    snprintf(c->vendor_dir, sizeof c->vendor_dir, "node_modules");
    c->threads = 0;
    c->max_body = 64 * 1024;
    c->max_upload = 10 * 1024 * 1024;
    c->max_page = 5000;
    c->default_page = 1000;
    c->conn_timeout_s = 30;
    c->max_conns = 4096;
    c->max_conns_per_ip = 64;
    c->head_timeout_s = 10;
    c->body_min_rate = 1024;
    c->export_min_rate = 4096;
    c->export_max_s = 3600;
    c->grid_max_cells = 1024;
    c->max_exports = 4;
    c->sync_full = true;
    c->access_log = true;
    c->rate_writes = 5;
    c->rate_burst = 60;
    c->mail_rate = 10;
    c->mail_retry_s = 30;
    c->webhook_retry_s = 30;
    c->webhook_give_up_s = 48 * 3600;
    c->rate_reads = 10;
    c->rate_reads_burst = 40;
}

enum mp_status mp_config_set_str(char *dst, size_t cap, const char *value, const char *what,
                                 struct mp_error *err)
{
    size_t n = strlen(value);
    if (n >= cap)
        return mp_fail(err, MP_EINVAL, "config", "%s is too long (at most %zu bytes)", what,
                       cap - 1);
    memcpy(dst, value, n + 1);
    return MP_OK;
}

static enum mp_status parse_uint(const char *s, unsigned long max, unsigned long *out,
                                 const char *what, struct mp_error *err)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > max || s[0] == '-')
        return mp_fail(err, MP_EINVAL, "config", "%s must be a whole number up to %lu", what, max);
    *out = v;
    return MP_OK;
}

enum mp_status mp_config_set_listen(struct mp_config *c, const char *hp, struct mp_error *err)
{
    const char *colon = strrchr(hp, ':');
    unsigned long port = 0;
    if (!colon || colon == hp)
        return mp_fail(err, MP_EINVAL, "config", "listen address must be HOST:PORT");
    size_t hl = (size_t)(colon - hp);
    if (hl >= sizeof c->listen_host)
        return mp_fail(err, MP_EINVAL, "config", "listen host too long");
    enum mp_status rc = parse_uint(colon + 1, 65535, &port, "port", err);
    if (rc)
        return rc;
    memcpy(c->listen_host, hp, hl);
    c->listen_host[hl] = '\0';
    c->listen_port = (unsigned)port;
    return MP_OK;
}

enum mp_status mp_config_set_public_url(struct mp_config *c, const char *url,
                                        struct mp_error *err)
{
    size_t n = strlen(url), scheme = strncmp(url, "https://", 8) == 0  ? 8
                                     : strncmp(url, "http://", 7) == 0 ? 7
                                                                       : 0;
    while (n > scheme && url[n - 1] == '/')
        n--;
    const char *host = url + scheme, *slash = memchr(host, '/', n - scheme);
    size_t hl = slash ? (size_t)(slash - host) : n - scheme;
    bool ok = scheme && n < sizeof c->public_url && mp_proxy_host_ok(host, hl);
    /* The path goes into links as it is: only URL path characters. */
    for (size_t i = scheme + hl; ok && i < n; i++)
        ok = url[i] > 0x20 && url[i] < 0x7f && !strchr("\"<>\\^`{|}?#", url[i]);
    if (!ok)
        return mp_fail(err, MP_EINVAL, "config",
                       "MELDPUNT_PUBLIC_URL must be http(s)://host[:port][/path], e.g. "
                       "https://reports.city.example");
    memcpy(c->public_url, url, n);
    c->public_url[n] = '\0';
    return MP_OK;
}

/* The reporters' mail settings (outbox.h). */
static enum mp_status mail_from_env(struct mp_config *c, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    const char *v;
    unsigned long n = 0;
    if ((v = getenv("MELDPUNT_SMTP_URL")) &&
        (rc = mp_config_set_str(c->smtp_url, sizeof c->smtp_url, v, "MELDPUNT_SMTP_URL", err)))
        return rc;
    if ((v = getenv("MELDPUNT_SMTP_TLS")) && *v) {
        if (strcmp(v, "starttls") == 0)
            c->smtp_plain = false;
        else if (strcmp(v, "none") == 0)
            c->smtp_plain = true;
        else
            return mp_fail(err, MP_EINVAL, "config", "MELDPUNT_SMTP_TLS must be starttls or none");
    }
    if ((v = getenv("MELDPUNT_MAIL_FROM")) &&
        (rc = mp_config_set_str(c->mail_from, sizeof c->mail_from, v, "MELDPUNT_MAIL_FROM", err)))
        return rc;
    if ((v = getenv("MELDPUNT_MAIL_RATE")) && *v) {
        if ((rc = parse_uint(v, 100000, &n, "MELDPUNT_MAIL_RATE", err)))
            return rc;
        c->mail_rate = (unsigned)n;
    }
    if ((v = getenv("MELDPUNT_MAIL_RETRY")) && *v) {
        if ((rc = parse_uint(v, 3600, &n, "MELDPUNT_MAIL_RETRY", err)) || n == 0)
            return rc ? rc : mp_fail(err, MP_EINVAL, "config", "MELDPUNT_MAIL_RETRY must be 1-3600");
        c->mail_retry_s = (unsigned)n;
    }
    if ((v = getenv("MELDPUNT_WEBHOOK_RETRY")) && *v) {
        if ((rc = parse_uint(v, 3600, &n, "MELDPUNT_WEBHOOK_RETRY", err)) || n == 0)
            return rc ? rc
                      : mp_fail(err, MP_EINVAL, "config", "MELDPUNT_WEBHOOK_RETRY must be 1-3600");
        c->webhook_retry_s = (unsigned)n;
    }
    if ((v = getenv("MELDPUNT_WEBHOOK_GIVE_UP")) && *v) {
        if ((rc = parse_uint(v, 30 * 86400, &n, "MELDPUNT_WEBHOOK_GIVE_UP", err)) || n == 0)
            return rc ? rc
                      : mp_fail(err, MP_EINVAL, "config",
                                "MELDPUNT_WEBHOOK_GIVE_UP must be 1-2592000 seconds");
        c->webhook_give_up_s = (unsigned)n;
    }
    return MP_OK;
}

static enum mp_status env_uint(const char *name, unsigned long min, unsigned long max,
                               unsigned *out, struct mp_error *err)
{
    const char *v = getenv(name);
    unsigned long n = 0;
    enum mp_status rc;
    if (!v || !*v)
        return MP_OK;
    if ((rc = parse_uint(v, max, &n, name, err)))
        return rc;
    if (n < min)
        return mp_fail(err, MP_EINVAL, "config", "%s must be at least %lu", name, min);
    *out = (unsigned)n;
    return MP_OK;
}

enum mp_status mp_config_from_env(struct mp_config *c, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    const char *v;
    unsigned long n = 0;
    if ((v = getenv("MELDPUNT_DB")) && *v &&
        (rc = mp_config_set_str(c->db_path, sizeof c->db_path, v, "MELDPUNT_DB", err)))
        return rc;
    if ((v = getenv("MELDPUNT_LISTEN")) && *v && (rc = mp_config_set_listen(c, v, err)))
        return rc;
    if ((v = getenv("MELDPUNT_CITY")) && *v &&
        (rc = mp_config_set_str(c->city_dir, sizeof c->city_dir, v, "MELDPUNT_CITY", err)))
        return rc;
    if ((v = getenv("MELDPUNT_WEB")) && *v &&
        (rc = mp_config_set_str(c->web_dir, sizeof c->web_dir, v, "MELDPUNT_WEB", err)))
        return rc;
    if ((v = getenv("MELDPUNT_VENDOR")) && *v &&
        (rc = mp_config_set_str(c->vendor_dir, sizeof c->vendor_dir, v, "MELDPUNT_VENDOR", err)))
        return rc;
    if ((v = getenv("MELDPUNT_TILE_URL"))) {
        c->tiles_set = true;
        if ((rc = mp_config_set_str(c->tile_url, sizeof c->tile_url, v, "MELDPUNT_TILE_URL", err)))
            return rc;
    }
    if ((v = getenv("MELDPUNT_ADMIN_TOKEN")) && *v &&
        (rc = mp_config_set_str(c->admin_token, sizeof c->admin_token, v, "MELDPUNT_ADMIN_TOKEN",
                                err)))
        return rc;
    if ((v = getenv("MELDPUNT_THREADS")) && *v) {
        if ((rc = parse_uint(v, 256, &n, "MELDPUNT_THREADS", err)))
            return rc;
        c->threads = (unsigned)n;
    }
    if ((v = getenv("MELDPUNT_MAX_BODY")) && *v) {
        if ((rc = parse_uint(v, 64ul << 20, &n, "MELDPUNT_MAX_BODY", err)))
            return rc;
        c->max_body = n;
    }
    if ((v = getenv("MELDPUNT_MAX_UPLOAD")) && *v) {
        if ((rc = parse_uint(v, 256ul << 20, &n, "MELDPUNT_MAX_UPLOAD", err)))
            return rc;
        c->max_upload = n;
    }
    if ((v = getenv("MELDPUNT_MAX_EXPORTS")) && *v) {
        if ((rc = parse_uint(v, 256, &n, "MELDPUNT_MAX_EXPORTS", err)) || n == 0)
            return rc ? rc : mp_fail(err, MP_EINVAL, "config", "MELDPUNT_MAX_EXPORTS must be 1+");
        c->max_exports = (unsigned)n;
    }
    if ((v = getenv("MELDPUNT_RATE_WRITES")) && *v) {
        if ((rc = parse_uint(v, 1000000, &n, "MELDPUNT_RATE_WRITES", err)))
            return rc;
        c->rate_writes = (double)n;
    }
    if ((v = getenv("MELDPUNT_RATE_BURST")) && *v) {
        if ((rc = parse_uint(v, 1000000, &n, "MELDPUNT_RATE_BURST", err)) || n == 0)
            return rc ? rc : mp_fail(err, MP_EINVAL, "config", "MELDPUNT_RATE_BURST must be 1+");
        c->rate_burst = (double)n;
    }
    unsigned reads = (unsigned)c->rate_reads, reads_burst = (unsigned)c->rate_reads_burst;
    if ((rc = env_uint("MELDPUNT_RATE_READS", 0, 1000000, &reads, err)) ||
        (rc = env_uint("MELDPUNT_RATE_READS_BURST", 1, 1000000, &reads_burst, err)))
        return rc;
    c->rate_reads = reads;
    c->rate_reads_burst = reads_burst;
    if ((v = getenv("MELDPUNT_CORS_ORIGINS")) &&
        (rc = mp_config_set_str(c->cors_origins, sizeof c->cors_origins, v,
                                "MELDPUNT_CORS_ORIGINS", err)))
        return rc;
    if ((v = getenv("MELDPUNT_TRUSTED_PROXIES"))) {
        struct mp_proxy_list l;
        if ((rc = mp_proxy_parse(v, &l, err)))
            return rc;
        c->trusted_proxies = l;
    }
    if ((v = getenv("MELDPUNT_PUBLIC_URL")) && *v && (rc = mp_config_set_public_url(c, v, err)))
        return rc;
    if ((rc = env_uint("MELDPUNT_MAX_CONNECTIONS", 16, 1u << 20, &c->max_conns, err)) ||
        (rc = env_uint("MELDPUNT_CONNECTIONS_PER_ADDRESS", 0, 1u << 20, &c->max_conns_per_ip,
                       err)) ||
        (rc = env_uint("MELDPUNT_HEAD_TIMEOUT", 1, 3600, &c->head_timeout_s, err)) ||
        (rc = env_uint("MELDPUNT_BODY_MIN_RATE", 0, 1u << 30, &c->body_min_rate, err)) ||
        (rc = env_uint("MELDPUNT_EXPORT_MIN_RATE", 0, 1u << 30, &c->export_min_rate, err)) ||
        (rc = env_uint("MELDPUNT_EXPORT_MAX_SECONDS", 0, 7u * 24 * 3600, &c->export_max_s, err)) ||
        (rc = env_uint("MELDPUNT_GRID_MAX_CELLS", 16, 1u << 20, &c->grid_max_cells, err)))
        return rc;
    if ((v = getenv("MELDPUNT_PG_EXPERIMENTAL")) && *v) {
        if (strcmp(v, "1") != 0 && strcmp(v, "0") != 0)
            return mp_fail(err, MP_EINVAL, "config", "MELDPUNT_PG_EXPERIMENTAL must be 0 or 1");
        c->pg_experimental = v[0] == '1';
    }
    if ((v = getenv("MELDPUNT_SYNC")) && *v) {
        if (strcmp(v, "full") == 0)
            c->sync_full = true;
        else if (strcmp(v, "normal") == 0)
            c->sync_full = false;
        else
            return mp_fail(err, MP_EINVAL, "config", "MELDPUNT_SYNC must be full or normal");
    }
    if ((v = getenv("MELDPUNT_ACCESS_LOG")) && *v) {
        if (strcmp(v, "on") == 0)
            c->access_log = true;
        else if (strcmp(v, "off") == 0)
            c->access_log = false;
        else
            return mp_fail(err, MP_EINVAL, "config", "MELDPUNT_ACCESS_LOG must be on or off");
    }
    if ((v = getenv("MELDPUNT_METRICS_TOKEN")) && *v) {
        /* The token travels in a header: printable ASCII without spaces. */
        for (const char *p = v; *p; p++)
            if (*p <= ' ' || *p >= 0x7f)
                return mp_fail(err, MP_EINVAL, "config",
                               "MELDPUNT_METRICS_TOKEN must be printable ASCII without spaces");
        if (strlen(v) < 16)
            return mp_fail(err, MP_EINVAL, "config",
                           "MELDPUNT_METRICS_TOKEN must be at least 16 characters");
        if ((rc = mp_config_set_str(c->metrics_token, sizeof c->metrics_token, v,
                                    "MELDPUNT_METRICS_TOKEN", err)))
            return rc;
    }
    return mail_from_env(c, err);
}
