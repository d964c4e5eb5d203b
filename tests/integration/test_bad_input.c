/* test_bad_input.c - malformed requests against a live server, table-driven
 * from tests/integration/bad_requests.tsv (see its header for the columns).
 *
 * Every row must get its status and error code, in the error body shape
 * {"error":{"code":"...","message":"..."}}; 405 answers must carry Allow.
 * All rows run even when some fail, so that one run lists every deviation.
 * Afterwards the server must still answer and must hold no new report. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#define GOOD "\"category\":\"pothole\",\"lat\":41.8966852,\"lon\":-87.6282051"

/* A server on an empty database, then report 1. */
static int setup(void **state)
{
    it_setup_server(state);
    struct it_fixture *f = *state;
    /* The table refers to report 1 in cluster 1, a pothole. */
    json_t *j = it_post_report(&f->s, "pothole", 41.8966852, -87.6282051, NULL);
    assert_int_equal(json_integer_value(it_jpath(j, "report.id")), 1);
    assert_int_equal(json_integer_value(it_jpath(j, "cluster.id")), 1);
    json_decref(j);
    return 0;
}

/* ---- the table ---- */

struct body {
    char *data; /* NULL: no body */
    size_t len;
};

static void body_add(struct body *b, size_t *cap, const void *p, size_t n)
{
    if (b->len + n + 1 > *cap) {
        while (b->len + n + 1 > *cap)
            *cap = *cap ? *cap * 2 : 256;
        b->data = realloc(b->data, *cap);
        assert_non_null(b->data);
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void body_fill(struct body *b, size_t *cap, char c, size_t n)
{
    char chunk[1024];
    memset(chunk, c, sizeof chunk);
    while (n) {
        size_t k = n < sizeof chunk ? n : sizeof chunk;
        body_add(b, cap, chunk, k);
        n -= k;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode the body column; returns false on a malformed cell. */
static bool make_body(const char *cell, struct body *b)
{
    size_t cap = 0;
    b->data = NULL;
    b->len = 0;
    if (strcmp(cell, "-") == 0)
        return true;
    if (cell[0] == '@') {
        char kind[16];
        size_t n = 0;
        if (sscanf(cell, "@%15[a-z]:%zu", kind, &n) != 2)
            return false;
        if (strcmp(kind, "big") == 0) {
            /* A report whose description pads the body to exactly n bytes. */
            static const char head[] = "{" GOOD ",\"description\":\"", tail[] = "\"}";
            if (n < sizeof head + sizeof tail)
                return false;
            body_add(b, &cap, head, sizeof head - 1);
            body_fill(b, &cap, 'a', n - (sizeof head - 1) - (sizeof tail - 1));
            body_add(b, &cap, tail, sizeof tail - 1);
        } else if (strcmp(kind, "desc") == 0 || strcmp(kind, "addr") == 0) {
            const char *head = kind[0] == 'd' ? "{" GOOD ",\"description\":\""
                                              : "{" GOOD ",\"address\":\"";
            body_add(b, &cap, head, strlen(head));
            body_fill(b, &cap, kind[0], n);
            body_add(b, &cap, "\"}", 2);
        } else if (strcmp(kind, "nest") == 0) {
            body_fill(b, &cap, '[', n);
            body_fill(b, &cap, ']', n);
        } else if (strcmp(kind, "notsame") == 0) {
            body_add(b, &cap, "{" GOOD ",\"not_same_as\":[", strlen("{" GOOD ",\"not_same_as\":["));
            for (size_t i = 0; i < n; i++) {
                char num[32];
                int k = snprintf(num, sizeof num, "%s%zu", i ? "," : "", i + 2);
                body_add(b, &cap, num, (size_t)k);
            }
            body_add(b, &cap, "]}", 2);
        } else {
            return false;
        }
        return true;
    }
    body_add(b, &cap, "", 0);
    for (const char *p = cell; *p; p++) {
        char c = *p;
        if (c == '\\') {
            p++;
            switch (*p) {
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case '\\': c = '\\'; break;
            case 'x': {
                int hi = hexval(p[1]), lo = hi >= 0 ? hexval(p[2]) : -1;
                if (lo < 0)
                    return false;
                c = (char)(hi * 16 + lo);
                p += 2;
                break;
            }
            default:
                return false;
            }
        }
        body_add(b, &cap, &c, 1);
    }
    return true;
}

/* Split a line into n tab-separated cells in place. */
static size_t split_tabs(char *line, char **cells, size_t max)
{
    size_t n = 0;
    for (char *p = line; p && n < max;) {
        cells[n++] = p;
        p = strchr(p, '\t');
        if (p)
            *p++ = '\0';
    }
    return n;
}

/* Append "; "-separated text to the reason for a deviation. */
__attribute__((format(printf, 3, 4))) static void why_add(char *why, size_t cap,
                                                          const char *fmt, ...)
{
    size_t used = strlen(why);
    if (used && used + 2 < cap) {
        memcpy(why + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why + used, cap - used, fmt, ap);
    va_end(ap);
}

/* Check one answer; on a deviation fill why and return false. */
static bool check_row(const struct it_response *r, const char *method, long want_status,
                      const char *want_code, char *why, size_t cap)
{
    json_error_t je;
    why[0] = '\0';
    if (r->status != want_status)
        why_add(why, cap, "status %ld, want %ld", r->status, want_status);
    json_t *j = json_loadb(r->body, r->body_len, 0, &je);
    json_t *err = j ? json_object_get(j, "error") : NULL;
    json_t *code = err ? json_object_get(err, "code") : NULL;
    json_t *msg = err ? json_object_get(err, "message") : NULL;
    if (!j || !json_is_object(j) || json_object_size(j) != 1 || !json_is_object(err))
        why_add(why, cap, "body is not {\"error\":{...}}: %.160s", r->body);
    else if (!json_is_string(code) || !json_is_string(msg) || json_string_length(msg) == 0)
        why_add(why, cap, "error without a code or a message: %.160s", r->body);
    else if (strcmp(json_string_value(code), want_code) != 0 || why[0])
        why_add(why, cap, "code \"%s\" (want \"%s\"): %.120s", json_string_value(code),
                want_code, json_string_value(msg));
    json_decref(j);
    char ct[128];
    if (!why[0] &&
        (!it_header(r, "Content-Type", ct, sizeof ct) || strcmp(ct, "application/json") != 0))
        why_add(why, cap, "Content-Type is not application/json");
    if (!why[0] && want_status == 405) {
        char allow[128];
        if (!it_header(r, "Allow", allow, sizeof allow) || !allow[0])
            why_add(why, cap, "405 without an Allow header");
        else if (strstr(allow, method))
            why_add(why, cap, "Allow \"%s\" lists the refused method", allow);
    }
    return why[0] == '\0';
}

static void test_bad_requests_table(void **state)
{
    struct it_fixture *f = *state;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/integration/bad_requests.tsv", it_source_dir());
    char *text = it_read_file(path, NULL);
    if (!text)
        fail_msg("cannot read %s", path);
    size_t rows = 0, failed = 0, lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *c[8];
        if (split_tabs(line, c, 8) != 7)
            fail_msg("%s:%zu: want 7 tab-separated columns", path, lineno);
        struct body b;
        if (!make_body(c[3], &b))
            fail_msg("%s:%zu: malformed body cell %.60s", path, lineno, c[3]);
        char *end = NULL;
        long want = strtol(c[4], &end, 10);
        if (*end || want < 400 || want > 599)
            fail_msg("%s:%zu: bad status %s", path, lineno, c[4]);
        char cth[160];
        const char *hdrs[2] = {NULL, NULL};
        if (strcmp(c[2], "-") != 0) {
            snprintf(cth, sizeof cth, "Content-Type: %s", c[2]);
            hdrs[0] = cth;
        }
        struct it_response r;
        it_http(&f->s, c[0], c[1], hdrs, b.data, b.len, &r);
        char why[512];
        if (!check_row(&r, c[0], want, c[5], why, sizeof why)) {
            print_error("bad_requests.tsv:%zu (%s): %s %s -> %s\n", lineno, c[6], c[0], c[1],
                        why);
            failed++;
        }
        rows++;
        it_response_free(&r);
        free(b.data);
    }
    free(text);
    print_message("%zu rows, %zu as expected, %zu deviating\n", rows, rows - failed, failed);
    assert_true(rows >= 60);

    /* The server kept serving and no bad request left a report behind. */
    json_t *h = it_get_json(&f->s, "/healthz");
    assert_string_equal(json_string_value(json_object_get(h, "status")), "ok");
    json_int_t reports = json_integer_value(json_object_get(h, "reports"));
    json_decref(h);
    if (reports != 1)
        print_error("%lld reports after the table; want 1 (a bad request was stored)\n",
                    (long long)reports);
    assert_int_equal(failed, 0);
    assert_int_equal(reports, 1);
}

/* The exact Allow lists: what a client may do instead. */
static void test_allow_headers(void **state)
{
    struct it_fixture *f = *state;
    static const struct {
        const char *method, *path, *allow;
    } cases[] = {
        {"DELETE", "/api/v1/reports", "GET, HEAD, POST"},
        {"PUT", "/api/v1/reports/1", "GET, HEAD"},
        {"POST", "/api/v1/categories", "GET, HEAD"},
        {"PUT", "/healthz", "GET, HEAD"},
        {"POST", "/", "GET, HEAD"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct it_response r;
        it_http(&f->s, cases[i].method, cases[i].path, NULL, NULL, 0, &r);
        assert_int_equal(r.status, 405);
        char allow[128];
        assert_true(it_header(&r, "Allow", allow, sizeof allow));
        assert_string_equal(allow, cases[i].allow);
        it_response_free(&r);
    }
}

/* A chunked body has no Content-Length to refuse up front: the limit must
 * hold while it streams in. */
static void test_chunked_body_over_limit(void **state)
{
    struct it_fixture *f = *state;
    size_t n = 200 * 1024;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    static const char *const h[] = {"Content-Type: application/json",
                                    "Transfer-Encoding: chunked", NULL};
    struct it_response r;
    it_http(&f->s, "POST", "/api/v1/reports", h, big, n, &r);
    free(big);
    assert_int_equal(r.status, 413);
    json_t *j = it_json(&r);
    assert_string_equal(json_string_value(it_jpath(j, "error.code")), "body_too_large");
    json_decref(j);
    it_response_free(&r);
}

/* Raw bytes on a socket: what curl will not send. */
static void raw_exchange(const struct it_server *s, const char *req, size_t len, char *out,
                         size_t cap, bool half_close)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)s->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
    if (half_close)
        shutdown(fd, SHUT_WR);
    size_t got = 0;
    if (out) {
        ssize_t k;
        while (got + 1 < cap && (k = recv(fd, out + got, cap - 1 - got, 0)) > 0)
            got += (size_t)k;
        out[got] = '\0';
    }
    close(fd);
}

static void test_broken_connections(void **state)
{
    struct it_fixture *f = *state;
    char buf[4096];
    /* A body announced as 1000 bytes that stops after 20, then hang up. */
    static const char cut[] = "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\n"
                              "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                              "{\"category\":\"pothole";
    for (int i = 0; i < 5; i++)
        raw_exchange(&f->s, cut, sizeof cut - 1, NULL, 0, false);
    /* Garbage instead of a request line: answered with a 4xx, not a crash. */
    static const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n";
    raw_exchange(&f->s, junk, sizeof junk - 1, buf, sizeof buf, true);
    assert_true(strncmp(buf, "HTTP/1.", 7) != 0 || (buf[9] == '4'));
    /* A request line without HTTP version and headers without a colon. */
    static const char bad_hdr[] = "GET /healthz HTTP/1.1\r\nHost x\r\nnocolon\r\n\r\n";
    raw_exchange(&f->s, bad_hdr, sizeof bad_hdr - 1, buf, sizeof buf, true);
    assert_true(strncmp(buf, "HTTP/1.1 4", 10) == 0 || strncmp(buf, "HTTP/1.1 200", 12) == 0);

    /* Still serving, nothing stored. */
    json_t *h = it_get_json(&f->s, "/healthz");
    assert_int_equal(json_integer_value(json_object_get(h, "reports")), 1);
    json_decref(h);
}

/* Request lines and headers past libmicrohttpd's per-connection memory are
 * refused by libmicrohttpd itself (414 / 431, its own HTML body: there is no
 * hook for a JSON body), and the server goes on. */
static void test_oversized_request_head(void **state)
{
    struct it_fixture *f = *state;
    size_t n = 70000;
    char *path = malloc(n + 64);
    assert_non_null(path);
    int k = snprintf(path, n + 64, "/api/v1/reports?bbox=");
    memset(path + k, '1', n);
    path[(size_t)k + n] = '\0';
    struct it_response r;
    it_get(&f->s, path, &r);
    assert_int_equal(r.status, 414);
    it_response_free(&r);
    free(path);

    char *hdr = malloc(n + 16);
    assert_non_null(hdr);
    memcpy(hdr, "X-Padding: ", 11);
    memset(hdr + 11, 'x', n);
    hdr[11 + n] = '\0';
    const char *h[] = {hdr, NULL};
    it_http(&f->s, "GET", "/healthz", h, NULL, 0, &r);
    assert_int_equal(r.status, 431);
    it_response_free(&r);
    free(hdr);

    json_t *j = it_get_json(&f->s, "/healthz");
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_requests_table, setup, it_teardown_server),
        cmocka_unit_test_setup_teardown(test_allow_headers, setup, it_teardown_server),
        cmocka_unit_test_setup_teardown(test_chunked_body_over_limit, setup, it_teardown_server),
        cmocka_unit_test_setup_teardown(test_broken_connections, setup, it_teardown_server),
        cmocka_unit_test_setup_teardown(test_oversized_request_head, setup, it_teardown_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
