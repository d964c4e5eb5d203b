/* mail.h - Internet messages (RFC 5322) as meldpunt sends them: a text and
 * an HTML part as multipart/alternative (RFC 2046), both UTF-8 in
 * quoted-printable (lines of at most 76 characters), headers with non-ASCII
 * text as encoded words (RFC 2047), a stable Message-ID, and the one-click
 * unsubscribe headers of RFC 8058 (List-Unsubscribe with an https URL and
 * List-Unsubscribe-Post). Lines end in CRLF. Nothing here sends: see
 * mail_smtp.h.
 *
 * Header injection cannot happen: addresses and URLs with a CR, LF or other
 * control byte are refused, and every other header text goes out either as
 * plain printable ASCII or as encoded words.
 *
 * Pure functions, thread-safe.
 */
#ifndef MELDPUNT_MAIL_H
#define MELDPUNT_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/buf.h"
#include "meldpunt/status.h"

struct mp_mail {
    const char *from_name;       /* display name (any UTF-8), or NULL */
    const char *from_addr;       /* addr-spec, e.g. meldpunt@city.example */
    const char *to_addr;         /* addr-spec */
    const char *subject;         /* UTF-8 */
    const char *text;            /* the text/plain body, UTF-8, lines ending in \n or \r\n */
    const char *html;            /* the text/html body, UTF-8 */
    const char *msg_id;          /* "local@domain": the Message-ID without the brackets */
    int64_t date;                /* Unix seconds: the Date header (UTC) */
    const char *lang;            /* Content-Language ("en"), or NULL */
    const char *unsubscribe_url; /* https (or http) URL taking the one-click POST, or NULL */
    const char *event_id;        /* X-Meldpunt-Event: the event the message tells of, or NULL */
};

/* Whether s is an address meldpunt sends to or from: local@domain, printable
 * ASCII without spaces, quotes, brackets, commas or a second @, a dot in the
 * domain, at most 254 bytes. */
bool mp_mail_addr_ok(const char *s);

/* The whole message for m appended to out. MP_EINVAL for a bad address,
 * Message-ID or URL (nothing appended then); MP_ENOMEM when out failed. */
enum mp_status mp_mail_build(const struct mp_mail *m, struct mp_buf *out) MP_WUR;

/* ---- the encoders, exposed for tests ---- */

/* n bytes of s as quoted-printable (RFC 2045 6.7): line breaks (\n or \r\n)
 * become CRLF, lines are broken softly at 76 characters, trailing spaces,
 * '=', non-ASCII and control bytes are escaped, and so are a '.' or "From "
 * at the start of a line (mail transports treat both specially). */
void mp_mail_qp(struct mp_buf *out, const char *s, size_t n);

/* "Name: value" and CRLF: value as it is when it is printable ASCII that
 * cannot be mistaken for an encoded word, folded at spaces to keep lines
 * within 78 characters; otherwise as UTF-8 "B" encoded words of at most 75
 * characters, one per folded line, never splitting a character. */
void mp_mail_header_text(struct mp_buf *out, const char *name, const char *value);

/* The Date header's value for t: "Tue, 01 Dec 2026 10:00:00 +0000". */
void mp_mail_date(int64_t t, char *out, size_t cap);

#endif
