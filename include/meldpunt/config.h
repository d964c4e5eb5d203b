/* config.h - run-time settings from the command line and the environment
 * (MELDPUNT_*), filled by main.c and const once the server runs.
 */
#ifndef MELDPUNT_CONFIG_H
#define MELDPUNT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "meldpunt/proxy.h"
#include "meldpunt/status.h"

struct mp_config {
    char db_path[512];
    char listen_host[64];
    unsigned listen_port;  /* 0 = any free port (tests) */
    char city_dir[512];
    char web_dir[512];
    char vendor_dir[512];  /* node_modules folder holding leaflet/dist */
    unsigned threads;      /* HTTP worker threads; 0 = number of cores */
    size_t max_body;       /* JSON bodies */
    size_t max_upload;     /* multipart bodies (photos) */
    size_t max_page;       /* features per page at most */
    size_t default_page;
    unsigned conn_timeout_s;  /* idle: libmicrohttpd closes a silent connection */
    unsigned max_conns;       /* connections held at once (raised to fit RLIMIT_NOFILE) */
    unsigned max_conns_per_ip;/* per direct client address; trusted proxies exempt */
    unsigned head_timeout_s;  /* a request head must be complete within this (connguard.h) */
    unsigned body_min_rate;   /* bytes/s a request body must average after head_timeout_s */
    unsigned export_min_rate; /* bytes/s a client must take of an export after head_timeout_s */
    unsigned export_max_s;    /* seconds an export may stream at most; 0 = no limit */
    unsigned grid_max_cells;  /* grid answers span at most this many cells (coarser zoom) */
    unsigned max_exports;  /* whole exports streaming at once */
    bool sync_full;
    bool tiles_set;        /* tile_url was configured (may be empty = off) */
    char tile_url[512];
    char admin_token[128];
    double rate_writes;    /* writes per second per client address; 0 = no limit */
    double rate_burst;     /* writes a client may make at once */
    double rate_reads;     /* expensive reads per second per client (mp_req_take_read); 0 = off */
    double rate_reads_burst;
    char cors_origins[512];/* comma-separated origins allowed cross-site; "" = none */
    struct mp_proxy_list trusted_proxies; /* whose X-Forwarded-* are believed */
    char public_url[256];  /* scheme://host[:port][/path], no trailing slash; "" = none */
    bool pg_experimental;  /* MELDPUNT_PG_EXPERIMENTAL=1: serve on an engine that lacks
                              store operations (they answer MP_EUNSUPPORTED) */
    /* Reporters' mail (outbox.h): */
    char smtp_url[512];    /* MELDPUNT_SMTP_URL; "" = mail stays queued */
    bool smtp_plain;       /* MELDPUNT_SMTP_TLS=none: smtp:// without STARTTLS */
    char mail_from[256];   /* MELDPUNT_MAIL_FROM: the sender's address */
    unsigned mail_rate;    /* MELDPUNT_MAIL_RATE: mails per address and hour; 0 = no limit */
    unsigned mail_retry_s; /* MELDPUNT_MAIL_RETRY: seconds before the first retry */
    unsigned webhook_retry_s;   /* MELDPUNT_WEBHOOK_RETRY: the first retry of a delivery */
    unsigned webhook_give_up_s; /* MELDPUNT_WEBHOOK_GIVE_UP: a delivery fails after this */
    bool access_log;       /* one JSON line per request on stdout (accesslog.h) */
    char metrics_token[128];/* bearer token for /metrics from elsewhere; "" = loopback only */
};

/* Defaults: var/meldpunt.sqlite, 127.0.0.1:8080, geodata/chicago, web, ... */
void mp_config_defaults(struct mp_config *c);
/* Apply MELDPUNT_* environment variables (see README). */
enum mp_status mp_config_from_env(struct mp_config *c, struct mp_error *err) MP_WUR;
/* Parse "HOST:PORT" into the config. */
enum mp_status mp_config_set_listen(struct mp_config *c, const char *hostport,
                                    struct mp_error *err) MP_WUR;
/* Parse and set the public base URL (MELDPUNT_PUBLIC_URL): http or https, a
 * host, an optional port and path; a trailing slash is dropped. */
enum mp_status mp_config_set_public_url(struct mp_config *c, const char *url,
                                        struct mp_error *err) MP_WUR;
/* Copy a path setting with a bound check. */
enum mp_status mp_config_set_str(char *dst, size_t cap, const char *value, const char *what,
                                 struct mp_error *err) MP_WUR;

#endif
