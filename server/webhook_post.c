/* webhook_post.c - one HTTP POST through libcurl (webhook_post.h). */
#include "meldpunt/webhook_post.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void global_init(void) { global_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* The receiver's answer is not ours to keep. */
static size_t discard(char *ptr, size_t size, size_t n, void *arg)
{
    (void)ptr;
    (void)arg;
    return size * n;
}

bool mp_webhook_post(const char *url, const char *ctype, const char *const *headers,
                     const char *body, size_t len, unsigned timeout_s, long *status, char *why,
                     size_t cap)
{
    struct curl_slist *list = NULL, *more;
    char line[160];
    bool ok = false;
    *status = 0;
    snprintf(why, cap, "cannot start the request");
    pthread_once(&global_once, global_init);
    CURL *c = global_rc == CURLE_OK ? curl_easy_init() : NULL;
    if (!c)
        return false;
    snprintf(line, sizeof line, "Content-Type: %s", ctype);
    if (!(list = curl_slist_append(NULL, line)))
        goto out;
    for (size_t i = 0; headers && headers[i]; i++) {
        if (!(more = curl_slist_append(list, headers[i])))
            goto out;
        list = more;
    }
    /* No "Expect: 100-continue": one round trip, whatever the body's size. */
    if (!(more = curl_slist_append(list, "Expect:")))
        goto out;
    list = more;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "meldpunt-webhook/1");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(timeout_s ? timeout_s : 10));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        snprintf(why, cap, "%s",
                 rc == CURLE_COULDNT_CONNECT      ? "could not connect"
                 : rc == CURLE_OPERATION_TIMEDOUT ? "timed out"
                                                  : curl_easy_strerror(rc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    ok = *status >= 200 && *status < 300;
    snprintf(why, cap, ok ? "" : "http %ld", *status);
out:
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return ok;
}
