/* mail_smtp.c - SMTP delivery through libcurl (mail_smtp.h). */
#include "meldpunt/mail_smtp.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mp_smtp {
    CURL *curl;
    char *url;
    bool plain;
    unsigned timeout_s;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void) { global_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

enum mp_status mp_smtp_open(const char *url, bool plain, unsigned timeout_s, struct mp_smtp **out,
                            struct mp_error *err)
{
    *out = NULL;
    if (!url || (strncmp(url, "smtp://", 7) != 0 && strncmp(url, "smtps://", 8) != 0))
        return mp_fail(err, MP_EINVAL, "config",
                       "MELDPUNT_SMTP_URL must be smtp://host:port or smtps://host:port");
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return mp_fail(err, MP_EIO, "smtp", "cannot initialise libcurl");
    struct mp_smtp *s = calloc(1, sizeof *s);
    if (!s || !(s->url = strdup(url)) || !(s->curl = curl_easy_init())) {
        mp_smtp_close(s);
        return MP_ENOMEM;
    }
    s->plain = plain;
    s->timeout_s = timeout_s ? timeout_s : 60;
    *out = s;
    return MP_OK;
}

void mp_smtp_close(struct mp_smtp *s)
{
    if (!s)
        return;
    if (s->curl)
        curl_easy_cleanup(s->curl);
    free(s->url);
    free(s);
}

struct upload {
    const char *data;
    size_t len, pos;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *p)
{
    struct upload *u = p;
    size_t room = size * nitems, left = u->len - u->pos;
    size_t n = left < room ? left : room;
    memcpy(buf, u->data + u->pos, n);
    u->pos += n;
    return n;
}

/* The relay cannot be reached, or refused the session (TLS, AUTH): not a
 * verdict on one message. */
static bool unreachable(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_USE_SSL_FAILED:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_LOGIN_DENIED: return true;
    default: return false;
    }
}

/* The connection broke (also a kept one the relay had closed). */
static bool broken(CURLcode c)
{
    return c == CURLE_SEND_ERROR || c == CURLE_RECV_ERROR || c == CURLE_GOT_NOTHING;
}

static CURLcode perform(struct mp_smtp *s, const char *from, struct curl_slist *rcpts,
                        struct upload *u, bool fresh, long *code)
{
    CURL *c = s->curl;
    u->pos = 0;
    *code = 0;
    curl_easy_reset(c); /* keeps the open connection; options start afresh */
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)(s->plain ? CURLUSESSL_NONE : CURLUSESSL_ALL));
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, u);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)s->timeout_s);
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    return rc;
}

enum mp_smtp_result mp_smtp_send(struct mp_smtp *s, const char *from, const char *rcpt,
                                 const char *msg, size_t len, char *why, size_t cap)
{
    char env_from[300], env_rcpt[300];
    struct curl_slist *rcpts = NULL;
    struct upload u = {msg, len, 0};
    enum mp_smtp_result res;
    long code = 0;
    if (cap)
        why[0] = '\0';
    int a = snprintf(env_from, sizeof env_from, "<%s>", from);
    int b = snprintf(env_rcpt, sizeof env_rcpt, "<%s>", rcpt);
    if (a < 0 || (size_t)a >= sizeof env_from || b < 0 || (size_t)b >= sizeof env_rcpt) {
        snprintf(why, cap, "address too long");
        return MP_SMTP_PERMFAIL;
    }
    if (!(rcpts = curl_slist_append(NULL, env_rcpt))) {
        snprintf(why, cap, "out of memory");
        return MP_SMTP_TEMPFAIL;
    }
    CURLcode rc = perform(s, env_from, rcpts, &u, false, &code);
    /* A kept connection the relay closed meanwhile: once more on a new one. */
    if (broken(rc) && code == 0)
        rc = perform(s, env_from, rcpts, &u, true, &code);
    if (rc == CURLE_OK) {
        res = MP_SMTP_SENT;
    } else if (unreachable(rc)) {
        res = MP_SMTP_DOWN;
    } else if (code >= 500 && code < 600) {
        res = MP_SMTP_PERMFAIL;
    } else if (code >= 400 && code < 500) {
        res = code == 421 ? MP_SMTP_DOWN : MP_SMTP_TEMPFAIL;
    } else {
        res = broken(rc) ? MP_SMTP_DOWN : MP_SMTP_TEMPFAIL;
    }
    /* curl's own text for the code and the reply code: never the reply
     * text, which may carry the address. */
    if (res != MP_SMTP_SENT) {
        if (code)
            snprintf(why, cap, "smtp %ld: %s", code, curl_easy_strerror(rc));
        else
            snprintf(why, cap, "%s", curl_easy_strerror(rc));
    }
    curl_slist_free_all(rcpts);
    return res;
}
