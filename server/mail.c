/* mail.c - building RFC 5322 messages (see mail.h). */
#include "meldpunt/mail.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define QP_LINE 76     /* RFC 2045: encoded lines of at most 76 characters */
#define HEADER_LINE 78 /* RFC 5322: lines SHOULD stay within 78 */
#define WORD_MAX 75    /* RFC 2047: an encoded word of at most 75 characters */

static const char hex[] = "0123456789ABCDEF";

bool mp_mail_addr_ok(const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    const char *at = strchr(s, '@');
    if (n == 0 || n > 254 || !at || at == s || strchr(at + 1, '@') || !strchr(at + 1, '.') ||
        at[1] == '.' || s[n - 1] == '.')
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || strchr("\"(),:;<>[\\]", c))
            return false;
    }
    return true;
}

/* A URL that may go into a header between angle brackets. */
static bool url_ok(const char *s)
{
    if (!s || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) || strlen(s) > 900)
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"')
            return false;
    }
    return true;
}

/* "local@domain" of a Message-ID: printable, no brackets or spaces. */
static bool msg_id_ok(const char *s) { return mp_mail_addr_ok(s); }

void mp_mail_date(int64_t t, char *out, size_t cap)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm)) {
        snprintf(out, cap, "Thu, 01 Jan 1970 00:00:00 +0000");
        return;
    }
    snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- quoted-printable ---- */

struct qp {
    struct mp_buf *out;
    size_t col; /* characters on the current output line */
};

/* Append one encoded unit (a literal character or =XX), breaking the line
 * softly first when the unit and the "=" of a soft break would not fit. */
static void qp_unit(struct qp *q, const char *unit, size_t len, bool last_on_line)
{
    size_t room = last_on_line ? QP_LINE : QP_LINE - 1;
    if (q->col + len > room) {
        mp_buf_lit(q->out, "=\r\n");
        q->col = 0;
    }
    mp_buf_add(q->out, unit, len);
    q->col += len;
}

void mp_mail_qp(struct mp_buf *out, const char *s, size_t n)
{
    struct qp q = {out, 0};
    size_t i = 0;
    while (i <= n) {
        /* One input line: [i, e). */
        size_t e = i;
        while (e < n && s[e] != '\n')
            e++;
        size_t end = e > i && s[e - 1] == '\r' ? e - 1 : e;
        q.col = 0;
        for (size_t k = i; k < end; k++) {
            unsigned char c = (unsigned char)s[k];
            bool last = k + 1 == end;
            bool lit = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
            if (k == i &&
                (c == '.' || (c == 'F' && end - k >= 5 && memcmp(s + k, "From ", 5) == 0)))
                lit = false;
            if (lit) {
                char ch = (char)c;
                qp_unit(&q, &ch, 1, last);
            } else {
                char esc[3] = {'=', hex[c >> 4], hex[c & 15]};
                qp_unit(&q, esc, 3, last);
            }
        }
        if (e >= n)
            break;
        mp_buf_lit(out, "\r\n");
        i = e + 1;
    }
}

/* ---- headers ---- */

static bool plain_header_text(const char *v)
{
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            return false;
    return !strstr(v, "=?");
}

/* Bytes of the UTF-8 sequence starting with c (1 for anything else). */
static size_t utf8_len(unsigned char c)
{
    return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

static void base64(struct mp_buf *out, const unsigned char *s, size_t n)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                     i + 2 < n ? b64[v & 63] : '='};
        mp_buf_add(out, q, 4);
    }
}

/* Encoded words: "=?UTF-8?B?" (10) + base64 + "?=" (2) within WORD_MAX
 * leaves 63 characters of base64, 45 bytes of text (whole characters). */
static void encoded_words(struct mp_buf *out, const char *v, size_t first_col)
{
    const unsigned char *s = (const unsigned char *)v;
    size_t n = strlen(v), i = 0;
    size_t max_bytes = 45;
    /* The first word shares its line with the header name. */
    if (first_col + 12 + 60 > HEADER_LINE)
        max_bytes = 30;
    bool first = true;
    do {
        size_t take = 0;
        while (i + take < n) {
            size_t l = utf8_len(s[i + take]);
            if (take + l > max_bytes)
                break;
            take += l;
        }
        if (take == 0 && i < n) /* a broken sequence longer than the room */
            take = 1;
        if (!first)
            mp_buf_lit(out, "\r\n ");
        mp_buf_lit(out, "=?UTF-8?B?");
        base64(out, s + i, take);
        mp_buf_lit(out, "?=");
        i += take;
        first = false;
        max_bytes = 45;
    } while (i < n);
}

void mp_mail_header_text(struct mp_buf *out, const char *name, const char *value)
{
    size_t col = strlen(name) + 2;
    mp_buf_adds(out, name);
    mp_buf_lit(out, ": ");
    if (!plain_header_text(value)) {
        encoded_words(out, value, col);
        mp_buf_lit(out, "\r\n");
        return;
    }
    /* Fold at spaces: a word that does not fit goes on a line of its own. */
    const char *p = value;
    bool first = true;
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t w = sp ? (size_t)(sp - p) : strlen(p);
        if (!first && col + 1 + w > HEADER_LINE) {
            mp_buf_lit(out, "\r\n ");
            col = 1;
        } else if (!first) {
            mp_buf_addc(out, ' ');
            col++;
        }
        mp_buf_add(out, p, w);
        col += w;
        first = false;
        p += w;
        if (*p == ' ')
            p++;
    }
    mp_buf_lit(out, "\r\n");
}

/* From: "Name" <addr>, the name quoted when plain, else encoded words. */
static void header_from(struct mp_buf *out, const char *name, const char *addr)
{
    if (!name || !name[0]) {
        mp_buf_printf(out, "From: %s\r\n", addr);
        return;
    }
    mp_buf_lit(out, "From: ");
    if (plain_header_text(name)) {
        mp_buf_addc(out, '"');
        for (const char *p = name; *p; p++) {
            if (*p == '"' || *p == '\\')
                mp_buf_addc(out, '\\');
            mp_buf_addc(out, *p);
        }
        mp_buf_printf(out, "\" <%s>\r\n", addr);
        return;
    }
    /* Encoded words may take several lines: the address gets its own. */
    encoded_words(out, name, 6);
    mp_buf_printf(out, "\r\n <%s>\r\n", addr);
}

static void part(struct mp_buf *out, const char *boundary, const char *type, const char *body)
{
    mp_buf_printf(out, "--%s\r\n", boundary);
    mp_buf_printf(out, "Content-Type: %s; charset=utf-8\r\n", type);
    mp_buf_lit(out, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
    mp_mail_qp(out, body ? body : "", body ? strlen(body) : 0);
    mp_buf_lit(out, "\r\n");
}

enum mp_status mp_mail_build(const struct mp_mail *m, struct mp_buf *out)
{
    char date[40], boundary[80];
    if (!mp_mail_addr_ok(m->from_addr) || !mp_mail_addr_ok(m->to_addr) || !msg_id_ok(m->msg_id) ||
        (m->unsubscribe_url && !url_ok(m->unsubscribe_url)) ||
        (m->event_id && !plain_header_text(m->event_id)) ||
        (m->lang && (!plain_header_text(m->lang) || strlen(m->lang) > 35)))
        return MP_EINVAL;
    mp_mail_date(m->date, date, sizeof date);
    /* "=_" never occurs in quoted-printable text: the boundary cannot.
     * The Message-ID's local part makes it unique. */
    size_t local = (size_t)(strchr(m->msg_id, '@') - m->msg_id);
    if (local + 6 > sizeof boundary)
        return MP_EINVAL;
    memcpy(boundary, "=_mp_", 5);
    memcpy(boundary + 5, m->msg_id, local);
    boundary[5 + local] = '\0';
    header_from(out, m->from_name, m->from_addr);
    mp_buf_printf(out, "To: %s\r\n", m->to_addr);
    mp_mail_header_text(out, "Subject", m->subject ? m->subject : "");
    mp_buf_printf(out, "Date: %s\r\n", date);
    mp_buf_printf(out, "Message-ID: <%s>\r\n", m->msg_id);
    mp_buf_lit(out, "MIME-Version: 1.0\r\n");
    if (m->lang && m->lang[0])
        mp_buf_printf(out, "Content-Language: %s\r\n", m->lang);
    /* An automatic message (RFC 3834): no out-of-office answers to it. */
    mp_buf_lit(out, "Auto-Submitted: auto-generated\r\n");
    if (m->unsubscribe_url) {
        mp_buf_printf(out, "List-Unsubscribe: <%s>\r\n", m->unsubscribe_url);
        mp_buf_lit(out, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
    }
    if (m->event_id)
        mp_mail_header_text(out, "X-Meldpunt-Event", m->event_id);
    mp_buf_printf(out, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n",
                  boundary);
    part(out, boundary, "text/plain", m->text);
    part(out, boundary, "text/html", m->html);
    mp_buf_printf(out, "--%s--\r\n", boundary);
    return mp_buf_status(out) == MP_OK ? MP_OK : MP_ENOMEM;
}
