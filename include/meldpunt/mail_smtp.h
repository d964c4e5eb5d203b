/* mail_smtp.h - the mail transport: SMTP through libcurl, to a relay named by
 * a URL (MELDPUNT_SMTP_URL): smtp://host:587 with STARTTLS (required, unless
 * plain is set for a relay on the same host), smtps://host:465 with TLS from
 * the start, user name and password from the URL (smtp://user:pass@host)
 * for AUTH. One handle keeps its connection to the relay open between
 * messages.
 *
 * Nothing is logged: the caller gets a short reason without addresses (the
 * relay's own reply text can carry them and is not kept).
 *
 * Threads: a handle is used by one thread (the outbox sender).
 */
#ifndef MELDPUNT_MAIL_SMTP_H
#define MELDPUNT_MAIL_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "meldpunt/status.h"

struct mp_smtp;

enum mp_smtp_result {
    MP_SMTP_SENT,     /* the relay took the message */
    MP_SMTP_TEMPFAIL, /* this message was refused for now (4xx): try it again later */
    MP_SMTP_PERMFAIL, /* this message was refused for good (5xx) */
    MP_SMTP_DOWN,     /* the relay cannot be reached or refused us: try every message later */
};

/* A handle for url (copied). timeout_s bounds one message. MP_EINVAL for a
 * URL that is not smtp:// or smtps://. New object in *out (mp_smtp_close). */
enum mp_status mp_smtp_open(const char *url, bool plain, unsigned timeout_s, struct mp_smtp **out,
                            struct mp_error *err) MP_WUR;
void mp_smtp_close(struct mp_smtp *s);

/* Send msg (len bytes, a whole RFC 5322 message with CRLF lines) from
 * envelope sender `from` to envelope recipient rcpt. why (cap bytes) gets a
 * reason when it was not sent, e.g. "smtp 550" or "could not connect". */
enum mp_smtp_result mp_smtp_send(struct mp_smtp *s, const char *from, const char *rcpt,
                                 const char *msg, size_t len, char *why, size_t cap);

#endif
